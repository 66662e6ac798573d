// `knet diagnose`: every problem in the cluster, each with its layer, the object involved,
// where it is written, a message and a hint. The input's own problems (API validation,
// fill-in conflicts) come first-hand from the loader; the rest are found by asking the
// core the questions the seed's "When Things Go Wrong" asks, once per object.
import type { Cluster } from '../cluster/fill-in.js';
import type { Issue, Severity } from '../model/issue.js';
import { resolvConfOf } from '../core/dns/pod-dns.js';
import { challengeFindings } from './diagnose-certificates.js';
import { ingressFindings, tlsFindings } from './diagnose-ingress.js';
import { podNetworkFindings } from './diagnose-network.js';
import { policyFindings } from './diagnose-policy.js';
import { serviceFindings } from './diagnose-service.js';
import { terminationFindings } from './diagnose-termination.js';
import { buildTraceContext, type TraceContext } from './trace-context.js';
import { acmeProbe } from './trace.js';
import { compareText } from '../model/order.js';

export type DiagnoseLayer = 'input' | 'pod-network' | 'dns' | 'service' | 'policy' | 'ingress' | 'tls';

/** The order layers are listed in: bottom of the stack first, as the guide walks them. */
export const LAYERS: readonly DiagnoseLayer[] = ['input', 'pod-network', 'dns', 'service', 'policy', 'ingress', 'tls'];

export interface Finding extends Issue {
  readonly layer: DiagnoseLayer;
}

/** The layer of a problem the loader found, by its code. */
export function layerOfCode(code: string): DiagnoseLayer {
  if (/^(pod-cidr|duplicate-pod-ip|pod-ip-outside|ip-exhausted|node-ip|subnet-overlap|unschedulable|unknown-node|node-without|host-port)/.test(code)) return 'pod-network';
  if (/^(cluster-ip|node-port|duplicate-node-port|ip-family|lb-pool|service-)/.test(code)) return 'service';
  if (/^(corefile|resolv|dns)/.test(code) || /^(missing-cluster-dns|dns-config)/i.test(code)) return 'dns';
  if (/^(policy|netpol)/.test(code)) return 'policy';
  if (/^ingress/.test(code)) return 'ingress';
  if (/^(tls|certificate|acme)/.test(code)) return 'tls';
  return 'input';
}

export function diagnoseCluster(cluster: Cluster, loaded: readonly Issue[], ctx: TraceContext = buildTraceContext(cluster)): Finding[] {
  const found: Issue[] = [
    ...podNetworkFindings(ctx),
    ...ctx.dns.issues.map((i) => ({ ...i, layer: 'dns' })),
    ...resolvConfFindings(ctx),
    ...serviceFindings(ctx),
    ...terminationFindings(ctx),
    ...policyFindings(ctx),
    ...ingressFindings(ctx),
    ...tlsFindings(ctx, (host) => acmeProbe(ctx, host)),
    ...challengeFindings(ctx, (host) => acmeProbe(ctx, host)),
  ];
  // The loader reports some conflicts first-hand, with the input's own positions: keep those.
  const seen = new Set(loaded.map((i) => `${i.code}|${i.object ?? ''}`));
  const out: Finding[] = loaded.map((i) => ({ ...i, layer: (i.layer as DiagnoseLayer | undefined) ?? layerOfCode(i.code) }));
  const dedupe = new Set<string>();
  for (const i of found) {
    const key = `${i.code}|${i.object ?? ''}`;
    const exact = `${key}|${i.message}`;
    if (seen.has(key) || dedupe.has(exact)) continue;
    dedupe.add(exact);
    out.push({ ...i, layer: (i.layer as DiagnoseLayer | undefined) ?? layerOfCode(i.code) });
  }
  return sortFindings(out);
}

/** resolv.conf problems the kubelet would report, once per distinct message. */
function resolvConfFindings(ctx: TraceContext): Issue[] {
  const out: Issue[] = [];
  for (const pod of ctx.cluster.pods) {
    if (pod.status.phase !== 'Running') continue;
    for (const i of resolvConfOf(ctx.cluster, pod).issues) if (i.severity !== 'info') out.push({ ...i, layer: 'dns' });
  }
  return out;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function sortFindings(list: readonly Finding[]): Finding[] {
  return [...list].sort((a, b) =>
    LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer) || RANK[a.severity] - RANK[b.severity] ||
    compareText(a.file, b.file) || a.line - b.line || a.col - b.col || compareText(a.message, b.message));
}

export function hasErrorFindings(list: readonly Finding[]): boolean {
  return list.some((f) => f.severity === 'error');
}
