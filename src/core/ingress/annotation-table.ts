// The one table of the `nginx.ingress.kubernetes.io/*` annotations knet implements, in the
// prediction and in the nginx configuration alike, and the verdict on any other: snippets
// are off as ingress-nginx's default `allow-snippet-annotations: false` has them; anything
// else knet does not implement is said so, never ignored in silence.

export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';

/** Annotation (without the prefix) -> what it does, in a few words. */
export const IMPLEMENTED_ANNOTATIONS: Readonly<Record<string, string>> = {
  'rewrite-target': 'the upstream path, with $1..$9 from a regex path',
  'use-regex': 'every path of the host becomes a case-insensitive regex',
  'ssl-redirect': 'http -> https (308) when the host has TLS',
  'force-ssl-redirect': 'http -> https (308) even without TLS',
  'preserve-trailing-slash': 'keep the trailing slash in the https redirect',
  'app-root': '/ is redirected (302) to this path',
  canary: 'this Ingress is a canary of the same host and path',
  'canary-by-header': 'canary when the header says always (never: not)',
  'canary-by-header-value': 'canary when the header has this value',
  'canary-by-header-pattern': 'canary when the header matches this regex',
  'canary-by-cookie': 'canary when the cookie says always (never: not)',
  'canary-weight': 'share of requests sent to the canary',
  'canary-weight-total': 'the whole the weight is a share of (100)',
  'permanent-redirect': 'every request is redirected (301) to this URL',
  'permanent-redirect-code': 'the status of permanent-redirect (300-308)',
  'temporal-redirect': 'every request is redirected (302) to this URL; wins over permanent-redirect',
  'temporal-redirect-code': 'the status of temporal-redirect (300-307)',
  'custom-http-errors': 'these statuses from the backend are answered by the default backend instead',
  'default-backend': 'a Service of the namespace that answers when the backend has no endpoint, and the custom errors',
  'auth-url': 'external auth: a subrequest to this URL; 2xx passes, 401/403 deny, anything else 500',
  'auth-signin': 'external auth: a 401 becomes a 302 to this URL with ?rd=<the original URL>',
  'auth-signin-redirect-param': 'the query parameter auth-signin carries the original URL in (rd)',
  'auth-method': 'the method of the auth subrequest',
  'auth-tls-secret': 'mTLS: the Secret (ns/name) whose ca.crt verifies client certificates',
  'auth-tls-verify-client': 'mTLS: on (required), optional, optional_no_ca, off',
  'whitelist-source-range': 'only these client CIDRs (as nginx sees the client); others 403',
  'allowlist-source-range': 'the newer name of whitelist-source-range',
  'denylist-source-range': 'these client CIDRs get 403',
  'backend-protocol': 'HTTP, HTTPS, GRPC or GRPCS to the backend',
  'proxy-body-size': 'a larger request body gets 413 (0: no limit)',
  'limit-rps': 'requests per second per client address; past the burst 503',
  'limit-burst-multiplier': 'the burst of limit-rps is rps times this (5)',
  'enable-cors': 'CORS headers; an OPTIONS preflight from an allowed origin is answered 204',
  'cors-allow-origin': 'the origins CORS allows (* or a list)',
  'cors-allow-methods': 'Access-Control-Allow-Methods',
  'cors-allow-headers': 'Access-Control-Allow-Headers',
  'cors-allow-credentials': 'Access-Control-Allow-Credentials',
  'cors-expose-headers': 'Access-Control-Expose-Headers',
  'cors-max-age': 'Access-Control-Max-Age',
  'ssl-passthrough': 'TLS passed through by SNI to the backend (needs the controller flag --enable-ssl-passthrough)',
};

/** Snippet annotations: raw nginx configuration, refused by ingress-nginx's default. */
export const SNIPPET_ANNOTATIONS: readonly string[] = [
  'configuration-snippet', 'server-snippet', 'auth-snippet', 'stream-snippet', 'modsecurity-snippet',
];

export type AnnotationVerdict =
  | { readonly kind: 'implemented' }
  | { readonly kind: 'snippet'; readonly message: string }
  | { readonly kind: 'unsupported'; readonly message: string };

/** What knet does with one annotation key; null for keys outside ingress-nginx's prefix. */
export function annotationVerdict(key: string): AnnotationVerdict | null {
  if (!key.startsWith(NGINX_PREFIX)) return null;
  const name = key.slice(NGINX_PREFIX.length);
  if (IMPLEMENTED_ANNOTATIONS[name] !== undefined) return { kind: 'implemented' };
  if (SNIPPET_ANNOTATIONS.includes(name)) {
    return { kind: 'snippet', message: `${key}: snippets are disabled (ingress-nginx's default allow-snippet-annotations: false), so the controller ignores it` };
  }
  return { kind: 'unsupported', message: `${key}: knet does not implement this annotation; the prediction and knet's nginx ignore it, a real ingress-nginx would not` };
}
