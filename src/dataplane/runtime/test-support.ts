// Helpers for the runtime's live tests (root): the runtime compiled to plain node and run as
// a process, lines of its stdout awaited, curl from a namespace, polling with a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureInNetns } from '../exec.js';
import { run } from '../run.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const buildDir = join(repo, 'node_modules/.cache/knet-runtime-test');
export const mainJs = join(buildDir, 'dataplane/runtime/main.js');

/** Compiles main.ts and what it imports (tsc, a few seconds), so the runtime runs as plain node. */
export async function buildRuntime(): Promise<void> {
  await run(join(repo, 'node_modules/.bin/tsc'), [
    '--outDir', buildDir, '--rootDir', join(repo, 'src'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2022', '--strict', '--skipLibCheck', '--types', 'node', join(repo, 'src/dataplane/runtime/main.ts'),
  ]);
  // node_modules/ ends the search for a package scope: say that these files are ESM.
  writeFileSync(join(buildDir, 'package.json'), '{"type":"module"}\n');
}

export const hex = (n: number): string => randomBytes(n).toString('hex');

export interface RuntimeProc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: Record<string, unknown>[];
  waitLine(pred: (l: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  stderr(): string;
}

export function startRuntime(specPath: string): RuntimeProc {
  const child = spawn(process.execPath, [mainJs, specPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
      out = out.slice(nl + 1);
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const waitLine = (pred: (l: Record<string, unknown>) => boolean, ms = 20_000): Promise<Record<string, unknown>> =>
    new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`runtime: no such line in ${ms} ms; got ${JSON.stringify(lines)}; stderr: ${err}`)), ms);
      const check = (): void => {
        const hit = lines.find(pred);
        if (hit) {
          clearTimeout(timer);
          resolvePromise(hit);
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`runtime exited ${child.exitCode}: ${err}`));
        } else waiters.push(check);
      };
      child.on('exit', () => { for (const w of waiters.splice(0)) w(); });
      check();
    });
  return { child, pid: child.pid!, lines, waitLine, stderr: () => err };
}

/** SIGTERM, then SIGKILL: only the process this test started, by its pid. */
export async function stopProcess(child: ChildProcess | undefined, graceMs = 3000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

export async function curl(netns: string, url: string): Promise<{ code: number; body: string }> {
  const r = await captureInNetns(netns, ['curl', '-s', '-m', '8', '-w', '\n%{http_code}', url]);
  const i = r.stdout.lastIndexOf('\n');
  return { body: r.stdout.slice(0, i), code: Number(r.stdout.slice(i + 1)) };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
