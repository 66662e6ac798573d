// The internet's DNS, as CoreDNS's upstream answers: the names of the Cluster object's
// `external.records` (CNAMEs followed, NODATA for a name that exists without the type or
// is a parent of a known name) and PTR records for their addresses. Closed (the running
// cluster's simulated internet): nothing else exists. Open (a prediction of a real
// cluster): any other public name is the real upstream's, which knet does not know
// (UNKNOWN); NXDOMAIN only where no upstream can hold the name.
import { cidrContains, type Cidr } from '../../model/ip.js';
import type { ExternalRecord } from '../../model/types.js';
import { txtData, type DnsAnswer, type RR } from './message.js';
import { addressFromReverse, inZone, type RRType } from './names.js';

/** TTL of the simulated internet's records (external records carry none of their own). */
export const INTERNET_TTL = 300;
const MAX_CHAIN = 8;

export interface Internet {
  readonly records: ReadonlyMap<string, ExternalRecord>;
  readonly parents: ReadonlySet<string>; // empty non-terminals above known names
  readonly reverse: ReadonlyMap<string, readonly string[]>; // IP -> names
  /** null: closed, the records are the whole internet (the running cluster's). */
  readonly open: OpenWorld | null;
}

/** What knet knows no upstream holds, in a prediction of a real cluster. */
export interface OpenWorld {
  readonly clusterDomain: string;
  /** The cluster's pod and service ranges: no public server names their addresses. */
  readonly clusterRanges: readonly Cidr[];
}

/**
 * Special-use top-level names no public DNS delegates (RFC 6761 test, localhost, invalid,
 * example; RFC 6762 local): a recursive resolver answers them NXDOMAIN.
 */
const SPECIAL_USE = ['localhost', 'invalid', 'test', 'example', 'local'];

export function buildInternet(records: readonly ExternalRecord[], open: OpenWorld | null = null): Internet {
  const byName = new Map<string, ExternalRecord>();
  const parents = new Set<string>(['']);
  const reverse = new Map<string, string[]>();
  for (const r of records) {
    byName.set(r.name, r);
    const labels = r.name.split('.');
    for (let i = 1; i < labels.length; i++) parents.add(labels.slice(i).join('.'));
    for (const ip of [...r.a, ...r.aaaa]) {
      const list = reverse.get(ip);
      if (list) list.push(r.name);
      else reverse.set(ip, [r.name]);
    }
  }
  return { records: byName, parents, reverse, open };
}

/** `name` canonical, `owner` the name as asked (with its trailing dot). */
export function askInternet(net: Internet, name: string, owner: string, type: RRType): DnsAnswer {
  const answers: RR[] = [];
  let current = name;
  let currentOwner = owner;
  for (let hop = 0; hop < MAX_CHAIN; hop++) {
    const rec = net.records.get(current);
    if (!rec) {
      if (type === 'PTR' && hop === 0) return ptr(net, name, owner);
      const unknown = net.open ? unlisted(net.open, current) : null;
      if (unknown) return { rcode: 'UNKNOWN', answers, additional: [], source: 'upstream', reasons: [unknown] };
      if (hop > 0) return answer('NOERROR', answers, `the CNAME target ${current}. does not exist on the internet`);
      if (net.open) return answer('NXDOMAIN', [], absentWhy(net.open, current));
      return net.parents.has(current)
        ? answer('NOERROR', [], `${name}. exists on the internet (a parent of known names) but has no ${type} record`)
        : answer('NXDOMAIN', [], `${name}. does not exist on the internet (not in the Cluster object's external.records)`);
    }
    if (rec.cname && type !== 'CNAME') {
      answers.push({ name: currentOwner, type: 'CNAME', ttl: INTERNET_TTL, data: `${rec.cname}.` });
      current = rec.cname;
      currentOwner = `${rec.cname}.`;
      continue;
    }
    const data: readonly string[] =
      type === 'A' ? rec.a : type === 'AAAA' ? rec.aaaa : type === 'TXT' ? rec.txt.map(txtData) : type === 'CNAME' && rec.cname ? [`${rec.cname}.`] : [];
    for (const v of data) answers.push({ name: currentOwner, type, ttl: INTERNET_TTL, data: v });
    return answer('NOERROR', answers, data.length
      ? `${current}. is an external record`
      : `${current}. exists on the internet but has no ${type} record`);
  }
  return { rcode: 'SERVFAIL', answers: [], additional: [], source: 'upstream', reasons: [`CNAME chain from ${name}. is longer than ${MAX_CHAIN}`] };
}

/**
 * Open world: the reason a name outside the external records is the upstream's to answer,
 * or null where no upstream can hold it (a single label, a special-use name, the cluster
 * domain, which only the cluster DNS serves).
 */
function unlisted(open: OpenWorld, name: string): string | null {
  if (!name.includes('.')) return null; // a top-level name: no address records at the root
  const tld = name.slice(name.lastIndexOf('.') + 1);
  if (SPECIAL_USE.includes(tld) || inZone(name, open.clusterDomain)) return null;
  return `${name}. is not among the Cluster object's external.records: the upstream answers it, with an address unknown to knet`;
}

function absentWhy(open: OpenWorld, name: string): string {
  if (!name.includes('.')) return `${name || '.'} is a single label: no public name server has address records for a top-level name`;
  if (inZone(name, open.clusterDomain)) return `${name}. is in the cluster domain ${open.clusterDomain}, which only the cluster DNS serves: the upstream has no such name`;
  return `${name}. is a special-use name (RFC 6761): no public name server answers it`;
}

function ptr(net: Internet, name: string, owner: string): DnsAnswer {
  const ip = addressFromReverse(name);
  const names = ip ? net.reverse.get(ip) ?? [] : [];
  if (names.length === 0 && net.open && ip && !net.open.clusterRanges.some((c) => cidrContains(c, ip))) {
    return { rcode: 'UNKNOWN', answers: [], additional: [], source: 'upstream', reasons: [`${ip} is outside the cluster and no external record has it: its name is the upstream's, unknown to knet`] };
  }
  if (names.length === 0) {
    return answer('NXDOMAIN', [], net.open && ip ? `${ip} is in the cluster's own ranges: no upstream names it` : `no external record has the address ${ip ?? name}`);
  }
  return answer('NOERROR', names.map((n) => ({ name: owner, type: 'PTR', ttl: INTERNET_TTL, data: `${n}.` })), `${ip} is an address of an external record`);
}

function answer(rcode: 'NOERROR' | 'NXDOMAIN', answers: RR[], why: string): DnsAnswer {
  return { rcode, answers, additional: [], source: 'upstream', reasons: [why] };
}
