// Encoded replies kept for the next identical question. Two kinds share one store:
// the cache plugin's entries (their TTLs count down and they expire, and a data reload
// leaves them alone, as CoreDNS's cache outlives informer updates), and answers computed
// from the current data and not cached by the Corefile (served as they are until the
// data changes). A hit is a copy of the bytes with the query's id and, for cache entries,
// the TTL left; nothing is decoded or encoded again.
export interface StoredReply {
  /** The reply with id 0. */
  readonly bytes: Buffer;
  readonly ttlOffsets: readonly number[];
  /** The TTL every record had when stored (cache entries). */
  readonly ttl: number;
  readonly storedAt: number; // ms, performance.now()
  /** ms; Infinity for answers tied to a data generation. */
  readonly expiresAt: number;
  /** The data generation it was computed from; null for cache entries (they outlive reloads). */
  readonly generation: number | null;
  readonly rcode: number;
  /** The reply's header flags (for the log). */
  readonly flags: number;
  /** The log line around the query's size (query-log.ts logParts), as latin1 bytes. */
  readonly logHead: Buffer;
  readonly logTail: Buffer;
}

/**
 * What makes two queries the same question with the same reply, read from the bytes without
 * decoding: transport and client family (truncation and the UDP compression rule), RD/CD,
 * EDNS size and DO (together `shape`, a small number), and the question's bytes (the name
 * in the case it was asked, since the reply echoes it, type and class). Ids and EDNS options
 * (cookies) differ between otherwise identical queries and are not part of it.
 */
export interface QueryKey {
  readonly shape: number;
  /** The question section as latin1 text (one flat string: a cheap map key). */
  readonly question: string;
}

/** The key of a plain query; null: not a plain query (the full reader decides). */
export function queryKey(m: Buffer, proto: 'udp' | 'tcp', family: 4 | 6): QueryKey | null {
  if (m.length < 17) return null;
  const flags = m.readUInt16BE(2);
  if ((flags & 0xf800) !== 0 || m.readUInt16BE(4) !== 1 || m.readUInt16BE(6) !== 0 || m.readUInt16BE(8) !== 0) return null;
  const additional = m.readUInt16BE(10);
  if (additional > 1) return null;
  let off = 12;
  for (;;) {
    if (off >= m.length) return null;
    const len = m[off]!;
    if (len === 0) break;
    if (len > 63) return null;
    off += len + 1;
  }
  const end = off + 5; // the root label, type, class
  if (end > m.length) return null;
  let shape = (proto === 'udp' ? 0 : 1) | (family === 6 ? 2 : 0) | (flags & 0x0100 ? 4 : 0) | (flags & 0x0010 ? 8 : 0);
  if (additional === 1) {
    // OPT: root name, type 41, class = UDP size, TTL = extended rcode, version, DO and flags.
    if (end + 11 > m.length || m[end] !== 0 || m.readUInt16BE(end + 1) !== 41 || m[end + 6] !== 0) return null;
    shape |= 16 | (m[end + 7]! & 0x80 ? 32 : 0) | (m.readUInt16BE(end + 3) * 64);
  }
  return { shape, question: m.toString('latin1', 12, end) };
}

export class ReplyStore {
  /** shape -> question -> reply (two levels: no key string is built per query). */
  private readonly entries = new Map<number, Map<string, StoredReply>>();
  private count = 0;

  /** `capacity`: CoreDNS's cache holds 9,984 successes and as many denials. */
  constructor(private readonly capacity = 2 * 9984) {}

  get size(): number {
    return this.count;
  }

  /** The entry for `key` if it is still good at `now` for data `generation`. */
  get(key: QueryKey, now: number, generation: number): StoredReply | undefined {
    const byQuestion = this.entries.get(key.shape);
    const e = byQuestion?.get(key.question);
    if (!e) return undefined;
    if (e.generation === null ? now >= e.expiresAt || remainingTtl(e, now) <= 0 : e.generation !== generation) {
      byQuestion!.delete(key.question);
      this.count--;
      return undefined;
    }
    return e;
  }

  set(key: QueryKey, reply: StoredReply): void {
    let byQuestion = this.entries.get(key.shape);
    if (!byQuestion) this.entries.set(key.shape, (byQuestion = new Map()));
    if (!byQuestion.has(key.question)) {
      if (this.count >= this.capacity) this.evict();
      this.count++;
    }
    byQuestion.set(key.question, reply);
  }

  clear(): void {
    this.entries.clear();
    this.count = 0;
  }

  /** An old entry goes: the first stored of the first shape (CoreDNS evicts a random entry of the shard). */
  private evict(): void {
    for (const [shape, byQuestion] of this.entries) {
      const oldest = byQuestion.keys().next().value;
      if (oldest === undefined) {
        this.entries.delete(shape);
        continue;
      }
      byQuestion.delete(oldest);
      this.count--;
      return;
    }
  }
}

/** cache.go item.ttl: the stored TTL less the whole seconds since it was stored. */
export function remainingTtl(e: StoredReply, now: number): number {
  return e.ttl - Math.floor((now - e.storedAt) / 1000);
}

/** The bytes to send for a stored reply: the query's id, and the TTL left for cache entries. */
export function materialize(e: StoredReply, id: number, now: number): Buffer {
  const out = Buffer.allocUnsafe(e.bytes.length);
  e.bytes.copy(out);
  out.writeUInt16BE(id, 0);
  if (e.generation === null) {
    const ttl = Math.max(0, remainingTtl(e, now));
    if (ttl !== e.ttl) for (const o of e.ttlOffsets) out.writeUInt32BE(ttl, o);
  }
  return out;
}
