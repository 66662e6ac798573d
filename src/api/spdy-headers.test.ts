// SPDY/3 header blocks: the dictionary the spec defines, the uncompressed layout, and one zlib
// stream per direction: knet's stored blocks read by a stock inflater, a peer's deflated
// blocks (as Go's spdy framer writes them: best compression, the dictionary, a sync flush
// each) read by knet, block after block.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32, decodeHeaderBlock, encodeHeaderBlock, HeaderCompressor, HeaderDecompressor, SPDY3_DICTIONARY } from './spdy-headers.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A peer's compressor: one deflate stream with the dictionary, sync-flushed per block. */
function peerCompressor(): (raw: Buffer) => Promise<Buffer> {
  const d = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
  return (raw) => new Promise((resolve) => {
    d.write(raw);
    d.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      const parts: Buffer[] = [];
      for (let c = d.read() as Buffer | null; c; c = d.read() as Buffer | null) parts.push(c);
      resolve(Buffer.concat(parts));
    });
  });
}

/** A peer's inflater reading knet's blocks, one zlib stream. */
function peerInflater(): (block: Buffer) => Promise<Buffer> {
  const i = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  return (block) => new Promise((resolve, reject) => {
    i.once('error', reject);
    i.write(block);
    i.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      const parts: Buffer[] = [];
      for (let c = i.read() as Buffer | null; c; c = i.read() as Buffer | null) parts.push(c);
      resolve(Buffer.concat(parts));
    });
  });
}

const portForwardHeaders = (type: string, id: number): Map<string, string[]> => new Map([['streamtype', [type]], ['port', ['8080']], ['requestid', [String(id)]]]);

describe('the SPDY/3 dictionary', () => {
  it('is 1,423 bytes whose Adler-32 is the DICTID Go and Chromium send (e3c6a7c2)', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_DICTIONARY).toString(16)).toBe('e3c6a7c2');
  });

  it('starts with the length-prefixed word "options" and ends with the tail text', () => {
    expect(SPDY3_DICTIONARY.subarray(0, 11).toString('hex')).toBe('000000076f7074696f6e73');
    expect(SPDY3_DICTIONARY.subarray(-9).toString('latin1')).toBe(',*,enq=0.');
  });

  it('Adler-32 of known text (RFC 1950): "Wikipedia" is 11e60398', () => {
    expect(adler32(Buffer.from('Wikipedia')).toString(16)).toBe('11e60398');
  });
});

describe('header blocks', () => {
  it('lay out a count, then each name and value with a 32-bit length', () => {
    expect(encodeHeaderBlock(new Map([['port', ['80']]])).toString('hex')).toBe(hex('00000001 00000004 706f7274 00000002 3830').toString('hex'));
  });

  it('several values of one name travel NUL-separated and come back apart', () => {
    const raw = encodeHeaderBlock(new Map([['accept', ['a', 'b']]]));
    expect(raw.includes(Buffer.from('a\0b'))).toBe(true);
    expect(decodeHeaderBlock(raw)).toEqual(new Map([['accept', ['a', 'b']]]));
  });

  it('an empty block is a zero count', () => {
    expect(encodeHeaderBlock(new Map()).toString('hex')).toBe('00000000');
  });

  it('a block that runs short is an error', () => {
    expect(() => decodeHeaderBlock(hex('00000001 00000010 61'))).toThrow(/truncated/);
  });
});

describe('header compression', () => {
  it("knet's first block: zlib header with FDICT and the dictionary's id, a stored block, an empty one", () => {
    const block = new HeaderCompressor().compress(new Map());
    expect(block.toString('hex')).toBe(hex('78bb e3c6a7c2  00 0400 fbff 00000000  00 0000 ffff').toString('hex'));
    expect(((0x78 << 8) | 0xbb) % 31).toBe(0);
  });

  it("a stock inflater reads knet's blocks one after another from one stream", async () => {
    const c = new HeaderCompressor();
    const inflate = peerInflater();
    for (const h of [new Map(), portForwardHeaders('error', 1), portForwardHeaders('data', 1), new Map()]) {
      expect(decodeHeaderBlock(await inflate(c.compress(h)))).toEqual(h);
    }
  });

  it("knet reads a peer's deflated blocks one after another, each with the dictionary", async () => {
    const deflate = peerCompressor();
    const d = new HeaderDecompressor();
    try {
      const blocks = [portForwardHeaders('error', 0), portForwardHeaders('data', 0), portForwardHeaders('error', 1)];
      const compressed = await Promise.all(blocks.map(async (h) => deflate(encodeHeaderBlock(h))));
      // The second block of the same headers is much smaller: it refers back into the stream.
      expect(compressed[1]!.length).toBeLessThan(compressed[0]!.length);
      const got = await Promise.all(compressed.map((b) => d.decompress(b)));
      expect(got).toEqual(blocks);
    } finally {
      d.close();
    }
  });

  it('a block compressed without the dictionary is an error, not a hang', async () => {
    const d = new HeaderDecompressor();
    try {
      const wrong = zlib.deflateSync(encodeHeaderBlock(portForwardHeaders('data', 0)), { dictionary: Buffer.from('another dictionary') });
      await expect(d.decompress(wrong)).rejects.toThrow();
    } finally {
      d.close();
    }
  });
});
