// `npm run bench [-- SUITE... [--scale F]]`: runs the named suites (all by default), prints
// each figure as it is measured, and writes every result to bench/results/latest.json.
// Exits 1 when a figure misses its target or a suite fails, so CI can gate on it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchResult, BenchSuite } from './suite.js';
import { certs } from './suites/certs.js';
import { cluster } from './suites/cluster.js';
import { dnsService } from './suites/dns-service.js';
import { dnsWire } from './suites/dns-wire.js';
import { foundation } from './suites/foundation.js';
import { ingress } from './suites/ingress.js';
import { kubeProxy } from './suites/kube-proxy.js';
import { netpol } from './suites/netpol.js';
import { policy } from './suites/policy.js';
import { probes } from './suites/probes.js';
import { certsLive } from './suites/certs-live.js';
import { admission } from './suites/admission.js';
import { termination } from './suites/termination.js';
import { supervisor } from './suites/supervisor.js';
import { startup } from './suites/startup.js';
import { api } from './suites/api.js';
import { portforward } from './suites/portforward.js';
import { exec } from './suites/exec.js';

/** Every suite, in run order. Add one with an import above and an entry here. */
const SUITES: readonly BenchSuite[] = [
  foundation,
  policy,
  dnsService,
  dnsWire,
  cluster,
  kubeProxy,
  probes,
  certsLive,
  netpol,
  certs,
  ingress,
  admission,
  termination,
  supervisor,
  startup,
  api,
  portforward,
  exec,
];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv: readonly string[]): { names: string[]; scale: number } {
  const names: string[] = [];
  let scale = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--scale') scale = Number(argv[++i]);
    else if (a.startsWith('--scale=')) scale = Number(a.slice('--scale='.length));
    else names.push(a);
  }
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${scale}`);
  return { names, scale };
}

function formatValue(r: BenchResult): string {
  const v = Math.abs(r.value) >= 100 || Number.isInteger(r.value) ? r.value.toFixed(0) : r.value.toPrecision(3);
  return `${v} ${r.unit}`;
}

function row(suite: string, r: BenchResult): string {
  const verdict = r.ok === undefined ? '' : r.ok ? 'ok' : 'FAIL';
  return [suite.padEnd(12), r.figure.padEnd(66), formatValue(r).padStart(14), (r.target ?? '').padEnd(12), verdict.padEnd(4), r.note ?? '']
    .join('  ').trimEnd();
}

async function main(): Promise<number> {
  const { names, scale } = parseArgs(process.argv.slice(2));
  const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown suite${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}\nknown: ${SUITES.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const chosen = names.length > 0 ? SUITES.filter((s) => names.includes(s.name)) : SUITES;
  process.stdout.write(`${['suite'.padEnd(12), 'figure'.padEnd(66), 'measured'.padStart(14), 'target'.padEnd(12), 'ok?'].join('  ')}\n`);

  const all: { suite: string; results: BenchResult[]; error?: string }[] = [];
  let failed = 0;
  for (const suite of chosen) {
    const printed = new Set<BenchResult>();
    const print = (r: BenchResult) => {
      if (printed.has(r)) return;
      printed.add(r);
      process.stdout.write(`${row(suite.name, r)}\n`);
    };
    const ctx: BenchContext = {
      repoRoot, scale,
      log: (line) => process.stderr.write(`[${suite.name}] ${line}\n`),
      report: print,
    };
    try {
      const results = await suite.run(ctx);
      results.forEach(print); // rows the suite did not report as it went
      failed += results.filter((r) => r.ok === false).length;
      all.push({ suite: suite.name, results });
    } catch (err) {
      // Keep what was measured before the failure.
      const results = [...printed];
      failed += 1 + results.filter((r) => r.ok === false).length;
      const message = (err as Error).stack ?? String(err);
      process.stderr.write(`[${suite.name}] failed: ${message}\n`);
      all.push({ suite: suite.name, results, error: message });
    }
  }

  const out = join(repoRoot, 'bench', 'results', 'latest.json');
  mkdirSync(dirname(out), { recursive: true });
  const machine = { nproc: cpus().length, cpu: cpus()[0]?.model ?? '', memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${process.platform}-${process.arch}`, loadAverageAtEnd: loadavg() };
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), scale, machine, suites: all }, null, 2)}\n`);
  process.stderr.write(`results written to ${out}${failed ? `; ${failed} figure(s) missed their target or failed` : ''}\n`);
  return failed > 0 ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 2;
});
