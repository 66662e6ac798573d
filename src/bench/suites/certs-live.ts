// Issue [8/8]'s certificate figure on a running cluster: opscart up (root), then `knet apply`
// of a new Ingress annotated `cert-manager.io/cluster-issuer: letsencrypt-prod` for a new
// host; the clock stops when `knet get certificate` says READY True (the HTTP-01 challenge
// went from Pebble on the internet side through kube-proxy and nginx to the solver pod).
// The clock starts once opscart's own certificates are Ready (a settled cluster). Each round
// uses a new host; the last one is fetched over https, verified with the CA bundle knet
// gives internet clients.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataplaneSkipReason, median, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const ROUNDS = 5;

function knet(ctx: BenchContext, argv: readonly string[]): string {
  const r = spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), ...argv], { cwd: ctx.repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`knet ${argv.join(' ')}: exit ${r.status}\n${(r.stderr ?? '').slice(-1500)}`);
  return r.stdout;
}

const ingress = (host: string, name: string): string => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: production
  annotations: {cert-manager.io/cluster-issuer: letsencrypt-prod}
spec:
  ingressClassName: nginx
  tls: [{hosts: [${host}], secretName: ${name}-tls}]
  rules:
  - host: ${host}
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api-service, port: {number: 8080}}}}]}
`;

export const certsLive: BenchSuite = {
  name: 'certs-live',
  async run(ctx) {
    const results: BenchResult[] = [];
    const why = dataplaneSkipReason(['ip', 'nft', 'nsenter', 'nginx', 'pebble', 'curl']);
    if (why) {
      ctx.log(`skipped: ${why}`);
      return results;
    }
    const name = `cl${randomBytes(2).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'knet-bench-'));
    process.env['KNET_CLUSTER'] = name;
    const times: number[] = [];
    let https = '';
    try {
      knet(ctx, ['up', '-f', 'examples/opscart', '--name', name]);
      // A settled cluster: opscart's own three certificates issued first (and the ACME account registered).
      const settle = Date.now() + 60_000;
      while ((knet(ctx, ['get', 'certificate', '-A']).match(/\sTrue\s/g) ?? []).length < 3) {
        if (Date.now() > settle) throw new Error("opscart's certificates not Ready in 60 s");
        await new Promise((r) => setTimeout(r, 100));
      }
      for (let i = 0; i < ROUNDS; i++) {
        const host = `shop${i}.opscart.com`;
        const file = join(dir, `shop${i}.yaml`);
        writeFileSync(file, ingress(host, `shop${i}`));
        ctx.log(`round ${i + 1}/${ROUNDS}: ${host}`);
        const t0 = performance.now();
        knet(ctx, ['apply', '-f', file]);
        const deadline = Date.now() + 30_000;
        while (!/shop\d-tls\s+True/.test(knet(ctx, ['get', 'certificate', '-n', 'production', `shop${i}-tls`]))) {
          if (Date.now() > deadline) throw new Error(`certificate for ${host} not Ready in 30 s`);
          await new Promise((r) => setTimeout(r, 50));
        }
        times.push(performance.now() - t0);
        if (i === ROUNDS - 1) https = knet(ctx, ['exec', 'internet', '--', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code} %{ssl_verify_result}', `https://${host}/`]);
      }
    } finally {
      spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), 'down', '--name', name], { cwd: ctx.repoRoot });
      delete process.env['KNET_CLUSTER'];
      rmSync(dir, { recursive: true, force: true });
    }
    const worst = Math.max(...times);
    const r: BenchResult = { figure: 'knet apply of an annotated Ingress -> Certificate READY True (running opscart, Pebble, nginx)', value: median(times) / 1000, unit: 's',
      target: '<= 5 s', ok: worst <= 5000, note: `median of ${ROUNDS} (${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s); then https from the internet: ${https} (status, verify result 0 = trusted)` };
    ctx.report(r);
    results.push(r);
    return results;
  },
};
