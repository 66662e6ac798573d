// One probe check, as the kubelet makes it: httpGet and tcpSocket connect from the node's
// namespace (the kubelet lives on the node) to the pod's address; exec runs the command
// inside the container's sandbox (its namespaces, user, capabilities and environment, as
// `runc exec` does), or in a fresh sandbox like it for a container knet serves itself. Every check ends within its timeout, with an outcome and the words
// the kubelet would put in its event ("HTTP probe failed with statuscode: 503").
import { spawn } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import type { ChildProcess } from 'node:child_process';
import { KUBE_VERSION } from '../../api/discovery.js';
import { spawnSandbox } from './containers.js';
import type { NetnsSwitch } from './netns.js';
import { execArgv, type SandboxPlan } from './sandbox.js';
import { httpProbePasses } from './probe-state.js';
import type { ProbeCheck } from './spec.js';

export interface CheckOutcome {
  readonly ok: boolean;
  readonly message: string;
}

export interface CheckContext {
  readonly sockets: NetnsSwitch;
  /** Where httpGet and tcpSocket connect from: the node's namespace. */
  readonly from: string;
  /** Where exec runs: the pod's namespace. */
  readonly podNetns: string;
  /** The container an exec probe enters: running (its sandbox's init pid), or a fresh sandbox, or none. */
  readonly execTarget?: (container: string) => ExecTarget;
}

export type ExecTarget =
  | { readonly kind: 'running'; readonly pid: number; readonly plan: SandboxPlan }
  | { readonly kind: 'fresh'; readonly plan: SandboxPlan }
  | { readonly kind: 'none'; readonly reason: string };

/** The User-Agent the kubelet's HTTP prober sends (kube-probe/<major>.<minor>). */
export const PROBE_USER_AGENT = `kube-probe/${KUBE_VERSION.major}.${KUBE_VERSION.minor}`; // the API's /version

export function runCheck(check: ProbeCheck, ctx: CheckContext, timeoutMs: number, container = ''): Promise<CheckOutcome> {
  switch (check.kind) {
    case 'http':
      return httpCheck(check, ctx, timeoutMs);
    case 'tcp':
      return tcpCheck(check, ctx, timeoutMs);
    case 'exec':
      return execCheck(check.argv, ctx.execTarget?.(container) ?? { kind: 'none', reason: 'no sandbox for this container' }, timeoutMs);
  }
}

function connectFrom(ctx: CheckContext, host: string, port: number): net.Socket {
  const family = host.includes(':') ? 6 : 4;
  const { fd } = ctx.sockets.clientSocket(ctx.from, 'TCP', family);
  const sock = new net.Socket({ fd, readable: true, writable: true, manualStart: true } as net.SocketConstructorOpts);
  sock.connect(port, host);
  return sock;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function tcpCheck(check: Extract<ProbeCheck, { kind: 'tcp' }>, ctx: CheckContext, timeoutMs: number): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    let sock: net.Socket;
    try {
      sock = connectFrom(ctx, check.host, check.port);
    } catch (e) {
      resolve({ ok: false, message: `dial tcp ${hostPort(check.host, check.port)}: ${(e as Error).message}` });
      return;
    }
    const done = (o: CheckOutcome): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done({ ok: false, message: `dial tcp ${hostPort(check.host, check.port)}: i/o timeout` }), timeoutMs);
    sock.once('connect', () => done({ ok: true, message: '' }));
    sock.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, message: `dial tcp ${hostPort(check.host, check.port)}: connect: ${describe(e)}` }));
  });
}

function httpCheck(check: Extract<ProbeCheck, { kind: 'http' }>, ctx: CheckContext, timeoutMs: number): Promise<CheckOutcome> {
  const url = `${check.scheme.toLowerCase()}://${hostPort(check.host, check.port)}${check.path}`;
  return new Promise((resolve) => {
    let raw: net.Socket;
    try {
      raw = connectFrom(ctx, check.host, check.port);
    } catch (e) {
      resolve({ ok: false, message: `Get "${url}": ${(e as Error).message}` });
      return;
    }
    let sock: net.Socket = raw;
    let settled = false;
    const done = (o: CheckOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      raw.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done({ ok: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }), timeoutMs);
    const fail = (e: NodeJS.ErrnoException): void => done({ ok: false, message: `Get "${url}": dial tcp ${hostPort(check.host, check.port)}: connect: ${describe(e)}` });
    raw.once('error', fail);
    const send = (): void => {
      let head = '';
      sock.setEncoding('latin1');
      sock.on('data', (d: string) => {
        head += d;
        const eol = head.indexOf('\r\n');
        if (eol < 0) {
          if (head.length > 8192) done({ ok: false, message: `Get "${url}": malformed HTTP response` });
          return;
        }
        const m = /^HTTP\/\d\.\d (\d{3})/.exec(head.slice(0, eol));
        if (!m) return done({ ok: false, message: `Get "${url}": malformed HTTP response ${JSON.stringify(head.slice(0, Math.min(eol, 40)))}` });
        const status = Number(m[1]);
        done(httpProbePasses(status) ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${status}` });
      });
      sock.once('end', () => done({ ok: false, message: `Get "${url}": EOF` }));
      sock.write(`GET ${check.path} HTTP/1.1\r\nHost: ${hostPort(check.host, check.port)}\r\nUser-Agent: ${PROBE_USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
    };
    raw.once('connect', () => {
      if (check.scheme === 'HTTP') return send();
      // The kubelet does not verify the pod's certificate.
      sock = tls.connect({ socket: raw, rejectUnauthorized: false });
      sock.once('secureConnect', send);
      sock.once('error', (e) => done({ ok: false, message: `Get "${url}": ${e.message}` }));
    });
  });
}

function execCheck(argv: readonly string[], target: ExecTarget, timeoutMs: number): Promise<CheckOutcome> {
  if (target.kind === 'none') return Promise.resolve({ ok: false, message: `cannot exec in container: ${target.reason}` });
  return new Promise((resolve) => {
    let child: ChildProcess;
    if (target.kind === 'running') {
      const [cmd, ...args] = execArgv(target.pid, target.plan, argv);
      child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: {} });
    } else {
      child = spawnSandbox(target.plan, argv, 'pipe', (line) => keep(Buffer.from(`${line}\n`))).child;
    }
    let output = '';
    const keep = (d: Buffer): void => {
      if (output.length < 1024) output += d.toString('utf8');
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let settled = false;
    const done = (o: CheckOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      done({ ok: false, message: `command ${JSON.stringify(argv.join(' '))} timed out` });
    }, timeoutMs);
    child.on('error', (e) => done({ ok: false, message: `exec ${argv[0]}: ${e.message}` }));
    child.on('close', (code) => done(code === 0 ? { ok: true, message: '' } : { ok: false, message: output.trim() || `command ${JSON.stringify(argv.join(' '))} exited with ${code ?? 'a signal'}` }));
  });
}

function describe(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'EHOSTUNREACH':
      return 'no route to host';
    case 'ENETUNREACH':
      return 'network is unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      return e.code ?? e.message;
  }
}
