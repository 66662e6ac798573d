// The running cluster's controllers, as pure functions of the stored state and the cluster the
// kubelets report: what an apply or a delete stores (the store checks it whole, store-ops.ts;
// garbage collection and namespace deletion happen there), a Deployment's rolling update
// (old pods retiring until new ones are Ready), the kubelets' readiness reports and what they
// change, and the topology plan a cluster runs on. The daemon (daemon.ts) acts on what they decide.
import type { Cluster } from '../cluster/fill-in.js';
import { hasReadinessGate, withReadiness, type ReportedPod } from '../cluster/readiness.js';
import { deploymentOf, podsToRetire, RETIRING_ANNOTATION, rolloutStep } from '../cluster/rollout.js';
import { toWire } from '../cluster/wire.js';
import { planTopology } from '../compile/topology.js';
import type { TopologyPlan } from '../compile/topology-plan.js';
import { resolvConfOf } from '../core/dns/pod-dns.js';
import { renderResolvConf } from '../core/dns/resolv-conf.js';
import type { Readiness } from '../dataplane/runtime/runtime.js';
import type { Issue } from '../model/issue.js';
import { parseText } from '../model/source.js';
import type { Pod } from '../model/types.js';
import { assignmentsOf, desiredFromState } from './desired.js';
import { onlyLeavesDiffer, withLeavesOf } from './leaf-change.js';
import { withStaticNeighbours } from './static-neighbours.js';
import type { ClusterState, ObjectId, StoredObject } from './state.js';
import { applyObjects, deleteObjects, type StoreOutcome } from './store-ops.js';
import { deleteControlledPods } from './termination.js';

const refOf = (p: Pod): string => `${p.meta.namespace}/${p.meta.name}`;

/** The topology a cluster runs on: every pod with its real resolv.conf, and permanent neighbour entries. */
export function planFor(cluster: Cluster, name: string): TopologyPlan {
  return withStaticNeighbours(planTopology(cluster, name, { resolvConf: (pod) => renderResolvConf(resolvConfOf(cluster, pod).conf) }));
}

/** `knet apply`: files as the user has them, upserted into the stored objects, refused whole on any error. */
export function applyFiles(state: ClusterState, cluster: Cluster, files: readonly { name: string; text: string }[]): StoreOutcome {
  const objects = [];
  const issues: Issue[] = [];
  for (const f of files) {
    const r = parseText(f.name, f.text);
    objects.push(...r.objects);
    issues.push(...r.issues);
  }
  return applyObjects(state, cluster, objects, issues);
}

/** `knet delete`: stored objects removed; a controller's pods (not stored) are made again by it (termination.ts). */
export function deleteIds(state: ClusterState, cluster: Cluster, observed: Cluster, ids: readonly ObjectId[]): StoreOutcome {
  const owned = deleteControlledPods(state, observed, ids);
  // Pods replaced by their controller changed the state: its cluster is computed whole.
  const outcome = deleteObjects(owned.state, cluster, owned.rest, owned.state === state);
  return owned.results.length === 0 ? outcome : { ...outcome, results: [...owned.results, ...outcome.results] };
}

/**
 * `delete --cascade=orphan`: the owners deleted and, in the same change, their dependents
 * stored as the user's own (`kept`: wire forms without the ownerReference), so they stay as
 * they run: pods under the same names, on the same nodes, with the same addresses.
 */
export function deleteOrphaning(state: ClusterState, cluster: Cluster, observed: Cluster, ids: readonly ObjectId[], kept: readonly { name: string; text: string }[]): StoreOutcome {
  const deleted = deleteIds(state, cluster, observed, ids);
  if (!deleted.state || !deleted.cluster) return deleted;
  // The deletion forgot the dependents' nodes and addresses (they left the cluster with their
  // owner); stated again, the stored dependents get them back.
  const pods = { ...state.assignments.pods, ...deleted.state.assignments.pods };
  // `kept` are dependents (pods, ReplicaSets), never leaves: this cluster is computed whole.
  const stored = applyFiles({ ...deleted.state, assignments: { ...deleted.state.assignments, pods } }, deleted.cluster, kept);
  return { ...stored, results: [...deleted.results, ...stored.results], notFound: deleted.notFound };
}

/** A change after the Deployment controller looked at it: its old pods kept `retiring` until new ones are Ready. */
export interface RolloutStart {
  readonly state: ClusterState;
  readonly cluster: Cluster;
  /** What the log says; null when no Deployment's template changed. */
  readonly message: string | null;
}

/**
 * A Deployment whose template changed keeps its old pods serving (`retiring` objects: their
 * wire form, node and IP) until the new pods are Ready as maxUnavailable allows; the new pods'
 * addresses are handed out again around the old ones that stay.
 */
export function startRollouts(prev: ClusterState, observed: Cluster, next: ClusterState, nextCluster: Cluster): RolloutStart {
  const retire = podsToRetire(observed, nextCluster);
  if (retire.length === 0) return { state: next, cluster: nextCluster, message: null };
  const kept = (prev.retiring ?? []).filter((o) => nextCluster.pods.every((p) => objectRef(o) !== refOf(p)));
  const deployments = retire.map((p) => deploymentOf(p, observed.workloads) ?? '');
  const pods = Object.fromEntries(Object.entries(next.assignments.pods).filter(([ref]) => ref in prev.assignments.pods));
  const state: ClusterState = { ...next, retiring: [...kept, ...retire.map((p, i) => retiringObject(p, deployments[i]!))], assignments: { ...next.assignments, pods } };
  const cluster = desiredFromState(state).cluster;
  return {
    state: { ...state, assignments: assignmentsOf(cluster) }, cluster,
    message: `rollout: ${retire.length} old pod${retire.length === 1 ? '' : 's'} keep serving until the new ones are Ready (${[...new Set(deployments)].join(', ')})`,
  };
}

/** The retiring pods the pods' Ready now allows to go (cluster/rollout.ts); null when none may. */
export function advanceRollouts(state: ClusterState, observed: Cluster): { state: ClusterState; message: string } | null {
  const retiring = state.retiring ?? [];
  if (retiring.length === 0) return null;
  const step = rolloutStep(observed, new Set(retiring.map(objectRef)));
  if (step.retire.length === 0) return null;
  const going = new Set(step.retire);
  return {
    state: { ...state, generation: state.generation + 1, retiring: retiring.filter((o) => !going.has(objectRef(o))) },
    message: `rollout: ${step.retire.join(', ')} retired${step.progress.length ? `; ${step.progress.join('; ')}` : ''}`,
  };
}

/** A retiring pod as stored: its wire form as it runs (node, IP), marked with its Deployment. */
function retiringObject(pod: Pod, deployment: string): StoredObject {
  const wire = toWire(pod) as Record<string, unknown>;
  const meta = (wire['metadata'] ?? {}) as Record<string, unknown>;
  const annotations = { ...(meta['annotations'] as Record<string, string> | undefined), [RETIRING_ANNOTATION]: deployment };
  return { file: '<rolling update>', line: 0, col: 0, value: { ...wire, metadata: { ...meta, annotations } } };
}

function objectRef(o: StoredObject): string {
  const meta = (o.value['metadata'] ?? {}) as Record<string, unknown>;
  return `${String(meta['namespace'] ?? 'default')}/${String(meta['name'] ?? '')}`;
}

/**
 * Each pod's Ready and restarts as its node's runtime (the kubelet) reports them. A node's
 * report is whole: a pod it no longer names is no longer reported.
 */
export class ReadinessReports {
  private readonly reported = new Map<string, ReportedPod>();
  private readonly reportedBy = new Map<string, readonly string[]>();
  private version = 0;
  private laid: { cluster: Cluster; version: number; observed: Cluster } | null = null;

  get pods(): ReadonlyMap<string, ReportedPod> {
    return this.reported;
  }

  /** Takes a node's report; answers the pods whose containers are all gone (terminated). */
  record(node: string, readiness: Readiness): string[] {
    for (const ref of this.reportedBy.get(node) ?? []) if (!(ref in readiness)) this.reported.delete(ref);
    this.reportedBy.set(node, Object.keys(readiness));
    for (const [ref, r] of Object.entries(readiness)) this.reported.set(ref, { ready: r.ready, restarts: r.restarts });
    this.version++;
    return Object.entries(readiness).filter(([, r]) => r.terminated === true).map(([ref]) => ref);
  }

  /**
   * `cluster` with the reports laid over it (cluster/readiness.ts), the same object until either
   * changes; a cluster that differs only in leaf objects (leaf-change.ts) keeps the laid pods,
   * slices and workloads, the same objects, so the API's store finds them unchanged at a glance.
   */
  over(cluster: Cluster): Cluster {
    const l = this.laid;
    if (l && l.cluster === cluster && l.version === this.version) return l.observed;
    const observed = l && l.version === this.version && onlyLeavesDiffer(l.cluster, cluster)
      ? withLeavesOf(l.observed, cluster)
      : withReadiness(cluster, this.reported);
    this.laid = { cluster, version: this.version, observed };
    return observed;
  }

  /** The reports with the pods in `notYet` not Ready (just made: their servers may not listen yet). */
  without(notYet: readonly string[]): ReadonlyMap<string, ReportedPod> {
    return new Map([...this.reported, ...notYet.map((ref): [string, ReportedPod] => [ref, { ready: false, restarts: 0 }])]);
  }
}

/** The pods that wait for a readiness or startup probe (those in `only`, else all), and which are not Ready yet. */
export function gatedPods(observed: Cluster, only?: ReadonlySet<string>): { total: number; unready: string[] } {
  const pods = observed.pods.filter((p) => p.status.phase === 'Running' && !p.spec.hostNetwork && hasReadinessGate(p) && !p.meta.deletionTimestamp
    && (!only || only.has(refOf(p))));
  return { total: pods.length, unready: pods.filter((p) => p.status.ready !== true).map(refOf) };
}
