// The records CoreDNS's kubernetes plugin makes up for each of its zones (the cluster
// domain and the reverse zones it serves): the SOA at the apex and in every NXDOMAIN and
// NODATA answer (plugin/backend_lookup.go SOA, BackendError), the NS records at the apex,
// which name the Services that have CoreDNS as an endpoint (plugin/kubernetes/ns.go
// nsAddrs), and the addresses of `ns.dns.<zone>`.
import type { ClusterRecords } from './cluster-records.js';
import type { KubernetesPlugin } from './corefile.js';
import { endpointLabel } from './kubernetes-records.js';
import type { RR } from './message.js';

/** SOA timers as CoreDNS writes them: refresh, retry, expire. */
const SOA_TIMERS = '7200 1800 86400';
const MAX_SOA_TTL = 300;

/**
 * `cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. <serial> 7200
 * 1800 86400 30`: TTL min(ttl, 300), minimum the plugin TTL. `zone` as the query spelled it.
 */
export function soaRecord(zone: string, ttl: number, serial: number): RR {
  const apex = zone ? `${zone}.` : '.';
  const under = zone ? `.${zone}.` : '.';
  return { name: apex, type: 'SOA', ttl: Math.min(ttl, MAX_SOA_TTL), data: `ns.dns${under} hostmaster${under} ${serial} ${SOA_TIMERS} ${ttl}` };
}

/** The zone's suffix of `owner` in the query's own case (CoreDNS keeps it for the SOA). */
export function zoneAsAsked(owner: string, zone: string): string {
  if (!zone) return '';
  const name = owner.endsWith('.') ? owner.slice(0, -1) : owner;
  return name.slice(name.length - zone.length);
}

export interface NameServer {
  readonly name: string; // absolute, with the trailing dot
  readonly ip: string;
}

/**
 * nsAddrs: the Services whose endpoints hold the answering CoreDNS pod's address (kube-dns,
 * by its ClusterIPs, named `<svc>.<ns>.svc.<zone>` with the zone asked, the reverse zones
 * too), headless ones by their endpoints; none found: `ns.dns.<zone>` at kube-dns's ClusterIPs
 * (CoreDNS uses its own address there). knet takes the first ready CoreDNS endpoint as the
 * answering pod: every replica is an endpoint of the same Services.
 */
export function nameServers(d: ClusterRecords, k: KubernetesPlugin, zone: string): NameServer[] {
  const under = zone ? `.${zone}.` : '.';
  const pod = d.namespaces.get('kube-system')?.get('kube-dns')?.slices.find((s) => s.addresses.length > 0)?.addresses[0];
  const out: NameServer[] = [];
  for (const { service } of pod ? d.endpointsByIP.get(pod.ip) ?? [] : []) {
    const svcName = `${service.name}.${service.namespace}.svc`;
    if (service.kind === 'ClusterIP') {
      for (const ip of service.clusterIPs) out.push({ name: `${svcName}${under}`, ip });
      continue;
    }
    for (const s of service.slices) for (const a of s.addresses) out.push({ name: `${endpointLabel(k, a)}.${svcName}${under}`, ip: a.ip });
  }
  if (out.length > 0) return out;
  return d.dnsServiceIPs.map((ip) => ({ name: `ns.dns${under}`, ip }));
}

/** NS at the apex: one record per name server name, their addresses in the additional section. */
export function nsAnswer(d: ClusterRecords, k: KubernetesPlugin, owner: string, zone: string): { answers: RR[]; additional: RR[] } {
  const answers: RR[] = [];
  const additional: RR[] = [];
  const seen = new Set<string>();
  for (const ns of nameServers(d, k, zone)) {
    additional.push({ name: ns.name, type: ns.ip.includes(':') ? 'AAAA' : 'A', ttl: k.ttl, data: ns.ip });
    if (seen.has(ns.name)) continue;
    seen.add(ns.name);
    answers.push({ name: owner, type: 'NS', ttl: k.ttl, data: ns.name });
  }
  return { answers, additional };
}

/** `ns.dns.<zone>`: the name the SOA gives as the primary server. */
export function isDefaultNs(name: string, zone: string): boolean {
  return name === (zone ? `ns.dns.${zone}` : 'ns.dns');
}

/** A or AAAA of `ns.dns.<zone>`: the name servers' addresses of that family, under the name asked. */
export function defaultNsAddresses(d: ClusterRecords, k: KubernetesPlugin, owner: string, zone: string, type: 'A' | 'AAAA'): RR[] {
  const v6 = type === 'AAAA';
  return nameServers(d, k, zone).filter((ns) => ns.ip.includes(':') === v6).map((ns) => ({ name: owner, type, ttl: k.ttl, data: ns.ip }));
}
