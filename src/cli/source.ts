// Where a command's cluster comes from: manifests given with -f; else a live cluster read
// through its API as kubectl reads it (live-source.ts, loaded only then): the kubeconfig's
// context with --kubeconfig/--context, else the running knet cluster (the one --name/
// KNET_CLUSTER names, else the only one), else the kubeconfig's current context. Live or
// not, the objects are decoded and filled in as a dump of them would be. Input problems are
// printed here. Manifests are taken as `kubectl apply -f` takes them: what the API server
// would refuse is left out and named, the command answers with the rest and exits 1
// (--strict: nothing is answered). Also the shared plumbing of the running-cluster
// commands: choosing the cluster (pickCluster, one way for all), the operation lock of the
// commands that change it, root, and actions that wait on the daemon.
import type { Command } from 'commander';
import { loadCluster, type Cluster, type LoadedCluster } from '../cluster/fill-in.js';
import { hasErrors, type Issue } from '../model/issue.js';
import { awaitDaemon, knownClusters, runningClusters } from '../daemon/client.js';
import { releaseOperationLock, runningSupervisor, takeOperationLock, type PidRecord } from '../daemon/lock.js';
import { apiSocketPath, checkName, daemonLogPath, DEFAULT_CLUSTER, statePath } from '../daemon/paths.js';
import { existsSync } from 'node:fs';
import { CliError, paint, printIssues, reportIssues, type Io } from './output.js';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Adds -f, --name, --strict, --kubeconfig and --context to a command that reads a cluster: -f
 * reads manifests, else a live cluster (answerFrom's order). A command whose input was partly
 * refused exits 1 after its answer (an exit code of its own, e.g. a failed trace, stays).
 */
export function withSource(cmd: Command): Command {
  return cmd
    .option('-f, --filename <path>', 'manifests: a file, a directory (recursive) or - for stdin; repeatable (without -f: the running cluster)', collect, [])
    .option('--name <name>', 'without -f: the running cluster to read (default: $KNET_CLUSTER, else the only one running)')
    .option('--strict', 'with -f: refuse the whole input when any object in it would be refused (default: leave those out, answer with the rest, exit 1)', false)
    .option('--kubeconfig <path>', 'without -f: read the cluster of this kubeconfig file (default: $KUBECONFIG, else ~/.kube/config); read-only')
    .option('--context <name>', 'without -f: read the cluster of this kubeconfig context (default: its current-context); read-only')
    .hook('preAction', (command) => {
      const o = command.opts() as { name?: string; strict?: boolean; namespace?: string; kubeconfig?: string; context?: string };
      sourceName = o.name;
      kubeconfigChoice = { kubeconfig: o.kubeconfig, context: o.context };
      input = { strict: o.strict === true, namespace: o.namespace ?? '', refused: false };
    })
    .hook('postAction', () => {
      if (input.refused) throw new CliError('', 1);
    });
}

/** The --name of the withSource command being run (commander's preAction hook sets it). */
let sourceName: string | undefined;

/** How the withSource command being run takes its manifests, and whether any were refused. */
let input = { strict: false, namespace: '', refused: false };

/** The --kubeconfig and --context of the withSource command being run. */
let kubeconfigChoice: { kubeconfig?: string | undefined; context?: string | undefined } = {};

/** Where a command's cluster came from: -f, a running knet cluster (whose pods serve declared ports only), a kubeconfig's context. */
export type SourceKind = 'manifests' | 'knet' | 'kubeconfig';

/**
 * Runs `answer` on the command's cluster: at once with -f (synchronously, as it always has),
 * else once the live cluster has been read; the process's exit code follows then (0, 1 when
 * the answer or the input failed, or a CliError's). `answer` throws CliError('', code) for an
 * exit code of its own. `namespace` is a kubeconfig context's namespace ('' for none), the
 * default of a command's -n, as kubectl takes it.
 */
export function answerFrom(io: Io, files: readonly string[], answer: (cluster: Cluster, from: SourceKind, issues: readonly Issue[], namespace: string) => void, o: { readonly reportIssues?: boolean } = {}): void {
  if (files.length > 0) {
    if (kubeconfigChoice.kubeconfig !== undefined || kubeconfigChoice.context !== undefined) {
      throw new CliError('error: -f reads manifests, --kubeconfig/--context a live cluster: give one of them');
    }
    const loaded = loadManifests(files);
    reportInput(io, loaded);
    answer(loaded.cluster, 'manifests', loaded.issues, '');
    return;
  }
  daemonAction(io, async () => {
    const { loaded, from, namespace } = await loadLiveSource(io, o.reportIssues ?? true);
    answer(loaded.cluster, from, loaded.issues, namespace);
    return input.refused ? 1 : 0;
  })();
}

/** The live cluster without -f, by the precedence withSource's options describe. */
async function loadLiveSource(io: Io, print: boolean): Promise<{ loaded: LoadedCluster; from: SourceKind; namespace: string }> {
  const live = await import('./live-source.js');
  const report = (loaded: LoadedCluster): LoadedCluster => {
    if (print) reportInput(io, { ...loaded, issues: loaded.issues.filter((i) => i.severity !== 'info') }, false);
    return loaded;
  };
  // `kubectl knet ...` acts on kubectl's current context, as every kubectl plugin does.
  const plugin = sourceName === undefined && /(^|\/)kubectl-knet$/.test(process.argv[1] ?? '');
  if (plugin || kubeconfigChoice.kubeconfig !== undefined || kubeconfigChoice.context !== undefined) {
    if (sourceName !== undefined) throw new CliError('error: --name reads a running knet cluster, --kubeconfig/--context a kubeconfig\'s: give one of them\n  hint: a knet cluster\'s context is knet-NAME: --context knet-NAME');
    const loaded = await live.loadKubeconfigCluster(kubeconfigChoice);
    return { loaded: report(loaded), from: 'kubeconfig', namespace: loaded.namespace };
  }
  let name: string;
  try {
    name = pickCluster(sourceName);
  } catch (e) {
    if (!(e instanceof NoCluster)) throw e;
    if (live.hasKubeconfigContext()) {
      const loaded = await live.loadKubeconfigCluster({});
      return { loaded: report(loaded), from: 'kubeconfig', namespace: loaded.namespace };
    }
    throw new CliError('error: no cluster to read: pass manifests with -f FILE|DIR (repeatable, - for stdin), e.g. knet get pods -A -f examples/opscart\n  hint: or read a live cluster with --context NAME (a kubeconfig\'s), or start one with knet up -f DIR; without -f, commands read the running cluster');
  }
  // The daemon's socket is root's; anyone else reads the same API over HTTPS with the context knet up wrote.
  const loaded = process.getuid?.() === 0
    ? await live.loadKnetCluster(name, apiSocketPath(name))
    : await live.loadKubeconfigCluster({ context: `knet-${name}` });
  return { loaded: report(loaded), from: 'knet', namespace: '' };
}

/** The -f manifests, partial (kubectl apply -f's rule), with the command's -n as the namespace of namespace-less objects. */
export function loadManifests(files: readonly string[], namespace: string = input.namespace): LoadedCluster {
  return loadCluster(files, undefined, namespace ? { namespace } : {});
}

/**
 * Prints the input's problems to stderr. Errors: with --strict nothing is answered (exit 1);
 * else the command answers with the rest, and exits 1 afterwards (withSource's postAction).
 * A -f path that does not exist refuses the whole input, as kubectl checks its paths before
 * it applies anything.
 */
export function reportInput(io: Io, loaded: Pick<LoadedCluster, 'issues' | 'refused'>, strict: boolean = input.strict): void {
  if (strict || !hasErrors(loaded.issues) || loaded.issues.some((i) => i.code === 'file-not-found')) {
    reportIssues(io, loaded.issues);
    return;
  }
  printIssues(io, loaded.issues);
  noteRefused(io, loaded.issues, loaded.refused);
}

/** The summary line after the errors of partial input; the command goes on. */
function noteRefused(io: Io, issues: readonly Issue[], refused: readonly string[]): void {
  input.refused = true;
  const n = issues.filter((i) => i.severity === 'error').length;
  const shown = refused.slice(0, 5).join(', ') + (refused.length > 5 ? `, and ${refused.length - 5} more` : '');
  const left = refused.length > 0 ? `left out ${shown}` : 'left out what they concern';
  io.err(paint(io, '\x1b[31m', `${n} error${n === 1 ? '' : 's'} in the input: ${left}; answering with the rest (exit 1; --strict refuses the whole input)`));
}

/**
 * A running knet cluster (root: its daemon's socket), read through the object API kubectl
 * reads, as the Predict commands read it: the run face's commands (matrix --probe) use it.
 */
export async function loadRunningCluster(io: Io, name: string): Promise<Cluster> {
  const live = await import('./live-source.js');
  const loaded = await live.loadKnetCluster(name, apiSocketPath(name));
  reportIssues(io, loaded.issues, { quietInfo: true });
  return loaded.cluster;
}

/** Adds --name to a running-cluster command. */
export function withCluster(cmd: Command): Command {
  return cmd.option('--name <name>', 'the cluster (default: $KNET_CLUSTER, else the only one running)');
}

/** No cluster runs and none is named: the caller may say more (e.g. "or pass -f"). */
class NoCluster extends CliError {}

/** The cluster --name (else $KNET_CLUSTER) names, or null when neither does. `--name ''` is an error. */
export function namedCluster(name: string | undefined): string | null {
  const chosen = name ?? (process.env['KNET_CLUSTER'] || null);
  if (chosen === null) return null;
  if (chosen.trim() === '') throw new CliError('error: --name is empty: say which cluster\n  hint: knet status lists the clusters on this machine');
  const bad = checkName(chosen);
  if (bad) throw new CliError(`error: --name ${JSON.stringify(chosen)}: ${bad}\n  hint: knet status lists the clusters on this machine`);
  return chosen;
}

/**
 * The one way a command that reads or changes a running cluster chooses it: --name (else
 * $KNET_CLUSTER), else the only cluster running, else an error listing them. A daemon its
 * supervisor is restarting is waited for; a daemon that is gone is an error saying how to
 * start it again.
 */
export function pickCluster(name: string | undefined = sourceName): string {
  const chosen = namedCluster(name);
  if (chosen) return requireRunning(chosen);
  const running = runningClusters();
  if (running.length === 1) return requireRunning(running[0]!);
  if (running.length > 1) throw new CliError(`error: ${running.length} clusters are running (${running.join(', ')}): say which with --name NAME\n  hint: or set KNET_CLUSTER=NAME`);
  const stopped = knownClusters().filter((c) => existsSync(statePath(c)));
  if (stopped.length === 1) return requireRunning(stopped[0]!);
  if (stopped.length > 1) throw new CliError(`error: no cluster is running; stopped: ${stopped.join(', ')}\n  hint: knet up --name NAME starts one again; knet down --name NAME removes one`);
  throw new NoCluster(`error: no cluster is running\n  hint: knet up -f DIR starts one (default name ${DEFAULT_CLUSTER})`);
}

/** `knet down`'s choice: any cluster with a trace on this machine, running or not. */
export function pickAnyCluster(name: string | undefined): string {
  const chosen = namedCluster(name);
  if (chosen) return chosen;
  const all = knownClusters();
  if (all.length === 1) return all[0]!;
  if (all.length === 0) throw new CliError('error: no cluster on this machine\n  hint: knet status lists the clusters');
  throw new CliError(`error: ${all.length} clusters exist (${all.join(', ')}): say which with --name NAME`);
}

function requireRunning(name: string): string {
  if (awaitDaemon(name)) return name;
  const log = daemonLogPath(name);
  const supervisor = runningSupervisor(name);
  if (supervisor) {
    throw new CliError(`error: cluster ${name}'s daemon keeps crashing; its supervisor (pid ${supervisor.pid}) starts it again after a back-off\n  hint: its log is ${log}; knet up --name ${name} starts it now; knet down --name ${name} removes the cluster`);
  }
  if (existsSync(statePath(name))) {
    throw new CliError(`error: cluster ${name}'s daemon is not running (the cluster's state is stored)\n  hint: knet up --name ${name} starts it again (its log is ${log}); knet down --name ${name} removes the cluster`);
  }
  throw new CliError(`error: no cluster ${name} on this machine\n  hint: knet up --name ${name} -f DIR starts it; knet status lists the clusters`);
}

/** After waiting for the operation lock: the cluster may have been removed meanwhile. */
export function requireStillRunning(cluster: string, waitedFor: PidRecord | null): void {
  if (awaitDaemon(cluster)) return;
  if (waitedFor?.what === 'knet down') {
    throw new CliError(`error: cluster ${cluster} was removed by knet down (pid ${waitedFor.pid}) while this command waited: nothing was changed\n  hint: knet up --name ${cluster} -f DIR starts it again`);
  }
  requireRunning(cluster);
}

/**
 * Runs `fn` holding the cluster's operation lock: one command that changes a cluster (knet up,
 * apply, delete, down) at a time. A second one says whom it waits for, then runs.
 */
export async function withClusterLock<T>(io: Io, cluster: string, what: string, fn: (waitedFor: PidRecord | null) => Promise<T>): Promise<T> {
  let waitedFor: PidRecord | null = null;
  await takeOperationLock(cluster, what, (holder) => {
    waitedFor = holder;
    io.err(`waiting: ${holder.what || 'another knet command'} (pid ${holder.pid}) is changing cluster ${cluster}`);
  });
  // Ctrl-C while holding it: let go first (the lock would be taken over as stale anyway).
  const onSignal = (): void => {
    releaseOperationLock(cluster);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(waitedFor);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    releaseOperationLock(cluster);
  }
}

/** Running clusters need root (namespaces, links, nft, the root-only API socket). */
export function requireRoot(command: string): void {
  if (process.platform !== 'linux') {
    throw new CliError(`error: knet ${command} runs a cluster on Linux network namespaces; this is ${process.platform}\n  hint: the predict commands work anywhere: knet get pods -A -f DIR`);
  }
  if (process.getuid?.() !== 0) {
    throw new CliError(`error: knet ${command} needs root: it makes network namespaces, links and nft tables\n  hint: sudo knet ${command} ...; predicting needs no root: knet get pods -A -f DIR`);
  }
}

const pending = new Set<Promise<void>>();

/**
 * An action that waits on the daemon: its exit code (or CliError) sets the process's exit
 * code when it finishes. `settled()` lets tests wait for it.
 */
export function daemonAction<A extends unknown[]>(io: Io, fn: (...args: A) => Promise<number>): (...args: A) => void {
  return (...args: A) => {
    const p = fn(...args).then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        if (err instanceof CliError) {
          if (err.message) io.err(err.message);
          process.exitCode = err.exitCode;
          return;
        }
        io.err(`knet: ${(err as Error).message ?? String(err)}`);
        if (process.env['KNET_DEBUG']) io.err(String((err as Error).stack));
        process.exitCode = 1;
      },
    ).finally(() => pending.delete(p));
    pending.add(p);
  };
}

export async function settled(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}
