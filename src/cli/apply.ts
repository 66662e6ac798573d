// `knet apply -f`: sends the manifests to the running cluster's daemon, which checks the
// whole batch against the cluster it would make and refuses it whole on any error (every
// Issue printed with file:line:col, exit 1, nothing changed), else stores it and
// reconciles: new pods get namespaces and answer before this returns. One changing command
// per cluster at a time (the operation lock); no client timeout: a long apply reports its
// real outcome, with the daemon's progress lines once it takes a while (or --progress).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { requestLines } from '../daemon/client.js';
import { daemonLogPath } from '../daemon/paths.js';
import type { Issue } from '../model/issue.js';
import { expandPaths } from '../model/source.js';
import { CliError, paint, reportIssues, type Io } from './output.js';
import { collect, daemonAction, pickCluster, requireRoot, requireStillRunning, withCluster, withClusterLock } from './source.js';
import { stepLine } from './up.js';

export function registerApply(program: Command, io: Io): void {
  withCluster(program
    .command('apply')
    .description('create or change objects in the running cluster; the whole batch is checked first and refused on any error')
    .option('-f, --filename <path>', 'manifests: a file, a directory (recursive) or - for stdin; repeatable', collect, [])
    .option('--progress', "print the daemon's steps as they happen (default: on a terminal, once the apply takes over a second)", false))
    .action(daemonAction(io, async (o: { filename: string[]; name?: string; progress: boolean }) => {
      requireRoot('apply');
      if (o.filename.length === 0) throw new CliError('error: must specify -f FILE|DIR (repeatable, - for stdin)');
      const cluster = pickCluster(o.name);
      return withClusterLock(io, cluster, 'knet apply', async (waitedFor) => {
        requireStillRunning(cluster, waitedFor);
        return runApply(io, cluster, o.filename, o.progress);
      });
    }));
}

interface ChangeBody {
  readonly ok: boolean;
  readonly results: readonly { id: { kind: string; namespace: string; name: string }; apiVersion: string; action: string }[];
  readonly issues: readonly Issue[];
  readonly reconcile: null | {
    readonly ms: number;
    readonly runtimeFailures: readonly { pod: string; protocol: string; port: number; error: string }[];
    readonly probes: { total: number; failed: readonly { pod: string; ip: string; port: number; error: string }[] };
  };
  readonly message?: string;
}

export async function runApply(io: Io, cluster: string, paths: readonly string[], showProgress = false): Promise<number> {
  const { files: names, issues } = expandPaths(paths);
  reportIssues(io, issues);
  const files = names.map((f) => ({ name: f === '-' ? '<stdin>' : f, text: readFileSync(f === '-' ? 0 : f, 'utf8') }));
  const res = await requestWithProgress<ChangeBody>(io, cluster, '/apis/knet.dev/v1alpha1/apply?progress=1', { files }, showProgress);
  if (res.status !== 200 && res.status !== 422) throw new CliError(`error: cluster ${cluster}: ${res.body.message ?? `HTTP ${res.status}`}`);
  reportIssues(io, res.body.issues); // refused: prints every issue and throws
  for (const r of res.body.results) io.out(`${kindName(r.id.kind, r.apiVersion)}/${r.id.name} ${r.action}`);
  return reportReconcile(io, res.body.reconcile);
}

/**
 * A change sent with `?progress=1`: the daemon's steps go to stderr (at once with
 * `always`; on a terminal once the change has taken PROGRESS_AFTER_MS), its answer is returned.
 */
export async function requestWithProgress<T>(io: Io, cluster: string, path: string, body: unknown, always: boolean): Promise<{ status: number; body: T }> {
  const t0 = performance.now();
  const held: string[] = [];
  const show = (): boolean => always || (process.stderr.isTTY === true && performance.now() - t0 > PROGRESS_AFTER_MS);
  let answer: { status: number; body: T } | null = null;
  const status = await requestLines(cluster, 'POST', path, body, (line) => {
    const p = line['progress'] as { step?: string; text?: string; ms?: number; ok?: boolean } | undefined;
    if (p && typeof p.step === 'string') {
      held.push(stepLine(io, p.ok !== false, p.step, String(p.text ?? ''), Number(p.ms ?? 0)));
      if (show()) for (const l of held.splice(0)) io.err(l);
    } else if (typeof line['status'] === 'number') {
      answer = { status: line['status'], body: line['body'] as T };
    }
  });
  if (answer) return answer;
  throw new CliError(`error: cluster ${cluster}: the daemon ended the answer without a result (HTTP ${status})\n  hint: its log is ${daemonLogPath(cluster)}; knet status --name ${cluster} shows what it holds`);
}

const PROGRESS_AFTER_MS = 1000;

/** Servers that could not listen and pods that do not answer are warnings: the change is made. */
export function reportReconcile(io: Io, r: ChangeBody['reconcile']): number {
  if (!r) return 0;
  for (const f of r.runtimeFailures) io.err(paint(io, '\x1b[33m', `warning: ${f.pod}: ${f.protocol}/${f.port} could not listen: ${f.error}`));
  for (const f of r.probes.failed) io.err(paint(io, '\x1b[33m', `warning: ${f.pod} does not answer on ${f.ip}:${f.port} (${f.error})`));
  return 0;
}

/** kubectl's `deployment.apps`, `service`, `ingress.networking.k8s.io`. */
export function kindName(kind: string, apiVersion: string): string {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}`;
}
