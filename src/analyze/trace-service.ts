// The Service step of a trace: kube-proxy's decision for the first packet (dnat to which
// candidate endpoints, reject, drop, or no rule), and, when a Service has nothing to send
// to, why: a selector matching no pod, a named targetPort no pod declares, pods not ready.
import type { Decision } from '../core/service/decide-connection.js';
import type { IP } from '../model/ip.js';
import type { Pod, Protocol, Service } from '../model/types.js';
import { resolveTargetPort } from '../cluster/endpointslices.js';
import { hostPort, plural, type TraceContext } from './trace-context.js';
import { declaredPorts, portText } from './trace-network.js';
import { podsUnknown } from './unmodelled.js';
import type { TraceStep } from './trace-types.js';

type ServiceStep = Extract<TraceStep, { layer: 'service' }>;

export function serviceStep(ctx: TraceContext, d: Decision, dst: IP, port: number, protocol: Protocol): ServiceStep {
  const details = [...d.reasons];
  const base = { layer: 'service' as const, details, warning: null, hint: null, masquerade: false, sessionAffinity: null, endpoints: [] as string[] };
  const addr = `${hostPort(dst, port)}/${protocol}`;
  switch (d.verdict) {
    case 'dnat': {
      const endpoints = d.endpoints.map((e) => hostPort(e.ip, e.port));
      const n = endpoints.length;
      const pick = d.chosen ? `-> ${hostPort(d.chosen.ip, d.chosen.port)}` : n === 1 ? `-> ${endpoints[0]}` : `-> one of ${n} endpoints at random`;
      return {
        ...base, ok: true, verdict: 'dnat', service: serviceOf(d.service), via: d.via, node: d.node,
        endpoints, masquerade: d.masquerade, sessionAffinity: d.affinity,
        summary: `${addr} is the ${d.via} of ${d.service}: DNAT ${pick}${d.masquerade ? ', masqueraded' : ''}${d.affinity ? `, sessionAffinity ClientIP (${d.affinity.timeoutSeconds} s)` : ''}`,
        details: [`endpoints: ${endpoints.join(', ')}`, ...details],
      };
    }
    case 'reject':
    case 'drop': {
      const svc = findService(ctx, d.service);
      const empty = svc && (d.reasons.some((r) => /no endpoints|none of the/.test(r)));
      const unknown = empty && svc.selector ? podsUnknown(ctx.cluster, svc.meta.namespace, svc.selector, svc.meta.ownerReferences) : null;
      if (unknown) {
        // Unknown, not refused: the pods may come from what knet does not model or the input leaves out.
        return {
          ...base, ok: false, unknown: true, verdict: 'unknown', service: serviceOf(d.service), via: d.via, node: d.node,
          summary: `whether ${serviceOf(d.service)} has endpoints is unknown: ${unknown.reason}`,
          details: [...d.reasons.filter((r) => !/no endpoints/.test(r)), `if the cluster has no such pods, kube-proxy rejects the connection (connection refused)`],
          hint: unknown.hint,
        };
      }
      const why = empty ? explainNoEndpoints(ctx, svc) : null;
      const last = d.reasons[d.reasons.length - 1] ?? '';
      return {
        ...base, ok: false, verdict: d.verdict, service: d.service ? serviceOf(d.service) : null, via: d.via, node: d.node,
        summary: `${d.verdict === 'reject' ? 'reject (connection refused)' : 'drop (the client times out)'}: ${why ? `${serviceOf(d.service!)} has no endpoints: ${why.reason}` : last}`,
        hint: why?.hint ?? rejectHint(d, svc),
      };
    }
    case 'none': {
      const why = d.reasons[0] ?? '';
      return {
        ...why.startsWith(`${dst}:${port}/${protocol} is not a Service address`) ? { ...base, details: [] } : base,
        ok: true, verdict: 'none', service: null, via: null, node: null,
        summary: why.startsWith(`${dst}:${port}/${protocol} is not a Service address`) ? `${addr} is not a Service address: no DNAT, the packet goes on as addressed` : why,
      };
    }
  }
}

function rejectHint(d: Decision, svc: Service | null): string {
  const why = d.reasons.join(' ');
  if (/internalTrafficPolicy Local/.test(why)) return `run an endpoint on node ${d.verdict !== 'none' ? d.node ?? '' : ''} or set internalTrafficPolicy: Cluster`;
  if (/externalTrafficPolicy Local/.test(why)) return 'send to a node that has a ready endpoint (--via node/NAME), or set externalTrafficPolicy: Cluster (the client address is then lost)';
  if (/loadBalancerSourceRanges/.test(why)) return 'add the client\'s range to spec.loadBalancerSourceRanges';
  if (svc) return `use a port ${svc.meta.namespace}/${svc.meta.name} defines: ${svc.ports.map((p) => `${p.port}/${p.protocol}${p.name ? ` (${p.name})` : ''}`).join(', ')}`;
  if (/service subnet/.test(why)) return `no Service has this address: look the name up again, or list the ClusterIPs with knet get svc -A`;
  return 'check the Service\'s traffic policies and endpoints: knet get endpointslices -n NAMESPACE';
}

/** `ns/name` of a decision's `ns/name:port`. */
function serviceOf(entry: string | null): string {
  if (!entry) return '';
  const slash = entry.indexOf('/');
  const colon = entry.indexOf(':', slash);
  return colon < 0 ? entry : entry.slice(0, colon);
}

export function findService(ctx: TraceContext, entry: string | null): Service | null {
  const ref = serviceOf(entry);
  return ctx.cluster.services.find((s) => `${s.meta.namespace}/${s.meta.name}` === ref) ?? null;
}

function selectorText(sel: Readonly<Record<string, string>>): string {
  return Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
}

/** Why a Service has no endpoint kube-proxy or ingress-nginx can use, and the fix. */
export function explainNoEndpoints(ctx: TraceContext, svc: Service): { reason: string; hint: string } {
  const ns = svc.meta.namespace;
  const ref = `${ns}/${svc.meta.name}`;
  if (svc.selector === null && ref === 'default/kubernetes') {
    // The API server writes its own endpoints here; a selector would be wrong.
    return {
      reason: `${ref} lists no API server address: the API servers write it themselves (their --advertise-address and --secure-port)`,
      hint: 'check the API servers are up; kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes shows what they wrote',
    };
  }
  if (svc.selector === null) {
    return {
      reason: `${ref} has no selector and no EndpointSlice or Endpoints object lists a backend`,
      hint: `give ${ref} a spec.selector matching its pods, or add an EndpointSlice labelled kubernetes.io/service-name: ${svc.meta.name}`,
    };
  }
  const sel = selectorText(svc.selector);
  const pods = ctx.cluster.podIndex.select(ns, svc.selector);
  if (pods.length === 0) {
    const keys = Object.keys(svc.selector);
    const near = new Map<string, number>();
    for (const p of ctx.cluster.podIndex.inNamespace(ns)) {
      for (const k of keys) {
        const v = p.meta.labels[k];
        if (v !== undefined) near.set(`${k}=${v}`, (near.get(`${k}=${v}`) ?? 0) + 1);
      }
    }
    const elsewhere = ctx.cluster.namespaces.map((n) => n.meta.name)
      .filter((n) => n !== ns && ctx.cluster.podIndex.select(n, svc.selector!).length > 0);
    const seen = [...near.entries()].map(([l, n]) => `${l} (${plural(n, 'pod')})`).join(', ');
    return {
      reason: `its selector ${sel} matches no pod in namespace ${ns}${seen ? `; pods there have ${seen}` : ''}${elsewhere.length ? `; pods in ${elsewhere.join(', ')} match, but a Service selects pods of its own namespace only` : ''}`,
      hint: `make spec.selector of ${ref} match the pods' labels${near.size ? ` (e.g. ${[...near.keys()][0]!.replace('=', ': ')})` : ''}, or label the pods ${sel}; compare with kubectl get pods -n ${ns} --show-labels`,
    };
  }
  for (const sp of svc.ports) {
    if (typeof sp.targetPort !== 'string') continue;
    if (pods.some((p) => resolveTargetPort(p, sp.targetPort, sp.protocol) !== null)) continue;
    const declared = [...new Set(pods.flatMap((p) => declaredPorts(p).map((d) => portText(d.port))))].join(', ') || 'no ports';
    return {
      reason: `targetPort "${sp.targetPort}" (port ${sp.port}) names no ${sp.protocol} container port of the ${plural(pods.length, 'selected pod')} (they declare ${declared})`,
      hint: `set targetPort of ${ref} port ${sp.port} to a declared port name or number, or name the container port "${sp.targetPort}"`,
    };
  }
  const running = pods.filter((p) => p.status.phase === 'Running' && p.status.podIPs.length > 0);
  if (running.length === 0) {
    return {
      reason: `the ${plural(pods.length, 'pod')} it selects ${pods.length === 1 ? 'is' : 'are'} not running (${[...new Set(pods.map((p) => p.status.phase || 'Pending'))].join(', ')})`,
      hint: `kubectl describe pod -n ${ns} ${pods[0]!.meta.name} says why it does not run`,
    };
  }
  const ready = running.filter((p) => p.status.ready);
  if (ready.length === 0) {
    return {
      reason: `none of the ${plural(running.length, 'pod')} it selects is ready, so the EndpointSlice lists ${running.length === 1 ? 'it' : 'them'} as not ready${probeText(running[0]!)}`,
      hint: `fix the readiness probe or what it checks: kubectl describe pod -n ${ns} ${running[0]!.meta.name} shows the probe's failures; only ready pods get traffic`,
    };
  }
  return {
    reason: `${plural(ready.length, 'ready pod')} match, but none has an endpoint for this port and protocol`,
    hint: `compare the Service's ports with the pods' container ports: knet get endpointslices -n ${ns}`,
  };
}

function probeText(pod: Pod): string {
  for (const c of pod.spec.containers) {
    const h = c.readinessProbe?.handler;
    if (!h) continue;
    if (h.kind === 'httpGet') return ` (readiness probe: container ${c.name} GET ${h.path || '/'} on port ${h.port})`;
    if (h.kind === 'tcpSocket') return ` (readiness probe: container ${c.name} TCP port ${h.port})`;
    return ` (readiness probe of container ${c.name}: ${h.kind})`;
  }
  return '';
}
