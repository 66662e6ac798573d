// What the running-cluster tests share: why they skip, a build of dist/ as new as src/, the
// real command line, and what a cluster leaves on the host (namespaces, files, processes).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const CLI = join(ROOT, 'dist/cli/main.js');

/** '' when the running cluster can be tested here, else why not. */
export function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (the running cluster needs network namespaces)';
  for (const tool of ['ip', 'nsenter', 'nft']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  }
  return '';
}

/** dist/ must hold what src/ says: build when a source file is newer than the build. */
export function ensureBuilt(): void {
  const newest = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }, 0);
  const built = existsSync(join(ROOT, 'dist/daemon/main.js')) ? statSync(join(ROOT, 'dist/daemon/main.js')).mtimeMs : 0;
  if (built >= newest(join(ROOT, 'src'))) return;
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (!existsSync(CLI)) throw new Error('npm run build did not produce dist/cli/main.js');
}

export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly ms: number;
}

/** `knet up` merges a context into kubectl's kubeconfig: tests keep it out of the machine's own (~/.kube/config). */
const TEST_KUBECONFIG = join(tmpdir(), `knet-test-kubeconfig-${process.pid}`);

export function knet(args: readonly string[], env: Record<string, string> = {}): Run {
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', KUBECONFIG: TEST_KUBECONFIG, ...env }, timeout: 120_000 });
  if (args[0] === 'down') removeIfNoContexts(TEST_KUBECONFIG);
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr, ms: Math.round(performance.now() - t) };
}

/** The test kubeconfig once `knet down` has taken out the last context: a leftover in /tmp otherwise. */
export function removeIfNoContexts(path: string): void {
  if (!existsSync(path)) return;
  const config = parseYaml(readFileSync(path, 'utf8')) as { contexts?: unknown[] | null } | null;
  if ((config?.contexts ?? []).length === 0) rmSync(path, { force: true });
}

export function netns(cluster: string): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`knet-${cluster}-`)).sort();
}

export function daemonPid(cluster: string): number {
  const r = spawnSync('cat', [`/run/knet-${cluster}/daemon.pid`], { encoding: 'utf8' });
  return Number(r.stdout.split(' ')[0]);
}

export function supervisorPid(cluster: string): number {
  const r = spawnSync('cat', [`/run/knet-${cluster}/supervisor.pid`], { encoding: 'utf8' });
  return Number(r.stdout.split(' ')[0]);
}

/** A crash of the whole control plane: the supervisor (which would restart the daemon) and the daemon, kill -9. */
export function crash(cluster: string): void {
  const sup = supervisorPid(cluster);
  if (sup > 1) process.kill(sup, 'SIGKILL');
  process.kill(daemonPid(cluster), 'SIGKILL');
}

/** Processes whose command line names the cluster (supervisor, daemon, spare, runtimes, containers). */
export function processesOf(cluster: string): string[] {
  const word = new RegExp(`(^|[\\s/])(knet-)?${cluster}(\\s|$|[-/.])`);
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmd && word.test(cmd)) out.push(`${e} ${cmd}`);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Everything a cluster leaves on the host: namespaces, /etc/netns, run and state directories, its lock. */
export function leftovers(cluster: string): string[] {
  const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((e) => e.startsWith(`knet-${cluster}-`)) : [];
  return [...netns(cluster), ...etc.map((e) => `/etc/netns/${e}`),
    ...[`/run/knet-${cluster}`, `/run/knet-${cluster}.lock`, `/var/lib/knet/${cluster}`].filter((p) => existsSync(p))];
}
