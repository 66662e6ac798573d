// The StatefulSet controller in the running cluster (its decisions: cluster/statefulset-order.ts):
// a change that adds a StatefulSet or changes its replicas starts it from the pods it runs now,
// and every report of the pods' Ready (and every pod that finished terminating) may move it one
// pod on. The daemon adopts what these answer as it adopts a rollout's step.
import type { Cluster } from '../cluster/fill-in.js';
import { OLD_REVISION_ANNOTATION, ordinalOf, rollsUpdates, stepStatefulSets, type StatefulSetProgress } from '../cluster/statefulset-order.js';
import { toWire } from '../cluster/wire.js';
import { statefulSetRevision } from '../cluster/workloads.js';
import type { Pod } from '../model/types.js';
import { canonical } from './store-ops.js';
import { assignmentsOf, desiredFromState } from './desired.js';
import type { ClusterState, StoredObject } from './state.js';

export interface StatefulSetsMoved {
  readonly state: ClusterState;
  readonly cluster: Cluster;
  readonly message: string;
}

/**
 * The StatefulSets of a change (`next`, `nextCluster`) paced from the pods that run before it
 * (`observed`): a new one starts with ordinal 0, a scaled one from the pods it has. Null when
 * no StatefulSet's pods differ from what the change computed.
 */
export function startStatefulSets(observed: Cluster, next: ClusterState, nextCluster: Cluster): StatefulSetsMoved | null {
  const rolled = startRollingUpdates(observed, next, nextCluster);
  const state = rolled?.state ?? next;
  const step = stepStatefulSets(nextCluster.workloads, observed.pods, state.statefulSets ?? {});
  if (step.moved) return moved(state, step.progresses, step.lines, step.released);
  return rolled ? moved(state, state.statefulSets ?? {}, rolled.lines, []) : null;
}

/**
 * A StatefulSet whose template changed (RollingUpdate, the default): its running pods stay at the
 * old revision, kept as they run (`retiring` objects marked OLD_REVISION_ANNOTATION), and are
 * updated one by one from the highest ordinal (statefulset-order.ts).
 */
function startRollingUpdates(observed: Cluster, next: ClusterState, nextCluster: Cluster): { state: ClusterState; lines: string[] } | null {
  const progresses: Record<string, StatefulSetProgress> = { ...next.statefulSets };
  const kept: StoredObject[] = [];
  const lines: string[] = [];
  for (const sts of nextCluster.workloads) {
    if (sts.kind !== 'StatefulSet' || !rollsUpdates(sts)) continue;
    const key = `${sts.meta.namespace}/${sts.meta.name}`;
    const revision = statefulSetRevision(sts);
    const old = observed.pods.filter((p) => p.meta.deletionTimestamp === '' && !p.meta.annotations[OLD_REVISION_ANNOTATION]
      && p.meta.ownerReferences.some((o) => o.kind === 'StatefulSet' && o.name === sts.meta.name) && p.meta.namespace === sts.meta.namespace
      && p.status.phase === 'Running' && (p.meta.labels['controller-revision-hash'] ?? revision) !== revision);
    if (old.length === 0) continue;
    const ordinals = old.map((p) => ordinalOf(sts, p)).filter((i): i is number => i !== null);
    progresses[key] = { ...progresses[key], old: [...new Set([...(progresses[key]?.old ?? []), ...ordinals])].sort((a, b) => a - b) };
    kept.push(...old.map((p) => oldRevisionObject(p, key)));
    lines.push(`statefulset ${key}: rolling update to ${revision}, ${old.length} pod${old.length === 1 ? '' : 's'} at the old revision, the highest ordinal first`);
  }
  if (kept.length === 0) return null;
  return { state: { ...next, statefulSets: progresses, retiring: [...(next.retiring ?? []), ...kept] }, lines };
}

/** A pod kept at its StatefulSet's old revision: its wire form as it runs, marked. */
function oldRevisionObject(pod: Pod, sts: string): StoredObject {
  const wire = toWire(pod) as Record<string, unknown>;
  const meta = (wire['metadata'] ?? {}) as Record<string, unknown>;
  const annotations = { ...(meta['annotations'] as Record<string, string> | undefined), [OLD_REVISION_ANNOTATION]: sts };
  return { file: '<rolling update>', line: 0, col: 0, value: { ...wire, metadata: { ...meta, annotations } } };
}

/** One pod on for every StatefulSet the pods' Ready (and finished terminations) now allow; null when none moves. */
export function advanceStatefulSets(state: ClusterState, observed: Cluster): StatefulSetsMoved | null {
  if (!observed.workloads.some((w) => w.kind === 'StatefulSet') && !state.statefulSets) return null;
  const step = stepStatefulSets(observed.workloads, observed.pods, state.statefulSets ?? {});
  return step.moved ? moved({ ...state, generation: state.generation + 1 }, step.progresses, step.lines, step.released) : null;
}

function moved(state0: ClusterState, progresses: NonNullable<ClusterState['statefulSets']>, lines: readonly string[], released: readonly string[]): StatefulSetsMoved {
  // An updated pod's old form goes; the StatefulSet makes it anew (same name, its new template).
  const going = new Set(released);
  const state = going.size === 0 ? state0 : { ...state0, retiring: (state0.retiring ?? []).filter((o) => !going.has(storedRef(o))) };
  const { statefulSets: _, ...rest } = state;
  const next: ClusterState = Object.keys(progresses).length > 0 ? { ...rest, statefulSets: progresses } : rest;
  const cluster = desiredFromState(next).cluster;
  const assignments = assignmentsOf(cluster);
  return {
    state: canonical(assignments) === canonical(next.assignments) ? next : { ...next, assignments },
    cluster,
    message: lines.join('; '),
  };
}

function storedRef(o: { value: Record<string, unknown> }): string {
  const meta = (o.value['metadata'] ?? {}) as Record<string, unknown>;
  return `${String(meta['namespace'] ?? 'default')}/${String(meta['name'] ?? '')}`;
}
