// Graceful deletion in the stored state (cluster/termination.ts says what it means): pods a
// change removes are kept as `terminating` objects with a deletionTimestamp until their
// node's runtime reports their containers gone; `delete pod` of a pod a controller made
// deletes it the same way and its controller makes it again: a ReplicaSet, DaemonSet or Job
// under a new name, a StatefulSet under the same name once the old pod is gone.
import type { Cluster } from '../cluster/fill-in.js';
import { holdOrdinal, ordinalOf } from '../cluster/statefulset-order.js';
import { podsToTerminate, terminatingWire, terminationOverdue } from '../cluster/termination.js';
import type { Pod } from '../model/types.js';
import { assignmentsOf, desiredFromState } from './desired.js';
import type { ClusterState, ObjectId, StoredObject } from './state.js';
import type { ObjectResult } from './store-ops.js';

const refOf = (p: { meta: { namespace: string; name: string } }): string => `${p.meta.namespace}/${p.meta.name}`;

function storedRef(o: StoredObject): string {
  const meta = (o.value['metadata'] ?? {}) as Record<string, unknown>;
  return `${String(meta['namespace'] ?? 'default')}/${String(meta['name'] ?? '')}`;
}

export interface Settled {
  readonly state: ClusterState;
  readonly cluster: Cluster;
  /** Pods this change starts terminating. */
  readonly going: readonly Pod[];
}

/** A deletion's own grace period for a pod (`ns/name`), seconds; undefined: the pod's own. */
export type GraceFor = (ref: string) => number | undefined;

/**
 * The state a change leads to, with the pods it removes terminating instead of gone (`observed`
 * is the cluster before it). Their addresses stay theirs: pods the change adds get theirs
 * around them. `graceFor`: the DeleteOptions' gracePeriodSeconds, where the deletion gave one.
 */
export function withTerminating(prev: ClusterState, observed: Cluster, next: ClusterState, nextCluster: Cluster, nowMs: number, graceFor: GraceFor = () => undefined): Settled {
  // The store computes a change's cluster from the stored objects alone: the pods kept around
  // them (retiring, terminating) and replaced names come in here.
  const full = (next.terminating ?? []).length + (next.retiring ?? []).length + (next.replaced ?? []).length > 0 ? desiredFromState(next).cluster : nextCluster;
  const going = podsToTerminate(observed, full);
  if (going.length === 0 && (next.terminating ?? []).length === 0) return { state: next, cluster: full, going };
  const kept = (next.terminating ?? []).filter((o) => !going.some((p) => refOf(p) === storedRef(o)));
  const pods = Object.fromEntries(Object.entries(next.assignments.pods).filter(([ref]) => ref in prev.assignments.pods));
  let state: ClusterState = {
    ...next,
    terminating: [...kept, ...going.map((p): StoredObject => ({ file: '<deleted>', line: 0, col: 0, value: terminatingWire(p, nowMs, graceFor(refOf(p))) }))],
    assignments: { ...next.assignments, pods },
  };
  const cluster = desiredFromState(state).cluster;
  state = { ...state, assignments: assignmentsOf(cluster) };
  return { state, cluster, going };
}

/** The state without the terminating pods in `refs` (their containers are gone). */
export function withoutTerminated(state: ClusterState, refs: ReadonlySet<string>): ClusterState {
  const terminating = (state.terminating ?? []).filter((o) => !refs.has(storedRef(o)));
  return { ...state, generation: state.generation + 1, terminating };
}

/** Terminating pods whose node has not reported them gone long after their deadline. */
export function overdueTerminating(cluster: Cluster, nowMs: number): string[] {
  return cluster.pods.filter((p) => p.meta.deletionTimestamp !== '' && terminationOverdue(p, nowMs)).map(refOf);
}

/** Refs of the state's terminating pods. */
export function terminatingRefs(state: ClusterState): Set<string> {
  return new Set((state.terminating ?? []).map(storedRef));
}

/** The controllers that make a deleted pod again: under a new name, or (StatefulSet) under its own. */
const RENAMING = new Set(['ReplicaSet', 'DaemonSet', 'Job', 'ReplicationController']);

/**
 * `delete pod` of pods a controller made (a Deployment's ReplicaSet, a DaemonSet, a Job, a
 * StatefulSet): they are not stored, so the store cannot delete them. A ReplicaSet's, DaemonSet's
 * or Job's is marked replaced, so its controller names a new pod in its place; a StatefulSet's
 * ordinal is held until the old pod is gone (cluster/statefulset-order.ts), then made again under
 * the same name. Either way the pod leaves the cluster (and terminates) as any removed pod does.
 */
export function deleteControlledPods(state: ClusterState, observed: Cluster, ids: readonly ObjectId[]): { state: ClusterState; rest: ObjectId[]; results: ObjectResult[] } {
  const byRef = new Map(observed.pods.map((p) => [refOf(p), p]));
  const rest: ObjectId[] = [];
  const results: ObjectResult[] = [];
  const replaced: string[] = [];
  const statefulSets = { ...state.statefulSets };
  for (const id of ids) {
    const pod = id.kind === 'Pod' ? byRef.get(`${id.namespace}/${id.name}`) : undefined;
    const owner = pod && pod.raw === null ? pod.meta.ownerReferences.find((o) => o.controller) ?? pod.meta.ownerReferences[0] : undefined;
    const sts = owner?.kind === 'StatefulSet' ? observed.workloads.find((w) => w.kind === 'StatefulSet' && w.meta.namespace === id.namespace && w.meta.name === owner.name) : undefined;
    const ordinal = sts && pod ? ordinalOf(sts, pod) : null;
    if (pod && sts && ordinal !== null) {
      const key = `${sts.meta.namespace}/${sts.meta.name}`;
      statefulSets[key] = holdOrdinal(sts, statefulSets[key], ordinal);
    } else if (pod && owner && RENAMING.has(owner.kind)) {
      replaced.push(refOf(pod));
    } else {
      rest.push(id);
      continue;
    }
    results.push({ id, apiVersion: 'v1', action: 'deleted' });
  }
  if (results.length === 0) return { state, rest, results };
  // Names of controllers that are gone need not be remembered.
  const live = new Set(observed.pods.map(refOf));
  const kept = (state.replaced ?? []).filter((r) => live.has(r) || observed.workloads.some((w) => RENAMING.has(w.kind) && r.startsWith(`${w.meta.namespace}/${w.meta.name}-`)));
  const next: ClusterState = { ...state, generation: state.generation + 1, replaced: [...new Set([...kept, ...replaced])] };
  return { state: Object.keys(statefulSets).length > 0 ? { ...next, statefulSets } : next, rest, results };
}

/** The variable that models how far a real cluster's rule update lags behind its kubelet. */
export const ENDPOINT_LAG_VARIABLE = 'KNET_ENDPOINT_LAG_MS';

/**
 * How long kube-proxy's removal of a deleted pod's endpoint waits after its runtime is told
 * to stop: 0 (knet's own speed) unless the daemon was started with KNET_ENDPOINT_LAG_MS=N
 * (0..10000), a model of the API server's watch and kube-proxy's sync period on a real
 * cluster. Anything else is refused with the reason.
 */
export function endpointLag(env: Readonly<Record<string, string | undefined>>): { ms: number } | { error: string } {
  const v = env[ENDPOINT_LAG_VARIABLE];
  if (v === undefined || v === '') return { ms: 0 };
  if (!/^\d+$/.test(v) || Number(v) > 10_000) return { error: `${ENDPOINT_LAG_VARIABLE}=${JSON.stringify(v)}: milliseconds from 0 to 10000; using 0` };
  return { ms: Number(v) };
}
