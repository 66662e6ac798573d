// The daemon's part of a Deployment's revision history: the old ReplicaSets kept scaled to 0
// (cluster/replicaset-history.ts decides which) are stored beside the retiring pods, so
// desiredFromState lists them and numbers the next revision after them.
import type { Cluster } from '../cluster/fill-in.js';
import { isKeptReplicaSet, replicaSetHistory } from '../cluster/replicaset-history.js';
import type { ClusterState } from './state.js';

/** The state with the old ReplicaSets to keep after a change (null: the same as now). */
export function keptReplicaSets(state: ClusterState, before: Cluster, after: Cluster): ClusterState | null {
  const retiring = state.retiring ?? [];
  const kept = retiring.filter((o) => isKeptReplicaSet(o.value));
  const history = replicaSetHistory(kept.map((o) => o.value), before, after);
  if (JSON.stringify(history) === JSON.stringify(kept.map((o) => o.value))) return null;
  const pods = retiring.filter((o) => !isKeptReplicaSet(o.value));
  return { ...state, retiring: [...pods, ...history.map((value) => ({ file: '<revision history>', line: 0, col: 0, value }))] };
}

