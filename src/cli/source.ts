// Where a command's cluster comes from: manifests given with -f, or, without -f, the
// running cluster (the one --name/KNET_CLUSTER names, else the only one), read from its
// daemon's API and filled in here exactly as the daemon fills it in. Input problems are
// printed here. Manifests are taken as `kubectl apply -f` takes them: what the API server
// would refuse is left out and named, the command answers with the rest and exits 1
// (--strict: nothing is answered). Also the shared plumbing of the running-cluster
// commands: choosing the cluster (pickCluster, one way for all), the operation lock of the
// commands that change it, root, and actions that wait on the daemon.
import type { Command } from 'commander';
import { loadCluster, type Cluster, type LoadedCluster } from '../cluster/fill-in.js';
import { hasErrors, type Issue } from '../model/issue.js';
import { awaitDaemon, knownClusters, requestSync, runningClusters } from '../daemon/client.js';
import { desiredFromState } from '../daemon/desired.js';
import { releaseOperationLock, runningSupervisor, takeOperationLock, type PidRecord } from '../daemon/lock.js';
import { checkName, daemonLogPath, DEFAULT_CLUSTER, statePath } from '../daemon/paths.js';
import type { ClusterState } from '../daemon/state.js';
import { withReadiness, type ReportedPod } from '../cluster/readiness.js';
import { eventObjects, type EventWire } from '../model/events.js';
import { existsSync } from 'node:fs';
import { CliError, paint, printIssues, reportIssues, type Io } from './output.js';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Adds -f, --name and --strict to a command that reads a cluster: -f reads manifests, else
 * the running cluster --name chooses (pickCluster) is read. A command whose input was partly
 * refused exits 1 after its answer (an exit code of its own, e.g. a failed trace, stays).
 */
export function withSource(cmd: Command): Command {
  return cmd
    .option('-f, --filename <path>', 'manifests: a file, a directory (recursive) or - for stdin; repeatable (without -f: the running cluster)', collect, [])
    .option('--name <name>', 'without -f: the running cluster to read (default: $KNET_CLUSTER, else the only one running)')
    .option('--strict', 'with -f: refuse the whole input when any object in it would be refused (default: leave those out, answer with the rest, exit 1)', false)
    .hook('preAction', (command) => {
      const o = command.opts() as { name?: string; strict?: boolean; namespace?: string };
      sourceName = o.name;
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

/** The cluster a command reads: manifests with -f, else the running cluster (`name`, else its --name). */
export function loadFrom(io: Io, files: readonly string[], name: string | undefined = sourceName): Cluster {
  if (files.length === 0) return loadRunning(io, name);
  const loaded = loadManifests(files);
  reportInput(io, loaded);
  return loaded.cluster;
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

/** The running cluster's objects, as its daemon holds them (GET .../state), filled in here. */
function loadRunning(io: Io, wanted: string | undefined): Cluster {
  let name: string;
  try {
    name = pickCluster(wanted);
  } catch (e) {
    if (!(e instanceof NoCluster)) throw e;
    throw new CliError('error: no cluster to read: pass manifests with -f FILE|DIR (repeatable, - for stdin), e.g. knet get pods -A -f examples/opscart\n  hint: or start one with knet up -f DIR; without -f, commands read the running cluster');
  }
  const res = requestSync<ClusterState & { message?: string; readiness?: Record<string, ReportedPod>; events?: EventWire[] }>(name, '/apis/knet.dev/v1alpha1/state');
  if (res.status !== 200) throw new CliError(`error: cluster ${name}: ${res.body.message ?? `HTTP ${res.status}`}`);
  const { cluster, issues } = desiredFromState(res.body);
  reportIssues(io, issues, { quietInfo: true });
  // The pods' Ready as the kubelets report it, and the EndpointSlices that follow.
  // And the events the daemon's controllers recorded (an Ingress nginx refuses), as Event objects.
  const observed = withReadiness(cluster, new Map(Object.entries(res.body.readiness ?? {})));
  return { ...observed, others: [...observed.others, ...eventObjects(res.body.events ?? [])] };
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
