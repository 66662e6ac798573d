// `knet route URL`: what the cluster's ingress controller does with one request: the
// Ingress and backend it picks, the certificate, redirects, and the endpoints it proxies to.
import { Option, type Command } from 'commander';
import type { Cluster } from '../cluster/fill-in.js';
import { parseIP } from '../model/ip.js';
import { hostMatches, normalizeHost } from '../core/ingress/host-path.js';
import { clientAsSeen, type SeenClient } from '../core/ingress/client-address.js';
import { matchRoute, reachHost, routeTableOf, type Reach, type RouteDecision, type RouteRequest } from '../core/ingress/index.js';
import type { RouteTable } from '../core/ingress/route-table.js';
import { FAKE_CERTIFICATE } from '../analyze/trace-tls.js';
import { routeUnknowns, type RouteUnknowns } from '../analyze/route-unknown.js';
import { CliError, toJson, type Io } from './output.js';
import { collect, loadFrom, withSource } from './source.js';

export interface RouteCliOptions {
  readonly host: string;
  readonly sni: string;
  readonly method: string;
  readonly header: readonly string[];
  readonly output: string; // '' | json
  readonly clientIp?: string; // the client's address (whitelist-source-range, denylist-source-range)
  readonly clientCert?: string; // none | valid | invalid (auth-tls-verify-client); absent: unknown
}

export function registerRoute(program: Command, io: Io): void {
  withSource(program
    .command('route')
    .description('what the ingress controller does with a request: Ingress, backend Service and endpoints, TLS certificate, redirects')
    .argument('<url>', 'e.g. https://api.opscart.com/users (http:// when no scheme is given)'))
    .option('--host <host>', 'the Host header, when it differs from the URL (e.g. the URL names the load balancer IP)', '')
    .option('--sni <name>', 'the TLS server name, when it differs from the URL host', '')
    .option('--method <method>', 'the HTTP method', 'GET')
    .option('-n, --namespace <ns>', 'the namespace of -f objects that name none (as kubectl apply -n)', '')
    .option('--header <header>', "a request header, 'Name: value' (repeatable; canary-by-header, Cookie, Origin, Content-Length)", collect, [])
    .option('--client-ip <ip>', 'the client address (source ranges): nginx sees it, or a node\'s under externalTrafficPolicy: Cluster')
    .addOption(new Option('--client-cert <kind>', 'the client certificate, for auth-tls-verify-client (unknown when not given)').choices(['none', 'valid', 'invalid']))
    .addOption(new Option('-o, --output <format>', 'json for the documented JSON form').default(''))
    .action((url: string, o: RouteCliOptions & { filename: string[] }) => {
      runRoute(io, loadFrom(io, o.filename), url, o);
    });
}

export function parseRequest(url: string, o: RouteCliOptions): RouteRequest {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new CliError(`error: "${url}" is not a URL\n  hint: e.g. knet route https://api.opscart.com/users`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`error: the ingress controller speaks http and https, not ${u.protocol.slice(0, -1)}`);
  const headers: Record<string, string> = {};
  for (const h of o.header) {
    const i = h.indexOf(':');
    if (i <= 0) throw new CliError(`error: --header "${h}" is not 'Name: value'`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  const host = o.host || headers['host'] || u.host;
  const bare = u.hostname.replace(/^\[|\]$/g, '');
  const sni = scheme === 'https' ? (o.sni || (parseIP(bare) ? null : u.hostname)) : null;
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  if (length !== undefined && !(Number.isInteger(length) && length >= 0)) throw new CliError(`error: --header "Content-Length: ${headers['content-length']}" is not a byte count`);
  const clientCertificate = o.clientCert === 'none' || o.clientCert === 'valid' || o.clientCert === 'invalid' ? o.clientCert : undefined;
  return {
    scheme, host, sni, path: u.pathname, query: u.search.replace(/^\?/, ''), method: o.method.toUpperCase(), headers,
    ...(length !== undefined ? { bodyBytes: length } : {}), ...(headers['origin'] !== undefined ? { origin: headers['origin'] } : {}),
    ...(clientCertificate ? { clientCertificate } : {}),
  };
}

export function runRoute(io: Io, cluster: Cluster, url: string, o: RouteCliOptions): void {
  if (o.output !== '' && o.output !== 'json') {
    throw new CliError(`error: unable to match a printer suitable for the output format "${o.output}", allowed formats are: json`);
  }
  if (o.clientIp !== undefined && !parseIP(o.clientIp)) throw new CliError(`error: --client-ip "${o.clientIp}" is not an IP address\n  hint: e.g. --client-ip 203.0.113.7`);
  const seen = clientAsSeen(cluster, o.clientIp ?? null);
  const req = { ...parseRequest(url, o), clientAddresses: seen.addresses };
  const table = routeTableOf(cluster);
  const reach = reachHost(table, cluster.ingresses, req.host);
  if (reach.kind === 'unmodelled' || reach.kind === 'no-controller') {
    io.out(o.output === 'json' ? toJson(unservedJson(reach)) : renderUnserved(req, reach, table));
    return;
  }
  const d = matchRoute(table, req);
  const unknowns = routeUnknowns(cluster, d, normalizeHost(req.host));
  io.out(o.output === 'json' ? toJson(routeJson(d, unknowns)) : renderRoute(req, d, table, cluster, seen, unknowns));
}

type Unserved = Extract<Reach, { kind: 'unmodelled' | 'no-controller' }>;

/** No controller knet models takes the request: the documented fields say nothing happened, `reason` says why. */
export function unservedJson(r: Unserved): Record<string, unknown> {
  return {
    status: null, ingress: r.kind === 'unmodelled' ? r.ingress : null, backend: null, tls: null, redirect: null, upstreamPath: null, endpoints: [],
    canary: null, reason: r.reason, annotation: null, unknown: r.kind === 'unmodelled' ? [r.why] : [],
    protocol: null, responseHeaders: {}, auth: null, rateLimit: null, customErrors: null, passthrough: null,
    controller: r.kind === 'unmodelled' ? { modelled: false, class: r.otherClass.name, controllerClass: r.otherClass.controller } : null,
  };
}

function renderUnserved(req: RouteRequest, r: Unserved, table: RouteTable): string {
  const url = `${req.scheme}://${req.host}${req.path}${req.query ? `?${req.query}` : ''}`;
  return [
    `${req.method} ${url} -> ${r.kind === 'unmodelled' ? 'unknown' : 'no answer'}: ${r.reason}`,
    `  ingress:   ${r.kind === 'unmodelled' ? r.ingress : '(none)'}`,
    '  why:',
    `    ${r.why}`,
    r.kind === 'unmodelled'
      ? `    knet models ingress-nginx (controller ${table.controller.controllerClass}, class ${table.controller.ingressClass}); run the ${r.otherClass.name} controller's own tools for its answer`
      : '    install an ingress controller (ingress-nginx: its Deployment and LoadBalancer Service) with the input to predict its answer',
  ].join('\n');
}


const KNOWN: RouteUnknowns = { backend: null, tls: null };

/** `verdict: "unknown"` only where knet cannot tell (a backend's pods: status null; a TLS Secret not in the input). */
export function routeJson(d: RouteDecision, unknowns: RouteUnknowns = KNOWN): Record<string, unknown> {
  const o = d.outcome;
  const backend = o.kind === 'proxy' || o.kind === 'unavailable' || o.kind === 'passthrough' ? o.backend : null;
  const unsure = unknowns.backend ?? unknowns.tls?.unknown ?? null;
  return {
    ...(unsure ? { verdict: 'unknown' } : {}),
    status: unknowns.backend ? null : o.status,
    ingress: d.ingress,
    backend: backend && {
      namespace: backend.ref.namespace, service: backend.ref.service,
      port: backend.upstream.servicePort ?? backend.ref.port,
    },
    tls: d.tls && (d.tls.kind === 'secret'
      ? { secret: d.tls.secret, sni: d.tls.sni, default: false }
      : unknowns.tls
        ? { secret: unknowns.tls.secret, sni: d.tls.sni, default: null, unknown: unknowns.tls.unknown.reason }
        : { secret: null, sni: d.tls.sni, default: true }),
    redirect: o.kind === 'redirect' ? { location: o.location } : null,
    upstreamPath: o.kind === 'proxy' ? o.upstreamPath : null,
    endpoints: o.kind === 'proxy' && o.backend.upstream.kind === 'ready' ? o.backend.upstream.endpoints : [],
    canary: d.canary && {
      ingress: d.canary.ingress, service: `${d.canary.backend.ref.namespace}/${d.canary.backend.ref.service}`, chosen: d.canary.chosen, reason: d.canary.why,
      weight: d.canary.weight, total: d.canary.total,
    },
    reason: o.kind === 'proxy' ? (o.fallbackFrom ? `${o.fallbackFrom.ref.namespace}/${o.fallbackFrom.ref.service} has no ready endpoint: the default-backend answers` : null)
      : o.kind === 'cors-preflight' ? 'CORS preflight' : unknowns.backend ? unknowns.backend.reason : o.why,
    annotation: d.annotation,
    unknown: [...(unknowns.tls ? [unknowns.tls.unknown.reason] : []), ...(unknowns.backend ? [unknowns.backend.reason] : []), ...d.unknown],
    protocol: o.kind === 'proxy' ? o.protocol : null,
    responseHeaders: o.kind === 'cors-preflight' ? o.headers : d.responseHeaders,
    auth: d.auth && { url: d.auth.url, service: d.auth.service, signin: d.auth.signin || null, onDenied: d.auth.onDenied },
    rateLimit: d.rateLimit,
    customErrors: d.customErrors && { codes: d.customErrors.codes, service: d.customErrors.by ? `${d.customErrors.by.ref.namespace}/${d.customErrors.by.ref.service}` : null },
    passthrough: o.kind === 'passthrough' ? { service: `${o.backend.ref.namespace}/${o.backend.ref.service}`, endpoints: o.backend.upstream.kind === 'ready' ? o.backend.upstream.endpoints : [] } : null,
  };
}

/** Whether the Certificate that writes a Secret the input lacks says it is Ready. */
function issuedReady(cluster: Cluster, ref: string): boolean {
  return cluster.certificates.some((c) => `${c.meta.namespace}/${c.meta.name}` === ref && c.readyCondition === true);
}


function renderRoute(req: RouteRequest, d: RouteDecision, table: RouteTable, cluster: Cluster, seen: SeenClient, unknowns: RouteUnknowns): string {
  const o = d.outcome;
  const url = `${req.scheme}://${req.host}${req.path}${req.query ? `?${req.query}` : ''}`;
  const svc = (b: { ref: { namespace: string; service: string; port: number | string }; upstream: { servicePort: number | null } }) =>
    `${b.ref.namespace}/${b.ref.service}:${b.upstream.servicePort ?? b.ref.port}`;
  const head = o.kind === 'proxy' ? `${o.status}, proxied to ${svc(o.backend)}`
    : o.kind === 'redirect' ? `${o.status} redirect to ${o.location}`
      : o.kind === 'unavailable' ? (unknowns.backend ? `unknown: ${svc(o.backend)} answers, or 503 if it has no pods (${unknowns.backend.reason})` : `503 Service Unavailable (${o.why})`)
        : o.kind === 'refused' ? `${o.status} from nginx (${o.annotation})`
          : o.kind === 'cors-preflight' ? '204 CORS preflight, answered by nginx'
            : o.kind === 'passthrough' ? `TLS passed through to ${svc(o.backend)} (ssl-passthrough): the status is the backend's`
              : '404 Not Found (the controller\'s default backend)';
  const lines = [`${req.method} ${url} -> ${head}`];
  const field = (k: string, v: string) => lines.push(`  ${`${k}:`.padEnd(10)} ${v}`);
  field('ingress', d.ingress ? `${d.ingress}${d.location ? ` (host ${d.server === '_' ? '*' : d.server}, path ${d.location.path} ${d.location.pathType})` : ''}` : '(none)');
  if (d.tls) {
    field('tls', unknowns.tls ? `unknown: ${unknowns.tls.unknown.reason}` : d.tls.kind === 'secret'
      ? `Secret ${d.tls.secret} for SNI ${d.tls.sni}${d.tls.issuedBy ? ` (written by cert-manager Certificate ${d.tls.issuedBy}${issuedReady(cluster, d.tls.issuedBy) ? ', Ready' : `; until it is Ready, ingress-nginx serves its ${FAKE_CERTIFICATE}`})` : ''}`
      : `the controller's default certificate${d.tls.certificate ? ` (Secret ${d.tls.certificate})` : ' (self-signed)'}: ${d.tls.why}`);
  }
  if (d.canary) field('canary', `${d.canary.backend.ref.namespace}/${d.canary.backend.ref.service} from ${d.canary.ingress}: ${d.canary.chosen ? 'chosen' : 'not chosen'} (weight ${d.canary.weight} of ${d.canary.total})`);
  if (o.kind === 'proxy' && o.backend.upstream.kind === 'ready') {
    field('upstream', `${req.method} ${o.upstreamPath} to ${o.backend.upstream.endpoints.join(', ')}`);
  }
  const t = d.location?.config.traffic;
  if (t && (t.allow.length > 0 || t.deny.length > 0 || t.limit)) field('client', seen.why);
  for (const u of d.unknown) field('unknown', u);
  lines.push('  why:');
  lines.push(`    controller ${table.controller.controllerClass}, class ${table.controller.ingressClass} (${table.controller.source})`);
  for (const t of d.trace) lines.push(`    ${t}`);
  // Ingresses for this host that the controller does not serve are the usual surprise.
  const host = normalizeHost(req.host);
  for (const a of table.admissions) {
    if (a.served) continue;
    const ing = cluster.ingresses.find((i) => `${i.meta.namespace}/${i.meta.name}` === a.ingress);
    if (ing?.rules.some((r) => !r.host || hostMatches(r.host, host))) lines.push(`    note: Ingress ${a.ingress} has a rule for this host but is not served: ${a.why}`);
  }
  const merged = table.servers.find((s) => s.host === d.server)?.ingresses ?? [];
  for (const n of table.notes) if (merged.includes(n.ingress)) lines.push(`    ${n.unsupported ? 'warning' : 'note'}: Ingress ${n.ingress}: ${n.message}`);
  return lines.join('\n');
}
