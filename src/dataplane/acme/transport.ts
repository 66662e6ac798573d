// HTTP(S) requests made from inside a network namespace without a process of their own:
// the name resolved as the pod resolves it (its /etc/netns hosts and resolv.conf, UDP from
// inside), the TCP socket made inside the namespace (NetnsSwitch), TLS on top with the CA
// bundle given. Errors are worded like Go's net/http client, as cert-manager reports them.
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { NetnsSwitch } from '../runtime/netns.js';
import { ResolveError, resolveInPod } from '../runtime/resolve.js';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'HEAD';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

/** A failed request, with the text Go's client would print after `Get "URL": `. */
export class TransportError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'TransportError';
  }
}

export interface NetnsTransportOptions {
  readonly ca?: string;
  readonly timeoutMs?: number;
}

export function netnsTransport(sw: NetnsSwitch, netns: string, options: NetnsTransportOptions = {}): Transport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (req) => {
    const url = new URL(req.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const https = url.protocol === 'https:';
    const port = Number(url.port || (https ? 443 : 80));
    let ip: string;
    try {
      ip = (await resolveInPod(sw, netns, host, Math.min(timeoutMs, 5000)))[0]!;
    } catch (e) {
      throw new TransportError(e instanceof ResolveError ? `dial tcp: ${e.message}` : String(e));
    }
    const family = net.isIP(ip) === 6 ? 6 : 4;
    return new Promise<HttpResponse>((resolve, reject) => {
      const { fd } = sw.clientSocket(netns, 'TCP', family);
      const raw = new net.Socket({ fd, readable: true, writable: true, manualStart: true } as net.SocketConstructorOpts);
      const where = `${family === 6 ? `[${ip}]` : ip}:${port}`;
      let connected = false;
      raw.once('connect', () => { connected = true; });
      raw.connect(port, ip); // before TLS wraps it: TLS waits for a connecting socket's 'connect'
      const sock: net.Socket = https ? tls.connect({ socket: raw, host, servername: net.isIP(host) ? undefined : host, ...(options.ca ? { ca: options.ca } : {}) }) : raw;
      const fail = (e: Error & { code?: string }) => {
        clearTimeout(timer);
        raw.destroy();
        reject(new TransportError(goError(e, where, connected)));
      };
      const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
      const request = http.request({
        method: req.method, host, port, path: `${url.pathname}${url.search}`,
        headers: { host: url.host, 'user-agent': 'knet-cert-manager', ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}), ...req.headers },
        createConnection: () => sock,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          sock.destroy();
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
        });
        res.on('error', fail);
      });
      request.on('error', fail);
      request.end(req.body);
    });
  };
}

/** Node's error as Go's net/http words it (what cert-manager puts in a Challenge's reason). */
function goError(e: Error & { code?: string }, where: string, connected: boolean): string {
  switch (e.code) {
    case 'ECONNREFUSED': return `dial tcp ${where}: connect: connection refused`;
    case 'EHOSTUNREACH': return `dial tcp ${where}: connect: no route to host`;
    case 'ENETUNREACH': return `dial tcp ${where}: connect: network is unreachable`;
    case 'ECONNRESET': return connected ? 'read: connection reset by peer' : `dial tcp ${where}: connect: connection reset by peer`;
    case 'ETIMEDOUT': return connected
      ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
      : `dial tcp ${where}: i/o timeout`;
    default:
      if (/certificate|self.signed|unable to verify/i.test(e.message)) return `tls: failed to verify certificate: ${e.message}`;
      return e.message;
  }
}
