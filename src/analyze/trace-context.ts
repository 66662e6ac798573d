// Everything a trace or a diagnosis looks things up in, built once per cluster snapshot:
// the DNS server, kube-proxy's tables, the compiled policies, the ingress controller's
// route table, and indexes of pods, nodes and Service addresses.
import type { Cluster } from '../cluster/fill-in.js';
import { buildDnsIndex, type DnsIndex } from '../core/dns/dns-server.js';
import { routeTableOf, type RouteTable } from '../core/ingress/index.js';
import { isControllerPod } from '../core/ingress/controller.js';
import { policyEnforcement, type Enforcement } from '../core/policy/enforcement.js';
import { PolicyIndex } from '../core/policy/evaluate.js';
import { externalPeer, namespaceLabelMap, nodePeer, podPeer, type Peer } from '../core/policy/peer.js';
import { buildProxyIndex, type ProxyIndex } from '../core/service/proxy-index.js';
import type { IP } from '../model/ip.js';
import type { Labels } from '../model/labels.js';
import type { Node, Pod, Service } from '../model/types.js';

/** The internet client of the emulated cluster (compile/topology.ts INTERNET.client). */
export const EXTERNAL_CLIENT = '203.0.113.100' as IP;
/** The internet's DNS server, which public names are asked of. */
export const PUBLIC_DNS = '203.0.113.53';

export interface TraceContext {
  readonly cluster: Cluster;
  readonly dns: DnsIndex;
  readonly proxy: ProxyIndex;
  readonly policies: PolicyIndex;
  readonly enforcement: Enforcement;
  readonly routes: RouteTable;
  readonly namespaceLabels: ReadonlyMap<string, Labels>;
  readonly nodes: ReadonlyMap<string, Node>;
  /** Every pod holding an address (hostNetwork pods excluded), by address: more than one is a clash. */
  readonly podsByIP: ReadonlyMap<string, readonly Pod[]>;
  /** ClusterIPs, externalIPs and LoadBalancer addresses, by address. */
  readonly serviceByAddress: ReadonlyMap<string, Service>;
  /**
   * knet's running cluster: its emulated pods listen on their declared ports only. In Predict
   * (manifests, dumps) a process listens whether or not containerPort declares it (the field is
   * informational), so an undeclared port is unknown, not refused.
   */
  readonly declaredPortsOnly: boolean;
}

/**
 * `running`: knet's running cluster (read without -f): its emulated pods serve declared ports
 * only, and its internet is the external records alone (DNS upstream 'closed').
 */
export function buildTraceContext(cluster: Cluster, o: { readonly running?: boolean } = {}): TraceContext {
  const podsByIP = new Map<string, Pod[]>();
  for (const p of cluster.pods) {
    if (p.spec.hostNetwork || p.status.phase === 'Succeeded' || p.status.phase === 'Failed') continue;
    for (const ip of p.status.podIPs) {
      const list = podsByIP.get(ip);
      if (list) list.push(p);
      else podsByIP.set(ip, [p]);
    }
  }
  const serviceByAddress = new Map<string, Service>();
  for (const s of cluster.services) {
    for (const ip of [...s.clusterIPs, ...s.externalIPs, ...s.loadBalancerIngress]) serviceByAddress.set(ip, s);
  }
  return {
    cluster,
    dns: buildDnsIndex(cluster, { upstream: o.running ? 'closed' : 'open' }),
    proxy: buildProxyIndex(cluster),
    policies: new PolicyIndex(cluster.networkPolicies),
    enforcement: policyEnforcement(cluster.config.cni),
    routes: routeTableOf(cluster),
    namespaceLabels: namespaceLabelMap(cluster.namespaces),
    nodes: new Map(cluster.nodes.map((n) => [n.meta.name, n])),
    podsByIP,
    serviceByAddress,
    declaredPortsOnly: o.running ?? false,
  };
}

export function podRef(p: Pod): string {
  return `${p.meta.namespace}/${p.meta.name}`;
}

export function nodeAddress(ctx: TraceContext, node: string): IP | null {
  return ctx.nodes.get(node)?.internalIPs[0] ?? null;
}

/** The node an address belongs to, if it is a node's. */
export function nodeOfAddress(ctx: TraceContext, ip: string): string | null {
  return ctx.proxy.nodeByIP.get(ip) ?? null;
}

/** A pod as the policies see it: on the pod network, or its node's for hostNetwork pods. */
export function peerOfPod(ctx: TraceContext, pod: Pod): Peer {
  return podPeer(pod, ctx.namespaceLabels.get(pod.meta.namespace) ?? {});
}

/** The far end of a packet addressed to `ip`: a pod, a node, or the outside. */
export function peerOfAddress(ctx: TraceContext, ip: IP): Peer {
  const pods = ctx.podsByIP.get(ip);
  if (pods && pods.length > 0) return peerOfPod(ctx, pods[0]!);
  const node = nodeOfAddress(ctx, ip);
  if (node) return nodePeer(node, ip);
  return externalPeer(ip);
}

/** An ingress-nginx controller pod: its image or its entrypoint says so. */
export function isIngressControllerPod(pod: Pod): boolean {
  return isControllerPod(pod);
}

/** `ip:port`, with brackets for IPv6. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Who sends the packet: a pod, a process on a node, or a client on the internet. */
export interface TraceClient {
  readonly kind: 'pod' | 'node' | 'external';
  readonly label: string; // `ns/pod`, `node/NAME`, `external`
  readonly ip: IP;
  readonly node: string | null; // null: outside the cluster
  readonly pod: Pod | null;
  readonly peer: Peer;
}

export function podClient(ctx: TraceContext, pod: Pod): TraceClient {
  return { kind: 'pod', label: podRef(pod), ip: pod.status.podIPs[0]!, node: pod.spec.nodeName, pod, peer: peerOfPod(ctx, pod) };
}

export function nodeClient(node: Node): TraceClient {
  const ip = node.internalIPs[0]!;
  return { kind: 'node', label: `node/${node.meta.name}`, ip, node: node.meta.name, pod: null, peer: nodePeer(node.meta.name, ip) };
}

export function externalClient(ip: IP = EXTERNAL_CLIENT): TraceClient {
  return { kind: 'external', label: 'external', ip, node: null, pod: null, peer: externalPeer(ip) };
}
