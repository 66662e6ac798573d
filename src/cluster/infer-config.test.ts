import { describe, expect, it } from 'vitest';
import { resolvConfOf } from '../core/dns/pod-dns.js';
import { clusterConfig, fill, pod, problems, rendered, service, slicesOf, sliceView } from './test-support/cluster.js';

/** A Service as a dump shows it: allocated (uid, resourceVersion), with its ClusterIPs. */
const allocated = (ns: string, name: string, ips: string[], extra = ''): string => `
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}, uid: ${name.length}f1c2d3e-0000-4000-8000-00000000000${ips.length}, resourceVersion: "812"}
spec:
  clusterIP: ${ips[0]}
  clusterIPs: [${ips.join(', ')}]
  ports: [{name: dns, port: 53, protocol: UDP}]${extra}
`;

const runningPod = (ns: string, name: string, node: string, ip: string, hostIP: string, extra = ''): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  nodeName: ${node}
  containers: [{name: c, image: busybox}]${extra}
status: {phase: Running, podIP: ${ip}, hostIP: ${hostIP}}
`;

const CNI_CASES: { rule: string; docs: string[]; cni: string }[] = [
  { rule: 'aws-node pods: AWS VPC CNI, pods on VPC addresses (azure\'s VNet mode)', docs: [runningPod('kube-system', 'aws-node-x5hqd', 'ip-10-0-1-23', '10.0.1.23', '10.0.1.23', '\n  hostNetwork: true')], cni: 'azure' },
  { rule: 'azure-cns pods: Azure CNI', docs: [runningPod('kube-system', 'azure-cns-wz8nb', 'aks-0', '10.224.0.4', '10.224.0.4', '\n  hostNetwork: true')], cni: 'azure' },
  { rule: 'calico-node pods: Calico', docs: [runningPod('kube-system', 'calico-node-lq7vz', 'cp', '10.10.0.11', '10.10.0.11', '\n  hostNetwork: true')], cni: 'calico' },
  { rule: 'canal pods (flannel\'s network, Calico\'s policies): calico, so policies stay enforced', docs: [runningPod('kube-system', 'canal-7x2kq', 'w1', '10.10.0.12', '10.10.0.12', '\n  hostNetwork: true')], cni: 'calico' },
  { rule: 'kube-flannel pods: flannel', docs: [runningPod('kube-flannel', 'kube-flannel-ds-9xk2p', 'w1', '10.10.0.12', '10.10.0.12', '\n  hostNetwork: true')], cni: 'flannel' },
  { rule: 'pods on the nodes\' own network, no agent named: a VNet/VPC CNI', docs: [runningPod('shop', 'web', 'w1', '10.0.1.88', '10.0.1.23')], cni: 'azure' },
  { rule: 'the Cluster object says the mode: it wins over the dump', docs: [clusterConfig('networking: {cni: kubenet}'), runningPod('kube-system', 'calico-node-lq7vz', 'cp', '10.10.0.11', '10.10.0.11', '\n  hostNetwork: true')], cni: 'kubenet' },
];

describe('inferConfig: the CNI mode from the dump', () => {
  for (const c of CNI_CASES) {
    it(c.rule, () => {
      expect(fill(c.docs.join('---\n')).cluster.config.cni).toBe(c.cni);
    });
  }
});

describe('inferConfig: subnets, cluster DNS and domain follow the dump', () => {
  it('kube-dns at 169.254.20.10 (allocated): no range error, and pods ask 169.254.20.10', () => {
    const { cluster, issues } = fill([allocated('kube-system', 'kube-dns', ['169.254.20.10']), runningPod('shop', 'web', 'n1', '10.244.0.5', '172.18.0.2')].join('---\n'));
    expect(problems(issues)).toEqual([]);
    expect(resolvConfOf(cluster, pod(cluster, 'shop', 'web')).conf.nameservers).toEqual(['169.254.20.10']);
    expect(service(cluster, 'kube-system', 'kube-dns').clusterIPs).toEqual(['169.254.20.10']);
  });

  it('an IPv6 cluster: kube-dns fd00:10:96::a, kubernetes fd00:10:96::1 -> an IPv6 service subnet, new Services get IPv6', () => {
    const { cluster, issues } = fill([
      allocated('default', 'kubernetes', ['fd00:10:96::1']), allocated('kube-system', 'kube-dns', ['fd00:10:96::a']),
      'apiVersion: v1\nkind: Service\nmetadata: {name: new, namespace: shop}\nspec: {ports: [{port: 80}]}\n',
    ].join('---\n'));
    expect(problems(issues)).toEqual([]);
    expect(cluster.config.serviceSubnets.map((c) => c.text)).toEqual(['fd00:10:96::/108']);
    expect(cluster.config.clusterDNS).toEqual(['fd00:10:96::a']);
    expect(service(cluster, 'shop', 'new').clusterIPs[0]).toMatch(/^fd00:10:96::/);
  });

  it('a manifest\'s wished clusterIP outside the range is still refused, as the API server refuses it', () => {
    const { issues } = fill('apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {clusterIP: 10.0.0.5, ports: [{port: 80}]}\n');
    expect(rendered(issues, 'cluster-ip-out-of-range')).toHaveLength(1);
  });

  it('an allocated ClusterIP outside the serviceSubnet a Cluster object states: a note, never "not in the valid range"', () => {
    const { issues } = fill([clusterConfig('networking: {serviceSubnet: 10.96.0.0/12}'), allocated('shop', 'web', ['10.200.4.7'])].join('---\n'));
    expect(problems(issues)).toEqual([]);
    expect(rendered(issues, 'cluster-ip-outside-stated-range')).toEqual([
      'info: cluster-ip-outside-stated-range: ClusterIP 10.200.4.7 is outside the Cluster object\'s serviceSubnet 10.96.0.0/12; the API server already allocated it, so knet keeps it',
    ]);
  });

  it('the cluster domain from the Corefile\'s kubernetes zone', () => {
    const corefile = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: coredns, namespace: kube-system}\ndata:\n  Corefile: |\n    .:53 {\n        kubernetes corp.internal in-addr.arpa ip6.arpa {\n           pods insecure\n        }\n        forward . /etc/resolv.conf\n    }\n';
    const { cluster } = fill([corefile, runningPod('shop', 'web', 'n1', '10.244.0.5', '172.18.0.2')].join('---\n'));
    expect(cluster.config.clusterDomain).toBe('corp.internal');
    expect(resolvConfOf(cluster, pod(cluster, 'shop', 'web')).conf.searches).toEqual(['shop.svc.corp.internal', 'svc.corp.internal', 'corp.internal']);
  });

  it('the cluster domain from a pod\'s own search path, when there is no Corefile', () => {
    const { cluster } = fill(runningPod('shop', 'web', 'n1', '10.244.0.5', '172.18.0.2', '\n  dnsConfig: {searches: [shop.svc.k8s.example]}'));
    expect(cluster.config.clusterDomain).toBe('k8s.example');
  });

  it('a calico dump without IPPool: the pod subnet covers the pods, apart from the nodes; no podCIDR warning', () => {
    const node = (name: string, cidr: string, ip: string): string => `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}}\nspec: {podCIDR: ${cidr}}\nstatus: {addresses: [{type: InternalIP, address: ${ip}}]}\n`;
    const { cluster, issues } = fill([node('w1', '10.244.1.0/24', '10.10.0.12'), node('w2', '10.244.2.0/24', '10.10.0.13'),
      runningPod('shop', 'a', 'w1', '192.168.171.66', '10.10.0.12'), runningPod('shop', 'b', 'w2', '192.168.36.5', '10.10.0.13')].join('---\n'));
    expect(problems(issues)).toEqual([]);
    expect([cluster.config.cni, cluster.config.podSubnet.text, cluster.config.nodeSubnet.text]).toEqual(['calico', '192.168.0.0/16', '10.10.0.0/16']);
  });
});

describe('default/kubernetes: the API server\'s own endpoints', () => {
  it('a dump\'s Service without EndpointSlice -> the control-plane node\'s InternalIP on the Service\'s targetPort', () => {
    const node = (name: string, ip: string, labels: string): string => `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}, labels: {${labels}}}\nspec: {podCIDR: 10.244.${ip.slice(-1)}.0/24}\nstatus: {addresses: [{type: InternalIP, address: ${ip}}]}\n`;
    const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, namespace: default, uid: 0c9d8e7f-1a2b-4c3d-8e9f-0a1b2c3d4e5f}\nspec: {clusterIP: 10.96.0.1, ports: [{name: https, port: 443, targetPort: 6443}]}\n';
    const { cluster } = fill([node('worker', '10.10.0.12', 'role: worker'), node('cp', '10.10.0.11', 'node-role.kubernetes.io/control-plane: ""'), svc].join('---\n'));
    expect(slicesOf(cluster, 'default', 'kubernetes').map(sliceView)).toEqual([{ ports: ['https=6443/TCP'], endpoints: ['10.10.0.11:6443 ready=true serving=true terminating=false'] }]);
  });
});
