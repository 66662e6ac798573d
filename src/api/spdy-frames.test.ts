// SPDY/3.1 frames against bytes written out from the spec's layouts (§2.2, §2.6), and the
// reader's cutting of a byte stream however it is split.
import { describe, expect, it } from 'vitest';
import { dataFrameHeader, decodeFrame, encodeFrame, FLAG_FIN, FrameReader, SpdyProtocolError, type Frame } from './spdy-frames.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Each case: the frame, and its bytes as the spec lays them out.
const cases: { name: string; frame: Frame; bytes: string }[] = [
  {
    name: 'DATA: C=0, stream id, flags, 24-bit length, payload',
    frame: { type: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.from('hi') },
    bytes: '00000003 01 000002 6869',
  },
  {
    name: 'SYN_STREAM: version 3, type 1, stream id, associated id, priority in the top 3 bits, slot, header block',
    frame: { type: 'syn_stream', streamId: 1, associatedId: 0, priority: 7, flags: 0, headerBlock: hex('aabb') },
    bytes: '8003 0001 00 00000c 00000001 00000000 e0 00 aabb',
  },
  {
    name: 'SYN_REPLY: type 2, stream id, header block',
    frame: { type: 'syn_reply', streamId: 5, flags: 0, headerBlock: hex('01') },
    bytes: '8003 0002 00 000005 00000005 01',
  },
  {
    name: 'RST_STREAM: type 3, stream id, status (5 = CANCEL)',
    frame: { type: 'rst_stream', streamId: 7, status: 5 },
    bytes: '8003 0003 00 000008 00000007 00000005',
  },
  {
    name: 'SETTINGS: type 4, entry count, each flags(8) id(24) value(32) (7 = INITIAL_WINDOW_SIZE)',
    frame: { type: 'settings', flags: 0, entries: [{ flags: 0, id: 7, value: 65536 }] },
    bytes: '8003 0004 00 00000c 00000001 00000007 00010000',
  },
  {
    name: 'PING: type 6, 32-bit id',
    frame: { type: 'ping', id: 1 },
    bytes: '8003 0006 00 000004 00000001',
  },
  {
    name: 'GOAWAY: type 7, last good stream id, status',
    frame: { type: 'goaway', lastGoodStreamId: 9, status: 1 },
    bytes: '8003 0007 00 000008 00000009 00000001',
  },
  {
    name: 'HEADERS: type 8, stream id, header block',
    frame: { type: 'headers', streamId: 1, flags: FLAG_FIN, headerBlock: hex('ff') },
    bytes: '8003 0008 01 000005 00000001 ff',
  },
  {
    name: 'WINDOW_UPDATE: type 9, stream id, 31-bit delta',
    frame: { type: 'window_update', streamId: 1, delta: 65536 },
    bytes: '8003 0009 00 000008 00000001 00010000',
  },
];

describe('SPDY/3.1 frames', () => {
  for (const c of cases) {
    it(`${c.name}: encodes to the spec's bytes and decodes back`, () => {
      expect(encodeFrame(c.frame).toString('hex')).toBe(hex(c.bytes).toString('hex'));
      expect(decodeFrame(hex(c.bytes))).toEqual(c.frame);
    });
  }

  it('the reserved top bit of a stream id in a control frame is ignored on the way in', () => {
    expect(decodeFrame(hex('8003 0003 00 000008 80000007 00000005'))).toMatchObject({ type: 'rst_stream', streamId: 7 });
  });

  it('the top bit of the first byte is what tells control from data', () => {
    expect(decodeFrame(hex('00000003 00 000000'))).toMatchObject({ type: 'data', streamId: 3 });
  });

  it('a DATA header written alone, then its payload, is the same bytes as the whole frame', () => {
    const data = Buffer.from('payload');
    expect(Buffer.concat([dataFrameHeader(5, FLAG_FIN, data.length), data]).equals(encodeFrame({ type: 'data', streamId: 5, flags: FLAG_FIN, data }))).toBe(true);
  });

  it('an unknown control type is kept as unknown (the spec: ignore it)', () => {
    expect(decodeFrame(hex('8003 00ff 00 000001 aa'))).toMatchObject({ type: 'unknown', controlType: 255 });
  });

  it('another SPDY version is a protocol error', () => {
    expect(() => decodeFrame(hex('8002 0006 00 000004 00000001'))).toThrow(SpdyProtocolError);
  });

  it('a control frame shorter than its fields is a protocol error', () => {
    expect(() => decodeFrame(hex('8003 0003 00 000004 00000001'))).toThrow(/too short/);
  });
});

describe('FrameReader', () => {
  const stream = Buffer.concat(cases.map((c) => hex(c.bytes)));

  it('one chunk holding every frame gives them all, in order', () => {
    expect(new FrameReader().push(stream)).toEqual(cases.map((c) => c.frame));
  });

  it('the same bytes a byte at a time give the same frames', () => {
    const r = new FrameReader();
    const out: Frame[] = [];
    for (const b of stream) out.push(...r.push(Buffer.from([b])));
    expect(out).toEqual(cases.map((c) => c.frame));
  });

  it('a frame split across chunks waits for its last byte', () => {
    const r = new FrameReader();
    const ping = hex('8003 0006 00 000004 00000001');
    expect(r.push(ping.subarray(0, 10))).toEqual([]);
    expect(r.push(ping.subarray(10))).toEqual([{ type: 'ping', id: 1 }]);
  });

  it('a large DATA frame comes out whole', () => {
    const data = Buffer.alloc(200_000, 7);
    const bytes = encodeFrame({ type: 'data', streamId: 1, flags: 0, data });
    const r = new FrameReader();
    const out = [...r.push(bytes.subarray(0, 65536)), ...r.push(bytes.subarray(65536))];
    expect(out).toHaveLength(1);
    expect((out[0] as { data: Buffer }).data.equals(data)).toBe(true);
  });
});
