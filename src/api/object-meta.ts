// What the object store writes into objects and how it tells that one changed: the kinds with a
// metadata.generation, the text compared between syncs (without the metadata the store owns), the
// spec part that moves the generation, a hash for what is saved across restarts, and the
// observedGeneration knet's instant controllers report.

type Json = Record<string, unknown>;

/**
 * Kinds whose metadata.generation kube-apiserver keeps (1.32): the workloads, Ingress,
 * NetworkPolicy, EndpointSlice, PodDisruptionBudget, HPA, and every custom resource. Pods,
 * Services, ConfigMaps, Secrets, Nodes and Namespaces have none.
 */
const BUILT_IN_WITH_GENERATION = new Set(['apps/Deployment', 'apps/ReplicaSet', 'apps/StatefulSet', 'apps/DaemonSet', '/ReplicationController',
  'batch/Job', 'batch/CronJob', 'networking.k8s.io/Ingress', 'networking.k8s.io/NetworkPolicy', 'discovery.k8s.io/EndpointSlice',
  'policy/PodDisruptionBudget', 'autoscaling/HorizontalPodAutoscaler']);
const BUILT_IN_GROUPS = new Set(['', 'apps', 'batch', 'networking.k8s.io', 'discovery.k8s.io', 'policy', 'autoscaling', 'rbac.authorization.k8s.io',
  'storage.k8s.io', 'coordination.k8s.io', 'events.k8s.io', 'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'scheduling.k8s.io', 'node.k8s.io', 'certificates.k8s.io']);

export function hasGeneration(kindKey: string, group: string): boolean {
  return BUILT_IN_WITH_GENERATION.has(kindKey) || !BUILT_IN_GROUPS.has(group);
}

/** Metadata the store sets: never part of what decides whether an object changed. */
const OWNED_METADATA = new Set(['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'selfLink']);

export function groupOf(apiVersion: unknown): string {
  const v = typeof apiVersion === 'string' ? apiVersion : '';
  const slash = v.indexOf('/');
  return slash < 0 ? '' : v.slice(0, slash);
}

export function metaOf(o: Json): Json {
  const m = o['metadata'];
  return m && typeof m === 'object' && !Array.isArray(m) ? m as Json : {};
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Content minus the store's metadata: what decides whether an object changed. */
export function contentText(o: Json): string {
  const meta = metaOf(o);
  const kept: Json = {};
  for (const k in meta) if (!OWNED_METADATA.has(k)) kept[k] = meta[k];
  return JSON.stringify({ ...o, metadata: kept });
}

/** Everything but metadata and status: what bumps metadata.generation. */
export function specText(o: Json): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
}

/** A 53-bit hash of a text, in base 36 (changes between restarts, not cryptography). */
export function textHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

export function timeText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function withResourceVersion(o: Json, rv: number): Json {
  return { ...o, metadata: { ...metaOf(o), resourceVersion: String(rv) } };
}

/**
 * knet's controllers act at once: what they report is always about the latest spec, so an
 * `observedGeneration` they state (the status's, a condition's) is the store's generation
 * (`kubectl rollout status` and `kubectl wait --for=condition` compare them).
 */
export function observedAt(status: Json, generation: number): Json {
  const conditions = status['conditions'];
  const stale = (c: unknown): boolean => !!c && typeof c === 'object' && typeof (c as Json)['observedGeneration'] === 'number' && (c as Json)['observedGeneration'] !== generation;
  const top = typeof status['observedGeneration'] === 'number' && status['observedGeneration'] !== generation;
  const inConditions = Array.isArray(conditions) && conditions.some(stale);
  if (!top && !inConditions) return status;
  return {
    ...status,
    ...(top ? { observedGeneration: generation } : {}),
    ...(inConditions ? { conditions: (conditions as unknown[]).map((c) => (stale(c) ? { ...(c as Json), observedGeneration: generation } : c)) } : {}),
  };
}

/**
 * A Job's `status.startTime` (and, once it completed, `completionTime`) when its controller could
 * not know the time (an object written through the API has its creationTimestamp only here):
 * the job controller starts a Job that is not suspended as soon as it sees it. kstatus (helm
 * --wait) counts a Job without a startTime as "Job not started".
 */
export function jobTimes(spec: unknown, status: Json, creationTimestamp: string): Json {
  const suspended = !!spec && typeof spec === 'object' && (spec as Json)['suspend'] === true;
  if (suspended || !creationTimestamp || status['startTime']) return status;
  const complete = Array.isArray(status['conditions']) && status['conditions'].some((c) => (c as Json)?.['type'] === 'Complete' && (c as Json)?.['status'] === 'True');
  return { startTime: creationTimestamp, ...status, ...(complete && !status['completionTime'] ? { completionTime: creationTimestamp } : {}) };
}
