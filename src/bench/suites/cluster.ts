// Issue [5/8]'s figures: the running cluster. Time until every opscart pod answers (beside
// the published k3d and kind times), knet down, recovery after kill -9 of the daemon with
// no object lost, and 1,000 pods on 3 nodes (time and the memory of knet's processes).
// Root only: every step is the real `knet` command, run as a user would.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataplaneSkipReason, median, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const OPSCART = 'examples/opscart';
// minikube's time-to-k8s benchmark v1.36 (research/peers.md): total time to a usable cluster.
const PUBLISHED = { k3d: 19.9, kind: 33.0 };

interface Timed {
  readonly ms: number;
  readonly out: string;
  readonly code: number;
}

function knet(ctx: BenchContext, argv: readonly string[]): Timed {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), ...argv], { cwd: ctx.repoRoot, encoding: 'utf8', timeout: 300_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`knet ${argv.join(' ')}: exit ${r.status}\n${(r.stderr ?? '').slice(-1500)}`);
  return { ms, out: r.stdout, code: r.status ?? 1 };
}

function daemonPid(name: string): number {
  return Number(readFileSync(`/run/knet-${name}/daemon.pid`, 'utf8').split(' ')[0]);
}

function rssOfKnet(name: string): { mib: number; processes: number } {
  const pids = [daemonPid(name)];
  try {
    const runtimes = JSON.parse(readFileSync(`/run/knet-${name}/runtimes.json`, 'utf8')) as Record<string, { pid: number }>;
    pids.push(...Object.values(runtimes).map((r) => r.pid));
  } catch {
    // no runtimes file: only the daemon is counted, and the note says so
  }
  let kib = 0;
  for (const pid of pids) {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    kib += Number(m?.[1] ?? 0);
  }
  return { mib: kib / 1024, processes: pids.length };
}

function objectCount(ctx: BenchContext): number {
  return knet(ctx, ['get', 'all,netpol,ing,cm,ns', '-A', '-o', 'name']).out.trim().split('\n').length;
}

function thousandPods(): string {
  const docs = [`apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: bench}
networking: {nodeCidrMaskSize: 22}
nodes: [{name: node-1}, {name: node-2}, {name: node-3}]
`, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1000
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: agnhost, args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]
`];
  return docs.join('---\n');
}

export const cluster: BenchSuite = {
  name: 'cluster',
  async run(ctx) {
    const results: BenchResult[] = [];
    const emit = (r: BenchResult) => {
      ctx.report(r);
      results.push(r);
    };
    const why = dataplaneSkipReason();
    if (why) {
      ctx.log(`[cluster] skipped: ${why}`);
      return results;
    }
    const ups: number[] = [];
    const readies: number[] = [];
    const downs: number[] = [];
    const recoveries: number[] = [];
    let lost = 0;
    for (let i = 0; i < 3; i++) {
      const name = `b${randomBytes(2).toString('hex')}`;
      process.env['KNET_CLUSTER'] = name;
      try {
        ctx.log(`[cluster] opscart run ${i + 1}/3 as ${name}`);
        const up = knet(ctx, ['up', '-f', OPSCART, '--name', name]);
        // `knet up` then waits for the readiness probes (opscart's api asks initialDelaySeconds: 2).
        const probesStep = /probes: .*\((\d+(?:\.\d+)?) s\)/.exec(up.out);
        const probeMs = probesStep ? Number(probesStep[1]) * 1000 : 0;
        ups.push(up.ms - probeMs);
        readies.push(up.ms);
        const before = objectCount(ctx);
        process.kill(daemonPid(name), 'SIGKILL');
        recoveries.push(knet(ctx, ['up', '--name', name]).ms);
        lost += Math.max(0, before - objectCount(ctx));
        downs.push(knet(ctx, ['down', '--name', name]).ms);
      } finally {
        spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), 'down', '--name', name], { cwd: ctx.repoRoot });
        delete process.env['KNET_CLUSTER'];
      }
    }
    const up = median(ups) / 1000;
    emit({ figure: 'opscart (3 nodes, 14 pods): knet up until every pod answers', value: up, unit: 's', target: '<= 3 s', ok: up <= 3,
      note: `median of 3 (${ups.map((m) => (m / 1000).toFixed(2)).join(', ')} s); published: k3d ${PUBLISHED.k3d} s, kind ${PUBLISHED.kind} s (minikube time-to-k8s v1.36)` });
    emit({ figure: 'opscart: knet up until every readiness probe passes', value: median(readies) / 1000, unit: 's',
      note: `median of 3; api's readinessProbe has initialDelaySeconds: 2, as the guide writes it` });
    emit({ figure: 'opscart: speedup over k3d / kind (published)', value: PUBLISHED.k3d / up, unit: 'x', note: `kind: ${(PUBLISHED.kind / up).toFixed(0)}x` });
    const down = median(downs) / 1000;
    emit({ figure: 'opscart: knet down', value: down, unit: 's', target: '<= 2 s', ok: down <= 2, note: `median of 3` });
    const rec = median(recoveries) / 1000;
    emit({ figure: 'opscart: recovery after kill -9 of the daemon', value: rec, unit: 's', target: '<= 3 s', ok: rec <= 3, note: 'knet up --name NAME on the stored state; median of 3' });
    emit({ figure: 'opscart: objects lost across kill -9', value: lost, unit: 'objects', target: '0', ok: lost === 0, note: 'knet get all,netpol,ing,cm,ns -A before and after' });

    const dir = mkdtempSync(join(tmpdir(), 'knet-bench-'));
    const name = `b${randomBytes(2).toString('hex')}`;
    try {
      writeFileSync(join(dir, 'pods.yaml'), thousandPods());
      ctx.log(`[cluster] 1,000 pods on 3 nodes as ${name}`);
      const t = knet(ctx, ['up', '-f', join(dir, 'pods.yaml'), '--name', name]);
      const mem = rssOfKnet(name);
      emit({ figure: '1,000 pods on 3 nodes: knet up until every pod answers', value: t.ms / 1000, unit: 's', target: '<= 15 s', ok: t.ms <= 15_000 });
      emit({ figure: '1,000 pods on 3 nodes: memory of knet\'s processes', value: mem.mib, unit: 'MiB', target: '<= 2048 MiB', ok: mem.mib <= 2048,
        note: `RSS of the daemon and ${mem.processes - 1} node runtimes` });
      const d = knet(ctx, ['down', '--name', name]);
      emit({ figure: '1,000 pods on 3 nodes: knet down', value: d.ms / 1000, unit: 's' });
    } finally {
      spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), 'down', '--name', name], { cwd: ctx.repoRoot });
      rmSync(dir, { recursive: true, force: true });
    }
    return results;
  },
};
