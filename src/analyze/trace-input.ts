// Reads `knet trace`'s arguments: the source (`ns/pod`, `ns/deploy/NAME`, `node/NAME`,
// `external`) and the target (a URL, `name:port`, `IP:port`, `node/NAME:port`). Problems
// come back as a message and a hint, never thrown, so the CLI prints them its own way.
import { parseIP } from '../model/ip.js';
import type { Pod } from '../model/types.js';
import { externalClient, nodeClient, podClient, type TraceClient, type TraceContext } from './trace-context.js';
import type { TraceTarget } from './trace.js';

export interface InputError {
  readonly error: string;
  readonly hint: string;
}

const WORKLOAD_KINDS: Record<string, string> = {
  deploy: 'Deployment', deployment: 'Deployment', deployments: 'Deployment',
  sts: 'StatefulSet', statefulset: 'StatefulSet', ds: 'DaemonSet', daemonset: 'DaemonSet',
  rs: 'ReplicaSet', replicaset: 'ReplicaSet', job: 'Job', rc: 'ReplicationController', replicationcontroller: 'ReplicationController',
};

export function parseTraceSource(ctx: TraceContext, text: string): TraceClient | InputError {
  if (text === 'external') return externalClient();
  const parts = text.split('/');
  if (parts[0] === 'node' && parts.length === 2) {
    const node = ctx.nodes.get(parts[1]!);
    if (node && node.internalIPs[0]) return nodeClient(node);
    return { error: `node "${parts[1]}" not found`, hint: `nodes: ${[...ctx.nodes.keys()].join(', ')}` };
  }
  if (parts.length === 3 && WORKLOAD_KINDS[parts[1]!.toLowerCase()]) {
    const [ns, k, name] = parts as [string, string, string];
    const kind = WORKLOAD_KINDS[k.toLowerCase()]!;
    const pods = ctx.cluster.podIndex.inNamespace(ns).filter((p) => p.generatedBy === `${kind} ${ns}/${name}` || ownedBy(p, name));
    const pod = [...pods].sort((a, b) => a.meta.name.localeCompare(b.meta.name)).find(usable);
    if (pod) return podClient(ctx, pod);
    return { error: `${kind} ${ns}/${name} has no running pod with an address`, hint: `list the pods with knet get pods -n ${ns}` };
  }
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    return { error: `"${text}" is not a source`, hint: 'write ns/pod (e.g. production/frontend-8d5c58d68-gl8hk), ns/deploy/NAME, node/NAME, or external' };
  }
  const [ns, name] = parts as [string, string];
  const pod = ctx.cluster.podIndex.inNamespace(ns).find((p) => p.meta.name === name);
  if (!pod) {
    const names = ctx.cluster.podIndex.inNamespace(ns).map((p) => p.meta.name).sort();
    const near = names.filter((n) => n.startsWith(name.split('-')[0]!));
    return {
      error: `pod "${name}" not found in namespace "${ns}"`,
      hint: names.length ? `pods there include ${(near.length ? near : names).slice(0, 4).join(', ')}; or use ${ns}/deploy/NAME` : `namespace "${ns}" has no pods; list them with knet get pods -A`,
    };
  }
  if (!usable(pod)) return { error: `pod ${ns}/${name} has no address (phase ${pod.status.phase || 'Pending'}): it sends nothing`, hint: `kubectl describe pod -n ${ns} ${name}` };
  return podClient(ctx, pod);
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
