// CoreDNS's query log (the log plugin's common format) and the pod's log file it goes to:
//   [INFO] 10.244.1.3:46453 - 36112 "A IN api.external.com.production.svc.cluster.local. udp 63 false 512" NXDOMAIN qr,aa,rd 156 0.000112s
// Lines are gathered and written a few times a second, so logging costs little under load.
import { createWriteStream, type WriteStream } from 'node:fs';
import { isIP } from 'node:net';
import { className, flagText, rcodeName, typeName, type Query } from './wire.js';

export interface LoggedQuery {
  readonly client: { readonly address: string; readonly port: number };
  readonly q: Query;
  readonly proto: 'udp' | 'tcp';
  readonly rcode: number;
  readonly flags: number;
  readonly size: number;
  /** Seconds, from the query's arrival to its answer. */
  readonly seconds: number;
}

/**
 * `{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode}
 * {>rflags} {rsize} {duration}` with `[INFO] ` in front; the name lower-cased (request.Name),
 * bufsize as request.Size() has it, IPv6 clients in brackets, IPv4-mapped ones as IPv4.
 */
export function queryLogLine(e: LoggedQuery): string {
  const { head, tail } = logParts(e.q, e.proto, e.rcode, e.flags, e.size);
  return `[INFO] ${remote(e.client.address)}:${e.client.port} - ${e.q.id} ${head}${e.q.size}${tail}${goSeconds(e.seconds)}\n`;
}

/**
 * The parts of a log line that are the same for every query a stored reply answers:
 * `"A IN name. udp ` before the query's size, ` false 512" NOERROR qr,aa,rd 106 ` after it.
 */
export function logParts(q: Query, proto: 'udp' | 'tcp', rcode: number, flags: number, size: number): { head: string; tail: string } {
  return {
    head: `"${typeName(q.qtype)} ${className(q.qclass)} ${q.qname.toLowerCase()} ${proto} `,
    tail: ` ${q.edns?.do ? 'true' : 'false'} ${bufsize(proto, q)}" ${rcodeName(rcode)} ${flagText(flags)} ${size} `,
  };
}

/** `10.244.1.3:46453`, `[fd00::5]:53000`: the client as the log shows it. */
export function remoteText(address: string, port: number, family: 4 | 6): string {
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** edns.Size: 65535 over TCP, else the advertised size, at least 512. */
function bufsize(proto: 'udp' | 'tcp', q: Query): number {
  if (proto === 'tcp') return 65535;
  return q.edns ? Math.max(512, q.edns.udpSize) : 512;
}

function remote(address: string): string {
  const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return isIP(a) === 6 ? `[${a}]` : a;
}

/** Go's strconv.FormatFloat(s, 'f', -1, 64) + "s", at nanosecond resolution. */
export function goSeconds(seconds: number): string {
  const ns = Math.max(0, Math.round(seconds * 1e9));
  const whole = Math.floor(ns / 1e9);
  let frac = ns % 1e9;
  if (frac === 0) return `${whole}s`;
  let digits = 9;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  return `${whole}.${String(frac).padStart(digits, '0')}s`;
}

/** An append-only log file written in batches; `close()` writes what is left. */
export class LogFile {
  private stream: WriteStream | null;
  private chunk = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.stream.on('error', (e) => {
      process.stderr.write(`knet dns: cannot write ${path}: ${e.message}\n`);
      this.stream = null;
    });
  }

  /** Appends text (ASCII: names on the wire are printable ASCII, see wire.ts parseQuery). */
  write(text: string): void {
    if (!this.stream) return;
    if (this.used + text.length > CHUNK) {
      this.flush();
      if (text.length > CHUNK) {
        this.stream.write(text);
        return;
      }
    }
    this.used += this.chunk.write(text, this.used, 'latin1');
    this.arm();
  }

  /**
   * Appends one query's line, `[INFO] {remote} - {id} {head}{size}{tail}{seconds}`, copied
   * piece by piece into the batch from bytes kept per client and per stored reply (no line
   * string is built: this runs once per query).
   */
  writeQuery(remote: Uint8Array, id: number, head: Uint8Array, size: number, tail: Uint8Array, seconds: number): void {
    if (!this.stream) return;
    // The longest number pieces: id 5 digits, size 5, seconds ~22 characters.
    const room = 7 + remote.length + 3 + 5 + 1 + head.length + 5 + tail.length + 24 + 1;
    if (this.used + room > CHUNK) {
      this.flush();
      if (room > CHUNK) {
        this.stream.write(`[INFO] ${latin1(remote)} - ${id} ${latin1(head)}${size}${latin1(tail)}${goSeconds(seconds)}\n`);
        return;
      }
    }
    const b = this.chunk;
    b.set(INFO, this.used);
    let o = this.used + INFO.length;
    b.set(remote, o);
    o += remote.length;
    b[o++] = 0x20; b[o++] = 0x2d; b[o++] = 0x20; // ' - '
    o = writeDecimal(b, o, id);
    b[o++] = 0x20;
    b.set(head, o);
    o = writeDecimal(b, o + head.length, size);
    b.set(tail, o);
    o += tail.length;
    o = writeGoSeconds(b, o, seconds);
    b[o++] = 0x0a;
    this.used = o;
    this.arm();
  }

  private arm(): void {
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stream && this.used > 0) {
      this.stream.write(this.chunk.subarray(0, this.used));
      this.chunk = Buffer.allocUnsafe(CHUNK); // the stream holds the old one until written
    }
    this.used = 0;
  }

  close(): Promise<void> {
    this.flush();
    const s = this.stream;
    this.stream = null;
    return s ? new Promise((resolve) => s.end(() => resolve())) : Promise.resolve();
  }
}

const CHUNK = 64 * 1024;
/** A batch waits at most this long (`knet logs` shows a query within it). */
const FLUSH_MS = 100;

const INFO = Buffer.from('[INFO] ', 'latin1');
const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

/** Writes a non-negative integer's digits at `o`; returns the offset after them. */
function writeDecimal(b: Buffer, o: number, n: number): number {
  if (n < 10) {
    b[o] = 0x30 + n;
    return o + 1;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = o + digits - 1, x = n; i >= o; i--, x = Math.floor(x / 10)) b[i] = 0x30 + (x % 10);
  return o + digits;
}

/** goSeconds(seconds) written at `o` (same text, no string). */
function writeGoSeconds(b: Buffer, o: number, seconds: number): number {
  const ns = Math.max(0, Math.round(seconds * 1e9));
  const whole = Math.floor(ns / 1e9);
  let frac = ns % 1e9;
  o = writeDecimal(b, o, whole);
  if (frac !== 0) {
    let digits = 9;
    while (frac % 10 === 0) {
      frac /= 10;
      digits--;
    }
    b[o++] = 0x2e; // '.'
    for (let i = o + digits - 1; i >= o; i--, frac = Math.floor(frac / 10)) b[i] = 0x30 + (frac % 10);
    o += digits;
  }
  b[o++] = 0x73; // 's'
  return o;
}
