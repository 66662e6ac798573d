// A Deployment's revision history as the deployment controller keeps it: when its template
// changes, the old ReplicaSet is not deleted but scaled to 0 (its pods retire, rollout.ts), so
// `kubectl rollout history` lists it and `kubectl rollout undo` brings its template back; only
// the newest spec.revisionHistoryLimit (default 10) old ones stay (cleanupDeployment), and
// they go with their Deployment (garbage collection by ownerReferences).
import type { Workload } from '../model/types.js';
import type { Cluster } from './fill-in.js';
import { toWire } from './wire.js';
import { REVISION_ANNOTATION } from './workloads.js';

type Json = Record<string, unknown>;

const DEFAULT_HISTORY_LIMIT = 10;

function ownerDeployment(rs: Json): string | null {
  const meta = (rs['metadata'] ?? {}) as Json;
  const refs = Array.isArray(meta['ownerReferences']) ? (meta['ownerReferences'] as Json[]) : [];
  const d = refs.find((o) => o['kind'] === 'Deployment');
  return d ? `${String(meta['namespace'] ?? 'default')}/${String(d['name'])}` : null;
}

const nameOf = (o: Json): string => {
  const meta = (o['metadata'] ?? {}) as Json;
  return `${String(meta['namespace'] ?? 'default')}/${String(meta['name'] ?? '')}`;
};

const revisionOf = (o: Json): number => Number((((o['metadata'] ?? {}) as Json)['annotations'] as Json | undefined)?.[REVISION_ANNOTATION] ?? 0) || 0;

function historyLimit(d: Workload): number {
  const v = ((d.raw?.value['spec'] ?? {}) as Json)['revisionHistoryLimit'];
  return typeof v === 'number' && v >= 0 ? v : DEFAULT_HISTORY_LIMIT;
}

/** An old ReplicaSet as kept: its wire form scaled to 0, without the status its controller writes. */
export function scaledToZero(rs: Workload): Json {
  const wire = toWire(rs);
  delete wire['status'];
  return { ...wire, spec: { ...(wire['spec'] as Json), replicas: 0 } };
}

/**
 * The old ReplicaSets to keep after a change from `before` to `after`: those kept already
 * (`kept`, wire forms) and the Deployments' ReplicaSets `before` had and `after` replaced,
 * for Deployments `after` still has, the newest revisionHistoryLimit per Deployment; a kept one
 * `after` made current again (`rollout undo`) stays too, outside the limit.
 */
export function replicaSetHistory(kept: readonly Json[], before: Cluster, after: Cluster): Json[] {
  const deployments = new Map(after.workloads.filter((w) => w.kind === 'Deployment').map((d) => [`${d.meta.namespace}/${d.meta.name}`, d]));
  // The current ReplicaSets are the ones the Deployments make (no stored form of their own).
  const current = new Set(after.workloads.filter((w) => w.kind === 'ReplicaSet' && w.raw === null).map((w) => `${w.meta.namespace}/${w.meta.name}`));
  const replaced = before.workloads
    .filter((w) => w.kind === 'ReplicaSet' && w.raw === null && w.meta.ownerReferences.some((o) => o.kind === 'Deployment'))
    .map(scaledToZero);
  const byName = new Map<string, Json>();
  for (const rs of [...kept, ...replaced]) byName.set(nameOf(rs), rs);
  const perDeployment = new Map<string, Json[]>();
  // An old one made current again (`rollout undo`) stays stored beside its Deployment's new one,
  // which takes its place in the cluster (workloads.ts withNewReplicaSets): its template is what
  // keeps the name (the controller finds it by template, whatever order kubectl wrote the keys in).
  const broughtBack: Json[] = [];
  for (const [name, rs] of byName) {
    const d = ownerDeployment(rs);
    if (d === null || !deployments.has(d)) continue;
    if (current.has(name)) {
      const stored = kept.find((k) => nameOf(k) === name);
      if (stored) broughtBack.push(stored);
      continue;
    }
    perDeployment.set(d, [...(perDeployment.get(d) ?? []), rs]);
  }
  const out: Json[] = [...broughtBack];
  for (const [d, list] of perDeployment) {
    const limit = historyLimit(deployments.get(d)!);
    out.push(...[...list].sort((a, b) => revisionOf(b) - revisionOf(a)).slice(0, limit));
  }
  return out.sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
}

/** Whether a stored object is a kept ReplicaSet (the rest of the daemon's `retiring` are pods). */
export function isKeptReplicaSet(o: Json): boolean {
  return o['kind'] === 'ReplicaSet';
}
