#!/usr/bin/env node
// `node dist/daemon/supervisor.js NAME [--fresh]` (process title `knet-supervisor NAME`):
// started by `knet up`, it runs the cluster's daemon and starts it again when it crashes
// (at once; a crash loop backs off, restart-policy.ts); the new daemon adopts the runtimes
// and reconciles to state.json. A clean stop (knet down, SIGTERM to the daemon or to this
// process) ends it. During the first bring-up it relays the daemon's progress lines to
// `knet up` (KNET_PROGRESS_FD) and, if the daemon dies before it is ready, says so there
// and stops: `knet up` fails with the reason. Recorded in /run/knet-NAME/supervisor.pid.
// A warm spare daemon (`main.js NAME --standby`: Node started, modules loaded) waits for
// "go" on its stdin, so a new daemon serves in milliseconds rather than after Node's start-up.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runDir } from '../dataplane/run-state.js';
import { isAlive, releaseRecord, runningDaemon, tryTakeRecord } from './lock.js';
import { checkName, daemonLogPath, daemonPidPath, supervisorPidPath } from './paths.js';
import { afterExit, DAEMON_EXIT } from './restart-policy.js';

const DAEMON_MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const name = process.argv[2] ?? '';
const fresh = process.argv.includes('--fresh');
/** A daemon runs without a supervisor (the supervisor crashed): watch it, and start a new one when it goes. */
const adopt = process.argv.includes('--adopt');
let upFd = process.env['KNET_PROGRESS_FD'] ? Number(process.env['KNET_PROGRESS_FD']) : -1;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} supervisor: ${line}\n`);
}

/** A line to `knet up` (while it listens). */
function tellUp(line: string): void {
  if (upFd < 0) return;
  try {
    writeSync(upFd, line.endsWith('\n') ? line : `${line}\n`);
  } catch {
    upFd = -1; // knet up went away; supervision goes on
  }
}

function closeUp(): void {
  if (upFd < 0) return;
  try {
    closeSync(upFd);
  } catch {
    // closed already
  }
  upFd = -1;
}

let child: ChildProcess | null = null;
/** A warm spare daemon (modules loaded, waiting for "go"): a restart costs no Node start-up. */
let spare: ChildProcess | null = null;
let stopping = false;
let servedOnce = false;
let crashes = 0;
/** After a promotion the next spare waits: the new daemon's bring-up comes first. */
const SPARE_AFTER_MS = 3000;

/** Ends supervision: the spare goes first (whoever waits for this process sees nothing left). */
function exit(code: number): void {
  stopping = true;
  const last = spare;
  spare = null;
  const done = (): never => {
    releaseRecord(supervisorPidPath(name));
    process.exit(code);
  };
  if (!last || last.exitCode !== null || last.signalCode !== null) return done();
  last.on('exit', done);
  last.kill('SIGTERM');
  setTimeout(() => {
    last.kill('SIGKILL');
    done();
  }, 1000).unref();
}

function daemonEnv(withProgress: boolean): NodeJS.ProcessEnv {
  const { KNET_PROGRESS_FD: _, ...env } = process.env;
  return withProgress ? { ...env, KNET_PROGRESS_FD: '3' } : env;
}

function startSpare(): void {
  if (spare || stopping) return;
  const c = spawn(process.execPath, [DAEMON_MAIN, name, '--standby'], { stdio: ['pipe', 'inherit', 'inherit'], env: daemonEnv(false) });
  spare = c;
  c.on('exit', () => {
    if (spare === c) spare = null;
  });
}

/** The first daemon (its progress relayed to `knet up`), or a new one after a crash: the spare when there is one. */
function start(first: boolean): void {
  const startedAt = Date.now();
  let c: ChildProcess;
  if (!first && spare) {
    c = spare;
    spare = null;
    c.stdin?.end('go\n');
    log(`spare daemon (pid ${c.pid}) takes over`);
    setTimeout(startSpare, SPARE_AFTER_MS).unref();
  } else {
    c = spawn(process.execPath, [DAEMON_MAIN, name, ...(first && fresh ? ['--fresh'] : [])], {
      stdio: ['ignore', 'inherit', 'inherit', first ? 'pipe' : 'ignore'], env: daemonEnv(first),
    });
    log(`daemon started (pid ${c.pid})`);
  }
  child = c;
  if (first) {
    // Relayed line by line: the supervisor learns whether the first bring-up finished.
    const pipe = c.stdio[3] as Readable;
    createInterface({ input: pipe, crlfDelay: Infinity }).on('line', (line) => {
      if (line.startsWith('{"ready"') && !servedOnce) {
        servedOnce = true;
        setTimeout(startSpare, SPARE_AFTER_MS).unref();
      }
      tellUp(line);
    });
    pipe.on('close', () => {
      if (servedOnce) closeUp();
    });
  }
  c.on('exit', (code, signal) => onExit(c, code, signal, Date.now() - startedAt));
}

function onExit(c: ChildProcess, code: number | null, signal: NodeJS.Signals | null, ranMs: number): void {
  if (child !== c) return;
  child = null;
  if (stopping) {
    log(`daemon stopped (${signal ?? code}); supervisor exits`);
    return exit(0);
  }
  if (!servedOnce) {
    // The first bring-up did not finish: `knet up` reports it, nobody is left to serve.
    const how = signal ? `was killed by ${signal}` : `exited (${code})`;
    if (code !== DAEMON_EXIT.failed || signal) tellUp(JSON.stringify({ error: `its daemon ${how} during bring-up`, crashed: true }));
    closeUp();
    log(`daemon ${how} before the cluster was up; supervisor exits`);
    return exit(1);
  }
  const verdict = afterExit({ code, signal, ranMs }, crashes);
  if (verdict.kind === 'stop') {
    log(`${verdict.why}; supervisor exits`);
    return exit(0);
  }
  crashes = verdict.crashes;
  log(`${verdict.why}: starting a new daemon${verdict.afterMs ? ` in ${(verdict.afterMs / 1000).toFixed(1)} s` : ''} (log ${daemonLogPath(name)})`);
  setTimeout(() => {
    if (!stopping) start(false);
    else exit(0);
  }, verdict.afterMs);
}

function main(): void {
  const bad = checkName(name);
  if (bad) {
    tellUp(JSON.stringify({ error: bad }));
    process.exit(1);
  }
  process.title = `knet-supervisor ${name}`;
  mkdirSync(runDir(name), { recursive: true, mode: 0o700 });
  const other = tryTakeRecord(supervisorPidPath(name));
  if (other) {
    tellUp(JSON.stringify({ error: `cluster ${name} already has a supervisor (pid ${other.pid})` }));
    process.exit(DAEMON_EXIT.taken);
  }
  const stop = (): void => {
    stopping = true;
    if (child) child.kill('SIGTERM');
    else exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {});
  log(`supervising the daemon of ${name} (pid ${process.pid})`);
  if (adopt) watchAdopted();
  else start(true);
}

/** Not our child, so no exit event: its record is polled; gone is treated as a crash. */
function watchAdopted(): void {
  const daemon = runningDaemon(name);
  if (!daemon) return start(false);
  servedOnce = true;
  log(`watching the running daemon (pid ${daemon.pid})`);
  setTimeout(startSpare, SPARE_AFTER_MS).unref();
  const timer = setInterval(() => {
    if (isAlive(daemon.pid, daemon.startTime)) return;
    clearInterval(timer);
    if (stopping) return exit(0);
    // Its exit code is lost with it; a clean stop removes its record, a crash leaves it.
    const record = existsSync(daemonPidPath(name)) ? readFileSync(daemonPidPath(name), 'utf8') : '';
    if (!record.startsWith(`${daemon.pid} `)) {
      log('the watched daemon stopped cleanly; supervisor exits');
      return exit(0);
    }
    crashes = 0;
    log(`the watched daemon (pid ${daemon.pid}) is gone: starting a new daemon`);
    start(false);
  }, ADOPT_POLL_MS);
}

const ADOPT_POLL_MS = 100;

main();
