// Issue 14 item 8: how long a small knet command takes as a whole process, start-up included,
// beside a Node process that does nothing (the floor no change to knet can go below). The
// commands run in turns, round after round, so load from elsewhere falls on each alike.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkChild, median, percentile, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const RUNS = 20;
const WARMUPS = 2;
/** `node -e 0` on the machine where issue 14 set the targets: on a slower or busier machine,
 *  a command's time over the floor's says more than its time alone. */
const FLOOR_WHEN_SET_MS = 66;

interface Subject {
  readonly label: string;
  readonly args: (repoRoot: string) => string[];
  readonly targetMs?: number;
}

/** The knet executable as a user runs it: the package's bin. */
const BIN = (repoRoot: string) => join(repoRoot, (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: { knet: string } }).bin.knet);

const SUBJECTS: readonly Subject[] = [
  { label: 'node -e 0 (the floor)', args: () => ['-e', '0'] },
  { label: 'knet --version', args: (root) => [BIN(root), '--version'], targetMs: 100 },
  { label: 'knet get pods -A -f examples/opscart', args: (root) => [BIN(root), 'get', 'pods', '-A', '-f', join(root, 'examples', 'opscart')], targetMs: 150 },
];

export const startup: BenchSuite = {
  name: 'startup',
  async run(ctx) {
    if (!existsSync(BIN(ctx.repoRoot))) throw new Error(`${BIN(ctx.repoRoot)} is missing: run npm run build`);
    const loadBefore = loadavg()[0]!;
    ctx.log(`${SUBJECTS.length} commands in turns: ${WARMUPS} warm-up rounds, ${RUNS} measured; load average ${loadBefore.toFixed(1)}`);
    const wall = SUBJECTS.map(() => [] as number[]);
    const cpu = SUBJECTS.map(() => 0);
    for (let round = -WARMUPS; round < RUNS; round++) {
      SUBJECTS.forEach((s, i) => {
        const cpu0 = childrenCpuMs();
        const t0 = performance.now();
        const r = spawnSync(process.execPath, s.args(ctx.repoRoot), { encoding: 'utf8', cwd: ctx.repoRoot });
        const ms = performance.now() - t0;
        checkChild(s.label, r);
        if (round < 0) return;
        wall[i]!.push(ms);
        cpu[i]! += childrenCpuMs() - cpu0;
      });
    }
    const load = `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`;
    const floor = median(wall[0]!);
    const results: BenchResult[] = [];
    SUBJECTS.forEach((s, i) => {
      const med = median(wall[i]!);
      const p90 = percentile(wall[i]!, 90);
      const over = i === 0 ? '' : `; ${(med - floor).toFixed(0)} ms over the floor`;
      const target = s.targetMs === undefined ? {} : { target: `<= ${s.targetMs} ms`, ok: med <= s.targetMs };
      results.push({ figure: `${s.label}: median`, value: med, unit: 'ms', ...target, note: `${RUNS} runs after ${WARMUPS} warm-ups${over}; ${load}` });
      results.push({ figure: `${s.label}: p90`, value: p90, unit: 'ms' });
      results.push({ figure: `${s.label}: fastest`, value: Math.min(...wall[i]!), unit: 'ms', note: 'the run least disturbed by other load' });
      if (i > 0) {
        results.push({ figure: `${s.label}: median / the floor's median`, value: med / floor, unit: 'x',
          note: s.targetMs === undefined ? undefined : `the target is ${(s.targetMs / FLOOR_WHEN_SET_MS).toFixed(2)}x a floor of ${FLOOR_WHEN_SET_MS} ms` });
      }
      if (cpu[i]! > 0) results.push({ figure: `${s.label}: CPU time per run (user+sys, mean)`, value: cpu[i]! / RUNS, unit: 'ms', note: 'less sensitive than wall time to other load' });
    });
    results.forEach(ctx.report);
    return results;
  },
};

/** CPU time of this process's finished children so far (Linux; 0 elsewhere), in ms. */
function childrenCpuMs(): number {
  if (process.platform !== 'linux') return 0;
  // /proc/self/stat: fields after the parenthesised command name; cutime and cstime are the
  // 16th and 17th fields, in clock ticks (USER_HZ, 100 on Linux).
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}
