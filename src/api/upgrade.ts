// Upgraded connections (Connection: Upgrade) on the API's listeners: the streaming subresources
// kubectl opens as WebSockets (exec and attach over v5.channel.k8s.io; port-forward tunnelling
// SPDY), each handled by its own module. Anything else is refused the way kube-apiserver
// refuses it, with a Status, and the socket closed.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Daemon } from '../daemon/daemon.js';
import { serveExec } from './exec-stream.js';
import { servePortForward } from './portforward.js';

/** One streaming subresource: takes over the socket (or answers and closes it). */
export type UpgradeHandler = (daemon: Daemon, target: UpgradeTarget, req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What the URL names: /api/v1/namespaces/NS/pods/NAME/SUB. */
export interface UpgradeTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly subresource: string;
  readonly url: URL;
}

/** The pod subresource an upgrade asks for, or null for any other path. */
export function upgradeTarget(rawUrl: string | undefined): UpgradeTarget | null {
  const url = new URL(rawUrl ?? '/', 'http://knet');
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) return null;
  return { namespace: decodeURIComponent(m[1]!), pod: decodeURIComponent(m[2]!), subresource: m[3]!, url };
}

/** Writes a plain HTTP answer with a Status body on a socket that was not upgraded, and closes it. */
export function refuseUpgrade(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  const phrase = code === 404 ? 'Not Found' : code === 400 ? 'Bad Request' : code === 403 ? 'Forbidden' : 'Error';
  socket.end(`HTTP/1.1 ${code} ${phrase}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The handlers by subresource. */
const handlers = new Map<string, UpgradeHandler>([
  ['exec', serveExec],
  ['attach', serveExec],
  ['portforward', servePortForward],
]);

/** The `upgrade` listener for a server that serves `daemon`'s API. */
export function apiUpgrade(daemon: Daemon): (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const target = upgradeTarget(req.url);
    const handler = target ? handlers.get(target.subresource) : undefined;
    if (!target || !handler) return refuseUpgrade(socket, 400, 'BadRequest', `the server does not allow upgrading the connection at ${req.url ?? '/'}`);
    try {
      handler(daemon, target, req, socket, head);
    } catch (e) {
      refuseUpgrade(socket, 500, 'InternalError', (e as Error).message);
    }
  };
}
