// What every knet DNS server does with a datagram or TCP frame before and after its own
// answer: read the query (FORMERR for a malformed one, nothing for a response), SERVFAIL
// until data is loaded (CoreDNS before its informers sync), serve a stored reply when the
// same question was answered, encode and store a fresh answer, and log the query with its
// rcode, flags, size and duration in CoreDNS's format.
import type { RR } from '../../core/dns/message.js';
import type { LoadedDns, DnsDataSource } from './data-source.js';
import { logParts, queryLogLine, remoteText, type LogFile } from './query-log.js';
import { materialize, queryKey, ReplyStore, type QueryKey, type StoredReply } from './reply-store.js';
import {
  CD, encodeReply, parseQuery, QR, RCODE, RD, replyLimit, TYPE, typeName,
  type OutRecord, type Query, type Reply,
} from './wire.js';

export interface Client {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** `address:port` as the log writes it (remoteText, latin1), when the transport keeps it per client. */
  readonly remote?: Buffer;
}

export type Proto = 'udp' | 'tcp';

/** A DNS server's logic, transport aside: one query in, at most one reply out. */
export interface DnsHandler {
  handle(msg: Buffer, client: Client, proto: Proto): Buffer | null | Promise<Buffer | null>;
  close(): Promise<void>;
}

/** An answer worked out from the data, before encoding. */
export interface Answer {
  readonly rcode: number;
  /** AA, RA: the flags this server sets (QR, RD, CD and the opcode come from the query). */
  readonly flags: number;
  readonly answers: readonly OutRecord[];
  readonly authority: readonly OutRecord[];
  readonly additional: readonly OutRecord[];
  /** Seconds the cache plugin keeps it (its records then carry this TTL); null: not cached. */
  readonly cacheTtl: number | null;
}

export abstract class DnsResponder implements DnsHandler {
  protected readonly store = new ReplyStore();

  constructor(protected readonly data: DnsDataSource, protected readonly log: LogFile | null) {}

  handle(msg: Buffer, client: Client, proto: Proto): Buffer | null | Promise<Buffer | null> {
    const start = performance.now();
    const data = this.data.current;
    // The hot path: a question answered before, recognised by its bytes; nothing decoded.
    const key = data ? queryKey(msg, proto, client.family) : null;
    if (key !== null) {
      const hit = this.store.get(key, start, data!.generation);
      if (hit) {
        const id = msg.readUInt16BE(0);
        const out = materialize(hit, id, start);
        this.log?.writeQuery(client.remote ?? Buffer.from(remoteText(client.address, client.port, client.family), 'latin1'), id, hit.logHead, msg.length, hit.logTail, (performance.now() - start) / 1000);
        return out;
      }
    }
    const parsed = parseQuery(msg);
    if (!parsed.ok) return parsed.drop ? null : headerOnly(parsed.id, msg, RCODE.FORMERR);
    const q = parsed.query;
    if (!data) return this.sent(q, client, proto, start, this.unstored(q, msg, proto, client, plain(RCODE.SERVFAIL)));
    if (q.opcode !== 0) return this.sent(q, client, proto, start, this.unstored(q, msg, proto, client, plain(RCODE.NOTIMP)));
    return this.answer(q, msg, client, proto, data, key, start);
  }

  /** Works out the reply to a query no stored reply answers; `key` null: not to be stored. */
  protected abstract answer(q: Query, msg: Buffer, client: Client, proto: Proto, data: LoadedDns, key: QueryKey | null, start: number): Buffer | Promise<Buffer | null>;

  /** Encodes an answer, stores it (cache entry or data-bound), logs and returns the bytes. */
  protected reply(q: Query, msg: Buffer, client: Client, proto: Proto, data: LoadedDns, key: QueryKey | null, start: number, a: Answer): Buffer {
    const enc = this.encode(q, msg, proto, client, a);
    // A record that cannot be written became a SERVFAIL: said once per query, never stored.
    if (enc.unwritable) process.stderr.write(`knet dns: ${q.qname} ${typeName(q.qtype)}: SERVFAIL, a record cannot be written: ${enc.unwritable}\n`);
    const stored = this.storeReply(q, proto, enc.unwritable ? null : key, start, enc.bytes, enc.ttlOffsets, a.cacheTtl, data.generation);
    return this.sent(q, client, proto, start, materialize(stored, q.id, start));
  }

  /**
   * Keeps a reply (id 0) for the next identical question: a cache entry (`cacheTtl` seconds,
   * counting down, outliving data reloads), or, with `cacheTtl` null, until the data changes.
   */
  protected storeReply(q: Query, proto: Proto, key: QueryKey | null, start: number, bytes: Buffer, ttlOffsets: readonly number[], cacheTtl: number | null, generation: number): StoredReply {
    const word = bytes.readUInt16BE(2);
    const { head, tail } = logParts(q, proto, word & 0xf, word & ~0xf, bytes.length);
    const stored: StoredReply = {
      bytes, ttlOffsets, ttl: cacheTtl ?? 0, storedAt: start,
      expiresAt: cacheTtl === null ? Infinity : start + cacheTtl * 1000,
      generation: cacheTtl === null ? generation : null,
      rcode: word & 0xf, flags: word & ~0xf, logHead: Buffer.from(head, 'latin1'), logTail: Buffer.from(tail, 'latin1'),
    };
    if (key !== null) this.store.set(key, stored);
    return stored;
  }

  /** The reply to send as it is (not stored): the query's id in place. */
  protected unstored(q: Query, msg: Buffer, proto: Proto, client: Client, a: Answer): Buffer {
    const { bytes } = this.encode(q, msg, proto, client, a);
    bytes.writeUInt16BE(q.id, 0);
    return bytes;
  }

  /** The reply with id 0 (stored replies get the asking query's id when served). */
  protected encode(q: Query, msg: Buffer, proto: Proto, client: Client, a: Answer): { bytes: Buffer; ttlOffsets: readonly number[]; unwritable?: string } {
    const r: Reply = {
      id: 0,
      flags: (q.opcode << 11) | (q.flags & (RD | CD)) | a.flags,
      rcode: a.rcode,
      query: { bytes: msg, q },
      answers: a.answers, authority: a.authority, additional: a.additional,
      opt: q.edns ? { udpSize: q.edns.udpSize, do: q.edns.do } : null,
    };
    return encodeReply(r, replyLimit(q, proto), proto === 'udp' ? client.family : null);
  }

  /** Logs the query as answered and hands back the bytes. */
  protected sent(q: Query, client: Client, proto: Proto, start: number, bytes: Buffer): Buffer {
    if (this.log) {
      const word = bytes.readUInt16BE(2);
      this.log.write(queryLogLine({ client, q, proto, rcode: word & 0xf, flags: word & ~0xf, size: bytes.length, seconds: (performance.now() - start) / 1000 }));
    }
    return bytes;
  }

  async close(): Promise<void> {
    this.store.clear();
    await this.log?.close();
  }
}

/** An answer without records (errors). */
export function plain(rcode: number, flags = 0): Answer {
  return { rcode, flags, answers: [], authority: [], additional: [], cacheTtl: null };
}

/** A reply of just a header (a query too malformed to echo its question). */
function headerOnly(id: number, msg: Buffer, rcode: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(QR | (msg.length >= 4 ? msg.readUInt16BE(2) & (0x7800 | RD | CD) : 0) | rcode, 2);
  return b;
}

/** Core records (type names, presentation data) as records to write. */
export function outRecords(rrs: readonly RR[]): OutRecord[] {
  return rrs.map((rr) => ({ name: rr.name, type: TYPE[rr.type]!, ttl: rr.ttl, data: rr.data }));
}

/** The same records, every TTL set to `ttl` (the cache plugin's filterRRSlice). */
export function withTtl(rrs: readonly OutRecord[], ttl: number): OutRecord[] {
  return rrs.map((rr) => (rr.ttl === ttl ? rr : { ...rr, ttl }));
}
