// One suite, two backends: the core's route cases (core/ingress/test-support/route-cases.ts)
// sent through the real nginx, configured by compile/ingress-nginx, from the internet side
// to the controller's LoadBalancer VIP (fabric -> node -> kube-proxy -> controller pod).
// For every request the status, the redirect Location, the pod that answered and the path
// it saw, and the certificate served must be what `matchRoute` decides for that request.
// Also: a slow request in flight across a reload completes; a configuration nginx refuses
// leaves the old one serving; the access log is ingress-nginx's. Root and nginx needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../cluster/fill-in.js';
import { matchRoute, routeTableOf, type RouteDecision } from '../../core/ingress/index.js';
import { flowRequestFacts, NODE_ADDRESSES, paths, ROUTE_FLOW_CASES, type RouteFlowRequest } from '../../core/ingress/test-support/route-cases.js';
import { annotations, ing, request, shopCluster, summary } from '../../core/ingress/test-support/world.js';
import { STREAM_MODULE } from '../../compile/ingress-nginx/render.js';
import { runDir } from '../run-state.js';
import { CONTROLLER_MANIFESTS, startIngressLab, TLS_BACKEND_CN, type IngressLab } from './ingress-lab.js';
import { selfSignedPem, tlsSecretData } from './self-signed.js';

function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root (namespaces, nft, nginx in a pod namespace)';
  for (const tool of ['nginx', 'curl', 'openssl', 'ip', 'nft']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  if (!existsSync(STREAM_MODULE)) return `nginx's stream module is not installed (apt-get install libnginx-mod-stream): ssl-passthrough needs it`;
  return '';
}
const skip = skipReason();

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly certSubject: string;
}

describe.skipIf(skip !== '')(`Ingress route cases through real nginx${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: IngressLab;
  let pems: Record<string, string>;
  // mTLS: a CA whose self-signed certificate is also the client certificate it verifies; a stranger's it does not.
  let clientCa: string;
  let files: string;

  const world = (...ingresses: string[]): Cluster => {
    const c = shopCluster(...CONTROLLER_MANIFESTS, ...ingresses);
    return {
      ...c,
      secrets: c.secrets.map((s) => (pems[s.meta.name] ? { ...s, data: tlsSecretData(pems[s.meta.name]!) }
        : s.meta.name === 'client-ca' ? { ...s, data: { 'ca.crt': tlsSecretData(clientCa)['tls.crt'] } } : s)),
    };
  };

  beforeAll(async () => {
    pems = { 'shop-tls': await selfSignedPem('/CN=shop-tls', ['a.shop.com', 'p.shop.com']), 'wild-tls': await selfSignedPem('/CN=wild-tls', ['*.shop.com']) };
    clientCa = await selfSignedPem('/CN=knet-client-ca', []);
    files = mkdtempSync(join(tmpdir(), 'knet-ingf-'));
    writeFileSync(join(files, 'valid.pem'), clientCa);
    writeFileSync(join(files, 'invalid.pem'), await selfSignedPem('/CN=stranger', []));
    writeFileSync(join(files, 'body'), 'x'.repeat(4096));
    lab = await startIngressLab(world(), { prefix: 'ingf' });
  }, 60_000);
  afterAll(async () => {
    await lab?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
  }, 30_000);

  async function send(r: RouteFlowRequest, extra: readonly string[] = []): Promise<Answer> {
    const u = new URL(r.url);
    const https = u.protocol === 'https:';
    const args = ['-s', '-k', '-i', '--max-time', '10', '-w', '\n@@KNET-CERTS@@\n%{certs}'];
    let url = r.url;
    if (r.sni === null) url = `${u.protocol}//${lab.vip}${u.pathname}${u.search}`;
    else args.push('--connect-to', `::${lab.vip}:${https ? 443 : 80}`);
    const host = r.host ?? (r.sni === null ? u.host : undefined);
    if (host) args.push('-H', `Host: ${host}`);
    for (const [k, v] of Object.entries(r.headers ?? {})) args.push('-H', `${k}: ${v}`);
    if (r.method) args.push('-X', r.method);
    if (r.bodyBytes !== undefined) {
      writeFileSync(join(files, `body-${r.bodyBytes}`), 'x'.repeat(r.bodyBytes));
      args.push('--data-binary', `@${join(files, `body-${r.bodyBytes}`)}`);
    }
    if (r.clientCert === 'valid' || r.clientCert === 'invalid') args.push('--cert', join(files, `${r.clientCert}.pem`), '--key', join(files, `${r.clientCert}.pem`));
    const out = await lab.curl([...args, ...extra, url]);
    expect(out.code, `curl ${url}: ${out.stderr}`).toBe(0);
    const [response, certs = ''] = out.stdout.split('\n@@KNET-CERTS@@\n');
    const split = response!.indexOf('\r\n\r\n');
    const head = response!.slice(0, split).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    return { status: Number(/^HTTP\/\S+ (\d{3})/.exec(head[0]!)![1]), headers, body: response!.slice(split + 4), certSubject: /Subject:\s*(.*)/.exec(certs)?.[1] ?? '' };
  }

  function decide(r: RouteFlowRequest): RouteDecision {
    return matchRoute(routeTableOf(lab.cluster), request(r.url, flowRequestFacts(r)));
  }

  function expectAgrees(r: RouteFlowRequest, d: RouteDecision, a: Answer): void {
    const what = `${r.url} ${JSON.stringify(r.headers ?? {})}${r.host ? ` Host ${r.host}` : ''}: knet route says ${summary(d)}`;
    const o = d.outcome;
    if (o.kind === 'passthrough') {
      // The backend terminated TLS itself: its certificate, its answer, the path as sent.
      expect(a.certSubject, what).toContain(`CN = ${TLS_BACKEND_CN}`);
      const seen = JSON.parse(a.body) as { pod: string; url: string };
      const allowed = o.backend.upstream.kind === 'ready' ? o.backend.upstream.endpoints.map((e) => lab.podAt(e)) : [];
      expect(allowed, what).toContain(seen.pod);
      expect(seen.url, what).toBe(new URL(r.url).pathname);
      return;
    }
    expect(a.status, what).toBe(o.status);
    if (o.kind === 'redirect') expect(a.headers['location'], what).toBe(o.location);
    if (o.kind === 'proxy') {
      const seen = JSON.parse(a.body) as { pod: string; url: string };
      const allowed = o.backend.upstream.kind === 'ready' ? o.backend.upstream.endpoints.map((e) => lab.podAt(e)) : [];
      expect(allowed, what).toContain(seen.pod);
      expect(seen.url, what).toBe(o.upstreamPath);
    }
    const headers = o.kind === 'cors-preflight' ? o.headers : d.responseHeaders;
    for (const [k, v] of Object.entries(headers)) expect(a.headers[k], `${what}: header ${k}`).toBe(v);
    if (d.tls) {
      const cn = d.tls.kind === 'secret' ? `CN = ${d.tls.secret.split('/')[1]}` : 'CN = Kubernetes Ingress Controller Fake Certificate';
      expect(a.certSubject, what).toContain(cn);
    }
  }

  it('the client nginx sees is a node (externalTrafficPolicy: Cluster): the addresses the shared cases give', () => {
    const nodes = lab.plan.namespaces.filter((n) => n.role === 'node').flatMap((n) => n.addresses.map((x) => x.cidr.split('/')[0]!));
    expect(nodes.sort()).toEqual([...NODE_ADDRESSES].sort());
  });

  for (const c of ROUTE_FLOW_CASES) {
    it(c.name, async () => {
      const applied = await lab.setCluster(world(...c.ingresses));
      for (const a of applied) expect(a.kind).not.toBe('refused');
      for (const r of c.requests) {
        const d = decide(r);
        expect(summary(d)).toBe(r.want);
        expectAgrees(r, d, await send(r));
      }
    }, 30_000);
  }

  it('limit-rps 1: the first request and a burst of 5 pass at once, the rest get 503 (limit_req, nodelay)', async () => {
    await lab.setCluster(world(ing('a', paths('a.shop.com', ['/', 'web']), annotations({ 'limit-rps': '1' }))));
    const d = decide({ url: 'http://a.shop.com/r', want: '' });
    expect(d.rateLimit).toEqual({ rps: 1, burst: 5, status: 503 });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await send({ url: 'http://a.shop.com/r', want: '' })).status);
    const passed = statuses.filter((x) => x === 200).length;
    // 1 + burst, plus at most one more if a second went by during the loop.
    expect(passed, statuses.join(' ')).toBeGreaterThanOrEqual(1 + d.rateLimit!.burst);
    expect(passed, statuses.join(' ')).toBeLessThanOrEqual(2 + d.rateLimit!.burst);
    expect(statuses.filter((x) => x !== 200).every((x) => x === d.rateLimit!.status)).toBe(true);
  }, 30_000);

  it('custom-http-errors: a 404 from the backend is replaced by the default-backend, told the code in X-Code', async () => {
    await lab.setCluster(world(ing('a', paths('a.shop.com', ['/', 'web']), annotations({ 'custom-http-errors': '404,503', 'default-backend': 'errors' }))));
    const d = decide({ url: 'http://a.shop.com/missing?knet-status=404', want: '' });
    expect(d.customErrors?.codes).toEqual([404, 503]);
    const a = await send({ url: 'http://a.shop.com/missing?knet-status=404', want: '' });
    // nginx takes the error page's own status; ingress-nginx's custom error pages answer X-Code, this lab's pods 200.
    const seen = JSON.parse(a.body) as { pod: string; url: string; headers: Record<string, string> };
    expect(seen.pod).toMatch(/^shop\/errors-/);
    expect(seen.headers['x-code']).toBe('404');
    expect(seen.headers['x-original-uri']).toBe('/missing?knet-status=404');
    expect(seen.headers['x-service-name']).toBe('web');
    // A status not in the list passes through.
    expect((await send({ url: 'http://a.shop.com/missing?knet-status=418', want: '' })).status).toBe(418);
  }, 30_000);

  it('auth-url: 401 from the auth service -> 302 to auth-signin with rd; 403 -> 403; 401 without signin -> 401; anything else 500', async () => {
    const authed = (host: string, status: number, signin?: string) => ing(host.split('.')[0]!, paths(host, ['/', 'web']),
      annotations({ 'auth-url': `http://auth.shop.svc.cluster.local/verify?knet-status=${status}`, ...(signin ? { 'auth-signin': signin } : {}) }));
    await lab.setCluster(world(authed('s.shop.com', 401, 'https://login.example/start'), authed('f.shop.com', 403), authed('u.shop.com', 401), authed('e.shop.com', 418)));
    expect(decide({ url: 'http://s.shop.com/private', want: '' }).auth?.onDenied).toBe('302 to https://login.example/start with ?rd=<the original URL>');
    const signin = await send({ url: 'http://s.shop.com/private', want: '' });
    expect(signin.status).toBe(302);
    expect(signin.headers['location']).toBe('https://login.example/start?rd=http://s.shop.com/private');
    expect((await send({ url: 'http://f.shop.com/private', want: '' })).status).toBe(403);
    expect((await send({ url: 'http://u.shop.com/private', want: '' })).status).toBe(401);
    expect((await send({ url: 'http://e.shop.com/private', want: '' })).status).toBe(500);
  }, 30_000);

  it('proxy headers: Host as sent, X-Real-IP and X-Forwarded-For the client, X-Forwarded-Proto the scheme', async () => {
    await lab.setCluster(world(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a, namespace: shop}\nspec:\n  tls: [{hosts: [a.shop.com], secretName: shop-tls}]\n  rules:\n  - host: a.shop.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n`));
    const a = await send({ url: 'https://a.shop.com/h', want: '' });
    const seen = JSON.parse(a.body) as { headers: Record<string, string> };
    // externalTrafficPolicy Cluster: kube-proxy masquerades, so the client nginx sees is a node.
    const client = lab.plan.namespaces.filter((n) => n.role === 'node').flatMap((n) => n.addresses.map((x) => x.cidr.split('/')[0]!));
    expect(seen.headers['host']).toBe('a.shop.com');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(client).toContain(seen.headers['x-real-ip']);
    expect(seen.headers['x-forwarded-for']).toBe(seen.headers['x-real-ip']);
    expect(a.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    // ingress-nginx's access log format, on the container's stdout (its log file).
    const log = readFileSync(`${runDir(lab.name)}/logs/${lab.controllers[0]!.ref.replace('/', '_')}_controller.log`, 'utf8');
    expect(log).toMatch(/"GET \/h HTTP\/2\.0" 200 \d+ "-" "curl\/[\d.]+" \d+ [\d.]+ \[shop-web-80\] \[\] 10\.244\.\d+\.\d+:8080 \d+ [\d.]+ 200 [0-9a-f]{32}/);
  }, 30_000);

  it('a slow request in flight across a reload completes; the new configuration answers the next one', async () => {
    await lab.setCluster(world(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a, namespace: shop}\nspec:\n  rules:\n  - host: a.shop.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n`));
    const slow = send({ url: 'http://a.shop.com/slow?knet-delay=2500', want: '' });
    await new Promise((r) => setTimeout(r, 500));
    const moved = await lab.setCluster(world(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a, namespace: shop}\nspec:\n  rules:\n  - host: a.shop.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 90}}}}]}\n`));
    expect(moved.map((m) => m.kind)).toEqual(lab.controllers.map(() => 'reloaded'));
    const fresh = await send({ url: 'http://a.shop.com/now', want: '' });
    expect((JSON.parse(fresh.body) as { pod: string }).pod).toMatch(/^shop\/api-/);
    const old = await slow;
    expect(old.status).toBe(200);
    expect((JSON.parse(old.body) as { pod: string; url: string })).toMatchObject({ pod: expect.stringMatching(/^shop\/web-/), url: '/slow?knet-delay=2500' });
  }, 30_000);

  it('a configuration nginx refuses is not applied: the message says why, the old one keeps serving', async () => {
    const good = world(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a, namespace: shop}\nspec:\n  rules:\n  - host: a.shop.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n`);
    await lab.setCluster(good);
    // A regex JavaScript accepts and PCRE does not: the core takes it, nginx -t refuses it.
    const bad = world(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  namespace: shop\n  annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}\nspec:\n  rules:\n  - host: a.shop.com\n    http: {paths: [{path: "/x\\\\k", pathType: ImplementationSpecific, backend: {service: {name: api, port: {number: 90}}}}, {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 90}}}}]}\n`);
    const r = await lab.setCluster(bad);
    expect(r[0]).toMatchObject({ kind: 'refused', error: expect.stringMatching(/pcre|regex|nginx\.conf\.next:\d+/i) });
    const a = await send({ url: 'http://a.shop.com/still', want: '' });
    expect((JSON.parse(a.body) as { pod: string }).pod).toMatch(/^shop\/web-/);
  }, 30_000);
});
