// Pod-network problems: pods that cannot reach each other across nodes (nodes without a
// podCIDR, overlapping podCIDRs, pod IPs outside their node's range where the CNI routes by
// podCIDR, one IP on two pods),
// and port clashes on a node (two pods with one hostPort, a hostPort that is a NodePort).
import { issueAt } from '../cluster/issues.js';
import { outsideNodeRange } from '../cluster/ipam.js';
import { routesByPodCIDR } from '../cluster/infer-config.js';
import { cidrContains, cidrsOverlap, familyOf } from '../model/ip.js';
import type { Issue } from '../model/issue.js';
import type { Pod } from '../model/types.js';
import { podRef, type TraceContext } from './trace-context.js';

export function podNetworkFindings(ctx: TraceContext): Issue[] {
  const out: Issue[] = [];
  const { config, nodes } = ctx.cluster;
  const azure = config.cni === 'azure';
  if (!azure) {
    nodes.forEach((n, i) => {
      // Only a mode that routes by podCIDR needs one (Calico routes its own blocks).
      if (n.podCIDRs.length === 0 && routesByPodCIDR(config.cni)) {
        out.push(issueAt(n, ['spec', 'podCIDR'], 'node-without-pod-cidr', 'error',
          `node ${n.meta.name} has no podCIDR: its pods get no address from the CNI, and no other node has a route to them`,
          'allocate podCIDRs (kube-controller-manager --allocate-node-cidrs with --cluster-cidr), or set spec.podCIDR'));
      }
      for (const other of nodes.slice(0, i)) {
        const clash = n.podCIDRs.find((c) => other.podCIDRs.some((o) => cidrsOverlap(c, o)));
        if (!clash) continue;
        out.push(issueAt(n, ['spec', 'podCIDR'], 'pod-cidr-overlap', 'error',
          `podCIDR ${clash.text} of node ${n.meta.name} overlaps node ${other.meta.name}'s ${other.podCIDRs.map((c) => c.text).join(', ')}: both hand out the same pod addresses, and traffic between the two nodes goes astray`,
          'give every node its own podCIDR (kube-controller-manager --allocate-node-cidrs does), then recreate the pods of the node that changed'));
      }
    });
  }
  for (const [ip, pods] of ctx.podsByIP) {
    for (const p of pods.slice(1)) {
      out.push(issueAt(p, ['status', 'podIP'], 'duplicate-pod-ip', 'error',
        `pod IP ${ip} is also the IP of ${pods.filter((o) => o !== p).map((o) => `${podRef(o)} (on ${o.spec.nodeName})`).join(', ')}: packets for one reach the other`,
        'every pod needs its own address (rule 1): overlapping podCIDRs or a corrupted IPAM store cause this; fix the ranges and recreate the pods'));
    }
    for (const pod of pods) {
      const node = ctx.nodes.get(pod.spec.nodeName);
      const addr = pod.status.podIPs.find((a) => a === ip);
      if (!node || !addr) continue;
      if (azure && !cidrContains(config.podSubnet, addr)) {
        out.push(issueAt(pod, ['status', 'podIP'], 'pod-ip-outside-node-cidr', 'error',
          `pod IP ${ip} is outside the VNet pod subnet ${config.podSubnet.text}: the VNet has no route for it, so pods on other nodes cannot reach it`,
          `the CNI on ${node.meta.name} allocates outside the pod subnet: fix its configuration, then recreate the pod`));
      }
      // Calico hands out blocks of its pools (and borrows addresses across nodes): any
      // address is routed to its pod. Only podCIDR routing is broken by one outside the range.
      const family = node.podCIDRs.filter((c) => c.family === familyOf(addr));
      if (routesByPodCIDR(config.cni) && family.length > 0 && !family.some((c) => cidrContains(c, addr))) {
        out.push(outsideNodeRange(pod, addr, node, nodes, config));
      }
    }
  }
  out.push(...portClashes(ctx));
  return out;
}

/** Two pods of one node with one hostPort (the second cannot start), or a hostPort kube-proxy takes as a NodePort. */
function portClashes(ctx: TraceContext): Issue[] {
  const out: Issue[] = [];
  const nodePorts = new Map<string, string>();
  for (const s of ctx.cluster.services) {
    for (const p of s.ports) if (p.nodePort) nodePorts.set(`${p.protocol}|${p.nodePort}`, `${s.meta.namespace}/${s.meta.name}`);
  }
  // hostIP '' binds every address of the node, so it clashes with any hostIP on the same port.
  const taken = new Map<string, { pod: Pod; hostIP: string }[]>();
  for (const pod of ctx.cluster.pods) {
    if (!pod.spec.nodeName || pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') continue;
    pod.spec.containers.forEach((c, ci) => c.ports.forEach((p, pi) => {
      if (!p.hostPort) return;
      const path = ['spec', 'containers', ci, 'ports', pi, 'hostPort'];
      const key = `${pod.spec.nodeName}|${p.protocol}|${p.hostPort}`;
      const holders = taken.get(key) ?? [];
      const first = holders.find((h) => h.pod !== pod && (h.hostIP === '' || p.hostIP === '' || h.hostIP === p.hostIP));
      if (first) {
        out.push(issueAt(pod, path, 'host-port-conflict', 'error',
          `hostPort ${p.hostPort}/${p.protocol} on node ${pod.spec.nodeName} is already taken by ${podRef(first.pod)}: only one of them can run on that node (the scheduler keeps them apart; the kubelet rejects a pod bound there by nodeName)`,
          'use a different hostPort, or a Service (NodePort or LoadBalancer) instead of hostPort'));
      }
      taken.set(key, [...holders, { pod, hostIP: p.hostIP }]);
      const svc = nodePorts.get(`${p.protocol}|${p.hostPort}`);
      if (svc) {
        out.push(issueAt(pod, path, 'host-port-node-port-clash', 'warning',
          `hostPort ${p.hostPort}/${p.protocol} is also the NodePort of Service ${svc}: on node ${pod.spec.nodeName}, connections to it meet kube-proxy's NodePort rule or the CNI's hostPort rule, whichever runs first`,
          'pick a hostPort outside the NodePort range (30000-32767), or drop the hostPort'));
      }
    }));
  }
  return out;
}
