// The StatefulSet controller in the running cluster (its decisions: cluster/statefulset-order.ts):
// a change that adds a StatefulSet or changes its replicas starts it from the pods it runs now,
// and every report of the pods' Ready (and every pod that finished terminating) may move it one
// pod on. The daemon adopts what these answer as it adopts a rollout's step.
import type { Cluster } from '../cluster/fill-in.js';
import { stepStatefulSets } from '../cluster/statefulset-order.js';
import { canonical } from './store-ops.js';
import { assignmentsOf, desiredFromState } from './desired.js';
import type { ClusterState } from './state.js';

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
  const step = stepStatefulSets(nextCluster.workloads, observed.pods, next.statefulSets ?? {});
  return step.moved ? moved(next, step.progresses, step.lines) : null;
}

/** One pod on for every StatefulSet the pods' Ready (and finished terminations) now allow; null when none moves. */
export function advanceStatefulSets(state: ClusterState, observed: Cluster): StatefulSetsMoved | null {
  if (!observed.workloads.some((w) => w.kind === 'StatefulSet') && !state.statefulSets) return null;
  const step = stepStatefulSets(observed.workloads, observed.pods, state.statefulSets ?? {});
  return step.moved ? moved({ ...state, generation: state.generation + 1 }, step.progresses, step.lines) : null;
}

function moved(state: ClusterState, progresses: NonNullable<ClusterState['statefulSets']>, lines: readonly string[]): StatefulSetsMoved {
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
