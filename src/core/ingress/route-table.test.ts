import { describe, expect, it } from 'vitest';
import { admitIngress } from './class.js';
import { INGRESS_NGINX_DEFAULTS } from './controller.js';
import { annotations, ing, route, shopCluster, summary, tableOf } from './test-support/world.js';

const web = (path = '/', type = 'Prefix', svc = 'web', port = 'number: 80') => `
      - path: ${path}
        pathType: ${type}
        backend: {service: {name: ${svc}, port: {${port}}}}`;
const rule = (host: string, ...paths: string[]) => `
  - ${host ? `host: ${host}\n    ` : ''}http:
      paths:${paths.join('')}`;
const rules = (...r: string[]) => `rules:${r.join('')}`;

describe('which Ingresses the controller serves', () => {
  const cases: [string, string, boolean][] = [
    ['ingressClassName naming an IngressClass of k8s.io/ingress-nginx -> served', ing('a', `ingressClassName: nginx\n${rules(rule('a.shop.com', web()))}`), true],
    ['ingressClassName of another controller -> ignored', ing('a', `ingressClassName: traefik\n${rules(rule('a.shop.com', web()))}`), false],
    ['ingressClassName naming no IngressClass -> ignored', ing('a', `ingressClassName: haproxy\n${rules(rule('a.shop.com', web()))}`), false],
    ['no class at all -> the default IngressClass (nginx) -> served', ing('a', rules(rule('a.shop.com', web()))), true],
    ['legacy annotation kubernetes.io/ingress.class: nginx -> served', ing('a', rules(rule('a.shop.com', web())), annotations({ 'kubernetes.io/ingress.class': 'nginx' })), true],
    ['legacy annotation of another class -> ignored (no defaulting when annotated)', ing('a', rules(rule('a.shop.com', web())), annotations({ 'kubernetes.io/ingress.class': 'traefik' })), false],
  ];
  it.each(cases)('%s', (_, yaml, served) => {
    const t = tableOf(shopCluster(yaml));
    expect(t.admissions.find((a) => a.ingress === 'shop/a')?.served).toBe(served);
    expect(summary(route(t, 'http://a.shop.com/'))).toBe(served ? '200 shop/web:80 /' : '404');
  });

  it('two default IngressClasses -> the DefaultIngressClass plugin gives the newest (equal age: the first by name)', () => {
    const second = 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx2\n  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}\nspec: {controller: k8s.io/ingress-nginx}\n';
    const t = tableOf(shopCluster(second, ing('a', rules(rule('a.shop.com', web())))));
    expect(t.admissions.find((a) => a.ingress === 'shop/a')).toMatchObject({ ingress: 'shop/a', served: true });
    expect(t.admissions.find((a) => a.ingress === 'shop/a')!.why).toContain('ingressClassName nginx');
  });
});

describe('precedence and merging', () => {
  it('the longest matching path wins, whatever the order in the YAML', () => {
    const c = shopCluster(ing('a', rules(rule('a.shop.com', web('/'), web('/api', 'Prefix', 'api', 'number: 90'), web('/api/admin', 'Prefix', 'admin', 'number: 70')))));
    expect(['/x', '/api/v1', '/api/admin/users'].map((p) => summary(route(c, `http://a.shop.com${p}`))))
      .toEqual(['200 shop/web:80 /x', '200 shop/api:90 /api/v1', '200 shop/admin:70 /api/admin/users']);
  });

  it('Exact before Prefix at equal length', () => {
    const c = shopCluster(ing('a', rules(rule('a.shop.com', web('/foo', 'Prefix'), web('/foo', 'Exact', 'api', 'number: 90')))));
    expect(summary(route(c, 'http://a.shop.com/foo'))).toBe('200 shop/api:90 /foo');
    expect(summary(route(c, 'http://a.shop.com/foo/bar'))).toBe('200 shop/web:80 /foo/bar');
  });

  it('several Ingresses for one host are merged into one server', () => {
    const c = shopCluster(ing('a', rules(rule('a.shop.com', web('/web')))), ing('b', rules(rule('a.shop.com', web('/api', 'Prefix', 'api', 'number: 90')))));
    expect(summary(route(c, 'http://a.shop.com/web'))).toBe('200 shop/web:80 /web');
    expect(summary(route(c, 'http://a.shop.com/api'))).toBe('200 shop/api:90 /api');
    expect(route(c, 'http://a.shop.com/api').ingress).toBe('shop/b');
  });

  it('the same host and path in two Ingresses -> the oldest wins, and a note says so', () => {
    const older = ing('new-name', rules(rule('a.shop.com', web('/x', 'Prefix', 'api', 'number: 90'))), '  creationTimestamp: "2024-01-01T00:00:00Z"\n');
    const newer = ing('old-name', rules(rule('a.shop.com', web('/x'))), '  creationTimestamp: "2024-06-01T00:00:00Z"\n');
    const t = tableOf(shopCluster(newer, older));
    expect(summary(route(t, 'http://a.shop.com/x'))).toBe('200 shop/api:90 /x');
    expect(t.notes).toEqual([{ ingress: 'shop/old-name', message: 'host a.shop.com path /x (Prefix) is already defined by Ingress shop/new-name; the oldest wins, so this backend is not used' }]);
  });

  it('equal creation timestamps (applied together) -> ingress-nginx orders by ns/name descending', () => {
    const t = tableOf(shopCluster(ing('aaa', rules(rule('a.shop.com', web('/x')))), ing('zzz', rules(rule('a.shop.com', web('/x', 'Prefix', 'api', 'number: 90'))))));
    expect(summary(route(t, 'http://a.shop.com/x'))).toBe('200 shop/api:90 /x');
  });

  it('a matched host with no matching path does not fall back to rules without a host', () => {
    const c = shopCluster(ing('a', rules(rule('a.shop.com', web('/only')), rule('', web('/', 'Prefix', 'api', 'number: 90')))));
    expect(summary(route(c, 'http://a.shop.com/other'))).toBe('404');
    expect(summary(route(c, 'http://unknown.example/other'))).toBe('200 shop/api:90 /other');
  });

  it('rules without a host match every host, and requests by IP', () => {
    const c = shopCluster(ing('a', rules(rule('', web('/')))));
    expect(summary(route(c, 'http://203.0.113.7/z'))).toBe('200 shop/web:80 /z');
  });

  it('a wildcard host serves one label; an exact host wins over it', () => {
    const c = shopCluster(ing('a', rules(rule('"*.shop.com"', web('/')), rule('api.shop.com', web('/', 'Prefix', 'api', 'number: 90')))));
    expect(['http://x.shop.com/', 'http://api.shop.com/', 'http://a.b.shop.com/'].map((u) => summary(route(c, u))))
      .toEqual(['200 shop/web:80 /', '200 shop/api:90 /', '404']);
  });
});

describe('default backends', () => {
  it("an Ingress's defaultBackend answers its hosts' unmatched paths", () => {
    const c = shopCluster(ing('a', `defaultBackend: {service: {name: admin, port: {number: 70}}}\n${rules(rule('a.shop.com', web('/web')))}`));
    expect(summary(route(c, 'http://a.shop.com/nothing'))).toBe('200 shop/admin:70 /nothing');
    expect(route(c, 'http://a.shop.com/nothing').ingress).toBe('shop/a');
  });

  it('an Ingress with only a defaultBackend takes every request no host matches', () => {
    const c = shopCluster(ing('catch', 'defaultBackend: {service: {name: admin, port: {number: 70}}}'));
    expect(summary(route(c, 'http://whatever.example/x'))).toBe('200 shop/admin:70 /x');
  });

  it("nothing matches -> the controller's default backend: 404, no Ingress", () => {
    const d = route(shopCluster(), 'http://nothing.example/');
    expect(summary(d)).toBe('404');
    expect(d.ingress).toBeNull();
  });
});

describe('backend resolution', () => {
  it('a Service port by name -> the Service port number', () => {
    const c = shopCluster(ing('a', rules(rule('a.shop.com', web('/', 'Prefix', 'web', 'name: http')))));
    const d = route(c, 'http://a.shop.com/');
    expect(summary(d)).toBe('200 shop/web:80 /');
    expect(d.outcome.kind === 'proxy' && d.outcome.backend.upstream).toMatchObject({ kind: 'ready', servicePort: 80 });
  });

  it('ready endpoints: pod IP and the resolved target port (named targetPort http -> 8080)', () => {
    const d = route(shopCluster(ing('a', rules(rule('a.shop.com', web())))), 'http://a.shop.com/');
    const eps = d.outcome.kind === 'proxy' && d.outcome.backend.upstream.kind === 'ready' ? d.outcome.backend.upstream.endpoints : [];
    expect(eps).toHaveLength(2);
    for (const e of eps) expect(e).toMatch(/^10\.244\.\d+\.\d+:8080$/);
  });

  const unavailable: [string, string, string][] = [
    ['a Service whose selector matches no pod -> 503', web('/', 'Prefix', 'empty'), 'Service shop/empty has no endpoint: its selector matches no running pod with port 8080'],
    ['a missing Service -> 503', web('/', 'Prefix', 'ghost'), 'Service shop/ghost not found'],
    ['a port the Service does not have -> 503', web('/', 'Prefix', 'web', 'number: 81'), 'Service shop/web has no port 81 (ports: http/80)'],
  ];
  it.each(unavailable)('%s', (_, path, why) => {
    const d = route(shopCluster(ing('a', rules(rule('a.shop.com', path)))), 'http://a.shop.com/');
    expect(d.outcome).toMatchObject({ kind: 'unavailable', status: 503, why });
  });

  it('an ExternalName Service -> its name and port', () => {
    const d = route(shopCluster(ing('a', rules(rule('a.shop.com', web('/', 'Prefix', 'orders', 'number: 5432'))))), 'http://a.shop.com/');
    expect(d.outcome.kind === 'proxy' && d.outcome.backend.upstream).toEqual({ kind: 'ready', servicePort: 5432, endpoints: ['db.example.com:5432'] });
  });
});

describe("the controller's own configuration", () => {
  const controller = (args: string[]) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: ctl}}\n  template:\n    metadata: {labels: {app: ctl}}\n    spec:\n      containers:\n      - name: controller\n        image: registry.k8s.io/ingress-nginx/controller:v1.11.2\n        args: [${args.map((a) => JSON.stringify(a)).join(', ')}]\n`;

  it('--ingress-class from the Deployment decides which annotation value is served', () => {
    const c = shopCluster(controller(['/nginx-ingress-controller', '--ingress-class=internal']),
      ing('a', rules(rule('a.shop.com', web())), annotations({ 'kubernetes.io/ingress.class': 'internal' })));
    const t = tableOf(c);
    expect(t.controller.source).toBe('Deployment ingress-nginx/ingress-nginx-controller');
    expect(t.admissions.find((a) => a.ingress === 'shop/a')).toMatchObject({ served: true, why: 'annotation kubernetes.io/ingress.class: internal' });
  });

  it('--watch-ingress-without-class serves Ingresses with no class when no IngressClass is default', () => {
    const c = shopCluster(ing('a', rules(rule('a.shop.com', web())), annotations({ 'kubernetes.io/ingress.class': 'x' })));
    const bare = { ...c.ingresses[0]!, meta: { ...c.ingresses[0]!.meta, annotations: {} } };
    const classes = c.ingressClasses.filter((k) => !k.isDefault);
    expect(admitIngress(bare, classes, INGRESS_NGINX_DEFAULTS)).toMatchObject({ kind: 'ignored', why: 'no ingressClassName, no class annotation and no default IngressClass: no controller serves it' });
    expect(admitIngress(bare, classes, { ...INGRESS_NGINX_DEFAULTS, watchWithoutClass: true })).toMatchObject({ kind: 'served' });
  });

  it('a ConfigMap named by --configmap can turn ssl-redirect off for every Ingress', () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ctl, namespace: ingress-nginx}\ndata: {ssl-redirect: "false"}\n';
    const tlsIng = ing('a', `tls:\n- hosts: [a.shop.com]\n  secretName: shop-tls\n${rules(rule('a.shop.com', web()))}`);
    const c = shopCluster(controller(['/nginx-ingress-controller', '--configmap=$(POD_NAMESPACE)/ctl']), cm, tlsIng);
    expect(summary(route(c, 'http://a.shop.com/x'))).toBe('200 shop/web:80 /x');
    expect(summary(route(shopCluster(tlsIng), 'http://a.shop.com/x'))).toBe('308 -> https://a.shop.com/x');
  });
});
