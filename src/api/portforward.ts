// `kubectl port-forward`: the pod's portforward subresource. kubectl (1.31+) first asks for a
// WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io` and speaks SPDY inside its binary
// messages (kube-apiserver's tunnelling); when that upgrade is refused it falls back to a raw
// `Upgrade: SPDY/3.1` with `X-Stream-Protocol-Version: portforward.k8s.io`. Either way the
// SPDY session is portforward-session.ts's; the pod's port is reached from inside the pod's
// network namespace (a socket made there, dataplane/runtime/netns.ts): the emulated network
// stays sealed from the host, and no process is started per connection.
import type http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { getSystemErrorMap } from 'node:util';
import { createWebSocketStream, type WebSocket } from 'ws';
import type { Daemon } from '../daemon/daemon.js';
import { NetnsSwitch } from '../dataplane/runtime/netns.js';
import { netnsPath } from '../dataplane/run.js';
import { PortForwardSession, type PodDialer } from './portforward-session.js';
import type { UpgradeHandler } from './upgrade.js';
import { refuseUpgrade } from './upgrade.js';
import { acceptWebSocket, pickSubprotocol } from './ws-upgrade.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const SPDY_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/** How the client asked to upgrade, or why it cannot be served (kube-apiserver's words). */
export type Negotiation =
  | { readonly kind: 'websocket' }
  | { readonly kind: 'spdy' }
  | { readonly kind: 'refused'; readonly code: number; readonly reason: string; readonly message: string; readonly accepted?: string };

/** Decides the upgrade from the request's headers alone. */
export function negotiate(headers: http.IncomingHttpHeaders): Negotiation {
  const upgrade = String(headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    if (pickSubprotocol(headers['sec-websocket-protocol'], [SPDY_TUNNEL_PROTOCOL])) return { kind: 'websocket' };
    const offered = String(headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    return { kind: 'refused', code: 400, reason: 'BadRequest', message: `unable to upgrade: port-forward over WebSockets needs the subprotocol ${SPDY_TUNNEL_PROTOCOL}; offered: [${offered.join(' ')}]` };
  }
  if (upgrade === 'spdy/3.1') {
    const offered = ([] as string[]).concat(headers['x-stream-protocol-version'] ?? []).flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean);
    if (offered.includes(PORT_FORWARD_PROTOCOL)) return { kind: 'spdy' };
    // apimachinery's httpstream.Handshake: 403 and the versions it accepts.
    return {
      kind: 'refused', code: 403, reason: 'Forbidden', accepted: PORT_FORWARD_PROTOCOL,
      message: `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${PORT_FORWARD_PROTOCOL}]`,
    };
  }
  return { kind: 'refused', code: 400, reason: 'BadRequest', message: 'Upgrade request required' };
}

/** Where a pod's ports are, or the API's answer for a pod that cannot be forwarded to. */
export type ForwardTarget =
  | { readonly ok: true; readonly netns: string }
  | { readonly ok: false; readonly code: number; readonly reason: string; readonly message: string };

/** The pod's network namespace (kube-apiserver's and the kubelet's refusals otherwise). */
export function forwardTarget(daemon: Pick<Daemon, 'cluster' | 'plan'>, namespace: string, name: string): ForwardTarget {
  const pod = daemon.cluster.pods.find((p) => p.meta.namespace === namespace && p.meta.name === name);
  if (!pod) return { ok: false, code: 404, reason: 'NotFound', message: `pods "${name}" not found` };
  if (!pod.spec.nodeName) return { ok: false, code: 400, reason: 'BadRequest', message: `pod ${name} does not have a host assigned` };
  const place = daemon.plan.pods.find((p) => p.pod === `${namespace}/${name}`);
  // The kubelet's answer for a pod it does not run (kubectl checks the phase first).
  if (!place) return { ok: false, code: 404, reason: 'NotFound', message: `pod not found ("${name}_${namespace}")` };
  return { ok: true, netns: place.netns };
}

let switcher: NetnsSwitch | null = null;

/**
 * Connects to localhost:PORT inside `netns`, IPv4 then IPv6 as the container runtime does;
 * a refusal is described in its words.
 */
export function netnsDialer(netns: string): PodDialer {
  return async (port) => {
    switcher ??= new NetnsSwitch();
    const sw = switcher;
    let err4: Error;
    try {
      return await connectIn(sw, netns, 4, port);
    } catch (e) {
      err4 = e as Error;
    }
    try {
      return await connectIn(sw, netns, 6, port);
    } catch (err6) {
      throw new Error(`failed to execute portforward in network namespace "${netnsPath(netns)}": failed to connect to localhost:${port} inside namespace "${netns}", IPv4: ${goDialError(err4, 4, port)} IPv6 ${goDialError(err6 as Error, 6, port)} `);
    }
  };
}

function connectIn(sw: NetnsSwitch, netns: string, family: 4 | 6, port: number): Promise<net.Socket> {
  const { fd } = sw.clientSocket(netns, 'TCP', family);
  return new Promise((resolve, reject) => {
    const sock = new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: true, manualStart: true } as net.SocketConstructorOpts);
    const timer = setTimeout(() => sock.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })), 10_000);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    });
    sock.connect(port, family === 4 ? '127.0.0.1' : '::1');
  });
}

/** Go's dial error text: `dial tcp4 127.0.0.1:8080: connect: connection refused`. */
export function goDialError(e: Error, family: 4 | 6, port: number): string {
  const errno = (e as NodeJS.ErrnoException).errno;
  const text = typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined;
  const addr = family === 4 ? `127.0.0.1:${port}` : `[::1]:${port}`;
  return `dial tcp${family} ${addr}: connect: ${text ?? e.message}`;
}

/** Serves one port-forward upgrade: checks the pod, negotiates, then runs the SPDY session. */
export function servePortForwardWith(
  target: { readonly namespace: string; readonly pod: string },
  where: ForwardTarget,
  dialerFor: (netns: string) => PodDialer,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  log?: (line: string) => void,
): void {
  if (!where.ok) return refuseUpgrade(socket, where.code, where.reason, where.message);
  const how = negotiate(req.headers);
  const options = { pod: `${target.namespace}/${target.pod}`, dial: dialerFor(where.netns), log };
  switch (how.kind) {
    case 'refused':
      if (how.accepted) {
        const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: how.message, reason: how.reason, code: how.code });
        socket.end(`HTTP/1.1 ${how.code} Forbidden\r\nX-Accepted-Stream-Protocol-Versions: ${how.accepted}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      return refuseUpgrade(socket, how.code, how.reason, how.message);
    case 'spdy':
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
      new PortForwardSession(socket, options);
      if (head.length) socket.unshift(head);
      return;
    case 'websocket':
      acceptWebSocket(req, socket, head, SPDY_TUNNEL_PROTOCOL, (ws) => {
        new PortForwardSession(messagePerBatch(ws), options);
      });
      return;
  }
}

/**
 * The WebSocket as the session's byte stream: one binary message per write, and the writes of
 * one cork() (a SPDY frame's header and its payload) as one message in fragments, so a DATA
 * frame is one message for Go's tunnelling connection (which reads messages as a byte stream).
 */
function messagePerBatch(ws: WebSocket): Duplex {
  const stream = createWebSocketStream(ws, { allowHalfOpen: false });
  stream._writev = (chunks, callback) => {
    const last = chunks.length - 1;
    chunks.forEach(({ chunk }, i) => {
      if (i < last) ws.send(chunk as Buffer, { fin: false });
      else ws.send(chunk as Buffer, { fin: true }, callback);
    });
  };
  return stream;
}

export const servePortForward: UpgradeHandler = (daemon, target, req, socket, head) => {
  servePortForwardWith(target, forwardTarget(daemon, target.namespace, target.pod), netnsDialer, req, socket, head, daemon.log);
};
