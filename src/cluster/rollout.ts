// A Deployment's rolling update, gated on readiness, as the deployment controller paces it:
// when a Deployment's pod template changes, the new ReplicaSet's pods start at once and the
// old ReplicaSet's pods keep running and serving ("retiring") until enough new pods are
// Ready: at every step at most maxUnavailable of the wanted replicas may be missing among
// Ready pods, counting both sets, and all pods together are at most replicas + maxSurge
// (the new ReplicaSet grows as old pods go: `newReplicasAllowed`, applied by workloads.ts);
// the old ones go as the new ones become Ready, not-ready ones first. `Recreate` replaces
// all pods at once.
import type { Pod, Workload } from '../model/types.js';
import type { Cluster } from './fill-in.js';

const refOf = (p: { meta: { namespace: string; name: string } }): string => `${p.meta.namespace}/${p.meta.name}`;

/** On a retiring pod: the Deployment (`ns/name`) whose old ReplicaSet it belonged to. */
export const RETIRING_ANNOTATION = 'knet.dev/retiring-from';

/** The Deployment (`ns/name`) a generated pod belongs to, through its ReplicaSet. */
export function deploymentOf(pod: Pod, workloads: readonly Workload[]): string | null {
  const retiring = pod.meta.annotations[RETIRING_ANNOTATION];
  if (retiring) return retiring;
  const rs = pod.meta.ownerReferences.find((o) => o.kind === 'ReplicaSet');
  if (!rs) return null;
  const set = workloads.find((w) => w.kind === 'ReplicaSet' && w.meta.namespace === pod.meta.namespace && w.meta.name === rs.name);
  const d = set?.meta.ownerReferences.find((o) => o.kind === 'Deployment');
  return d ? `${pod.meta.namespace}/${d.name}` : null;
}

/** A Deployment's strategy with maxSurge and maxUnavailable resolved to pod counts. */
export interface RollingUpdate {
  readonly recreate: boolean;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/**
 * An int-or-percent of `replicas`, as intstr.GetScaledValueFromIntOrPercent scales it:
 * a percentage rounds up for maxSurge and down for maxUnavailable.
 */
export function scaledValue(raw: unknown, replicas: number, roundUp: boolean, fallback: string): number {
  const v = raw ?? fallback;
  if (typeof v === 'number') return Math.max(0, Math.trunc(v));
  const m = /^(\d+)%$/.exec(String(v));
  if (!m) return 0;
  const exact = (replicas * Number(m[1])) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * maxSurge and maxUnavailable as the deployment controller resolves them (deployment_util
 * ResolveFenceposts): defaults 25% each; both zero would never progress, so maxUnavailable
 * becomes 1. `Recreate` takes every pod down first and adds none.
 */
export function resolveRollingUpdate(d: Workload): RollingUpdate {
  const spec = (d.raw?.value['spec'] ?? {}) as Record<string, unknown>;
  const strategy = (spec['strategy'] ?? {}) as Record<string, unknown>;
  if (strategy['type'] === 'Recreate') return { recreate: true, maxSurge: 0, maxUnavailable: d.replicas };
  const rolling = (strategy['rollingUpdate'] ?? {}) as Record<string, unknown>;
  const maxSurge = scaledValue(rolling['maxSurge'], d.replicas, true, '25%');
  let maxUnavailable = scaledValue(rolling['maxUnavailable'], d.replicas, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { recreate: false, maxSurge, maxUnavailable: Math.min(d.replicas, maxUnavailable) };
}

/**
 * How many pods the new ReplicaSet may have while `old` pods of the Deployment's older
 * ReplicaSets remain: all pods together stay at most replicas + maxSurge (the controller's
 * NewRSNewReplicas), never more than replicas.
 */
export function newReplicasAllowed(d: Workload, old: number): number {
  const { recreate, maxSurge } = resolveRollingUpdate(d);
  if (recreate) return old > 0 ? 0 : d.replicas;
  return Math.max(0, Math.min(d.replicas, d.replicas + maxSurge - old));
}

/**
 * The pods a change starts retiring: pods of a Deployment that is still there but whose
 * template changed (its pods are now others), running with an address.
 */
export function podsToRetire(before: Cluster, after: Cluster): Pod[] {
  const stay = new Set(after.pods.map(refOf));
  const deployments = new Map(after.workloads.filter((w) => w.kind === 'Deployment').map((w) => [refOf(w), w]));
  const setOf = (p: Pod): string => p.meta.ownerReferences.find((o) => o.kind === 'ReplicaSet')?.name ?? '';
  return before.pods.filter((p) => {
    // A terminating pod is already on its way out (cluster/termination.ts).
    if (stay.has(refOf(p)) || p.status.podIPs.length === 0 || p.status.phase !== 'Running' || p.meta.deletionTimestamp !== '') return false;
    const d = deploymentOf(p, before.workloads);
    const now = d ? deployments.get(d) : undefined;
    if (now === undefined || resolveRollingUpdate(now).recreate) return false;
    // Only pods of an old ReplicaSet retire: a pod of the current one that goes (a scale-down,
    // a deleted pod) is simply deleted, as the ReplicaSet controller deletes it.
    const current = after.pods.filter((q) => deploymentOf(q, after.workloads) === d);
    return current.length > 0 && !current.some((q) => setOf(q) === setOf(p));
  });
}

export interface RolloutStep {
  /** Retiring pods that may go now. */
  readonly retire: readonly string[];
  /** One line per Deployment still rolling, for the log. */
  readonly progress: readonly string[];
}

/**
 * Which retiring pods may go, given the pods' Ready now: per Deployment, Ready pods (new and
 * old) must stay at least replicas - maxUnavailable; the rest of the old ones go, not-ready
 * first. A retiring pod whose Deployment is gone goes at once.
 */
export function rolloutStep(cluster: Cluster, retiring: ReadonlySet<string>): RolloutStep {
  const byDeployment = new Map<string, { old: Pod[]; fresh: Pod[] }>();
  // Only ReplicaSet-owned pods can belong to a Deployment: one lookup of the sets, not one per pod.
  const sets = cluster.workloads.filter((w) => w.kind === 'ReplicaSet');
  for (const p of cluster.pods) {
    // Terminating pods count neither as old nor as new: the controller has let them go.
    if (p.meta.deletionTimestamp !== '') continue;
    const d = deploymentOf(p, sets);
    if (!d) continue;
    const g = byDeployment.get(d) ?? { old: [], fresh: [] };
    (retiring.has(refOf(p)) ? g.old : g.fresh).push(p);
    byDeployment.set(d, g);
  }
  const retire: string[] = [];
  const progress: string[] = [];
  for (const [d, g] of byDeployment) {
    if (g.old.length === 0) continue;
    const deployment = cluster.workloads.find((w) => w.kind === 'Deployment' && refOf(w) === d);
    if (!deployment) {
      retire.push(...g.old.map(refOf));
      continue;
    }
    const { maxUnavailable } = resolveRollingUpdate(deployment);
    const freshReady = g.fresh.filter((p) => p.status.ready === true).length;
    const oldReady = g.old.filter((p) => p.status.ready === true);
    // Ready pods must stay >= replicas - maxUnavailable; old Ready ones beyond that may go.
    const keepReady = Math.max(0, deployment.replicas - maxUnavailable - freshReady);
    const goingReady = freshReady >= deployment.replicas ? oldReady.length : Math.max(0, oldReady.length - keepReady);
    const leaving = [...g.old.filter((p) => p.status.ready !== true), ...oldReady.slice(0, goingReady)];
    retire.push(...leaving.map(refOf));
    const left = g.old.length - leaving.length;
    if (left > 0) progress.push(`deployment ${d}: ${freshReady} of ${deployment.replicas} new pods ready, ${left} old pod${left === 1 ? '' : 's'} still serving`);
  }
  return { retire, progress };
}
