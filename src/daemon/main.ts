#!/usr/bin/env node
// `node dist/daemon/main.js NAME [--fresh]`: the daemon that holds a running cluster. Started
// by `knet up` in the background (its own session, output to the state directory's log).
// Progress of the first reconcile goes as JSON lines to the file descriptor named by
// KNET_PROGRESS_FD, ending with {"ready":true} or {"error":...}; the descriptor is then
// closed. SIGTERM stops the daemon and leaves the cluster running (the next `knet up
// --name NAME` adopts it); `knet down` (the API's shutdown) removes the cluster. Its exit
// code tells its supervisor (supervisor.ts) whether to start it again (restart-policy.ts).
import { closeSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { teardownCluster } from '../dataplane/teardown.js';
import { serveClusterHttps, type HttpsApi } from '../api/tls.js';
import { apiUpgrade } from '../api/upgrade.js';
import { apiListener, serveApi, type ApiServer } from './api.js';
import { Daemon, type Progress } from './daemon.js';
import { releaseLock, takeLock } from './lock.js';
import { checkName, stateDir, statePath } from './paths.js';
import { DAEMON_EXIT } from './restart-policy.js';
import { existsSync } from 'node:fs';

const name = process.argv[2] ?? '';
const fresh = process.argv.includes('--fresh');
/** A warm spare: modules loaded, it waits for "go" on stdin from the supervisor (supervisor.ts). */
const standby = process.argv.includes('--standby');
let progressFd = process.env['KNET_PROGRESS_FD'] ? Number(process.env['KNET_PROGRESS_FD']) : -1;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function say(msg: Record<string, unknown>): void {
  if (progressFd < 0) return;
  try {
    writeSync(progressFd, `${JSON.stringify(msg)}\n`);
  } catch {
    progressFd = -1; // `knet up` went away; the daemon goes on
  }
}

function closeProgress(): void {
  if (progressFd < 0) return;
  try {
    closeSync(progressFd);
  } catch {
    // already closed
  }
  progressFd = -1;
}

/** A standby's turn: true on "go", false when its supervisor is gone (stdin closed). */
function turn(): Promise<boolean> {
  process.title = `knet-daemon ${name} standby`;
  return new Promise((resolve) => {
    process.stdin.on('data', () => {
      process.stdin.destroy();
      resolve(true);
    });
    process.stdin.on('end', () => resolve(false));
    process.stdin.on('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  const bad = checkName(name);
  if (bad) throw new Error(bad);
  if (standby && !(await turn())) process.exit(DAEMON_EXIT.stopped);
  process.title = `knet-daemon ${name}`;
  if (!existsSync(statePath(name))) {
    log(`cluster ${name} has no state (${statePath(name)}): removed; nothing to run`);
    say({ error: `cluster ${name} has no state (${statePath(name)}): start it with knet up -f DIR` });
    closeProgress();
    process.exit(DAEMON_EXIT.gone);
  }
  try {
    takeLock(name);
  } catch (e) {
    log((e as Error).message);
    say({ error: (e as Error).message });
    closeProgress();
    process.exit(DAEMON_EXIT.taken);
  }
  log(`daemon for cluster ${name} starting (pid ${process.pid}${fresh ? ', fresh' : ''})`);
  const daemon = Daemon.load(name, log);
  let api: ApiServer | null = null;
  let httpsApi: HttpsApi | null = null;
  const exit = (code: number): void => {
    api?.close();
    httpsApi?.close();
    releaseLock(name);
    log(`daemon exits (${code})`);
    setTimeout(() => process.exit(code), 50).unref();
  };
  process.on('SIGTERM', () => {
    daemon.stop();
    exit(DAEMON_EXIT.stopped);
  });
  process.on('SIGINT', () => {
    daemon.stop();
    exit(DAEMON_EXIT.stopped);
  });
  process.on('SIGHUP', () => {});
  process.on('uncaughtException', (e) => log(`uncaught: ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => log(`unhandled rejection: ${(e as Error)?.stack ?? String(e)}`));

  const onShutdown = (): void => {
    log('shut down by the API: cluster removed');
    exit(DAEMON_EXIT.stopped);
  };
  api = await serveApi(daemon, onShutdown);
  say({ step: 'daemon', ok: true, ms: 0, text: `pid ${process.pid}, api ${api.socket}` });
  // kubectl's endpoint (api/tls.ts), made while the data plane comes up: the same handler over HTTPS.
  const startHttps = async (): Promise<void> => {
    const t = performance.now();
    httpsApi = await serveClusterHttps(name, daemon.cluster.config.clusterDomain, apiListener(daemon, onShutdown), log, apiUpgrade(daemon));
    log(`api: ${httpsApi.url}`);
    say({ step: 'api', ok: true, ms: Math.round(performance.now() - t), text: `${httpsApi.url} (client certificates from the cluster CA)` });
  };
  try {
    // Both finish before a failure is handled: a fresh cluster's cleanup must not race its bring-up.
    const [up, tls] = await Promise.allSettled([daemon.bringUp((p: Progress) => {
      log(`${p.step}: ${p.text} (${Math.round(p.ms)} ms)`);
      say({ ...p, ms: Math.round(p.ms) });
    }), startHttps()]);
    if (up.status === 'rejected') throw up.reason;
    if (tls.status === 'rejected') throw tls.reason;
    const report = up.value;
    const failed = report.probes.filter((p) => !p.ok).length + report.runtimeFailures.length;
    say({ ready: failed === 0, pods: daemon.plan.pods.length, nodes: daemon.cluster.nodes.length });
  } catch (e) {
    const message = (e as Error).message;
    log(`bring-up failed: ${(e as Error).stack ?? message}`);
    say({ error: message });
    if (fresh) {
      // Nothing half-made: a first start that fails leaves no trace but its error.
      daemon.stop();
      await daemon.runtimes.stopAll(true).catch(() => {});
      await teardownCluster(name).catch(() => {});
      await rm(stateDir(name), { recursive: true, force: true }).catch(() => {});
    }
    closeProgress();
    exit(DAEMON_EXIT.failed);
    return;
  }
  closeProgress();
}

main().catch((e: unknown) => {
  log(`daemon failed: ${(e as Error).stack ?? String(e)}`);
  say({ error: (e as Error).message });
  closeProgress();
  process.exit(DAEMON_EXIT.failed);
});
