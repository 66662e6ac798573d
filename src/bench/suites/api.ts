// Issue 15 item 8: the Kubernetes API as stock kubectl uses it. `kubectl get pods -A` at 1,000
// pods beside kubectl's own floor; a change to its watch event (over the wire, and the store's
// sync in-process); `kubectl apply -f examples/opscart` unchanged and with one change; 500
// watches while 100 pods churn, each watch's events replayed against a final list. Against a
// running cluster `knet-bench-api-*` (root), else the API handler on loopback (FakeBackend).
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiStoreOf } from '../../daemon/api-store.js';
import { kubectlSkipReason } from '../../api/test-support/fake-backend.js';
import { applyFiles } from '../../daemon/controllers.js';
import { Daemon } from '../../daemon/daemon.js';
import { emptyState, toStoredObject, type StateStore } from '../../daemon/state.js';
import { FakePlanes } from '../../daemon/test-support/fake-planes.js';
import { parseText } from '../../model/source.js';
import { loopbackApi, patchJson, runningCluster, type ApiTarget } from '../api-target.js';
import { dataplaneSkipReason, median, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';
import { churnWatches } from './api-watch.js';
import { getPodsRows } from './api-get.js';

const ROUNDS = 10;
const APPLY_ROUNDS = 3;

const benchObjects = (filler: number) => `apiVersion: v1
kind: Namespace
metadata: {name: bench}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: probe, namespace: bench}
data: {round: "0"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: filler, namespace: bench}
spec:
  replicas: ${filler}
  selector: {matchLabels: {app: filler}}
  template:
    metadata: {labels: {app: filler}}
    spec: {containers: [{name: c, image: agnhost, args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: churn, namespace: bench}
spec:
  replicas: 0
  selector: {matchLabels: {app: churn}}
  template:
    metadata: {labels: {app: churn}}
    spec: {containers: [{name: c, image: agnhost, args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]}
`;

/**
 * examples/opscart, its nodes given /22 pod ranges (1,000 pods on 3 nodes), and beside it (not
 * in it: `kubectl apply` of the example must not scale the bench's Deployments back) the
 * bench's namespace.
 */
function manifests(repoRoot: string, dir: string): { example: string; bench: string } {
  const example = join(dir, 'opscart');
  cpSync(join(repoRoot, 'examples/opscart'), example, { recursive: true });
  const cluster = join(example, '00-cluster.yaml');
  writeFileSync(cluster, readFileSync(cluster, 'utf8').replace(/^networking:\n/m, 'networking:\n  nodeCidrMaskSize: 22\n'));
  const bench = join(dir, 'bench.yaml');
  writeFileSync(bench, benchObjects(0));
  return { example, bench };
}

const asFiles = (paths: readonly string[]) => paths.map((f) => ({ name: f, text: readFileSync(f, 'utf8') }));

/** What `kubectl apply -f` is given: every file but knet's own Cluster settings (no Kubernetes kind). */
function kubernetesFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml') && !/^apiVersion: knet\.dev\//m.test(readFileSync(join(dir, f), 'utf8'))).sort().map((f) => join(dir, f));
}

async function podCount(t: ApiTarget, query = ''): Promise<{ count: number; resourceVersion: string }> {
  const a = await t.request('GET', `/api/v1/pods${query}`);
  if (a.code !== 200) throw new Error(`GET /api/v1/pods${query}: ${a.code} ${a.body.slice(0, 300)}`);
  const list = JSON.parse(a.body) as { metadata: { resourceVersion: string }; items: unknown[] };
  return { count: list.items.length, resourceVersion: list.metadata.resourceVersion };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = (): string => `load ${loadavg()[0]!.toFixed(1)}`;
const ms = (v: number): number => Math.round(v * 10) / 10;

export const api: BenchSuite = {
  name: 'api',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    if (kubectlSkipReason) {
      ctx.log(`skipped: ${kubectlSkipReason}`);
      return [];
    }
    const results: BenchResult[] = [];
    const push = (r: BenchResult) => {
      results.push(r);
      ctx.report(r);
    };
    const pods = Math.max(50, Math.round(1000 * ctx.scale));
    const dir = mkdtempSync(join(tmpdir(), 'knet-bench-api-'));
    const files = manifests(ctx.repoRoot, dir);
    // KNET_BENCH_API=loopback: the loopback API even where a cluster could run (a quick check).
    const skip = process.env['KNET_BENCH_API'] === 'loopback' ? 'KNET_BENCH_API=loopback' : dataplaneSkipReason(['ip', 'nft', 'nsenter', 'bwrap']);
    let t: ApiTarget | null = null;
    try {
      if (skip) ctx.log(`no running cluster (${skip}): the API handler on loopback instead`);
      t = skip ? await loopbackApi(5) : await runningCluster(ctx.repoRoot, [files.example, files.bench], ctx.log);
      if (!t.cluster) await t.backend!.apply(asFiles([...kubernetesFiles(files.example), files.bench]));
      const where = t.where;
      ctx.log(`serving: ${where}`);
      const before = await podCount(t);
      const filler = pods - before.count;
      ctx.log(`scaling bench/filler to ${filler} (${pods} pods in all)`);
      await patchJson(t, '/apis/apps/v1/namespaces/bench/deployments/filler', { spec: { replicas: filler } });
      const deadline = performance.now() + 300_000;
      while ((await podCount(t)).count < pods) {
        if (performance.now() > deadline) throw new Error(`fewer than ${pods} pods after 300 s`);
        await sleep(500);
      }

      // 1. kubectl get pods -A, beside its raw baseline and kubectl's own floor, in turns (api-get.ts).
      await getPodsRows(t, pods, push, ctx);

      // 2. A change to its watch event: a PATCH through the API, to the event on an open watch.
      await changeToEvent(t, pods, push, ctx);

      // 3. kubectl apply -f examples/opscart on the running cluster.
      await applyExample(t, files.example, push);
      const left = (await podCount(t)).count;
      if (Math.abs(left - pods) > pods / 50) throw new Error(`${left} pods after kubectl apply of the example (want ${pods}): the apply changed more than it should`);

      // 4. 500 watches while 100 pods churn.
      const watches = Math.max(10, Math.round(500 * ctx.scale));
      const churn = Math.max(10, Math.round(100 * ctx.scale));
      push(await churnWatches(t, watches, churn, ctx.log));
    } finally {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    }
    // The API's own share, in this process: the controllers' recompute, the store's sync.
    for (const r of await inProcessShare(ctx.repoRoot, pods)) push(r);
    return results;
  },
};

async function changeToEvent(t: ApiTarget, pods: number, push: (r: BenchResult) => void, ctx: BenchContext): Promise<void> {
  const path = '/api/v1/namespaces/bench/configmaps';
  const list = await t.request('GET', path);
  const rv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const arrived = new Map<string, number>();
  const stream = await t.stream(`${path}?watch=1&resourceVersion=${rv}`, (line) => {
    const now = performance.now();
    const e = JSON.parse(line) as { object?: { data?: { round?: string } } };
    const round = e.object?.data?.round;
    if (round && !arrived.has(round)) arrived.set(round, now);
  });
  const toEvent: number[] = [];
  const toAnswer: number[] = [];
  try {
    for (let i = 1; i <= ROUNDS; i++) {
      const t0 = performance.now();
      await patchJson(t, `${path}/probe`, { data: { round: String(i) } });
      const answered = performance.now();
      const deadline = answered + 10_000;
      while (!arrived.has(String(i)) && performance.now() < deadline) await sleep(1);
      const at = arrived.get(String(i));
      if (at === undefined) throw new Error(`round ${i}: no watch event within 10 s of the PATCH's answer`);
      toEvent.push(at - t0);
      toAnswer.push(answered - t0);
      await sleep(100);
    }
  } finally {
    stream.close();
  }
  const ev = median(toEvent);
  ctx.log(`change to event: ${toEvent.map((v) => v.toFixed(1)).join(', ')} ms`);
  push({ figure: `a PATCH of a ConfigMap to its event on an open watch (${pods} pods, median of ${ROUNDS})`, value: ms(ev), unit: 'ms', target: '<= 20 ms', ok: ev <= 20,
    note: `${t.cluster ? 'the store syncs before the data plane reconciles' : 'no data plane'}; worst ${ms(Math.max(...toEvent))} ms; ${load()}` });
  push({ figure: `  the same PATCH's answer (after ${t.cluster ? 'the data plane\'s reconcile' : 'the write'})`, value: ms(median(toAnswer)), unit: 'ms' });
}

async function applyExample(t: ApiTarget, dir: string, push: (r: BenchResult) => void): Promise<void> {
  const files = kubernetesFiles(dir).flatMap((f) => ['-f', f]);
  const apply = async (what: string): Promise<number> => {
    const r = await t.kubectl(['apply', ...files]);
    if (r.code !== 0) throw new Error(`kubectl apply (${what}): exit ${r.code}: ${r.err.slice(0, 500)}`);
    return r.ms;
  };
  // The first apply records kubectl's last-applied annotation on every object (knet up wrote them).
  const first = await apply('first');
  const unchanged: number[] = [];
  for (let i = 0; i < APPLY_ROUNDS; i++) unchanged.push(await apply('unchanged'));
  const changed: number[] = [];
  const production = join(dir, '20-production.yaml');
  const text = readFileSync(production, 'utf8');
  const anchor = '  name: api-service\n  namespace: production\n  labels:\n';
  if (!text.includes(anchor)) throw new Error(`${production}: no api-service labels to change`);
  for (let i = 0; i < APPLY_ROUNDS; i++) {
    writeFileSync(production, text.replace(anchor, `${anchor}    bench-round: "${i}"\n`));
    changed.push(await apply('one change'));
  }
  writeFileSync(production, text);
  const u = median(unchanged);
  const c = median(changed);
  const n = files.length / 2;
  push({ figure: `kubectl apply -f examples/opscart (${n} files), everything unchanged (median of ${APPLY_ROUNDS})`, value: ms(u), unit: 'ms', target: '<= 1000 ms', ok: u <= 1000,
    note: `the first apply (annotations recorded on every object): ${ms(first)} ms; ${load()}` });
  push({ figure: `kubectl apply -f examples/opscart, one label changed (median of ${APPLY_ROUNDS})`, value: ms(c), unit: 'ms', target: '<= 1000 ms', ok: c <= 1000,
    note: t.cluster ? 'the PATCH answers after the data plane reconciles' : 'no data plane' });
}

/**
 * The API's own share of a change, in this process: the daemon's coordinator on fake planes
 * (the change path a running cluster takes, without root), at the same size. Timed apart: the
 * controllers' decision (`applyFiles`, pure), the state's save (the commit: an atomic write,
 * fsync), the store's sync to the event sent; and the whole apply to the watch's event.
 */
async function inProcessShare(repoRoot: string, pods: number): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'knet-bench-api-share-'));
  let daemon: Daemon | null = null;
  try {
    const files = manifests(repoRoot, dir);
    const fake = new FakePlanes();
    const saved = fake.store('knet-bench-api-share', dir);
    const saves: number[] = [];
    const store: StateStore = { ...saved, save: async (state) => {
      const t0 = performance.now();
      await saved.save(state);
      saves.push(performance.now() - t0);
    } };
    const example = readdirSync(files.example).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(files.example, f));
    await store.save({ ...emptyState('knet-bench-api-share'), objects: asFiles(example).flatMap((f) => parseText(f.name, f.text).objects).map(toStoredObject) });
    const d = Daemon.load('knet-bench-api-share', () => {}, { planes: fake.factory, store, internet: false, env: {} });
    daemon = d;
    await d.bringUp(() => {});
    await d.apply([{ name: 'bench', text: benchObjects(0) }]);
    await d.apply([{ name: 'bench', text: benchObjects(pods - d.cluster.pods.length) }]);
    let changed = 0;
    d.onChange(() => (changed = performance.now()));
    const apiStore = apiStoreOf(d);
    let delivered = 0;
    const w = apiStore.watch('', 'ConfigMap', { namespace: 'bench', labels: null, fields: [], resourceVersion: apiStore.resourceVersion, allowWatchBookmarks: false, timeoutSeconds: 0, sendInitialEvents: false } as never, () => (delivered = performance.now()));
    if (!('close' in w)) throw new Error('watch refused');
    const probe = (i: number | string) => [{ name: 'probe', text: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe, namespace: bench}\ndata: {round: "${i}"}\n` }];
    const decide: number[] = [];
    const sync: number[] = [];
    const event: number[] = [];
    saves.length = 0;
    for (let i = 1; i <= ROUNDS; i++) {
      const t0 = performance.now();
      const decision = applyFiles(d.state, d.cluster, probe(`pure ${i}`));
      decide.push(performance.now() - t0);
      if (!decision.state) throw new Error('the probe ConfigMap was refused');
      const t1 = performance.now();
      await d.apply(probe(i));
      sync.push(delivered - changed);
      event.push(delivered - t1);
    }
    w.close();
    const n = d.cluster.pods.length;
    return [
      { figure: `in-process at ${n} pods: one ConfigMap applied, to the watch's event`, value: ms(median(event)), unit: 'ms', target: '<= 20 ms', ok: median(event) <= 20,
        note: `the daemon's change path on fake planes (decide, save, sync; no network); worst ${ms(Math.max(...event))} ms; ${load()}` },
      { figure: `  the controllers' decision (applyFiles: a leaf change spliced in)`, value: ms(median(decide)), unit: 'ms' },
      { figure: `  the state's save (atomic write, fsync: the commit)`, value: ms(median(saves)), unit: 'ms', note: `worst ${ms(Math.max(...saves))} ms` },
      { figure: `  the store's sync of that change, to the event sent (the API's own share)`, value: ms(median(sync)), unit: 'ms', target: '<= 20 ms', ok: median(sync) <= 20,
        note: 'only the kinds listed from leaf objects are compared' },
    ];
  } finally {
    daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
