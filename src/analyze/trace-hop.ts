// One hop of a trace: a packet from a client to an address and port. kube-proxy decides
// first (the packet meets its DNAT before the policy hook), then the packet is followed to
// each candidate endpoint: egress policy at the source, the pod network, ingress policy at
// the destination, the container's port. The endpoint shown is kube-proxy's pick when it
// made one, else the first that works; endpoints that would fail are reported.
import { decideConnection } from '../core/service/decide-connection.js';
import { nodePeer, type Peer } from '../core/policy/peer.js';
import { cidrContains, type IP } from '../model/ip.js';
import type { Pod, Protocol } from '../model/types.js';
import {
  hostPort, nodeAddress, nodeOfAddress, peerOfAddress, peerOfPod, plural, podRef, type TraceClient, type TraceContext,
} from './trace-context.js';
import { containerStep, podNetworkStep } from './trace-network.js';
import { egressStep, ingressStep } from './trace-policy.js';
import { serviceStep } from './trace-service.js';
import { failedStep, type Failure, type TraceStep } from './trace-types.js';

export type Landing =
  | { readonly kind: 'pod'; readonly pod: Pod; readonly ip: IP; readonly port: number }
  | { readonly kind: 'node'; readonly node: string; readonly ip: IP; readonly port: number }
  | { readonly kind: 'outside'; readonly ip: IP; readonly port: number };

export interface HopOutcome {
  readonly steps: readonly TraceStep[];
  readonly failure: Failure | null;
  readonly landing: Landing | null;
  /** The source address where it lands (a node's when kube-proxy masquerades); absent when not followed. */
  readonly seenAs?: string;
}

interface Followed extends HopOutcome {
  readonly target: string; // `ns/pod ip:port`, for the reader
  readonly address: string; // `ip:port`
}

/** The packet from `client` to `dst:port`, through kube-proxy and on to where it lands. */
export function hop(ctx: TraceContext, client: TraceClient, dst: IP, port: number, protocol: Protocol, via: string | null): HopOutcome {
  const d = decideConnection(ctx.proxy, {
    src: client.ip, dst, dstPort: port, protocol, clientNode: client.node, ...(via ? { viaNode: via } : {}),
  });
  const svc = serviceStep(ctx, d, dst, port, protocol);
  if (d.verdict === 'reject' || d.verdict === 'drop') return { steps: [svc], failure: failedStep(svc), landing: null };
  if (d.verdict === 'dnat') {
    const seen = d.masquerade ? nodePeer(d.node, nodeAddress(ctx, d.node) ?? client.ip) : client.peer;
    const chosen = d.chosen ? d.endpoints.indexOf(d.chosen) : null;
    const r = followEndpoints(ctx, client, seen, d.node, d.endpoints, protocol, chosen);
    const seenAs = d.masquerade ? nodeAddress(ctx, d.node) ?? client.ip : client.ip;
    return { ...r, steps: [r.warning ? { ...svc, warning: r.warning } : svc, ...r.steps], seenAs };
  }
  if (d.healthCheck) {
    return { steps: [svc], failure: null, landing: { kind: 'node', node: d.healthCheck.node, ip: dst, port } };
  }
  const direct = (): HopOutcome => {
    const r = follow(ctx, client, client.peer, client.node, dst, port, protocol);
    return { ...r, steps: [svc, ...r.steps], seenAs: client.ip };
  };
  if (ctx.podsByIP.has(dst)) return direct();
  const node = nodeOfAddress(ctx, dst);
  if (node) return toNode(ctx, client, svc, node, dst, port, protocol);
  const owner = ctx.serviceByAddress.get(dst);
  const fail = (summary: string, hint: string): HopOutcome => {
    const step = { ...svc, ok: false, summary, hint };
    return { steps: [step], failure: failedStep(step), landing: null };
  };
  if (owner) {
    const ref = `${owner.meta.namespace}/${owner.meta.name}`;
    const kind = owner.loadBalancerIngress.includes(dst) ? 'LoadBalancer address' : owner.externalIPs.includes(dst) ? 'externalIP' : 'ClusterIP';
    const ports = owner.ports.map((p) => `${p.port}/${p.protocol}`).join(', ') || 'none';
    return fail(`${dst} is the ${kind} of ${ref}, which has no port ${port}/${protocol} (it has ${ports}): nothing forwards it`,
      `add port ${port}/${protocol} to Service ${ref}, or use one of its ports (${ports})`);
  }
  if (cidrContains(ctx.cluster.config.podSubnet, dst)) {
    const step: TraceStep = {
      layer: 'pod-network', ok: false, from: client.node ?? 'outside', to: 'none', path: 'none', mode: 'routed', nat: false,
      summary: `no pod has the address ${dst}: the pod network delivers it nowhere`, details: [], warning: null,
      hint: 'pod addresses change when pods are recreated: reach pods through a Service name instead of an address',
    };
    return { steps: [svc, step], failure: failedStep(step), landing: null };
  }
  return direct();
}

/** A node address on a port no Service claims: a hostPort, a hostNetwork pod, or nothing knet knows of. */
function toNode(ctx: TraceContext, client: TraceClient, svc: TraceStep, node: string, dst: IP, port: number, protocol: Protocol): HopOutcome {
  const pods = ctx.cluster.pods.filter((p) => p.spec.nodeName === node && p.status.phase === 'Running');
  for (const p of pods) {
    for (const c of [...p.spec.containers]) {
      for (const cp of c.ports) {
        if (cp.protocol !== protocol) continue;
        if (!p.spec.hostNetwork && cp.hostPort === port && p.status.podIPs[0]) {
          // The CNI's portmap plugin DNATs node:hostPort to the pod, as kube-proxy would.
          const r = follow(ctx, client, client.peer, node, p.status.podIPs[0], cp.containerPort, protocol);
          return { ...r, steps: [{ ...svc, summary: `${hostPort(dst, port)} is hostPort ${port} of ${podRef(p)} on ${node}: the CNI's portmap DNATs it to ${hostPort(p.status.podIPs[0], cp.containerPort)}` }, ...r.steps] };
        }
        if (p.spec.hostNetwork && cp.containerPort === port) {
          return { steps: [svc, containerStep(p, port, protocol, ctx.declaredPortsOnly)], failure: null, landing: { kind: 'pod', pod: p, ip: dst, port } };
        }
      }
    }
  }
  const nodePorts = [...ctx.proxy.nodePorts.keys()].map((k) => k.split('|')[1]).join(', ');
  const step = {
    ...svc, ok: false,
    summary: `nothing on node ${node} takes ${port}/${protocol}: no Service has NodePort ${port}, and no pod has it as hostPort`,
    hint: nodePorts ? `the cluster's NodePorts are ${nodePorts} (knet get svc -A)` : 'no Service of type NodePort or LoadBalancer exists: expose the pods with one',
  };
  return { steps: [step], failure: failedStep(step), landing: null };
}

/** Follows the packet to each candidate endpoint and keeps the one to show. */
export function followEndpoints(
  ctx: TraceContext, client: TraceClient, seen: Peer, fromNode: string | null,
  endpoints: readonly { readonly ip: IP; readonly port: number }[], protocol: Protocol, chosen: number | null,
): HopOutcome & { readonly warning: string | null } {
  const results: Followed[] = endpoints.map((e) => follow(ctx, client, seen, fromNode, e.ip, e.port, protocol));
  const pick = chosen !== null && chosen >= 0 ? results[chosen]! : results.find((r) => r.failure === null) ?? results[0];
  if (!pick) return { steps: [], failure: null, landing: null, warning: null };
  const failing = results.filter((r) => r.failure !== null);
  const warning = failing.length > 0 && failing.length < results.length
    ? `${failing.length} of ${plural(results.length, 'endpoint')} would fail (${failing.map((f) => `${f.target} at ${f.failure!.layer}`).join(', ')}): each connection goes to one at random, so ${failing.length} in ${results.length} fail${client.kind === 'external' ? '' : `; knet trace --from ${client.label} ${failing[0]!.address} shows why`}`
    : null;
  return { ...pick, warning };
}

/** The packet, already addressed to `ip:port` (after any DNAT), from the client to where it lands. */
export function follow(ctx: TraceContext, client: TraceClient, seen: Peer, fromNode: string | null, ip: IP, port: number, protocol: Protocol): Followed {
  const traffic = { port, protocol };
  const pod = ctx.podsByIP.get(ip)?.find((p) => p.spec.nodeName === fromNode) ?? ctx.podsByIP.get(ip)?.[0] ?? hostNetworkPod(ctx, ip, port, protocol);
  const dst: Peer = pod ? peerOfPod(ctx, pod) : peerOfAddress(ctx, ip);
  const target = pod ? `${podRef(pod)} ${hostPort(ip, port)}` : hostPort(ip, port);
  const steps: TraceStep[] = [];
  const stop = (step: TraceStep | null): boolean => {
    if (step) steps.push(step);
    return step !== null && !step.ok;
  };
  const address = hostPort(ip, port);
  const failed = (): Followed => ({ steps, failure: failedStep(steps[steps.length - 1]!), landing: null, target, address });

  if (stop(egressStep(ctx, client.peer, dst, traffic))) return failed();
  if (pod) {
    if (fromNode === null) {
      stop({
        layer: 'pod-network', ok: false, from: 'outside', to: pod.spec.nodeName, path: 'none', mode: 'routed', nat: false,
        summary: `pod addresses are not routed from outside the cluster: ${ip} (${podRef(pod)}) is unreachable from ${client.label}`,
        details: [], warning: null, hint: 'expose the pod through a Service of type LoadBalancer or NodePort, or an Ingress',
      });
      return failed();
    }
    if (stop(podNetworkStep(ctx, fromNode, pod, ip))) return failed();
    if (stop(ingressStep(ctx, seen, dst, traffic))) return failed();
    if (stop(containerStep(pod, port, protocol, ctx.declaredPortsOnly))) return failed();
    return { steps, failure: null, landing: { kind: 'pod', pod, ip, port }, target, address };
  }
  const node = nodeOfAddress(ctx, ip);
  if (node) {
    steps.push({
      layer: 'pod-network', ok: true, from: fromNode ?? 'outside', to: node, path: fromNode === node ? 'same-node' : 'cross-node', mode: 'routed', nat: false,
      summary: `${fromNode === node ? `node ${node} itself` : `to node ${node} (${ip}) over the node network`}`, details: [], warning: null, hint: null,
    });
    return { steps, failure: null, landing: { kind: 'node', node, ip, port }, target, address };
  }
  if (client.node !== null) {
    steps.push({
      layer: 'pod-network', ok: true, from: client.node, to: 'outside', path: 'leaves-cluster', mode: 'routed', nat: true,
      summary: `leaves the cluster from node ${client.node}: source NAT to the node's address ${nodeAddress(ctx, client.node) ?? ''} (pod addresses are not routed outside)`,
      details: [], warning: null, hint: null,
    });
  }
  return { steps, failure: null, landing: { kind: 'outside', ip, port }, target, address };
}

/** A hostNetwork pod serving `port` on the node that owns `ip` (an endpoint on a node address). */
function hostNetworkPod(ctx: TraceContext, ip: IP, port: number, protocol: Protocol): Pod | undefined {
  const node = nodeOfAddress(ctx, ip);
  if (!node) return undefined;
  return ctx.cluster.pods.find((p) => p.spec.hostNetwork && p.spec.nodeName === node &&
    p.spec.containers.some((c) => c.ports.some((cp) => cp.containerPort === port && cp.protocol === protocol)));
}
