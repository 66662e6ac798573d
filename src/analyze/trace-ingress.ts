// The request at the ingress controller pod: the TLS handshake (SNI -> certificate), the
// route (host and path -> Ingress -> backend Service), and the backend's endpoints, which
// ingress-nginx connects to itself (the Service's ClusterIP is bypassed).
import { normalizeHost } from '../core/ingress/host-path.js';
import { matchRoute, reachHost, type RouteRequest } from '../core/ingress/index.js';
import { decideConnection } from '../core/service/decide-connection.js';
import { parseIP, type IP } from '../model/ip.js';
import type { Pod } from '../model/types.js';
import { hostPort, plural, podRef, type TraceContext } from './trace-context.js';
import { explainNoEndpoints } from './trace-service.js';
import { podsUnknown } from './unmodelled.js';
import { tlsStep, type AcmeProbe } from './trace-tls.js';
import { failedStep, type Failure, type TraceStep } from './trace-types.js';

export interface UrlTarget {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly query: string;
}

export interface IngressOutcome {
  readonly steps: readonly TraceStep[];
  readonly failure: Failure | null;
  /** The backend's endpoints to follow from the controller pod; null when the controller answers itself. */
  readonly endpoints: readonly { readonly ip: IP; readonly port: number }[] | null;
  /** What the controller answers when it does not proxy (a redirect). */
  readonly answer: string | null;
}

/** `client`: the source address nginx sees (from the hop to the controller); null when unknown. */
export function traceIngress(ctx: TraceContext, controller: Pod, url: UrlTarget, probe: AcmeProbe, client: string | null = null): IngressOutcome {
  const defaultPort = url.scheme === 'https' ? 443 : 80;
  const bare = url.host.replace(/^\[|\]$/g, '');
  const req: RouteRequest = {
    scheme: url.scheme,
    host: url.port === defaultPort ? url.host : `${url.host}:${url.port}`,
    sni: url.scheme === 'https' && !parseIP(bare) ? bare : null,
    path: url.path || '/', query: url.query, method: 'GET', headers: {},
    ...(client ? { clientAddresses: [client] } : {}),
  };
  const d = matchRoute(ctx.routes, req);
  const steps: TraceStep[] = [];
  const done = (failure: Failure | null, endpoints: IngressOutcome['endpoints'] = null, answer: string | null = null): IngressOutcome =>
    ({ steps, failure, endpoints, answer });

  if (d.tls) {
    const tls = tlsStep(ctx, d, normalizeHost(url.host), probe);
    steps.push(tls);
    if (!tls.ok) return done(failedStep(tls));
  }
  const o = d.outcome;
  const host = normalizeHost(req.host) || '(none)';
  const where = d.location ? `host ${d.server === '_' ? '*' : d.server}, path ${d.location.path} ${d.location.pathType}` : `host ${host}`;
  const base = {
    layer: 'ingress' as const, ingress: d.ingress, host, path: req.path, status: o.status,
    details: [`controller ${podRef(controller)}: ${ctx.routes.controller.controllerClass}, class ${ctx.routes.controller.ingressClass}`, ...d.trace],
    warning: null, hint: null,
  };
  switch (o.kind) {
    case 'redirect': {
      steps.push({ ...base, ok: true, backend: null, summary: `Ingress ${d.ingress ?? '(controller)'} (${where}): ${o.status} redirect to ${o.location} (${o.why})` });
      return done(null, null, `${o.status} redirect to ${o.location}`);
    }
    case 'refused': {
      const step = { ...base, ok: false, backend: null, summary: `${o.status} from nginx: ${o.why}`, hint: `see ${o.annotation} on Ingress ${d.ingress ?? '(none)'}` };
      steps.push(step);
      return done(failedStep(step));
    }
    case 'cors-preflight': {
      steps.push({ ...base, ok: true, backend: null, summary: `Ingress ${d.ingress} (${where}): CORS preflight answered 204 by nginx (enable-cors)` });
      return done(null, null, '204 CORS preflight');
    }
    case 'passthrough': {
      const ref = `${o.backend.ref.namespace}/${o.backend.ref.service}`;
      steps.push({ ...base, ok: o.backend.upstream.kind === 'ready', backend: ref, summary: o.why });
      const up = o.backend.upstream.kind === 'ready' ? o.backend.upstream.endpoints : [];
      const endpoints = up.map(parseEndpoint).filter((e): e is { ip: IP; port: number } => e !== null);
      return done(null, endpoints.length ? endpoints : null, `TLS passed through to ${ref}`);
    }
    case 'default-backend': {
      const step = { ...base, ok: false, backend: null, summary: `404 from the controller's default backend: ${o.why}`, hint: notFoundHint(ctx, host) };
      steps.push(step);
      return done(failedStep(step));
    }
    case 'unavailable': {
      const b = o.backend;
      const ref = `${b.ref.namespace}/${b.ref.service}`;
      const svc = ctx.cluster.services.find((s) => `${s.meta.namespace}/${s.meta.name}` === ref);
      const unknown = svc?.selector && b.upstream.servicePort !== null ? podsUnknown(ctx.cluster, svc.meta.namespace, svc.selector, svc.meta.ownerReferences) : null;
      if (unknown) {
        // Unknown, not 503: the backend's pods may come from what knet does not model or the input leaves out.
        const step = {
          ...base, ok: false, unknown: true as const, status: null, backend: `${ref}:${b.ref.port}`,
          summary: `Ingress ${d.ingress} (${where}) sends to ${ref}:${b.ref.port}; whether it answers or returns 503 is unknown: ${unknown.reason}`,
          hint: unknown.hint,
        };
        steps.push(step);
        return done(failedStep(step));
      }
      const why = svc && b.upstream.servicePort !== null ? explainNoEndpoints(ctx, svc) : null;
      const step = {
        ...base, ok: false, backend: `${ref}:${b.ref.port}`,
        summary: `503 Service Unavailable: Ingress ${d.ingress} (${where}) sends to ${ref}:${b.ref.port}, ${why ? `which has no ready endpoint: ${why.reason}` : o.why}`,
        hint: why?.hint ?? (svc ? `use a port ${ref} defines: ${svc.ports.map((p) => p.name ? `${p.name} (${p.port})` : String(p.port)).join(', ')}` : `create Service ${ref}, or point the Ingress backend at an existing Service of namespace ${b.ref.namespace}`),
      };
      steps.push(step);
      return done(failedStep(step));
    }
    case 'proxy': {
      const b = o.backend;
      const ref = `${b.ref.namespace}/${b.ref.service}`;
      const up = b.upstream.kind === 'ready' ? b.upstream : null;
      steps.push({
        ...base, ok: true, backend: `${ref}:${b.upstream.servicePort ?? b.ref.port}`,
        summary: `Ingress ${d.ingress} (${where}) -> ${ref}:${b.upstream.servicePort ?? b.ref.port}, upstream path ${o.upstreamPath}${d.canary ? ` (canary ${d.canary.ingress}: ${d.canary.chosen ? 'chosen' : 'not chosen'})` : ''}`,
      });
      const endpoints = (up?.endpoints ?? []).map(parseEndpoint).filter((e): e is { ip: IP; port: number } => e !== null);
      steps.push(backendStep(ctx, controller, ref, b.upstream.servicePort ?? 0, up?.endpoints ?? []));
      if (endpoints.length === 0) {
        // An ExternalName backend: nginx proxies to a name outside the cluster.
        return done(null, null, `proxied to ${(up?.endpoints ?? []).join(', ')} outside the cluster`);
      }
      return done(null, endpoints);
    }
  }
}

type IngressStep = Extract<TraceStep, { layer: 'ingress' }>;

/**
 * A host whose Ingress no controller knet models serves: no controller runs in the input
 * (nothing publishes it), ingress-nginx leaves it out, or its class is another controller's
 * (unknown). null: ingress-nginx takes it, and the trace goes on through DNS.
 */
export function unservedHost(ctx: TraceContext, host: string): { step: IngressStep; unknown: boolean } | null {
  const r = reachHost(ctx.routes, ctx.cluster.ingresses, host);
  if (r.kind === 'controller') return null;
  // A host no Ingress claims, and no controller: a name outside the cluster (DNS decides).
  if (r.kind === 'no-controller' && r.ingresses.length === 0) return null;
  const h = normalizeHost(host);
  const base = { layer: 'ingress' as const, host: h, path: '', status: null, backend: null, warning: null };
  switch (r.kind) {
    case 'unmodelled':
      return {
        unknown: true,
        step: { ...base, ok: true, ingress: r.ingress, summary: r.reason, details: [r.why], warning: `${h}'s public address and answer come from the ${r.otherClass.name} controller, which knet does not model`, hint: `nothing to fix if the ${r.otherClass.name} controller runs in the cluster; knet predicts Ingresses of ingress-nginx` },
      };
    case 'no-controller':
      return {
        unknown: false,
        step: { ...base, ok: false, ingress: r.ingresses[0] ?? null, summary: `no ingress controller publishes ${h}: no ingress controller pod runs in the input`, details: [r.why], hint: 'install an ingress controller (ingress-nginx: its Deployment and LoadBalancer Service), or add its manifests to the input' },
      };
    case 'not-served':
      return {
        unknown: false,
        step: { ...base, ok: false, ingress: r.ingress, summary: r.reason, details: [r.why], hint: `set spec.ingressClassName of Ingress ${r.ingress} to ${ctx.routes.controller.ingressClass} (an IngressClass of controller ${ctx.routes.controller.controllerClass})` },
      };
  }
}

/** The backend as ingress-nginx uses it: its own list of ready endpoints, not kube-proxy's DNAT. */
function backendStep(ctx: TraceContext, controller: Pod, ref: string, servicePort: number, endpoints: readonly string[]): TraceStep {
  const svc = ctx.cluster.services.find((s) => `${s.meta.namespace}/${s.meta.name}` === ref);
  const vip = svc?.clusterIPs[0];
  const kp = vip && controller.status.podIPs[0]
    ? decideConnection(ctx.proxy, { src: controller.status.podIPs[0], dst: vip, dstPort: servicePort, protocol: 'TCP', clientNode: controller.spec.nodeName })
    : null;
  return {
    layer: 'service', ok: true, service: ref, verdict: kp?.verdict ?? 'none', via: 'ingress-nginx', node: controller.spec.nodeName,
    endpoints: [...endpoints], masquerade: false, sessionAffinity: null,
    summary: `ingress-nginx balances over ${ref}'s ${plural(endpoints.length, 'ready endpoint')} itself (${endpoints.join(', ')}), not through the ClusterIP${vip ? ` ${hostPort(vip, servicePort)}` : ''}`,
    details: kp ? [`kube-proxy would ${kp.verdict} the ClusterIP: ${kp.reasons.join('; ')}`] : [],
    warning: null, hint: null,
  };
}

function parseEndpoint(s: string): { ip: IP; port: number } | null {
  const i = s.lastIndexOf(':');
  const ip = parseIP(s.slice(0, i).replace(/^\[|\]$/g, ''));
  return ip ? { ip, port: Number(s.slice(i + 1)) } : null;
}

function notFoundHint(ctx: TraceContext, host: string): string {
  const unserved = ctx.routes.admissions.filter((a) => !a.served)
    .filter((a) => ctx.cluster.ingresses.some((i) => `${i.meta.namespace}/${i.meta.name}` === a.ingress && i.rules.some((r) => r.host.toLowerCase() === host)));
  if (unserved.length > 0) return `Ingress ${unserved[0]!.ingress} has a rule for ${host} but this controller does not serve it (${unserved[0]!.why}): set spec.ingressClassName to ${ctx.routes.controller.ingressClass}`;
  const hosts = ctx.routes.servers.map((s) => s.host).filter((h) => h !== '_');
  return hosts.length ? `add a rule for ${host} and this path to an Ingress; the hosts served are ${hosts.join(', ')}` : 'no Ingress is served by the controller: create one (with spec.ingressClassName)';
}
