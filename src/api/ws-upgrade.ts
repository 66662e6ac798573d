// The one WebSocket layer of the streaming subresources (exec/attach and port-forward): the
// npm package `ws` frames, answers pings and closes; this module only picks the subprotocol
// and hands the upgraded socket to it. `ws` checks offered subprotocols as RFC 7230 tokens,
// which port-forward's `SPDY/3.1+portforward.k8s.io` is not (its '/'), so the choice is made
// here, the offer taken off the request and the chosen name written into the 101 answer.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/** kubectl's stdin chunks are 32 KiB and its SPDY frames smaller; anything near this is not kubectl. */
const MAX_MESSAGE = 64 * 1024 * 1024;

const chosen = new WeakMap<http.IncomingMessage, string>();

// (closeTimeout is newer than @types/ws, which does not name it yet.)
const options = {
  noServer: true,
  // kubectl never offers permessage-deflate; never negotiating it keeps each message a plain frame.
  perMessageDeflate: false,
  maxPayload: MAX_MESSAGE,
  // A peer that does not answer our close frame: its TCP connection ends after a second.
  closeTimeout: 1000,
};
const server = new WebSocketServer(options);
server.on('headers', (headers: string[], req: http.IncomingMessage) => {
  const protocol = chosen.get(req);
  if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
});

/** The first protocol of ours (in our order of preference) that the client offered; null when none is. */
export function pickSubprotocol(offered: string | string[] | undefined, ours: readonly string[]): string | null {
  const theirs = new Set([offered ?? []].flat().flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean));
  return ours.find((p) => theirs.has(p)) ?? null;
}

/** Why a request is not a WebSocket upgrade we can take, in kube-apiserver's words; '' when it is. */
export function notWebSocket(headers: http.IncomingHttpHeaders): string {
  const upgrade = String(headers.upgrade ?? '').toLowerCase();
  if (upgrade !== 'websocket') return `unable to upgrade: the protocol "${headers.upgrade ?? ''}" is not served (only websocket)`;
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) return 'websocket: not a websocket handshake: Sec-WebSocket-Key is missing or invalid';
  if (headers['sec-websocket-version'] !== '13') return 'websocket: unsupported version: 13 not found in Sec-Websocket-Version header';
  return '';
}

/** Completes the upgrade with `protocol` as the subprotocol and gives the open WebSocket to `open`. */
export function acceptWebSocket(req: http.IncomingMessage, socket: Duplex, head: Buffer, protocol: string, open: (ws: WebSocket) => void): void {
  chosen.set(req, protocol);
  delete req.headers['sec-websocket-protocol'];
  server.handleUpgrade(req, socket, head, open);
}

/** Output is paused while this much is queued for the client, and resumed once it has gone out. */
export const HIGH_WATER = 256 * 1024;

/** Sends one message, pausing `source` until the socket has sent what is queued when too much is. */
export function sendPaced(ws: WebSocket, data: Buffer, source?: { pause(): void; resume(): void; isPaused(): boolean }): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(data, () => {
    if (source?.isPaused() && ws.bufferedAmount < HIGH_WATER) source.resume();
  });
  if (source && ws.bufferedAmount >= HIGH_WATER) source.pause();
}
