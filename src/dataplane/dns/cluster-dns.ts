// A CoreDNS pod on the wire: the answers of core/dns's resolveName for what the kubernetes
// plugin serves (SOA and NS at the apex, the SOA in negative answers), the forward plugin for what
// it does not (the upstreams of the Corefile's `forward`; `/etc/resolv.conf` is the pod's
// own file, the node's resolv.conf under dnsPolicy Default: 203.0.113.53 on the internet
// side), and the cache plugin in front of both as the Corefile sets it (`cache 30`: TTLs
// capped and counting down, success and denial kept apart, `disable` zones honoured).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ServerBlock, CachePlugin } from '../../core/dns/corefile.js';
import { resolveName, type DnsIndex } from '../../core/dns/dns-server.js';
import { wireRcode, type DnsAnswer } from '../../core/dns/message.js';
import { canonicalName, inZone, type QType } from '../../core/dns/names.js';
import { soaRecord, zoneAsAsked } from '../../core/dns/zone-apex.js';
import { ETC_NETNS } from '../run-state.js';
import type { NetnsSwitch } from '../runtime/netns.js';
import { parseResolvConf } from '../runtime/resolve.js';
import type { DnsDataSource, LoadedDns } from './data-source.js';
import { Forwarder, MAX_CONCURRENT, type Upstream } from './forward.js';
import type { LogFile } from './query-log.js';
import { materialize, type QueryKey } from './reply-store.js';
import { DnsResponder, outRecords, plain, withTtl, type Answer, type Client, type Proto } from './responder.js';
import { scanMessage, setTtls } from './relay.js';
import { AA, CLASS_IN, RCODE, TC, TYPE, typeName, type OutRecord, type Query } from './wire.js';

/** The query types core/dns answers; others are answered by the name's existence alone. */
const MODELLED = new Map<number, QType>([[1, 'A'], [28, 'AAAA'], [5, 'CNAME'], [33, 'SRV'], [12, 'PTR'], [16, 'TXT'], [6, 'SOA'], [2, 'NS'], [255, 'ANY']]);

/** The cache plugin's floor for both kinds of answers (MINTTL, default 5 s). */
const CACHE_MIN_TTL = 5;

export interface ClusterDnsOptions {
  readonly sockets: NetnsSwitch;
  /** The CoreDNS pod's namespace: forwarded queries leave from it. */
  readonly netns: string;
  readonly data: DnsDataSource;
  readonly log: LogFile | null;
  readonly forwardTimeoutMs?: number;
}

type Decision = { readonly kind: 'local'; readonly answer: Answer } | { readonly kind: 'forward'; readonly block: ServerBlock };

export class ClusterDns extends DnsResponder {
  private readonly forwarder: Forwarder;
  private upstreamCache: { generation: number; list: Upstream[]; problem: string } | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ClusterDnsOptions) {
    super(options.data, options.log);
    this.forwarder = new Forwarder(options.sockets, options.netns, options.forwardTimeoutMs);
    const loaded = options.data.current;
    if (loaded) this.banner(loaded);
    this.unsubscribe = options.data.onLoad((now, before) => {
      if (!before || before.corefileSha512 !== now.corefileSha512) {
        // A new Corefile restarts the server (the reload plugin): the cache starts empty.
        this.store.clear();
        if (before) this.log?.write('[INFO] Reloading\n');
        this.banner(now);
        if (before) this.log?.write('[INFO] Reloading complete\n');
      }
    });
  }

  /** What CoreDNS prints when it starts serving a configuration. */
  private banner(d: LoadedDns): void {
    const keys = d.index.config.blocks.map((b) => `${b.zones.map((z) => `${z || ''}.`).join(',')}:${b.port}`);
    this.log?.write(`${keys.join('\n')}\n[INFO] plugin/reload: Running configuration SHA512 = ${d.corefileSha512}\nCoreDNS-1.11.3 (knet)\n`);
  }

  protected answer(q: Query, msg: Buffer, client: Client, proto: Proto, data: LoadedDns, key: QueryKey | null, start: number): Buffer | Promise<Buffer | null> {
    if (q.qclass !== CLASS_IN) return this.reply(q, msg, client, proto, data, key, start, plain(RCODE.REFUSED));
    const d = decide(data, q);
    if (d.kind === 'local') return this.reply(q, msg, client, proto, data, key, start, d.answer);
    return this.forward(q, msg, client, proto, data, key, start, d.block);
  }

  /** The forward plugin: one try per upstream, in random order; SERVFAIL when none answers. */
  private async forward(q: Query, msg: Buffer, client: Client, proto: Proto, data: LoadedDns, key: QueryKey | null, start: number, block: ServerBlock): Promise<Buffer | null> {
    const fail = (rcode: number, why: string): Buffer => {
      this.log?.write(`[ERROR] plugin/errors: ${rcode} ${q.qname.toLowerCase()} ${typeName(q.qtype)}: ${why}\n`);
      return this.sent(q, client, proto, start, this.unstored(q, msg, proto, client, plain(rcode)));
    };
    const { list, problem } = this.upstreams(block, data);
    if (list.length === 0) return fail(RCODE.SERVFAIL, problem);
    if (this.forwarder.inFlight >= MAX_CONCURRENT) return fail(RCODE.REFUSED, `concurrent queries exceeded maximum ${MAX_CONCURRENT}`);
    let reply: Buffer | null = null;
    let error = '';
    for (const upstream of shuffled(list)) {
      try {
        reply = await this.forwarder.exchange(msg, proto, upstream);
        break;
      } catch (e) {
        error = (e as Error).message;
      }
    }
    if (!reply) return fail(RCODE.SERVFAIL, error);
    const scan = scanMessage(reply);
    if (!scan) return fail(RCODE.SERVFAIL, 'dns: bad reply from the upstream');
    const out = Buffer.from(reply);
    const ttl = scan.flags & TC ? null : cacheTtlFor(block.cache, canonicalName(q.qname), scan.rcode, scan.answers > 0, scan.minTtl);
    if (ttl === null) {
      out.writeUInt16BE(q.id, 0);
      return this.sent(q, client, proto, start, out);
    }
    setTtls(out, scan.ttlOffsets, ttl);
    out.writeUInt16BE(0, 0);
    const stored = this.storeReply(q, proto, key, start, out, scan.ttlOffsets, ttl, data.generation);
    return this.sent(q, client, proto, start, materialize(stored, q.id, start));
  }

  /**
   * The Corefile's upstreams: `/etc/resolv.conf` is the pod's file (its dnsPolicy decides
   * what it holds), addresses as written (`8.8.8.8`, `dns://1.1.1.1:53`, `[fd00::1]:53`).
   * An upstream that is this cluster DNS itself is refused (the loop plugin would halt).
   */
  private upstreams(block: ServerBlock, data: LoadedDns): { list: Upstream[]; problem: string } {
    if (this.upstreamCache?.generation === data.generation) return this.upstreamCache;
    const list: Upstream[] = [];
    const problems: string[] = [];
    for (const to of block.forward?.to ?? []) {
      if (to.startsWith('/')) {
        if (to !== '/etc/resolv.conf') {
          problems.push(`forward: ${to}: a pod has no such file (only /etc/resolv.conf)`);
          continue;
        }
        const file = `${ETC_NETNS}/${this.options.netns}/resolv.conf`;
        try {
          for (const ip of parseResolvConf(readFileSync(file, 'utf8')).nameservers) list.push({ ip, port: 53 });
        } catch (e) {
          problems.push(`forward: cannot read ${file}: ${(e as Error).message}`);
        }
        continue;
      }
      const u = parseUpstream(to);
      if (u) list.push(u);
      else problems.push(`forward: "${to}" is not an address knet can forward to (plain DNS only)`);
    }
    const loops = list.filter((u) => data.index.serverIPs.has(u.ip));
    for (const u of loops) problems.push(`plugin/loop: forwarding to ${u.ip} would reach this cluster DNS again`);
    const ok = list.filter((u) => !data.index.serverIPs.has(u.ip));
    const problem = problems.join('; ') || 'no upstream in the forward plugin';
    this.upstreamCache = { generation: data.generation, list: ok, problem };
    return this.upstreamCache;
  }

  override async close(): Promise<void> {
    this.unsubscribe();
    this.forwarder.close();
    await super.close();
  }
}

/** `8.8.8.8`, `8.8.8.8:5353`, `dns://8.8.8.8`, `[fd00::1]:53`, `fd00::1`. */
export function parseUpstream(text: string): Upstream | null {
  const t = text.replace(/^dns:\/\//, '');
  if (/^[a-z]+:\/\//.test(t)) return null; // tls://, https://, grpc://
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) return isIP(v6[1]!) === 6 ? { ip: v6[1]!, port: Number(v6[2] ?? 53) } : null;
  if (isIP(t)) return { ip: t, port: 53 };
  const v4 = /^([^:]+):(\d+)$/.exec(t);
  return v4 && isIP(v4[1]!) === 4 ? { ip: v4[1]!, port: Number(v4[2]) } : null;
}

function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Local (kubernetes plugin, or an error) or forward: resolveName's answer says which plugin
 * answered, with the zone's SOA in its negative answers. Types core/dns does not model get
 * NXDOMAIN or NODATA from the name's A answer (handler.go's fake A lookup).
 */
export function decide(data: LoadedDns, q: Query): Decision {
  const index = data.index;
  const canon = canonicalName(q.qname);
  const block = blockFor(index, canon);
  const modelled = MODELLED.get(q.qtype);
  const a: DnsAnswer = resolveName(index, q.qname, modelled ?? 'A');
  if (a.source === 'upstream' && block) return { kind: 'forward', block };
  const k = block?.kubernetes ?? null;
  const zone = k ? longestZone(k.zones, canon) : undefined;
  const rcode = RCODE[wireRcode(a)];
  const answers = modelled ? outRecords(a.answers) : [];
  const negative = rcode === RCODE.NXDOMAIN || (rcode === RCODE.NOERROR && answers.length === 0);
  // An unmodelled type at a name with A records is NODATA: the SOA that resolveName gave no reason to add.
  const soa = a.authority?.length ? a.authority : zone !== undefined && k ? [soaRecord(zoneAsAsked(q.qname, zone), k.ttl, index.serial)] : [];
  const authority = a.source === 'kubernetes' && negative ? outRecords(soa) : [];
  return {
    kind: 'local',
    answer: finish(block, canon, { rcode, flags: a.source === 'kubernetes' ? AA : 0, answers, authority, additional: modelled ? outRecords(a.additional) : [], cacheTtl: null }),
  };
}

/** The cache plugin over a local answer: every record gets the cached TTL. */
function finish(block: ServerBlock | undefined, canon: string, a: Answer): Answer {
  const all = [...a.answers, ...a.authority, ...a.additional];
  let min: number | null = null;
  for (const rr of all) {
    if (min === null || rr.ttl < min) min = rr.ttl;
    if (rr.type === TYPE.SOA) {
      const minimum = Number(rr.data.split(' ')[6]);
      if (minimum < min) min = minimum;
    }
  }
  const ttl = cacheTtlFor(block?.cache ?? null, canon, a.rcode, a.answers.length > 0, min);
  if (ttl === null) return a;
  return { ...a, answers: withTtl(a.answers, ttl), authority: withTtl(a.authority, ttl), additional: withTtl(a.additional, ttl), cacheTtl: ttl };
}

/**
 * cache.go: success (NOERROR with records) and denial (NXDOMAIN, NODATA) are cached for the
 * message's smallest TTL, at least MINTTL and at most the cache's TTL for that kind, in the
 * cache's zones and not in its `disable` zones; other answers are not cached. null: not cached.
 */
export function cacheTtlFor(c: CachePlugin | null, canon: string, rcode: number, hasAnswers: boolean, msgTtl: number | null): number | null {
  if (!c || !c.zones.some((z) => inZone(canon, z))) return null;
  let cap: number;
  if (rcode === RCODE.NOERROR && hasAnswers) {
    if (c.disableSuccess.some((z) => inZone(canon, z))) return null;
    cap = c.successTtl;
  } else if (rcode === RCODE.NXDOMAIN || rcode === RCODE.NOERROR) {
    if (c.disableDenial.some((z) => inZone(canon, z))) return null;
    cap = c.denialTtl;
  } else return null;
  const ttl = Math.min(Math.max(msgTtl ?? CACHE_MIN_TTL, CACHE_MIN_TTL), cap);
  return ttl > 0 ? ttl : null;
}

/** The server block on port 53 with the longest zone holding the name (as dns-server.ts picks). */
function blockFor(index: DnsIndex, canon: string): ServerBlock | undefined {
  let best: ServerBlock | undefined;
  let bestLen = -1;
  for (const b of index.config.blocks) {
    if (b.port !== 53) continue;
    const z = longestZone(b.zones, canon);
    if (z !== undefined && z.length > bestLen) {
      best = b;
      bestLen = z.length;
    }
  }
  return best;
}

function longestZone(zones: readonly string[], canon: string): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (inZone(canon, z) && (best === undefined || z.length > best.length)) best = z;
  return best;
}
