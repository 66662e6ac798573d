// One `kubectl port-forward` connection, served as the kubelet serves it: a SPDY session in
// which, for each local connection, kubectl opens an error stream and a data stream (headers
// streamType, port, requestID); the pair complete, knet dials the pod's port and pipes the data
// stream to it; a failure is written as text on the error stream. Transport-agnostic: the
// bytes come from a WebSocket (SPDY tunnelled) or from the raw upgraded socket.
//
// Flow control: Kubernetes' SPDY (spdystream) never sends WINDOW_UPDATE nor honours one, so
// neither does this; backpressure is the transport's (TCP, the WebSocket) as it is there.
import type { Duplex } from 'node:stream';
import { dataFrameHeader, encodeFrame, FLAG_FIN, FrameReader, GoAwayStatus, RstStatus, SpdyProtocolError, type Frame } from './spdy-frames.js';
import { HeaderCompressor, HeaderDecompressor } from './spdy-headers.js';

/** Connects to the pod's `port`, or rejects with the runtime's words for why not. */
export type PodDialer = (port: number) => Promise<Duplex>;

export interface SessionOptions {
  /** The pod as the kubelet's messages name it. */
  readonly pod: string;
  readonly dial: PodDialer;
  /** How long the second stream of a pair may take (the kubelet's stream creation timeout). */
  readonly pairTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

type StreamType = 'error' | 'data';

/**
 * Bytes queued toward kubectl before the pods' reads pause: well above a stream's 16 KiB
 * high-water mark, so the pipe stays full across the event loop's turns (measured: waiting
 * for every 64 KiB chunk to drain held a download to a few tens of MB/s on a busy machine).
 */
const SEND_BUFFER = 1024 * 1024;

/**
 * The pod's reads (64 KiB each) that arrive in one turn of the event loop go out as one DATA
 * frame up to this size: fewer frames cost kubectl less per byte (a frame is an allocation and
 * a channel hand-off in spdystream) and the daemon fewer writes.
 */
export const MAX_DATA_FRAME = 1024 * 1024;

interface Stream {
  readonly id: number;
  readonly type: StreamType;
  readonly requestId: string;
  readonly port: number;
  /** knet sent FIN. */
  finished: boolean;
}

interface Pair {
  readonly requestId: string;
  error?: Stream;
  data?: Stream;
  timer?: NodeJS.Timeout;
  pod?: Duplex;
  /** Client bytes that came before the pod's connection was made. */
  early: Buffer[];
  earlyFin: boolean;
  done: boolean;
}

/** What a SYN_STREAM's headers ask for, or the kubelet's words for what is wrong with them. */
export type StreamRequest = { readonly ok: true; readonly type: StreamType; readonly port: number; readonly requestId: string } | { readonly ok: false; readonly error: string };

/** Reads the port-forward headers of a new stream (kubelet's httpStreamReceived and requestID). */
export function streamRequest(headers: ReadonlyMap<string, readonly string[]>, streamId: number): StreamRequest {
  const one = (name: string): string => headers.get(name)?.[0] ?? '';
  const portString = one('port');
  if (!portString) return { ok: false, error: '"port" header is required' };
  const port = /^\d+$/.test(portString) ? Number(portString) : NaN;
  if (!Number.isInteger(port) || port > 65535) return { ok: false, error: `unable to parse "${portString}" as a port` };
  if (port < 1) return { ok: false, error: `port "${portString}" must be > 0` };
  const type = one('streamtype');
  if (type !== 'error' && type !== 'data') return { ok: false, error: `invalid stream type "${type}"` };
  // Clients before requestID: the error stream's id names the pair, its data stream follows it.
  const requestId = one('requestid') || String(type === 'data' ? streamId - 2 : streamId);
  return { ok: true, type, port, requestId };
}

export class PortForwardSession {
  private readonly reader = new FrameReader();
  private readonly inflater = new HeaderDecompressor();
  private readonly deflater = new HeaderCompressor();
  private readonly streams = new Map<number, Stream>();
  private readonly pairs = new Map<string, Pair>();
  private readonly blocked = new Set<Duplex>(); // pods whose writes wait: the transport is paused
  private readonly waiting = new Set<Duplex>(); // pods paused until the transport drains
  private work: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private closed = false;

  constructor(private readonly transport: Duplex, private readonly options: SessionOptions) {
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('drain', () => {
      for (const pod of this.waiting) pod.resume();
      this.waiting.clear();
    });
    // kubectl gone (killed, network cut): every pod connection of this session is closed.
    transport.on('error', () => this.close());
    transport.on('close', () => this.close());
    transport.on('end', () => this.close());
  }

  /** Open pod connections (tests look for leaks here). */
  get openPodConnections(): number {
    return [...this.pairs.values()].filter((p) => p.pod && !p.pod.destroyed).length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pairs.values()) this.finishPair(p);
    this.pairs.clear();
    this.streams.clear();
    this.inflater.close();
    this.transport.destroy();
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      return this.fail(e as Error);
    }
    for (const f of frames) {
      // SYN_STREAM headers inflate asynchronously; later frames wait their turn.
      this.work = this.work.then(() => this.handle(f)).catch((e: unknown) => this.fail(e as Error));
    }
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.options.log?.(`port-forward to ${this.options.pod}: ${e.message}`);
    this.send({ type: 'goaway', lastGoodStreamId: this.lastStreamId, status: e instanceof SpdyProtocolError ? GoAwayStatus.PROTOCOL_ERROR : GoAwayStatus.INTERNAL_ERROR });
    this.close();
  }

  /** Writes a frame; false when the transport holds more than SEND_BUFFER (a pod should wait for 'drain'). */
  private send(f: Frame): boolean {
    if (this.closed || this.transport.destroyed) return true;
    this.transport.write(encodeFrame(f));
    return this.transport.writableLength < SEND_BUFFER;
  }

  /**
   * The pod's bytes as a DATA frame: header and payload written one after the other, the
   * payload uncopied (a download is mostly this; copying each 64 KiB read cost a tenth of the
   * daemon's time and its garbage more).
   */
  private sendData(streamId: number, chunks: readonly Buffer[], length: number): boolean {
    if (this.closed || this.transport.destroyed) return true;
    this.transport.cork();
    this.transport.write(dataFrameHeader(streamId, 0, length));
    for (const chunk of chunks) this.transport.write(chunk);
    this.transport.uncork();
    return this.transport.writableLength < SEND_BUFFER;
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    switch (f.type) {
      case 'syn_stream':
        return this.open(f.streamId, await this.inflater.decompress(f.headerBlock).catch((e: Error) => {
          throw new SpdyProtocolError(`header block does not inflate: ${e.message}`);
        }), f.flags);
      case 'data':
        return this.receiveData(f.streamId, f.data, (f.flags & FLAG_FIN) !== 0);
      case 'rst_stream':
        return this.reset(f.streamId);
      case 'ping':
        // The client's pings (odd ids) come back as they are: spdystream's keep-alive.
        this.send(f);
        return;
      case 'goaway':
        return this.close();
      case 'headers':
      case 'syn_reply':
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private open(id: number, headers: Map<string, string[]>, flags: number): void {
    if (id <= this.lastStreamId || id % 2 === 0) throw new SpdyProtocolError(`stream id ${id} is not a new client stream`);
    this.lastStreamId = id;
    const req = streamRequest(headers, id);
    if (!req.ok) {
      // The kubelet's stream handler refuses it, and spdystream resets the stream.
      this.options.log?.(`port-forward to ${this.options.pod}: stream rejected: ${req.error}`);
      this.send({ type: 'rst_stream', streamId: id, status: RstStatus.REFUSED_STREAM });
      return;
    }
    this.send({ type: 'syn_reply', streamId: id, flags: 0, headerBlock: this.deflater.compress(new Map()) });
    const stream: Stream = { id, type: req.type, requestId: req.requestId, port: req.port, finished: false };
    this.streams.set(id, stream);
    let pair = this.pairs.get(req.requestId);
    if (!pair) {
      pair = { requestId: req.requestId, early: [], earlyFin: false, done: false };
      this.pairs.set(req.requestId, pair);
      const p = pair;
      p.timer = setTimeout(() => this.abandon(p, `timed out waiting for streams for request ${p.requestId}`), this.options.pairTimeoutMs ?? 30_000);
    }
    if (pair[req.type]) {
      this.writeError(pair, `error processing stream for request ${req.requestId}: ${req.type} stream already assigned`);
      return;
    }
    pair[req.type] = stream;
    if ((flags & FLAG_FIN) !== 0 && req.type === 'data') pair.earlyFin = true;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      void this.forward(pair, pair.data.port);
    }
  }

  private async forward(pair: Pair, port: number): Promise<void> {
    let pod: Duplex;
    try {
      pod = await this.options.dial(port);
    } catch (e) {
      this.abandon(pair, `error forwarding port ${port} to pod ${this.options.pod}, uid : ${(e as Error).message}`);
      return;
    }
    if (pair.done || this.closed) {
      pod.destroy();
      return;
    }
    pair.pod = pod;
    const data = pair.data!;
    let pending: Buffer[] = [];
    let size = 0;
    let scheduled = false;
    const flush = (): void => {
      scheduled = false;
      if (size === 0) return;
      const chunks = pending;
      const length = size;
      pending = [];
      size = 0;
      if (!this.sendData(data.id, chunks, length) && !this.waiting.has(pod)) {
        pod.pause();
        this.waiting.add(pod);
      }
    };
    pod.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      size += chunk.length;
      if (size >= MAX_DATA_FRAME) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
    pod.on('drain', () => {
      this.blocked.delete(pod);
      if (this.blocked.size === 0) this.transport.resume();
    });
    // The pod finished sending: FIN on the data stream (kubectl's copy to the local side ends).
    pod.on('end', () => {
      flush();
      this.finishStream(data);
    });
    // A pod that resets its side ends the forward like a close does ('close' follows); the
    // kubelet's copy loop treats ECONNRESET and EPIPE alike, as the end of the data.
    pod.on('error', () => pod.destroy());
    pod.on('close', () => this.finishPair(pair));
    for (const b of pair.early) this.toPod(pair, b);
    pair.early = [];
    if (pair.earlyFin) pod.end();
  }

  private receiveData(id: number, data: Buffer, fin: boolean): void {
    const stream = this.streams.get(id);
    if (!stream || stream.type !== 'data') return; // nothing is read from an error stream
    const pair = this.pairs.get(stream.requestId);
    if (!pair || pair.done) return;
    if (!pair.pod) {
      if (data.length) pair.early.push(data);
      if (fin) pair.earlyFin = true;
      return;
    }
    if (data.length) this.toPod(pair, data);
    // kubectl closed its side (the local connection ended): the pod reads EOF.
    if (fin) pair.pod.end();
  }

  private toPod(pair: Pair, data: Buffer): void {
    const pod = pair.pod!;
    if (pod.destroyed || pod.writableEnded) return;
    if (!pod.write(data)) {
      this.blocked.add(pod);
      this.transport.pause();
    }
  }

  /** The client reset a stream: kubectl does so to its data stream when a connection is over. */
  private reset(id: number): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    stream.finished = true;
    const pair = this.pairs.get(stream.requestId);
    if (pair) this.finishPair(pair);
  }

  /** Writes `message` on the pair's error stream and ends both streams (the kubelet's portForward). */
  private abandon(pair: Pair, message: string): void {
    if (pair.done) return;
    if (pair.error && !pair.error.finished) this.send({ type: 'data', streamId: pair.error.id, flags: 0, data: Buffer.from(message) });
    this.finishPair(pair);
  }

  private writeError(pair: Pair, message: string): void {
    if (pair.error && !pair.error.finished) this.send({ type: 'data', streamId: pair.error.id, flags: 0, data: Buffer.from(message) });
  }

  private finishStream(s: Stream | undefined): void {
    if (!s || s.finished) return;
    s.finished = true;
    this.send({ type: 'data', streamId: s.id, flags: FLAG_FIN, data: Buffer.alloc(0) });
  }

  /** The pod's connection is gone or given up: both streams end, nothing is left behind. */
  private finishPair(pair: Pair): void {
    if (pair.done) return;
    pair.done = true;
    clearTimeout(pair.timer);
    this.finishStream(pair.data);
    this.finishStream(pair.error);
    if (pair.pod) {
      this.blocked.delete(pair.pod);
      this.waiting.delete(pair.pod);
      pair.pod.destroy();
      if (this.blocked.size === 0 && !this.closed) this.transport.resume();
    }
    this.pairs.delete(pair.requestId);
    if (pair.data) this.streams.delete(pair.data.id);
    if (pair.error) this.streams.delete(pair.error.id);
  }
}
