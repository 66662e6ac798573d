// SPDY/3 header blocks (§2.6.10): a count, then length-prefixed names and values (a value
// holding several, NUL-separated), the whole compressed as ONE zlib stream per direction of
// the session, primed with the dictionary the spec defines and sync-flushed after each block.
//
// Reading: the peer's blocks go through one long-lived inflater (node:zlib), in order.
// Writing: knet's blocks (SYN_REPLY's, which carry no headers for port-forward) are written as
// deflate *stored* blocks (RFC 1951 §3.2.4) after a zlib header naming the dictionary: a valid
// continuation of one zlib stream that any inflater reads, made synchronously and byte-exactly.
import zlib from 'node:zlib';

/** Header names and their values, names in lower case as SPDY requires. */
export type HeaderMap = ReadonlyMap<string, readonly string[]>;

// The SPDY/3 dictionary (§2.6.10.1): these words, each prefixed by its length as a 32-bit
// big-endian number, followed by the tail text as it is.
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-md5', 'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified',
  'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via',
  'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url',
  'public', 'set-cookie', 'keep-alive', 'origin',
];
const STATUS_CODES = '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505';
const STATUS_LINES = '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request'
  + '401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented'
  + '503 Service Unavailable';
const DATES = 'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT';
const VALUES = 'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,'
  + 'text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY3_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.flatMap((w) => [u32(w.length), Buffer.from(w, 'latin1')]),
  Buffer.from(STATUS_CODES + STATUS_LINES + DATES + VALUES, 'latin1'),
]);

/** RFC 1950's Adler-32, the zlib header's name for a dictionary. */
export function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const byte of b) {
    a = (a + byte) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** The uncompressed header block. */
export function encodeHeaderBlock(headers: HeaderMap): Buffer {
  const parts: Buffer[] = [u32(headers.size)];
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** The headers of an uncompressed block; throws on a block that runs short. */
export function decodeHeaderBlock(b: Buffer): Map<string, string[]> {
  let at = 0;
  const take = (n: number): Buffer => {
    if (at + n > b.length) throw new Error('SPDY header block is truncated');
    const out = b.subarray(at, at + n);
    at += n;
    return out;
  };
  const count = take(4).readUInt32BE(0);
  const headers = new Map<string, string[]>();
  for (let i = 0; i < count; i++) {
    const name = take(take(4).readUInt32BE(0)).toString('utf8');
    const value = take(take(4).readUInt32BE(0)).toString('utf8');
    headers.set(name, [...(headers.get(name) ?? []), ...value.split('\0')]);
  }
  return headers;
}

/** Compresses one direction's header blocks as stored deflate blocks of one zlib stream. */
export class HeaderCompressor {
  private started = false;

  compress(headers: HeaderMap): Buffer {
    const raw = encodeHeaderBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      // CMF 0x78 (deflate, 32 KiB window); FLG 0xBB: FDICT set, FCHECK making CMF·256+FLG a multiple of 31.
      parts.push(Buffer.from([0x78, 0xbb]), u32(adler32(SPDY3_DICTIONARY)));
      this.started = true;
    }
    for (let at = 0; at < raw.length; at += 0xffff) parts.push(storedBlock(raw.subarray(at, at + 0xffff)));
    // An empty stored block ends each header block, as zlib's sync flush does: inflaters (Go's
    // among them) hand out a stored block's bytes only when the next block begins.
    parts.push(storedBlock(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

/** Inflates the peer's header blocks, one after another, through one zlib stream. */
export class HeaderDecompressor {
  private readonly inflater = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private queue: Promise<unknown> = Promise.resolve();
  private failed: Error | null = null;

  constructor() {
    // Paused mode: each block's output is read after its flush, never lost to a listener race.
    this.inflater.on('error', (e) => { this.failed = e; });
  }

  /** The headers of the next compressed block; rejects on a block that does not inflate. */
  decompress(block: Buffer): Promise<Map<string, string[]>> {
    const next = this.queue.then(() => this.inflate(block)).then(decodeHeaderBlock);
    // The caller gets the failure; the queue only orders the next block after this one.
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.inflater.destroy();
  }

  private inflate(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      const onError = (e: Error): void => reject(e);
      this.inflater.once('error', onError);
      this.inflater.write(block);
      this.inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.inflater.off('error', onError);
        if (this.failed) return reject(this.failed);
        const parts: Buffer[] = [];
        for (let c = this.inflater.read() as Buffer | null; c !== null; c = this.inflater.read() as Buffer | null) parts.push(c);
        resolve(Buffer.concat(parts));
      });
    });
  }
}

/** A non-final stored deflate block, starting on a byte boundary (as every one here does). */
function storedBlock(data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0x00; // BFINAL 0, BTYPE 00, padding to the byte
  head.writeUInt16LE(data.length, 1);
  head.writeUInt16LE(~data.length & 0xffff, 3);
  return Buffer.concat([head, data]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}
