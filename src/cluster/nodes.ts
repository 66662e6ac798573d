// Nodes as the control plane completes them: from Node objects, else Cluster.nodes, else
// N nodes; a podCIDR each (kube-controller-manager's range allocator) and an InternalIP.
import type { Issue } from '../model/issue.js';
import { cidrContains, cidrOf, cidrsOverlap, familyOf, ipToBigInt, nthAddress, nthSubnet, parseCidr, type Cidr, type IP } from '../model/ip.js';
import type { ClusterConfig, Meta, Node, Pod } from '../model/types.js';
import { stableUid } from './naming.js';
import { routesByPodCIDR, statesField } from './infer-config.js';
import { issueAt } from './issues.js';

export function defaultNodeLabels(name: string): Record<string, string> {
  return { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' };
}

/**
 * Nodes come from Node objects, else Cluster.nodes, else an explicit Cluster nodeCount, else
 * the node names a dump's pods are bound to (`kubectl get pods -A -o yaml` lists no nodes),
 * else the default nodeCount.
 * A node with no podCIDR whose bound pods already have addresses gets the block that holds
 * them (a dump without Node objects still says where each node's pods live).
 */
export function fillNodes(config: ClusterConfig, given: readonly Node[], issues: Issue[], boundPods: readonly Pod[] = []): Node[] {
  const nodes: Node[] = given.length > 0 ? [...given] : nodesFromConfig(config, boundPods, issues);
  const perNodeResolv = new Map(config.nodes.map((n) => [n.name, n.resolvConf]));

  // podCIDRs: honour what is given, check it, then hand out free /24s in order.
  const assignsPodCIDRs = config.cni !== 'azure';
  const podSubnetStated = statesField(config, 'networking', 'podSubnet') && routesByPodCIDR(config.cni);
  const taken: Cidr[] = [];
  nodes.forEach((n) => {
    for (const c of n.podCIDRs) {
      // Only a range the Cluster object states can be contradicted, and only where pods take
      // their addresses from the podCIDR (Calico's pools and VNet CNIs ignore it).
      if (podSubnetStated && c.family === config.podSubnet.family && !cidrsOverlap(c, config.podSubnet)) {
        issues.push(issueAt(n, ['spec', 'podCIDR'], 'pod-cidr-outside-subnet', 'warning',
          `podCIDR ${c.text} is outside the cluster's pod subnet ${config.podSubnet.text}`,
          'set networking.podSubnet in the Cluster object to the range the cluster really uses'));
      }
      const clash = taken.find((t) => cidrsOverlap(t, c));
      if (clash) {
        const other = nodes.find((o) => o.podCIDRs.includes(clash));
        issues.push(issueAt(n, ['spec', 'podCIDR'], 'pod-cidr-overlap', 'error',
          `podCIDR ${c.text} overlaps ${clash.text} of node ${other?.meta.name ?? '?'}: pods on these nodes get clashing addresses and cross-node routes are ambiguous`,
          'give every node its own podCIDR (kube-controller-manager --allocate-node-cidrs does this)'));
      }
      taken.push(c);
    }
  });
  // Blocks the pods of a node already live in, for nodes the input gives no podCIDR: where
  // host-local IPAM is plausible (all of the node's pods in one block no other node uses).
  const evident = new Map<string, Cidr>();
  const occupied = new Map<string, Set<string>>(); // block -> nodes whose pods live in it
  const blockOf = (ip: IP): Cidr => cidrOf(ipToBigInt(ip), config.nodeCidrMaskSize, config.podSubnet.family);
  const addressed = boundPods.filter((p) => !p.spec.hostNetwork && p.spec.nodeName !== '' && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed');
  if (assignsPodCIDRs && config.nodeCidrMaskSize >= config.podSubnet.prefix) {
    for (const p of addressed) {
      for (const ip of p.status.podIPs) {
        if (familyOf(ip) !== config.podSubnet.family) continue;
        const key = blockOf(ip).text;
        occupied.set(key, (occupied.get(key) ?? new Set()).add(p.spec.nodeName));
      }
    }
    const bare = new Set(nodes.filter((n) => n.podCIDRs.length === 0).map((n) => n.meta.name));
    const blocksOfNode = new Map<string, Set<string>>();
    for (const p of addressed) {
      if (!bare.has(p.spec.nodeName)) continue;
      for (const ip of p.status.podIPs) {
        if (familyOf(ip) !== config.podSubnet.family || !cidrContains(config.podSubnet, ip)) continue;
        blocksOfNode.set(p.spec.nodeName, (blocksOfNode.get(p.spec.nodeName) ?? new Set()).add(blockOf(ip).text));
      }
    }
    for (const [name, blocks] of blocksOfNode) {
      const only = blocks.size === 1 ? parseCidr([...blocks][0]!)! : null;
      if (!only || occupied.get(only.text)!.size > 1 || taken.some((t) => cidrsOverlap(t, only))) continue;
      taken.push(only);
      evident.set(name, only);
    }
  }
  let nextIndex = 0;
  const usedIPs = new Set<string>(nodes.flatMap((n) => n.internalIPs));
  let nextHost = 2n; // .1 is the node network's gateway (the fabric bridge)
  const out: Node[] = [];
  for (const n of nodes) {
    let podCIDRs = n.podCIDRs;
    const block = evident.get(n.meta.name);
    if (podCIDRs.length === 0 && block) podCIDRs = [block];
    else if (podCIDRs.length === 0 && assignsPodCIDRs) {
      let c: Cidr | undefined;
      // A block a dump's pods already live in is not free (Calico blocks, borrowed addresses).
      while ((c = nthSubnet(config.podSubnet, config.nodeCidrMaskSize, nextIndex)) && (taken.some((t) => cidrsOverlap(t, c!)) || occupied.has(c.text))) nextIndex++;
      if (!c) {
        issues.push(issueAt(n, ['spec', 'podCIDR'], 'pod-cidr-exhausted', 'error',
          `no free /${config.nodeCidrMaskSize} left in pod subnet ${config.podSubnet.text} for node ${n.meta.name}`,
          'use a larger networking.podSubnet or a larger networking.nodeCidrMaskSize'));
      } else {
        // Allocated blocks go up by index, so they never overlap each other: only the
        // given ones need checking (keeps 5,000 nodes linear).
        podCIDRs = [c];
        nextIndex++;
      }
    }
    let internalIPs = n.internalIPs;
    if (internalIPs.length === 0) {
      let ip: IP | undefined;
      while ((ip = nthAddress(config.nodeSubnet, nextHost)) && usedIPs.has(ip)) nextHost++;
      if (ip && ip !== nthAddress(config.nodeSubnet, config.nodeSubnet.last - config.nodeSubnet.first)) {
        internalIPs = [ip];
        usedIPs.add(ip);
        nextHost++;
      } else {
        issues.push(issueAt(n, [], 'node-ip-exhausted', 'error', `no free address left in node subnet ${config.nodeSubnet.text}`,
          'use a larger networking.nodeSubnet'));
      }
    } else if (!internalIPs.some((ip) => cidrContains(config.nodeSubnet, ip))) {
      issues.push(issueAt(n, ['status', 'addresses'], 'node-ip-outside-subnet', 'info',
        `InternalIP ${internalIPs.join(', ')} is outside the node subnet ${config.nodeSubnet.text}`,
        'set networking.nodeSubnet in the Cluster object to match the dump'));
    }
    out.push({ ...n, podCIDRs, internalIPs, resolvConf: perNodeResolv.get(n.meta.name) || config.defaultResolvConf });
  }
  return out;
}

/**
 * Without Node objects: Cluster.nodes by name; else a dump's nodes, named by its pods
 * (`kubectl get pods -A -o yaml` lists no nodes, and its pods carry a status); else
 * nodeCount nodes, plus one for each node name a pod is pinned to by `spec.nodeName`
 * that is not among them: the pod is placed there, as a cluster would once that node
 * joined, rather than refused.
 */
function nodesFromConfig(config: ClusterConfig, boundPods: readonly Pod[], issues: Issue[]): Node[] {
  const bound = boundPods.filter((p) => p.spec.nodeName !== '');
  const boundNames = [...new Set(bound.map((p) => p.spec.nodeName))].sort();
  // An explicit nodeCount is what the user asked for; only a bare dump names its nodes by its pods.
  const countGiven = config.raw !== null && config.raw.value['nodeCount'] !== undefined;
  const isDump = bound.some((p) => p.status.podIPs.length > 0 || p.status.hostIP !== '' || p.status.phase !== '');
  let specs: readonly { name: string; resolvConf: string; labels: Readonly<Record<string, string>> }[];
  if (config.nodes.length > 0) specs = config.nodes;
  else if (boundNames.length > 0 && isDump && !countGiven) specs = boundNames.map((name) => ({ name, resolvConf: '', labels: {} }));
  else {
    const counted = Array.from({ length: config.nodeCount }, (_, i) => `node-${i + 1}`);
    const have = new Set(counted);
    const inferred = boundNames.filter((n) => !have.has(n));
    for (const name of inferred) {
      const pod = bound.find((p) => p.spec.nodeName === name)!;
      issues.push(issueAt(pod, ['spec', 'nodeName'], 'node-inferred', 'info',
        `node "${name}" is not among the cluster's ${config.nodeCount} nodes; knet adds it, since the pod is pinned to it`,
        `to place the pod on one of node-1..node-${config.nodeCount}, name that node; to fix the node list, list them in the Cluster object (nodes:) or as Node objects`));
    }
    specs = [...counted, ...inferred].map((name) => ({ name, resolvConf: '', labels: {} }));
  }
  // A dump's pods say where their node is: its InternalIP is their hostIP.
  const hostIPs = new Map<string, IP>();
  for (const p of bound) if (p.status.hostIP && !hostIPs.has(p.spec.nodeName)) hostIPs.set(p.spec.nodeName, p.status.hostIP);
  return specs.map((s) => {
    const hostIP = hostIPs.get(s.name);
    const meta: Meta = {
      name: s.name, namespace: '', labels: { ...defaultNodeLabels(s.name), ...s.labels }, annotations: {},
      uid: stableUid(`node/${s.name}`), creationTimestamp: '', deletionTimestamp: '', ownerReferences: [],
    };
    return { kind: 'Node', apiVersion: 'v1', meta, raw: null, podCIDRs: [], internalIPs: hostIP ? [hostIP] : [], unschedulable: false, taints: [], resolvConf: s.resolvConf };
  });
}
