// WebSocket (RFC 6455), server side, as the streaming subresources need it: the handshake
// (Sec-WebSocket-Accept, the subprotocol chosen from the client's offer), the frame codec
// (client frames masked, ours not; messages reassembled from continuation frames) and one
// connection over an upgraded socket that answers pings and closes cleanly.
import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Larger messages are refused (close 1009): kubectl's stdin chunks are 32 KiB. */
const MAX_MESSAGE = 16 * 1024 * 1024;

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** RFC 6455 §4.2.2: base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** The first protocol of ours (in our order of preference) that the client offered; null when none is. */
export function pickSubprotocol(offered: string | undefined, ours: readonly string[]): string | null {
  const theirs = new Set((offered ?? '').split(',').map((p) => p.trim()).filter(Boolean));
  return ours.find((p) => theirs.has(p)) ?? null;
}

export type Handshake =
  | { readonly kind: 'accept'; readonly response: string }
  | { readonly kind: 'refuse'; readonly message: string };

/** The 101 answer to a WebSocket upgrade request, or why it is not one. */
export function handshake(headers: http.IncomingHttpHeaders, protocol: string | null): Handshake {
  const upgrade = String(headers.upgrade ?? '').toLowerCase();
  if (upgrade !== 'websocket') return { kind: 'refuse', message: `unable to upgrade: the protocol "${headers.upgrade ?? ''}" is not served (only websocket)` };
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) return { kind: 'refuse', message: 'websocket: not a websocket handshake: Sec-WebSocket-Key is missing or invalid' };
  if (headers['sec-websocket-version'] !== '13') return { kind: 'refuse', message: 'websocket: unsupported version: 13 not found in Sec-Websocket-Version header' };
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  return { kind: 'accept', response: `${lines.join('\r\n')}\r\n\r\n` };
}

export interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** One frame on the wire; `mask` (4 bytes) only for a client's frames (tests play the client). */
export function encodeFrame(opcode: number, payload: Buffer, options: { fin?: boolean; mask?: Buffer } = {}): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 0x10000 ? 2 : 8;
  const maskLen = options.mask ? 4 : 0;
  const out = Buffer.allocUnsafe(2 + ext + maskLen + len);
  out[0] = ((options.fin ?? true) ? 0x80 : 0) | opcode;
  out[1] = (maskLen ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) out.writeUInt16BE(len, 2);
  if (ext === 8) out.writeBigUInt64BE(BigInt(len), 2);
  const at = 2 + ext + maskLen;
  if (options.mask) {
    options.mask.copy(out, 2 + ext);
    for (let i = 0; i < len; i++) out[at + i] = payload[i]! ^ options.mask[i & 3]!;
  } else {
    payload.copy(out, at);
  }
  return out;
}

/** A close frame's payload: the code, then the reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

export class ProtocolError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Splits bytes into frames as they arrive (any chunking); throws ProtocolError on what RFC 6455 forbids. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly requireMask: boolean) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const f = this.next();
      if (!f) return frames;
      frames.push(f);
    }
  }

  private next(): Frame | null {
    const b = this.buf;
    if (b.length < 2) return null;
    if (b[0]! & 0x70) throw new ProtocolError(1002, 'reserved bits set');
    const masked = (b[1]! & 0x80) !== 0;
    if (this.requireMask && !masked) throw new ProtocolError(1002, 'client frame not masked');
    let len = b[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (b.length < 10) return null;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(MAX_MESSAGE)) throw new ProtocolError(1009, 'message too big');
      len = Number(big);
      at = 10;
    }
    if (len > MAX_MESSAGE) throw new ProtocolError(1009, 'message too big');
    const mask = masked ? at : -1;
    if (masked) at += 4;
    if (b.length < at + len) return null;
    const payload = Buffer.from(b.subarray(at, at + len));
    if (mask >= 0) for (let i = 0; i < len; i++) payload[i]! ^= b[mask + (i & 3)]!;
    this.buf = b.subarray(at + len);
    return { fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload };
  }
}

/** Whole messages out of frames: continuations joined, control frames passed through as they come. */
export class MessageAssembler {
  private parts: Buffer[] = [];
  private opcode = -1;
  private size = 0;

  /** The complete data message or control frame this frame finishes, if any. */
  add(f: Frame): { opcode: number; data: Buffer } | null {
    if (f.opcode >= 0x8) {
      if (!f.fin || f.payload.length > 125) throw new ProtocolError(1002, 'bad control frame');
      return { opcode: f.opcode, data: f.payload };
    }
    if (f.opcode === OPCODE.continuation) {
      if (this.opcode < 0) throw new ProtocolError(1002, 'continuation without a message');
    } else {
      if (this.opcode >= 0) throw new ProtocolError(1002, 'new message inside a fragmented one');
      if (f.opcode !== OPCODE.text && f.opcode !== OPCODE.binary) throw new ProtocolError(1002, `unknown opcode ${f.opcode}`);
      this.opcode = f.opcode;
    }
    this.size += f.payload.length;
    if (this.size > MAX_MESSAGE) throw new ProtocolError(1009, 'message too big');
    this.parts.push(f.payload);
    if (!f.fin) return null;
    const done = { opcode: this.opcode, data: this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts) };
    this.parts = [];
    this.opcode = -1;
    this.size = 0;
    return done;
  }
}

export interface WebSocketEvents {
  /** A data message (binary or text). */
  readonly message: (data: Buffer) => void;
  /** The connection is over (closed by either side, or broken); called once. */
  readonly close: () => void;
}

/** An accepted WebSocket on an upgraded socket. */
export class WebSocketConnection {
  private closed = false;
  private closing = false;

  constructor(private readonly socket: Duplex, head: Buffer, private readonly on: WebSocketEvents) {
    const reader = new FrameReader(true);
    const assembler = new MessageAssembler();
    const take = (chunk: Buffer): void => {
      try {
        for (const f of reader.push(chunk)) {
          const m = assembler.add(f);
          if (m) this.dispatch(m.opcode, m.data);
        }
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.close(e.code, e.message);
      }
    };
    socket.on('data', take);
    // The peer's FIN: the HTTP server's sockets allow half-open ones, but nothing more can come.
    socket.on('end', () => {
      socket.end();
      this.finish();
    });
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
    if (head.length > 0) queueMicrotask(() => take(head));
  }

  get isOpen(): boolean {
    return !this.closed && !this.closing;
  }

  /** Sends one binary message; false when the socket's buffer is full (wait for `drained`). */
  send(data: Buffer): boolean {
    if (!this.isOpen) return true;
    return this.socket.write(encodeFrame(OPCODE.binary, data));
  }

  /** Resolves when the socket can take more (at once when it can already). */
  drained(): Promise<void> {
    if (!this.isOpen || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Sends a close frame and ends the socket once the peer answers (or after a second). */
  close(code = 1000, reason = ''): void {
    if (!this.isOpen) return;
    this.closing = true;
    this.socket.write(encodeFrame(OPCODE.close, closePayload(code, reason)));
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  private dispatch(opcode: number, data: Buffer): void {
    if (opcode === OPCODE.ping) {
      if (this.isOpen) this.socket.write(encodeFrame(OPCODE.pong, data));
    } else if (opcode === OPCODE.close) {
      // Echo the close (RFC 6455 §5.5.1) unless it answers ours; then the TCP connection ends.
      if (!this.closing) this.socket.write(encodeFrame(OPCODE.close, data.subarray(0, 2)));
      this.closing = true;
      this.socket.end();
      this.finish();
    } else if (opcode !== OPCODE.pong && !this.closing) {
      this.on.message(data);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.on.close();
  }
}
