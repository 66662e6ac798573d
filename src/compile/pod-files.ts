// The files a pod sees at /etc/hosts and /etc/resolv.conf, as the kubelet writes them.
// `ip netns exec` bind-mounts /etc/netns/<pod netns>/<file> over /etc/<file>.
import { nodeHostsLines, renderHostsFile } from '../core/dns/hosts-file.js';
import type { ClusterConfig, Node, Pod } from '../model/types.js';

/** kubelet's managed hosts file: core/dns renders it, the same text `knet dns --from` reads. */
export { podHostsFile } from '../core/dns/hosts-file.js';

/** A node's own /etc/hosts: what hostNetwork pods and `knet exec node/NAME` see. */
export function nodeHostsFile(node: Node): string {
  return renderHostsFile(nodeHostsLines(node), false);
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
