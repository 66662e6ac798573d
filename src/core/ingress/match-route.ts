// What the ingress controller does with one request, decided from the route table: TLS
// (SNI picks the certificate), the server (Host, exact then wildcard then catch-all),
// app-root, the location (Exact/Prefix precedence, or first regex match), ssl-redirect,
// the canary, and the backend: proxied (200), redirected, 404 or 503, with every step
// recorded in the decision's trace.
import type { PathType, Ref } from '../../model/types.js';
import type { Backend } from './backend.js';
import { hostMatches, normalizeHost, normalizeUri, pathMatches, regexLocation } from './host-path.js';
import { CATCH_ALL, needsRewrite, type Location, type RouteTable, type Server } from './route-table.js';
import { certificateForSni, type ServerCertificate } from './tls.js';

export interface RouteRequest {
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
}

export type RouteOutcome =
  | { readonly kind: 'proxy'; readonly status: 200; readonly backend: Backend; readonly upstreamPath: string }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string; readonly why: 'ssl-redirect' | 'force-ssl-redirect' | 'app-root' | 'rewrite' }
  | { readonly kind: 'default-backend'; readonly status: 404; readonly why: string }
  | { readonly kind: 'unavailable'; readonly status: 503; readonly backend: Backend; readonly why: string };

export interface RouteDecision {
  readonly server: string;
  readonly location: Location | null; // for app-root, the location that carries the annotation
  readonly ingress: Ref | null;
  readonly tls: TlsDecision | null;
  readonly canary: CanaryDecision | null;
  readonly outcome: RouteOutcome;
  readonly trace: readonly string[];
}

export function matchRoute(table: RouteTable, req: RouteRequest): RouteDecision {
  const trace: string[] = [];
  const tls = req.scheme === 'https' ? decideTls(table, req.sni, trace) : null;
  const host = normalizeHost(req.host);
  const server = selectServer(table.servers, host, trace);
  const uri = normalizeUri(req.path);
  const requestUri = `${req.path || '/'}${req.query ? `?${req.query}` : ''}`;
  // The controller's default backend answering for a host's `/` is no Ingress's doing.
  const done = (location: Location | null, outcome: RouteOutcome, canary: CanaryDecision | null = null): RouteDecision =>
    ({ server: server.host, location, ingress: outcome.kind === 'default-backend' ? null : location?.ingress ?? null, tls, canary, outcome, trace });

  // app-root is a server-level `if ($uri = /)`: it runs before any location is chosen.
  if (server.appRoot && uri === '/') {
    const location = `${req.scheme}://${req.host}${server.appRoot}`;
    const owner = server.locations.find((l) => l.config.appRoot === server.appRoot) ?? null;
    trace.push(`app-root ${server.appRoot}${owner?.ingress ? ` of Ingress ${owner.ingress}` : ''}: / is redirected (302) to ${location}`);
    return done(owner, { kind: 'redirect', status: 302, location, why: 'app-root' });
  }

  const loc = selectLocation(server, uri);
  trace.push(`path ${uri} -> location ${loc.path} (${server.regex ? `regex ~* "^${loc.path}"` : loc.pathType})${loc.ingress ? ` of Ingress ${loc.ingress}` : ' (the controller\'s own)'}`);

  if (req.scheme === 'http') {
    const redirect = sslRedirect(table, server, loc, host, req, requestUri, trace);
    if (redirect) return done(loc, redirect);
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
  if (backend.upstream.kind === 'unavailable') {
    trace.push(`${svc}: ${backend.upstream.why} -> 503`);
    return done(loc, { kind: 'unavailable', status: 503, backend, why: backend.upstream.why }, canary);
  }
  const n = backend.upstream.endpoints.length;
  trace.push(`${svc} -> ${n} ready endpoint${n === 1 ? '' : 's'}`);
  const rewritten = rewrite(loc, uri, req, requestUri, trace);
  if (typeof rewritten !== 'string') return done(loc, rewritten, canary);
  return done(loc, { kind: 'proxy', status: 200, backend, upstreamPath: rewritten }, canary);
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
  const pick = (chosen: boolean, why: string): CanaryDecision => ({ ingress: c.ingress, backend: c.backend, chosen, why });
  const cfg = c.config;
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
  const total = cfg.weightTotal > 100 ? cfg.weightTotal : 100;
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
