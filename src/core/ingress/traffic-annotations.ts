// The ingress-nginx annotations that decide what happens to a request after its location is
// chosen, parsed as the controller parses them: redirects, custom errors and the
// default-backend, external auth, client source ranges, the backend protocol, the body size,
// the request rate, CORS; and the server-wide ones: mTLS and SSL passthrough. A value the
// controller rejects falls back to its default, or, where ingress-nginx denies the location
// (an auth-url or a source range it cannot parse), the location answers 503.
import { parseCidr, parseIP } from '../../model/ip.js';
import { NGINX_PREFIX } from './annotation-table.js';

export type BackendProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'GRPCS';

export interface RedirectAnnotation {
  readonly annotation: 'permanent-redirect' | 'temporal-redirect';
  readonly url: string;
  readonly code: number;
}

export interface ExternalAuth {
  readonly url: string;
  readonly method: string; // '' = the request's own (GET for the subrequest)
  readonly signin: string; // '' = none: a 401 stays 401
  readonly redirectParam: string; // the query parameter carrying the original URL to auth-signin
}

export interface CorsPolicy {
  readonly origins: readonly string[]; // ['*'] or origins, `*.` covering one label
  readonly methods: string;
  readonly headers: string;
  readonly credentials: boolean;
  readonly exposeHeaders: string;
  readonly maxAge: number;
}

export interface RateLimit {
  readonly rps: number;
  readonly burst: number; // rps x limit-burst-multiplier
}

export interface TrafficConfig {
  readonly redirect: RedirectAnnotation | null;
  readonly customHttpErrors: readonly number[];
  readonly defaultBackend: string; // '' = none; a Service of the Ingress's namespace
  readonly auth: ExternalAuth | null;
  readonly allow: readonly string[]; // whitelist-source-range, as CIDRs
  readonly deny: readonly string[]; // denylist-source-range, as CIDRs
  readonly backendProtocol: BackendProtocol;
  readonly bodySize: string; // nginx size ('1m'; '0' = no limit)
  readonly limit: RateLimit | null;
  readonly cors: CorsPolicy | null;
  /** ingress-nginx's "location denied": an annotation it cannot accept makes the location answer 503. */
  readonly denied: { readonly annotation: string; readonly why: string } | null;
}

export type VerifyClient = 'on' | 'off' | 'optional' | 'optional_no_ca';

export interface ServerAnnotations {
  readonly authTls: { readonly secret: string; readonly verify: VerifyClient } | null; // secret: ns/name
  readonly sslPassthrough: boolean;
}

export interface AnnotationProblem {
  readonly annotation: string; // the full key
  readonly message: string;
  readonly unsupported?: true; // a snippet or an annotation knet does not implement
}

export const DEFAULT_CORS: Omit<CorsPolicy, 'origins'> = {
  methods: 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
  headers: 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
  credentials: true,
  exposeHeaders: '',
  maxAge: 1728000,
};

export function defaultTraffic(bodySize: string): TrafficConfig {
  return { redirect: null, customHttpErrors: [], defaultBackend: '', auth: null, allow: [], deny: [], backendProtocol: 'HTTP', bodySize, limit: null, cors: null, denied: null };
}

/** An nginx size: bytes, or k/m/g; '0' turns the limit off. */
export function bodySizeBytes(size: string): number | null {
  const m = /^(\d+)([kKmMgG]?)$/.exec(size.trim());
  if (!m) return null;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

function httpUrl(s: string): boolean {
  try {
    return /^https?:$/.test(new URL(s).protocol);
  } catch {
    return false;
  }
}

/** A comma list of CIDRs or addresses as nginx's allow/deny take them; null when one is neither. */
function cidrList(raw: string): string[] | null {
  const out: string[] = [];
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (parseCidr(part)) out.push(part);
    else if (parseIP(part)) out.push(`${part}/${part.includes(':') ? 128 : 32}`);
    else return null;
  }
  return out;
}

const CORS_ORIGIN = /^([a-z]+:\/\/(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?$/;
const CORS_METHODS = /^([A-Za-z]+,?\s?)+$/;
const CORS_HEADERS = /^([A-Za-z0-9\-_]+,?\s?)+$/;

export function parseTraffic(get: (name: string) => string | undefined, bool: (name: string, fallback: boolean) => boolean,
  int: (name: string, fallback: number) => number, bodySize: string, problems: AnnotationProblem[]): TrafficConfig {
  const problem = (name: string, message: string) => problems.push({ annotation: NGINX_PREFIX + name, message: `${NGINX_PREFIX}${name}: ${message}` });
  let denied: TrafficConfig['denied'] = null;
  const deny = (name: string, why: string) => {
    problem(name, `${why}; ingress-nginx denies the location: every request to it gets 503`);
    denied ??= { annotation: NGINX_PREFIX + name, why };
  };

  // Redirects: temporal-redirect is read first and wins (ingress-nginx's redirect parser); an
  // invalid temporal-redirect fails the parser, so permanent-redirect is not used either.
  let redirect: RedirectAnnotation | null = null;
  for (const [name, fallback, max] of [['temporal-redirect', 302, 307], ['permanent-redirect', 301, 308]] as const) {
    const url = get(name);
    if (!url || redirect) continue;
    if (!httpUrl(url)) {
      problem(name, `"${url}" is not an http or https URL; the controller ignores ${name === 'temporal-redirect' && get('permanent-redirect') ? 'it and permanent-redirect' : 'it'}`);
      break;
    }
    const code = int(`${name}-code`, fallback);
    if (code < 300 || code > max) problem(`${name}-code`, `${code} is not a redirect status (300-${max}); the controller uses ${fallback}`);
    redirect = { annotation: name, url, code: code < 300 || code > max ? fallback : code };
  }

  let customHttpErrors: number[] = [];
  const errs = get('custom-http-errors');
  if (errs !== undefined) {
    const codes = errs.split(',').map((s) => s.trim()).filter(Boolean);
    if (codes.every((c) => /^[1-5]\d\d$/.test(c))) customHttpErrors = codes.map(Number);
    else problem('custom-http-errors', `"${errs}" is not a comma list of HTTP statuses; the controller ignores it`);
  }

  let auth: ExternalAuth | null = null;
  const authUrl = get('auth-url');
  if (authUrl !== undefined) {
    if (!httpUrl(authUrl)) deny('auth-url', `"${authUrl}" is not an http or https URL`);
    else {
      const method = (get('auth-method') ?? '').toUpperCase();
      if (method && !/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|CONNECT|TRACE)$/.test(method)) deny('auth-method', `"${method}" is not an HTTP method`);
      const signin = get('auth-signin') ?? '';
      if (signin && !/^(https?:\/\/|\$scheme:\/\/)/.test(signin)) deny('auth-signin', `"${signin}" is not an http or https URL`);
      auth = { url: authUrl, method, signin, redirectParam: get('auth-signin-redirect-param') || 'rd' };
    }
  }

  const ranges = (name: string): string[] => {
    const raw = get(name);
    if (raw === undefined) return [];
    const list = cidrList(raw);
    if (list === null) {
      deny(name, `"${raw}" is not a comma list of CIDRs`);
      return [];
    }
    return list;
  };
  const allow = [...ranges('whitelist-source-range'), ...ranges('allowlist-source-range')];
  const denyList = ranges('denylist-source-range');

  let backendProtocol: BackendProtocol = 'HTTP';
  const proto = get('backend-protocol');
  if (proto !== undefined) {
    const p = proto.trim().toUpperCase();
    if (p === 'HTTP' || p === 'HTTPS' || p === 'GRPC' || p === 'GRPCS') backendProtocol = p;
    else problem('backend-protocol', `"${proto}" is not one knet implements (HTTP, HTTPS, GRPC, GRPCS); knet uses HTTP`);
  }

  let size = bodySize;
  const rawSize = get('proxy-body-size');
  if (rawSize !== undefined) {
    if (bodySizeBytes(rawSize) !== null) size = rawSize.trim();
    else problem('proxy-body-size', `"${rawSize}" is not an nginx size (e.g. 8m, 512k, 0); the controller uses ${bodySize}`);
  }

  let limit: RateLimit | null = null;
  const rps = int('limit-rps', 0);
  if (rps > 0) limit = { rps, burst: rps * Math.max(1, int('limit-burst-multiplier', 5)) };

  let cors: CorsPolicy | null = null;
  if (bool('enable-cors', false)) {
    const rawOrigins = get('cors-allow-origin');
    let origins = (rawOrigins ?? '*').split(',').map((s) => s.trim()).filter(Boolean);
    if (origins.length === 0 || origins.includes('*') || !origins.every((o) => CORS_ORIGIN.test(o))) {
      if (rawOrigins !== undefined && !origins.every((o) => CORS_ORIGIN.test(o))) problem('cors-allow-origin', `"${rawOrigins}" is not a list of origins (scheme://host[:port], *.host, *); the controller allows *`);
      origins = ['*'];
    }
    const text = (name: string, re: RegExp, fallback: string) => {
      const v = get(name);
      if (v === undefined) return fallback;
      if (re.test(v)) return v;
      problem(name, `"${v}" is not valid; the controller uses ${fallback || 'none'}`);
      return fallback;
    };
    cors = {
      origins,
      methods: text('cors-allow-methods', CORS_METHODS, DEFAULT_CORS.methods),
      headers: text('cors-allow-headers', CORS_HEADERS, DEFAULT_CORS.headers),
      credentials: bool('cors-allow-credentials', DEFAULT_CORS.credentials),
      exposeHeaders: text('cors-expose-headers', /^(([A-Za-z0-9\-_]+|\*),?\s?)+$/, DEFAULT_CORS.exposeHeaders),
      maxAge: int('cors-max-age', DEFAULT_CORS.maxAge),
    };
  }

  return { redirect, customHttpErrors, defaultBackend: get('default-backend') ?? '', auth, allow, deny: denyList, backendProtocol, bodySize: size, limit, cors, denied };
}

export function parseServerAnnotations(namespace: string, get: (name: string) => string | undefined, bool: (name: string, fallback: boolean) => boolean, problems: AnnotationProblem[]): ServerAnnotations {
  let authTls: ServerAnnotations['authTls'] = null;
  const secret = get('auth-tls-secret');
  if (secret) {
    const raw = (get('auth-tls-verify-client') ?? 'on').trim();
    const verify: VerifyClient = raw === 'on' || raw === 'off' || raw === 'optional' || raw === 'optional_no_ca' ? raw : 'on';
    if (verify !== raw) problems.push({ annotation: `${NGINX_PREFIX}auth-tls-verify-client`, message: `${NGINX_PREFIX}auth-tls-verify-client: "${raw}" is not on, off, optional or optional_no_ca; the controller uses on` });
    authTls = { secret: secret.includes('/') ? secret : `${namespace}/${secret}`, verify };
  }
  return { authTls, sslPassthrough: bool('ssl-passthrough', false) };
}

/**
 * Whether an Origin is one CORS allows: ingress-nginx's `$http_origin ~* ((o1)|(o2))$`, each
 * origin a literal with `*` standing for one label; case-insensitive, anchored at the end only.
 */
export function corsOriginAllowed(cors: CorsPolicy, origin: string): boolean {
  const re = corsOriginRegex(cors);
  return re === null || new RegExp(re, 'i').test(origin);
}

/** The regex nginx tests `$http_origin` with (case-insensitive); null: every origin (`*`). */
export function corsOriginRegex(cors: CorsPolicy): string | null {
  if (cors.origins.length === 1 && cors.origins[0] === '*') return null;
  const alternatives = cors.origins.map((o) => `(${o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('\\*', '[A-Za-z0-9\\-]+')})`);
  return `(${alternatives.join('|')})$`;
}
