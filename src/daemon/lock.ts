// Who holds a cluster, as pid records: a file made with O_EXCL holding `pid starttime
// [what]`. A record whose process is gone (or is another process reusing the pid) is stale
// and is taken over; a live one refuses a second holder. Three records per cluster:
//   /run/knet-<c>/daemon.pid      one daemon
//   /run/knet-<c>/supervisor.pid  one supervisor (which restarts the daemon after a crash)
//   /run/knet-<c>.lock            one changing command (knet up, apply, delete, down) at a time;
//                                 outside the run dir, which `knet down` removes while holding it.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { processStartTime, runDir } from '../dataplane/run-state.js';
import { daemonPidPath, operationLockPath, supervisorPidPath } from './paths.js';

export interface PidRecord {
  readonly pid: number;
  readonly startTime: string;
  /** What the holder does (`knet up`), for the messages of those who wait. */
  readonly what: string;
}

function readRecord(path: string): PidRecord | null {
  if (!existsSync(path)) return null;
  try {
    const [pid, startTime, ...what] = readFileSync(path, 'utf8').trim().split(' ');
    const n = Number(pid);
    return Number.isInteger(n) && n > 1 && startTime ? { pid: n, startTime, what: what.join(' ') } : null;
  } catch {
    return null;
  }
}

/** The record's process if it is still running (not a pid reused since). */
function liveRecord(path: string): PidRecord | null {
  const r = readRecord(path);
  return r && isAlive(r.pid, r.startTime) ? r : null;
}

/**
 * The process started then is still running. A zombie counts as gone: an orphan that exited
 * stays a zombie until pid 1 reaps it, which some init processes do only every few seconds.
 */
export function isAlive(pid: number, startTime: string): boolean {
  if (processStartTime(pid) !== startTime) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Takes the record for this process, or returns the live holder. */
export function tryTakeRecord(path: string, what = ''): PidRecord | null {
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = liveRecord(path);
      if (other && other.pid !== process.pid) return other;
      rmSync(path, { force: true }); // stale: its process is gone
      continue;
    }
    try {
      writeSync(fd, `${process.pid} ${processStartTime(process.pid)}${what ? ` ${what}` : ''}\n`);
    } finally {
      closeSync(fd);
    }
    return null;
  }
  throw new Error(`cannot take ${path}: it keeps changing hands`);
}

/** Removes the record if this process holds it. */
export function releaseRecord(path: string): void {
  if (readRecord(path)?.pid === process.pid) rmSync(path, { force: true });
}

/** The cluster's daemon if it is running. */
export function runningDaemon(cluster: string): PidRecord | null {
  return liveRecord(daemonPidPath(cluster));
}

/** The cluster's supervisor if it is running. */
export function runningSupervisor(cluster: string): PidRecord | null {
  return liveRecord(supervisorPidPath(cluster));
}

export function takeLock(cluster: string): void {
  mkdirSync(runDir(cluster), { recursive: true, mode: 0o700 });
  const other = tryTakeRecord(daemonPidPath(cluster));
  if (other) throw new Error(`cluster ${cluster} already has a daemon (pid ${other.pid})`);
}

export function releaseLock(cluster: string): void {
  releaseRecord(daemonPidPath(cluster));
}

/**
 * Waits until this process holds the cluster's operation lock. `onWait` is told the holder
 * once (and again when the holder changes). Never returns while another live process holds it.
 */
export async function takeOperationLock(cluster: string, what: string, onWait: (holder: PidRecord) => void, pollMs = 50): Promise<void> {
  let told = 0;
  for (;;) {
    const holder = tryTakeRecord(operationLockPath(cluster), what);
    if (!holder) return;
    if (holder.pid !== told) {
      told = holder.pid;
      onWait(holder);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function releaseOperationLock(cluster: string): void {
  releaseRecord(operationLockPath(cluster));
}
