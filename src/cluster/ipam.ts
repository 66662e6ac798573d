// Pod addresses with host-local's rules: each node hands out its podCIDR from .2 upward
// (network, gateway .1 and broadcast are never a pod's); azure mode hands out the VNet
// pod subnet in per-node blocks, skipping the 4 addresses Azure reserves. Addresses a dump
// already states are kept and checked: duplicates, and addresses outside the node's range
// where the mode routes by podCIDR (flannel, kubenet; Calico and VNet CNIs do not).
import type { Issue } from '../model/issue.js';
import { cidrContains, cidrOf, cidrsOverlap, familyOf, ipToBigInt, nthAddress, nthSubnet, type Cidr, type IP } from '../model/ip.js';
import type { ClusterConfig, Node, Pod } from '../model/types.js';
import { routesByPodCIDR, statesField } from './infer-config.js';
import { issueAt } from './issues.js';
import { compareText } from '../model/order.js';

interface Pool {
  readonly node: Node;
  readonly range: Cidr | null;
  readonly firstOffset: bigint;
  next: bigint;
  readonly used: Set<string>;
}

/** The range a node hands pod addresses out of, and the first offset in it. */
export function nodePodRange(config: ClusterConfig, node: Node, nodeIndex: number): { range: Cidr | null; firstOffset: bigint } {
  if (config.cni === 'azure') {
    return { range: nthSubnet(config.podSubnet, config.nodeCidrMaskSize, nodeIndex) ?? null, firstOffset: 4n };
  }
  return { range: node.podCIDRs.find((c) => c.family === config.podSubnet.family) ?? node.podCIDRs[0] ?? null, firstOffset: 2n };
}

export function assignPodIPs(
  config: ClusterConfig,
  pods: readonly Pod[],
  nodeNames: readonly string[],
  nodes: readonly Node[],
  issues: Issue[],
): Pod[] {
  const pools = new Map<string, Pool>();
  nodes.forEach((node, i) => {
    const { range, firstOffset } = nodePodRange(config, node, i);
    pools.set(node.meta.name, { node, range, firstOffset, next: firstOffset, used: new Set() });
  });
  const owners = new Map<string, Pod>();
  const out: Pod[] = new Array(pods.length);

  // Pass 1: what the input states. A finished pod's address is free again (the CNI released
  // it with the sandbox), so a dump may show it on a running pod too.
  pods.forEach((pod, i) => {
    const nodeName = nodeNames[i]!;
    const pool = pools.get(nodeName);
    if (pod.spec.hostNetwork || pod.status.podIPs.length === 0 || isTerminal(pod)) return;
    for (const ip of pod.status.podIPs) {
      const prev = owners.get(ip);
      if (prev) {
        issues.push(issueAt(pod, ['status', 'podIP'], 'duplicate-pod-ip', 'error',
          `pod IP ${ip} is also the IP of pod ${prev.meta.namespace}/${prev.meta.name}: every pod needs its own address (Kubernetes networking rule 1)`,
          'two pods with one address means the IPAM state was corrupted or two nodes share a podCIDR; give each node its own podCIDR'));
      } else owners.set(ip, pod);
      // Calico's blocks and the VNet/VPC CNIs' addresses need not lie in the node's podCIDR:
      // only where routes go by podCIDR does an address outside it break anything.
      if (routesByPodCIDR(config.cni) && pool?.range && cidrContains(pool.range, ip) === false) {
        issues.push(outsideNodeRange(pod, ip, pool.node, nodes, config));
      }
      pool?.used.add(ip);
    }
  });

  // Pass 2: allocate the rest.
  pods.forEach((pod, i) => {
    const nodeName = nodeNames[i]!;
    const pool = pools.get(nodeName);
    const terminal = isTerminal(pod);
    // A pod whose status says Pending and gives no address has none yet: the dump is the truth.
    const statedWithout = pod.status.phase === 'Pending' && pod.raw !== null;
    let podIPs = pod.status.podIPs;
    let hostIP: IP | '' = pod.status.hostIP;
    if (pool) hostIP = hostIP || pool.node.internalIPs[0] || '';
    if (!pool) {
      out[i] = { ...pod, spec: { ...pod.spec, nodeName }, status: { ...pod.status, phase: pod.status.phase || 'Pending', ready: false } };
      return;
    }
    if (pod.spec.hostNetwork) {
      podIPs = pool.node.internalIPs.slice(0, 1);
    } else if (podIPs.length === 0 && !terminal && !statedWithout) {
      const ip = allocate(pool);
      if (!ip) {
        issues.push(issueAt(pod, [], 'ip-exhausted', 'error',
          `node ${nodeName} has no free pod address left in ${pool.range?.text ?? 'its range'}: the pod stays in ContainerCreating`,
          `use a larger node mask (networking.nodeCidrMaskSize) or spread pods over more nodes`));
      } else {
        podIPs = [ip];
        pool.used.add(ip);
      }
    }
    const phase = pod.status.phase || (podIPs.length > 0 ? 'Running' : 'Pending');
    // Pods are Ready unless their status says otherwise.
    const ready = phase === 'Running' ? pod.status.ready ?? true : false;
    out[i] = { ...pod, spec: { ...pod.spec, nodeName }, status: { phase, podIPs, hostIP, ready } };
  });
  return out;
}

function isTerminal(pod: Pod): boolean {
  return pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
}

/** In a mode that routes by podCIDR: where packets for the address go instead, and so what breaks. */
export function outsideNodeRange(pod: Pod, ip: IP, node: Node, nodes: readonly Node[], config: ClusterConfig): Issue {
  const own = node.podCIDRs.map((c) => c.text).join(', ') || '(none)';
  const holder = nodes.find((n) => n !== node && n.podCIDRs.some((c) => cidrContains(c, ip)));
  const range = holder?.podCIDRs.find((c) => cidrContains(c, ip));
  const breaks = holder && range
    ? `the route to ${range.text} goes to ${holder.meta.name}, so packets for this pod from other nodes go to the wrong node`
    : `no node's podCIDR holds it, so no route leads to it and pods on other nodes cannot reach it`;
  // Stated by the Cluster object, the mode is certain and so is the loss: an error. Inferred
  // from the dump (kube-flannel pods), a warning: the input may not say everything.
  const severity = statesField(config, 'networking', 'cni') ? 'error' : 'warning';
  return issueAt(pod, ['status', 'podIP'], 'pod-ip-outside-node-cidr', severity,
    `pod IP ${ip} is outside the podCIDR ${own} of its node ${node.meta.name} (${config.cni} routes by podCIDR): ${breaks}`,
    `the CNI on ${node.meta.name} must allocate from ${own}: check its IPAM configuration, then recreate the pod`);
}

function allocate(pool: Pool): IP | undefined {
  if (!pool.range) return undefined;
  const size = pool.range.last - pool.range.first;
  // host-local: round-robin from the last reserved address; never network, .1 or broadcast.
  while (pool.next < size) {
    const ip = nthAddress(pool.range, pool.next)!;
    pool.next++;
    if (!pool.used.has(ip)) return ip;
  }
  return undefined;
}

/** Where Calico routes a node's pods: blocks of its IP pool the node holds, and addresses it borrowed. */
export interface CalicoRoutes {
  /** node -> the blocks it holds outside its podCIDR (BIRD announces them; Felix blackholes them locally). */
  readonly blocks: ReadonlyMap<string, readonly Cidr[]>;
  /** node -> the addresses its pods took from blocks other nodes hold (a /32 each, which wins over the block). */
  readonly borrowed: ReadonlyMap<string, readonly IP[]>;
}

/** Calico IPAM's block size: /26 for IPv4, /122 for IPv6 (the IPPool's default blockSize). */
export function calicoBlockOf(ip: IP): Cidr {
  return familyOf(ip) === 4 ? cidrOf(ipToBigInt(ip), 26, 4) : cidrOf(ipToBigInt(ip), 122, 6);
}

/**
 * Calico's routes for a cluster's stated pod addresses. An address in its node's podCIDR is
 * routed with that range. Otherwise its block is held by the node whose podCIDR contains it,
 * else by the node with the most pods in it (ties: the first by name); a pod on another node
 * borrowed its address, and Calico routes it alone, as a /32 to that node.
 */
export function calicoRoutes(nodes: readonly Node[], pods: readonly Pod[]): CalicoRoutes {
  const byName = new Map(nodes.map((n) => [n.meta.name, n]));
  interface BlockUse { readonly block: Cidr; readonly count: Map<string, number>; readonly members: { node: string; ip: IP }[] }
  const perBlock = new Map<string, BlockUse>();
  for (const pod of pods) {
    const node = byName.get(pod.spec.nodeName);
    if (!node || pod.spec.hostNetwork || isTerminal(pod)) continue;
    for (const ip of pod.status.podIPs) {
      if (node.podCIDRs.some((c) => cidrContains(c, ip))) continue;
      const block = calicoBlockOf(ip);
      const entry: BlockUse = perBlock.get(block.text) ?? { block, count: new Map<string, number>(), members: [] };
      entry.count.set(node.meta.name, (entry.count.get(node.meta.name) ?? 0) + 1);
      entry.members.push({ node: node.meta.name, ip });
      perBlock.set(block.text, entry);
    }
  }
  const blocks = new Map<string, Cidr[]>();
  const borrowed = new Map<string, IP[]>();
  for (const { block, count, members } of [...perBlock.values()].sort((a, b) => (a.block.first < b.block.first ? -1 : 1))) {
    const ranged = nodes.find((n) => n.podCIDRs.some((c) => cidrsOverlap(c, block)));
    const holder = ranged?.meta.name ?? [...count.entries()].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))[0]![0];
    if (!ranged) blocks.set(holder, [...(blocks.get(holder) ?? []), block]);
    for (const m of members) if (m.node !== holder) borrowed.set(m.node, [...(borrowed.get(m.node) ?? []), m.ip]);
  }
  return { blocks, borrowed };
}
