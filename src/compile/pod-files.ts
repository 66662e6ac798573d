// The files a pod sees at /etc/hosts and /etc/resolv.conf, as the kubelet writes them.
// `ip netns exec` bind-mounts /etc/netns/<pod netns>/<file> over /etc/<file>.
import type { ClusterConfig, Node, Pod } from '../model/types.js';

/**
 * kubelet's managed hosts file (pkg/kubelet/kubelet_pods.go, managedHostsFileContent):
 * the localhost and IPv6 boilerplate, then one line per pod IP with the pod's hostname;
 * with spec.subdomain the FQDN `<hostname>.<subdomain>.<ns>.svc.<domain>` comes first.
 */
export function podHostsFile(pod: Pod, clusterDomain: string): string {
  const hostname = (pod.spec.hostname || pod.meta.name).slice(0, 63);
  const names = pod.spec.subdomain
    ? `${hostname}.${pod.spec.subdomain}.${pod.meta.namespace}.svc.${clusterDomain}\t${hostname}`
    : hostname;
  return [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    ...pod.status.podIPs.map((ip) => `${ip}\t${names}`),
    ...hostAliasLines(pod),
    '',
  ].join('\n');
}

/**
 * kubelet's hostsEntriesFromHostAliases: a blank line, a comment, then `ip<TAB>name<TAB>name`
 * per alias. An alias with whitespace in a field is left out (it would add lines of its own).
 */
function hostAliasLines(pod: Pod): string[] {
  const aliases = (pod.spec.run?.hostAliases ?? []).filter((a) => a.ip && !/\s/.test(a.ip) && a.hostnames.length > 0 && a.hostnames.every((h) => h && !/\s/.test(h)));
  if (aliases.length === 0) return [];
  return ['', '# Entries added by HostAliases.', ...aliases.map((a) => `${a.ip}\t${a.hostnames.join('\t')}`)];
}

/** A node's own /etc/hosts: what hostNetwork pods and `knet exec node/NAME` see. */
export function nodeHostsFile(node: Node): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    ...node.internalIPs.slice(0, 1).map((ip) => `${ip}\t${node.meta.name}`),
    '',
  ].join('\n');
}

/**
 * A stand-in until core/dns computes resolv.conf per dnsPolicy: kubelet's ClusterFirst
 * form (pkg/kubelet/network/dns/dns.go): the cluster DNS, the namespace's search list, ndots:5.
 */
export function clusterFirstResolvConf(pod: Pod, config: ClusterConfig): string {
  const d = config.clusterDomain;
  const ns = pod.meta.namespace;
  return `nameserver ${config.clusterDNS[0] ?? '10.96.0.10'}\nsearch ${ns}.svc.${d} svc.${d} ${d}\noptions ndots:5\n`;
}
