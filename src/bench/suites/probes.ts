// Issue [6/8]'s readiness figure: how soon after a readiness probe's failureThreshold-th
// failure the pod's endpoint leaves kube-proxy's rules. A cluster of one node runs a
// Deployment of 3 replicas whose readiness probe asks /healthz every second
// (failureThreshold 2); each round makes one pod's responder unhealthy (`knet health`),
// takes the time of the failed check that crossed the threshold from the runtime's events,
// and polls the node's nft ruleset until the endpoint's chain is gone; then makes it
// healthy and waits for it to come back. Root only.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataplaneSkipReason, median, percentile, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const ROUNDS = 8;
const MANIFEST = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: probes}
nodes: [{name: node-1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [netexec, --http-port=8080]
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
          failureThreshold: 2
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

function knet(ctx: BenchContext, argv: readonly string[]): string {
  const r = spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), ...argv], { cwd: ctx.repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`knet ${argv.join(' ')}: exit ${r.status}\n${(r.stderr ?? '').slice(-1500)}`);
  return r.stdout;
}

function ruleset(netns: string): string {
  return spawnSync('ip', ['netns', 'exec', netns, 'nft', 'list', 'table', 'ip', 'kube-proxy'], { encoding: 'utf8' }).stdout;
}

async function until(what: string, fn: () => boolean, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now();
}

interface Health {
  readonly ready: boolean;
  readonly events: readonly string[];
}

export const probes: BenchSuite = {
  name: 'probes',
  async run(ctx) {
    const results: BenchResult[] = [];
    const why = dataplaneSkipReason();
    if (why) {
      ctx.log(`skipped: ${why}`);
      return results;
    }
    const name = `pb${randomBytes(2).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'knet-bench-'));
    const nodeNetns = `knet-${name}-node-1`;
    const lags: number[] = [];
    const leaves: number[] = [];
    const returns: number[] = [];
    const checks: number[] = [];
    process.env['KNET_CLUSTER'] = name;
    try {
      writeFileSync(join(dir, 'web.yaml'), MANIFEST);
      knet(ctx, ['up', '-f', join(dir, 'web.yaml'), '--name', name]);
      const pods = JSON.parse(knet(ctx, ['get', 'pods', '-o', 'json'])) as { items: { metadata: { name: string }; status: { podIP: string } }[] };
      for (let i = 0; i < ROUNDS; i++) {
        const pod = pods.items[i % pods.items.length]!;
        const chain = `__${pod.status.podIP}/8080`;
        ctx.log(`round ${i + 1}/${ROUNDS}: ${pod.metadata.name}`);
        const t0 = Date.now();
        knet(ctx, ['health', pod.metadata.name, 'unhealthy', '--name', name]);
        const gone = await until('the endpoint to leave the rules', () => !ruleset(nodeNetns).includes(chain), 15_000);
        const h = JSON.parse(knet(ctx, ['health', pod.metadata.name, '-o', 'json', '--name', name])) as Health;
        // The check that crossed the threshold: the latest failure at or before the rules changed.
        const failures = h.events.filter((e) => e.includes('Readiness probe failed')).map((e) => Date.parse(e.slice(0, 24))).filter((t) => t >= t0 && t <= gone);
        const crossed = failures.at(-1);
        if (crossed === undefined) throw new Error(`no failed readiness probe recorded for ${pod.metadata.name} before its endpoint left`);
        lags.push(gone - crossed);
        checks.push(failures.length);
        leaves.push(gone - t0);
        const t1 = Date.now();
        knet(ctx, ['health', pod.metadata.name, 'healthy', '--name', name]);
        returns.push(await until('the endpoint to come back', () => ruleset(nodeNetns).includes(chain), 15_000) - t1);
      }
    } finally {
      spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), 'down', '--name', name], { cwd: ctx.repoRoot });
      delete process.env['KNET_CLUSTER'];
      rmSync(dir, { recursive: true, force: true });
    }
    const emit = (r: BenchResult): void => {
      ctx.report(r);
      results.push(r);
    };
    const worst = Math.max(...lags);
    emit({ figure: 'failed readiness probe (threshold reached) to endpoint out of the rules', value: median(lags), unit: 'ms', target: '<= 1000 ms', ok: worst <= 1000,
      note: `median of ${ROUNDS}; p90 ${percentile(lags, 90)} ms, worst ${worst} ms (nft polled every ~5 ms)` });
    emit({ figure: 'made unhealthy to out of the rules (period 1 s, failureThreshold 2)', value: median(leaves), unit: 'ms', note: `the kubelet needs 2 failed checks 1 s apart; failed checks seen before the change: median ${median(checks)}; includes starting the knet health command` });
    emit({ figure: 'made healthy again to back in the rules', value: median(returns), unit: 'ms', note: 'one passing check (successThreshold 1)' });
    return results;
  },
};
