// Nodes as the control plane completes them: from Node objects, else Cluster.nodes, else
// N nodes; a podCIDR each (kube-controller-manager's range allocator) and an InternalIP.
import type { Issue } from '../model/issue.js';
import { cidrContains, cidrOf, cidrsOverlap, ipToBigInt, nthAddress, nthSubnet, type Cidr, type IP } from '../model/ip.js';
import type { ClusterConfig, Meta, Node, Pod } from '../model/types.js';
import { stableUid } from './naming.js';
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
  const taken: Cidr[] = [];
  nodes.forEach((n) => {
    for (const c of n.podCIDRs) {
      if (c.family === config.podSubnet.family && !cidrsOverlap(c, config.podSubnet)) {
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
  // Blocks the pods of a node already live in, for nodes the input gives no podCIDR.
  const evident = new Map<string, Cidr>();
  if (assignsPodCIDRs) {
    const bare = new Set(nodes.filter((n) => n.podCIDRs.length === 0).map((n) => n.meta.name));
    for (const p of boundPods) {
      if (!bare.has(p.spec.nodeName) || evident.has(p.spec.nodeName) || p.spec.hostNetwork) continue;
      const ip = p.status.podIPs.find((a) => cidrContains(config.podSubnet, a));
      if (!ip || config.nodeCidrMaskSize < config.podSubnet.prefix) continue;
      const block = cidrOf(ipToBigInt(ip), config.nodeCidrMaskSize, config.podSubnet.family);
      if (taken.some((t) => cidrsOverlap(t, block))) continue;
      taken.push(block);
      evident.set(p.spec.nodeName, block);
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
      while ((c = nthSubnet(config.podSubnet, config.nodeCidrMaskSize, nextIndex)) && taken.some((t) => cidrsOverlap(t, c!))) nextIndex++;
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
  return specs.map((s) => {
    const meta: Meta = {
      name: s.name, namespace: '', labels: { ...defaultNodeLabels(s.name), ...s.labels }, annotations: {},
      uid: stableUid(`node/${s.name}`), creationTimestamp: '', deletionTimestamp: '', ownerReferences: [],
    };
    return { kind: 'Node', apiVersion: 'v1', meta, raw: null, podCIDRs: [], internalIPs: [], unschedulable: false, taints: [], resolvConf: s.resolvConf };
  });
}
