// `knet down`: removes a cluster and everything it made: its daemon asks its runtimes to
// stop and tears the data plane down; if the daemon is gone (a crash) this command does it
// from what is left: the daemon's supervisor (first, so it starts no new daemon), the
// recorded pids, the namespaces found by name, /etc/netns and /run/knet-<name>, and the
// stored state. It holds the cluster's operation lock: an apply waiting behind it is then
// refused, and a running `knet up` or apply finishes first.
import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { teardownCluster } from '../dataplane/teardown.js';
import { awaitDaemon, request } from '../daemon/client.js';
import { isAlive, runningDaemon, runningSupervisor, type PidRecord } from '../daemon/lock.js';
import { checkName, stateDir, stateRoot } from '../daemon/paths.js';
import { rmdirSync } from 'node:fs';
import { CliError, type Io } from './output.js';
import { forgetContext } from './kubeconfig.js';
import { stepLine } from './up.js';
import { daemonAction, pickAnyCluster, requireRoot, withCluster, withClusterLock } from './source.js';

export function registerDown(program: Command, io: Io): void {
  withCluster(program
    .command('down')
    .description('remove the running cluster and everything it made (also after a crash)'))
    .action(daemonAction(io, async (o: { name?: string }) => {
      requireRoot('down');
      const name = pickAnyCluster(o.name);
      return withClusterLock(io, name, 'knet down', () => runDown(io, name));
    }));
}

export async function runDown(io: Io, name: string): Promise<number> {
  const bad = checkName(name);
  if (bad) throw new CliError(`error: ${bad}`);
  const t0 = performance.now();
  const daemon = awaitDaemon(name);
  const supervisor = runningSupervisor(name); // read now: teardown removes its record
  if (daemon) {
    try {
      const res = await request<{ ok?: boolean; namespaces?: number; message?: string }>(name, 'POST', '/apis/knet.dev/v1alpha1/shutdown', undefined, SHUTDOWN_TIMEOUT_MS);
      if (res.status === 200) {
        await waitGone(daemon.pid, daemon.startTime, 3000);
        // It exits after its daemon's clean stop; killed if it has not within a second.
        if (supervisor) await waitGone(supervisor.pid, supervisor.startTime, 1000);
        stopProcess(supervisor);
        removeStateRootIfEmpty();
        await forgetContext(io, name);
        io.out(stepLine(io, true, 'down', `cluster ${name}: ${res.body.namespaces ?? 0} namespaces removed`, performance.now() - t0));
        return 0;
      }
      io.err(`warning: the daemon of ${name} could not shut down: ${res.body.message ?? `HTTP ${res.status}`}; removing what is left`);
    } catch (e) {
      io.err(`warning: ${(e as Error).message}; removing what is left`);
    }
  }
  // The supervisor goes first: it would start a new daemon after this one is killed. Then
  // the daemon that does not answer, and one the supervisor may have started meanwhile:
  // ours by their records (pid and start time).
  for (const p of [supervisor ?? runningSupervisor(name), daemon, runningDaemon(name)]) {
    stopProcess(p);
    if (p) await waitGone(p.pid, p.startTime, 2000);
  }
  const report = await teardownCluster(name);
  await rm(stateDir(name), { recursive: true, force: true });
  removeStateRootIfEmpty();
  await forgetContext(io, name);
  const found = report.namespaces.length + report.killed.length + report.files.length;
  for (const s of report.strays) io.err(`warning: pid ${s.pid} is still in ${s.netns}; knet did not start it and left it alone`);
  io.out(stepLine(io, true, 'down', found === 0 && !daemon
    ? `cluster ${name}: nothing was left`
    : `cluster ${name}: ${report.namespaces.length} namespaces removed, ${report.killed.length} processes stopped`, performance.now() - t0));
  return 0;
}

/** How long the daemon may take to tear down before this command does it itself. */
const SHUTDOWN_TIMEOUT_MS = 120_000;

/** SIGKILL to a recorded process of the cluster if it still runs (the same pid and start time: ours). */
function stopProcess(p: PidRecord | null): void {
  if (!p || !isAlive(p.pid, p.startTime)) return;
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

async function waitGone(pid: number, startTime: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (isAlive(pid, startTime) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

function removeStateRootIfEmpty(): void {
  try {
    rmdirSync(stateRoot()); // only when no other cluster is left
  } catch {
    // not empty, or gone
  }
}
