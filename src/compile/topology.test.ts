// The topology plan in iproute2's notation, per CNI mode: what each mode puts in the fabric,
// the nodes and the pods, compared with the commands a person would type. Pure: no root.
import { describe, expect, it } from 'vitest';
import { clusterConfig, fill } from '../cluster/test-support/cluster.js';
import type { CniMode } from '../model/types.js';
import { masqueradeRuleset } from './masquerade.js';
import { parseCidr } from '../model/ip.js';
import { planTopology, type TopologyOptions } from './topology.js';
import { configureWaves, renderNetns } from './topology-render.js';
import { clusterNetnsPattern, MAX_IFNAME } from './topology-names.js';
import type { TopologyPlan } from './topology-plan.js';

/** 2 nodes, 3 pods: default/web and kube-system/coredns-1 on node-1, data/db-0 (subdomain db) on node-2. */
function smallCluster(mode: CniMode, extra = '') {
  const { cluster } = fill(clusterConfig(`
    networking:
      cni: ${mode}
    nodes:
    - name: node-1
    - name: node-2
  `) + `---
apiVersion: v1
kind: Namespace
metadata: {name: data}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec: {nodeName: node-1, containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: data}
spec: {nodeName: node-2, hostname: db-0, subdomain: db, containers: [{name: c, image: postgres}]}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns-1, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {nodeName: node-1, containers: [{name: c, image: coredns}]}
${extra}`);
  return cluster;
}

function plan(mode: CniMode, options: TopologyOptions = {}, extra = ''): TopologyPlan {
  return planTopology(smallCluster(mode, extra), 'demo', options);
}

/** Every namespace but the internet side (the same in every mode), as commands. */
function rendered(p: TopologyPlan): string {
  return p.namespaces.filter((ns) => ns.role !== 'inet').map(renderNetns).join('\n');
}

const text = (s: string): string => s.replace(/^\n/, '');

describe('planTopology: the plan per CNI mode', () => {
  it('calico: per-pod cali veth (MAC ee:ee:ee:ee:ee:ee, proxy ARP), /32 routes, a blackhole for the own block, other blocks via their node; pods default via 169.254.1.1', () => {
    expect(rendered(plan('calico'))).toBe(text(`
# knet-demo-fabric (fabric)
ip -n knet-demo-fabric link add br-nodes address d2:88:3d:80:b3:8b type bridge
ip -n knet-demo-fabric link add br-inet address 1a:66:1f:c1:ae:15 type bridge
ip -n knet-demo-fabric link add inet0 master br-inet type veth peer name eth0 netns knet-demo-inet
ip -n knet-demo-fabric link add node1 master br-nodes type veth peer name eth0 netns knet-demo-node-1
ip -n knet-demo-fabric link add node2 master br-nodes type veth peer name eth0 netns knet-demo-node-2
ip -n knet-demo-fabric addr add 172.18.0.1/16 dev br-nodes
ip -n knet-demo-fabric addr add 203.0.113.1/24 dev br-inet
ip -n knet-demo-fabric link set dev lo up
ip -n knet-demo-fabric link set dev br-nodes up
ip -n knet-demo-fabric link set dev br-inet up
ip -n knet-demo-fabric link set dev inet0 up
ip -n knet-demo-fabric link set dev node1 up
ip -n knet-demo-fabric link set dev node2 up
ip netns exec knet-demo-fabric sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-fabric sysctl -w net.ipv4.conf.all.send_redirects=0
ip netns exec knet-demo-fabric sysctl -w net.ipv4.conf.br-nodes.send_redirects=0

# knet-demo-node-1 (node node-1)
ip -n knet-demo-node-1 link add cali82b3ade9d00 address ee:ee:ee:ee:ee:ee type veth peer name eth0 netns knet-demo-pod-82b3ade9
ip -n knet-demo-node-1 link add cali72b864966a9 address ee:ee:ee:ee:ee:ee type veth peer name eth0 netns knet-demo-pod-72b86496
ip -n knet-demo-node-1 addr add 172.18.0.2/16 dev eth0
ip -n knet-demo-node-1 link set dev lo up
ip -n knet-demo-node-1 link set dev eth0 up
ip -n knet-demo-node-1 link set dev cali82b3ade9d00 up
ip -n knet-demo-node-1 link set dev cali72b864966a9 up
ip -n knet-demo-node-1 route replace default via 172.18.0.1 dev eth0
ip -n knet-demo-node-1 route replace blackhole 10.244.0.0/24
ip -n knet-demo-node-1 route replace 10.244.1.0/24 via 172.18.0.3 dev eth0
ip -n knet-demo-node-1 route replace 10.244.0.2/32 dev cali82b3ade9d00 scope link
ip -n knet-demo-node-1 route replace 10.244.0.3/32 dev cali72b864966a9 scope link
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.all.rp_filter=0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.default.rp_filter=0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.cali82b3ade9d00.proxy_arp=1
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.neigh.cali82b3ade9d00.proxy_delay=0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.cali72b864966a9.proxy_arp=1
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.neigh.cali72b864966a9.proxy_delay=0

# knet-demo-node-2 (node node-2)
ip -n knet-demo-node-2 link add cali9c336f0e8d2 address ee:ee:ee:ee:ee:ee type veth peer name eth0 netns knet-demo-pod-9c336f0e
ip -n knet-demo-node-2 addr add 172.18.0.3/16 dev eth0
ip -n knet-demo-node-2 link set dev lo up
ip -n knet-demo-node-2 link set dev eth0 up
ip -n knet-demo-node-2 link set dev cali9c336f0e8d2 up
ip -n knet-demo-node-2 route replace default via 172.18.0.1 dev eth0
ip -n knet-demo-node-2 route replace blackhole 10.244.1.0/24
ip -n knet-demo-node-2 route replace 10.244.0.0/24 via 172.18.0.2 dev eth0
ip -n knet-demo-node-2 route replace 10.244.1.2/32 dev cali9c336f0e8d2 scope link
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.all.rp_filter=0
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.default.rp_filter=0
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.cali9c336f0e8d2.proxy_arp=1
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.neigh.cali9c336f0e8d2.proxy_delay=0

# knet-demo-pod-82b3ade9 (pod default/web)
ip -n knet-demo-pod-82b3ade9 addr add 10.244.0.2/32 dev eth0
ip -n knet-demo-pod-82b3ade9 link set dev lo up
ip -n knet-demo-pod-82b3ade9 link set dev eth0 up
ip -n knet-demo-pod-82b3ade9 route replace 169.254.1.1 dev eth0 scope link
ip -n knet-demo-pod-82b3ade9 route replace default via 169.254.1.1 dev eth0

# knet-demo-pod-9c336f0e (pod data/db-0)
ip -n knet-demo-pod-9c336f0e addr add 10.244.1.2/32 dev eth0
ip -n knet-demo-pod-9c336f0e link set dev lo up
ip -n knet-demo-pod-9c336f0e link set dev eth0 up
ip -n knet-demo-pod-9c336f0e route replace 169.254.1.1 dev eth0 scope link
ip -n knet-demo-pod-9c336f0e route replace default via 169.254.1.1 dev eth0

# knet-demo-pod-72b86496 (pod kube-system/coredns-1)
ip -n knet-demo-pod-72b86496 addr add 10.244.0.3/32 dev eth0
ip -n knet-demo-pod-72b86496 link set dev lo up
ip -n knet-demo-pod-72b86496 link set dev eth0 up
ip -n knet-demo-pod-72b86496 route replace 169.254.1.1 dev eth0 scope link
ip -n knet-demo-pod-72b86496 route replace default via 169.254.1.1 dev eth0
`));
  });

  it('flannel: cni0 with .1 per node, hairpin ports, MTU 1450; flannel.1 VXLAN id 1 port 8472 with route, permanent neighbour and FDB entry per remote node', () => {
    expect(rendered(plan('flannel'))).toBe(text(`
# knet-demo-fabric (fabric)
ip -n knet-demo-fabric link add br-nodes address d2:88:3d:80:b3:8b type bridge
ip -n knet-demo-fabric link add br-inet address 1a:66:1f:c1:ae:15 type bridge
ip -n knet-demo-fabric link add inet0 master br-inet type veth peer name eth0 netns knet-demo-inet
ip -n knet-demo-fabric link add node1 master br-nodes type veth peer name eth0 netns knet-demo-node-1
ip -n knet-demo-fabric link add node2 master br-nodes type veth peer name eth0 netns knet-demo-node-2
ip -n knet-demo-fabric addr add 172.18.0.1/16 dev br-nodes
ip -n knet-demo-fabric addr add 203.0.113.1/24 dev br-inet
ip -n knet-demo-fabric link set dev lo up
ip -n knet-demo-fabric link set dev br-nodes up
ip -n knet-demo-fabric link set dev br-inet up
ip -n knet-demo-fabric link set dev inet0 up
ip -n knet-demo-fabric link set dev node1 up
ip -n knet-demo-fabric link set dev node2 up
ip netns exec knet-demo-fabric sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-fabric sysctl -w net.ipv4.conf.all.send_redirects=0
ip netns exec knet-demo-fabric sysctl -w net.ipv4.conf.br-nodes.send_redirects=0

# knet-demo-node-1 (node node-1)
ip -n knet-demo-node-1 link add cni0 address 36:16:42:c1:27:e9 type bridge
ip -n knet-demo-node-1 link add flannel.1 address 4e:59:ac:34:37:1a mtu 1450 type vxlan id 1 local 172.18.0.2 dev eth0 dstport 8472 nolearning
ip -n knet-demo-node-1 link add veth82b3ade9 mtu 1450 master cni0 type veth peer name eth0 mtu 1450 netns knet-demo-pod-82b3ade9
ip -n knet-demo-node-1 link add veth72b86496 mtu 1450 master cni0 type veth peer name eth0 mtu 1450 netns knet-demo-pod-72b86496
ip -n knet-demo-node-1 link set dev veth82b3ade9 type bridge_slave hairpin on
ip -n knet-demo-node-1 link set dev veth72b86496 type bridge_slave hairpin on
ip -n knet-demo-node-1 addr add 172.18.0.2/16 dev eth0
ip -n knet-demo-node-1 addr add 10.244.0.1/24 dev cni0
ip -n knet-demo-node-1 addr add 10.244.0.0/32 dev flannel.1
ip -n knet-demo-node-1 link set dev lo up
ip -n knet-demo-node-1 link set dev eth0 up
ip -n knet-demo-node-1 link set dev cni0 up
ip -n knet-demo-node-1 link set dev flannel.1 up
ip -n knet-demo-node-1 link set dev veth82b3ade9 up
ip -n knet-demo-node-1 link set dev veth72b86496 up
ip -n knet-demo-node-1 route replace default via 172.18.0.1 dev eth0
ip -n knet-demo-node-1 route replace 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
ip -n knet-demo-node-1 neigh replace 10.244.1.0 lladdr e6:52:11:ee:ef:cc dev flannel.1 nud permanent
bridge -n knet-demo-node-1 fdb replace e6:52:11:ee:ef:cc dev flannel.1 dst 172.18.0.3 self permanent
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.all.rp_filter=0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.default.rp_filter=0
ip netns exec knet-demo-node-1 sysctl -w net.bridge.bridge-nf-call-iptables=1

# knet-demo-node-2 (node node-2)
ip -n knet-demo-node-2 link add cni0 address ae:65:92:14:0a:70 type bridge
ip -n knet-demo-node-2 link add flannel.1 address e6:52:11:ee:ef:cc mtu 1450 type vxlan id 1 local 172.18.0.3 dev eth0 dstport 8472 nolearning
ip -n knet-demo-node-2 link add veth9c336f0e mtu 1450 master cni0 type veth peer name eth0 mtu 1450 netns knet-demo-pod-9c336f0e
ip -n knet-demo-node-2 link set dev veth9c336f0e type bridge_slave hairpin on
ip -n knet-demo-node-2 addr add 172.18.0.3/16 dev eth0
ip -n knet-demo-node-2 addr add 10.244.1.1/24 dev cni0
ip -n knet-demo-node-2 addr add 10.244.1.0/32 dev flannel.1
ip -n knet-demo-node-2 link set dev lo up
ip -n knet-demo-node-2 link set dev eth0 up
ip -n knet-demo-node-2 link set dev cni0 up
ip -n knet-demo-node-2 link set dev flannel.1 up
ip -n knet-demo-node-2 link set dev veth9c336f0e up
ip -n knet-demo-node-2 route replace default via 172.18.0.1 dev eth0
ip -n knet-demo-node-2 route replace 10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink
ip -n knet-demo-node-2 neigh replace 10.244.0.0 lladdr 4e:59:ac:34:37:1a dev flannel.1 nud permanent
bridge -n knet-demo-node-2 fdb replace 4e:59:ac:34:37:1a dev flannel.1 dst 172.18.0.2 self permanent
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.all.rp_filter=0
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.default.rp_filter=0
ip netns exec knet-demo-node-2 sysctl -w net.bridge.bridge-nf-call-iptables=1

# knet-demo-pod-82b3ade9 (pod default/web)
ip -n knet-demo-pod-82b3ade9 addr add 10.244.0.2/24 dev eth0
ip -n knet-demo-pod-82b3ade9 link set dev lo up
ip -n knet-demo-pod-82b3ade9 link set dev eth0 up
ip -n knet-demo-pod-82b3ade9 route replace default via 10.244.0.1 dev eth0

# knet-demo-pod-9c336f0e (pod data/db-0)
ip -n knet-demo-pod-9c336f0e addr add 10.244.1.2/24 dev eth0
ip -n knet-demo-pod-9c336f0e link set dev lo up
ip -n knet-demo-pod-9c336f0e link set dev eth0 up
ip -n knet-demo-pod-9c336f0e route replace default via 10.244.1.1 dev eth0

# knet-demo-pod-72b86496 (pod kube-system/coredns-1)
ip -n knet-demo-pod-72b86496 addr add 10.244.0.3/24 dev eth0
ip -n knet-demo-pod-72b86496 link set dev lo up
ip -n knet-demo-pod-72b86496 link set dev eth0 up
ip -n knet-demo-pod-72b86496 route replace default via 10.244.0.1 dev eth0
`));
  });

  it('azure: VNet pod addresses as /32 behind azv veths, the pod subnet on-link on eth0 with proxy ARP, static 169.254.1.1 neighbour in pods, no overlay', () => {
    expect(rendered(plan('azure'))).toBe(text(`
# knet-demo-fabric (fabric)
ip -n knet-demo-fabric link add br-nodes address d2:88:3d:80:b3:8b type bridge
ip -n knet-demo-fabric link add br-inet address 1a:66:1f:c1:ae:15 type bridge
ip -n knet-demo-fabric link add inet0 master br-inet type veth peer name eth0 netns knet-demo-inet
ip -n knet-demo-fabric link add node1 master br-nodes type veth peer name eth0 netns knet-demo-node-1
ip -n knet-demo-fabric link add node2 master br-nodes type veth peer name eth0 netns knet-demo-node-2
ip -n knet-demo-fabric addr add 172.18.0.1/16 dev br-nodes
ip -n knet-demo-fabric addr add 203.0.113.1/24 dev br-inet
ip -n knet-demo-fabric link set dev lo up
ip -n knet-demo-fabric link set dev br-nodes up
ip -n knet-demo-fabric link set dev br-inet up
ip -n knet-demo-fabric link set dev inet0 up
ip -n knet-demo-fabric link set dev node1 up
ip -n knet-demo-fabric link set dev node2 up
ip -n knet-demo-fabric route replace 10.244.0.0/16 dev br-nodes scope link
ip netns exec knet-demo-fabric sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-fabric sysctl -w net.ipv4.conf.all.send_redirects=0
ip netns exec knet-demo-fabric sysctl -w net.ipv4.conf.br-nodes.send_redirects=0

# knet-demo-node-1 (node node-1)
ip -n knet-demo-node-1 link add azv82b3ade9d00 address d2:36:8c:23:7f:d1 type veth peer name eth0 netns knet-demo-pod-82b3ade9
ip -n knet-demo-node-1 link add azv72b864966a9 address 9e:61:cf:a7:0b:f5 type veth peer name eth0 netns knet-demo-pod-72b86496
ip -n knet-demo-node-1 addr add 172.18.0.2/16 dev eth0
ip -n knet-demo-node-1 link set dev lo up
ip -n knet-demo-node-1 link set dev eth0 up
ip -n knet-demo-node-1 link set dev azv82b3ade9d00 up
ip -n knet-demo-node-1 link set dev azv72b864966a9 up
ip -n knet-demo-node-1 route replace default via 172.18.0.1 dev eth0
ip -n knet-demo-node-1 route replace 10.244.0.0/16 dev eth0 scope link
ip -n knet-demo-node-1 route replace 10.244.0.4/32 dev azv82b3ade9d00 scope link
ip -n knet-demo-node-1 route replace 10.244.0.5/32 dev azv72b864966a9 scope link
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.all.rp_filter=0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.default.rp_filter=0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.eth0.proxy_arp=1
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.neigh.eth0.proxy_delay=0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.azv82b3ade9d00.proxy_arp=1
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.neigh.azv82b3ade9d00.proxy_delay=0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.azv72b864966a9.proxy_arp=1
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.neigh.azv72b864966a9.proxy_delay=0

# knet-demo-node-2 (node node-2)
ip -n knet-demo-node-2 link add azv9c336f0e8d2 address 4a:72:28:33:7c:8a type veth peer name eth0 netns knet-demo-pod-9c336f0e
ip -n knet-demo-node-2 addr add 172.18.0.3/16 dev eth0
ip -n knet-demo-node-2 link set dev lo up
ip -n knet-demo-node-2 link set dev eth0 up
ip -n knet-demo-node-2 link set dev azv9c336f0e8d2 up
ip -n knet-demo-node-2 route replace default via 172.18.0.1 dev eth0
ip -n knet-demo-node-2 route replace 10.244.0.0/16 dev eth0 scope link
ip -n knet-demo-node-2 route replace 10.244.1.4/32 dev azv9c336f0e8d2 scope link
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.all.rp_filter=0
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.default.rp_filter=0
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.eth0.proxy_arp=1
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.neigh.eth0.proxy_delay=0
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.azv9c336f0e8d2.proxy_arp=1
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.neigh.azv9c336f0e8d2.proxy_delay=0

# knet-demo-pod-82b3ade9 (pod default/web)
ip -n knet-demo-pod-82b3ade9 addr add 10.244.0.4/32 dev eth0
ip -n knet-demo-pod-82b3ade9 link set dev lo up
ip -n knet-demo-pod-82b3ade9 link set dev eth0 up
ip -n knet-demo-pod-82b3ade9 route replace 169.254.1.1 dev eth0 scope link
ip -n knet-demo-pod-82b3ade9 route replace default via 169.254.1.1 dev eth0
ip -n knet-demo-pod-82b3ade9 neigh replace 169.254.1.1 lladdr d2:36:8c:23:7f:d1 dev eth0 nud permanent

# knet-demo-pod-9c336f0e (pod data/db-0)
ip -n knet-demo-pod-9c336f0e addr add 10.244.1.4/32 dev eth0
ip -n knet-demo-pod-9c336f0e link set dev lo up
ip -n knet-demo-pod-9c336f0e link set dev eth0 up
ip -n knet-demo-pod-9c336f0e route replace 169.254.1.1 dev eth0 scope link
ip -n knet-demo-pod-9c336f0e route replace default via 169.254.1.1 dev eth0
ip -n knet-demo-pod-9c336f0e neigh replace 169.254.1.1 lladdr 4a:72:28:33:7c:8a dev eth0 nud permanent

# knet-demo-pod-72b86496 (pod kube-system/coredns-1)
ip -n knet-demo-pod-72b86496 addr add 10.244.0.5/32 dev eth0
ip -n knet-demo-pod-72b86496 link set dev lo up
ip -n knet-demo-pod-72b86496 link set dev eth0 up
ip -n knet-demo-pod-72b86496 route replace 169.254.1.1 dev eth0 scope link
ip -n knet-demo-pod-72b86496 route replace default via 169.254.1.1 dev eth0
ip -n knet-demo-pod-72b86496 neigh replace 169.254.1.1 lladdr 9e:61:cf:a7:0b:f5 dev eth0 nud permanent
`));
  });

  it('kubenet: cbr0 with .1 per node; the node has only a default route, the fabric routes each podCIDR to its node', () => {
    expect(rendered(plan('kubenet'))).toBe(text(`
# knet-demo-fabric (fabric)
ip -n knet-demo-fabric link add br-nodes address d2:88:3d:80:b3:8b type bridge
ip -n knet-demo-fabric link add br-inet address 1a:66:1f:c1:ae:15 type bridge
ip -n knet-demo-fabric link add inet0 master br-inet type veth peer name eth0 netns knet-demo-inet
ip -n knet-demo-fabric link add node1 master br-nodes type veth peer name eth0 netns knet-demo-node-1
ip -n knet-demo-fabric link add node2 master br-nodes type veth peer name eth0 netns knet-demo-node-2
ip -n knet-demo-fabric addr add 172.18.0.1/16 dev br-nodes
ip -n knet-demo-fabric addr add 203.0.113.1/24 dev br-inet
ip -n knet-demo-fabric link set dev lo up
ip -n knet-demo-fabric link set dev br-nodes up
ip -n knet-demo-fabric link set dev br-inet up
ip -n knet-demo-fabric link set dev inet0 up
ip -n knet-demo-fabric link set dev node1 up
ip -n knet-demo-fabric link set dev node2 up
ip -n knet-demo-fabric route replace 10.244.0.0/24 via 172.18.0.2 dev br-nodes
ip -n knet-demo-fabric route replace 10.244.1.0/24 via 172.18.0.3 dev br-nodes
ip netns exec knet-demo-fabric sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-fabric sysctl -w net.ipv4.conf.all.send_redirects=0
ip netns exec knet-demo-fabric sysctl -w net.ipv4.conf.br-nodes.send_redirects=0

# knet-demo-node-1 (node node-1)
ip -n knet-demo-node-1 link add cbr0 address 82:8c:4c:e6:eb:a5 type bridge
ip -n knet-demo-node-1 link add veth82b3ade9 master cbr0 type veth peer name eth0 netns knet-demo-pod-82b3ade9
ip -n knet-demo-node-1 link add veth72b86496 master cbr0 type veth peer name eth0 netns knet-demo-pod-72b86496
ip -n knet-demo-node-1 link set dev veth82b3ade9 type bridge_slave hairpin on
ip -n knet-demo-node-1 link set dev veth72b86496 type bridge_slave hairpin on
ip -n knet-demo-node-1 addr add 172.18.0.2/16 dev eth0
ip -n knet-demo-node-1 addr add 10.244.0.1/24 dev cbr0
ip -n knet-demo-node-1 link set dev lo up
ip -n knet-demo-node-1 link set dev eth0 up
ip -n knet-demo-node-1 link set dev cbr0 up
ip -n knet-demo-node-1 link set dev veth82b3ade9 up
ip -n knet-demo-node-1 link set dev veth72b86496 up
ip -n knet-demo-node-1 route replace default via 172.18.0.1 dev eth0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.all.rp_filter=0
ip netns exec knet-demo-node-1 sysctl -w net.ipv4.conf.default.rp_filter=0
ip netns exec knet-demo-node-1 sysctl -w net.bridge.bridge-nf-call-iptables=1

# knet-demo-node-2 (node node-2)
ip -n knet-demo-node-2 link add cbr0 address 36:24:58:6a:cc:37 type bridge
ip -n knet-demo-node-2 link add veth9c336f0e master cbr0 type veth peer name eth0 netns knet-demo-pod-9c336f0e
ip -n knet-demo-node-2 link set dev veth9c336f0e type bridge_slave hairpin on
ip -n knet-demo-node-2 addr add 172.18.0.3/16 dev eth0
ip -n knet-demo-node-2 addr add 10.244.1.1/24 dev cbr0
ip -n knet-demo-node-2 link set dev lo up
ip -n knet-demo-node-2 link set dev eth0 up
ip -n knet-demo-node-2 link set dev cbr0 up
ip -n knet-demo-node-2 link set dev veth9c336f0e up
ip -n knet-demo-node-2 route replace default via 172.18.0.1 dev eth0
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.ip_forward=1
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.all.rp_filter=0
ip netns exec knet-demo-node-2 sysctl -w net.ipv4.conf.default.rp_filter=0
ip netns exec knet-demo-node-2 sysctl -w net.bridge.bridge-nf-call-iptables=1

# knet-demo-pod-82b3ade9 (pod default/web)
ip -n knet-demo-pod-82b3ade9 addr add 10.244.0.2/24 dev eth0
ip -n knet-demo-pod-82b3ade9 link set dev lo up
ip -n knet-demo-pod-82b3ade9 link set dev eth0 up
ip -n knet-demo-pod-82b3ade9 route replace default via 10.244.0.1 dev eth0

# knet-demo-pod-9c336f0e (pod data/db-0)
ip -n knet-demo-pod-9c336f0e addr add 10.244.1.2/24 dev eth0
ip -n knet-demo-pod-9c336f0e link set dev lo up
ip -n knet-demo-pod-9c336f0e link set dev eth0 up
ip -n knet-demo-pod-9c336f0e route replace default via 10.244.1.1 dev eth0

# knet-demo-pod-72b86496 (pod kube-system/coredns-1)
ip -n knet-demo-pod-72b86496 addr add 10.244.0.3/24 dev eth0
ip -n knet-demo-pod-72b86496 link set dev lo up
ip -n knet-demo-pod-72b86496 link set dev eth0 up
ip -n knet-demo-pod-72b86496 route replace default via 10.244.0.1 dev eth0
`));
  });
});

describe('planTopology: the outside world, files and tables', () => {
  it('the internet side holds the upstream DNS, client and ACME server addresses behind the fabric\'s br-inet', () => {
    const inet = plan('calico').namespaces.find((ns) => ns.role === 'inet')!;
    expect(renderNetns(inet)).toBe(text(`
# knet-demo-inet (inet)
ip -n knet-demo-inet addr add 203.0.113.53/24 dev eth0
ip -n knet-demo-inet addr add 203.0.113.100/24 dev eth0
ip -n knet-demo-inet addr add 203.0.113.10/24 dev eth0
ip -n knet-demo-inet link set dev lo up
ip -n knet-demo-inet link set dev eth0 up
ip -n knet-demo-inet route replace default via 203.0.113.1 dev eth0
`));
  });

  it('kubelet hosts file: boilerplate, then the pod IP with its hostname; with a subdomain the FQDN first', () => {
    const p = plan('calico');
    const hostsOf = (ref: string) => {
      const netns = p.pods.find((x) => x.pod === ref)!.netns;
      return p.files.find((f) => f.netns === netns && f.name === 'hosts')!.content;
    };
    expect(hostsOf('data/db-0')).toBe(text(`
# Kubernetes-managed hosts file.
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
fe00::0\tip6-mcastprefix
fe00::1\tip6-allnodes
fe00::2\tip6-allrouters
10.244.1.2\tdb-0.db.data.svc.cluster.local\tdb-0
`));
    expect(hostsOf('default/web').split('\n').slice(-2)).toEqual(['10.244.0.2\tweb', '']);
  });

  it('resolv.conf: ClusterFirst by default, or what the caller (core/dns) computes', () => {
    const resolvOf = (p: TopologyPlan, ref: string) => {
      const netns = p.pods.find((x) => x.pod === ref)!.netns;
      return p.files.find((f) => f.netns === netns && f.name === 'resolv.conf')!.content;
    };
    expect(resolvOf(plan('calico'), 'data/db-0')).toBe('nameserver 10.96.0.10\nsearch data.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    const custom = plan('calico', { resolvConf: (pod) => `# for ${pod.meta.name}\nnameserver 192.0.2.53\n` });
    expect(resolvOf(custom, 'default/web')).toBe('# for web\nnameserver 192.0.2.53\n');
  });

  it('nodes get their own resolv.conf (the node\'s upstream) and hosts; the internet side resolves through 203.0.113.53', () => {
    const files = plan('calico').files.filter((f) => !f.netns.includes('-pod-'));
    expect(files.map((f) => `${f.netns}/${f.name}: ${JSON.stringify(f.content)}`)).toEqual([
      'knet-demo-inet/resolv.conf: "nameserver 203.0.113.53\\n"',
      'knet-demo-node-1/resolv.conf: "nameserver 203.0.113.53\\n"',
      'knet-demo-node-1/hosts: "127.0.0.1\\tlocalhost\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n172.18.0.2\\tnode-1\\n"',
      'knet-demo-node-2/resolv.conf: "nameserver 203.0.113.53\\n"',
      'knet-demo-node-2/hosts: "127.0.0.1\\tlocalhost\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n172.18.0.3\\tnode-2\\n"',
    ]);
  });

  it('masquerade: traffic to pods, Services and nodes keeps its source; anything else leaves as the node', () => {
    const p = plan('kubenet');
    expect(p.nft.map((t) => `${t.netns} ${t.table}`)).toEqual(['knet-demo-node-1 ip knet-masq', 'knet-demo-node-2 ip knet-masq']);
    expect(p.nft[0]!.text).toBe(text(`
add table ip knet-masq
flush table ip knet-masq
table ip knet-masq {
\tchain postrouting {
\t\ttype nat hook postrouting priority 100; policy accept;
\t\tip daddr 10.244.0.0/16 return comment "pods"
\t\tip daddr 10.96.0.0/12 return comment "services"
\t\tip daddr 172.18.0.0/16 return comment "nodes"
\t\tmasquerade comment "leaving the cluster"
\t}
}
`));
  });

  it('masquerade: IPv6 ranges are left out of the IPv4 table', () => {
    const text = masqueradeRuleset([{ cidr: parseCidr('fd00::/108')!, what: 'services' }, { cidr: parseCidr('10.0.0.0/8')!, what: 'pods' }]);
    expect(text).not.toContain('fd00');
    expect(text).toContain('ip daddr 10.0.0.0/8 return comment "pods"');
  });
});

describe('planTopology: which pods get a namespace', () => {
  const extra = `---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: kube-system}
spec: {nodeName: node-2, hostNetwork: true, containers: [{name: c, image: agent}]}
---
apiVersion: v1
kind: Pod
metadata: {name: nowhere, namespace: default}
spec: {nodeSelector: {disk: ssd}, containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: default}
spec: {nodeName: node-1, containers: [{name: c, image: job}]}
status: {phase: Succeeded}
`;

  it('hostNetwork pod -> its node\'s namespace, no namespace or files of its own', () => {
    const p = plan('calico', {}, extra);
    expect(p.pods.find((x) => x.pod === 'kube-system/agent')).toEqual({
      pod: 'kube-system/agent', node: 'node-2', netns: 'knet-demo-node-2', ips: ['172.18.0.3'], hostNetwork: true,
    });
    expect(p.namespaces.filter((ns) => ns.role === 'pod').map((ns) => ns.owner)).toEqual(['default/web', 'data/db-0', 'kube-system/coredns-1']);
  });

  it('unscheduled and finished pods -> skipped, with the reason', () => {
    expect(plan('flannel', {}, extra).skipped).toEqual([
      { pod: 'default/nowhere', reason: 'not scheduled' },
      { pod: 'default/done', reason: 'phase Succeeded: its sandbox is gone' },
    ]);
  });

  it('bridge modes: a pod address outside its node\'s podCIDR (a dump\'s inconsistency) -> skipped', () => {
    // Node objects say the podCIDRs (without them, a node's range would follow its pods).
    const node = (name: string, cidr: string, ip: string) => `---
apiVersion: v1
kind: Node
metadata: {name: ${name}}
spec: {podCIDR: ${cidr}}
status: {addresses: [{type: InternalIP, address: ${ip}}]}
`;
    const stray = `${node('node-1', '10.244.0.0/24', '172.18.0.2')}${node('node-2', '10.244.1.0/24', '172.18.0.3')}---
apiVersion: v1
kind: Pod
metadata: {name: stray, namespace: default}
spec: {nodeName: node-1, containers: [{name: c, image: nginx}]}
status: {phase: Running, podIP: 10.244.1.9, podIPs: [{ip: 10.244.1.9}]}
`;
    expect(plan('kubenet', {}, stray).skipped).toEqual([
      { pod: 'default/stray', reason: 'pod IP 10.244.1.9 is outside node node-1\'s podCIDR 10.244.0.0/24' },
    ]);
    expect(plan('calico', {}, stray).skipped).toEqual([]);
  });

  it('calico: a dump\'s pool blocks are routed via their node (blackholed at home), a borrowed address by a /32 via its pod\'s node', () => {
    const dumped = (name: string, node: string, ip: string) => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default}
spec: {nodeName: ${node}, containers: [{name: c, image: nginx}]}
status: {phase: Running, podIP: ${ip}}
`;
    const p = plan('calico', {}, dumped('a', 'node-1', '192.168.171.66') + dumped('b', 'node-1', '192.168.171.67') + dumped('borrower', 'node-2', '192.168.171.70'));
    const routes = (node: string) => p.namespaces.find((ns) => ns.name === `knet-demo-${node}`)!.routes
      .filter((r) => r.dst.startsWith('192.168.171.')).map((r) => (r.kind === 'via' ? `${r.dst} via ${r.via}` : r.kind === 'blackhole' ? `blackhole ${r.dst}` : `${r.dst} dev`));
    expect(routes('node-1')).toEqual(['blackhole 192.168.171.64/26', '192.168.171.70/32 via 172.18.0.3', '192.168.171.66/32 dev', '192.168.171.67/32 dev']);
    expect(routes('node-2')).toEqual(['192.168.171.64/26 via 172.18.0.2', '192.168.171.70/32 dev']);
  });
});

describe('planTopology: names', () => {
  it.each(['calico', 'flannel', 'azure', 'kubenet'] as const)('%s: every interface name fits IFNAMSIZ (15 characters)', (mode) => {
    const names = plan(mode).namespaces.flatMap((ns) => ns.links.flatMap((l) => [l.name, ...(l.kind === 'veth' ? [l.peer.name] : [])]));
    expect(names.filter((n) => n.length > MAX_IFNAME)).toEqual([]);
  });

  it('same cluster -> same plan (names, MACs and order are derived, never random)', () => {
    expect(plan('flannel')).toEqual(plan('flannel'));
  });

  it('a cluster\'s name pattern matches its own namespaces and not those of a cluster whose name extends it', () => {
    const own = plan('calico').namespaces.map((ns) => ns.name);
    expect(own.filter((n) => !clusterNetnsPattern('demo').test(n))).toEqual([]);
    const other = ['knet-demo-pod-fabric', 'knet-demo-node-node-1', 'knet-demo-pod-pod-0123abcd', 'knet-demo-x-inet', 'knet-demo2-fabric'];
    expect(other.filter((n) => clusterNetnsPattern('demo').test(n))).toEqual([]);
  });

  it('cluster names that cannot be part of a namespace name are a programming error', () => {
    expect(() => planTopology(smallCluster('calico'), 'Demo_1')).toThrow(/must be 1-32 lowercase letters/);
  });
});

describe('configureWaves', () => {
  it('fabric first, then the namespaces whose eth0 it makes, then the pods their nodes make', () => {
    const waves = configureWaves(plan('flannel').namespaces).map((w) => w.map((ns) => ns.name.replace('knet-demo-', '')));
    expect(waves).toEqual([
      ['fabric'],
      ['inet', 'node-1', 'node-2'],
      ['pod-82b3ade9', 'pod-9c336f0e', 'pod-72b86496'],
    ]);
  });
});
