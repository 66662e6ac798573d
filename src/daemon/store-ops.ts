// What `knet apply` and `knet delete` do to the stored objects, decided before anything is
// touched: the whole batch is checked against the cluster it would make (every Issue, with
// the applied file's positions), and refused whole when any is an error.
import type { Cluster } from '../cluster/fill-in.js';
import { hasErrors, sortIssues, type Issue } from '../model/issue.js';
import type { RawObject } from '../model/source.js';
import { assignmentsOf, desiredCluster, withClusterOverrides } from './desired.js';
import { spliceLeafChange, type StoredChange } from './leaf-change.js';
import { idOf, keyOf, toRawObject, toStoredObject, type ClusterState, type ObjectId, type StoredObject } from './state.js';

export type Action = 'created' | 'configured' | 'unchanged' | 'deleted';

export interface ObjectResult {
  readonly id: ObjectId;
  readonly apiVersion: string;
  readonly action: Action;
}

export interface StoreOutcome {
  /** null when refused: nothing may change. */
  readonly state: ClusterState | null;
  readonly cluster: Cluster | null;
  readonly results: readonly ObjectResult[];
  readonly issues: readonly Issue[];
  readonly notFound: readonly ObjectId[];
  /**
   * The change touched only objects nothing is derived from (leaf-change.ts): `cluster` is the
   * one before with them replaced, pods and all else the same objects, and it is already the
   * whole running cluster (`desiredFromState`: retiring and terminating pods included).
   */
  readonly leaf?: true;
}

/** Canonical JSON: key order does not make an object "configured". */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : x));
}

/**
 * Upserts `incoming` (kubectl apply): new objects are appended, known ones replaced in place.
 * `current` is the running cluster: its node set and the Cluster object cannot change.
 */
export function applyObjects(state: ClusterState, current: Cluster, incoming: readonly RawObject[], readIssues: readonly Issue[]): StoreOutcome {
  const files = new Set(incoming.map((r) => r.file));
  const issues: Issue[] = [...readIssues];
  if (incoming.length === 0 && !hasErrors(readIssues)) {
    issues.push({ code: 'no-objects', severity: 'error', file: '', line: 0, col: 0, message: 'no objects passed to apply', hint: 'pass manifests with -f FILE|DIR' });
  }
  const index = new Map(state.objects.map((o, i) => [keyOf(idOf(o.value)), i]));
  const objects: StoredObject[] = [...state.objects];
  const raws: RawObject[] = state.objects.map(toRawObject);
  const results: ObjectResult[] = [];
  const seen = new Set<string>();
  const upserts: RawObject[] = [];
  for (const raw of incoming) {
    const id = idOf(raw.value);
    const key = keyOf(id);
    const apiVersion = typeof raw.value['apiVersion'] === 'string' ? raw.value['apiVersion'] : '';
    const at = index.get(key);
    if (seen.has(key) || !id.kind || !id.name) {
      raws.push(raw); // decoding reports the duplicate or the missing field at its position
      continue;
    }
    seen.add(key);
    upserts.push(raw);
    if (at === undefined) {
      if (id.kind === 'Cluster' && objects.some((o) => o.value['kind'] === 'Cluster')) {
        issues.push(immutable(raw, 'a second Cluster object', 'the running cluster already has one; edit it with knet down and knet up'));
      }
      index.set(key, objects.length);
      objects.push(toStoredObject(raw));
      raws.push(raw);
      results.push({ id, apiVersion, action: 'created' });
      continue;
    }
    const same = canonical(objects[at]!.value) === canonical(raw.value);
    // Its settings are fixed while it runs; its labels and annotations (kubectl apply's
    // last-applied-configuration) are only metadata.
    // The flags of `knet up` count as the stored object's: kubectl sends back what it read.
    const settings = (v: Record<string, unknown>) => canonical(clusterSettings(withClusterOverrides(v, state.overrides)));
    if (id.kind === 'Cluster' && settings(objects[at]!.value) !== settings(raw.value)) {
      issues.push(immutable(raw, 'the Cluster object cannot change while the cluster runs', `knet down, then knet up with the new settings`));
    }
    objects[at] = toStoredObject(raw);
    raws[at] = raw;
    results.push({ id, apiVersion, action: same ? 'unchanged' : 'configured' });
  }
  // Objects that cannot be kept (a second copy, no name) are for the whole recompute to report.
  const change = upserts.length === incoming.length ? { upserts, deleted: [], raws } : null;
  return settle(state, current, raws, objects, results, issues, (i) => i.severity === 'error' || files.has(i.file), [], change, files);
}

/**
 * Deletes objects by id; deleting a Namespace deletes what is in it, as the API server does.
 * `spliceable`: `current` is the cluster of `state` (a caller that changed the state first says no).
 */
export function deleteObjects(state: ClusterState, current: Cluster, ids: readonly ObjectId[], spliceable = true): StoreOutcome {
  const issues: Issue[] = [];
  const gone = new Set<string>();
  const results: ObjectResult[] = [];
  const notFound: ObjectId[] = [];
  const stored = new Map(state.objects.map((o) => [keyOf(idOf(o.value)), o]));
  for (const id of ids) {
    const o = stored.get(keyOf(id));
    if (!o || gone.has(keyOf(id))) {
      if (!o) notFound.push(id);
      continue;
    }
    if (id.kind === 'Cluster') {
      issues.push({ code: 'cluster-immutable', severity: 'error', file: o.file, line: o.line, col: o.col, object: `Cluster ${id.name}`,
        message: 'the Cluster object cannot be deleted while the cluster runs', hint: `knet down removes the whole cluster` });
      continue;
    }
    gone.add(keyOf(id));
    results.push({ id, apiVersion: String(o.value['apiVersion'] ?? ''), action: 'deleted' });
    if (id.kind === 'Namespace') {
      for (const [key, other] of stored) {
        const oid = idOf(other.value);
        if (oid.namespace === id.name && !gone.has(key)) gone.add(key);
      }
    }
  }
  const objects = state.objects.filter((o) => !gone.has(keyOf(idOf(o.value))));
  const raws = objects.map(toRawObject);
  const deleted = state.objects.filter((o) => gone.has(keyOf(idOf(o.value))));
  return settle(state, current, raws, objects, results, issues, (i) => i.severity === 'error', notFound, spliceable ? { upserts: [], deleted, raws } : null, new Set());
}

function settle(
  state: ClusterState, current: Cluster, raws: readonly RawObject[], objects: readonly StoredObject[],
  results: readonly ObjectResult[], issues: Issue[], keep: (i: Issue) => boolean, notFound: readonly ObjectId[],
  change: StoredChange | null, files: ReadonlySet<string>,
): StoreOutcome {
  // Only leaf objects changed: spliced into the cluster as it is (leaf-change.ts).
  const spliced = change ? spliceLeafChange(current, change, files, state.objects) : null;
  // Replaced pods' names are not given again (a ReplicaSet's replacements keep theirs, and their addresses).
  const desired = spliced ?? desiredCluster({ objects: raws, overrides: state.overrides, assignments: state.assignments, replacedPods: state.replaced ?? [], statefulSets: state.statefulSets });
  issues.push(...desired.issues.filter(keep));
  const nodes = (c: Cluster) => canonical(c.nodes.map((n) => [n.meta.name, n.internalIPs, n.podCIDRs.map((x) => x.text)]));
  if (nodes(desired.cluster) !== nodes(current)) {
    issues.push({
      code: 'nodes-immutable', severity: 'error', file: '', line: 0, col: 0,
      message: `the nodes cannot change while the cluster runs (now ${current.nodes.map((n) => n.meta.name).join(', ')}; this would make ${desired.cluster.nodes.map((n) => n.meta.name).join(', ') || 'none'})`,
      hint: 'knet down, then knet up with the new nodes',
    });
  }
  const unique = dedupe(issues);
  if (hasErrors(unique)) return { state: null, cluster: null, results, issues: unique, notFound };
  const changed = results.some((r) => r.action !== 'unchanged');
  const next: ClusterState = changed
    ? { ...state, generation: state.generation + 1, objects, assignments: spliced ? state.assignments : assignmentsOf(desired.cluster) }
    : state;
  return { state: next, cluster: desired.cluster, results, issues: unique, notFound, ...(spliced ? { leaf: true as const } : {}) };
}

/** A Cluster object without what may change while it runs: metadata other than its name. */
function clusterSettings(v: Record<string, unknown>): Record<string, unknown> {
  const meta = (v['metadata'] && typeof v['metadata'] === 'object' ? v['metadata'] : {}) as Record<string, unknown>;
  return { ...v, metadata: { name: meta['name'] } };
}

function immutable(raw: RawObject, message: string, hint: string): Issue {
  return { code: 'cluster-immutable', severity: 'error', ...raw.locate([]), object: `Cluster ${idOf(raw.value).name}`, message, hint };
}

function dedupe(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return sortIssues(issues).filter((i) => {
    const k = `${i.file}:${i.line}:${i.col}:${i.severity}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
