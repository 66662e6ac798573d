// The route cases as data: Ingresses of the shop world and requests with the answer the
// core gives (`summary` form). One suite, two backends: `route-cases.test.ts` checks them
// against `matchRoute`, `dataplane/ingress/ingress-flows.test.ts` sends each request
// through the real nginx configured by compile/ingress-nginx and compares what comes back
// (status, Location, the pod that answered, the path it saw, the certificate) with the
// core's decision for that request. Drawn from match-route.test.ts and route-table.test.ts.
import type { RouteRequest } from '../match-route.js';
import { annotations, ing } from './world.js';

/** What the core is told about a flow request besides its URL (the same for both backends). */
export function flowRequestFacts(r: RouteFlowRequest): Partial<RouteRequest> {
  return {
    ...(r.host ? { host: r.host } : {}), ...(r.sni !== undefined ? { sni: r.sni } : {}), headers: r.headers ?? {},
    ...(r.method ? { method: r.method } : {}), ...(r.bodyBytes !== undefined ? { bodyBytes: r.bodyBytes } : {}),
    ...(r.headers?.['origin'] ? { origin: r.headers['origin'] } : {}),
    ...(r.clientAddresses ? { clientAddresses: r.clientAddresses } : {}), ...(r.clientCert ? { clientCertificate: r.clientCert } : {}),
  };
}

export interface RouteFlowRequest {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly host?: string; // a Host header other than the URL's
  readonly sni?: string | null; // null: no SNI (the client connects by address)
  readonly want: string; // summary(): `200 shop/web:80 /x`, `308 -> https://...`, `404`, `503 shop/empty`, `403 whitelist-source-range`
  readonly method?: string;
  readonly bodyBytes?: number; // a body of this many bytes (Content-Length)
  readonly clientAddresses?: readonly string[]; // the addresses nginx may see the client as
  readonly clientCert?: 'none' | 'valid' | 'invalid'; // https: the client certificate curl presents
}

/** The shop world's nodes: under externalTrafficPolicy Cluster nginx sees one of them as the client. */
export const NODE_ADDRESSES = ['172.18.0.2', '172.18.0.3', '172.18.0.4'];

export interface RouteFlowCase {
  readonly name: string;
  readonly ingresses: readonly string[];
  readonly requests: readonly RouteFlowRequest[];
}

const port = (svc: string) => (svc === 'api' ? 90 : svc === 'admin' ? 70 : svc === 'secure' ? 443 : svc === 'grpc' ? 50051 : 80);
export const paths = (host: string, ...p: [string, string, string?][]) => `rules:
- ${host ? `host: ${host}\n  ` : ''}http:
    paths:
${p.map(([path, svc, type]) => `    - path: ${JSON.stringify(path)}\n      pathType: ${type ?? 'Prefix'}\n      backend: {service: {name: ${svc}, port: {number: ${port(svc)}}}}`).join('\n')}`;
export const tls = (secret: string, ...hosts: string[]) => `tls:\n- hosts: [${hosts.map((h) => JSON.stringify(h)).join(', ')}]\n${secret ? `  secretName: ${secret}\n` : ''}`;

const primary = ing('a', paths('a.shop.com', ['/', 'web']));
const canary = (a: Record<string, string>) => ing('a-canary', paths('a.shop.com', ['/', 'canary']), annotations({ canary: 'true', ...a }));

const on = (host: string, svc: string, a: Record<string, string>, name = 'a') => ing(name, paths(host, ['/', svc]), annotations(a));

export const ROUTE_FLOW_CASES: readonly RouteFlowCase[] = [
  {
    name: 'permanent-redirect (with its code) and temporal-redirect, before ssl-redirect',
    ingresses: [
      on('p.shop.com', 'web', { 'permanent-redirect': 'https://new.shop.com/landing', 'permanent-redirect-code': '308' }, 'p'),
      on('t.shop.com', 'web', { 'temporal-redirect': 'https://tmp.shop.com/', 'permanent-redirect': 'https://new.shop.com/' }, 't'),
      ing('s', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`, annotations({ 'permanent-redirect': 'https://new.shop.com/' })),
    ],
    requests: [
      { url: 'http://p.shop.com/any/path?q=1', want: '308 -> https://new.shop.com/landing' },
      { url: 'http://t.shop.com/', want: '302 -> https://tmp.shop.com/' },
      { url: 'http://a.shop.com/x', want: '301 -> https://new.shop.com/' },
    ],
  },
  {
    name: 'default-backend while the Service has no endpoint; 503 in custom-http-errors without it: the default backend',
    ingresses: [on('d.shop.com', 'empty', { 'default-backend': 'errors', 'custom-http-errors': '404' }, 'd'), on('c.shop.com', 'empty', { 'custom-http-errors': '503' }, 'c')],
    requests: [
      { url: 'http://d.shop.com/x?y=1', want: '200 shop/errors:80 /x?y=1' },
      { url: 'http://c.shop.com/x', want: '404' },
    ],
  },
  {
    name: 'auth-url: a cluster auth Service that says 200 lets the request through; one without endpoints: 500',
    ingresses: [on('auth.shop.com', 'web', { 'auth-url': 'http://auth.shop.svc.cluster.local/verify' }, 'auth'), on('dead.shop.com', 'web', { 'auth-url': 'http://empty.shop.svc.cluster.local/verify' }, 'dead')],
    requests: [
      { url: 'http://auth.shop.com/x', want: '200 shop/web:80 /x' },
      { url: 'http://dead.shop.com/x', want: '500 auth-url' },
    ],
  },
  {
    name: 'source ranges: the client as nginx sees it (a node, kube-proxy masquerades); denylist first',
    ingresses: [
      on('in.shop.com', 'web', { 'whitelist-source-range': '192.0.2.0/24, 172.18.0.0/16' }, 'in'),
      on('out.shop.com', 'web', { 'whitelist-source-range': '192.0.2.0/24' }, 'out'),
      on('deny.shop.com', 'web', { 'whitelist-source-range': '172.18.0.0/16', 'denylist-source-range': '172.18.0.0/24' }, 'deny'),
    ],
    requests: [
      { url: 'http://in.shop.com/x', clientAddresses: NODE_ADDRESSES, want: '200 shop/web:80 /x' },
      { url: 'http://out.shop.com/x', clientAddresses: NODE_ADDRESSES, want: '403 whitelist-source-range' },
      { url: 'http://deny.shop.com/x', clientAddresses: NODE_ADDRESSES, want: '403 denylist-source-range' },
    ],
  },
  {
    name: "nginx's phase order: body size before the redirect, the CORS preflight before the source ranges, the source ranges before external auth",
    ingresses: [
      on('size.shop.com', 'web', { 'proxy-body-size': '1k', 'permanent-redirect': 'https://new.shop.com/' }, 'size'),
      on('pre.shop.com', 'web', { 'enable-cors': 'true', 'whitelist-source-range': '192.0.2.0/24' }, 'pre'),
      on('both.shop.com', 'web', { 'whitelist-source-range': '192.0.2.0/24', 'auth-url': 'http://empty.shop.svc.cluster.local/verify' }, 'both'),
    ],
    requests: [
      { url: 'http://size.shop.com/x', method: 'POST', bodyBytes: 2000, want: '413 proxy-body-size' },
      { url: 'http://pre.shop.com/x', method: 'OPTIONS', headers: { origin: 'https://app.example' }, clientAddresses: NODE_ADDRESSES, want: '204 cors-preflight' },
      { url: 'http://pre.shop.com/x', clientAddresses: NODE_ADDRESSES, want: '403 whitelist-source-range' },
      { url: 'http://both.shop.com/x', clientAddresses: NODE_ADDRESSES, want: '403 whitelist-source-range' },
    ],
  },
  {
    name: 'proxy-body-size: 413 past it',
    ingresses: [on('a.shop.com', 'web', { 'proxy-body-size': '1k' })],
    requests: [
      { url: 'http://a.shop.com/up', method: 'POST', bodyBytes: 2000, want: '413 proxy-body-size' },
      { url: 'http://a.shop.com/up', method: 'POST', bodyBytes: 500, want: '200 shop/web:80 /up' },
    ],
  },
  {
    name: 'CORS: a preflight from an allowed origin is 204 with the headers; another origin goes to the backend',
    ingresses: [on('a.shop.com', 'web', { 'enable-cors': 'true', 'cors-allow-origin': 'https://app.example, https://*.shop.com', 'cors-max-age': '600' })],
    requests: [
      { url: 'http://a.shop.com/api', method: 'OPTIONS', headers: { origin: 'https://m.shop.com' }, want: '204 cors-preflight' },
      { url: 'http://a.shop.com/api', method: 'OPTIONS', headers: { origin: 'https://evil.example' }, want: '200 shop/web:80 /api' },
      { url: 'http://a.shop.com/api', headers: { origin: 'https://app.example' }, want: '200 shop/web:80 /api' },
    ],
  },
  {
    name: 'backend-protocol HTTPS: nginx speaks TLS to the endpoints; GRPC: HTTP/2 without TLS',
    ingresses: [on('a.shop.com', 'secure', { 'backend-protocol': 'HTTPS' }), on('g.shop.com', 'grpc', { 'backend-protocol': 'GRPC' }, 'g')],
    requests: [
      { url: 'http://a.shop.com/x', want: '200 shop/secure:443 /x' },
      { url: 'https://g.shop.com/shop.Cart/Get', want: '200 shop/grpc:50051 /shop.Cart/Get' },
    ],
  },
  {
    name: 'auth-tls-verify-client per host: on refuses no certificate or one the CA did not sign (400); optional takes none',
    ingresses: [
      ing('a', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`, annotations({ 'auth-tls-secret': 'shop/client-ca' })),
      ing('p', `${tls('shop-tls', 'p.shop.com')}${paths('p.shop.com', ['/', 'api'])}`, annotations({ 'auth-tls-secret': 'shop/client-ca', 'auth-tls-verify-client': 'optional' })),
    ],
    requests: [
      { url: 'https://a.shop.com/x', clientCert: 'none', want: '400 auth-tls-verify-client' },
      { url: 'https://a.shop.com/x', clientCert: 'invalid', want: '400 auth-tls-verify-client' },
      { url: 'https://a.shop.com/x', clientCert: 'valid', want: '200 shop/web:80 /x' },
      { url: 'https://p.shop.com/x', clientCert: 'none', want: '200 shop/api:90 /x' },
      { url: 'https://p.shop.com/x', clientCert: 'invalid', want: '400 auth-tls-verify-client' },
      { url: 'https://p.shop.com/x', clientCert: 'valid', want: '200 shop/api:90 /x' },
    ],
  },
  {
    name: 'ssl-passthrough: TLS by SNI straight to the backend; other hosts still terminate at nginx',
    ingresses: [on('pass.shop.com', 'secure', { 'ssl-passthrough': 'true' }, 'pass'), ing('a', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`)],
    requests: [
      { url: 'https://pass.shop.com/x', want: 'passthrough shop/secure' },
      { url: 'https://a.shop.com/x', want: '200 shop/web:80 /x' },
    ],
  },
  {
    name: 'TLS: SNI picks the certificate, Host the route; no tls entry and no SNI get the default',
    ingresses: [ing('a', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`), ing('b', paths('b.shop.com', ['/', 'api']))],
    requests: [
      { url: 'https://a.shop.com/', want: '200 shop/web:80 /' },
      { url: 'https://a.shop.com/', host: 'b.shop.com', want: '200 shop/api:90 /' },
      { url: 'https://b.shop.com/', want: '200 shop/api:90 /' },
      { url: 'https://a.shop.com/x', sni: null, want: '200 shop/web:80 /x' },
    ],
  },
  {
    name: 'a wildcard certificate and server cover one label',
    ingresses: [ing('a', `${tls('wild-tls', '*.shop.com')}${paths('"*.shop.com"', ['/', 'web'])}`)],
    requests: [
      { url: 'https://x.shop.com/', want: '200 shop/web:80 /' },
      { url: 'https://a.b.shop.com/', want: '404' },
    ],
  },
  {
    name: 'ssl-redirect: 308 to https, one trailing slash dropped; preserved with preserve-trailing-slash',
    ingresses: [ing('a', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`), ing('p', `${tls('shop-tls', 'p.shop.com')}${paths('p.shop.com', ['/', 'web'])}`, annotations({ 'preserve-trailing-slash': 'true' }))],
    requests: [
      { url: 'http://a.shop.com/', want: '308 -> https://a.shop.com' },
      { url: 'http://a.shop.com/cart/?id=1', want: '308 -> https://a.shop.com/cart/?id=1' },
      { url: 'http://a.shop.com:8080/cart/', want: '308 -> https://a.shop.com/cart' },
      { url: 'http://p.shop.com/cart/', want: '308 -> https://p.shop.com/cart/' },
      { url: 'https://a.shop.com/cart/', want: '200 shop/web:80 /cart/' },
    ],
  },
  {
    name: 'ssl-redirect off, force-ssl-redirect without TLS, a missing Secret still redirects',
    ingresses: [
      ing('a', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`, annotations({ 'ssl-redirect': 'false' })),
      ing('f', paths('f.shop.com', ['/', 'web']), annotations({ 'force-ssl-redirect': 'true' })),
      ing('g', `${tls('gone', 'g.shop.com')}${paths('g.shop.com', ['/', 'web'])}`),
      ing('n', paths('n.shop.com', ['/', 'web'])),
    ],
    requests: [
      { url: 'http://a.shop.com/x', want: '200 shop/web:80 /x' },
      { url: 'http://f.shop.com/x', want: '308 -> https://f.shop.com/x' },
      { url: 'http://g.shop.com/x', want: '308 -> https://g.shop.com/x' },
      { url: 'https://g.shop.com/x', want: '200 shop/web:80 /x' },
      { url: 'http://n.shop.com/x', want: '200 shop/web:80 /x' },
    ],
  },
  {
    name: "cert-manager's solver path answers on http; the rest of the host is redirected",
    ingresses: [
      ing('a', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`),
      ing('cm-acme-http-solver-x7k2p', paths('a.shop.com', ['/.well-known/acme-challenge/TOKEN', 'admin', 'ImplementationSpecific'])),
    ],
    requests: [
      { url: 'http://a.shop.com/.well-known/acme-challenge/TOKEN', want: '200 shop/admin:70 /.well-known/acme-challenge/TOKEN' },
      { url: 'http://a.shop.com/shop', want: '308 -> https://a.shop.com/shop' },
    ],
  },
  {
    name: 'app-root: / is redirected (302)',
    ingresses: [ing('a', paths('a.shop.com', ['/', 'web']), annotations({ 'app-root': '/app1' }))],
    requests: [
      { url: 'http://a.shop.com/', want: '302 -> http://a.shop.com/app1' },
      { url: 'http://a.shop.com/app1', want: '200 shop/web:80 /app1' },
    ],
  },
  {
    name: 'rewrite-target with capture groups',
    ingresses: [ing('a', paths('a.shop.com', ['/something(/|$)(.*)', 'web', 'ImplementationSpecific']), annotations({ 'rewrite-target': '/$2', 'use-regex': 'true' }))],
    requests: [
      { url: 'http://a.shop.com/something', want: '200 shop/web:80 /' },
      { url: 'http://a.shop.com/something/', want: '200 shop/web:80 /' },
      { url: 'http://a.shop.com/something/new', want: '200 shop/web:80 /new' },
      { url: 'http://a.shop.com/something/new?x=1', want: '200 shop/web:80 /new?x=1' },
    ],
  },
  {
    name: 'rewrite-target without groups sends every path to the target',
    ingresses: [ing('a', paths('a.shop.com', ['/api', 'web']), annotations({ 'rewrite-target': '/' }))],
    requests: [{ url: 'http://a.shop.com/api/users/42', want: '200 shop/web:80 /' }],
  },
  {
    name: 'use-regex: case-insensitive, anchored, first match in length order',
    ingresses: [ing('a', paths('a.shop.com', ['/api/v[0-9]+/admin', 'admin', 'ImplementationSpecific'], ['/api', 'api', 'ImplementationSpecific'], ['/', 'web']), annotations({ 'use-regex': 'true' }))],
    requests: [
      { url: 'http://a.shop.com/API/V2/admin/x', want: '200 shop/admin:70 /API/V2/admin/x' },
      { url: 'http://a.shop.com/api/v1/users', want: '200 shop/api:90 /api/v1/users' },
      { url: 'http://a.shop.com/apiary', want: '200 shop/api:90 /apiary' },
      { url: 'http://a.shop.com/x', want: '200 shop/web:80 /x' },
    ],
  },
  {
    name: 'longest path wins; Exact before Prefix; element-wise Prefix',
    ingresses: [ing('a', paths('a.shop.com', ['/', 'web'], ['/api', 'api'], ['/api/admin', 'admin'], ['/foo', 'web'], ['/foo', 'api', 'Exact']))],
    requests: [
      { url: 'http://a.shop.com/x', want: '200 shop/web:80 /x' },
      { url: 'http://a.shop.com/api/v1', want: '200 shop/api:90 /api/v1' },
      { url: 'http://a.shop.com/api/admin/users', want: '200 shop/admin:70 /api/admin/users' },
      { url: 'http://a.shop.com/apiary', want: '200 shop/web:80 /apiary' },
      { url: 'http://a.shop.com/foo', want: '200 shop/api:90 /foo' },
      { url: 'http://a.shop.com/foo/bar', want: '200 shop/web:80 /foo/bar' },
    ],
  },
  {
    name: 'Ingresses of one host merge; a matched host does not fall back to host-less rules',
    ingresses: [ing('a', paths('a.shop.com', ['/web', 'web'])), ing('b', paths('a.shop.com', ['/api', 'api'])), ing('c', paths('', ['/', 'admin']))],
    requests: [
      { url: 'http://a.shop.com/web', want: '200 shop/web:80 /web' },
      { url: 'http://a.shop.com/api', want: '200 shop/api:90 /api' },
      { url: 'http://a.shop.com/other', want: '404' },
      { url: 'http://unknown.example/other', want: '200 shop/admin:70 /other' },
    ],
  },
  {
    name: "defaultBackend answers its hosts' unmatched paths; nothing matches: 404",
    ingresses: [ing('a', `defaultBackend: {service: {name: admin, port: {number: 70}}}\n${paths('a.shop.com', ['/web', 'web'])}`)],
    requests: [
      { url: 'http://a.shop.com/nothing', want: '200 shop/admin:70 /nothing' },
      { url: 'http://nothing.example/', want: '404' },
    ],
  },
  {
    name: 'no ready endpoint, a missing Service, a port the Service lacks: 503',
    ingresses: [ing('a', paths('a.shop.com', ['/empty', 'empty'], ['/ghost', 'ghost'], ['/', 'web']))],
    requests: [
      { url: 'http://a.shop.com/empty', want: '503 shop/empty' },
      { url: 'http://a.shop.com/ghost/x', want: '503 shop/ghost' },
      { url: 'http://a.shop.com/', want: '200 shop/web:80 /' },
    ],
  },
  {
    name: 'canary by header (always, never, value), cookie and weight',
    ingresses: [primary, canary({ 'canary-by-header': 'X-Canary', 'canary-by-cookie': 'beta' })],
    requests: [
      { url: 'http://a.shop.com/', headers: { 'x-canary': 'always' }, want: '200 shop/canary:80 /' },
      { url: 'http://a.shop.com/', headers: { 'x-canary': 'never', cookie: 'beta=always' }, want: '200 shop/web:80 /' },
      { url: 'http://a.shop.com/', headers: { cookie: 'a=1; beta=always' }, want: '200 shop/canary:80 /' },
      { url: 'http://a.shop.com/', want: '200 shop/web:80 /' },
    ],
  },
  {
    name: 'canary by header value, weight 100',
    ingresses: [primary, canary({ 'canary-by-header': 'X-Env', 'canary-by-header-value': 'beta', 'canary-weight': '100' })],
    requests: [
      { url: 'http://a.shop.com/', headers: { 'x-env': 'beta' }, want: '200 shop/canary:80 /' },
      { url: 'http://a.shop.com/', headers: { 'x-env': 'always' }, want: '200 shop/canary:80 /' },
    ],
  },
  {
    name: 'canary by header value only: another value goes to the primary',
    ingresses: [primary, canary({ 'canary-by-header': 'X-Env', 'canary-by-header-value': 'beta' })],
    requests: [{ url: 'http://a.shop.com/', headers: { 'x-env': 'always' }, want: '200 shop/web:80 /' }],
  },
];
