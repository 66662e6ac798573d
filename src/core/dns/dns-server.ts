// The cluster's DNS server as a pure function: which server block of the Corefile takes
// a query (the longest matching zone on port 53), the kubernetes plugin's answer, its
// fallthrough to forward (the internet: open in a prediction, closed in the running
// cluster), and the cache plugin's TTL cap. Built once per cluster snapshot; each query
// is a handful of map lookups.
import type { Issue } from '../../model/issue.js';
import { cidrContains, parseIP, type IP } from '../../model/ip.js';
import type { Inventory } from '../../model/types.js';
import { buildClusterRecords, type ClusterRecords } from './cluster-records.js';
import { kubeadmDnsConfig, parseCorefile, type DnsServerConfig, type ServerBlock } from './corefile.js';
import { askInternet, buildInternet, type Internet } from './internet.js';
import { parseResolvConf } from './resolv-conf.js';
import { withAcmeServerRecords } from '../certs/acme-server.js';
import { serveKubernetes } from './kubernetes-plugin.js';
import { soaRecord, zoneAsAsked } from './zone-apex.js';
import type { DnsAnswer, RR } from './message.js';
import { canonicalName, fqdn, inZone, RR_TYPES, type QType, type RRType } from './names.js';

export interface DnsIndex {
  readonly config: DnsServerConfig;
  readonly records: ClusterRecords;
  readonly internet: Internet;
  readonly clusterDomain: string;
  /** Addresses where the cluster DNS answers: kube-dns ClusterIPs and its ready pods. */
  readonly serverIPs: ReadonlySet<string>;
  readonly clusterRanges: Inventory['config']['serviceSubnets'];
  readonly issues: readonly Issue[];
  /** A name outside the kubernetes zone, asked through the whole server (ExternalName targets). */
  readonly upstream: (name: string, type: RRType) => DnsAnswer;
  /**
   * The nameservers knet models as the upstream (the internet's resolver, the nodes'
   * resolv.conf servers); another address outside the cluster is a server knet does not know.
   */
  readonly upstreamServers: ReadonlySet<string>;
  /** The SOA serial (CoreDNS: the Unix time of the last change it saw). */
  readonly serial: number;
}

type DnsInput = Pick<Inventory, 'config' | 'namespaces' | 'services' | 'endpointSlices' | 'pods' | 'configMaps'> & Partial<Pick<Inventory, 'nodes'>>;

/** The internet's resolver, which the nodes' resolv.conf names by default (compile/topology.ts). */
export const INTERNET_RESOLVER = '203.0.113.53';

export interface DnsIndexOptions {
  /**
   * 'open' (a prediction, the default): public names the Cluster object does not list are
   * the real upstream's, answered UNKNOWN. 'closed' (the running cluster): the external
   * records are the whole internet, anything else is NXDOMAIN.
   */
  readonly upstream?: 'open' | 'closed';
  /** The SOA serial; by default the newest creationTimestamp of what DNS watches (0 without one). */
  readonly serial?: number;
}

export function buildDnsIndex(inv: DnsInput, options: DnsIndexOptions = {}): DnsIndex {
  const issues: Issue[] = [];
  const config = corefileConfig(inv, issues);
  const records = buildClusterRecords(inv);
  const serverIPs = new Set<string>();
  const kubeDns = records.namespaces.get('kube-system')?.get('kube-dns');
  for (const ip of kubeDns?.clusterIPs ?? []) serverIPs.add(ip);
  for (const s of kubeDns?.slices ?? []) for (const a of s.addresses) serverIPs.add(a.ip);
  const clusterRanges = [...inv.config.serviceSubnets, inv.config.podSubnet];
  const open = options.upstream !== 'closed' ? { clusterDomain: inv.config.clusterDomain, clusterRanges } : null;
  const index: DnsIndex = {
    config, records, serverIPs, issues,
    internet: buildInternet(withAcmeServerRecords(inv.config.externalRecords), open),
    clusterDomain: inv.config.clusterDomain,
    clusterRanges,
    upstream: (name, type) => resolveName(index, name, type),
    upstreamServers: upstreamServersOf(inv),
    serial: options.serial ?? newestChange(inv),
  };
  return index;
}

function upstreamServersOf(inv: DnsInput): Set<string> {
  const out = new Set<string>([INTERNET_RESOLVER]);
  for (const text of [inv.config.defaultResolvConf, ...(inv.nodes ?? []).map((n) => n.resolvConf)]) {
    if (text) for (const ns of parseResolvConf(text).nameservers) out.add(ns);
  }
  return out;
}

/** CoreDNS's serial is the time of the last change it saw: here the newest object DNS watches. */
function newestChange(inv: DnsInput): number {
  let newest = 0;
  for (const o of [...inv.services, ...inv.endpointSlices]) {
    const t = o.meta.creationTimestamp ? Date.parse(o.meta.creationTimestamp) : NaN;
    if (t > newest) newest = t;
  }
  return Math.floor(newest / 1000);
}

/** kube-system/coredns's Corefile, else kubeadm's default; its problems as Issues on the ConfigMap. */
function corefileConfig(inv: DnsInput, issues: Issue[]): DnsServerConfig {
  const cm = inv.configMaps.find((c) => c.meta.namespace === 'kube-system' && c.meta.name === 'coredns');
  const text = cm?.data['Corefile'];
  if (!cm || text === undefined) return kubeadmDnsConfig(inv.config.clusterDomain);
  const parsed = parseCorefile(text);
  const base = cm.raw ? cm.raw.locate(['data', 'Corefile']) : { file: '', line: 0, col: 0 };
  for (const p of parsed.problems) {
    issues.push({
      code: 'corefile', severity: p.severity, file: base.file,
      // The Corefile is a block scalar: its first line sits on the line after `Corefile: |`.
      line: base.line ? base.line + p.line : 0, col: base.line ? p.col : 0,
      object: 'ConfigMap kube-system/coredns', field: 'data.Corefile',
      message: `Corefile line ${p.line}: ${p.message}`, hint: p.hint,
    });
  }
  if (!parsed.config.blocks.some((b) => b.port === 53)) {
    issues.push({
      code: 'corefile-no-server', severity: 'warning', file: base.file, line: base.line, col: base.col,
      object: 'ConfigMap kube-system/coredns', field: 'data.Corefile',
      message: 'no server block listens on port 53: every query to the cluster DNS is refused',
      hint: 'start the main block with .:53 {',
    });
  }
  return parsed.config;
}

/** The cluster DNS's answer to one query, as `dig @10.96.0.10 NAME TYPE` would show it. */
export function resolveName(index: DnsIndex, name: string, type: QType): DnsAnswer {
  if (type === 'ANY') return resolveAny(index, name);
  const q = canonicalName(name);
  const owner = fqdn(name);
  const block = pickBlock(index.config, q);
  if (!block) {
    return { rcode: 'REFUSED', answers: [], additional: [], source: 'none', reasons: [`no server block of the Corefile serves ${owner} on port 53`] };
  }
  return withCache(block, q, serveBlock(index, block, q, owner, type));
}

/**
 * What a query to one nameserver address gets: the cluster DNS at its Service or pod
 * addresses, silence at other cluster-internal addresses, the internet elsewhere.
 */
export function askServer(index: DnsIndex, server: string, name: string, type: QType): DnsAnswer {
  if (index.serverIPs.has(server)) return resolveName(index, name, type);
  const ip = parseIP(server);
  if (ip && index.clusterRanges.some((c) => cidrContains(c, ip as IP))) {
    return {
      rcode: 'SERVFAIL', answers: [], additional: [], source: 'none', timedOut: true,
      reasons: [`nothing answers DNS at ${server} (not the kube-dns Service or a CoreDNS pod): the query times out`],
    };
  }
  if (index.internet.open && !index.upstreamServers.has(server)) {
    return {
      rcode: 'UNKNOWN', answers: [], additional: [], source: 'upstream',
      reasons: [`the nameserver ${server} is outside the model (not the cluster DNS, not the nodes' upstream): what it answers for ${fqdn(name)} is unknown to knet`],
    };
  }
  if (type === 'ANY') return resolveAnyWith(name, (t) => askInternet(index.internet, canonicalName(name), fqdn(name), t));
  const a = askInternet(index.internet, canonicalName(name), fqdn(name), type);
  return { ...a, reasons: [`${server} is outside the cluster: the internet's DNS answers`, ...a.reasons] };
}

function serveBlock(index: DnsIndex, block: ServerBlock, q: string, owner: string, type: RRType): DnsAnswer {
  const reasons: string[] = [];
  const k = block.kubernetes;
  const zone = k ? longestZone(k.zones, q) : undefined;
  if (k && zone !== undefined) {
    const r = serveKubernetes(index.records, k, q, owner, zone, type, index.upstream, index.serial);
    // BackendError: NXDOMAIN and NODATA carry the zone's SOA in the authority section.
    const authority = [soaRecord(zoneAsAsked(owner, zone), k.ttl, index.serial)];
    if (!r.nameError) {
      return {
        rcode: r.unknown ? 'UNKNOWN' : 'NOERROR', answers: r.answers, additional: r.additional, source: 'kubernetes', reasons: r.reasons,
        ...(r.answers.length === 0 ? { authority } : {}),
      };
    }
    reasons.push(...r.reasons);
    const falls = k.fallthrough !== null && (k.fallthrough.length === 0 || k.fallthrough.some((z) => inZone(q, z)));
    if (!falls) return { rcode: 'NXDOMAIN', answers: [], additional: [], authority, source: 'kubernetes', reasons };
    reasons.push(`the kubernetes plugin falls through for ${zone || '.'}: the next plugin answers`);
  }
  const f = block.forward;
  if (f && inZone(q, f.from)) {
    const a = askInternet(index.internet, q, owner, type);
    const forward = `forward ${f.from || '.'} ${f.to.join(' ')}`;
    const why = a.rcode === 'UNKNOWN'
      ? `resolved upstream (${forward}), address unknown to knet`
      : `${forward}: the upstream (${index.internet.open ? 'the Cluster object\'s external records' : 'the simulated internet'}) answers`;
    return { ...a, reasons: [...reasons, why, ...a.reasons] };
  }
  return { rcode: 'SERVFAIL', answers: [], additional: [], source: 'none', reasons: [...reasons, `no plugin of the server block answers ${owner}`] };
}

function pickBlock(config: DnsServerConfig, q: string): ServerBlock | undefined {
  let best: ServerBlock | undefined;
  let bestLen = -1;
  for (const b of config.blocks) {
    if (b.port !== 53) continue;
    const z = longestZone(b.zones, q);
    if (z !== undefined && z.length > bestLen) {
      best = b;
      bestLen = z.length;
    }
  }
  return best;
}

function longestZone(zones: readonly string[], q: string): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (inZone(q, z) && (best === undefined || z.length > best.length)) best = z;
  return best;
}

/**
 * The cache plugin in front gives every record of a positive answer one TTL: the
 * smallest in the message, capped at the cache's success TTL (cache.go WriteMsg).
 */
function withCache(block: ServerBlock, q: string, a: DnsAnswer): DnsAnswer {
  const c = block.cache;
  if (!c || a.answers.length === 0) return a;
  if (!c.zones.some((z) => inZone(q, z)) || c.disableSuccess.some((z) => inZone(q, z))) return a;
  let ttl = c.successTtl;
  for (const rr of a.answers) if (rr.ttl < ttl) ttl = rr.ttl;
  for (const rr of a.additional) if (rr.ttl < ttl) ttl = rr.ttl;
  if (allTtl(a.answers, ttl) && allTtl(a.additional, ttl)) return a;
  const cap = (rrs: readonly RR[]) => rrs.map((rr) => (rr.ttl === ttl ? rr : { ...rr, ttl }));
  return { ...a, answers: cap(a.answers), additional: cap(a.additional) };
}

function allTtl(rrs: readonly RR[], ttl: number): boolean {
  for (const rr of rrs) if (rr.ttl !== ttl) return false;
  return true;
}

/**
 * ANY: CoreDNS's kubernetes plugin answers it with no records; knet shows everything the
 * name has instead (each type asked in turn), which is what a user asking ANY wants.
 */
function resolveAny(index: DnsIndex, name: string): DnsAnswer {
  return resolveAnyWith(name, (t) => resolveName(index, name, t));
}

function resolveAnyWith(name: string, ask: (t: RRType) => DnsAnswer): DnsAnswer {
  const answers: RR[] = [];
  const additional: RR[] = [];
  const seen = new Set<string>();
  let all: DnsAnswer | undefined;
  let nx = true;
  for (const t of RR_TYPES) {
    const a = ask(t);
    // SOA is NODATA below the apex whatever the name (handler.go): it says nothing of existence.
    if (a.rcode !== 'NXDOMAIN' && !(t === 'SOA' && a.answers.length === 0)) nx = false;
    if (!all || (all.rcode !== 'NOERROR' && a.rcode === 'NOERROR')) all = a;
    for (const rr of a.answers) {
      const key = `${rr.name} ${rr.type} ${rr.data}`;
      if (!seen.has(key)) { seen.add(key); answers.push(rr); }
    }
    additional.push(...a.additional);
  }
  return {
    rcode: nx ? 'NXDOMAIN' : answers.length ? 'NOERROR' : all!.rcode,
    answers, additional, source: all!.source,
    reasons: [...all!.reasons, `ANY: every type ${fqdn(name)} has (CoreDNS itself answers ANY with no records)`],
  };
}
