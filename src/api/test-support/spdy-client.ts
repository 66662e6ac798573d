// kubectl's side of a port-forward SPDY session, for tests: streams opened with deflated
// header blocks (one zlib stream with the SPDY/3 dictionary, as Go's framer writes them),
// frames sent, and every frame received kept for the test to look for.
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { encodeFrame, FLAG_FIN, FrameReader, type Frame } from '../spdy-frames.js';
import { encodeHeaderBlock, SPDY3_DICTIONARY } from '../spdy-headers.js';

/** kubectl's side: one SPDY connection, frames out, frames in. */
export class SpdyClient {
  readonly frames: Frame[] = [];
  private readonly reader = new FrameReader();
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  private waiters: (() => void)[] = [];
  constructor(readonly socket: Duplex) {
    socket.on('data', (c: Buffer) => {
      this.frames.push(...this.reader.push(c));
      for (const w of this.waiters) w();
    });
  }
  async open(id: number, headers: Record<string, string>, flags = 0): Promise<void> {
    const raw = encodeHeaderBlock(new Map(Object.entries(headers).map(([k, v]) => [k, [v]])));
    const block = await new Promise<Buffer>((resolve) => {
      this.deflate.write(raw);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(this.deflate.read() as Buffer));
    });
    this.send({ type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, flags, headerBlock: block });
  }
  send(f: Frame): void {
    this.socket.write(encodeFrame(f));
  }
  /** Waits until a received frame matches. */
  async until(match: (f: Frame) => boolean, what: string): Promise<Frame> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const f = this.frames.find(match);
      if (f) return f;
      if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(this.frames.map((x) => x.type))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  dataOf(id: number): string {
    return Buffer.concat(this.frames.flatMap((f) => (f.type === 'data' && f.streamId === id ? [f.data] : []))).toString();
  }
  finOf(id: number): Promise<Frame> {
    return this.until((f) => f.type === 'data' && f.streamId === id && (f.flags & FLAG_FIN) !== 0, `FIN on stream ${id}`);
  }
}
