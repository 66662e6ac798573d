// Issue [8/8] #9's ingress figures, on real nginx in a lab of namespaces (root only):
// requests/s from the internet side through the LoadBalancer VIP and the ingress (the
// configuration compile/ingress-nginx writes: Host routing, upstream keepalive, ingress-nginx's
// headers and access log) against the same nginx proxying straight to the same pod IP (a
// server with one keepalive upstream, the pod IP, reached the same way), measured alternately
// with wrk (Debian's, bounded: 1 thread, 16 connections, 4 s per run); and applying 1,000
// Ingresses: compile + write + `nginx -t` + graceful reload until the new workers run.
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { compileIngressNginx } from '../../compile/ingress-nginx/compile.js';
import { routeTableOf } from '../../core/ingress/index.js';
import { ing, shopCluster } from '../../core/ingress/test-support/world.js';
import { paths } from '../../core/ingress/test-support/route-cases.js';
import { CONTROLLER_MANIFESTS, startIngressLab } from '../../dataplane/ingress/ingress-lab.js';
import { applyNginxBundle } from '../../dataplane/ingress/nginx.js';
import { fakeCertificatePem } from '../../dataplane/ingress/self-signed.js';
import { dataplaneSkipReason, median, type BenchResult, type BenchSuite } from '../suite.js';

const RATIO_TARGET = 0.9;
const ROUNDS = 3;
const SECONDS = 4;
const INGRESSES = 1000;

export const ingress: BenchSuite = {
  name: 'ingress',
  async run(ctx) {
    const results: BenchResult[] = [];
    const report = (r: BenchResult) => {
      results.push(r);
      ctx.report(r);
    };
    const why = dataplaneSkipReason() || (['nginx', 'wrk', 'curl'].find((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) ?? '');
    if (why) {
      report({ figure: 'ingress figures', value: 0, unit: '', note: `skipped: ${why}${why.length < 6 ? ' is not installed' : ''}` });
      return results;
    }
    const world = (...more: string[]) => shopCluster(...CONTROLLER_MANIFESTS, ...more);
    const one = ing('a', paths('a.shop.com', ['/', 'web']));
    const lab = await startIngressLab(world(one), { prefix: 'ingb' });
    try {
      // The peer: a server in the same nginx that proxies straight to one web pod.
      const pod = lab.cluster.pods.find((p) => p.meta.labels['app'] === 'web')!;
      // Keepalive to the pod as the ingress's upstreams have it, so only the ingress layer differs.
      const direct = `upstream knet-bench-direct {\n    server ${pod.status.podIPs[0]}:8080;\n    keepalive 320;\n}\nserver {\n    listen 80;\n    server_name direct.bench;\n    location / {\n        proxy_pass http://knet-bench-direct;\n    }\n}\n`;
      const single = lab.cluster;
      const onePod = { ...single, endpointSlices: single.endpointSlices.map((s) => s.serviceName !== 'web' ? s : { ...s, endpoints: s.endpoints.filter((e) => e.addresses.includes(pod.status.podIPs[0]!)) }) };
      await lab.setCluster(onePod); // the ingress also sends to that one pod only
      const bundle = lab.bundle;
      for (const c of lab.controllers) {
        const r = await applyNginxBundle(c.dir, { ...bundle, conf: bundle.conf.replace(/\n}\n$/, `\n${direct.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n')}}\n`) }, c.netns);
        if (r.kind === 'refused') throw new Error(`nginx refused the bench configuration: ${r.error}`);
      }
      const wrk = async (host: string): Promise<number> => {
        const r = await lab.curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${host}`, `http://${lab.vip}/`]);
        if (r.stdout !== '200') throw new Error(`Host ${host}: ${r.stdout} ${r.stderr}`);
        const { captureInNetns } = await import('../../dataplane/exec.js');
        const out = await captureInNetns(lab.internet, ['wrk', '-t1', '-c16', `-d${SECONDS}s`, '--timeout', '2s', '-H', `Host: ${host}`, `http://${lab.vip}/`], { timeoutMs: (SECONDS + 10) * 1000 });
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? NaN);
        const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out.stdout);
        if (errors) ctx.log(`wrk ${host}: ${errors[0]}`);
        return rps;
      };
      const via: number[] = [];
      const straight: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        straight.push(await wrk('direct.bench'));
        via.push(await wrk('a.shop.com'));
        ctx.log(`round ${i + 1}: ingress ${via[i]!.toFixed(0)} req/s, straight ${straight[i]!.toFixed(0)} req/s`);
      }
      const v = median(via);
      const s = median(straight);
      report({ figure: 'requests/s through the ingress (internet -> VIP -> nginx -> pod)', value: v, unit: 'req/s', note: `median of ${ROUNDS} x ${SECONDS} s, wrk -t1 -c16: ${via.map((x) => x.toFixed(0)).join(', ')}` });
      report({ figure: 'requests/s, the same nginx proxying straight to the pod IP', value: s, unit: 'req/s', note: `${straight.map((x) => x.toFixed(0)).join(', ')}` });
      report({ figure: 'ratio ingress / straight', value: v / s, unit: 'x', target: `>= ${RATIO_TARGET}`, ok: v / s >= RATIO_TARGET });

      // 1,000 Ingresses, each its own host: compile, then write + nginx -t + reload.
      const n = Math.max(10, Math.round(INGRESSES * ctx.scale));
      const many = world(...Array.from({ length: n }, (_, i) => ing(`i${i}`, paths(`h${i}.shop.com`, ['/', 'web'], ['/api', 'api']))));
      const fake = await fakeCertificatePem();
      const t0 = performance.now();
      const big = compileIngressNginx({ table: routeTableOf(many), secrets: many.secrets, fakeCertificate: fake, resolvers: [] });
      const compileMs = performance.now() - t0;
      const t1 = performance.now();
      const applied = await applyNginxBundle(lab.controllers[0]!.dir, big, lab.controllers[0]!.netns);
      const applyMs = performance.now() - t1;
      if (applied.kind !== 'reloaded') throw new Error(`applying ${n} Ingresses: ${JSON.stringify(applied)}`);
      report({ figure: `apply ${n} Ingresses: route table + compile`, value: compileMs, unit: 'ms', note: `${(big.conf.length / 1024).toFixed(0)} KiB nginx.conf` });
      report({ figure: `apply ${n} Ingresses: write + nginx -t + reload until new workers run`, value: applyMs, unit: 'ms', note: `reload alone ${applied.ms.toFixed(0)} ms` });
      report({ figure: `apply ${n} Ingresses: total`, value: compileMs + applyMs, unit: 'ms' });
      const check = await lab.curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: h${n - 1}.shop.com`, `http://${lab.vip}/api/x`]);
      if (check.stdout !== '200') throw new Error(`after the reload h${n - 1}.shop.com/api answered ${check.stdout}`);
    } finally {
      await lab.stop();
    }
    return results;
  },
};
