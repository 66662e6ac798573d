// The traffic annotations, case by case, each named by the ingress-nginx rule it checks:
// what `knet route` answers, the annotation that decided, and what is left unknown.
import { describe, expect, it } from 'vitest';
import { paths, tls } from './test-support/route-cases.js';
import { annotations, ing, route, shopCluster, summary, tableOf } from './test-support/world.js';
import type { RouteRequest } from './match-route.js';

const NODE = ['172.18.0.2'];
const controller = (args: string) => [
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: ingress-nginx}\n',
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: c}}\n  template:\n    metadata: {labels: {app: c}}\n    spec:\n      containers:\n      - name: controller\n        image: registry.k8s.io/ingress-nginx/controller:v1.11.2\n        args: [/nginx-ingress-controller, ${args}]\n`,
];
const web = (a: Record<string, string>, host = 'a.shop.com', svc = 'web') => ing('a', paths(host, ['/', svc]), annotations(a));
const tlsWeb = (a: Record<string, string>) => ing('a', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`, annotations(a));

interface Case {
  readonly name: string;
  readonly objects: readonly string[];
  readonly url: string;
  readonly extra?: Partial<RouteRequest>;
  readonly want: string;
  readonly annotation?: string | null;
  readonly unknown?: RegExp;
}

const CASES: readonly Case[] = [
  { name: 'permanent-redirect: every request is redirected with 301', objects: [web({ 'permanent-redirect': 'https://new.example/x' })], url: 'http://a.shop.com/anything?q=1', want: '301 -> https://new.example/x', annotation: 'permanent-redirect' },
  { name: 'permanent-redirect-code sets the status (308)', objects: [web({ 'permanent-redirect': 'https://new.example/', 'permanent-redirect-code': '308' })], url: 'http://a.shop.com/', want: '308 -> https://new.example/' },
  { name: 'permanent-redirect-code outside 300-308 falls back to 301', objects: [web({ 'permanent-redirect': 'https://new.example/', 'permanent-redirect-code': '200' })], url: 'http://a.shop.com/', want: '301 -> https://new.example/' },
  { name: 'temporal-redirect (302) wins over permanent-redirect', objects: [web({ 'temporal-redirect': 'https://tmp.example/', 'permanent-redirect': 'https://new.example/' })], url: 'http://a.shop.com/', want: '302 -> https://tmp.example/', annotation: 'temporal-redirect' },
  { name: 'an invalid temporal-redirect fails the redirect parser: permanent-redirect is not used either', objects: [web({ 'temporal-redirect': 'mailto:x@y', 'permanent-redirect': 'https://new.example/' })], url: 'http://a.shop.com/x', want: '200 shop/web:80 /x' },
  { name: 'a redirect URL that is not http(s) is ignored', objects: [web({ 'permanent-redirect': 'ftp://x.example/' })], url: 'http://a.shop.com/x', want: '200 shop/web:80 /x' },
  { name: 'permanent-redirect runs before ssl-redirect (rewrite phase before the Lua redirect)', objects: [tlsWeb({ 'permanent-redirect': 'https://new.example/' })], url: 'http://a.shop.com/x', want: '301 -> https://new.example/' },
  { name: 'app-root (server level) runs before permanent-redirect', objects: [web({ 'app-root': '/app', 'permanent-redirect': 'https://new.example/' })], url: 'http://a.shop.com/', want: '302 -> http://a.shop.com/app' },

  { name: 'default-backend answers while the Service has no ready endpoint', objects: [web({ 'default-backend': 'errors' }, 'a.shop.com', 'empty')], url: 'http://a.shop.com/x', want: '200 shop/errors:80 /x', annotation: 'default-backend', unknown: /status of default-backend Service shop\/errors/ },
  { name: 'no endpoint, 503 in custom-http-errors, no default-backend: the controller\'s default backend (404)', objects: [web({ 'custom-http-errors': '404,503' }, 'a.shop.com', 'empty')], url: 'http://a.shop.com/x', want: '404' },
  { name: 'no endpoint and no default-backend: 503', objects: [web({ 'custom-http-errors': '404' }, 'a.shop.com', 'empty')], url: 'http://a.shop.com/x', want: '503 shop/empty' },
  { name: 'a default-backend without endpoints: 503 from it', objects: [web({ 'default-backend': 'empty' }, 'a.shop.com', 'ghost')], url: 'http://a.shop.com/x', want: '503 shop/empty' },

  { name: 'auth-url to a cluster Service: proxied if it says 2xx, its answer unknown', objects: [web({ 'auth-url': 'http://auth.shop.svc.cluster.local/verify' })], url: 'http://a.shop.com/x', want: '200 shop/web:80 /x', unknown: /external auth service Service shop\/auth .*2xx passes, 401 -> 401, 403 -> 403/ },
  { name: 'auth-url to a Service without endpoints: the subrequest fails, 500', objects: [web({ 'auth-url': 'http://empty.shop.svc.cluster.local/verify' })], url: 'http://a.shop.com/x', want: '500 auth-url', annotation: 'auth-url' },
  { name: 'auth-url that is not a URL: the location is denied (503)', objects: [web({ 'auth-url': 'not a url' })], url: 'http://a.shop.com/x', want: '503 auth-url' },
  { name: 'auth-signin: a 401 from the auth service becomes a 302 to it', objects: [web({ 'auth-url': 'https://auth.example/check', 'auth-signin': 'https://login.example/start' })], url: 'http://a.shop.com/x', want: '200 shop/web:80 /x', unknown: /auth\.example\/check.*401 -> 302 to https:\/\/login\.example\/start with \?rd=/ },

  { name: 'auth-tls-verify-client on: no client certificate -> 400', objects: [tlsWeb({ 'auth-tls-secret': 'shop/client-ca' })], url: 'https://a.shop.com/x', extra: { clientCertificate: 'none' }, want: '400 auth-tls-verify-client' },
  { name: 'auth-tls-verify-client on: a certificate that does not verify -> 400', objects: [tlsWeb({ 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'on' })], url: 'https://a.shop.com/x', extra: { clientCertificate: 'invalid' }, want: '400 auth-tls-verify-client' },
  { name: 'auth-tls-verify-client on: a verified certificate passes', objects: [tlsWeb({ 'auth-tls-secret': 'shop/client-ca' })], url: 'https://a.shop.com/x', extra: { clientCertificate: 'valid' }, want: '200 shop/web:80 /x' },
  { name: 'auth-tls: the client certificate unknown -> the answer for one that verifies, said unknown', objects: [tlsWeb({ 'auth-tls-secret': 'shop/client-ca' })], url: 'https://a.shop.com/x', want: '200 shop/web:80 /x', unknown: /client's certificate/ },
  { name: 'auth-tls-verify-client optional: no certificate passes', objects: [tlsWeb({ 'auth-tls-secret': 'shop/client-ca', 'auth-tls-verify-client': 'optional' })], url: 'https://a.shop.com/x', extra: { clientCertificate: 'none' }, want: '200 shop/web:80 /x' },
  { name: 'auth-tls: plain http is not checked (no TLS handshake)', objects: [web({ 'auth-tls-secret': 'shop/client-ca' })], url: 'http://a.shop.com/x', extra: { clientCertificate: 'none' }, want: '200 shop/web:80 /x' },
  { name: 'auth-tls-secret without ca.crt: 403 for the whole host', objects: [tlsWeb({ 'auth-tls-secret': 'shop/shop-tls' })], url: 'https://a.shop.com/x', want: '403 auth-tls-secret' },

  { name: 'whitelist-source-range: a client inside -> proxied', objects: [web({ 'whitelist-source-range': '10.0.0.0/8, 172.18.0.0/16' })], url: 'http://a.shop.com/x', extra: { clientAddresses: NODE }, want: '200 shop/web:80 /x' },
  { name: 'whitelist-source-range: a client outside -> 403', objects: [web({ 'whitelist-source-range': '192.0.2.0/24' })], url: 'http://a.shop.com/x', extra: { clientAddresses: NODE }, want: '403 whitelist-source-range', annotation: 'whitelist-source-range' },
  { name: 'denylist-source-range is checked first: denied even when whitelisted', objects: [web({ 'whitelist-source-range': '172.18.0.0/16', 'denylist-source-range': '172.18.0.2' })], url: 'http://a.shop.com/x', extra: { clientAddresses: NODE }, want: '403 denylist-source-range' },
  { name: 'source ranges and an unknown client: said unknown', objects: [web({ 'whitelist-source-range': '192.0.2.0/24' })], url: 'http://a.shop.com/x', want: '200 shop/web:80 /x', unknown: /client address nginx sees/ },
  { name: 'source ranges and clients that differ in verdict (any node under Cluster): said unknown', objects: [web({ 'whitelist-source-range': '172.18.0.2/32' })], url: 'http://a.shop.com/x', extra: { clientAddresses: ['172.18.0.2', '172.18.0.3'] }, want: '200 shop/web:80 /x', unknown: /172\.18\.0\.3 would get 403/ },
  { name: 'a source range that is not a CIDR: the location is denied (503)', objects: [web({ 'whitelist-source-range': '10.0.0.0/33' })], url: 'http://a.shop.com/x', extra: { clientAddresses: NODE }, want: '503 whitelist-source-range' },
  { name: 'the whitelist is checked before external auth (access module before auth_request)', objects: [web({ 'whitelist-source-range': '192.0.2.0/24', 'auth-url': 'http://empty.shop.svc.cluster.local/' })], url: 'http://a.shop.com/x', extra: { clientAddresses: NODE }, want: '403 whitelist-source-range' },

  { name: 'proxy-body-size: a larger body -> 413', objects: [web({ 'proxy-body-size': '1k' })], url: 'http://a.shop.com/x', extra: { method: 'POST', bodyBytes: 2000 }, want: '413 proxy-body-size' },
  { name: 'proxy-body-size: the default 1m', objects: [web({})], url: 'http://a.shop.com/x', extra: { method: 'POST', bodyBytes: 2 * 1024 * 1024 }, want: '413 proxy-body-size' },
  { name: 'proxy-body-size 0: no limit', objects: [web({ 'proxy-body-size': '0' })], url: 'http://a.shop.com/x', extra: { method: 'POST', bodyBytes: 50 * 1024 * 1024 }, want: '200 shop/web:80 /x' },
  { name: 'proxy-body-size is checked before the redirect annotations (once the location is found)', objects: [web({ 'proxy-body-size': '1k', 'permanent-redirect': 'https://new.example/' })], url: 'http://a.shop.com/x', extra: { method: 'POST', bodyBytes: 2000 }, want: '413 proxy-body-size' },

  { name: 'enable-cors: an OPTIONS preflight is answered 204 by nginx', objects: [web({ 'enable-cors': 'true' })], url: 'http://a.shop.com/x', extra: { method: 'OPTIONS', origin: 'https://app.example' }, want: '204 cors-preflight', annotation: 'enable-cors' },
  { name: 'enable-cors with an origin list: another origin\'s OPTIONS goes to the backend', objects: [web({ 'enable-cors': 'true', 'cors-allow-origin': 'https://app.example, https://*.shop.com' })], url: 'http://a.shop.com/x', extra: { method: 'OPTIONS', origin: 'https://evil.example' }, want: '200 shop/web:80 /x' },
  { name: 'enable-cors: `*.` in an origin covers one label', objects: [web({ 'enable-cors': 'true', 'cors-allow-origin': 'https://app.example, https://*.shop.com' })], url: 'http://a.shop.com/x', extra: { method: 'OPTIONS', origin: 'https://m.shop.com' }, want: '204 cors-preflight' },
  { name: 'the CORS preflight runs before the source ranges and auth (rewrite phase)', objects: [web({ 'enable-cors': 'true', 'whitelist-source-range': '192.0.2.0/24' })], url: 'http://a.shop.com/x', extra: { method: 'OPTIONS', clientAddresses: NODE }, want: '204 cors-preflight' },

  { name: 'ssl-passthrough with --enable-ssl-passthrough: TLS goes to the backend of /', objects: [...controller('--enable-ssl-passthrough'), ing('a', paths('pass.shop.com', ['/', 'secure']), annotations({ 'ssl-passthrough': 'true' }))], url: 'https://pass.shop.com/x', want: 'passthrough shop/secure', annotation: 'ssl-passthrough', unknown: /answer of Service shop\/secure/ },
  { name: 'ssl-passthrough without the controller flag is ignored: nginx terminates TLS', objects: [...controller('--ingress-class=nginx'), ing('a', paths('pass.shop.com', ['/', 'secure']), annotations({ 'ssl-passthrough': 'true' }))], url: 'https://pass.shop.com/x', want: '200 shop/secure:443 /x' },
  { name: 'ssl-passthrough leaves plain http to the http server', objects: [...controller('--enable-ssl-passthrough'), ing('a', paths('pass.shop.com', ['/', 'secure']), annotations({ 'ssl-passthrough': 'true' }))], url: 'http://pass.shop.com/x', want: '200 shop/secure:443 /x' },
];

describe('traffic annotations: what knet route answers', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const d = route(shopCluster(...c.objects), c.url, c.extra ?? {});
    expect(summary(d)).toBe(c.want);
    if (c.annotation !== undefined) expect(d.annotation).toBe(c.annotation === null ? null : `nginx.ingress.kubernetes.io/${c.annotation}`);
    if (c.unknown) expect(d.unknown.join('\n')).toMatch(c.unknown);
    else expect(d.unknown, 'nothing should be left unknown').toEqual([]);
  });
});

describe('what the decision carries besides the status', () => {
  it('CORS headers on a normal request from an allowed origin; none from another', () => {
    const c = shopCluster(web({ 'enable-cors': 'true', 'cors-allow-origin': 'https://app.example', 'cors-allow-credentials': 'false', 'cors-max-age': '60' }));
    expect(route(c, 'http://a.shop.com/x', { origin: 'https://app.example' }).responseHeaders).toEqual({
      'access-control-allow-origin': 'https://app.example', 'access-control-allow-methods': 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
      'access-control-allow-headers': 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization', 'access-control-max-age': '60',
    });
    expect(route(c, 'http://a.shop.com/x', { origin: 'https://evil.example' }).responseHeaders).toEqual({});
  });

  it('limit-rps: the rate, the burst (5 x rps) and the status past it', () => {
    expect(route(shopCluster(web({ 'limit-rps': '2' })), 'http://a.shop.com/x').rateLimit).toEqual({ rps: 2, burst: 10, status: 503 });
    expect(route(shopCluster(web({ 'limit-rps': '2', 'limit-burst-multiplier': '3' })), 'http://a.shop.com/x').rateLimit).toEqual({ rps: 2, burst: 6, status: 503 });
  });

  it('custom-http-errors names who answers them', () => {
    const d = route(shopCluster(web({ 'custom-http-errors': '404,503', 'default-backend': 'errors' })), 'http://a.shop.com/x');
    expect(d.customErrors?.codes).toEqual([404, 503]);
    expect(d.customErrors?.by?.ref).toMatchObject({ namespace: 'shop', service: 'errors' });
  });

  it('backend-protocol: the protocol nginx speaks, whether the backend does is unknown', () => {
    const d = route(shopCluster(web({ 'backend-protocol': 'GRPC' })), 'http://a.shop.com/x');
    expect(d.outcome).toMatchObject({ kind: 'proxy', protocol: 'GRPC' });
    expect(d.unknown).toEqual(['whether Service shop/web speaks GRPC (backend-protocol); if not, nginx answers 502']);
  });

  it('an annotation knet does not implement and a snippet are notes of the route table, marked unsupported', () => {
    const t = tableOf(shopCluster(web({ 'proxy-read-timeout': '30', 'configuration-snippet': 'return 200;' })));
    expect(t.notes.filter((n) => n.unsupported).map((n) => n.message)).toEqual([
      'nginx.ingress.kubernetes.io/configuration-snippet: snippets are disabled (ingress-nginx\'s default allow-snippet-annotations: false), so the controller ignores it',
      'nginx.ingress.kubernetes.io/proxy-read-timeout: knet does not implement this annotation; the prediction and knet\'s nginx ignore it, a real ingress-nginx would not',
    ]);
  });

  it('a value the controller rejects is a note naming the annotation', () => {
    const t = tableOf(shopCluster(web({ 'backend-protocol': 'FCGI' })));
    expect(t.notes).toContainEqual({ ingress: 'shop/a', annotation: 'nginx.ingress.kubernetes.io/backend-protocol', message: 'nginx.ingress.kubernetes.io/backend-protocol: "FCGI" is not one knet implements (HTTP, HTTPS, GRPC, GRPCS); knet uses HTTP' });
  });
});
