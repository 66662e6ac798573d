// What the traffic annotations do to one request, in nginx's order of phases (which is the
// order ingress-nginx's configuration runs them in): the client certificate at the TLS
// handshake (400), the body size once the location is found (413), then the rewrite phase
// (a CORS preflight 204, permanent-/temporal-redirect, then ssl-redirect), the rate limit
// (preaccess), the source ranges and external auth (access: 403, then the auth subrequest),
// and at last the proxy: the backend protocol, the default-backend when the backend has no
// endpoint, the custom-http-errors. What depends on something outside the model (the auth
// service's answer, the client's certificate or address, the backend's statuses) is said in
// `unknown`, never guessed.
import { cidrContains, parseCidr, parseIP } from '../../model/ip.js';
import type { Ref } from '../../model/types.js';
import { resolveBackend, type Backend, type BackendSources } from './backend.js';
import type { Location, Server } from './route-table.js';
import { bodySizeBytes, corsOriginAllowed, type CorsPolicy } from './traffic-annotations.js';

const P = 'nginx.ingress.kubernetes.io/';

/** What the request carries that only the client knows; absent: unknown to the model. */
export interface ClientFacts {
  /** The addresses nginx may see the client as (one when known; a node's when kube-proxy masquerades). */
  readonly clientAddresses?: readonly string[];
  readonly clientCertificate?: 'none' | 'valid' | 'invalid';
  readonly bodyBytes?: number; // Content-Length
  readonly origin?: string; // the Origin header
}

export type Refusal = { readonly kind: 'refused'; readonly status: number; readonly annotation: string; readonly why: string };

export interface Notes {
  readonly trace: string[];
  readonly unknown: string[];
}

/** `ssl_verify_client`: nginx answers 400 before any location when the certificate is required and missing or bad. */
export function decideClientCertificate(server: Server, scheme: 'http' | 'https', c: ClientFacts, n: Notes): Refusal | null {
  const m = server.authTls;
  if (!m) return null;
  if (m.problem) {
    const why = `auth-tls-secret of Ingress ${m.ingress}: ${m.problem}; ingress-nginx answers every request to ${server.host} with 403`;
    n.trace.push(why);
    return { kind: 'refused', status: 403, annotation: `${P}auth-tls-secret`, why };
  }
  if (scheme === 'http' || m.verify === 'off' || m.verify === 'optional_no_ca') {
    if (scheme === 'https') n.trace.push(`mTLS (Ingress ${m.ingress}): auth-tls-verify-client ${m.verify}: any client certificate, or none, is accepted`);
    return null;
  }
  const cert = c.clientCertificate;
  const allowsNone = m.verify === 'optional';
  if (cert === undefined) {
    n.unknown.push(`the client's certificate: ${server.host} verifies it against ca.crt of Secret ${m.secret} (auth-tls-verify-client ${m.verify}); ${allowsNone ? 'one that does not verify gets 400, none passes' : 'none, or one that does not verify, gets 400'}`);
    n.trace.push(`mTLS (Ingress ${m.ingress}): a client certificate signed by ${m.secret}'s ca.crt is ${allowsNone ? 'checked when sent' : 'required'}; this answer assumes the client sends one`);
    return null;
  }
  if (cert === 'valid' || (cert === 'none' && allowsNone)) {
    n.trace.push(`mTLS (Ingress ${m.ingress}): client certificate ${cert === 'valid' ? 'verified by' : 'not sent, optional for'} ${m.secret}`);
    return null;
  }
  const why = cert === 'none'
    ? `auth-tls-verify-client ${m.verify} (Ingress ${m.ingress}): the client sent no certificate; nginx answers 400 (No required SSL certificate was sent)`
    : `auth-tls-verify-client ${m.verify} (Ingress ${m.ingress}): the client certificate does not verify against ca.crt of Secret ${m.secret}; nginx answers 400`;
  n.trace.push(why);
  return { kind: 'refused', status: 400, annotation: `${P}auth-tls-verify-client`, why };
}

/** client_max_body_size is checked as soon as nginx has the location: 413 before any rewrite. */
export function decideBodySize(loc: Location, c: ClientFacts, n: Notes): Refusal | null {
  const size = loc.config.traffic.bodySize;
  const max = bodySizeBytes(size) ?? 0;
  if (!c.bodyBytes || max === 0 || c.bodyBytes <= max) return null;
  const why = `a body of ${c.bodyBytes} bytes is over proxy-body-size ${size}: nginx answers 413`;
  n.trace.push(why);
  return { kind: 'refused', status: 413, annotation: `${P}proxy-body-size`, why };
}

/** The CORS headers nginx adds when the Origin is allowed (ingress-nginx's CORS template). */
export function corsHeaders(cors: CorsPolicy, origin: string | undefined): Record<string, string> | null {
  const wildcard = cors.origins.length === 1 && cors.origins[0] === '*';
  if (!wildcard && !corsOriginAllowed(cors, origin ?? '')) return null;
  return {
    'access-control-allow-origin': wildcard ? '*' : origin ?? '',
    ...(cors.credentials ? { 'access-control-allow-credentials': 'true' } : {}),
    'access-control-allow-methods': cors.methods,
    'access-control-allow-headers': cors.headers,
    ...(cors.exposeHeaders ? { 'access-control-expose-headers': cors.exposeHeaders } : {}),
    'access-control-max-age': String(cors.maxAge),
  };
}

export type RewritePhase =
  | { readonly kind: 'cors-preflight'; readonly status: 204; readonly headers: Readonly<Record<string, string>> }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string; readonly why: 'permanent-redirect' | 'temporal-redirect' };

/** The rewrite phase's own answers, before ssl-redirect: a CORS preflight, then the redirect annotations. */
export function decideRewritePhase(loc: Location, method: string, c: ClientFacts, n: Notes): RewritePhase | null {
  const t = loc.config.traffic;
  if (t.cors && method === 'OPTIONS') {
    const headers = corsHeaders(t.cors, c.origin);
    if (headers) {
      n.trace.push(`enable-cors: OPTIONS from origin ${c.origin ?? '(none)'} is a preflight: nginx answers 204 with the CORS headers, the backend never sees it`);
      return { kind: 'cors-preflight', status: 204, headers };
    }
    n.trace.push(`enable-cors: origin ${c.origin ?? '(none)'} is not in cors-allow-origin (${t.cors.origins.join(', ')}): the OPTIONS goes to the backend`);
  }
  if (t.redirect) {
    n.trace.push(`${t.redirect.annotation} of Ingress ${loc.ingress}: ${t.redirect.code} to ${t.redirect.url} (before any ssl-redirect, rate limit or access check)`);
    return { kind: 'redirect', status: t.redirect.code, location: t.redirect.url, why: t.redirect.annotation };
  }
  return null;
}

/** `deny` for denylist-source-range, then `allow` for the whitelist and `deny all`: nginx's access module, first match. */
export function decideSourceRange(loc: Location, c: ClientFacts, n: Notes): Refusal | null {
  const { allow, deny } = loc.config.traffic;
  if (allow.length === 0 && deny.length === 0) return null;
  const verdict = (ip: string): { allowed: boolean; annotation: string; rule: string } => {
    const a = parseIP(ip);
    const hit = (list: readonly string[]) => (a ? list.find((cidr) => { const x = parseCidr(cidr); return x ? cidrContains(x, a) : false; }) : undefined);
    const d = hit(deny);
    if (d) return { allowed: false, annotation: 'denylist-source-range', rule: `in denylist-source-range ${d}` };
    if (allow.length === 0) return { allowed: true, annotation: 'denylist-source-range', rule: 'not in denylist-source-range' };
    const w = hit(allow);
    return w ? { allowed: true, annotation: 'whitelist-source-range', rule: `in whitelist-source-range ${w}` } : { allowed: false, annotation: 'whitelist-source-range', rule: `not in whitelist-source-range ${allow.join(',')}` };
  };
  const seen = c.clientAddresses ?? [];
  if (seen.length === 0) {
    n.unknown.push(`the client address nginx sees: Ingress ${loc.ingress} ${allow.length ? `allows only ${allow.join(',')}` : ''}${allow.length && deny.length ? ' and ' : ''}${deny.length ? `denies ${deny.join(',')}` : ''} (403 otherwise)`);
    n.trace.push('source ranges: the client address is unknown; this answer assumes it is allowed');
    return null;
  }
  const verdicts = seen.map((ip) => ({ ip, ...verdict(ip) }));
  if (verdicts.every((v) => v.allowed)) {
    n.trace.push(`source ranges: client ${seen.join(' or ')} ${verdicts[0]!.rule}: allowed`);
    return null;
  }
  if (verdicts.every((v) => !v.allowed)) {
    const why = `client ${seen.join(' or ')} as nginx sees it is ${verdicts[0]!.rule}: 403`;
    n.trace.push(why);
    return { kind: 'refused', status: 403, annotation: `${P}${verdicts[0]!.annotation}`, why };
  }
  n.unknown.push(`which of ${seen.join(', ')} nginx sees the client as: ${verdicts.filter((v) => !v.allowed).map((v) => v.ip).join(', ')} would get 403`);
  n.trace.push('source ranges: some of the addresses nginx may see are allowed, some not; this answer assumes an allowed one');
  return null;
}

export interface AuthDecision {
  readonly url: string;
  readonly service: Ref | null; // the auth-url's host as a Service of the cluster; null: outside
  readonly signin: string;
  readonly onDenied: string; // what a 401 becomes
}

/** The auth-url's host as a cluster Service: `svc.ns.svc.cluster.local`, `svc.ns.svc` or `svc.ns`. */
export function authService(url: string, src: BackendSources): Backend | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?\.?$/.exec(u.hostname.toLowerCase());
  if (!m) return null;
  const svc = src.services.find((s) => s.meta.namespace === m[2] && s.meta.name === m[1]);
  if (!svc) return null;
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return resolveBackend({ namespace: m[2]!, service: m[1]!, port }, src);
}

/** auth_request: a subrequest to auth-url; 2xx passes, 401/403 deny (401 -> auth-signin), anything else 500. */
export function decideAuth(loc: Location, n: Notes): { refusal: Refusal | null; auth: AuthDecision | null } {
  const a = loc.config.traffic.auth;
  if (!a) return { refusal: null, auth: null };
  const svc = loc.authBackend;
  const service = svc ? (`${svc.ref.namespace}/${svc.ref.service}` as Ref) : null;
  const onDenied = a.signin ? `302 to ${a.signin} with ?${a.redirectParam}=<the original URL>` : '401';
  const auth: AuthDecision = { url: a.url, service, signin: a.signin, onDenied };
  if (svc && svc.upstream.kind === 'unavailable') {
    const why = `auth-url ${a.url}: ${svc.upstream.why}; the auth subrequest fails and nginx answers 500`;
    n.trace.push(why);
    return { refusal: { kind: 'refused', status: 500, annotation: `${P}auth-url`, why }, auth };
  }
  n.unknown.push(`the answer of the external auth service ${service ? `Service ${service}` : a.url} (auth-url): 2xx passes, 401 -> ${onDenied}, 403 -> 403, anything else -> 500`);
  n.trace.push(`auth-url: every request is first sent to ${a.url}${service ? ` (Service ${service})` : ''}; this answer assumes it says 2xx`);
  return { refusal: null, auth };
}
