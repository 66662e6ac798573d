import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCluster, fillIn, type Cluster } from '../cluster/fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { CliError, type Io } from './output.js';
import { CONTROLLER_MANIFESTS } from '../core/ingress/test-support/world.js';
import { runRoute, type RouteCliOptions } from './route.js';

function capture(): Io & { text: () => string } {
  const out: string[] = [];
  return { out: (t) => out.push(t), err: (t) => out.push(t), color: false, text: () => out.join('\n') };
}

const OPTS: RouteCliOptions = { host: '', sni: '', method: 'GET', header: [], output: 'json' };

function json(cluster: Cluster, url: string, o: Partial<RouteCliOptions> = {}): Record<string, unknown> {
  const io = capture();
  runRoute(io, cluster, url, { ...OPTS, ...o });
  return JSON.parse(io.text()) as Record<string, unknown>;
}

// ---------------------------------------------------------------- the documentation's table

/** kubernetes/website content/en/docs/concepts/services-networking/ingress.md, "Examples". */
const DOCS_TABLE: { kind: string; paths: [string, 'Exact' | 'Prefix'][]; requests: string[]; matches: string; want: number | null }[] = [
  { kind: 'Prefix', paths: [['/', 'Prefix']], requests: ['/', '/foo', '/aaa/bbb/ccc'], matches: 'Yes', want: 0 },
  { kind: 'Exact', paths: [['/foo', 'Exact']], requests: ['/foo'], matches: 'Yes', want: 0 },
  { kind: 'Exact', paths: [['/foo', 'Exact']], requests: ['/bar'], matches: 'No', want: null },
  { kind: 'Exact', paths: [['/foo', 'Exact']], requests: ['/foo/'], matches: 'No', want: null },
  { kind: 'Exact', paths: [['/foo/', 'Exact']], requests: ['/foo'], matches: 'No', want: null },
  { kind: 'Prefix', paths: [['/foo', 'Prefix']], requests: ['/foo', '/foo/'], matches: 'Yes', want: 0 },
  { kind: 'Prefix', paths: [['/foo/', 'Prefix']], requests: ['/foo', '/foo/'], matches: 'Yes', want: 0 },
  { kind: 'Prefix', paths: [['/aaa/bb', 'Prefix']], requests: ['/aaa/bbb'], matches: 'No', want: null },
  { kind: 'Prefix', paths: [['/aaa/bbb', 'Prefix']], requests: ['/aaa/bbb'], matches: 'Yes', want: 0 },
  { kind: 'Prefix', paths: [['/aaa/bbb/', 'Prefix']], requests: ['/aaa/bbb'], matches: 'Yes, ignores trailing slash', want: 0 },
  { kind: 'Prefix', paths: [['/aaa/bbb', 'Prefix']], requests: ['/aaa/bbb/'], matches: 'Yes, matches trailing slash', want: 0 },
  { kind: 'Prefix', paths: [['/aaa/bbb', 'Prefix']], requests: ['/aaa/bbb/ccc'], matches: 'Yes, matches subpath', want: 0 },
  { kind: 'Prefix', paths: [['/aaa/bbb', 'Prefix']], requests: ['/aaa/bbbxyz'], matches: 'No, does not match string prefix', want: null },
  { kind: 'Prefix', paths: [['/', 'Prefix'], ['/aaa', 'Prefix']], requests: ['/aaa/ccc'], matches: 'Yes, matches /aaa prefix', want: 1 },
  { kind: 'Prefix', paths: [['/', 'Prefix'], ['/aaa', 'Prefix'], ['/aaa/bbb', 'Prefix']], requests: ['/aaa/bbb'], matches: 'Yes, matches /aaa/bbb prefix', want: 2 },
  { kind: 'Prefix', paths: [['/', 'Prefix'], ['/aaa', 'Prefix'], ['/aaa/bbb', 'Prefix']], requests: ['/ccc'], matches: 'Yes, matches / prefix', want: 0 },
  { kind: 'Prefix', paths: [['/aaa', 'Prefix']], requests: ['/ccc'], matches: 'No, uses default backend', want: null },
  { kind: 'Mixed', paths: [['/foo', 'Prefix'], ['/foo', 'Exact']], requests: ['/foo'], matches: 'Yes, prefers Exact', want: 1 },
];

function docsCluster(): Cluster {
  const docs = [
    ...CONTROLLER_MANIFESTS,
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: echo, namespace: docs}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: echo}}\n  template:\n    metadata: {labels: {app: echo}}\n    spec:\n      containers: [{name: echo, image: agnhost, ports: [{containerPort: 8080}]}]\n',
    ...[0, 1, 2].map((i) => `apiVersion: v1\nkind: Service\nmetadata: {name: svc-${i}, namespace: docs}\nspec:\n  selector: {app: echo}\n  ports: [{port: ${80 + i}, targetPort: 8080}]\n`),
    'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\n  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}\nspec: {controller: k8s.io/ingress-nginx}\n',
    ...DOCS_TABLE.map((row, n) => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: row-${n}, namespace: docs}\nspec:\n  rules:\n  - host: row-${n}.example.com\n    http:\n      paths:\n${row.paths.map(([p, t], i) => `      - {path: ${p}, pathType: ${t}, backend: {service: {name: svc-${i}, port: {number: ${80 + i}}}}}\n`).join('')}`),
  ];
  const parsed = parseText('docs.yaml', docs.join('---\n'));
  return fillIn(decodeObjects(parsed.objects).inventory).cluster;
}

describe('knet route answers the Ingress documentation\'s path-matching table', () => {
  const cluster = docsCluster();
  DOCS_TABLE.forEach((row, n) => {
    for (const req of row.requests) {
      it(`${row.kind} ${row.paths.map(([p, t]) => (row.kind === 'Mixed' ? `${p} (${t})` : p)).join(', ')} | ${req} -> ${row.matches}`, () => {
        const r = json(cluster, `http://row-${n}.example.com${req}`);
        if (row.want === null) {
          expect(r).toMatchObject({ status: 404, backend: null, ingress: null });
        } else {
          expect(r).toMatchObject({ status: 200, ingress: `docs/row-${n}`, backend: { namespace: 'docs', service: `svc-${row.want}`, port: 80 + row.want }, upstreamPath: req });
        }
      });
    }
  });
});

// ---------------------------------------------------------------- examples/opscart

describe('knet route on examples/opscart', () => {
  const { cluster } = loadCluster(['examples/opscart']);
  const endpoints = (ns: string, app: string, port: number) => cluster.pods
    .filter((p) => p.meta.namespace === ns && p.meta.labels['app'] === app)
    .map((p) => `${p.status.podIPs[0]}:${port}`)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

  it('https://api.opscart.com/users -> api-service:8080, its 3 pods, the cert-manager Secret', () => {
    expect(json(cluster, 'https://api.opscart.com/users?page=2')).toEqual({
      status: 200,
      ingress: 'production/opscart-ingress',
      backend: { namespace: 'production', service: 'api-service', port: 8080 },
      tls: { secret: 'production/api-tls-cert', sni: 'api.opscart.com', default: false },
      redirect: null,
      upstreamPath: '/users?page=2',
      endpoints: endpoints('production', 'api', 8080),
      canary: null,
      reason: null,
      annotation: null,
      unknown: [],
      protocol: 'HTTP',
      responseHeaders: {},
      auth: null,
      rateLimit: null,
      customErrors: null,
      passthrough: null,
    });
  });

  it('http://app.opscart.com/cart -> 308 to https (the Ingress has TLS)', () => {
    expect(json(cluster, 'http://app.opscart.com/cart')).toMatchObject({ status: 308, redirect: { location: 'https://app.opscart.com/cart' }, backend: null, tls: null });
  });

  it('https://metrics.opscart.com/prometheus/graph -> prometheus:9090 in monitoring', () => {
    expect(json(cluster, 'https://metrics.opscart.com/prometheus/graph')).toMatchObject({
      status: 200, ingress: 'monitoring/prometheus', backend: { namespace: 'monitoring', service: 'prometheus', port: 9090 },
      endpoints: endpoints('monitoring', 'prometheus', 9090),
    });
  });

  it('a path no rule matches on metrics.opscart.com -> 404', () => {
    expect(json(cluster, 'https://metrics.opscart.com/grafana')).toMatchObject({ status: 404, ingress: null, backend: null, endpoints: [] });
  });

  it('--host routes a request sent to the load balancer IP', () => {
    expect(json(cluster, 'https://198.51.100.2/users', { host: 'api.opscart.com', sni: 'api.opscart.com' }))
      .toMatchObject({ status: 200, backend: { service: 'api-service' }, tls: { secret: 'production/api-tls-cert' } });
  });

  it('text output: one block with the decision and why', () => {
    const io = capture();
    runRoute(io, cluster, 'https://api.opscart.com/users', { ...OPTS, output: '' });
    const text = io.text();
    expect(text.split('\n').slice(0, 3)).toEqual([
      'GET https://api.opscart.com/users -> 200, proxied to production/api-service:8080',
      '  ingress:   production/opscart-ingress (host api.opscart.com, path / Prefix)',
      '  tls:       Secret production/api-tls-cert for SNI api.opscart.com (written by cert-manager Certificate production/api-tls-cert; until it is Ready, ingress-nginx serves its self-signed "Kubernetes Ingress Controller Fake Certificate")',
    ]);
    expect(text).toContain(`  upstream:  GET /users to ${endpoints('production', 'api', 8080).join(', ')}`);
    expect(text).toContain('    host api.opscart.com -> server api.opscart.com (Ingresses production/opscart-ingress)');
  });

  it('a bad URL or output format -> a one-line error', () => {
    expect(() => runRoute(capture(), cluster, 'ftp://x', OPTS)).toThrow(CliError);
    expect(() => runRoute(capture(), cluster, 'http://x', { ...OPTS, output: 'yaml' })).toThrow(/allowed formats are: json/);
  });
});

describe('registerRoute wires the command line', () => {
  it("knet route URL -f examples/opscart --header 'X-A: b' --method post -o json", async () => {
    const { Command } = await import('commander');
    const { registerRoute } = await import('./route.js');
    const io = capture();
    const program = new Command('knet').exitOverride();
    registerRoute(program, io);
    program.parse(['route', 'https://api.opscart.com/v1', '-f', 'examples/opscart', '--header', 'X-A: b', '--method', 'post', '-o', 'json'], { from: 'user' });
    const text = io.text();
    expect(JSON.parse(text.slice(text.indexOf('{')))).toMatchObject({ status: 200, upstreamPath: '/v1' });
  });
});

describe('knet route and the traffic annotations', () => {
  const world = (annotations: Record<string, string>, policy = 'Cluster') => loadShop(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: ingress-nginx}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  selector: {matchLabels: {app: c}}
  template:
    metadata: {labels: {app: c}}
    spec: {containers: [{name: controller, image: registry.k8s.io/ingress-nginx/controller:v1.11.2, args: [/nginx-ingress-controller]}]}
---
apiVersion: v1
kind: Service
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec: {type: LoadBalancer, externalTrafficPolicy: ${policy}, selector: {app: c}, ports: [{name: http, port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: default
  annotations: ${JSON.stringify(Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v])))}
spec:
  ingressClassName: nginx
  rules: [{host: web.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
`);

  it('--client-ip under externalTrafficPolicy Cluster: nginx sees a node, so a whitelist of the client denies it (403)', () => {
    expect(json(world({ 'whitelist-source-range': '203.0.113.0/24' }), 'http://web.example.com/', { clientIp: '203.0.113.9' }))
      .toMatchObject({ status: 403, annotation: 'nginx.ingress.kubernetes.io/whitelist-source-range', backend: null });
  });

  it('--client-ip under externalTrafficPolicy Local: the client itself, allowed', () => {
    expect(json(world({ 'whitelist-source-range': '203.0.113.0/24' }, 'Local'), 'http://web.example.com/', { clientIp: '203.0.113.9' }))
      .toMatchObject({ status: 200, annotation: null, unknown: [] });
  });

  it('auth-url outside the cluster: 200 if it says so, and the JSON says what is unknown', () => {
    expect(json(world({ 'auth-url': 'https://auth.example/check', 'auth-signin': 'https://login.example/' }), 'http://web.example.com/')).toMatchObject({
      status: 200,
      auth: { url: 'https://auth.example/check', service: null, signin: 'https://login.example/', onDenied: '302 to https://login.example/ with ?rd=<the original URL>' },
      unknown: ['the answer of the external auth service https://auth.example/check (auth-url): 2xx passes, 401 -> 302 to https://login.example/ with ?rd=<the original URL>, 403 -> 403, anything else -> 500'],
    });
  });

  it('an OPTIONS preflight with --header Origin: 204 and the CORS headers', () => {
    expect(json(world({ 'enable-cors': 'true' }), 'http://web.example.com/', { method: 'OPTIONS', header: ['Origin: https://app.example'] }))
      .toMatchObject({ status: 204, annotation: 'nginx.ingress.kubernetes.io/enable-cors', responseHeaders: { 'access-control-allow-origin': '*' } });
  });

  it('--header Content-Length past proxy-body-size: 413', () => {
    expect(json(world({ 'proxy-body-size': '1k' }), 'http://web.example.com/', { method: 'POST', header: ['Content-Length: 2048'] })).toMatchObject({ status: 413 });
  });

  it('a --client-ip that is not an address -> a one-line error', () => {
    expect(() => json(world({}), 'http://web.example.com/', { clientIp: 'nope' })).toThrow(CliError);
  });
});

function loadShop(text: string): Cluster {
  const parsed = parseText('w.yaml', text);
  return fillIn(decodeObjects(parsed.objects).inventory).cluster;
}

describe('knet route without a controller knet models', () => {
  const shopIngress = (annotations = '') => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: shop, namespace: shop${annotations ? `, annotations: {${annotations}}` : ''}}\nspec:\n  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n`;
  const web = 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n';

  it('no controller pod in the input: says nothing serves the host, no 404 from a default backend that does not exist', () => {
    const c = loadShop([web, shopIngress()].join('---\n'));
    expect(json(c, 'https://shop.example.com/')).toMatchObject({ status: null, backend: null, reason: 'no ingress controller runs in the input: nothing serves shop.example.com', controller: null, unknown: [] });
    const io = capture();
    runRoute(io, c, 'https://shop.example.com/', { ...OPTS, output: '' });
    expect(io.text()).toMatch(/^GET https:\/\/shop\.example\.com\/ -> no answer: no ingress controller runs in the input: nothing serves shop\.example\.com$/m);
    expect(io.text()).not.toMatch(/404/);
  });

  it('class istio (the legacy annotation): unknown, naming the class', () => {
    const c = loadShop([web, shopIngress('kubernetes.io/ingress.class: istio')].join('---\n'));
    expect(json(c, 'https://shop.example.com/')).toMatchObject({
      status: null, ingress: 'shop/shop', reason: 'no ingress controller serves class istio: knet models ingress-nginx; the answer is unknown',
      controller: { modelled: false, class: 'istio', controllerClass: null },
    });
  });

  it.skipIf(!existsSync('../shared/realworld/11-bookinfo'))('on ../shared/realworld/11-bookinfo (class istio, no controller): unknown, not 404', () => {
    const { cluster } = loadCluster(['../shared/realworld/11-bookinfo/manifests']);
    expect(json(cluster, 'http://bookinfo.example.com/productpage')).toMatchObject({ status: null, ingress: 'default/gateway', controller: { class: 'istio' } });
  });
});

describe('knet route -o json: a canary\'s weight is data', () => {
  const ingress = (name: string, annotations: string) => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ${name}, namespace: shop, annotations: {${annotations}}}\nspec:\n  ingressClassName: nginx\n  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: ${name}, port: {number: 80}}}}]}}]\n`;
  const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: shop}\nspec: {selector: {app: ${name}}, ports: [{port: 80, targetPort: 8080}]}\n`;
  const nginxClass = 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: k8s.io/ingress-nginx}\n';
  const world = (weight: string) => loadShop([...CONTROLLER_MANIFESTS, nginxClass, svc('web'), svc('web-v2'), ingress('web', ''),
    ingress('web-v2', `nginx.ingress.kubernetes.io/canary: "true", ${weight}`)].join('---\n'));

  it.each([
    ['canary-weight 20 -> {weight: 20, total: 100}', 'nginx.ingress.kubernetes.io/canary-weight: "20"', 20, 100],
    ['canary-weight-total 1000 -> total 1000', 'nginx.ingress.kubernetes.io/canary-weight: "250", nginx.ingress.kubernetes.io/canary-weight-total: "1000"', 250, 1000],
  ])('%s', (_, annotations, weight, total) => {
    expect(json(world(annotations), 'http://shop.example.com/')).toMatchObject({ canary: { ingress: 'shop/web-v2', service: 'shop/web-v2', weight, total, chosen: false } });
  });
});
