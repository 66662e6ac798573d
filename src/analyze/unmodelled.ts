// What knet keeps but does not model that may make pods it cannot see: where an answer
// depends on those pods, it is unknown, never an error.
import type { Cluster } from '../cluster/fill-in.js';
import type { OtherObject } from '../model/types.js';

/** API groups of Kubernetes itself: their kinds that knet does not model make no pods (RBAC, CRDs, PDBs...). */
const KUBERNETES_GROUP = /(^|\.)k8s\.io$|^(apps|batch|policy|autoscaling|extensions)$|^$/;

/**
 * Kept objects in a namespace that may make pods knet cannot see: ReplicationControllers, and
 * custom resources (an operator's Prometheus or Alertmanager makes a StatefulSet of its own).
 */
export function unmodelledPodMakers(cluster: Cluster, namespace: string): readonly OtherObject[] {
  let byNamespace = MAKERS.get(cluster);
  if (!byNamespace) {
    // Indexed once per cluster: asked once per Service, policy and peer.
    byNamespace = new Map();
    for (const o of cluster.others) {
      if (!makesPods(o)) continue;
      byNamespace.set(o.meta.namespace, [...(byNamespace.get(o.meta.namespace) ?? []), o]);
    }
    MAKERS.set(cluster, byNamespace);
  }
  return byNamespace.get(namespace) ?? [];
}

const MAKERS = new WeakMap<Cluster, Map<string, OtherObject[]>>();

function makesPods(o: OtherObject): boolean {
  if (o.kind === 'ReplicationController') return true;
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : o.apiVersion.slice(0, slash);
  return !KUBERNETES_GROUP.test(group);
}

/** `ReplicationController ns/a, Prometheus ns/k8s and 2 more`. */
export function namedMakers(makers: readonly OtherObject[]): string {
  const named = makers.slice(0, 3).map((o) => `${o.kind} ${o.meta.namespace}/${o.meta.name}`).join(', ');
  return makers.length > 3 ? `${named} and ${makers.length - 3} more` : named;
}
