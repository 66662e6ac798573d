// Workloads to pods, named as the controllers name them: Deployment -> ReplicaSet
// `<name>-<hash>` -> pods `<name>-<hash>-<5>`; StatefulSet `<name>-<ordinal>` with hostname
// and subdomain; DaemonSet one pod per eligible node; Job, bare ReplicaSet and
// ReplicationController `<name>-<5>`.
import type { Meta, Node, OwnerRef, Pod, Workload } from '../model/types.js';
import { canRunOn } from './schedule.js';
import { randomSuffix, stableUid, templateHash } from './naming.js';
import { newReplicasAllowed, resolveRollingUpdate, RETIRING_ANNOTATION } from './rollout.js';
import { OLD_REVISION_ANNOTATION, ordinalsOf, type StatefulSetProgresses } from './statefulset-order.js';

/** The revision annotation the deployment controller puts on a Deployment and its ReplicaSets. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface Expansion {
  readonly pods: Pod[];
  readonly replicaSets: Workload[];
  /**
   * `ns/name` of a StatefulSet's pods its controller has not made yet (it makes them one by one
   * on a running cluster): expanded with the others so that each is scheduled and addressed as
   * if all were made at once, as the prediction places them, then left out of the cluster.
   */
  readonly unmade: ReadonlySet<string>;
}

/**
 * Expands the workloads that have no pods of their own in the input (a dump already
 * lists the pods its controllers made; those are kept as they are).
 */
export function expandWorkloads(
  workloads: readonly Workload[], givenPods: readonly Pod[], nodes: readonly Node[],
  replaced: ReadonlySet<string> = new Set(), statefulSets: StatefulSetProgresses = {},
): Expansion {
  // A replaced (deleted) pod's name is not given again: the next suffix of the same seed is.
  const freshName = (ns: string, base: string, seed: string): string => {
    let name = `${base}-${randomSuffix(seed)}`;
    for (let n = 1; replaced.has(`${ns}/${name}`); n++) name = `${base}-${randomSuffix(`${seed}/${n}`)}`;
    return name;
  };
  const replicaName = (ns: string, rs: string, i: number): string => freshName(ns, rs, `${ns}/${rs}/${i}`);
  const owned = new Set<string>(); // `Kind|ns|name` of every controller that owns a given pod or RS
  const byKey = new Map(workloads.map((w) => [`${w.kind}|${w.meta.namespace}|${w.meta.name}`, w]));
  const markOwners = (ns: string, refs: readonly OwnerRef[]) => {
    for (const r of refs) {
      const key = `${r.kind}|${ns}|${r.name}`;
      if (owned.has(key)) continue;
      owned.add(key);
      const parent = byKey.get(key);
      if (parent) markOwners(ns, parent.meta.ownerReferences);
    }
  };
  // Pods on their way out (a rollout's retiring pods, terminating ones) say nothing about what
  // their owners run now: their old ReplicaSet, kept for its revision, leads to the Deployment.
  for (const p of givenPods) {
    // A StatefulSet's pod kept at its old revision (a rolling update) leaves the others to it.
    if (p.meta.deletionTimestamp === '' && !p.meta.annotations[RETIRING_ANNOTATION] && !p.meta.annotations[OLD_REVISION_ANNOTATION]) markOwners(p.meta.namespace, p.meta.ownerReferences);
  }
  // An old ReplicaSet scaled to 0 (kept for `rollout undo`) says nothing about the current one.
  for (const w of workloads) if (w.kind === 'ReplicaSet' && w.replicas > 0 && w.meta.ownerReferences.length > 0) markOwners(w.meta.namespace, w.meta.ownerReferences);
  // Pods of a Deployment's older ReplicaSets still serving during a rolling update (rollout.ts).
  const retiring = new Map<string, number>();
  for (const p of givenPods) {
    const d = p.meta.annotations[RETIRING_ANNOTATION];
    if (d && p.meta.deletionTimestamp === '') retiring.set(d, (retiring.get(d) ?? 0) + 1);
  }

  const pods: Pod[] = [];
  const replicaSets: Workload[] = [];
  const unmade = new Set<string>();
  for (const w of workloads) {
    const key = `${w.kind}|${w.meta.namespace}|${w.meta.name}`;
    if (owned.has(key)) continue;
    // A ReplicaSet that belongs to a Deployment is the Deployment's business.
    if (w.kind === 'ReplicaSet' && w.meta.ownerReferences.some((r) => r.kind === 'Deployment')) continue;
    switch (w.kind) {
      case 'Deployment': {
        // The whole template counts, annotations too (`kubectl rollout restart` changes one);
        // annotation-less templates hash as they always did.
        const annotations = Object.keys(w.template.annotations).length > 0 ? `:${JSON.stringify(w.template.annotations)}` : '';
        // An old ReplicaSet with this template (`rollout undo`) is the new one again, under its own hash.
        const hash = sameTemplate(w, workloads)?.meta.labels['pod-template-hash']
          ?? templateHash(`${w.meta.namespace}/${w.meta.name}:${JSON.stringify(w.template.rawSpec)}:${JSON.stringify(w.template.labels)}${annotations}`);
        const rsName = `${w.meta.name}-${hash}`;
        const rsLabels = { ...w.template.labels, 'pod-template-hash': hash };
        // While old pods still serve, the new ReplicaSet grows by maxSurge (rollout.ts).
        const replicas = newReplicasAllowed(w, retiring.get(`${w.meta.namespace}/${w.meta.name}`) ?? 0);
        const rsAnnotations = {
          'deployment.kubernetes.io/desired-replicas': String(w.replicas),
          'deployment.kubernetes.io/max-replicas': String(w.replicas + resolveRollingUpdate(w).maxSurge),
          [REVISION_ANNOTATION]: String(nextRevision(w, rsName, workloads)),
        };
        const rs: Workload = {
          ...w, kind: 'ReplicaSet', raw: null, replicas,
          meta: generatedMeta(rsName, w.meta.namespace, rsLabels, ownerRef(w), rsAnnotations),
          template: { ...w.template, labels: rsLabels },
        };
        replicaSets.push(rs);
        for (let i = 0; i < replicas; i++) {
          pods.push(podFrom(rs, replicaName(w.meta.namespace, rsName, i), rsLabels, w));
        }
        break;
      }
      case 'ReplicaSet':
      case 'ReplicationController': // the replication manager names pods `<rc>-<5 random>`, as a ReplicaSet does
        for (let i = 0; i < w.replicas; i++) {
          pods.push(podFrom(w, replicaName(w.meta.namespace, w.meta.name, i), w.template.labels, w));
        }
        break;
      case 'StatefulSet': {
        const revision = statefulSetRevision(w);
        // Its controller makes them one by one (statefulset-order.ts) on a running cluster.
        const progress = statefulSets[`${w.meta.namespace}/${w.meta.name}`];
        const made = new Set(ordinalsOf(w, progress));
        const held = new Set([...(progress?.held ?? []), ...(progress?.old ?? [])]);
        const ordinals = Math.max(w.replicas, ...made, -1) + 1;
        for (let i = 0; i < ordinals; i++) {
          if (held.has(i) || (!made.has(i) && i >= w.replicas)) continue;
          const name = `${w.meta.name}-${i}`;
          if (!made.has(i)) unmade.add(`${w.meta.namespace}/${name}`);
          const labels = {
            ...w.template.labels,
            'apps.kubernetes.io/pod-index': String(i),
            'controller-revision-hash': revision,
            'statefulset.kubernetes.io/pod-name': name,
          };
          // The StatefulSet controller sets hostname to the pod name and subdomain to serviceName.
          pods.push(podFrom(w, name, labels, w, { hostname: name, subdomain: w.serviceName }));
        }
        break;
      }
      case 'DaemonSet': {
        const revision = templateHash(JSON.stringify(w.template.rawSpec));
        for (const node of nodes) {
          const probe = podFrom(w, 'probe', w.template.labels, w);
          if (!canRunOn(probe, node)) continue;
          const labels = { ...w.template.labels, 'controller-revision-hash': revision, 'pod-template-generation': '1' };
          const name = freshName(w.meta.namespace, w.meta.name, `${w.meta.namespace}/${w.meta.name}/${node.meta.name}`);
          pods.push(podFrom(w, name, labels, w, { nodeName: node.meta.name }));
        }
        break;
      }
      case 'Job': {
        const uid = w.meta.uid || stableUid(`job/${w.meta.namespace}/${w.meta.name}`);
        for (let i = 0; i < w.replicas; i++) {
          const labels = {
            ...w.template.labels,
            'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': w.meta.name,
            'controller-uid': uid, 'job-name': w.meta.name,
          };
          pods.push(podFrom(w, freshName(w.meta.namespace, w.meta.name, `${w.meta.namespace}/${w.meta.name}/${i}`), labels, w));
        }
        break;
      }
    }
  }
  return { pods, replicaSets, unmade };
}

/** A StatefulSet's revision (its ControllerRevision's name): `<name>-<hash of the template>`, the pods' controller-revision-hash. */
export function statefulSetRevision(w: Workload): string {
  return `${w.meta.name}-${templateHash(JSON.stringify(w.template.rawSpec))}`;
}

/**
 * The workloads with the Deployments' new ReplicaSets: one kept from before under the same
 * name (an old revision brought back by `rollout undo`) gives way to the new one.
 */
export function withNewReplicaSets(workloads: readonly Workload[], made: readonly Workload[]): Workload[] {
  const names = new Set(made.map((w) => `${w.meta.namespace}/${w.meta.name}`));
  return [...workloads.filter((w) => w.kind !== 'ReplicaSet' || !names.has(`${w.meta.namespace}/${w.meta.name}`)), ...made];
}

/**
 * The new ReplicaSet's revision: one past the highest of the Deployment's other ReplicaSets
 * (an old one brought back by `rollout undo` takes the next number too), 1 for the first.
 */
function nextRevision(d: Workload, rsName: string, workloads: readonly Workload[]): number {
  let max = 0;
  for (const w of workloads) {
    if (w.kind !== 'ReplicaSet' || w.meta.namespace !== d.meta.namespace || w.meta.name === rsName) continue;
    if (!w.meta.ownerReferences.some((o) => o.kind === 'Deployment' && o.name === d.meta.name)) continue;
    max = Math.max(max, Number(w.meta.annotations[REVISION_ANNOTATION] ?? '0') || 0);
  }
  return max + 1;
}

/**
 * A template as the deployment controller compares it (EqualIgnoreHash, after the API server's
 * defaulting): keys in any order, null and empty values no values, the pod-template-hash label
 * left out; so `kubectl rollout undo`'s copy of an old ReplicaSet's template (with
 * `resources: {}`) is that ReplicaSet's template again.
 */
function comparable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(comparable);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const y = comparable((v as Record<string, unknown>)[k]);
    if (y === null || y === undefined || (typeof y === 'object' && Object.keys(y).length === 0)) continue;
    out[k] = y;
  }
  return out;
}

const templateKey = (t: Workload['template']): string => {
  const { 'pod-template-hash': _, ...labels } = t.labels;
  return JSON.stringify(comparable({ labels, annotations: t.annotations, spec: t.rawSpec }));
};

/** The Deployment's old ReplicaSet (kept for its revision) whose template is the Deployment's now. */
function sameTemplate(d: Workload, workloads: readonly Workload[]): Workload | undefined {
  const old = workloads.filter((w) => w.kind === 'ReplicaSet' && w.meta.namespace === d.meta.namespace && w.meta.labels['pod-template-hash']
    && w.meta.ownerReferences.some((o) => o.kind === 'Deployment' && o.name === d.meta.name));
  if (old.length === 0) return undefined;
  const key = templateKey(d.template);
  return old.find((rs) => templateKey(rs.template) === key);
}

function ownerRef(w: Workload): OwnerRef {
  return { kind: w.kind, name: w.meta.name, uid: w.meta.uid || stableUid(`${w.kind}/${w.meta.namespace}/${w.meta.name}`), controller: true };
}

export function generatedMeta(
  name: string,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  owner: OwnerRef | null,
  annotations: Readonly<Record<string, string>> = {},
): Meta {
  return {
    name, namespace, labels, annotations, uid: stableUid(`${namespace}/${name}`),
    creationTimestamp: '', deletionTimestamp: '', ownerReferences: owner ? [owner] : [],
  };
}

function podFrom(
  owner: Workload,
  name: string,
  labels: Readonly<Record<string, string>>,
  origin: Workload,
  overrides: { hostname?: string; subdomain?: string; nodeName?: string } = {},
): Pod {
  const spec = owner.template.spec;
  return {
    kind: 'Pod', apiVersion: 'v1', raw: null,
    meta: generatedMeta(name, owner.meta.namespace, labels, ownerRef(owner), owner.template.annotations),
    spec: {
      ...spec,
      hostname: overrides.hostname ?? spec.hostname,
      subdomain: overrides.subdomain ?? spec.subdomain,
      nodeName: overrides.nodeName ?? spec.nodeName,
    },
    status: { phase: '', podIPs: [], hostIP: '', ready: null },
    generatedBy: `${origin.kind} ${origin.meta.namespace}/${origin.meta.name}`,
    ownerSource: origin.raw,
  };
}
