// The answers CoreDNS's kubernetes plugin gives for one query type (handler.go ServeDNS
// and plugin/backend_lookup.go): A/AAAA by family, ExternalName CNAMEs completed from
// the cluster or the upstream, SRV with CoreDNS's weights, PTR for ClusterIPs and
// endpoints, the dns-version TXT, SOA and NS at the zone's apex (zone-apex.ts), and
// NXDOMAIN versus NODATA for each.
import type { ClusterRecords } from './cluster-records.js';
import type { KubernetesPlugin } from './corefile.js';
import { endpointLabel, findRecords, type Item } from './kubernetes-records.js';
import { txtData, type DnsAnswer, type RR } from './message.js';
import { addressFromReverse, fqdn, inZone, isReverse, type RRType } from './names.js';
import { defaultNsAddresses, isDefaultNs, nsAnswer, soaRecord, zoneAsAsked } from './zone-apex.js';

/** The schema version of the Kubernetes DNS specification CoreDNS implements. */
export const DNS_SCHEMA_VERSION = '1.1.0';
const DNS_VERSION_TTL = 28800;
const MAX_CNAME_CHAIN = 7;

export interface PluginResult {
  readonly nameError: boolean; // NXDOMAIN (the caller decides about fallthrough)
  readonly answers: readonly RR[];
  readonly additional: readonly RR[];
  readonly reasons: readonly string[];
  /** The answer ends at an upstream knet does not model (an ExternalName's public target). */
  readonly unknown?: boolean;
}

/** Resolves a name outside the zone through the whole server (CoreDNS's upstream lookup). */
export type UpstreamLookup = (name: string, type: RRType) => DnsAnswer;

export function serveKubernetes(
  d: ClusterRecords, k: KubernetesPlugin, name: string, owner: string, zone: string, type: RRType, upstream: UpstreamLookup, serial: number,
): PluginResult {
  if (isDefaultNs(name, zone) && type !== 'TXT' && type !== 'PTR') {
    const answers = type === 'A' || type === 'AAAA' ? defaultNsAddresses(d, k, owner, zone, type) : [];
    return { nameError: false, answers, additional: [], reasons: [`${name}. is the zone's name server (the SOA's primary): the cluster DNS's own addresses`] };
  }
  switch (type) {
    case 'SOA':
      // handler.go: SOA only at the apex; below it the answer is NODATA, whatever the name.
      return name === zone
        ? { nameError: false, answers: [soaRecord(zoneAsAsked(owner, zone), k.ttl, serial)], additional: [], reasons: [`${owner} is the apex of the kubernetes zone ${zone || '.'}`] }
        : { nameError: false, answers: [], additional: [], reasons: [`CoreDNS answers SOA only at the apex of ${zone || '.'}: NODATA below it`] };
    case 'NS': {
      if (name === zone) {
        const ns = nsAnswer(d, k, owner, zone);
        return { nameError: false, ...ns, reasons: [`${owner} is the apex of the kubernetes zone: its name servers are the Services CoreDNS is an endpoint of`] };
      }
      // Below the apex NS is answered by the name's existence (handler.go's fake A lookup).
      const f = findRecords(d, k, name, zone);
      return f.ok ? { nameError: false, answers: [], additional: [], reasons: [f.why, `${name}. has no NS record: NODATA`] } : miss(f.why);
    }
    case 'A':
    case 'AAAA': {
      const chain = addressChain(d, k, name, owner, zone, type, upstream, 0);
      return chain.found
        ? { nameError: false, answers: chain.records, additional: [], reasons: chain.reasons, ...(chain.unknown ? { unknown: true } : {}) }
        : { nameError: true, answers: [], additional: [], reasons: chain.reasons };
    }
    case 'TXT': return txt(d, k, name, owner, zone);
    case 'CNAME': {
      const f = findRecords(d, k, name, zone);
      if (!f.ok) return miss(f.why);
      const first = f.items[0];
      const answers: RR[] = first && first.family === 0 ? [{ name: owner, type: 'CNAME', ttl: k.ttl, data: fqdn(first.host) }] : [];
      return { nameError: false, answers, additional: [], reasons: [f.why] };
    }
    case 'SRV': return srv(d, k, name, owner, zone);
    case 'PTR': return ptr(d, k, name, owner, zone);
  }
}

function miss(why: string): PluginResult {
  return { nameError: true, answers: [], additional: [], reasons: [why] };
}

/**
 * A/AAAA: the items of the wanted family; an ExternalName's CNAME followed by the target's
 * addresses, from the cluster when the target is in the zone (kept only when it has
 * some), else from the upstream (the CNAME is kept even when the upstream has nothing).
 */
function addressChain(
  d: ClusterRecords, k: KubernetesPlugin, name: string, owner: string, zone: string, type: 'A' | 'AAAA', upstream: UpstreamLookup, depth: number,
): { found: boolean; records: RR[]; reasons: string[]; unknown: boolean } {
  const f = findRecords(d, k, name, zone);
  if (!f.ok) return { found: false, records: [], reasons: [f.why], unknown: false };
  const want = type === 'A' ? 4 : 6;
  const records: RR[] = [];
  const reasons = [f.why];
  let unknown = false;
  for (const item of f.items) {
    if (item.family === 0) {
      if (item.host === name || depth >= MAX_CNAME_CHAIN) continue; // x CNAME x, or a chain too long
      const cname: RR = { name: owner, type: 'CNAME', ttl: k.ttl, data: fqdn(item.host) };
      if (inZone(item.host, zone)) {
        const next = addressChain(d, k, item.host, fqdn(item.host), zone, type, upstream, depth + 1);
        reasons.push(...next.reasons);
        if (next.unknown) unknown = true;
        if (next.records.length > 0 || next.unknown) records.push(cname, ...next.records);
      } else {
        const a = upstream(item.host, type);
        if (a.rcode === 'UNKNOWN') {
          unknown = true;
          reasons.push(`${item.host}. is outside ${zone}.: its ${type} records come from the upstream, which knet does not know`, ...a.reasons);
        } else {
          reasons.push(`${item.host}. is outside ${zone}.: its ${type} records come from the upstream${a.answers.length ? '' : ', which has none'}`);
        }
        records.push(cname, ...a.answers);
      }
      continue;
    }
    if (item.family !== want || hasData(records, item.host)) continue;
    records.push({ name: owner, type, ttl: k.ttl, data: item.host });
  }
  if (records.length === 0 && f.items.length > 0) reasons.push(`${name}. exists but has no ${type} record: NODATA`);
  return { found: true, records, reasons, unknown };
}

function hasData(records: readonly RR[], data: string): boolean {
  for (const r of records) if (r.data === data) return true;
  return false;
}

/** Only `dns-version.<zone>` has a TXT record; any other existing name is NODATA. */
function txt(d: ClusterRecords, k: KubernetesPlugin, name: string, owner: string, zone: string): PluginResult {
  if (name === (zone ? `dns-version.${zone}` : 'dns-version')) {
    return {
      nameError: false, additional: [],
      answers: [{ name: owner, type: 'TXT', ttl: DNS_VERSION_TTL, data: txtData(DNS_SCHEMA_VERSION) }],
      reasons: [`dns-version.${zone}. carries the version of the Kubernetes DNS schema`],
    };
  }
  // CoreDNS (kubernetes.go Services) answers NODATA only when the name has records of
  // another type; a name with none, even an empty non-terminal, is NXDOMAIN for TXT.
  const f = findRecords(d, k, name, zone);
  if (f.ok && f.items.length > 0) return { nameError: false, answers: [], additional: [], reasons: [f.why, `${name}. has no TXT record: NODATA`] };
  return miss(f.ok ? `${name}. holds no records, and CoreDNS answers TXT there with NXDOMAIN` : f.why);
}

/**
 * SRV: one per (target, port); priority 0, weight floor(100 / number of items) as in
 * backend_lookup.go; ports -1 (none declared) make no record; ExternalName has none.
 * The additional section carries the targets' addresses.
 */
function srv(d: ClusterRecords, k: KubernetesPlugin, name: string, owner: string, zone: string): PluginResult {
  const f = findRecords(d, k, name, zone);
  if (!f.ok) return miss(f.why);
  const items: Item[] = f.items.filter((i) => i.family !== 0);
  const weight = Math.max(1, Math.floor(100 / Math.max(1, items.length)));
  const answers: RR[] = [];
  const additional: RR[] = [];
  const seen: { target: string; port: number; host: string }[] = []; // a handful: a scan beats a Set
  for (const item of items) {
    if (item.port === -1) continue;
    const target = zone ? `${item.key}.${zone}.` : `${item.key}.`;
    let sameSrv = false;
    let sameAddr = false;
    for (const x of seen) {
      if (x.target !== target) continue;
      if (x.port === item.port) sameSrv = true;
      if (x.host === item.host) sameAddr = true;
    }
    seen.push({ target, port: item.port, host: item.host });
    if (!sameSrv) answers.push({ name: owner, type: 'SRV', ttl: k.ttl, data: `0 ${weight} ${item.port} ${target}` });
    if (!sameAddr) additional.push({ name: target, type: item.family === 4 ? 'A' : 'AAAA', ttl: k.ttl, data: item.host });
  }
  const reasons = [f.why];
  if (answers.length === 0) {
    reasons.push(f.items.some((i) => i.family === 0) ? 'an ExternalName Service has no SRV records' : `${name}. has no SRV record (no named port): NODATA`);
  }
  return { nameError: false, answers, additional, reasons };
}

/**
 * PTR: a ClusterIP names its Service (one record); otherwise every Service whose ready
 * endpoints hold the address names it, as `<endpoint>.<svc>.<ns>.svc.<zone>`.
 */
function ptr(d: ClusterRecords, k: KubernetesPlugin, name: string, owner: string, zone: string): PluginResult {
  const ip = addressFromReverse(name);
  if (!ip) {
    if (isReverse(name)) return miss(`${name}. is not a complete reverse name of an address`);
    const f = findRecords(d, k, name, zone);
    return f.ok ? { nameError: false, answers: [], additional: [], reasons: [f.why, `${name}. has no PTR record: NODATA`] } : miss(f.why);
  }
  const primary = k.zones.find((z) => !isReverse(z)) ?? '';
  const exposed = (ns: string) => k.namespaces.length === 0 || k.namespaces.includes(ns);
  const svc = d.serviceByClusterIP.get(ip);
  if (svc && exposed(svc.namespace)) {
    return {
      nameError: false, additional: [],
      answers: [{ name: owner, type: 'PTR', ttl: k.ttl, data: `${svc.key}.${primary}.` }],
      reasons: [`${ip} is the ClusterIP of Service ${svc.namespace}/${svc.name}`],
    };
  }
  const answers: RR[] = [];
  const seen = new Set<string>();
  for (const { service, address } of d.endpointsByIP.get(ip) ?? []) {
    if (!exposed(service.namespace)) continue;
    const target = `${endpointLabel(k, address)}.${service.name}.${service.namespace}.svc.${primary}.`;
    if (seen.has(target)) continue;
    seen.add(target);
    answers.push({ name: owner, type: 'PTR', ttl: k.ttl, data: target });
  }
  if (answers.length === 0) return miss(`${ip} is neither a ClusterIP nor a ready endpoint of any Service`);
  return { nameError: false, answers, additional: [], reasons: [`${ip} is a ready endpoint of ${answers.length} Service${answers.length > 1 ? 's' : ''}`] };
}
