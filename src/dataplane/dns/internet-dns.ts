// The internet's resolver at 203.0.113.53 (in the cluster's knet-<c>-inet namespace): what
// nodes' resolv.conf names and CoreDNS forwards to. It answers the Cluster object's
// external.records as core/dns's askServer does for the nodes' upstream (the runtime's index
// is closed: nothing else exists), like a recursive resolver (RA set, not authoritative),
// with an SOA in negative answers.
import { askServer, INTERNET_RESOLVER } from '../../core/dns/dns-server.js';
import { wireRcode, type DnsAnswer } from '../../core/dns/message.js';
import { canonicalName, type QType } from '../../core/dns/names.js';
import type { DnsDataSource, LoadedDns } from './data-source.js';
import type { LogFile } from './query-log.js';
import type { QueryKey } from './reply-store.js';
import { DnsResponder, outRecords, plain, type Client, type Proto } from './responder.js';
import { CLASS_IN, RA, RCODE, TYPE, type OutRecord, type Query } from './wire.js';

/** The address the simulated internet's resolver holds (compile/topology.ts INTERNET.upstreamDns). */
export const INTERNET_DNS_ADDRESS = INTERNET_RESOLVER;
const NEGATIVE_TTL = 300;

const MODELLED = new Map<number, QType>([[1, 'A'], [28, 'AAAA'], [5, 'CNAME'], [33, 'SRV'], [12, 'PTR'], [16, 'TXT'], [6, 'SOA'], [2, 'NS'], [255, 'ANY']]);

export class InternetDns extends DnsResponder {
  constructor(data: DnsDataSource, log: LogFile | null) {
    super(data, log);
  }

  protected answer(q: Query, msg: Buffer, client: Client, proto: Proto, data: LoadedDns, key: QueryKey | null, start: number): Buffer {
    if (q.qclass !== CLASS_IN) return this.reply(q, msg, client, proto, data, key, start, plain(RCODE.REFUSED, RA));
    const modelled = MODELLED.get(q.qtype);
    let a: DnsAnswer = askServer(data.index, INTERNET_DNS_ADDRESS, q.qname, modelled ?? 'A');
    if (!modelled) a = { ...a, answers: [], additional: [] };
    const rcode = RCODE[wireRcode(a)];
    const answers = outRecords(a.answers);
    const negative = rcode === RCODE.NXDOMAIN || (rcode === RCODE.NOERROR && answers.length === 0);
    return this.reply(q, msg, client, proto, data, key, start, {
      rcode, flags: RA, answers, additional: outRecords(a.additional),
      authority: negative ? [negativeSoa(data, canonicalName(q.qname))] : [],
      cacheTtl: null,
    });
  }
}

/** The SOA of the name or its closest known parent (the root's when none is known). */
function negativeSoa(data: LoadedDns, canon: string): OutRecord {
  const parents = data.index.internet.parents;
  let zone = '';
  const labels = canon.split('.');
  for (let i = 0; i < labels.length && zone === ''; i++) {
    const candidate = labels.slice(i).join('.');
    if (candidate !== '' && parents.has(candidate)) zone = candidate;
  }
  if (zone === '') {
    return { name: '.', type: TYPE.SOA!, ttl: NEGATIVE_TTL, data: `a.root-servers.net. nstld.verisign-grs.com. ${data.serial} 1800 900 604800 ${NEGATIVE_TTL}` };
  }
  return { name: `${zone}.`, type: TYPE.SOA!, ttl: NEGATIVE_TTL, data: `ns1.${zone}. hostmaster.${zone}. ${data.serial} 7200 1800 86400 ${NEGATIVE_TTL}` };
}
