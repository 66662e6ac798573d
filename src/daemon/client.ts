// Talking to a cluster's daemon over its unix socket, and finding clusters: the ones with a
// running daemon, and the ones that left something behind (state, namespaces, a run dir).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { ETC_NETNS } from '../dataplane/run-state.js';
import { runningDaemon, runningSupervisor, type PidRecord } from './lock.js';
import { apiSocketPath, stateRoot } from './paths.js';

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export class DaemonUnreachable extends Error {}

/**
 * One request to the daemon. No timeout unless `timeoutMs` is given: an apply that takes a
 * minute reports its real outcome. (Node's global agent would close the socket after 5 s of
 * silence and the request would fail while the daemon goes on: each request has its own
 * connection here, with no idle timeout.)
 */
export async function request<T = unknown>(cluster: string, method: string, path: string, body?: unknown, timeoutMs = 0): Promise<ApiResponse<T>> {
  for (let waited = 0; ; waited += RETRY_MS) {
    try {
      return await requestOnce<T>(cluster, method, path, body, timeoutMs);
    } catch (e) {
      if (!(e instanceof NotDelivered) || waited >= RESTART_WAIT_MS || !restarting(cluster)) throw e;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}

/** How long a request waits for a daemon its supervisor is restarting (it serves within 1 s). */
const RESTART_WAIT_MS = 5000;
const RETRY_MS = 50;

/** The request never reached a daemon (no socket, nobody listening): safe to send again. */
class NotDelivered extends DaemonUnreachable {}

/** The daemon is starting or its supervisor is about to start it again. */
function restarting(cluster: string): boolean {
  return runningDaemon(cluster) !== null || runningSupervisor(cluster) !== null;
}

function requestOnce<T>(cluster: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<ApiResponse<T>> {
  return new Promise((resolve, reject) => {
    send(cluster, method, path, body, timeoutMs, reject, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        if ((res.headers['content-type'] ?? '').includes('json')) {
          try {
            parsed = JSON.parse(text);
          } catch {
            // leave it as text
          }
        }
        resolve({ status: res.statusCode ?? 0, body: parsed as T });
      });
      res.on('error', reject);
    });
  });
}

/**
 * A request whose answer is a stream of JSON lines (`?progress=1`): each line goes to `onLine`
 * as it comes; resolves with the HTTP status when the stream ends.
 */
export function requestLines(cluster: string, method: string, path: string, body: unknown, onLine: (line: Record<string, unknown>) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    send(cluster, method, path, body, 0, reject, (res) => {
      let buf = '';
      const flush = (all: boolean): void => {
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0 || (all && buf.trim())) {
          const line = nl >= 0 ? buf.slice(0, nl) : buf;
          buf = nl >= 0 ? buf.slice(nl + 1) : '';
          if (!line.trim()) continue;
          try {
            onLine(JSON.parse(line) as Record<string, unknown>);
          } catch {
            onLine({ text: line }); // not JSON: an error page, passed on as text
          }
        }
      };
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        flush(false);
      });
      res.on('end', () => {
        flush(true);
        resolve(res.statusCode ?? 0);
      });
      res.on('error', reject);
    });
  });
}

function send(cluster: string, method: string, path: string, body: unknown, timeoutMs: number,
  reject: (e: Error) => void, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const req = http.request({
    socketPath: apiSocketPath(cluster), method, path, agent: false,
    headers: data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
    ...(timeoutMs > 0 ? { timeout: timeoutMs } : {}),
  }, onResponse);
  if (timeoutMs > 0) req.on('timeout', () => req.destroy(new DaemonUnreachable(`cluster ${cluster}: no answer from ${apiSocketPath(cluster)} in ${timeoutMs / 1000} s`)));
  req.on('error', (e) => {
    if (e instanceof DaemonUnreachable) return reject(e);
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const Unreachable = code === 'ECONNREFUSED' || code === 'ENOENT' ? NotDelivered : DaemonUnreachable;
    reject(new Unreachable(`cluster ${cluster}: cannot reach its daemon at ${apiSocketPath(cluster)}: ${code || e.message}`));
  });
  req.end(data);
  return req;
}

// A GET from a synchronous caller (the predict-face commands read their cluster
// synchronously): a short-lived node process makes the request and prints the answer.
const SYNC_GET = `
const http = require('node:http');
const [socketPath, path] = process.argv.slice(1);
const req = http.get({ socketPath, path, agent: false }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => { process.stdout.write(JSON.stringify({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') })); });
});
req.on('error', (e) => { process.stdout.write(JSON.stringify({ status: 0, text: e.code || e.message })); });
`;

export function requestSync<T = unknown>(cluster: string, path: string): ApiResponse<T> {
  let out: { status: number; text: string };
  for (let waited = 0; ; waited += RETRY_MS) {
    const r = spawnSync(process.execPath, ['-e', SYNC_GET, apiSocketPath(cluster), path], { encoding: 'utf8', maxBuffer: 1 << 30 });
    try {
      out = JSON.parse(r.stdout) as { status: number; text: string };
    } catch {
      throw new DaemonUnreachable(`cluster ${cluster}: cannot reach its daemon: ${r.stderr.trim() || 'no answer'}`);
    }
    const notDelivered = out.status === 0 && (out.text === 'ECONNREFUSED' || out.text === 'ENOENT');
    if (!notDelivered || waited >= RESTART_WAIT_MS || !restarting(cluster)) break;
    sleepSync(RETRY_MS);
  }
  if (out.status === 0) throw new DaemonUnreachable(`cluster ${cluster}: cannot reach its daemon at ${apiSocketPath(cluster)}: ${out.text}`);
  let body: unknown = out.text;
  try {
    body = JSON.parse(out.text);
  } catch {
    // text
  }
  return { status: out.status, body: body as T };
}

/** Clusters whose daemon runs, or is being restarted by its supervisor. */
export function runningClusters(): string[] {
  return knownClusters().filter(restarting);
}

/**
 * The cluster's daemon, waiting up to `ms` while its supervisor restarts it (a crash: the
 * supervisor starts a new daemon at once, after a crash loop's back-off later).
 */
export function awaitDaemon(cluster: string, ms = RESTART_WAIT_MS): PidRecord | null {
  const deadline = Date.now() + ms;
  let daemon = runningDaemon(cluster);
  while (!daemon && runningSupervisor(cluster) && Date.now() < deadline) {
    sleepSync(RETRY_MS);
    daemon = runningDaemon(cluster);
  }
  return daemon;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Every cluster with a trace on this machine: stored state, a run dir, or namespaces' files. */
export function knownClusters(): string[] {
  const names = new Set<string>();
  for (const e of safeList(stateRoot())) if (/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(e)) names.add(e);
  for (const e of safeList('/run')) {
    const m = /^knet-([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)$/.exec(e);
    if (m) names.add(m[1]!);
  }
  // Namespaces of a cluster whose directories are gone (ip netns list without a process).
  for (const e of [...safeList('/run/netns'), ...safeList(ETC_NETNS)]) {
    const m = /^knet-(.+)-(fabric|inet)$/.exec(e);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
