// SPDY/3.1 frames as data: what `kubectl port-forward` speaks to the API server (Kubernetes'
// spdystream, tunnelled in a WebSocket or over a raw HTTP upgrade). Encoding and decoding are
// pure; `FrameReader` cuts a byte stream into frames. Header blocks stay opaque (compressed)
// here: spdy-headers.ts turns them into names and values.
//
// The wire (SPDY/3.1 §2.2): a control frame is C=1, a 15-bit version (3), a 16-bit type, 8 bits
// of flags and a 24-bit length; a data frame is C=0, a 31-bit stream id, flags and length.

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
/** The largest payload a 24-bit length can carry. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/** RST_STREAM status codes (§2.6.3). */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** GOAWAY status codes (§2.6.6). */
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

export type Frame =
  | { readonly type: 'data'; readonly streamId: number; readonly flags: number; readonly data: Buffer }
  | { readonly type: 'syn_stream'; readonly streamId: number; readonly associatedId: number; readonly priority: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly type: 'syn_reply'; readonly streamId: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly type: 'rst_stream'; readonly streamId: number; readonly status: number }
  | { readonly type: 'settings'; readonly flags: number; readonly entries: readonly { readonly flags: number; readonly id: number; readonly value: number }[] }
  | { readonly type: 'ping'; readonly id: number }
  | { readonly type: 'goaway'; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly type: 'headers'; readonly streamId: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly type: 'window_update'; readonly streamId: number; readonly delta: number }
  | { readonly type: 'unknown'; readonly controlType: number; readonly flags: number; readonly payload: Buffer };

const CONTROL_TYPES = { syn_stream: 1, syn_reply: 2, rst_stream: 3, settings: 4, ping: 6, goaway: 7, headers: 8, window_update: 9 } as const;

const ID_MASK = 0x7fffffff;

/** One frame as bytes. */
export function encodeFrame(f: Frame): Buffer {
  switch (f.type) {
    case 'data': {
      const b = Buffer.allocUnsafe(8 + f.data.length);
      b.writeUInt32BE(f.streamId & ID_MASK, 0);
      writeFlagsLength(b, f.flags, f.data.length);
      f.data.copy(b, 8);
      return b;
    }
    case 'syn_stream': {
      const p = Buffer.alloc(10);
      p.writeUInt32BE(f.streamId & ID_MASK, 0);
      p.writeUInt32BE(f.associatedId & ID_MASK, 4);
      p[8] = (f.priority & 0x7) << 5; // 3 bits of priority, 5 unused; then the slot (0)
      return control(CONTROL_TYPES.syn_stream, f.flags, Buffer.concat([p, f.headerBlock]));
    }
    case 'syn_reply':
    case 'headers':
      return control(CONTROL_TYPES[f.type], f.flags, Buffer.concat([u32(f.streamId & ID_MASK), f.headerBlock]));
    case 'rst_stream':
      return control(CONTROL_TYPES.rst_stream, 0, Buffer.concat([u32(f.streamId & ID_MASK), u32(f.status)]));
    case 'settings': {
      const p = Buffer.alloc(4 + 8 * f.entries.length);
      p.writeUInt32BE(f.entries.length, 0);
      f.entries.forEach((e, i) => {
        p.writeUInt32BE(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 4 + 8 * i);
        p.writeUInt32BE(e.value >>> 0, 8 + 8 * i);
      });
      return control(CONTROL_TYPES.settings, f.flags, p);
    }
    case 'ping':
      return control(CONTROL_TYPES.ping, 0, u32(f.id >>> 0));
    case 'goaway':
      return control(CONTROL_TYPES.goaway, 0, Buffer.concat([u32(f.lastGoodStreamId & ID_MASK), u32(f.status)]));
    case 'window_update':
      return control(CONTROL_TYPES.window_update, 0, Buffer.concat([u32(f.streamId & ID_MASK), u32(f.delta & ID_MASK)]));
    case 'unknown':
      return control(f.controlType, f.flags, f.payload);
  }
}

/** A DATA frame's 8-byte header alone: the payload can then be written as it is, uncopied. */
export function dataFrameHeader(streamId: number, flags: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(streamId & ID_MASK, 0);
  writeFlagsLength(b, flags, length);
  return b;
}

/** The frame whose 8-byte header and payload are `b` (exactly one frame); throws on a malformed one. */
export function decodeFrame(b: Buffer): Frame {
  const flags = b[4]!;
  const payload = b.subarray(8);
  if ((b[0]! & 0x80) === 0) return { type: 'data', streamId: b.readUInt32BE(0) & ID_MASK, flags, data: payload };
  const version = b.readUInt16BE(0) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  const type = b.readUInt16BE(2);
  const need = (n: number): void => {
    if (payload.length < n) throw new SpdyProtocolError(`control frame type ${type} too short: ${payload.length} bytes`);
  };
  switch (type) {
    case CONTROL_TYPES.syn_stream:
      need(10);
      return {
        type: 'syn_stream', streamId: payload.readUInt32BE(0) & ID_MASK, associatedId: payload.readUInt32BE(4) & ID_MASK,
        priority: payload[8]! >> 5, flags, headerBlock: payload.subarray(10),
      };
    case CONTROL_TYPES.syn_reply:
      need(4);
      return { type: 'syn_reply', streamId: payload.readUInt32BE(0) & ID_MASK, flags, headerBlock: payload.subarray(4) };
    case CONTROL_TYPES.headers:
      need(4);
      return { type: 'headers', streamId: payload.readUInt32BE(0) & ID_MASK, flags, headerBlock: payload.subarray(4) };
    case CONTROL_TYPES.rst_stream:
      need(8);
      return { type: 'rst_stream', streamId: payload.readUInt32BE(0) & ID_MASK, status: payload.readUInt32BE(4) };
    case CONTROL_TYPES.settings: {
      need(4);
      const n = payload.readUInt32BE(0);
      need(4 + 8 * n);
      const entries = Array.from({ length: n }, (_, i) => {
        const head = payload.readUInt32BE(4 + 8 * i);
        return { flags: head >>> 24, id: head & 0xffffff, value: payload.readUInt32BE(8 + 8 * i) };
      });
      return { type: 'settings', flags, entries };
    }
    case CONTROL_TYPES.ping:
      need(4);
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case CONTROL_TYPES.goaway:
      need(4);
      // SPDY/3 added the status; accept a SPDY/2-sized one without it.
      return { type: 'goaway', lastGoodStreamId: payload.readUInt32BE(0) & ID_MASK, status: payload.length >= 8 ? payload.readUInt32BE(4) : 0 };
    case CONTROL_TYPES.window_update:
      need(8);
      return { type: 'window_update', streamId: payload.readUInt32BE(0) & ID_MASK, delta: payload.readUInt32BE(4) & ID_MASK };
    default:
      // §2.2.1: an unrecognised control frame type is ignored.
      return { type: 'unknown', controlType: type, flags, payload };
  }
}

/** A peer that broke the protocol: the session ends with GOAWAY PROTOCOL_ERROR. */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}

/** Cuts a byte stream into whole frames, however the transport split it. */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** The frames completed by `chunk`, in order. */
  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Frame[] = [];
    while (this.pendingBytes >= 8) {
      const head = this.peek(8);
      const length = head.readUIntBE(5, 3);
      if (this.pendingBytes < 8 + length) break;
      frames.push(decodeFrame(this.take(8 + length)));
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length >= n) return this.pending[0]!.subarray(0, n);
    this.pending = [Buffer.concat(this.pending)];
    return this.pending[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.pending[0]!.length < n) this.pending = [Buffer.concat(this.pending)];
    const first = this.pending[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.pending.shift();
    else this.pending[0] = first.subarray(n);
    this.pendingBytes -= n;
    return out;
  }
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new Error(`SPDY control frame of ${payload.length} bytes is too large`);
  const b = Buffer.allocUnsafe(8 + payload.length);
  b.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  b.writeUInt16BE(type, 2);
  writeFlagsLength(b, flags, payload.length);
  payload.copy(b, 8);
  return b;
}

function writeFlagsLength(b: Buffer, flags: number, length: number): void {
  if (length > MAX_FRAME_PAYLOAD) throw new Error(`SPDY frame of ${length} bytes is too large`);
  b[4] = flags & 0xff;
  b.writeUIntBE(length, 5, 3);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}
