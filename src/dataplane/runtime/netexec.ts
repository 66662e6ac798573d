// A pod's built-in server, compatible with agnhost `netexec` (kubernetes
// test/images/agnhost/netexec) for what the e2e tests and people use: HTTP /hostname,
// /hostName, /clientip, /echo, /healthz, /dial, /redirect and / ("NOW: ..."); UDP
// `hostname`, `echo <text>`, `clientip`. Not served: /shell, /upload, /exit, /shutdown
// (one runtime serves every pod of a node; a pod cannot exit it).
//
// Differences from agnhost, on purpose: /healthz answers 503 while the pod is marked
// unhealthy (a flag set through the runtime's control socket), 200 otherwise.
// Quirks kept: UDP commands are lower-cased before answering (so `echo Hi` answers `hi`);
// /dial answers 200 even when every try failed, and lists "responses" only when the last
// try got a non-empty answer; its JSON has Go's key order and HTML escaping.
import dgram from 'node:dgram';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { isIP } from 'node:net';
import { budgetOf, limitConnections } from './conn-limit.js';
import { NetnsSwitch, type Protocol } from './netns.js';
import { ResolveError, resolveInPod } from './resolve.js';

/** What the responder knows of its pod; the runtime updates these in place. */
export interface PodContext {
  readonly ref: string;
  readonly netns: string;
  hostname: string;
  healthy: boolean;
  /** Paths the pod's httpGet probes ask besides /healthz: they answer 503 too while unhealthy. */
  probePaths?: ReadonlySet<string>;
}

export interface NetexecOptions {
  readonly sockets: NetnsSwitch;
  /** Per /dial try (agnhost: 5 s). */
  readonly dialTimeoutMs: number;
  /** Open connections the pod's TCP servers hold at most, together (conn-limit.ts); none when absent. */
  readonly connectionsPerPod?: number;
}

/** `ip:port` as Go prints a net.Addr: IPv4-mapped IPv6 shown as IPv4, IPv6 in brackets. */
export function formatAddr(address: string | undefined, port: number | undefined): string {
  let a = address ?? '';
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  return `${isIP(a) === 6 ? `[${a}]` : a}:${port ?? 0}`;
}

/** The UDP server's answer to one datagram, or null for no answer. */
export function udpAnswer(pod: PodContext, datagram: string, client: { address: string; port: number }): string | null {
  const text = datagram.trim().toLowerCase();
  if (text === 'hostname') return pod.hostname;
  if (text.startsWith('echo ')) return text.slice(5);
  if (text === 'clientip') return formatAddr(client.address, client.port);
  return null;
}

/** Go's encoding/json output for map[string][]string: sorted keys, <>& escaped. */
export function goJson(value: Record<string, readonly string[]>): string {
  const sorted = Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]]));
  return JSON.stringify(sorted)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Go's time.Time.String(), in UTC, without the monotonic part. */
function goNow(): string {
  const d = new Date();
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)} +0000 UTC`;
}

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

function text(status: number, body: string): Reply {
  return { status, body };
}

/** Go's http.Error: the message and a newline, nosniff. */
function httpError(status: number, message: string): Reply {
  return { status, body: `${message}\n`, headers: { 'X-Content-Type-Options': 'nosniff' } };
}

/** The HTTP request handler for one pod's servers. */
export function netexecHandler(pod: PodContext, options: NetexecOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    answer(pod, options, req).then(
      (r) => send(res, r),
      (e: unknown) => send(res, httpError(500, String((e as Error)?.message ?? e))),
    );
  };
}

function send(res: ServerResponse, r: Reply): void {
  if (res.destroyed) return;
  res.writeHead(r.status, { 'Content-Type': 'text/plain; charset=utf-8', ...r.headers });
  res.end(r.body);
}

async function answer(pod: PodContext, options: NetexecOptions, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://pod');
  const q = url.searchParams;
  if (!pod.healthy && pod.probePaths?.has(url.pathname)) return text(503, '');
  switch (url.pathname) {
    case '/hostname':
    case '/hostName':
      return text(200, pod.hostname);
    case '/clientip':
      return text(200, formatAddr(req.socket.remoteAddress, req.socket.remotePort));
    case '/healthz':
      return text(pod.healthy ? 200 : 503, '');
    case '/echo': {
      const msg = q.get('msg') ?? '';
      const code = q.get('code') ?? '';
      if (code === '') return text(200, msg);
      const n = Number(code);
      if (!/^[+-]?\d+$/.test(code)) return text(200, `argument 'code' must be an integer or empty, got "${code}"\n`);
      return text(n >= 100 && n <= 999 ? n : 500, msg);
    }
    case '/redirect': {
      const location = q.get('location') ?? '';
      const code = q.get('code') ?? '';
      if (code !== '' && !/^\d+$/.test(code)) return text(200, `argument 'code' must be an integer or empty, got "${code}"\n`);
      const status = code === '' ? 302 : Number(code);
      return { status, body: '', headers: { Location: location } };
    }
    case '/dial':
      return dial(pod, options, q);
    case '/shell':
    case '/upload':
    case '/exit':
    case '/shutdown':
      return httpError(501, `${url.pathname} is not served by knet's pod runtime`);
    default:
      return text(200, `NOW: ${goNow()}`);
  }
}

// ---- /dial ---------------------------------------------------------------------------

async function dial(pod: PodContext, options: NetexecOptions, q: URLSearchParams): Promise<Reply> {
  const host = q.get('host') ?? '';
  const port = q.get('port') ?? '';
  const request = q.get('request') ?? '';
  const protocol = (q.get('protocol') ?? '').toLowerCase();
  const triesParam = q.get('tries') ?? '';
  let tries = 1;
  if (triesParam !== '') {
    if (!/^[+-]?\d+$/.test(triesParam)) return httpError(400, `tries parameter is invalid. strconv.Atoi: parsing "${triesParam}": invalid syntax`);
    tries = Number(triesParam);
  }
  if (request === '') return httpError(400, 'request parameter not specified. <nil>');
  if (protocol !== '' && protocol !== 'http' && protocol !== 'udp') return httpError(400, `unsupported protocol. ${protocol}`);
  const portNum = Number(port);
  if (!/^\d+$/.test(port) || portNum > 65535) return httpError(400, `host and/or port param are invalid. address ${host}:${port}: invalid port`);

  let ip: string;
  try {
    const addrs = await resolveInPod(options.sockets, pod.netns, host === '' ? '127.0.0.1' : host, options.dialTimeoutMs);
    ip = addrs[0]!;
  } catch (e) {
    if (e instanceof ResolveError) return httpError(400, `host and/or port param are invalid. ${e.message}`);
    throw e;
  }

  const dialer = protocol === 'udp' ? dialUdp : dialHttp;
  const errors: string[] = [];
  const responses: string[] = [];
  let last = '';
  for (let i = 0; i < tries; i++) {
    try {
      last = await dialer(pod, options, ip, portNum, request);
      responses.push(last);
    } catch (e) {
      last = '';
      errors.push((e as Error).message);
    }
  }
  const out: Record<string, string[]> = {};
  if (last.length > 0) out.responses = responses;
  if (errors.length > 0) out.errors = errors;
  return text(200, goJson(out));
}

const GO_ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EPIPE: 'broken pipe',
};

function goErrnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return (code && GO_ERRNO_TEXT[code]) ?? (e as Error)?.message ?? String(e);
}

/** A TCP connection made from inside the pod's namespace. */
export function connectFromPod(sockets: NetnsSwitch, netns: string, ip: string, port: number): net.Socket {
  const { fd } = sockets.clientSocket(netns, 'TCP', isIP(ip) === 6 ? 6 : 4);
  // manualStart: do not start reading an fd that is not connected yet; connect() starts it.
  const sock = new net.Socket({ fd, readable: true, writable: true, manualStart: true } as net.SocketConstructorOpts);
  return sock.connect(port, ip);
}

/** agnhost's dialHTTP: GET http://ip:port/<request>, the body on any status, 5 s for everything. */
function dialHttp(pod: PodContext, options: NetexecOptions, ip: string, port: number, request: string): Promise<string> {
  const addr = formatAddr(ip, port);
  const url = `http://${addr}/${request}`;
  return new Promise((resolve, reject) => {
    let sock: net.Socket;
    try {
      sock = connectFromPod(options.sockets, pod.netns, ip, port);
    } catch (e) {
      reject(new Error(`Get "${url}": dial tcp ${addr}: socket: ${(e as Error).message}`));
      return;
    }
    let phase: 'dial' | 'headers' | 'body' = 'dial';
    let done = false;
    const finish = (err: string | null, body = ''): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err === null) resolve(body);
      else reject(new Error(`Get "${url}": ${err}`));
    };
    const timer = setTimeout(
      () => finish(`context deadline exceeded (Client.Timeout exceeded while ${phase === 'body' ? 'reading body' : 'awaiting headers'})`),
      options.dialTimeoutMs,
    );
    sock.on('connect', () => {
      phase = 'headers';
    });
    const req = http.request({
      host: ip,
      port,
      path: `/${request}`,
      method: 'GET',
      headers: { 'User-Agent': 'Go-http-client/1.1', 'Accept-Encoding': 'identity' },
      createConnection: () => sock,
    });
    req.on('error', (e) => finish(phase === 'dial' ? `dial tcp ${addr}: connect: ${goErrnoText(e)}` : goErrnoText(e)));
    req.on('response', (res) => {
      phase = 'body';
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => finish(goErrnoText(e)));
      res.on('end', () => finish(null, Buffer.concat(chunks).toString('utf8')));
    });
    req.end();
  });
}

/** agnhost's dialUDP: send the request, wait for one datagram. */
function dialUdp(pod: PodContext, options: NetexecOptions, ip: string, port: number, request: string): Promise<string> {
  const family = isIP(ip) === 6 ? 6 : 4;
  const remote = formatAddr(ip, port);
  return new Promise((resolve, reject) => {
    let fd: number;
    try {
      fd = options.sockets.clientSocket(pod.netns, 'UDP', family).fd;
    } catch (e) {
      reject(new Error(`udp dial failed. err:${(e as Error).message}`));
      return;
    }
    const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const local = (): string => {
      try {
        const a = sock.address();
        return formatAddr(a.address, a.port);
      } catch {
        return family === 6 ? '[::]:0' : '0.0.0.0:0';
      }
    };
    const finish = (err: Error | null, value = ''): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`reading from udp connection failed. err:'read udp ${local()}->${remote}: i/o timeout'`)), options.dialTimeoutMs);
    sock.on('error', (e) => finish(new Error(`reading from udp connection failed. err:'read udp ${local()}->${remote}: read: ${goErrnoText(e)}'`)));
    sock.on('message', (msg) => {
      if (msg.length === 0) return;
      finish(null, msg.toString('utf8'));
    });
    sock.bind({ fd }, () => {
      // Connected, so an ICMP port unreachable comes back as ECONNREFUSED, as in Go.
      sock.connect(port, ip, () => {
        sock.send(request, (e) => {
          if (e) finish(new Error(`udp connection write failed. err:write udp ${local()}->${remote}: ${goErrnoText(e)}`));
        });
      });
    });
  });
}

// ---- servers -------------------------------------------------------------------------

/** A listening server of one pod; close() stops it and drops its connections. */
export interface PodServer {
  readonly protocol: Protocol;
  readonly port: number;
  close(): Promise<void>;
  /**
   * A graceful stop (what the built-in server does on SIGTERM): no new connections, requests
   * in flight answered, keep-alive connections closed after their answer; resolves when the
   * last connection is gone. Absent: close() is the stop.
   */
  drain?(): Promise<void>;
}

/**
 * Opens the pod's server on `port`, inside its namespace. Rejects with a SyscallError
 * (code 'EADDRINUSE', 'ENOENT' for a missing namespace, ...) when it cannot.
 */
export async function openPodServer(pod: PodContext, protocol: Protocol, port: number, options: NetexecOptions): Promise<PodServer> {
  const { fd, family } = options.sockets.serverSocket(pod.netns, protocol, port);
  if (protocol === 'TCP') {
    const handler = netexecHandler(pod, options);
    let draining = false;
    // Draining: every answer says `Connection: close`, so keep-alive clients go elsewhere.
    const server = http.createServer((req, res) => {
      if (draining) res.shouldKeepAlive = false;
      handler(req, res);
    });
    server.keepAliveTimeout = 5000;
    if (options.connectionsPerPod !== undefined) limitConnections(server, budgetOf(pod, pod.ref, options.connectionsPerPod));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => process.stderr.write(`knet runtime: ${pod.ref} TCP ${port}: ${e.message}\n`));
    return {
      protocol,
      port,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
      drain: () =>
        new Promise<void>((resolve) => {
          draining = true;
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    };
  }
  const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  sock.on('message', (msg, rinfo) => {
    const reply = udpAnswer(pod, msg.toString('utf8'), rinfo);
    if (reply !== null) sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ fd }, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', (e) => process.stderr.write(`knet runtime: ${pod.ref} UDP ${port}: ${e.message}\n`));
  return {
    protocol,
    port,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
