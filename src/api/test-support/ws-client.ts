// A WebSocket client to play kubectl in tests and the exec benchmark: `ws`'s client with the
// subprotocol offer, every data message collected until the server closes, and a refusal
// (an answer that is not 101) turned into its HTTP status and body.
import WebSocket from 'ws';

export interface WsClient {
  readonly protocol: string;
  send(data: Buffer): void;
  close(code?: number): void;
  /** Every data message until the server closes. */
  readonly messages: Buffer[];
  readonly closed: Promise<{ code: number }>;
}

export interface WsTarget {
  readonly url: string;
  readonly protocols: readonly string[];
  /** For https: the client's certificate and the CA (from a kubeconfig). */
  readonly tls?: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
}

/** Opens the WebSocket; rejects with the HTTP status and body when the server does not upgrade. */
export function connectWs(t: WsTarget): Promise<WsClient> {
  const ws = new WebSocket(t.url.replace(/^http/, 'ws'), [...t.protocols], { ...t.tls, perMessageDeflate: false });
  const messages: Buffer[] = [];
  const closed = new Promise<{ code: number }>((r) => ws.on('close', (code) => r({ code })));
  ws.on('message', (data: Buffer) => messages.push(data));
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
    });
    ws.on('error', reject);
    ws.on('open', () => resolve({
      protocol: ws.protocol,
      send: (data) => ws.send(data),
      close: (code = 1000) => ws.close(code),
      messages, closed,
    }));
  });
}
