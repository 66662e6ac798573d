// Issue 16 item 7: `knet matrix --context` on a 1,000-pod cluster, end to end (a whole process:
// kubeconfig, discovery, every list in pages, decode, fill-in, the matrix, printing), at most
// 2 s. Against a running cluster `knet-livesource-bench-*` through its HTTPS API and the kubeconfig
// knet up wrote (root), else knet's API handler on loopback with the in-memory FakeBackend.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeBackend, serveFakeApi, type LoopbackApi } from '../../api/test-support/fake-backend.js';
import { runningCluster, type ApiTarget } from '../api-target.js';
import { kubeconfigReader } from '../../cli/live-client.js';
import { readLive } from '../../cli/live-read.js';
import { kubeconfigTarget } from '../../cli/live-source.js';
import { dataplaneSkipReason, median, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const ROUNDS = 3;

const filler = (replicas: number) => `apiVersion: v1
kind: Namespace
metadata: {name: bench}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: filler, namespace: bench}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: filler}}
  template:
    metadata: {labels: {app: filler}}
    spec: {containers: [{name: c, image: agnhost, args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]}
`;

/** Nodes for 1,000 running pods: the kubelet's maxPods is 110. */
const NODES = 10;

/** examples/opscart on NODES nodes (1,000 pods all scheduled) and the bench's filler beside it. */
function manifests(repoRoot: string, dir: string, replicas: number): { example: string; bench: string } {
  const example = join(dir, 'opscart');
  cpSync(join(repoRoot, 'examples/opscart'), example, { recursive: true });
  const cluster = join(example, '00-cluster.yaml');
  const nodes = Array.from({ length: NODES }, (_, i) => `- name: node-${i + 1}\n  resolvConf: "nameserver 203.0.113.53\\n"\n`).join('');
  writeFileSync(cluster, readFileSync(cluster, 'utf8').replace(/^nodes:\n(?:[- ] .*\n)+/m, `nodes:\n${nodes}`));
  const bench = join(dir, 'bench.yaml');
  writeFileSync(bench, filler(replicas));
  return { example, bench };
}

/** The example's pods without the filler: opscart's 14, with CoreDNS and the ingress controller. */
const EXAMPLE_PODS = 14;

interface Ran { readonly code: number; readonly ms: number; readonly out: string; readonly err: string }

/** knet as a user runs it, asynchronous (the loopback server runs in this process). */
function knet(repoRoot: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(process.execPath, [join(repoRoot, 'dist/cli/bin.cjs'), ...args], { env, timeout: 120_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, ms: performance.now() - t, out, err }));
  });
}

const load = (): string => `load ${loadavg()[0]!.toFixed(1)}`;
const ms = (v: number): number => Math.round(v);

export const live: BenchSuite = {
  name: 'live',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const results: BenchResult[] = [];
    const push = (r: BenchResult) => {
      results.push(r);
      ctx.report(r);
    };
    const pods = Math.max(50, Math.round(1000 * ctx.scale));
    const dir = mkdtempSync(join(tmpdir(), 'knet-bench-live-'));
    const files = manifests(ctx.repoRoot, dir, pods - EXAMPLE_PODS);
    const skip = process.env['KNET_BENCH_API'] === 'loopback' ? 'KNET_BENCH_API=loopback' : dataplaneSkipReason(['ip', 'nft', 'nsenter', 'bwrap']);
    let cluster: ApiTarget | null = null;
    let loopback: LoopbackApi | null = null;
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      let where: string;
      let context = 'knet-bench-live';
      if (skip) {
        ctx.log(`no running cluster (${skip}): the API handler on loopback instead`);
        loopback = await serveFakeApi(new FakeBackend('knet-bench-live', NODES));
        const yaml = [...readdirSync(files.example).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(files.example, f)), files.bench];
        const r = await loopback.backend.apply(yaml.map((f) => ({ name: f, text: readFileSync(f, 'utf8') })));
        if (!r.outcome.cluster) throw new Error(`apply: ${r.outcome.issues.map((i) => i.message).join('; ')}`);
        writeFileSync(kubeconfig, JSON.stringify({
          apiVersion: 'v1', kind: 'Config', 'current-context': 'knet-bench-live',
          clusters: [{ name: 'knet-bench-live', cluster: { server: loopback.url } }],
          contexts: [{ name: 'knet-bench-live', context: { cluster: 'knet-bench-live', user: 'knet-bench-live' } }],
          users: [{ name: 'knet-bench-live', user: {} }],
        }));
        where = 'the API handler on loopback with the in-memory FakeBackend (no data plane), plain HTTP';
      } else {
        cluster = await runningCluster(ctx.repoRoot, [files.example, files.bench], ctx.log, 'knet-livesource-bench');
        const view = await cluster.kubectl(['config', 'view', '--raw', '--minify']);
        if (view.code !== 0) throw new Error(`kubectl config view: ${view.err}`);
        writeFileSync(kubeconfig, view.out);
        context = (await cluster.kubectl(['config', 'current-context'])).out.trim();
        where = cluster.where;
      }
      const env = { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1' };
      const count = await knet(ctx.repoRoot, ['get', 'pods', '-A', '-o', 'name', '--context', context], env);
      const seen = count.out.trim().split('\n').length;
      if (count.code !== 0 || Math.abs(seen - pods) > pods / 50) throw new Error(`knet get pods -A through the kubeconfig: exit ${count.code}, ${seen} pods (want ${pods}): ${count.err.slice(0, 300)}`);

      // A dump of the same objects, read once through the same lists: -f's time beside the live one.
      const dump = join(dir, 'dump.json');
      const reader = kubeconfigReader(kubeconfigTarget({ kubeconfig, context }));
      const read = await readLive(reader, context);
      reader.close();
      writeFileSync(dump, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: read.objects.map((o) => o.value) }));

      const matrix = async (source: readonly string[]): Promise<number> => {
        const m = await knet(ctx.repoRoot, ['matrix', '--port', '8080', ...source], env);
        const rows = m.out.trim().split('\n').length - 1;
        if (m.code !== 0 || Math.abs(rows - pods) > pods / 50) throw new Error(`knet matrix ${source.join(' ')}: exit ${m.code}, ${rows} rows (want ${pods}): ${m.err.slice(0, 300)}`);
        return m.ms;
      };
      const runs: number[] = [];
      const fromDump: number[] = [];
      const reads: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        runs.push(await matrix(['--context', context]));
        fromDump.push(await matrix(['-f', dump]));
        // The live read on its own: the same lists, the smallest answer.
        reads.push((await knet(ctx.repoRoot, ['get', 'ns', '-o', 'name', '--context', context], env)).ms);
      }
      const t = median(runs);
      push({ figure: `knet matrix --context at ${pods} pods (whole command, median of ${ROUNDS})`, value: ms(t), unit: 'ms', target: '<= 2000 ms', ok: t <= 2000,
        note: `${where}; fastest ${ms(Math.min(...runs))} ms; ${load()}` });
      push({ figure: '  knet matrix -f of a dump of the same objects, the same loop', value: ms(median(fromDump)), unit: 'ms', note: `the live source's share: ${ms(t - median(fromDump))} ms` });
      push({ figure: '  knet get ns --context, the same reading with the smallest answer', value: ms(median(reads)), unit: 'ms', note: 'start-up, discovery, every list in pages, decode and fill-in' });
    } finally {
      await cluster?.close();
      await loopback?.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return results;
  },
};
