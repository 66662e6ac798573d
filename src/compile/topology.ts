// Decides which Linux objects a cluster's network is made of, per CNI mode (DESIGN.md
// "Network modes", research/dataplane.md §2 and §8.3): a fabric namespace standing for the
// datacenter (br-nodes to every node, br-inet to the "internet"), a namespace per node and
// per pod, and in the nodes what calico, flannel, Azure CNI or kubenet would have installed.
import type { Cluster } from '../cluster/fill-in.js';
import { calicoRoutes, type CalicoRoutes } from '../cluster/ipam.js';
import { ACME_SERVER_ADDRESS } from '../core/certs/acme-server.js';
import { cidrContains, nthAddress, parseCidr, type Cidr, type IP } from '../model/ip.js';
import { refOf, type ClusterConfig, type Node, type Pod, type Ref } from '../model/types.js';
import { masqueradeRuleset, MASQ_TABLE } from './masquerade.js';
import { clusterFirstResolvConf, nodeHostsFile, podHostsFile } from './pod-files.js';
import type { Link, VethPeer, NetnsFile, NetnsPlan, NetnsRole, NftRuleset, PodPlacement, SkippedPod, Sysctl, TopologyPlan } from './topology-plan.js';
import {
  CALICO_HOST_MAC, checkClusterName, fabricNetns, hexHash, inetNetns, macFor, nodeNetns, podNetns,
} from './topology-names.js';

export type TopologyInput = Pick<Cluster, 'config' | 'nodes' | 'pods'>;

export interface TopologyOptions {
  /** A pod's /etc/resolv.conf; core/dns supplies the real one (dnsPolicy, dnsConfig). */
  readonly resolvConf?: (pod: Pod) => string;
}

/** The simulated outside world (TEST-NET-3): the fabric's gateway, upstream DNS, a client. */
export const INTERNET = {
  subnet: parseCidr('203.0.113.0/24')!,
  gateway: '203.0.113.1' as IP,
  upstreamDns: '203.0.113.53' as IP,
  client: '203.0.113.100' as IP,
  /** The ACME server (Pebble), where Let's Encrypt's names resolve (core/certs/acme-server.ts). */
  acme: ACME_SERVER_ADDRESS,
};

/** Calico, AWS and Azure point a pod's default route at this address no interface holds. */
export const POD_GATEWAY = '169.254.1.1' as IP;

/** Flannel's VXLAN backend defaults: VNI 1, the Linux kernel's port 8472, MTU - 50. */
const FLANNEL = { device: 'flannel.1', vni: 1, port: 8472, mtu: 1450 };

interface Draft {
  name: string;
  role: NetnsRole;
  owner: string;
  links: Link[];
  up: string[];
  addresses: NetnsPlan['addresses'][number][];
  routes: NetnsPlan['routes'][number][];
  neighbours: NetnsPlan['neighbours'][number][];
  fdb: NetnsPlan['fdb'][number][];
  sysctls: Sysctl[];
}

function draft(name: string, role: NetnsRole, owner: string): Draft {
  return { name, role, owner, links: [], up: ['lo'], addresses: [], routes: [], neighbours: [], fdb: [], sysctls: [] };
}

const sysctl = (key: string, value: string | number, ...devSegments: string[]): Sysctl => {
  // `key` is dotted with '%' where an interface name goes: net.ipv4.conf.%.proxy_arp.
  let d = 0;
  return { path: key.split('.').map((s) => (s === '%' ? devSegments[d++]! : s)), value: String(value) };
};

interface NodeInfo {
  readonly node: Node;
  readonly index: number;
  readonly netns: string;
  readonly ip: IP;
  readonly podCIDR: Cidr | null; // IPv4; azure: none (pods come from the VNet's pod subnet)
  readonly vtepMac: string;
}

interface PodInfo {
  readonly pod: Pod;
  readonly ref: Ref;
  readonly ip: IP;
  readonly hash: string;
  readonly netns: string;
  readonly node: NodeInfo;
}

export function planTopology(cluster: TopologyInput, name: string, options: TopologyOptions = {}): TopologyPlan {
  checkClusterName(name);
  const config = cluster.config;
  const mode = config.cni;
  const skipped: SkippedPod[] = [];
  const nodeSubnet = config.nodeSubnet;
  const gateway = nthAddress(nodeSubnet, 1n)!;

  const nodes: NodeInfo[] = [];
  cluster.nodes.forEach((node, index) => {
    const ip = node.internalIPs.find((a) => !a.includes(':'));
    if (!ip) return;
    const podCIDR = mode === 'azure' ? null : node.podCIDRs.find((c) => c.family === 4) ?? null;
    nodes.push({ node, index, netns: nodeNetns(name, index), ip, podCIDR, vtepMac: macFor(`${name}/${node.meta.name}/vtep`) });
  });
  const nodeByName = new Map(nodes.map((n) => [n.node.meta.name, n]));

  const placements: PodPlacement[] = [];
  const pods = placePods(cluster.pods, nodeByName, name, mode, placements, skipped);

  const fabric = draft(fabricNetns(name), 'fabric', '');
  const inet = draft(inetNetns(name), 'inet', '');
  const nodeDrafts = nodes.map((n) => draft(n.netns, 'node', n.node.meta.name));
  const podDrafts = pods.map((p) => draft(p.netns, 'pod', p.ref));

  planFabric(fabric, inet, nodes, config, name, gateway);
  const calico = mode === 'calico' ? calicoRoutes(cluster.nodes, pods.map((p) => p.pod)) : null;
  nodes.forEach((n, i) => planNode(nodeDrafts[i]!, n, nodes, config, name, gateway, calico));
  const draftOfNode = new Map(nodes.map((n, i) => [n.netns, nodeDrafts[i]!]));
  pods.forEach((p, i) => planPod(podDrafts[i]!, draftOfNode.get(p.node.netns)!, p, mode));

  const resolvConf = options.resolvConf ?? ((pod: Pod) => clusterFirstResolvConf(pod, config));
  const files: NetnsFile[] = [
    { netns: inet.name, name: 'resolv.conf', content: `nameserver ${INTERNET.upstreamDns}\n` },
  ];
  for (const n of nodes) {
    files.push({ netns: n.netns, name: 'resolv.conf', content: n.node.resolvConf || config.defaultResolvConf });
    files.push({ netns: n.netns, name: 'hosts', content: nodeHostsFile(n.node) });
  }
  for (const p of pods) {
    files.push({ netns: p.netns, name: 'resolv.conf', content: resolvConf(p.pod) });
    files.push({ netns: p.netns, name: 'hosts', content: podHostsFile(p.pod, config.clusterDomain) });
  }

  const masq = masqueradeRuleset([
    { cidr: config.podSubnet, what: 'pods' },
    ...config.serviceSubnets.map((cidr) => ({ cidr, what: 'services' })),
    { cidr: nodeSubnet, what: 'nodes' },
  ]);
  const nft: NftRuleset[] = nodes.map((n) => ({ netns: n.netns, table: MASQ_TABLE, text: masq }));

  return {
    cluster: name, mode,
    namespaces: [fabric, inet, ...nodeDrafts, ...podDrafts],
    files, nft, pods: placements, skipped,
  };
}

/** Pods that get a namespace (or share their node's); the rest are skipped with the reason. */
function placePods(
  all: readonly Pod[], nodeByName: ReadonlyMap<string, NodeInfo>, name: string, mode: ClusterConfig['cni'],
  placements: PodPlacement[], skipped: SkippedPod[],
): PodInfo[] {
  const out: PodInfo[] = [];
  const usedNetns = new Set<string>();
  const usedIPs = new Map<string, Ref>();
  for (const pod of all) {
    const ref = refOf(pod.meta.namespace, pod.meta.name);
    const node = nodeByName.get(pod.spec.nodeName);
    if (!node) {
      skipped.push({ pod: ref, reason: pod.spec.nodeName ? `node ${pod.spec.nodeName} is not in the topology` : 'not scheduled' });
      continue;
    }
    if (pod.spec.hostNetwork) {
      placements.push({ pod: ref, node: node.node.meta.name, netns: node.netns, ips: [node.ip], hostNetwork: true });
      continue;
    }
    if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') {
      skipped.push({ pod: ref, reason: `phase ${pod.status.phase}: its sandbox is gone` });
      continue;
    }
    const ip = pod.status.podIPs.find((a) => !a.includes(':'));
    if (!ip) {
      skipped.push({ pod: ref, reason: 'no IPv4 pod address' });
      continue;
    }
    const owner = usedIPs.get(ip);
    if (owner) {
      skipped.push({ pod: ref, reason: `pod IP ${ip} is already pod ${owner}'s` });
      continue;
    }
    // Bridge modes give the pod the node's subnet and its gateway: an address outside it has no route.
    if ((mode === 'flannel' || mode === 'kubenet') && (!node.podCIDR || !cidrContains(node.podCIDR, ip))) {
      skipped.push({ pod: ref, reason: `pod IP ${ip} is outside node ${node.node.meta.name}'s podCIDR ${node.podCIDR?.text ?? '(none)'}` });
      continue;
    }
    // Hash collisions of the 8-hex prefix are rare; rehash deterministically when one happens.
    let hash = hexHash(ref);
    for (let n = 1; usedNetns.has(podNetns(name, hash)); n++) hash = hexHash(`${ref}#${n}`);
    const netns = podNetns(name, hash);
    usedNetns.add(netns);
    usedIPs.set(ip, ref);
    placements.push({ pod: ref, node: node.node.meta.name, netns, ips: [ip], hostNetwork: false });
    out.push({ pod, ref, ip, hash, netns, node });
  }
  return out;
}

function planFabric(fabric: Draft, inet: Draft, nodes: readonly NodeInfo[], config: ClusterConfig, name: string, gateway: IP): void {
  const nodeSubnet = config.nodeSubnet;
  fabric.links.push({ kind: 'bridge', name: 'br-nodes', mac: macFor(`${name}/br-nodes`) });
  fabric.links.push({ kind: 'bridge', name: 'br-inet', mac: macFor(`${name}/br-inet`) });
  fabric.links.push(veth('inet0', 'br-inet', { name: 'eth0', netns: inet.name, mac: null, mtu: null }));
  for (const n of nodes) fabric.links.push(veth(`node${n.index + 1}`, 'br-nodes', { name: 'eth0', netns: n.netns, mac: null, mtu: null }));
  fabric.up.push('br-nodes', 'br-inet', 'inet0', ...nodes.map((n) => `node${n.index + 1}`));
  fabric.addresses.push({ dev: 'br-nodes', cidr: `${gateway}/${nodeSubnet.prefix}` });
  fabric.addresses.push({ dev: 'br-inet', cidr: `${INTERNET.gateway}/${INTERNET.subnet.prefix}` });
  for (const n of nodes) {
    // A dump's node outside the node subnet is still reached on the bridge.
    if (!cidrContains(nodeSubnet, n.ip)) fabric.routes.push({ kind: 'dev', dst: `${n.ip}/32`, dev: 'br-nodes', scopeLink: true });
  }
  if (config.cni === 'kubenet') {
    // kubenet: the cloud's route controller programs `podCIDR via node` in the VPC router.
    for (const n of nodes) if (n.podCIDR) fabric.routes.push({ kind: 'via', dst: n.podCIDR.text, via: n.ip, dev: 'br-nodes', onlink: false });
  }
  if (config.cni === 'azure') {
    // Azure: pod addresses belong to the VNet; the owning node answers ARP for them.
    fabric.routes.push({ kind: 'dev', dst: config.podSubnet.text, dev: 'br-nodes', scopeLink: true });
  }
  fabric.sysctls.push(sysctl('net.ipv4.ip_forward', 1));
  // A VPC router forwards between hosts on one subnet without telling them to go direct
  // (kubenet relies on it: every cross-node packet goes through the route table).
  fabric.sysctls.push(sysctl('net.ipv4.conf.all.send_redirects', 0), sysctl('net.ipv4.conf.%.send_redirects', 0, 'br-nodes'));

  inet.up.push('eth0');
  inet.addresses.push({ dev: 'eth0', cidr: `${INTERNET.upstreamDns}/${INTERNET.subnet.prefix}` });
  inet.addresses.push({ dev: 'eth0', cidr: `${INTERNET.client}/${INTERNET.subnet.prefix}` });
  inet.addresses.push({ dev: 'eth0', cidr: `${INTERNET.acme}/${INTERNET.subnet.prefix}` });
  inet.routes.push({ kind: 'via', dst: 'default', via: INTERNET.gateway, dev: 'eth0', onlink: false });
}

function planNode(d: Draft, n: NodeInfo, nodes: readonly NodeInfo[], config: ClusterConfig, name: string, gateway: IP, calico: CalicoRoutes | null): void {
  const inSubnet = cidrContains(config.nodeSubnet, n.ip);
  d.up.push('eth0');
  d.addresses.push({ dev: 'eth0', cidr: `${n.ip}/${inSubnet ? config.nodeSubnet.prefix : 32}` });
  if (!inSubnet) d.routes.push({ kind: 'dev', dst: gateway, dev: 'eth0', scopeLink: true });
  d.routes.push({ kind: 'via', dst: 'default', via: gateway, dev: 'eth0', onlink: false });
  d.sysctls.push(
    sysctl('net.ipv4.ip_forward', 1),
    sysctl('net.ipv4.conf.all.rp_filter', 0),
    sysctl('net.ipv4.conf.default.rp_filter', 0),
  );
  const remotes = nodes.filter((r) => r !== n);
  switch (config.cni) {
    case 'calico':
      // Felix: a blackhole for the node's own block; BIRD: every other block via its node.
      // A dump's pods may live in blocks of an IP pool outside the podCIDRs, and borrow
      // addresses from blocks other nodes hold: those get a /32 via their node, which wins.
      if (n.podCIDR) d.routes.push({ kind: 'blackhole', dst: n.podCIDR.text });
      for (const b of v4Blocks(calico, n)) d.routes.push({ kind: 'blackhole', dst: b });
      for (const r of remotes) {
        if (r.podCIDR) d.routes.push({ kind: 'via', dst: r.podCIDR.text, via: r.ip, dev: 'eth0', onlink: false });
        for (const b of v4Blocks(calico, r)) d.routes.push({ kind: 'via', dst: b, via: r.ip, dev: 'eth0', onlink: false });
        for (const ip of calico?.borrowed.get(r.node.meta.name) ?? []) {
          if (!ip.includes(':')) d.routes.push({ kind: 'via', dst: `${ip}/32`, via: r.ip, dev: 'eth0', onlink: false });
        }
      }
      break;
    case 'flannel': {
      bridgeNode(d, n, 'cni0', name);
      d.links.push({
        kind: 'vxlan', name: FLANNEL.device, mac: n.vtepMac, mtu: FLANNEL.mtu, vni: FLANNEL.vni,
        local: n.ip, dev: 'eth0', dstport: FLANNEL.port, learning: false,
      });
      d.up.push(FLANNEL.device);
      // The VTEP holds the network address of the node's subnet as a /32 (no subnet route).
      if (n.podCIDR) d.addresses.push({ dev: FLANNEL.device, cidr: `${nthAddress(n.podCIDR, 0n)}/32` });
      for (const r of remotes) {
        if (!r.podCIDR) continue;
        const vtep = nthAddress(r.podCIDR, 0n)!;
        d.routes.push({ kind: 'via', dst: r.podCIDR.text, via: vtep, dev: FLANNEL.device, onlink: true });
        d.neighbours.push({ dev: FLANNEL.device, ip: vtep, mac: r.vtepMac });
        d.fdb.push({ dev: FLANNEL.device, mac: r.vtepMac, dst: r.ip });
      }
      d.sysctls.push(sysctl('net.bridge.bridge-nf-call-iptables', 1));
      break;
    }
    case 'azure':
      // The VNet delivers pod addresses: they are on-link on eth0, and this node answers
      // ARP for its own pods (proxy ARP; no delay, or the first packet waits up to 0.5 s).
      d.routes.push({ kind: 'dev', dst: config.podSubnet.text, dev: 'eth0', scopeLink: true });
      d.sysctls.push(sysctl('net.ipv4.conf.%.proxy_arp', 1, 'eth0'), sysctl('net.ipv4.neigh.%.proxy_delay', 0, 'eth0'));
      break;
    case 'kubenet':
      // Routes between nodes live in the fabric (the cloud's route table), not here.
      bridgeNode(d, n, 'cbr0', name);
      d.sysctls.push(sysctl('net.bridge.bridge-nf-call-iptables', 1));
      break;
  }
}

function v4Blocks(calico: CalicoRoutes | null, n: NodeInfo): string[] {
  return (calico?.blocks.get(n.node.meta.name) ?? []).filter((b) => b.family === 4).map((b) => b.text);
}

function bridgeNode(d: Draft, n: NodeInfo, bridge: string, name: string): void {
  d.links.push({ kind: 'bridge', name: bridge, mac: macFor(`${name}/${n.node.meta.name}/${bridge}`) });
  d.up.push(bridge);
  // The bridge plugin's isGateway: the first address of the node's range.
  if (n.podCIDR) d.addresses.push({ dev: bridge, cidr: `${nthAddress(n.podCIDR, 1n)}/${n.podCIDR.prefix}` });
}

function planPod(d: Draft, node: Draft, p: PodInfo, mode: ClusterConfig['cni']): void {
  d.up.push('eth0');
  switch (mode) {
    case 'calico': {
      // Calico's CNI plugin: cali + 11 hex, MAC ee:ee:ee:ee:ee:ee, proxy ARP answers 169.254.1.1.
      const host = `cali${p.hash.slice(0, 11)}`;
      node.links.push(veth(host, null, { name: 'eth0', netns: p.netns, mac: null, mtu: null }, CALICO_HOST_MAC));
      node.up.push(host);
      node.routes.push({ kind: 'dev', dst: `${p.ip}/32`, dev: host, scopeLink: true });
      node.sysctls.push(sysctl('net.ipv4.conf.%.proxy_arp', 1, host), sysctl('net.ipv4.neigh.%.proxy_delay', 0, host));
      d.addresses.push({ dev: 'eth0', cidr: `${p.ip}/32` });
      d.routes.push({ kind: 'dev', dst: POD_GATEWAY, dev: 'eth0', scopeLink: true });
      d.routes.push({ kind: 'via', dst: 'default', via: POD_GATEWAY, dev: 'eth0', onlink: false });
      break;
    }
    case 'azure': {
      // Azure CNI transparent mode: azv + 11 hex, /32 route to the pod, and in the pod a
      // static ARP entry for 169.254.1.1 -> the host veth's MAC.
      const host = `azv${p.hash.slice(0, 11)}`;
      const mac = macFor(`${p.netns}/${host}`);
      node.links.push(veth(host, null, { name: 'eth0', netns: p.netns, mac: null, mtu: null }, mac));
      node.up.push(host);
      node.routes.push({ kind: 'dev', dst: `${p.ip}/32`, dev: host, scopeLink: true });
      node.sysctls.push(sysctl('net.ipv4.conf.%.proxy_arp', 1, host), sysctl('net.ipv4.neigh.%.proxy_delay', 0, host));
      d.addresses.push({ dev: 'eth0', cidr: `${p.ip}/32` });
      d.routes.push({ kind: 'dev', dst: POD_GATEWAY, dev: 'eth0', scopeLink: true });
      d.routes.push({ kind: 'via', dst: 'default', via: POD_GATEWAY, dev: 'eth0', onlink: false });
      d.neighbours.push({ dev: 'eth0', ip: POD_GATEWAY, mac });
      break;
    }
    case 'flannel':
    case 'kubenet': {
      // The CNI bridge plugin: veth + 8 hex on the node bridge, hairpin on; the pod gets the
      // node's subnet and its default route via the bridge's address.
      const bridge = mode === 'flannel' ? 'cni0' : 'cbr0';
      const mtu = mode === 'flannel' ? FLANNEL.mtu : null;
      const host = `veth${p.hash.slice(0, 8)}`;
      const cidr = p.node.podCIDR!;
      node.links.push(veth(host, bridge, { name: 'eth0', netns: p.netns, mac: null, mtu }, null, mtu, true));
      node.up.push(host);
      d.addresses.push({ dev: 'eth0', cidr: `${p.ip}/${cidr.prefix}` });
      d.routes.push({ kind: 'via', dst: 'default', via: nthAddress(cidr, 1n)!, dev: 'eth0', onlink: false });
      break;
    }
  }
}

function veth(name: string, master: string | null, peer: VethPeer, mac: string | null = null, mtu: number | null = null, hairpin = false): Link {
  return { kind: 'veth', name, mac, mtu, master, hairpin, peer };
}
