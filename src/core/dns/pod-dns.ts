// DNS as one pod sees it: the /etc/hosts and resolv.conf its node's kubelet writes, and a
// name looked up in the hosts file first, then resolved through resolv.conf's search list
// against the nameserver it names.
import type { Inventory, Pod } from '../../model/types.js';
import { askServer, type DnsIndex } from './dns-server.js';
import { hostsOrigin, lookupHostsFile, podHostsLines, type HostsMatch } from './hosts-file.js';
import type { RR } from './message.js';
import type { RRType } from './names.js';
import { ndotsOf, podResolvConf, type PodResolvConf } from './resolv-conf.js';
import { searchName, type SearchResult } from './search.js';

/** The pod's resolv.conf, from its node's own file (or the cluster's default when unscheduled). */
export function resolvConfOf(inv: Pick<Inventory, 'nodes' | 'config'>, pod: Pod): PodResolvConf {
  const node = inv.nodes.find((n) => n.meta.name === pod.spec.nodeName);
  const nodeFile = node?.resolvConf || inv.config.defaultResolvConf;
  return podResolvConf(pod, nodeFile, inv.config.clusterDNS, inv.config.clusterDomain);
}

export type PodLookup = SearchResult & {
  readonly resolvConf: PodResolvConf;
  /** The hosts file answered: no DNS query was sent. */
  readonly hosts: HostsMatch | null;
};

/**
 * `name` resolved from `pod`: getaddrinfo when no type is given (the hosts file first, as
 * nsswitch's `hosts: files dns` orders it, then A and AAAA per candidate), else res_search
 * with that one type (DNS only, as dig and res_query ask).
 */
export function resolveFromPod(
  index: DnsIndex, inv: Pick<Inventory, 'nodes' | 'config'>, pod: Pod, name: string, type?: RRType,
): PodLookup {
  const resolvConf = resolvConfOf(inv, pod);
  const server = resolvConf.conf.nameservers[0] ?? '';
  if (!type) {
    const node = inv.nodes.find((n) => n.meta.name === pod.spec.nodeName);
    const hosts = lookupHostsFile(podHostsLines(pod, inv.config.clusterDomain, node), name);
    if (hosts) return { ...fromHostsFile(hosts, server, ndotsOf(resolvConf.conf), name), resolvConf, hosts };
  }
  const types: readonly RRType[] = type ? [type] : ['A', 'AAAA'];
  const result = searchName(resolvConf.conf, name, types, (s, n, t) => askServer(index, s, n, t));
  return { ...result, resolvConf, hosts: null };
}

function fromHostsFile(m: HostsMatch, server: string, ndots: number, name: string): SearchResult {
  const owner = name.endsWith('.') ? name : `${name}.`;
  const answers: RR[] = m.addresses.map((ip) => ({ name: owner, type: ip.includes(':') ? 'AAAA' : 'A', ttl: 0, data: ip }));
  return {
    server, ndots, candidates: [owner], queries: [], packets: 0, rcode: 'NOERROR',
    resolved: { name: owner, answers }, advice: null,
    reasons: [`${name} ${hostsOrigin(m)}: the resolver reads the hosts file before DNS; no query is sent`],
  };
}
