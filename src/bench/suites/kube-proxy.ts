// Issue [6/8]'s kube-proxy figures, on real nftables in scratch namespaces (root only):
// requests per second through a ClusterIP against the same pods by their own addresses
// (each request a new connection, so every one meets the DNAT rules); a full sync of the
// `ip kube-proxy` table for 1,000, 5,000 and 10,000 Services; one endpoint change in the
// 10,000-Service table (compile, diff, one `nft -f`). Load is bounded: N requests from a
// Node http client in the client pod's namespace, C at a time.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fillIn, type Cluster } from '../../cluster/fill-in.js';
import { diffKubeProxy, KUBE_PROXY_TABLE, kubeProxyState, kubeProxyTable, staleChains, type FragmentCache, type KubeProxyState } from '../../compile/kube-proxy-nft.js';
import { programNode, proxiedPorts } from '../../compile/kube-proxy-program.js';
import { deleteChains, fullSync } from '../../compile/nft-diff.js';
import { planTopology } from '../../compile/topology.js';
import { buildProxyIndex } from '../../core/service/proxy-index.js';
import { applyTopology } from '../../dataplane/apply-topology.js';
import { captureInNetns } from '../../dataplane/exec.js';
import { KubeProxySyncer, type KubeProxyInput } from '../../dataplane/nft-kube-proxy.js';
import { nftApply } from '../../dataplane/nft.js';
import { run } from '../../dataplane/run.js';
import { Runtime } from '../../dataplane/runtime/runtime.js';
import { parseSpec } from '../../dataplane/runtime/spec.js';
import { teardownCluster } from '../../dataplane/teardown.js';
import type { IP } from '../../model/ip.js';
import { decodeObjects } from '../../model/load.js';
import { parseText } from '../../model/source.js';
import type { EndpointSlice } from '../../model/types.js';
import { dataplaneSkipReason, median, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const SYNC_TARGETS: readonly [number, number][] = [[1000, 0.5], [5000, 3], [10_000, 8]]; // Services, seconds
const CHANGE_TARGET_MS = 150;
const RATIO_TARGET = 0.9;
const REQUESTS = 3000;
const CONCURRENCY = 8;
const ROUNDS = 5;

export const kubeProxy: BenchSuite = {
  name: 'kube-proxy',
  async run(ctx) {
    const why = dataplaneSkipReason();
    if (why) {
      const r: BenchResult = { figure: 'kube-proxy figures', value: 0, unit: '', note: `skipped: ${why}` };
      ctx.report(r);
      return [r];
    }
    const out: BenchResult[] = [];
    const emit = (r: BenchResult) => { out.push(r); ctx.report(r); };
    await syncFigures(ctx, emit);
    await throughput(ctx, emit);
    return out;
  },
};


// ------------------------------------------------------------------ nft syncs

/** N selectorless Services, each with a hand-written slice of two endpoints on two nodes. */
function servicesYaml(n: number): string {
  const docs = ['apiVersion: knet.dev/v1alpha1\nkind: Cluster\nmetadata: {name: kp-bench}\nnetworking: {podSubnet: 10.128.0.0/9}\nnodeCount: 2\n'];
  for (let i = 0; i < n; i++) {
    const ip = (k: number) => `10.${128 + (i >> 14)}.${(i >> 6) & 255}.${((i & 63) << 2) + k}`;
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: svc-${i}, namespace: bench}
spec: {clusterIP: 10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc-${i}-x, namespace: bench, labels: {kubernetes.io/service-name: svc-${i}}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- {addresses: [${ip(1)}], nodeName: node-1, conditions: {ready: true}}
- {addresses: [${ip(2)}], nodeName: node-2, conditions: {ready: true}}
`);
  }
  docs.push('apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n');
  return docs.join('---\n');
}

function subset(c: Cluster, n: number): KubeProxyInput {
  const services = c.services.filter((s) => s.meta.namespace !== 'bench' || Number(s.meta.name.slice(4)) < n);
  const names = new Set(services.map((s) => `${s.meta.namespace}/${s.meta.name}`));
  return { config: c.config, nodes: c.nodes, services, endpointSlices: c.endpointSlices.filter((s) => names.has(`${s.meta.namespace}/${s.serviceName}`)) };
}

async function syncFigures(ctx: BenchContext, emit: (r: BenchResult) => void): Promise<void> {
  const largest = Math.max(1, Math.round(SYNC_TARGETS[SYNC_TARGETS.length - 1]![0] * ctx.scale));
  const t0 = performance.now();
  const parsed = parseText('kube-proxy-bench.yaml', servicesYaml(largest));
  const cluster = fillIn(decodeObjects(parsed.objects).inventory).cluster;
  ctx.log(`${cluster.services.length} Services, ${cluster.endpointSlices.length} EndpointSlices loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const netns = `knet-bench-kp-${randomBytes(3).toString('hex')}`;
  await run('ip', ['netns', 'add', netns]);
  try {
    for (const [services, target] of SYNC_TARGETS) {
      const n = Math.max(1, Math.round(services * ctx.scale));
      const input = subset(cluster, n);
      // A fresh table each time: the first sync of a node (or after a restart) replaces it whole.
      await nftApply(netns, 'add table ip kube-proxy\ndelete table ip kube-proxy\n');
      const t = performance.now();
      const index = buildProxyIndex(input);
      const table = kubeProxyTable(programNode(index, 'node-1'));
      const text = fullSync(table).render();
      const compiled = performance.now();
      await nftApply(netns, text);
      const s = (performance.now() - t) / 1000;
      emit({
        figure: `nft full sync, ${n.toLocaleString('en-US')} Services (2 endpoints each)`, value: s, unit: 's', target: `<= ${target} s`,
        ok: s <= target, note: `${table.chains.size.toLocaleString('en-US')} chains, ${(text.length / 2 ** 20).toFixed(1)} MiB of nft input; compile ${((compiled - t) / 1000).toFixed(2)} s, nft -f ${((performance.now() - compiled) / 1000).toFixed(2)} s`,
      });
    }

    // One endpoint of one Service moves to another pod: the sync compiles everything again
    // (the index is rebuilt from the cluster, as the daemon does), but sends only that
    // Service. Side by side, the move back is sent in the earlier form (`add rule` lines,
    // stale chains deleted in the same transaction), which makes nft read every chain first.
    const original = subset(cluster, largest);
    const cache: FragmentCache = new Map();
    let prev = kubeProxyState(programNode(buildProxyIndex(original), 'node-1'), cache);
    const samples: number[] = [];
    const nftOnly: number[] = [];
    const baseline: number[] = [];
    const indexMs: number[] = [];
    let commands = 0;
    for (let k = 0; k < 5; k++) {
      const victim = `svc-${(k * 977) % largest}`;
      const slices = original.endpointSlices.map((s): EndpointSlice => (s.serviceName !== victim ? s : {
        ...s, endpoints: [s.endpoints[0]!, { ...s.endpoints[1]!, addresses: [`10.127.${k}.${(k * 7) % 250 + 1}` as IP] }],
      }));
      const changed: KubeProxyInput = { ...original, endpointSlices: slices };
      const t = performance.now();
      const index = buildProxyIndex(changed);
      indexMs.push(performance.now() - t);
      const next = kubeProxyState(programNode(index, 'node-1'), cache);
      const tx = diffKubeProxy(prev, next);
      const t2 = performance.now();
      await nftApply(netns, tx.render());
      const end = performance.now();
      samples.push(end - t);
      nftOnly.push(end - t2);
      commands = tx.size;
      // The move back, in the earlier form (its flushed chain is declared again, the new one deleted).
      const back = kubeProxyState(programNode(buildProxyIndex(original), 'node-1'), cache);
      const old = diffKubeProxy(next, back, {}).render();
      const t3 = performance.now();
      await nftApply(netns, old);
      baseline.push(performance.now() - t3);
      prev = back;
    }
    // What the syncer does a second after a change, off its path: delete the flushed chains.
    const moved = kubeProxyState(programNode(buildProxyIndex({ ...original, endpointSlices: original.endpointSlices.map((s): EndpointSlice => (s.serviceName !== 'svc-1' ? s : {
      ...s, endpoints: [{ ...s.endpoints[0]!, addresses: ['10.127.9.9' as IP] }, { ...s.endpoints[1]!, addresses: ['10.127.9.10' as IP] }],
    })) }), 'node-1'), cache);
    await nftApply(netns, diffKubeProxy(prev, moved).render());
    const stale = staleChains(prev, moved);
    const td = performance.now();
    await nftApply(netns, deleteChains('ip', KUBE_PROXY_TABLE, stale).render());
    const deleteMs = performance.now() - td;
    const nft = median(nftOnly);
    const ms = median(samples);
    const load = loadavg()[0]!.toFixed(1);
    emit({
      figure: `nft sync of one endpoint change, ${largest.toLocaleString('en-US')}-Service table`, value: nft, unit: 'ms', target: `<= ${CHANGE_TARGET_MS} ms`,
      ok: nft <= CHANGE_TARGET_MS,
      note: `median of ${samples.length} (${nftOnly.map((x) => x.toFixed(0)).join(', ')} ms): one nft -f of ${commands} commands as rule blocks, which nft applies without reading the table's ${chainCount(prev).toLocaleString('en-US')} chains; load average ${load}`,
    });
    emit({
      figure: '  baseline: the same change as add rule lines + delete chain (same run)', value: median(baseline), unit: 'ms',
      note: `median of ${baseline.length} (${baseline.map((x) => x.toFixed(0)).join(', ')} ms): nft reads all ${chainCount(prev).toLocaleString('en-US')} chains first`,
    });
    emit({
      figure: '  the same, from the cluster: index + compile + diff + nft', value: ms, unit: 'ms',
      note: `kube-proxy index ${median(indexMs).toFixed(0)} ms (core), per-node program + changed ports + diff ${(ms - nft - median(indexMs)).toFixed(0)} ms`,
    });
    emit({
      figure: '  the flushed chains deleted a second later (one nft -f, off the path)', value: deleteMs, unit: 'ms',
      note: `${stale.length} chains; a delete makes nft read the whole table first, which is why kube-proxy (and knet) defer it`,
    });
  } finally {
    await run('ip', ['netns', 'del', netns], { allowFailure: true });
  }
}

function chainCount(s: KubeProxyState): number {
  let n = s.fixed.chains.size;
  for (const f of s.fragments.values()) n += f.chains.length;
  return n;
}

// ------------------------------------------------------------------ throughput

const CLIENT = String.raw`
const http = require('http');
const [targets, n, c] = [JSON.parse(process.argv[1]), +process.argv[2], +process.argv[3]];
let started = 0, done = 0, errors = 0;
const t0 = process.hrtime.bigint();
function finish() { const s = Number(process.hrtime.bigint() - t0) / 1e9; console.log(JSON.stringify({ rps: n / s, errors })); }
function one() {
  if (started >= n) return;
  const [host, port] = targets[started++ % targets.length];
  const next = () => { if (++done === n) finish(); else one(); };
  http.get({ host, port, path: '/hostname', agent: false }, (res) => { res.resume(); res.on('end', next); })
    .on('error', () => { errors++; next(); });
}
for (let k = 0; k < c; k++) one();
`;

async function throughput(ctx: BenchContext, emit: (r: BenchResult) => void): Promise<void> {
  const name = `kpb${randomBytes(3).toString('hex')}`;
  const yaml = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: ${name}}
nodeCount: 2
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
${['node-1', 'node-2'].map((node, i) => `---
apiVersion: v1
kind: Pod
metadata: {name: server-${i + 1}, namespace: b, labels: {app: server}}
spec: {nodeName: ${node}, containers: [{name: c, image: agnhost, ports: [{name: http, containerPort: 8080}]}]}
`).join('')}---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: b}
spec: {nodeName: node-1, containers: [{name: c, image: agnhost}]}
---
apiVersion: v1
kind: Service
metadata: {name: server, namespace: b}
spec: {selector: {app: server}, ports: [{name: http, port: 80, targetPort: 8080}]}
`;
  const cluster = fillIn(decodeObjects(parseText('kp-throughput.yaml', yaml).objects).inventory).cluster;
  const plan = planTopology(cluster, name);
  const runtime = new Runtime();
  try {
    await applyTopology(plan);
    await new KubeProxySyncer().sync(cluster, plan);
    const servers = plan.pods.filter((p) => p.pod.startsWith('b/server-'));
    const spec = parseSpec(JSON.stringify({
      node: 'bench', cluster: name, logDir: `/run/knet-${name}/logs`,
      pods: servers.map((p) => ({ ref: p.pod, netns: p.netns, hostname: p.pod.slice(2), servers: [{ protocol: 'TCP', port: 8080 }] })),
    }));
    const failed = await runtime.reconcile(spec);
    if (failed.length > 0) throw new Error(`servers did not listen: ${JSON.stringify(failed)}`);
    const client = plan.pods.find((p) => p.pod === 'b/client')!.netns;
    const vip = cluster.services.find((s) => s.meta.name === 'server')!.clusterIPs[0]!;
    const direct = servers.map((p) => [p.ips[0], 8080]);
    const requests = Math.max(200, Math.round(REQUESTS * ctx.scale));
    const load = async (targets: unknown[]): Promise<number> => {
      const r = await captureInNetns(client, [process.execPath, '-e', CLIENT, JSON.stringify(targets), String(requests), String(CONCURRENCY)], { timeoutMs: 120_000 });
      const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { rps?: number; errors?: number };
      if (!res.rps || res.errors) throw new Error(`client in ${client}: ${r.stdout} ${r.stderr}`);
      return res.rps;
    };
    const viaService: number[] = [];
    const byIP: number[] = [];
    await load(direct); // warm-up
    for (let i = 0; i < ROUNDS; i++) {
      byIP.push(await load(direct));
      viaService.push(await load([[vip, 80]]));
    }
    const svc = median(viaService);
    const pods = median(byIP);
    emit({ figure: 'requests/s to the pods by IP (new connection each)', value: pods, unit: 'req/s', note: `${requests} requests, ${CONCURRENCY} at a time, from a pod on node-1 to 2 pods (node-1, node-2); median of ${ROUNDS}` });
    emit({ figure: 'requests/s through the ClusterIP', value: svc, unit: 'req/s', note: 'same pods, same client, kube-proxy\'s DNAT on every new connection' });
    emit({ figure: 'ClusterIP / pod IP throughput ratio', value: svc / pods, unit: '', target: `>= ${RATIO_TARGET}`, ok: svc / pods >= RATIO_TARGET });
  } finally {
    await runtime.stop().catch(() => {});
    await teardownCluster(name);
  }
}
