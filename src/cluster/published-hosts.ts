// The public DNS names of a cluster's Ingresses: every host of an Ingress whose status
// publishes an address (ingress-nginx writes its LoadBalancer VIP there) gets an A record on
// the simulated internet, as the owner of the name (or external-dns) registers it, so
// `curl https://api.opscart.com/` from the internet side reaches the controller. A record
// the Cluster object's external.records already has for the name wins; wildcard hosts and
// addresses that are not IPv4 are left out.
import { familyOf, parseIP, type IP } from '../model/ip.js';
import type { ClusterConfig, ExternalRecord, Ingress } from '../model/types.js';
import { compareText } from '../model/order.js';

export function withPublishedHosts(config: ClusterConfig, ingresses: readonly Ingress[]): ClusterConfig {
  const known = new Set(config.externalRecords.map((r) => r.name));
  const added = new Map<string, IP[]>();
  for (const ing of ingresses) {
    const ips = ing.loadBalancerIngress.map((a) => parseIP(a)).filter((a): a is IP => a !== undefined && familyOf(a) === 4);
    if (ips.length === 0) continue;
    for (const r of ing.rules) {
      const host = r.host.toLowerCase().replace(/\.$/, '');
      if (!host || host.startsWith('*.') || known.has(host)) continue;
      const list = added.get(host) ?? [];
      for (const ip of ips) if (!list.includes(ip)) list.push(ip);
      added.set(host, list);
    }
  }
  if (added.size === 0) return config;
  const records: ExternalRecord[] = [...added].sort(([a], [b]) => compareText(a, b)).map(([name, a]) => ({ name, a, aaaa: [], cname: '', txt: [] }));
  return { ...config, externalRecords: [...config.externalRecords, ...records] };
}
