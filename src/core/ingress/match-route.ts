// What the ingress controller does with one request, decided from the route table: TLS
// (SNI picks the certificate), the server (Host, exact then wildcard then catch-all),
// app-root, the location (Exact/Prefix precedence, or first regex match), ssl-redirect,
// the canary, and the backend: proxied (200), redirected, 404 or 503, with every step
// recorded in the decision's trace. The traffic annotations (traffic.ts) run where nginx's
// phases put them; ssl-passthrough takes the connection before any of it.
import type { PathType, Ref } from '../../model/types.js';
import type { Backend } from './backend.js';
import { corsHeaders, decideAuth, decideBodySize, decideClientCertificate, decideRewritePhase, decideSourceRange, type AuthDecision, type ClientFacts, type Notes, type Refusal } from './traffic.js';
import type { BackendProtocol } from './traffic-annotations.js';
import { hostMatches, normalizeHost, normalizeUri, pathMatches, regexLocation } from './host-path.js';
import { CATCH_ALL, needsRewrite, type Location, type RouteTable, type Server } from './route-table.js';
import { certificateForSni, type ServerCertificate } from './tls.js';

export interface RouteRequest extends ClientFacts {
  readonly scheme: 'http' | 'https';
  readonly host: string; // the Host header as sent (a port is ignored)
  readonly sni: string | null; // https only; null: the client sent none (e.g. a bare IP)
  readonly path: string; // as sent, percent-encoded, without the query
  readonly query: string; // without '?'
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>; // lower-case names
}

export type TlsDecision =
  | { readonly kind: 'secret'; readonly sni: string; readonly server: string; readonly secret: Ref; readonly issuedBy: Ref | null }
  | { readonly kind: 'default'; readonly sni: string | null; readonly certificate: Ref | null; readonly why: string };

export interface CanaryDecision {
  readonly ingress: Ref;
  readonly backend: Backend;
  readonly chosen: boolean;
  readonly why: string;
  /** canary-weight and canary-weight-total (100 unless larger): the canary's share of requests no header or cookie decides. */
  readonly weight: number;
  readonly total: number;
}

export type RouteOutcome =
  | { readonly kind: 'proxy'; readonly status: 200; readonly backend: Backend; readonly upstreamPath: string; readonly protocol: BackendProtocol; readonly fallbackFrom: Backend | null }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string; readonly why: 'ssl-redirect' | 'force-ssl-redirect' | 'app-root' | 'rewrite' | 'permanent-redirect' | 'temporal-redirect' }
  | { readonly kind: 'default-backend'; readonly status: 404; readonly why: string }
  | { readonly kind: 'unavailable'; readonly status: 503; readonly backend: Backend; readonly why: string }
  | Refusal
  | { readonly kind: 'cors-preflight'; readonly status: 204; readonly headers: Readonly<Record<string, string>> }
  // ssl-passthrough: the TLS connection goes to the backend as it is; the status is the backend's.
  | { readonly kind: 'passthrough'; readonly status: null; readonly backend: Backend; readonly why: string };

/** custom-http-errors: these statuses from the backend are answered by `by` instead (with X-Code). */
export interface CustomErrors {
  readonly codes: readonly number[];
  readonly by: Backend | null; // null: the controller's default backend
}

export interface RouteDecision {
  readonly server: string;
  readonly location: Location | null; // for app-root, the location that carries the annotation
  readonly ingress: Ref | null;
  readonly tls: TlsDecision | null;
  readonly canary: CanaryDecision | null;
  readonly outcome: RouteOutcome;
  readonly trace: readonly string[];
  /** The annotation that decided the outcome, when one did (full key). */
  readonly annotation: string | null;
  /** What the answer depends on that is outside the model: the auth service's answer, the client's certificate or address. */
  readonly unknown: readonly string[];
  /** Headers nginx adds to the answer (CORS). */
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly auth: AuthDecision | null;
  readonly rateLimit: { readonly rps: number; readonly burst: number; readonly status: number } | null;
  readonly customErrors: CustomErrors | null;
}

const ANNOTATION_OF: Partial<Record<string, string>> = {
  'permanent-redirect': 'nginx.ingress.kubernetes.io/permanent-redirect', 'temporal-redirect': 'nginx.ingress.kubernetes.io/temporal-redirect',
  'app-root': 'nginx.ingress.kubernetes.io/app-root', 'force-ssl-redirect': 'nginx.ingress.kubernetes.io/force-ssl-redirect',
  rewrite: 'nginx.ingress.kubernetes.io/rewrite-target',
};

function decidingAnnotation(o: RouteOutcome): string | null {
  switch (o.kind) {
    case 'refused': return o.annotation;
    case 'redirect': return ANNOTATION_OF[o.why] ?? null;
    case 'cors-preflight': return 'nginx.ingress.kubernetes.io/enable-cors';
    case 'passthrough': return 'nginx.ingress.kubernetes.io/ssl-passthrough';
    case 'proxy': return o.fallbackFrom ? 'nginx.ingress.kubernetes.io/default-backend' : null;
    default: return null;
  }
}

export function matchRoute(table: RouteTable, req: RouteRequest): RouteDecision {
  const trace: string[] = [];
  const n: Notes = { trace, unknown: [] };
  let responseHeaders: Record<string, string> = {};
  let auth: AuthDecision | null = null;
  let rateLimit: RouteDecision['rateLimit'] = null;
  let customErrors: CustomErrors | null = null;
  const decision = (server: string, location: Location | null, tls: TlsDecision | null, outcome: RouteOutcome, canary: CanaryDecision | null = null): RouteDecision => ({
    // The controller's default backend answering for a host's `/` is no Ingress's doing.
    server, location, ingress: outcome.kind === 'default-backend' ? null : location?.ingress ?? null, tls, canary, outcome, trace,
    annotation: decidingAnnotation(outcome), unknown: n.unknown, responseHeaders, auth, rateLimit, customErrors,
  });

  // ssl-passthrough: nginx's stream server reads SNI and hands the whole connection over.
  const passthrough = req.scheme === 'https' && req.sni ? table.servers.find((s) => s.passthrough && s.host === req.sni!.toLowerCase().replace(/\.$/, '')) : undefined;
  if (passthrough?.passthrough) {
    const p = passthrough.passthrough;
    const why = `ssl-passthrough (Ingress ${p.ingress}): SNI ${req.sni} -> the TLS connection goes as it is to Service ${p.backend.ref.namespace}/${p.backend.ref.service}, which terminates TLS and answers itself`;
    trace.push(why);
    if (p.backend.upstream.kind === 'unavailable') trace.push(`${p.backend.upstream.why}: the connection is closed`);
    n.unknown.push(`the answer of Service ${p.backend.ref.namespace}/${p.backend.ref.service}: nginx sees neither the Host, the path nor the status`);
    return decision(passthrough.host, passthrough.locations.find((l) => l.path === '/') ?? null, null, { kind: 'passthrough', status: null, backend: p.backend, why });
  }

  const tls = req.scheme === 'https' ? decideTls(table, req.sni, trace) : null;
  const host = normalizeHost(req.host);
  const server = selectServer(table.servers, host, trace);
  const uri = normalizeUri(req.path);
  const requestUri = `${req.path || '/'}${req.query ? `?${req.query}` : ''}`;
  const done = (location: Location | null, outcome: RouteOutcome, canary: CanaryDecision | null = null): RouteDecision =>
    decision(server.host, location, tls, outcome, canary);

  const certificate = decideClientCertificate(server, req.scheme, req, n);
  if (certificate) return done(null, certificate);

  // app-root is a server-level `if ($uri = /)`: it runs before any location is chosen.
  if (server.appRoot && uri === '/') {
    const location = `${req.scheme}://${req.host}${server.appRoot}`;
    const owner = server.locations.find((l) => l.config.appRoot === server.appRoot) ?? null;
    trace.push(`app-root ${server.appRoot}${owner?.ingress ? ` of Ingress ${owner.ingress}` : ''}: / is redirected (302) to ${location}`);
    return done(owner, { kind: 'redirect', status: 302, location, why: 'app-root' });
  }

  const loc = selectLocation(server, uri);
  trace.push(`path ${uri} -> location ${loc.path} (${server.regex ? `regex ~* "^${loc.path}"` : loc.pathType})${loc.ingress ? ` of Ingress ${loc.ingress}` : ' (the controller\'s own)'}`);

  const t = loc.config.traffic;
  const tooLarge = decideBodySize(loc, req, n);
  if (tooLarge) return done(loc, tooLarge);
  if (t.denied) {
    const why = `${t.denied.annotation} of Ingress ${loc.ingress}: ${t.denied.why}; ingress-nginx denies the location: 503`;
    trace.push(why);
    return done(loc, { kind: 'refused', status: 503, annotation: t.denied.annotation, why });
  }
  if (t.cors) responseHeaders = corsHeaders(t.cors, req.origin) ?? {};
  const rewritePhase = decideRewritePhase(loc, req.method, req, n);
  if (rewritePhase) return done(loc, rewritePhase);

  if (req.scheme === 'http') {
    const redirect = sslRedirect(table, server, loc, host, req, requestUri, trace);
    if (redirect) return done(loc, redirect);
  }

  if (t.limit) {
    rateLimit = { ...t.limit, status: table.controller.limitReqStatusCode };
    trace.push(`limit-rps ${t.limit.rps}: per client address, ${t.limit.burst} requests past the rate are let through at once (burst), more get ${rateLimit.status}`);
  }
  const range = decideSourceRange(loc, req, n);
  if (range) return done(loc, range);
  const authorized = decideAuth(loc, n);
  auth = authorized.auth;
  if (authorized.refusal) return done(loc, authorized.refusal);
  if (t.customHttpErrors.length > 0) {
    customErrors = { codes: t.customHttpErrors, by: loc.errorBackend };
    const by = loc.errorBackend ? `Service ${loc.errorBackend.ref.namespace}/${loc.errorBackend.ref.service} (default-backend)` : 'the controller\'s default backend';
    trace.push(`custom-http-errors ${t.customHttpErrors.join(',')}: if the backend answers one of them, ${by} answers instead (with X-Code)`);
  }

  if (!loc.backend) {
    const why = loc.ingress
      ? `Ingress ${loc.ingress} has no defaultBackend: the controller's default backend answers 404`
      : `no Ingress rule matches host ${host || '(none)'} and path ${uri}: the controller's default backend answers 404`;
    trace.push(why);
    return done(loc, { kind: 'default-backend', status: 404, why });
  }

  const canary = loc.canary ? decideCanary(loc, req) : null;
  if (canary) trace.push(`canary Ingress ${canary.ingress}: ${canary.why}`);
  const backend = canary?.chosen ? canary.backend : loc.backend;
  const svc = `Service ${backend.ref.namespace}/${backend.ref.service} port ${backend.ref.port}`;
  let fallbackFrom: Backend | null = null;
  let target = backend;
  if (backend.upstream.kind === 'unavailable') {
    // default-backend: "handles the response when the Service of the rule has no active endpoint".
    if (loc.errorBackend && !canary?.chosen) {
      trace.push(`${svc}: ${backend.upstream.why}; default-backend Service ${loc.errorBackend.ref.namespace}/${loc.errorBackend.ref.service} answers instead (X-Code 503)`);
      fallbackFrom = backend;
      target = loc.errorBackend;
    }
    if (target.upstream.kind === 'unavailable') {
      if (target !== backend) trace.push(`default-backend: ${target.upstream.why} -> 503`);
      else trace.push(`${svc}: ${backend.upstream.why} -> 503`);
      if (t.customHttpErrors.includes(503) && target === backend) {
        const why = `${svc}: ${backend.upstream.why}; 503 is in custom-http-errors, so the controller's default backend answers (404)`;
        trace.push(why);
        return done(loc, { kind: 'default-backend', status: 404, why }, canary);
      }
      return done(loc, { kind: 'unavailable', status: 503, backend: target, why: target.upstream.why }, canary);
    }
  }
  if (fallbackFrom) n.unknown.push(`the status of default-backend Service ${target.ref.namespace}/${target.ref.service}: nginx passes its answer on (ingress-nginx's custom error pages answer the X-Code, 503)`);
  const count = target.upstream.kind === 'ready' ? target.upstream.endpoints.length : 0;
  if (!fallbackFrom) trace.push(`${svc} -> ${count} ready endpoint${count === 1 ? '' : 's'}`);
  if (t.backendProtocol !== 'HTTP') {
    trace.push(`backend-protocol ${t.backendProtocol}: nginx speaks ${t.backendProtocol === 'HTTPS' ? 'HTTPS' : t.backendProtocol === 'GRPC' ? 'gRPC (HTTP/2 cleartext)' : 'gRPC over TLS'} to the endpoints`);
    n.unknown.push(`whether Service ${target.ref.namespace}/${target.ref.service} speaks ${t.backendProtocol} (backend-protocol); if not, nginx answers 502`);
  }
  const rewritten = rewrite(loc, uri, req, requestUri, trace);
  if (typeof rewritten !== 'string') return done(loc, rewritten, canary);
  return done(loc, { kind: 'proxy', status: 200, backend: target, upstreamPath: rewritten, protocol: t.backendProtocol, fallbackFrom }, canary);
}

function decideTls(table: RouteTable, sni: string | null, trace: string[]): TlsDecision {
  const certs = new Map<string, ServerCertificate>();
  for (const s of table.servers) if (s.certificate) certs.set(s.host, s.certificate);
  const defaultCert = table.controller.defaultCertificate;
  const fallback = (why: string): TlsDecision => {
    trace.push(`TLS: ${why} -> the default certificate${defaultCert ? ` (Secret ${defaultCert})` : ' (self-signed "Kubernetes Ingress Controller Fake Certificate")'}`);
    return { kind: 'default', sni, certificate: defaultCert, why };
  };
  if (!sni) return fallback('the client sent no SNI');
  const hit = certificateForSni(sni, certs);
  if (!hit) return fallback(`no Ingress with a tls section defines a host matching SNI ${sni}`);
  const c = hit.value;
  if (c.kind === 'default') return fallback(`SNI ${sni} -> server ${hit.host}: ${c.why}`);
  trace.push(`TLS: SNI ${sni} -> server ${hit.host} -> Secret ${c.secret}${c.issuedBy ? ` (not in the input: cert-manager Certificate ${c.issuedBy} writes it)` : ''}`);
  return { kind: 'secret', sni, server: hit.host, secret: c.secret, issuedBy: c.issuedBy };
}

function selectServer(servers: readonly Server[], host: string, trace: string[]): Server {
  const catchAll = servers.find((s) => s.host === CATCH_ALL)!;
  const exact = servers.find((s) => s.host !== CATCH_ALL && !s.host.startsWith('*.') && s.host === host);
  if (exact) {
    trace.push(`host ${host} -> server ${exact.host} (Ingresses ${exact.ingresses.join(', ')})`);
    return exact;
  }
  const wildcard = servers.find((s) => s.host.startsWith('*.') && hostMatches(s.host, host));
  if (wildcard) {
    trace.push(`host ${host} -> server ${wildcard.host} (wildcard: one label; Ingresses ${wildcard.ingresses.join(', ')})`);
    return wildcard;
  }
  trace.push(`host ${host || '(none)'} matches no Ingress host -> the catch-all server${catchAll.ingresses.length ? ` (rules without a host: ${catchAll.ingresses.join(', ')})` : ''}`);
  return catchAll;
}

/**
 * Without regex: the longest matching path wins, Exact before Prefix at equal length. With
 * regex (use-regex or rewrite-target anywhere on the host), nginx tries `^<path>`
 * case-insensitively in location order (longest first) and takes the first match.
 */
export function selectLocation(server: Server, uri: string): Location {
  if (server.regex) {
    for (const l of server.locations) {
      const re = regexLocation(l.path);
      if (!('error' in re) && re.test(uri)) return l;
    }
    return server.locations[server.locations.length - 1]!;
  }
  const weight = (p: string) => (p.length > 1 && p.endsWith('/') ? p.length - 1 : p.length);
  const rank = (t: PathType) => (t === 'Exact' ? 1 : 0);
  let best: Location | null = null;
  for (const l of server.locations) {
    if (!pathMatches(l.pathType, l.path, uri)) continue;
    if (!best || weight(l.path) > weight(best.path) || (weight(l.path) === weight(best.path) && rank(l.pathType) > rank(best.pathType))) best = l;
  }
  return best ?? server.locations[server.locations.length - 1]!;
}

/**
 * Whether plain http to `loc` is redirected to https: `force-ssl-redirect`, or `ssl-redirect`
 * when the host has a certificate (an Ingress of the host has a tls section); never for a
 * location in no-tls-redirect-locations (cert-manager's solver path). The same for every
 * request to the server and location: the request only shapes the redirect URL. A real
 * proxy is configured from this (compile/ingress-nginx), so it cannot drift from `matchRoute`.
 */
export function httpsRedirectOf(table: RouteTable, loc: Location, host: string): HttpsRedirect {
  const c = table.controller;
  const exempt = c.noTlsRedirectLocations.find((p) => loc.path.startsWith(p));
  if (exempt) return { kind: 'exempt', prefix: exempt };
  const certs = new Map(table.servers.filter((s) => s.certificate && s.host !== CATCH_ALL).map((s) => [s.host, true] as const));
  const configured = certificateForSni(host, certs) !== null;
  if (loc.config.forceSslRedirect) return { kind: 'redirect', why: 'force-ssl-redirect', status: c.httpRedirectCode, preserveTrailingSlash: loc.config.preserveTrailingSlash };
  if (loc.config.sslRedirect && configured) return { kind: 'redirect', why: 'ssl-redirect', status: c.httpRedirectCode, preserveTrailingSlash: loc.config.preserveTrailingSlash };
  return { kind: 'none' };
}

export type HttpsRedirect =
  | { readonly kind: 'redirect'; readonly why: 'ssl-redirect' | 'force-ssl-redirect'; readonly status: number; readonly preserveTrailingSlash: boolean }
  | { readonly kind: 'exempt'; readonly prefix: string }
  | { readonly kind: 'none' };

function sslRedirect(table: RouteTable, server: Server, loc: Location, host: string, req: RouteRequest, requestUri: string, trace: string[]): RouteOutcome | null {
  const c = table.controller;
  const decision = httpsRedirectOf(table, loc, host);
  if (decision.kind === 'exempt') {
    trace.push(`location ${loc.path} is in no-tls-redirect-locations: no redirect to https (the ACME HTTP-01 challenge must answer on http)`);
    return null;
  }
  if (decision.kind === 'none') return null;
  const why = decision.why;
  const exempt = c.noTlsRedirectLocations.find((p) => req.path.startsWith(p));
  if (exempt) trace.push(`no-tls-redirect-locations exempts locations whose path starts with ${exempt} (cert-manager's solver Ingress has one); this request matched location ${loc.path}, which is not exempt`);
  let uri = requestUri;
  if (!decision.preserveTrailingSlash && uri.endsWith('/')) uri = uri.slice(0, -1);
  const location = `https://${req.host.replace(/:\d+$/, '')}${uri}`;
  trace.push(why === 'ssl-redirect'
    ? `server ${server.host} has TLS (an Ingress of the host has a tls section) and ssl-redirect is on: ${c.httpRedirectCode} to ${location}`
    : `force-ssl-redirect: ${c.httpRedirectCode} to ${location}`);
  return { kind: 'redirect', status: decision.status, location, why };
}

/** balancer.lua's order: header (value, pattern, or always/never), then cookie, then weight. */
function decideCanary(loc: Location, req: RouteRequest): CanaryDecision {
  const c = loc.canary!;
  const cfg = c.config;
  const total = cfg.weightTotal > 100 ? cfg.weightTotal : 100;
  const pick = (chosen: boolean, why: string): CanaryDecision => ({ ingress: c.ingress, backend: c.backend, chosen, why, weight: cfg.weight, total });
  if (cfg.header) {
    const v = req.headers[cfg.header.toLowerCase()];
    if (v !== undefined) {
      if (cfg.headerValue) {
        if (v === cfg.headerValue) return pick(true, `header ${cfg.header}: ${v} equals canary-by-header-value`);
      } else if (cfg.headerPattern) {
        let re: RegExp | null = null;
        try { re = new RegExp(cfg.headerPattern); } catch { re = null; }
        if (re?.test(v)) return pick(true, `header ${cfg.header}: ${v} matches canary-by-header-pattern`);
      } else if (v === 'always') return pick(true, `header ${cfg.header}: always`);
      else if (v === 'never') return pick(false, `header ${cfg.header}: never`);
    }
  }
  if (cfg.cookie) {
    const cookie = (req.headers['cookie'] ?? '').split(';').map((s) => s.trim().split('=')).find(([k]) => k === cfg.cookie)?.[1];
    if (cookie === 'always') return pick(true, `cookie ${cfg.cookie}=always`);
    if (cookie === 'never') return pick(false, `cookie ${cfg.cookie}=never`);
  }
  if (cfg.weight >= total) return pick(true, `canary-weight ${cfg.weight} of ${total}: every request`);
  if (cfg.weight <= 0) return pick(false, 'no header or cookie selects it, and canary-weight is 0');
  return pick(false, `canary-weight ${cfg.weight} of ${total}: ${((100 * cfg.weight) / total).toFixed(0)}% of requests go to the canary; this one is shown on the primary`);
}

/** nginx `rewrite "(?i)<path>" <target> break;`: the whole URI is replaced, $n from the path's groups. */
function rewrite(loc: Location, uri: string, req: RouteRequest, requestUri: string, trace: string[]): string | RouteOutcome {
  if (!needsRewrite(loc)) return requestUri;
  let re: RegExp;
  try {
    re = new RegExp(loc.path, 'i');
  } catch {
    return requestUri;
  }
  const m = re.exec(uri);
  if (!m) return requestUri;
  let target = loc.config.rewriteTarget.replace(/\$(\d)/g, (_, d: string) => m[Number(d)] ?? '');
  if (/^(https?:\/\/|\$scheme)/.test(target)) {
    target = target.replace('$scheme', req.scheme);
    trace.push(`rewrite-target ${loc.config.rewriteTarget} is a URL: nginx answers 302 to ${target}`);
    return { kind: 'redirect', status: 302, location: target, why: 'rewrite' };
  }
  if (req.query) target += `${target.includes('?') ? '&' : '?'}${req.query}`;
  trace.push(`rewrite-target ${loc.config.rewriteTarget}: ${uri} -> ${target}`);
  return target;
}
