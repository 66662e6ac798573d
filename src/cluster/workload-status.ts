// The `status` each workload controller writes, from its pods' Ready: what `kubectl get deploy`,
// `rollout status`, `wait --for=condition=Available` and `describe` read. The same function
// serves Predict (pods as fill-in leaves them) and the running cluster (pods as the kubelets
// report them, cluster/readiness.ts). Fields the controllers leave at zero are left out, as
// their Go structs' `omitempty` does.
import { statefulSetRevision } from './workloads.js';
import { OLD_REVISION_ANNOTATION } from './statefulset-order.js';
import type { Pod, Workload, WorkloadStatus } from '../model/types.js';
import type { Cluster } from './fill-in.js';
import { deploymentOf, resolveRollingUpdate, RETIRING_ANNOTATION } from './rollout.js';
import { REVISION_ANNOTATION } from './workloads.js';

const refOf = (o: { meta: { namespace: string; name: string } }): string => `${o.meta.namespace}/${o.meta.name}`;

type Json = Record<string, unknown>;

/** Without zeros: `replicas: 0` and the like are not written (Go's omitempty). */
function counts(fields: Record<string, number>): Json {
  return Object.fromEntries(Object.entries(fields).filter(([, n]) => n !== 0));
}

/** A pod the controllers count as active: not terminating, not finished. */
function active(p: Pod): boolean {
  return p.meta.deletionTimestamp === '' && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed';
}

const ready = (p: Pod): boolean => active(p) && p.status.phase === 'Running' && p.status.ready === true;

/** The revision a ReplicaSet carries (0 when none). */
export function revisionOf(w: Workload): number {
  const n = Number(w.meta.annotations[REVISION_ANNOTATION] ?? '0');
  return Number.isFinite(n) ? n : 0;
}

function condition(type: string, ok: boolean, reason: string, message: string, at: string): Json {
  return { type, status: ok ? 'True' : 'False', ...(at ? { lastTransitionTime: at, lastUpdateTime: at } : {}), reason, message };
}

/** Pods grouped by the workload (`Kind|ns/name`) that controls them; a Deployment's through its ReplicaSets. */
function podsByOwner(cluster: Cluster): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  const add = (key: string, p: Pod) => {
    const list = out.get(key);
    if (list) list.push(p);
    else out.set(key, [p]);
  };
  const sets = cluster.workloads.filter((w) => w.kind === 'ReplicaSet');
  for (const p of cluster.pods) {
    for (const o of p.meta.ownerReferences) if (o.controller) add(`${o.kind}|${p.meta.namespace}/${o.name}`, p);
    const d = deploymentOf(p, sets);
    if (d) add(`Deployment|${d}`, p);
  }
  return out;
}

/** Every workload with the status its controller writes. */
export function withWorkloadStatus(cluster: Cluster): Cluster {
  const pods = podsByOwner(cluster);
  const podsOf = (w: Workload): Pod[] => pods.get(`${w.kind}|${refOf(w)}`) ?? [];
  const workloads = cluster.workloads.map((w) => {
    const status = workloadStatus(w, podsOf(w), cluster.workloads);
    if (w.kind !== 'Deployment') return { ...w, status };
    // The Deployment carries its newest ReplicaSet's revision (`kubectl rollout history` reads it).
    const revision = newestReplicaSet(w, cluster.workloads)?.meta.annotations[REVISION_ANNOTATION];
    return { ...w, status, ...(revision ? { meta: { ...w.meta, annotations: { ...w.meta.annotations, [REVISION_ANNOTATION]: revision } } } : {}) };
  });
  return { ...cluster, workloads };
}

/** One workload's status from its pods (for a Deployment, the pods of all its ReplicaSets). */
export function workloadStatus(w: Workload, pods: readonly Pod[], workloads: readonly Workload[]): WorkloadStatus {
  const generation = ((w.raw?.value['metadata'] ?? {}) as Json)['generation'];
  const observedGeneration = typeof generation === 'number' ? generation : 1;
  const live = pods.filter(active);
  switch (w.kind) {
    case 'Deployment': return { observedGeneration, ...deploymentStatus(w, live, workloads) };
    case 'ReplicaSet':
    case 'ReplicationController': {
      const n = live.length;
      return { observedGeneration, ...counts({ replicas: n, fullyLabeledReplicas: n, readyReplicas: live.filter(ready).length, availableReplicas: live.filter(ready).length }), ...(n === 0 ? { replicas: 0 } : {}) };
    }
    case 'StatefulSet': {
      // The template's revision (cluster/workloads.ts names it in controller-revision-hash); during a
      // rolling update (statefulset-order.ts) the pods not updated yet still have the old one.
      const revisionOf = (p: Pod): string => p.meta.labels['controller-revision-hash'] ?? '';
      // A dump's pods name their real revision, which knet's hash is not: theirs is the revision then.
      const computed = statefulSetRevision(w);
      const rolling = live.some((p) => revisionOf(p) === computed || p.meta.annotations[OLD_REVISION_ANNOTATION]);
      const update = rolling ? computed : pods[0] ? revisionOf(pods[0]) : '';
      const current = live.map(revisionOf).find((rev) => rev !== update) ?? update;
      const n = live.length;
      const r = live.filter(ready).length;
      const updated = live.filter((p) => revisionOf(p) === update).length;
      return {
        observedGeneration, ...counts({ replicas: n, readyReplicas: r, currentReplicas: live.filter((p) => revisionOf(p) === current).length, updatedReplicas: updated, availableReplicas: r }),
        ...(n === 0 ? { replicas: 0, availableReplicas: 0 } : {}),
        ...(pods.length > 0 ? { currentRevision: current, updateRevision: update } : {}), collisionCount: 0,
      };
    }
    case 'DaemonSet': {
      const scheduled = live.filter((p) => p.spec.nodeName !== '').length;
      const r = live.filter(ready).length;
      // The daemonset controller writes every count, zeros included.
      return {
        observedGeneration, currentNumberScheduled: scheduled, desiredNumberScheduled: live.length, numberMisscheduled: 0,
        numberReady: r, updatedNumberScheduled: scheduled, numberAvailable: r, ...(live.length > r ? { numberUnavailable: live.length - r } : {}),
      };
    }
    case 'Job': return jobStatus(w, pods);
  }
}

/** A Deployment's new ReplicaSet (the one with its template): its highest revision. */
export function newestReplicaSet(d: Workload, workloads: readonly Workload[]): Workload | undefined {
  let best: Workload | undefined;
  for (const w of workloads) {
    if (w.kind !== 'ReplicaSet' || w.meta.namespace !== d.meta.namespace) continue;
    if (!w.meta.ownerReferences.some((o) => o.kind === 'Deployment' && o.name === d.meta.name)) continue;
    if (best === undefined || revisionOf(w) > revisionOf(best)) best = w;
  }
  return best;
}

function deploymentStatus(d: Workload, pods: readonly Pod[], workloads: readonly Workload[]): Json {
  const current = newestReplicaSet(d, workloads);
  const updated = pods.filter((p) => current !== undefined && p.meta.ownerReferences.some((o) => o.kind === 'ReplicaSet' && o.name === current.meta.name)
    && !p.meta.annotations[RETIRING_ANNOTATION]);
  const available = pods.filter(ready).length;
  const { maxUnavailable } = resolveRollingUpdate(d);
  const at = d.meta.creationTimestamp;
  const minimum = available >= d.replicas - maxUnavailable;
  const complete = updated.length === d.replicas && pods.length === d.replicas && available === d.replicas;
  const rsName = current?.meta.name ?? d.meta.name;
  return {
    ...counts({ replicas: pods.length, updatedReplicas: updated.length, readyReplicas: available, availableReplicas: available, unavailableReplicas: Math.max(0, d.replicas - available) }),
    conditions: [
      minimum
        ? condition('Available', true, 'MinimumReplicasAvailable', 'Deployment has minimum availability.', at)
        : condition('Available', false, 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', at),
      complete
        ? condition('Progressing', true, 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, at)
        : condition('Progressing', true, 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, at),
    ],
  };
}

/** The completions a Job needs: spec.completions, else (a work queue) one success with none left running. */
function completionsOf(job: Workload): number | null {
  const spec = (job.raw?.value['spec'] ?? {}) as Json;
  const c = spec['completions'];
  if (typeof c === 'number') return c;
  return spec['parallelism'] === undefined ? 1 : null;
}

function jobStatus(job: Workload, pods: readonly Pod[]): Json {
  const running = pods.filter(active);
  const succeeded = pods.filter((p) => p.status.phase === 'Succeeded').length;
  const failed = pods.filter((p) => p.status.phase === 'Failed').length;
  const completions = completionsOf(job);
  const done = completions === null ? succeeded > 0 && running.length === 0 : succeeded >= completions;
  const start = job.meta.creationTimestamp;
  return {
    ...(start ? { startTime: start } : {}),
    ...counts({ active: done ? 0 : running.length, succeeded, failed }),
    ready: done ? 0 : running.filter(ready).length,
    terminating: 0,
    uncountedTerminatedPods: {},
    ...(done ? {
      ...(start ? { completionTime: start } : {}),
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', ...(start ? { lastProbeTime: start, lastTransitionTime: start } : {}) },
        { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', ...(start ? { lastProbeTime: start, lastTransitionTime: start } : {}) },
      ],
    } : {}),
  };
}
