// DNS messages on the wire, as CoreDNS (miekg/dns) writes them: a fast reader for the one
// question of a query and its EDNS0 OPT record, and a writer with miekg's size rule (no
// name compression while the message fits, compression and then truncation with TC when
// it does not). Relayed replies are scanned in relay.ts.
// dns-packet decodes whole messages elsewhere; it does not compress names, and CoreDNS's
// sizes (and so where it truncates) depend on compression.
import ipaddr from 'ipaddr.js';

export const TYPE: Readonly<Record<string, number>> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, HTTPS: 65, ANY: 255,
};
const TYPE_NAMES = new Map(Object.entries(TYPE).map(([k, v]) => [v, k]));

/** `A`, `SRV`, ...; unknown types as miekg prints them: `TYPE65534`. */
export function typeName(t: number): string {
  return TYPE_NAMES.get(t) ?? `TYPE${t}`;
}

export const CLASS_IN = 1;
const CLASS_NAMES = new Map([[1, 'IN'], [3, 'CH'], [4, 'HS'], [254, 'NONE'], [255, 'ANY']]);
export function className(c: number): string {
  return CLASS_NAMES.get(c) ?? `CLASS${c}`;
}

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
export function rcodeName(r: number): string {
  return RCODE_NAMES[r] ?? `RCODE${r}`;
}

// Header flag bits (second 16-bit word).
export const QR = 0x8000;
export const AA = 0x0400;
export const TC = 0x0200;
export const RD = 0x0100;
export const RA = 0x0080;
export const AD = 0x0020;
export const CD = 0x0010;

/** `qr,aa,rd`: the response flags as CoreDNS's log plugin prints `{>rflags}`. */
export function flagText(flags: number): string {
  const out: string[] = [];
  if (flags & QR) out.push('qr');
  if (flags & AA) out.push('aa');
  if (flags & TC) out.push('tc');
  if (flags & RD) out.push('rd');
  if (flags & RA) out.push('ra');
  if (flags & 0x0040) out.push('z');
  if (flags & AD) out.push('ad');
  if (flags & CD) out.push('cd');
  return out.join(',');
}

/** The smallest UDP payload every resolver takes (RFC 1035), and the TCP frame limit. */
export const MIN_UDP_SIZE = 512;
export const MAX_MSG_SIZE = 65535;

export interface Edns {
  readonly udpSize: number; // as advertised (not clamped)
  readonly do: boolean;
  readonly version: number;
}

export interface Query {
  readonly id: number;
  readonly flags: number;
  readonly opcode: number;
  /** The name as asked, case kept, with the trailing dot ('.' for the root). */
  readonly qname: string;
  readonly qtype: number;
  readonly qclass: number;
  /** The question's bytes (name, type, class), copied into the answer as asked. */
  readonly questionEnd: number;
  readonly edns: Edns | null;
  readonly size: number;
}

export type ParsedQuery = { readonly ok: true; readonly query: Query } | { readonly ok: false; readonly id: number; readonly drop: boolean };

/**
 * Reads a query: the header, exactly one question (no compression pointers, labels of
 * printable characters) and an OPT record among the additional records. A response or
 * a message shorter than a header is dropped; anything else malformed is FORMERR.
 */
export function parseQuery(b: Buffer): ParsedQuery {
  if (b.length < 12) return { ok: false, id: 0, drop: true };
  const id = b.readUInt16BE(0);
  const flags = b.readUInt16BE(2);
  if (flags & QR) return { ok: false, id, drop: true };
  const formerr = { ok: false, id, drop: false } as const;
  if (b.readUInt16BE(4) !== 1) return formerr;
  let off = 12;
  let qname = '';
  for (;;) {
    if (off >= b.length) return formerr;
    const len = b[off]!;
    if (len === 0) {
      off++;
      break;
    }
    if (len > 63 || off + 1 + len > b.length) return formerr;
    for (let i = off + 1; i <= off + len; i++) {
      const c = b[i]!;
      // Printable ASCII other than '.' and '\\', so that the text form is the name.
      if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) return formerr;
    }
    qname += `${b.toString('latin1', off + 1, off + 1 + len)}.`;
    off += 1 + len;
  }
  if (qname.length > 254 || off + 4 > b.length) return formerr;
  const qtype = b.readUInt16BE(off);
  const qclass = b.readUInt16BE(off + 2);
  const questionEnd = off + 4;
  off = questionEnd;
  let edns: Edns | null = null;
  const others = b.readUInt16BE(6) + b.readUInt16BE(8);
  const additional = b.readUInt16BE(10);
  for (let i = 0; i < others + additional; i++) {
    off = skipName(b, off);
    if (off < 0 || off + 10 > b.length) return formerr;
    const type = b.readUInt16BE(off);
    const rdlen = b.readUInt16BE(off + 8);
    if (off + 10 + rdlen > b.length) return formerr;
    if (type === TYPE.OPT && i >= others) {
      if (edns) return formerr; // RFC 6891: more than one OPT is FORMERR
      edns = { udpSize: b.readUInt16BE(off + 2), version: b[off + 5]!, do: (b.readUInt16BE(off + 6) & 0x8000) !== 0 };
    }
    off += 10 + rdlen;
  }
  return {
    ok: true,
    query: { id, flags, opcode: (flags >> 11) & 0xf, qname: qname || '.', qtype, qclass, questionEnd, edns, size: b.length },
  };
}

/** Offset after the name at `off` (pointers allowed), or -1. */
export function skipName(b: Buffer, off: number): number {
  for (let hops = 0; off < b.length && hops < 128; hops++) {
    const len = b[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= b.length ? off + 2 : -1;
    if (len > 63) return -1;
    off += 1 + len;
  }
  return -1;
}

/** The payload limit CoreDNS applies to a reply (request.Size): 64 KiB over TCP, else EDNS or 512. */
export function replyLimit(q: Query, proto: 'udp' | 'tcp'): number {
  if (proto === 'tcp') return MAX_MSG_SIZE;
  return q.edns ? Math.max(MIN_UDP_SIZE, q.edns.udpSize) : MIN_UDP_SIZE;
}

// ---- writing ------------------------------------------------------------------------

/** A record in zone-file presentation form (`0 50 8080 web.prod.svc.cluster.local.`). */
export interface OutRecord {
  readonly name: string; // absolute, with the trailing dot
  readonly type: number;
  readonly ttl: number;
  readonly data: string;
}

export interface Reply {
  readonly id: number;
  /** Header flags other than the rcode (QR is added). */
  readonly flags: number;
  readonly rcode: number;
  /** The query whose question is echoed; null for a header-only error reply. */
  readonly query: { readonly bytes: Buffer; readonly q: Query } | null;
  readonly answers: readonly OutRecord[];
  readonly authority: readonly OutRecord[];
  readonly additional: readonly OutRecord[];
  /** The OPT record to add (the query had one): the size and DO bit to advertise. */
  readonly opt: { readonly udpSize: number; readonly do: boolean } | null;
}

export interface Encoded {
  readonly bytes: Buffer;
  /** Where each record's TTL sits (not the OPT's), for serving the same bytes later with less TTL. */
  readonly ttlOffsets: readonly number[];
  readonly truncated: boolean;
  readonly compressed: boolean;
  /** Set when a record could not be written and SERVFAIL was sent instead: which and why. */
  readonly unwritable?: string;
}

/**
 * The reply as CoreDNS sends it (request.Scrub + miekg Msg.Truncate): uncompressed when it
 * fits `limit`; else compressed, and records that still do not fit are left out (answer,
 * then authority, then additional; the OPT always stays) with TC set. Over UDP, a reply
 * above 1480 bytes (IPv4 client) or 1220 (IPv6) is compressed even when it fits.
 */
export function encodeReply(r: Reply, limit: number, udpFamily: 4 | 6 | null = null): Encoded {
  try {
    return encodeFitting(r, limit, udpFamily);
  } catch (e) {
    if (!(e instanceof UnwritableRecord)) throw e;
    // miekg's Pack fails on such a message and CoreDNS answers nothing; a SERVFAIL with
    // the question tells the client at once, and no malformed packet ever leaves.
    const failed = encodeFitting({ ...r, rcode: RCODE.SERVFAIL, answers: [], authority: [], additional: [] }, limit, udpFamily);
    return { ...failed, unwritable: e.message };
  }
}

/**
 * A record that cannot go on the wire: a name with an empty label, a label over 63 octets,
 * a name over 255 octets in wire form, a character outside one octet, or data that does
 * not fit its type (an address that does not parse, a TXT over 65,535 octets).
 */
export class UnwritableRecord extends Error {}

/** The wire form's limits (RFC 1035 2.3.4), checked before a byte of the name is written. */
export function nameProblem(name: string): string | null {
  const body = name === '.' ? '' : name.endsWith('.') ? name.slice(0, -1) : name;
  if (body === '') return null;
  if (body.length > 253) return `${body.length + 2} octets (at most 255)`;
  if (/[^\x00-\xff]/.test(body)) return 'a character outside one octet';
  let at = 0;
  while (at <= body.length) {
    let dot = body.indexOf('.', at);
    if (dot < 0) dot = body.length;
    const len = dot - at;
    if (len === 0) return 'an empty label';
    if (len > 63) return `a label of ${len} octets (at most 63)`;
    at = dot + 1;
  }
  return null;
}

function encodeFitting(r: Reply, limit: number, udpFamily: 4 | 6 | null): Encoded {
  const size = Math.max(MIN_UDP_SIZE, Math.min(limit, MAX_MSG_SIZE));
  const all = new Writer(PLAIN, false).message(r, size);
  const fragments = udpFamily !== null && ((udpFamily === 4 && all.length > 1480) || (udpFamily === 6 && all.length > 1220));
  if (!all.truncated && !fragments) return { bytes: all.bytes, ttlOffsets: all.ttlOffsets, truncated: false, compressed: false };
  const packed = new Writer(PACKED, true).message(r, size);
  return { bytes: packed.bytes, ttlOffsets: packed.ttlOffsets, truncated: packed.truncated, compressed: true };
}

const OPT_LENGTH = 11; // root name, type, class, ttl, rdlength 0

// Scratch space, reused (writing is synchronous): the largest record ends past the budget
// before it is taken back, so room for one more record of any size.
const PLAIN = Buffer.allocUnsafe(2 * MAX_MSG_SIZE + 1024);
const PACKED = Buffer.allocUnsafe(2 * MAX_MSG_SIZE + 1024);

class Writer {
  private off = 0;
  private readonly names: Map<string, number> | null;
  private readonly ttlOffsets: number[] = [];

  constructor(private readonly buf: Buffer, compress: boolean) {
    this.names = compress ? new Map() : null;
  }

  message(r: Reply, size: number): { bytes: Buffer; length: number; ttlOffsets: number[]; truncated: boolean } {
    const b = this.buf;
    b.writeUInt16BE(r.id, 0);
    b.fill(0, 2, 12);
    this.off = 12;
    if (r.query) {
      r.query.bytes.copy(b, 12, 12, r.query.q.questionEnd);
      this.remember(r.query.q.qname, 12);
      this.off = r.query.q.questionEnd;
      b.writeUInt16BE(1, 4);
    }
    const budget = r.opt ? size - OPT_LENGTH : size;
    const counts = [0, 0, 0];
    let full = this.off >= budget;
    let dropped = false;
    const sections = [r.answers, r.authority, r.additional];
    for (let s = 0; s < 3; s++) {
      for (const rr of sections[s]!) {
        if (full) {
          dropped = true;
          continue;
        }
        const start = this.off;
        const ttls = this.ttlOffsets.length;
        this.record(rr);
        if (this.off > budget) {
          this.off = start;
          this.ttlOffsets.length = ttls;
          full = true;
          dropped = true;
          continue;
        }
        counts[s]!++;
        if (this.off === budget) full = true;
      }
    }
    if (r.opt) {
      b[this.off] = 0;
      b.writeUInt16BE(TYPE.OPT!, this.off + 1);
      b.writeUInt16BE(r.opt.udpSize, this.off + 3);
      b.writeUInt32BE(r.opt.do ? 0x8000 : 0, this.off + 5);
      b.writeUInt16BE(0, this.off + 9);
      this.off += OPT_LENGTH;
    }
    b.writeUInt16BE(QR | r.flags | (dropped ? TC : 0) | (r.rcode & 0xf), 2);
    b.writeUInt16BE(counts[0]!, 6);
    b.writeUInt16BE(counts[1]!, 8);
    b.writeUInt16BE(counts[2]! + (r.opt ? 1 : 0), 10);
    return { bytes: Buffer.from(b.subarray(0, this.off)), length: this.off, ttlOffsets: this.ttlOffsets, truncated: dropped };
  }

  private record(rr: OutRecord): void {
    try {
      this.recordUnchecked(rr);
    } catch (e) {
      if (e instanceof UnwritableRecord) throw e;
      // Data that does not fit its type (ipaddr refusing an address, a number out of range).
      throw new UnwritableRecord(`${rr.name} ${typeName(rr.type)} ${JSON.stringify(rr.data.slice(0, 80))}: ${(e as Error).message}`);
    }
  }

  private recordUnchecked(rr: OutRecord): void {
    this.name(rr.name, true);
    const b = this.buf;
    b.writeUInt16BE(rr.type, this.off);
    b.writeUInt16BE(CLASS_IN, this.off + 2);
    this.ttlOffsets.push(this.off + 4);
    b.writeUInt32BE(rr.ttl >>> 0, this.off + 4);
    const lenAt = this.off + 8;
    this.off += 10;
    const start = this.off;
    this.rdata(rr.type, rr.data);
    b.writeUInt16BE(this.off - start, lenAt);
  }

  private rdata(type: number, data: string): void {
    const b = this.buf;
    switch (type) {
      case TYPE.A:
      case TYPE.AAAA:
        for (const byte of ipaddr.parse(data).toByteArray()) b[this.off++] = byte;
        return;
      case TYPE.CNAME:
      case TYPE.PTR:
      case TYPE.NS:
        this.name(data, true);
        return;
      case TYPE.SRV: {
        const [priority, weight, port, target] = data.split(' ');
        b.writeUInt16BE(Number(priority), this.off);
        b.writeUInt16BE(Number(weight), this.off + 2);
        b.writeUInt16BE(Number(port), this.off + 4);
        this.off += 6;
        this.name(target ?? '.', false); // RFC 2782: the SRV target is never compressed
        return;
      }
      case TYPE.SOA: {
        const [mname, rname, ...nums] = data.split(' ');
        this.name(mname ?? '.', true);
        this.name(rname ?? '.', true);
        for (const n of nums.slice(0, 5)) {
          b.writeUInt32BE(Number(n) >>> 0, this.off);
          this.off += 4;
        }
        return;
      }
      case TYPE.TXT: {
        const start = this.off;
        for (const s of txtStrings(data)) {
          const bytes = Buffer.from(s, 'utf8').subarray(0, 255);
          if (this.off - start + 1 + bytes.length > MAX_MSG_SIZE) throw new UnwritableRecord(`TXT data over ${MAX_MSG_SIZE} octets`);
          b[this.off++] = bytes.length;
          bytes.copy(b, this.off);
          this.off += bytes.length;
        }
        return;
      }
      default:
        throw new Error(`knet dns: cannot write ${typeName(type)} records`);
    }
  }

  /** A name, compressed against earlier ones (when compressing and `compress`). */
  private name(name: string, compress: boolean): void {
    const problem = nameProblem(name);
    if (problem) throw new UnwritableRecord(`${JSON.stringify(name.slice(0, 80))}: ${problem}`);
    const b = this.buf;
    const body = name === '.' ? '' : name.endsWith('.') ? name.slice(0, -1) : name;
    let at = 0;
    while (at < body.length) {
      const suffix = at === 0 ? body : body.slice(at);
      if (this.names) {
        const ptr = compress ? this.names.get(suffix) : undefined;
        if (ptr !== undefined) {
          b.writeUInt16BE(0xc000 | ptr, this.off);
          this.off += 2;
          return;
        }
        if (this.off < 0x4000 && !this.names.has(suffix)) this.names.set(suffix, this.off);
      }
      let dot = body.indexOf('.', at);
      if (dot < 0) dot = body.length;
      const len = dot - at;
      b[this.off++] = len;
      b.write(body.slice(at, dot), this.off, 'latin1');
      this.off += len;
      at = dot + 1;
    }
    b[this.off++] = 0;
  }

  /** Records the question's name suffixes at their offsets (it was copied, not written). */
  private remember(qname: string, offset: number): void {
    if (!this.names) return;
    const body = qname === '.' ? '' : qname.slice(0, -1);
    let at = 0;
    let off = offset;
    while (at < body.length) {
      const suffix = body.slice(at);
      if (!this.names.has(suffix)) this.names.set(suffix, off);
      let dot = body.indexOf('.', at);
      if (dot < 0) dot = body.length;
      off += 1 + dot - at;
      at = dot + 1;
    }
  }
}

/** `"a" "b\"c"` -> ['a', 'b"c']: TXT data in presentation form. */
export function txtStrings(data: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < data.length) {
    if (data[i] === ' ') {
      i++;
      continue;
    }
    if (data[i] !== '"') {
      const end = data.indexOf(' ', i);
      out.push(data.slice(i, end < 0 ? data.length : end));
      i = end < 0 ? data.length : end;
      continue;
    }
    let s = '';
    i++;
    while (i < data.length && data[i] !== '"') {
      if (data[i] === '\\' && i + 1 < data.length) i++;
      s += data[i++];
    }
    i++;
    out.push(s);
  }
  return out;
}
