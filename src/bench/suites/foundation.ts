// Issue [1/8]'s figures: loading and filling in a cluster at Kubernetes' limits (time and
// peak memory, in a process of its own), and the whole-process latency of `knet get`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateCluster, scaledShape } from '../generate.js';
import type { LoadReport } from '../load-child.js';
import { checkChild, median, percentile, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const GNU_TIME = '/usr/bin/time';
const LOAD_TARGET_S = 10;
const LOAD_RUNS = 3;
const RSS_TARGET_MIB = 4096;
const GET_TARGET_MS = 300;
const GET_RUNS = 20;
const GET_WARMUPS = 2;

export const foundation: BenchSuite = {
  name: 'foundation',
  async run(ctx) {
    // Each figure runs even when another fails; failures are raised together at the end.
    const results: BenchResult[] = [];
    const errors: string[] = [];
    for (const figure of [loadAtLimits, getPodsWholeProcess]) {
      try {
        results.push(...figure(ctx));
      } catch (err) {
        errors.push(`${figure.name}: ${(err as Error).message}`);
      }
    }
    if (errors.length > 0) throw new Error(errors.join('\n'));
    return results;
  },
};

function loadAtLimits(ctx: BenchContext): BenchResult[] {
  const out: BenchResult[] = [];
  const emit = (r: BenchResult) => {
    out.push(r);
    ctx.report(r);
  };
  const shape = scaledShape(ctx.scale);
  const g0 = performance.now();
  const gen = generateCluster(shape);
  const genMs = performance.now() - g0;
  const c = gen.counts;
  const label = `load+fill-in ${c.pods.toLocaleString('en-US')} pods`;
  ctx.log(`generated ${c.nodes} nodes, ${c.namespaces} namespaces, ${c.deployments} Deployments, ${c.pods} pods, ${c.services} Services in ${genMs.toFixed(0)} ms`);

  const dir = mkdtempSync(join(tmpdir(), 'knet-bench-'));
  const file = join(dir, 'cluster.yaml');
  try {
    writeFileSync(file, gen.yaml);
    const child = join(ctx.repoRoot, 'dist', 'bench', 'load-child.js');
    const useTime = existsSync(GNU_TIME);
    const [cmd, args] = useTime ? [GNU_TIME, ['-v', process.execPath, child, file]] : [process.execPath, [child, file]];
    ctx.log(`${label}: running ${useTime ? '/usr/bin/time -v ' : ''}node dist/bench/load-child.js (${(gen.yaml.length / 2 ** 20).toFixed(1)} MiB)`);
    // Median of LOAD_RUNS runs by wall time: one run on a shared machine is noisy.
    const runs = Array.from({ length: LOAD_RUNS }, (_, i) => {
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
      const wallS = (performance.now() - t0) / 1000;
      checkChild('load-child', r);
      ctx.log(`${label}: run ${i + 1}/${LOAD_RUNS}: ${wallS.toFixed(2)} s`);
      return { wallS, stderr: r.stderr, report: JSON.parse(r.stdout) as LoadReport };
    }).sort((a, b) => a.wallS - b.wallS);
    const { wallS, stderr, report } = runs[runs.length >> 1]!;
    // GNU time's figure covers the whole process; the child's own is the fallback.
    const timeRss = useTime ? /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] : undefined;
    const rssMiB = (timeRss ? Number(timeRss) : report.maxRssKiB) / 1024;
    const cpuS = useTime ? cpuSeconds(stderr) : undefined;
    const spread = `median of ${LOAD_RUNS} (${runs.map((x) => x.wallS.toFixed(1)).join(', ')} s)`;

    emit({ figure: `${label}: wall time (whole process)`, value: wallS, unit: 's', target: `<= ${LOAD_TARGET_S} s`, ok: wallS <= LOAD_TARGET_S,
      note: `${spread}; ${c.nodes} nodes, ${c.namespaces} ns, ${c.services} Services; load average ${loadavg()[0]!.toFixed(1)}` });
    if (cpuS !== undefined) emit({ figure: `${label}: CPU time (user+sys, all threads)`, value: cpuS, unit: 's', note: 'less sensitive than wall time to other load' });
    emit({ figure: `${label}: peak RSS`, value: rssMiB, unit: 'MiB', target: `<= ${RSS_TARGET_MIB} MiB`, ok: rssMiB <= RSS_TARGET_MIB,
      note: timeRss ? 'GNU time -v' : 'process.resourceUsage().maxRSS' });
    emit({ figure: `${label}: YAML size`, value: report.bytes / 2 ** 20, unit: 'MiB', note: `${report.counts.objects} objects` });
    emit({ figure: `${label}: read file`, value: report.ms.read, unit: 'ms' });
    emit({ figure: `${label}: parse YAML (js-yaml; positions worked out on demand)`, value: report.ms.parse, unit: 'ms' });
    emit({ figure: `${label}: decode to domain types`, value: report.ms.decode, unit: 'ms' });
    emit({ figure: `${label}: fill-in (nodes..EndpointSlices)`, value: report.ms.fillIn, unit: 'ms' });
    emit({ figure: `${label}: heap used after load`, value: report.heapUsedMiB, unit: 'MiB' });
    const wantPods = c.pods;
    emit({ figure: `${label}: pods filled in`, value: report.counts.pods, unit: 'pods', target: `>= ${wantPods}`, ok: report.counts.pods >= wantPods,
      note: `+ system pods; ${report.counts.services} Services, ${report.counts.endpointSlices} EndpointSlices, ${report.counts.endpoints} endpoints` });
    emit({ figure: `${label}: issues with severity error`, value: report.issues.error, unit: 'issues', target: '0', ok: report.issues.error === 0,
      note: report.issues.firstErrors[0] ?? `${report.issues.warning} warnings, ${report.issues.info} infos` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function cpuSeconds(timeOutput: string): number | undefined {
  const user = /User time \(seconds\): ([\d.]+)/.exec(timeOutput)?.[1];
  const sys = /System time \(seconds\): ([\d.]+)/.exec(timeOutput)?.[1];
  return user && sys ? Number(user) + Number(sys) : undefined;
}

function getPodsWholeProcess(ctx: BenchContext): BenchResult[] {
  const label = 'knet get pods -A -f examples/opscart (whole process)';
  const args = [join(ctx.repoRoot, 'dist', 'cli', 'bin.cjs'), 'get', 'pods', '-A', '-f', join(ctx.repoRoot, 'examples', 'opscart')];
  const once = (): number => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: ctx.repoRoot });
    const ms = performance.now() - t0;
    checkChild('knet get pods', r);
    return ms;
  };
  ctx.log(`${label}: ${GET_WARMUPS} warm-ups, ${GET_RUNS} runs`);
  for (let i = 0; i < GET_WARMUPS; i++) once();
  const samples = Array.from({ length: GET_RUNS }, once);
  const med = median(samples);
  const p90 = percentile(samples, 90);
  // The floor: a Node process that does nothing, on this machine.
  const bare = Array.from({ length: 5 }, () => {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    return performance.now() - t0;
  });
  const results: BenchResult[] = [
    { figure: `${label}: median`, value: med, unit: 'ms', target: `<= ${GET_TARGET_MS} ms`, ok: med <= GET_TARGET_MS,
      note: `${GET_RUNS} runs after ${GET_WARMUPS} warm-ups; bare node -e 0: ${median(bare).toFixed(0)} ms; load average ${loadavg()[0]!.toFixed(1)}` },
    { figure: `${label}: p90`, value: p90, unit: 'ms', target: `<= ${GET_TARGET_MS} ms`, ok: p90 <= GET_TARGET_MS },
  ];
  results.forEach(ctx.report);
  return results;
}
