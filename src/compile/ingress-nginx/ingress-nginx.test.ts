// compile/ingress-nginx: golden configurations (`UPDATE_GOLDEN=1 npx vitest run
// src/compile/ingress-nginx` rewrites them), the real `nginx -t` accepting them when nginx
// is installed (run in a network namespace of its own, so root), and the rules the
// configuration must carry from the core.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCluster, type Cluster } from '../../cluster/fill-in.js';
import { routeTableOf } from '../../core/ingress/index.js';
import { paths, tls } from '../../core/ingress/test-support/route-cases.js';
import { annotations, ing, shopCluster } from '../../core/ingress/test-support/world.js';
import { compileIngressNginx, type NginxBundle } from './compile.js';
import { STREAM_MODULE } from './render.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');

function golden(name: string, actual: string): void {
  const path = join(here, '..', 'golden', name);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(path)) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** PEM-shaped but fake: enough for the compiler, deterministic for golden files. */
const FAKE_PEM = '-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nZmFrZQ==\n-----END PRIVATE KEY-----\n';

function withPem(c: Cluster, pems: Readonly<Record<string, string>>): Cluster {
  return {
    ...c,
    secrets: c.secrets.map((s) => {
      const pem = pems[s.meta.name];
      if (!pem) return s;
      const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
      const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)![0];
      return { ...s, data: { 'tls.crt': Buffer.from(cert).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') } };
    }),
  };
}

function compile(c: Cluster, fake = FAKE_PEM): NginxBundle {
  return compileIngressNginx({ table: routeTableOf(c), secrets: c.secrets, fakeCertificate: fake, resolvers: ['10.96.0.10'] });
}

/** One cluster with every feature on its own host. */
function featureCluster(): Cluster {
  return shopCluster(
    ing('tls', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'], ['/api', 'api'], ['/foo', 'admin', 'Exact'], ['/empty', 'empty'])}`),
    ing('wild', `${tls('wild-tls', '*.shop.com')}${paths('"*.shop.com"', ['/', 'web'])}`),
    ing('solver', paths('a.shop.com', ['/.well-known/acme-challenge/TOKEN', 'admin', 'ImplementationSpecific'])),
    ing('regex', paths('r.shop.com', ['/something(/|$)(.*)', 'web', 'ImplementationSpecific']), annotations({ 'rewrite-target': '/$2', 'use-regex': 'true' })),
    ing('root', paths('root.shop.com', ['/', 'web']), annotations({ 'app-root': '/app1', 'force-ssl-redirect': 'true', 'preserve-trailing-slash': 'true' })),
    ing('c', paths('c.shop.com', ['/', 'web'])),
    ing('c-canary', paths('c.shop.com', ['/', 'canary']), annotations({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-cookie': 'beta', 'canary-weight': '20' })),
    ing('h', paths('h.shop.com', ['/', 'web'])),
    ing('h-canary', paths('h.shop.com', ['/', 'empty']), annotations({ canary: 'true', 'canary-by-header': 'X-Env', 'canary-by-header-value': 'beta' })),
    ing('catch', 'defaultBackend: {service: {name: admin, port: {number: 70}}}'),
  );
}

/** One cluster with every traffic annotation, each on its own host; the controller runs with --enable-ssl-passthrough. */
function annotationCluster(ca = '-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n'): Cluster {
  const c = shopCluster(
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: ingress-nginx}\n',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: c}}\n  template:\n    metadata: {labels: {app: c}}\n    spec:\n      containers:\n      - name: controller\n        image: registry.k8s.io/ingress-nginx/controller:v1.11.2\n        args: [/nginx-ingress-controller, --enable-ssl-passthrough]\n',
    ing('redirect', paths('redirect.shop.com', ['/', 'web']), annotations({ 'permanent-redirect': 'https://new.shop.com/', 'permanent-redirect-code': '308' })),
    ing('errors', paths('errors.shop.com', ['/', 'web'], ['/empty', 'empty']), annotations({ 'custom-http-errors': '404,503', 'default-backend': 'errors' })),
    ing('auth', paths('auth.shop.com', ['/', 'web']), annotations({ 'auth-url': 'http://auth.shop.svc.cluster.local/verify?x=1', 'auth-signin': 'https://login.example/start' })),
    ing('auth-out', paths('auth-out.shop.com', ['/', 'web']), annotations({ 'auth-url': 'https://auth.example/check', 'auth-method': 'POST' })),
    ing('mtls', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`, annotations({ 'auth-tls-secret': 'shop/client-ca', 'auth-tls-verify-client': 'optional' })),
    ing('ranges', paths('ranges.shop.com', ['/', 'web'], ['/empty', 'empty']), annotations({ 'whitelist-source-range': '172.18.0.0/16,10.0.0.1', 'denylist-source-range': '172.18.0.9' })),
    ing('grpc', paths('grpc.shop.com', ['/', 'api']), annotations({ 'backend-protocol': 'GRPC' })),
    ing('https', paths('https.shop.com', ['/', 'secure']), annotations({ 'backend-protocol': 'HTTPS', 'proxy-body-size': '8m', 'limit-rps': '5' })),
    ing('cors', paths('cors.shop.com', ['/', 'web']), annotations({ 'enable-cors': 'true', 'cors-allow-origin': 'https://app.example, https://*.shop.com' })),
    ing('cors-any', paths('cors-any.shop.com', ['/', 'web']), annotations({ 'enable-cors': 'true', 'cors-allow-credentials': 'false' })),
    ing('pass', paths('pass.shop.com', ['/', 'secure']), annotations({ 'ssl-passthrough': 'true' })),
    ing('denied', paths('denied.shop.com', ['/', 'web']), annotations({ 'whitelist-source-range': 'nonsense' })),
  );
  return { ...c, secrets: c.secrets.map((s) => (s.meta.name === 'client-ca' ? { ...s, data: { 'ca.crt': Buffer.from(ca).toString('base64') } } : s)) };
}

describe('golden configurations', () => {
  it('opscart', () => {
    golden('ingress-nginx-opscart.conf', compile(loadCluster([join(repo, 'examples/opscart')]).cluster).conf);
  });
  it('every feature of the shop world', () => {
    golden('ingress-nginx-shop.conf', compile(withPem(featureCluster(), { 'shop-tls': FAKE_PEM, 'wild-tls': FAKE_PEM })).conf);
  });
  it('every traffic annotation', () => {
    golden('ingress-nginx-annotations.conf', compile(withPem(annotationCluster(), { 'shop-tls': FAKE_PEM })).conf);
  });
});

describe('what the configuration carries from the core', () => {
  it('upstreams are the ready endpoints (pod IP:targetPort), never the ClusterIP', () => {
    const c = featureCluster();
    const conf = compile(c).conf;
    const web = c.services.find((s) => s.meta.name === 'web')!;
    const pods = c.pods.filter((p) => p.meta.labels['app'] === 'web').map((p) => `${p.status.podIPs[0]}:8080`).sort();
    const block = /upstream shop-web-80 \{([^}]*)\}/.exec(conf)![1]!;
    expect([...block.matchAll(/server (\S+) max_fails=0;/g)].map((m) => m[1]).sort()).toEqual(pods);
    expect(conf).not.toContain(web.clusterIPs[0]!);
  });

  it('a backend without ready endpoints answers 503; an unmatched path the default backend 404', () => {
    const conf = compile(featureCluster()).conf;
    expect(conf).toMatch(/location "\/empty\/" \{\n\s+set \$proxy_upstream_name "shop-empty-80";\n\s+if \(\$scheme = http\) \{\n\s+return 308 [^\n]+\n\s+\}\n\s+return 503;/);
    expect(conf).toMatch(/## start server _[\s\S]*?location "\/" \{\n\s+set \$proxy_upstream_name "shop-admin-70";\n\s+proxy_pass http:\/\/shop-admin-70;/);
  });

  it("cert-manager's solver path is not redirected, the rest of the TLS host is", () => {
    const conf = compile(featureCluster()).conf;
    const solver = /location = "\/\.well-known\/acme-challenge\/TOKEN" \{[^}]*\}/.exec(conf)![0];
    expect(solver).not.toContain('return 308');
    expect(solver).toContain('proxy_pass http://shop-admin-70;');
  });

  it('Exact beats Prefix at equal length: `= /foo` serves the Exact path, `/foo/`... nothing longer claims it', () => {
    const c = shopCluster(ing('a', paths('a.shop.com', ['/foo', 'web'], ['/foo', 'api', 'Exact'], ['/bar/', 'admin'])));
    const conf = compile(c).conf;
    expect(conf).toMatch(/location = "\/foo" \{\n\s+set \$proxy_upstream_name "shop-api-90";/);
    expect(conf).toMatch(/location "\/foo\/" \{\n\s+set \$proxy_upstream_name "shop-web-80";/);
    // A Prefix path with a trailing slash answers the path without it, as the Ingress spec (and knet route) say.
    expect(conf).toMatch(/location = "\/bar" \{\n\s+set \$proxy_upstream_name "shop-admin-70";/);
  });

  it('the TLS Secret is a PEM file of the output; a Secret that is not PEM gets the default certificate and a note', () => {
    const c = shopCluster(ing('a', `${tls('shop-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`));
    const fake = compile(c);
    expect(fake.certificates.map((f) => f.path)).toEqual([expect.stringMatching(/^certs\/default-fake-certificate-[0-9a-f]{12}\.pem$/)]);
    expect(fake.notes).toContain('host a.shop.com: Secret shop/shop-tls: tls.crt is not a PEM certificate; nginx serves the default certificate until it does');
    const real = compile(withPem(c, { 'shop-tls': FAKE_PEM }));
    const file = real.certificates.find((f) => f.path.startsWith('certs/shop_shop-tls-'))!;
    expect(file.pem).toBe('-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nZmFrZQ==\n-----END PRIVATE KEY-----\n');
    expect(real.conf).toContain(`ssl_certificate ${file.path};`);
  });

  it('a Secret cert-manager writes later is served after the next compile (a new file, named by its content)', () => {
    const ingress = ing('a', `${tls('auto-tls', 'a.shop.com')}${paths('a.shop.com', ['/', 'web'])}`, annotations({ 'cert-manager.io/cluster-issuer': 'le' }));
    const before = compile(shopCluster(ingress));
    expect(before.notes).toContain('host a.shop.com: Secret shop/auto-tls does not exist (yet); nginx serves the default certificate until it does (cert-manager Certificate shop/auto-tls writes it)');
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: auto-tls, namespace: shop}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${Buffer.from('-----BEGIN CERTIFICATE-----\nYQ==\n-----END CERTIFICATE-----').toString('base64')}, tls.key: ${Buffer.from('-----BEGIN EC PRIVATE KEY-----\nYQ==\n-----END EC PRIVATE KEY-----').toString('base64')}}\n`;
    const after = compile(shopCluster(ingress, secret));
    const file = after.certificates.find((f) => f.path.startsWith('certs/shop_auto-tls-'));
    expect(file?.pem).toContain('BEGIN EC PRIVATE KEY');
    expect(after.conf).toContain(`ssl_certificate ${file!.path};`);
  });

  it('canary: header, then cookie, then a 20% split; a canary without endpoints answers 503 when chosen', () => {
    const conf = compile(featureCluster()).conf;
    expect(conf).toContain('split_clients "$request_id" $knet_canary_0_weight {\n        20% 1;\n        * 0;\n    }');
    expect(conf).toContain('map $cookie_beta $knet_canary_0_cookie {\n        "~^always$" 1;\n        "~^never$" 0;\n        default $knet_canary_0_weight;\n    }');
    expect(conf).toContain('map $http_x_canary $knet_canary_0_header {\n        "~^always$" 1;\n        "~^never$" 0;\n        default $knet_canary_0_cookie;\n    }');
    expect(conf).toMatch(/if \(\$knet_canary_1 = 1\) \{\n\s+return 503;\n\s+\}\n\s+proxy_pass http:\/\/shop-web-80;/);
  });
});

function nginxSkipReason(): string {
  if (spawnSync('sh', ['-c', 'command -v nginx']).status !== 0) return 'nginx is not installed (apt-get install nginx)';
  if (!existsSync(STREAM_MODULE)) return `nginx's stream module is not installed (apt-get install libnginx-mod-stream): ssl-passthrough needs it`;
  if (process.getuid?.() !== 0) return 'needs root: nginx -t runs in a network namespace of its own';
  return '';
}
const skip = nginxSkipReason();

describe.skipIf(skip !== '')(`nginx -t accepts the configurations${skip ? ` (skipped: ${skip})` : ''}`, () => {
  function nginxT(bundle: NginxBundle): { status: number | null; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), 'knet-ing-nginx-'));
    try {
      mkdirSync(join(dir, 'certs'));
      for (const d of ['client-body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'tmp', d), { recursive: true });
      for (const f of bundle.certificates) writeFileSync(join(dir, f.path), f.pem, { mode: 0o600 });
      writeFileSync(join(dir, 'nginx.conf'), bundle.conf);
      const r = spawnSync('unshare', ['--net', 'nginx', '-t', '-p', `${dir}/`, '-c', 'nginx.conf', '-e', 'stderr'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
      return { status: r.status, stderr: r.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  function selfSigned(cn: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'knet-ing-cert-'));
    try {
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${cn}`,
        '-keyout', join(dir, 'k'), '-out', join(dir, 'c')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return `${readFileSync(join(dir, 'c'), 'utf8')}${readFileSync(join(dir, 'k'), 'utf8')}`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('opscart, every feature of the shop world and every traffic annotation, with real certificates', () => {
    const fake = selfSigned('Kubernetes Ingress Controller Fake Certificate');
    for (const bundle of [
      compile(loadCluster([join(repo, 'examples/opscart')]).cluster, fake),
      compile(withPem(featureCluster(), { 'shop-tls': selfSigned('a.shop.com'), 'wild-tls': selfSigned('*.shop.com') }), fake),
      compile(withPem(annotationCluster(selfSigned('client-ca').replace(/-----BEGIN PRIVATE KEY-----[\s\S]*/, '')), { 'shop-tls': selfSigned('a.shop.com') }), fake),
    ]) {
      const r = nginxT(bundle);
      expect(r.stderr).toContain('test is successful');
      expect(r.status).toBe(0);
    }
  });

  it('and refuses a broken one, naming the line (the check is real)', () => {
    const bundle = compile(featureCluster(), selfSigned('x'));
    const r = nginxT({ ...bundle, conf: bundle.conf.replace('proxy_pass http://shop-web-80;', 'proxy_pass http://shop-web-80') });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/nginx\.conf:\d+/);
  });
});
