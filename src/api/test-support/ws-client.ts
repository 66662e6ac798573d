// A WebSocket client just big enough to play kubectl in tests and the exec benchmark: the
// upgrade request with a subprotocol offer, masked frames out, the server's frames in.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { closePayload, encodeFrame, FrameReader, MessageAssembler, OPCODE } from '../websocket.js';

export interface WsClient {
  readonly protocol: string;
  send(data: Buffer): void;
  sendRaw(bytes: Buffer): void;
  close(code?: number): void;
  /** Every data message until the server closes. */
  readonly messages: Buffer[];
  readonly closed: Promise<{ code: number }>;
  readonly socket: Duplex;
}

export interface WsTarget {
  readonly url: string;
  readonly protocols: readonly string[];
  /** For https: the client's certificate and the CA (from a kubeconfig). */
  readonly tls?: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
}

/** Opens the WebSocket; rejects with the HTTP status and body when the server does not upgrade. */
export function connectWs(t: WsTarget): Promise<WsClient> {
  const u = new URL(t.url);
  const headers = {
    Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': t.protocols.join(', '),
  };
  const req = u.protocol === 'https:'
    ? https.request(u, { headers, ca: t.tls?.ca, cert: t.tls?.cert, key: t.tls?.key })
    : http.request(u, { headers });
  return new Promise((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
    });
    req.on('upgrade', (res, socket, head) => {
      const reader = new FrameReader(false);
      const assembler = new MessageAssembler();
      const messages: Buffer[] = [];
      let onClose: (v: { code: number }) => void = () => {};
      const closed = new Promise<{ code: number }>((r) => (onClose = r));
      let code = 1006;
      const take = (chunk: Buffer): void => {
        for (const f of reader.push(chunk)) {
          const m = assembler.add(f);
          if (!m) continue;
          if (m.opcode === OPCODE.close) {
            code = m.data.length >= 2 ? m.data.readUInt16BE(0) : 1005;
            socket.write(encodeFrame(OPCODE.close, m.data.subarray(0, 2), { mask: randomBytes(4) }));
            socket.end();
          } else if (m.opcode === OPCODE.text || m.opcode === OPCODE.binary) {
            messages.push(m.data);
          }
        }
      };
      socket.on('data', take);
      socket.on('close', () => onClose({ code }));
      socket.on('error', () => onClose({ code }));
      if (head.length > 0) take(head);
      resolve({
        protocol: String(res.headers['sec-websocket-protocol'] ?? ''),
        send: (data) => socket.write(encodeFrame(OPCODE.binary, data, { mask: randomBytes(4) })),
        sendRaw: (bytes) => socket.write(bytes),
        close: (c = 1000) => socket.write(encodeFrame(OPCODE.close, closePayload(c), { mask: randomBytes(4) })),
        messages, closed, socket,
      });
    });
    req.end();
  });
}
