// A pod's /etc/hosts as the kubelet writes it (pkg/kubelet/kubelet_pods.go, managed hosts
// file): the localhost lines, the pod's own addresses with its hostname (its FQDN first when
// it has a subdomain), and spec.hostAliases under their comment; and the lookup a resolver
// makes in it before any DNS query (nsswitch `hosts: files dns`). One renderer for both
// faces: `knet dns --from`/`knet trace` read it, the running cluster writes it.
import type { Node, Pod } from '../../model/types.js';

export type HostsSource = 'localhost' | 'pod' | 'node' | 'hostAliases';

export interface HostsLine {
  readonly ip: string;
  readonly names: readonly string[];
  readonly source: HostsSource;
}

export interface HostsMatch {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly source: HostsSource; // of the first matching line
}

const LOCALHOST: readonly HostsLine[] = [
  { ip: '127.0.0.1', names: ['localhost'], source: 'localhost' },
  { ip: '::1', names: ['localhost', 'ip6-localhost', 'ip6-loopback'], source: 'localhost' },
  { ip: 'fe00::0', names: ['ip6-localnet'], source: 'localhost' },
  { ip: 'fe00::0', names: ['ip6-mcastprefix'], source: 'localhost' },
  { ip: 'fe00::1', names: ['ip6-allnodes'], source: 'localhost' },
  { ip: 'fe00::2', names: ['ip6-allrouters'], source: 'localhost' },
];

const MAX_HOSTNAME = 63;

/**
 * The pod's hostname as the kubelet sets it: spec.hostname, else the pod's name, cut to 63
 * characters with trailing '-' and '.' removed (truncatePodHostnameIfNeeded).
 */
export function podHostname(pod: Pod): string {
  const name = pod.spec.hostname || pod.meta.name;
  return name.length <= MAX_HOSTNAME ? name : name.slice(0, MAX_HOSTNAME).replace(/[-.]+$/, '');
}

/**
 * The lines of the pod's hosts file. A hostNetwork pod gets its node's file instead of the
 * managed one (knet's node file: localhost and the node's address with its name); the
 * hostAliases follow in both cases.
 */
export function podHostsLines(pod: Pod, clusterDomain: string, node?: Node): HostsLine[] {
  if (pod.spec.hostNetwork && node) return [...nodeHostsLines(node), ...hostAliasLines(pod)];
  const hostname = podHostname(pod);
  const names = pod.spec.subdomain ? [`${hostname}.${pod.spec.subdomain}.${pod.meta.namespace}.svc.${clusterDomain}`, hostname] : [hostname];
  return [
    ...LOCALHOST,
    ...pod.status.podIPs.map((ip) => ({ ip, names, source: 'pod' as const })),
    ...hostAliasLines(pod),
  ];
}

/** A node's own /etc/hosts as knet writes it: what hostNetwork pods and node processes see. */
export function nodeHostsLines(node: Node): HostsLine[] {
  return [
    LOCALHOST[0]!,
    LOCALHOST[1]!,
    ...node.internalIPs.slice(0, 1).map((ip) => ({ ip, names: [node.meta.name], source: 'node' as const })),
  ];
}

/**
 * kubelet's hostsEntriesFromHostAliases: one line per alias. An alias with whitespace in a
 * field is left out: the API server refuses it, and written out it would add lines of its own.
 */
function hostAliasLines(pod: Pod): HostsLine[] {
  const out: HostsLine[] = [];
  for (const a of pod.spec.run?.hostAliases ?? []) {
    if (!a.ip || /\s/.test(a.ip) || a.hostnames.length === 0 || a.hostnames.some((h) => !h || /\s/.test(h))) continue;
    out.push({ ip: a.ip, names: a.hostnames, source: 'hostAliases' });
  }
  return out;
}

/** The file's text: the managed header, the lines, the HostAliases block after a blank line. */
export function renderHostsFile(lines: readonly HostsLine[], managed = true): string {
  // The kubelet's boilerplate separates a line's names with spaces, its own lines with tabs.
  const line = (l: HostsLine) => `${l.ip}\t${l.names.join(l.source === 'localhost' ? ' ' : '\t')}`;
  const own = lines.filter((l) => l.source !== 'hostAliases').map(line);
  const aliases = lines.filter((l) => l.source === 'hostAliases').map(line);
  return [
    ...(managed ? ['# Kubernetes-managed hosts file.'] : []),
    ...own,
    ...(aliases.length ? ['', '# Entries added by HostAliases.', ...aliases] : []),
    '',
  ].join('\n');
}

/** The kubelet's /etc/hosts for a pod (the node's file for a hostNetwork pod). */
export function podHostsFile(pod: Pod, clusterDomain: string, node?: Node): string {
  return renderHostsFile(podHostsLines(pod, clusterDomain, node), !(pod.spec.hostNetwork && node));
}

/**
 * The files lookup: every line naming `name` (case-insensitive, as its canonical name or an
 * alias) gives its address, in file order. The name is matched as written, without the
 * search list; a trailing dot is dropped.
 */
export function lookupHostsFile(lines: readonly HostsLine[], name: string): HostsMatch | null {
  const want = (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
  const addresses: string[] = [];
  let source: HostsSource | null = null;
  for (const l of lines) {
    if (!l.names.some((n) => n.toLowerCase() === want)) continue;
    if (!addresses.includes(l.ip)) addresses.push(l.ip);
    source ??= l.source;
  }
  return source ? { name: want, addresses, source } : null;
}

/** How an answer from the hosts file reads: `from /etc/hosts (hostAliases)`. */
export function hostsOrigin(m: HostsMatch): string {
  return `from /etc/hosts (${m.source === 'pod' ? "the pod's own hostname" : m.source === 'node' ? "the node's own name" : m.source})`;
}
