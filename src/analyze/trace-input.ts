// Reads `knet trace`'s arguments: the source (`ns/pod`, `ns/deploy/NAME`, `node/NAME`,
// `external`) and the target (a URL, `name:port`, `IP:port`, `node/NAME:port`). Problems
// come back as a message and a hint, never thrown, so the CLI prints them its own way.
import type { Cluster } from '../cluster/fill-in.js';
import { parseIP } from '../model/ip.js';
import type { Pod } from '../model/types.js';
import { externalClient, nodeClient, podClient, type TraceClient, type TraceContext } from './trace-context.js';
import type { TraceTarget } from './trace.js';
import { compareText } from '../model/order.js';

export interface InputError {
  readonly error: string;
  readonly hint: string;
}

const WORKLOAD_KINDS: Record<string, string> = {
  deploy: 'Deployment', deployment: 'Deployment', deployments: 'Deployment',
  sts: 'StatefulSet', statefulset: 'StatefulSet', ds: 'DaemonSet', daemonset: 'DaemonSet',
  rs: 'ReplicaSet', replicaset: 'ReplicaSet', job: 'Job', rc: 'ReplicationController', replicationcontroller: 'ReplicationController',
};

export function parseTraceSource(ctx: TraceContext, text: string, namespace = 'default'): TraceClient | InputError {
  if (text === 'external') return externalClient();
  const parts = text.split('/');
  if (parts[0] === 'node' && parts.length === 2) {
    const node = ctx.nodes.get(parts[1]!);
    if (node && node.internalIPs[0]) return nodeClient(node);
    return { error: `node "${parts[1]}" not found`, hint: `nodes: ${[...ctx.nodes.keys()].join(', ')}` };
  }
  if (parts.length === 3 && WORKLOAD_KINDS[parts[1]!.toLowerCase()]) {
    const [ns, k, name] = parts as [string, string, string];
    const pod = sourcePod(ctx.cluster, ns, name, WORKLOAD_KINDS[k.toLowerCase()]!);
    return isInputError(pod) ? pod : podClient(ctx, pod);
  }
  // A bare name is in -n's namespace, else default, as kubectl reads it.
  if (parts.length === 1 && parts[0]) parts.unshift(namespace);
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    return { error: `"${text}" is not a source`, hint: 'write ns/pod (e.g. production/frontend-8d5c58d68-gl8hk), ns/deploy/NAME, node/NAME, or external' };
  }
  const pod = sourcePod(ctx.cluster, parts[0], parts[1]);
  return isInputError(pod) ? pod : podClient(ctx, pod);
}

/**
 * The pod `--from ns/name` means: the pod of that name, else the first running pod of a
 * workload of that name (`kind` narrows it: ns/deploy/NAME). What does not exist is said
 * as such, with the pods the namespace has and where a pod or workload of that name is.
 */
export function sourcePod(cluster: Pick<Cluster, 'podIndex' | 'workloads'>, ns: string, name: string, kind?: string): Pod | InputError {
  const inNs = cluster.podIndex.inNamespace(ns);
  const pod = kind ? undefined : inNs.find((p) => p.meta.name === name);
  if (pod) {
    return usable(pod) ? pod : { error: `pod ${ns}/${name} has no address (phase ${pod.status.phase || 'Pending'}): it sends nothing`, hint: `kubectl describe pod -n ${ns} ${name}` };
  }
  const workload = cluster.workloads.find((w) => w.meta.namespace === ns && w.meta.name === name && (!kind || w.kind === kind));
  const owned = inNs.filter((p) => (workload && p.generatedBy === `${workload.kind} ${ns}/${name}`) || ownedBy(p, name));
  const running = [...owned].sort((a, b) => compareText(a.meta.name, b.meta.name)).find(usable);
  if (running) return running;
  if (workload || owned.length > 0) {
    return { error: `${workload?.kind ?? kind ?? 'workload'} ${ns}/${name} has no running pod with an address`, hint: `list the pods with knet get pods -n ${ns}` };
  }
  const what = kind ? `${kind} ${name}` : `pod or workload ${name}`;
  const names = inNs.map((p) => p.meta.name).sort();
  const there = kind
    ? `${kind}s there: ${cluster.workloads.filter((w) => w.meta.namespace === ns && w.kind === kind).map((w) => w.meta.name).sort().join(', ') || 'none'}`
    : names.length ? `pods there: ${names.slice(0, 6).join(', ')}${names.length > 6 ? `, ... (${names.length})` : ''}` : `namespace ${ns} has no pods`;
  const elsewhere = [...new Set(cluster.workloads.filter((w) => w.meta.name === name && w.meta.namespace !== ns && (!kind || w.kind === kind)).map((w) => w.meta.namespace))];
  return {
    error: `no ${what} in namespace ${ns}; ${there}`,
    hint: elsewhere.length ? `${name} is in namespace ${elsewhere.join(', ')}: --from ${elsewhere[0]}/${name}` : 'list the pods with knet get pods -A',
  };
}

function usable(p: Pod): boolean {
  return p.status.phase === 'Running' && p.status.podIPs.length > 0;
}

function ownedBy(p: Pod, name: string): boolean {
  return p.meta.ownerReferences.some((o) => o.name === name || o.name.startsWith(`${name}-`));
}

export function parseTraceTarget(ctx: TraceContext, text: string): TraceTarget | InputError {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      return { error: `"${text}" is not a URL`, hint: 'e.g. http://api-service:8080/ or https://api.opscart.com/' };
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      return { error: `knet traces http and https URLs, not ${u.protocol.slice(0, -1)}`, hint: 'for other protocols give name:port with --protocol' };
    }
    const scheme = u.protocol === 'https:' ? 'https' : 'http';
    const port = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
    return { kind: 'url', text, scheme, host: u.hostname, port, path: u.pathname || '/', query: u.search.replace(/^\?/, '') };
  }
  const colon = text.lastIndexOf(':');
  const host = colon > 0 ? text.slice(0, colon) : text;
  const portText = colon > 0 ? text.slice(colon + 1) : '';
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    return { error: `"${text}" has no port`, hint: 'write name:port, IP:port or node/NAME:port (e.g. api-service:8080), or a URL (http://api-service:8080/)' };
  }
  const port = Number(portText);
  if (host.startsWith('node/')) {
    const node = host.slice(5);
    if (!ctx.nodes.has(node)) return { error: `node "${node}" not found`, hint: `nodes: ${[...ctx.nodes.keys()].join(', ')}` };
    return { kind: 'node', text, node, port };
  }
  const bare = host.replace(/^\[|\]$/g, '');
  if (!bare || (!parseIP(bare) && !/^[a-z0-9]([a-z0-9_.-]*[a-z0-9.])?$/i.test(bare))) {
    return { error: `"${host}" is neither a DNS name nor an address`, hint: 'e.g. api-service:8080, 10.96.0.10:53, node/node-1:30080' };
  }
  return { kind: 'address', text, host: bare, port };
}

export function isInputError(x: unknown): x is InputError {
  return typeof x === 'object' && x !== null && 'error' in x;
}
