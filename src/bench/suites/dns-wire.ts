// Issue [6/8]'s figures: knet's DNS server on the wire (a CoreDNS pod served by the node
// runtime) against Debian's dnsmasq serving the same names, both in one fresh knet-
// namespace, loaded by dnsperf from another (a bounded load generator of our own when
// dnsperf is missing). The machine is shared: knet with its query log (as in a cluster),
// the reference, and knet without the log (as the reference runs) take turns, five rounds;
// each rate is the median of its runs, each ratio the median of the rounds' ratios.
// Targets: >= 30,000 queries/s with the log (CoreDNS publishes 33,669 on 2 vCPU) and
// >= 0.5x the reference, with the log and like for like. Root only; nothing
// touches the host's network.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fillIn, type Cluster } from '../../cluster/fill-in.js';
import { reverseName } from '../../core/dns/names.js';
import { controlRequest } from '../../dataplane/runtime/control.js';
import { dnsSnapshot } from '../../dataplane/dns/snapshot.js';
import { run } from '../../dataplane/run.js';
import { recordPid } from '../../dataplane/run-state.js';
import { listNetns, teardownCluster } from '../../dataplane/teardown.js';
import { decodeObjects } from '../../model/load.js';
import { parseText } from '../../model/source.js';
import { generateCluster, scaledShape } from '../generate.js';
import { median, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const QPS_TARGET = 30_000;
const RATIO_TARGET = 0.5;
const COREDNS_QPS_INTERNAL = 33_669; // coredns/deployment Scaling_CoreDNS.md: 1 instance, 2 vCPU
const RUN_SECONDS = 4;
const ROUNDS = 5;
const OUTSTANDING = 200;
const KNET = '10.250.0.2';
const REFERENCE = '10.250.0.3';
/** knet's runtime holds port 53 on every address of the namespace ([::]:53): the reference listens beside it. */
const REFERENCE_PORT = 5353;

interface Load {
  readonly qps: number;
  readonly sent: number;
  readonly lost: number;
  readonly avgLatencyMs: number;
  readonly tool: string;
}

export const dnsWire: BenchSuite = {
  name: 'dns-wire',
  async run(ctx) {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) throw new Error('dns-wire needs root on Linux (the servers run in network namespaces)');
    const dnsmasq = which('dnsmasq');
    if (!dnsmasq) throw new Error('dns-wire needs dnsmasq as the reference: apt-get install dnsmasq-base (the binary only, no system service)');
    // KNET_BENCH_NO_DNSPERF=1: our own load generator even where dnsperf is installed.
    const dnsperf = process.env['KNET_BENCH_NO_DNSPERF'] ? '' : which('dnsperf');
    const out: BenchResult[] = [];
    const emit = (r: BenchResult) => { out.push(r); ctx.report(r); };

    const cluster = load(generateCluster(scaledShape(0.1 * ctx.scale)).yaml);
    const services = cluster.services.filter((s) => s.clusterIPs.length > 0 && s.meta.namespace !== 'kube-system');
    ctx.log(`cluster: ${cluster.pods.length} pods, ${cluster.services.length} Services`);

    const name = `bw${randomBytes(3).toString('hex')}`;
    const S = `knet-${name}-pod-${randomBytes(4).toString('hex')}`; // the servers
    const C = `knet-${name}-inet`; // the load generator
    const dir = `/run/knet-${name}`;
    const procs: ChildProcess[] = [];
    try {
      await run('ip', ['-b', '-'], { input: `netns add ${S}\nnetns add ${C}\n` });
      await run('sh', ['-ec', [
        `ip -n ${S} link add eth0 type veth peer name eth0 netns ${C}`,
        `ip -n ${S} addr add ${KNET}/24 dev eth0`,
        `ip -n ${S} addr add ${REFERENCE}/24 dev eth0`,
        `ip -n ${C} addr add 10.250.0.1/24 dev eth0`,
        ...[S, C].flatMap((n) => [`ip -n ${n} link set lo up`, `ip -n ${n} link set eth0 up`]),
      ].join('\n')]);
      mkdirSync(`${dir}/logs`, { recursive: true });

      // knet: the runtime serving one CoreDNS pod from the cluster's snapshot, query log on.
      const snap = dnsSnapshot(cluster);
      writeFileSync(`${dir}/dns.json`, snap.text);
      const spec = (log: boolean): string => JSON.stringify({
        node: 'bench', logDir: `${dir}/logs`, dns: { data: `${dir}/dns.json`, version: snap.version },
        pods: [{ ref: 'kube-system/coredns-bench', netns: S, servers: [
          { protocol: 'UDP', port: 53, kind: 'dns', log: log ? 'coredns' : null }, { protocol: 'TCP', port: 53, kind: 'dns', log: log ? 'coredns' : null }] }],
      });
      writeFileSync(`${dir}/spec-bench.json`, spec(true));
      /** The query log on or off: the SPEC changed and reloaded (the server starts with an empty reply store). */
      const setLog = async (on: boolean): Promise<void> => {
        writeFileSync(`${dir}/spec-bench.json`, spec(on));
        const a = await controlRequest(`${dir}/runtime-bench.sock`, { op: 'reload' });
        if (!a.ok || !a.ready) throw new Error(`knet runtime reload: ${JSON.stringify(a)}`);
      };
      // KNET_BENCH_PROFILE=DIR: a V8 CPU profile of the runtime, written there when it stops.
      const profile = process.env['KNET_BENCH_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['KNET_BENCH_PROFILE']}`] : [];
      const runtime = spawn(process.execPath, [...profile, join(ctx.repoRoot, 'dist/dataplane/runtime/main.js'), `${dir}/spec-bench.json`], { stdio: ['ignore', 'pipe', 'inherit'] });
      procs.push(runtime);
      await readyLine(runtime);

      // The reference: dnsmasq answering the same Service names from a hosts file, NXDOMAIN
      // for other cluster.local names, nothing forwarded, in the servers' namespace.
      writeFileSync(`${dir}/hosts`, services.map((s) => `${s.clusterIPs[0]} ${s.meta.name}.${s.meta.namespace}.svc.cluster.local`).join('\n') + '\n');
      const ref = spawn('ip', ['netns', 'exec', S, dnsmasq, '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
        `--addn-hosts=${dir}/hosts`, '--local=/cluster.local/', `--listen-address=${REFERENCE}`, '--bind-interfaces', `--port=${REFERENCE_PORT}`,
        '--cache-size=10000', '--user=root', `--pid-file=${dir}/dnsmasq.pid`], { stdio: ['ignore', 'ignore', 'inherit'] });
      procs.push(ref);
      recordPid(name, ref.pid!, S);
      const refVersion = /Dnsmasq version (\S+)/.exec(spawnSync(dnsmasq, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '';

      // The same names, the same answers from both.
      const sample = services.slice(0, 20);
      for (const s of sample) {
        const fq = `${s.meta.name}.${s.meta.namespace}.svc.cluster.local`;
        for (const [server, port] of [[KNET, 53], [REFERENCE, REFERENCE_PORT]] as const) {
          const got = await until(() => dig(C, server, port, fq), (v) => v === s.clusterIPs[0], 5000);
          if (got !== s.clusterIPs[0]) throw new Error(`${server}:${port} answers ${fq} with "${got}", not ${s.clusterIPs[0]}`);
        }
      }

      // Same workload for both: A for every Service (90%), NXDOMAIN names (10%).
      const common = services.flatMap((s, i) => {
        const fq = `${s.meta.name}.${s.meta.namespace}.svc.cluster.local`;
        return i % 9 === 8 ? [`${fq} A`, `missing-${i}.${s.meta.namespace}.svc.cluster.local A`] : [`${fq} A`];
      });
      writeFileSync(`${dir}/queries-a.txt`, `${common.join('\n')}\n`);
      // knet only: the kubernetes plugin's mix (A 60%, AAAA 10%, SRV 10%, PTR 10%, NXDOMAIN 10%).
      const mix = services.flatMap((s, i) => {
        const fq = `${s.meta.name}.${s.meta.namespace}.svc.cluster.local`;
        return [`${fq} A`, `${fq} A`, `${fq} A`, `${fq} A`, `${fq} A`, `${fq} A`, `${fq} AAAA`, `_http._tcp.${fq} SRV`,
          `${reverseName(s.clusterIPs[0]!)} PTR`, `missing-${i}.${s.meta.namespace}.svc.cluster.local A`];
      });
      writeFileSync(`${dir}/queries-mix.txt`, `${mix.join('\n')}\n`);

      const file = `${dir}/queries-a.txt`;
      const withLog: Load[] = [];
      const reference: Load[] = [];
      const noLog: Load[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        await setLog(true);
        await loadRun(ctx, dnsperf, C, KNET, 53, file, 1); // warm-up: every name once into the reply store
        withLog.push(await loadRun(ctx, dnsperf, C, KNET, 53, file, RUN_SECONDS));
        reference.push(await loadRun(ctx, dnsperf, C, REFERENCE, REFERENCE_PORT, file, RUN_SECONDS));
        await setLog(false);
        await loadRun(ctx, dnsperf, C, KNET, 53, file, 1);
        noLog.push(await loadRun(ctx, dnsperf, C, KNET, 53, file, RUN_SECONDS));
      }
      await setLog(true);
      await loadRun(ctx, dnsperf, C, KNET, 53, `${dir}/queries-mix.txt`, 1);
      const m = await loadRun(ctx, dnsperf, C, KNET, 53, `${dir}/queries-mix.txt`, RUN_SECONDS);
      const rss = rssMiB(runtime.pid!);
      const logLines = readFileSync(`${dir}/logs/kube-system_coredns-bench_coredns.log`, 'utf8').split('\n').length;

      const k = summary(withLog);
      const r = summary(reference);
      const n = summary(noLog);
      const tool = withLog[0]!.tool;
      const runs = `median of ${ROUNDS} runs of ${RUN_SECONDS} s (${tool}, ${OUTSTANDING} outstanding)`;
      emit({ figure: `knet DNS queries/s, query log on (UDP, A + NXDOMAIN, ${services.length.toLocaleString('en-US')} Services)`, value: k.qps, unit: 'queries/s',
        target: `>= ${QPS_TARGET.toLocaleString('en-US')}/s`, ok: k.qps >= QPS_TARGET && k.lossRate <= 0.001,
        note: `${runs}: ${k.all}; avg ${k.avgLatencyMs.toFixed(2)} ms; ${k.lost} lost; ${logLines.toLocaleString('en-US')} log lines written; CoreDNS publishes ${COREDNS_QPS_INTERNAL.toLocaleString('en-US')}/s on 2 vCPU` });
      emit({ figure: `reference: dnsmasq ${refVersion} queries/s (same names, same load)`, value: r.qps, unit: 'queries/s',
        note: `${runs}: ${r.all}; avg ${r.avgLatencyMs.toFixed(2)} ms; ${r.lost} lost; hosts file, --local=/cluster.local/, no query log, single-threaded like knet's runtime` });
      emit({ figure: 'knet DNS queries/s, no query log (as the reference runs)', value: n.qps, unit: 'queries/s',
        note: `${runs}: ${n.all}; avg ${n.avgLatencyMs.toFixed(2)} ms; ${n.lost} lost` });
      // Each round's knet run against the reference run beside it (the machine is shared:
      // the load others put on it changes between rounds more than within one).
      const paired = (runs: readonly Load[]): number[] => runs.map((x, i) => x.qps / reference[i]!.qps);
      const logged = paired(withLog);
      const plain = paired(noLog);
      emit({ figure: 'knet / reference (knet logging every query, as in a cluster)', value: median(logged), unit: 'x', target: `>= ${RATIO_TARGET}x`, ok: median(logged) >= RATIO_TARGET,
        note: `median of the ${ROUNDS} rounds' ratios (${logged.map((x) => x.toFixed(2)).join(', ')}); CoreDNS slows down with its log plugin too` });
      emit({ figure: 'knet / reference (like for like: no query log)', value: median(plain), unit: 'x', target: `>= ${RATIO_TARGET}x`, ok: median(plain) >= RATIO_TARGET,
        note: `median of the rounds' ratios (${plain.map((x) => x.toFixed(2)).join(', ')})` });
      emit({ figure: 'knet DNS queries/s (A/AAAA/SRV/PTR/NXDOMAIN mix, log on)', value: m.qps, unit: 'queries/s',
        note: `one run of ${RUN_SECONDS} s; avg ${m.avgLatencyMs.toFixed(2)} ms; ${m.lost} lost` });
      emit({ figure: 'knet runtime memory after the runs (RSS)', value: rss, unit: 'MiB', note: 'one runtime process: the DNS index of the cluster above, the reply store, the log buffer' });
      return out;
    } finally {
      for (const p of procs) {
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      }
      await Promise.race([Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? null : new Promise((r) => p.once('exit', r))))), new Promise((r) => setTimeout(r, 3000))]);
      for (const p of procs) {
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      }
      await teardownCluster(name);
      const left = (await listNetns()).filter((n) => n.startsWith(`knet-${name}-`));
      if (left.length) await run('ip', ['-force', '-b', '-'], { input: left.map((n) => `netns del ${n}\n`).join(''), allowFailure: true });
    }
  },
};

function summary(runs: readonly Load[]): { qps: number; avgLatencyMs: number; lost: number; lossRate: number; all: string } {
  const sent = runs.reduce((a, x) => a + x.sent, 0);
  const lost = runs.reduce((a, x) => a + x.lost, 0);
  return {
    qps: median(runs.map((x) => x.qps)),
    avgLatencyMs: median(runs.map((x) => x.avgLatencyMs)),
    lost, lossRate: sent ? lost / sent : 0,
    all: runs.map((x) => Math.round(x.qps).toLocaleString('en-US')).join(', '),
  };
}

function load(yaml: string): Cluster {
  return fillIn(decodeObjects(parseText('bench.yaml', yaml).objects).inventory).cluster;
}

function which(tool: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function readyLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('knet runtime: not ready in 30 s')), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (!d.includes('"ready"')) return;
      clearTimeout(timer);
      if (d.includes('"ready":true')) resolve();
      else reject(new Error(`knet runtime: ${d.trim()}`));
    });
    child.once('exit', (code) => reject(new Error(`knet runtime exited ${code}`)));
  });
}

async function dig(netns: string, server: string, port: number, name: string): Promise<string> {
  const r = await run('ip', ['netns', 'exec', netns, 'dig', '+short', '+time=1', '+tries=1', '-p', String(port), `@${server}`, name], { allowFailure: true });
  return r.stdout.trim();
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** dnsperf for `seconds` (bounded), or our own generator when dnsperf is missing. */
async function loadRun(ctx: BenchContext, dnsperf: string, netns: string, server: string, port: number, file: string, seconds: number): Promise<Load> {
  if (!dnsperf) return ownLoad(netns, server, port, file, seconds);
  const r = await run('ip', ['netns', 'exec', netns, dnsperf, '-s', server, '-p', String(port), '-d', file, '-l', String(seconds), '-q', String(OUTSTANDING), '-c', '4', '-t', '2'], { allowFailure: true });
  const num = (label: string): number => Number(new RegExp(`${label}:\\s+([\\d.]+)`).exec(r.stdout)?.[1] ?? NaN);
  const qps = num('Queries per second');
  if (!Number.isFinite(qps)) throw new Error(`dnsperf against ${server}: ${r.stdout.slice(-800)}${r.stderr.slice(-800)}`);
  ctx.log(`dnsperf ${server} ${file.split('/').pop()}: ${qps.toFixed(0)} q/s`);
  return { qps, sent: num('Queries sent'), lost: num('Queries lost'), avgLatencyMs: num('Average Latency \\(s\\)') * 1000, tool: 'dnsperf' };
}

/** A bounded load generator: one UDP socket, a window of outstanding queries, `seconds` long. */
const OWN_LOAD = `const d = require('dgram'), fs = require('fs');
const [server, port, file, seconds, window] = process.argv.slice(1);
const TYPES = { A: 1, AAAA: 28, SRV: 33, PTR: 12 };
const qs = fs.readFileSync(file, 'utf8').trim().split('\\n').map((l) => { const [n, t] = l.split(' ');
  const parts = n.split('.').filter(Boolean); const b = Buffer.alloc(12 + parts.reduce((a, p) => a + p.length + 1, 0) + 5);
  b.writeUInt16BE(0x0100, 2); b.writeUInt16BE(1, 4); let o = 12;
  for (const p of parts) { b[o++] = p.length; b.write(p, o, 'latin1'); o += p.length; } b[o++] = 0;
  b.writeUInt16BE(TYPES[t] || 1, o); b.writeUInt16BE(1, o + 2); return b; });
const s = d.createSocket('udp4'); let sent = 0, got = 0, lat = 0, i = 0; const started = new Map();
const end = Date.now() + seconds * 1000; const t0 = process.hrtime.bigint();
const send = () => { if (Date.now() > end) return; const id = sent & 0xffff; const q = qs[i++ % qs.length]; q.writeUInt16BE(id, 0);
  started.set(id, process.hrtime.bigint()); sent++; s.send(q, +port, server); };
s.on('message', (m) => { const t = started.get(m.readUInt16BE(0)); if (t !== undefined) { lat += Number(process.hrtime.bigint() - t); started.delete(m.readUInt16BE(0)); got++; } send(); });
s.bind(() => { for (let k = 0; k < +window; k++) send(); });
setTimeout(() => { const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ qps: got / secs, sent, lost: sent - got, avgLatencyMs: got ? lat / got / 1e6 : 0 })); process.exit(0); }, seconds * 1000 + 500);`;

async function ownLoad(netns: string, server: string, port: number, file: string, seconds: number): Promise<Load> {
  const r = await run('ip', ['netns', 'exec', netns, process.execPath, '-e', OWN_LOAD, server, String(port), file, String(seconds), String(OUTSTANDING)]);
  return { ...(JSON.parse(r.stdout) as Omit<Load, 'tool'>), tool: 'knet load generator' };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}
