// Where a command's cluster comes from: manifests given with -f, or, without -f, the
// running cluster (the only one, or the one --name/KNET_CLUSTER names), read from its
// daemon's API and filled in here exactly as the daemon fills it in. Input problems are
// printed here; errors stop the command. Also the shared plumbing of the running-cluster
// commands: picking the cluster, root, and actions that wait on the daemon.
import type { Command } from 'commander';
import { loadCluster, type Cluster } from '../cluster/fill-in.js';
import { requestSync, runningClusters } from '../daemon/client.js';
import { desiredFromState } from '../daemon/desired.js';
import { runningDaemon } from '../daemon/lock.js';
import { checkName, DEFAULT_CLUSTER, statePath } from '../daemon/paths.js';
import type { ClusterState } from '../daemon/state.js';
import { withReadiness, type ReportedPod } from '../cluster/readiness.js';
import { eventObjects, type EventWire } from '../model/events.js';
import { existsSync } from 'node:fs';
import { CliError, reportIssues, type Io } from './output.js';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds the -f option every command that reads a cluster takes. */
export function withSource(cmd: Command): Command {
  return cmd.option('-f, --filename <path>', 'manifests: a file, a directory (recursive) or - for stdin; repeatable (without -f: the running cluster)', collect, []);
}

export function loadFrom(io: Io, files: readonly string[]): Cluster {
  if (files.length === 0) return loadRunning(io);
  const { cluster, issues } = loadCluster(files);
  reportIssues(io, issues);
  return cluster;
}

/** The running cluster's objects, as its daemon holds them (GET .../state), filled in here. */
function loadRunning(io: Io): Cluster {
  const env = process.env['KNET_CLUSTER'];
  let name = env ?? '';
  if (!name) {
    const running = runningClusters();
    if (running.length === 0) {
      throw new CliError('error: no cluster to read: pass manifests with -f FILE|DIR (repeatable, - for stdin), e.g. knet get pods -A -f examples/opscart\n  hint: or start one with knet up -f DIR; without -f, commands read the running cluster');
    }
    if (running.length > 1) {
      throw new CliError(`error: ${running.length} clusters are running (${running.join(', ')}): say which with KNET_CLUSTER=NAME, or pass manifests with -f`);
    }
    name = running[0]!;
  }
  requireRunning(name);
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

/** The cluster a command acts on: --name, else $KNET_CLUSTER, else the only one running. */
export function pickCluster(name: string | undefined): string {
  const chosen = name || process.env['KNET_CLUSTER'] || '';
  if (chosen) {
    const bad = checkName(chosen);
    if (bad) throw new CliError(`error: ${bad}`);
    requireRunning(chosen);
    return chosen;
  }
  const running = runningClusters();
  if (running.length === 1) return running[0]!;
  if (running.length === 0) throw new CliError(`error: no cluster is running\n  hint: knet up -f DIR starts one (default name ${DEFAULT_CLUSTER})`);
  throw new CliError(`error: ${running.length} clusters are running (${running.join(', ')}): say which with --name NAME or KNET_CLUSTER=NAME`);
}

function requireRunning(name: string): void {
  if (runningDaemon(name)) return;
  if (existsSync(statePath(name))) {
    throw new CliError(`error: cluster ${name} is not running (its daemon is gone)\n  hint: knet up --name ${name} brings it back; knet down --name ${name} removes it`);
  }
  throw new CliError(`error: cluster ${name} is not running\n  hint: knet up --name ${name} -f DIR starts it; knet status lists the clusters`);
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
