// The desired state of a running cluster, as the daemon persists it: the user's objects as
// they were applied (raw, the source of truth), the `knet up` flags, and the addresses the
// control plane assigned (so pods and Services keep them across applies and restarts).
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { RawObject } from '../model/source.js';
import type { CniMode } from '../model/types.js';
import { writeFileAtomic } from './atomic-file.js';
import { stateDir, statePath } from './paths.js';
import { isClusterScopedKind } from '../api/registry.js';
import type { StatefulSetProgresses } from '../cluster/statefulset-order.js';

/** One applied object: its wire form and where it came from (for messages). */
export interface StoredObject {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly value: Record<string, unknown>;
}

/** `knet up --nodes N --cni MODE`: laid over the Cluster object when the cluster is computed. */
export interface Overrides {
  readonly nodes?: number;
  readonly cni?: CniMode;
}

export interface PodAssignment {
  readonly node: string;
  readonly ips: readonly string[];
}

export interface ServiceAssignment {
  readonly clusterIPs: readonly string[];
  /** `PROTOCOL/port` -> nodePort. */
  readonly nodePorts: Readonly<Record<string, number>>;
  readonly healthCheckNodePort: number;
  readonly loadBalancerIngress: readonly string[];
}

export interface Assignments {
  readonly pods: Readonly<Record<string, PodAssignment>>;
  readonly services: Readonly<Record<string, ServiceAssignment>>;
}

export const NO_ASSIGNMENTS: Assignments = { pods: {}, services: {} };

export interface ClusterState {
  readonly version: 1;
  readonly name: string;
  /** Bumped on every change: the API's resourceVersion. */
  readonly generation: number;
  readonly overrides: Overrides;
  readonly objects: readonly StoredObject[];
  readonly assignments: Assignments;
  /**
   * Pods of a Deployment's old ReplicaSet still serving during a rolling update, as they
   * run (wire form); they go as the new pods become Ready (cluster/rollout.ts).
   */
  readonly retiring?: readonly StoredObject[];
  /**
   * Deleted pods still stopping (`Terminating`): their wire form with deletionTimestamp; they
   * go when their node reports their containers gone (cluster/termination.ts).
   */
  readonly terminating?: readonly StoredObject[];
  /** Deleted pods (`ns/name`) of ReplicaSets that made a replacement: their names are not given again. */
  readonly replaced?: readonly string[];
  /** StatefulSets their controller is still scaling pod by pod (cluster/statefulset-order.ts), by `ns/name`. */
  readonly statefulSets?: StatefulSetProgresses;
}

export function emptyState(name: string, overrides: Overrides = {}): ClusterState {
  return { version: 1, name, generation: 1, overrides, objects: [], assignments: NO_ASSIGNMENTS };
}

export function loadState(cluster: string, path = statePath(cluster)): ClusterState | null {
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as ClusterState;
  if (parsed.version !== 1 || !Array.isArray(parsed.objects)) throw new Error(`${path}: not a knet state file (version ${String(parsed.version)})`);
  return parsed;
}

export function saveState(state: ClusterState, path = statePath(state.name)): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(state)}\n`);
}

/** Where a daemon keeps its cluster's state: the state directory, or another (a test's temporary one). */
export interface StateStore {
  /** The state file, for messages. */
  readonly path: string;
  load(): ClusterState | null;
  save(state: ClusterState): Promise<void>;
  /** `knet down`: the directory goes, with the state and the daemon's log. */
  remove(): Promise<void>;
}

export function fileStateStore(cluster: string, dir = stateDir(cluster)): StateStore {
  const path = `${dir}/state.json`;
  return {
    path,
    load: () => loadState(cluster, path),
    save: (state) => saveState(state, path),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A stored object as the loader's RawObject: every field locates at the object's start. */
export function toRawObject(o: StoredObject): RawObject {
  const at = { file: o.file, line: o.line, col: o.col };
  return { file: o.file, value: o.value, locate: () => at };
}

export function toStoredObject(raw: RawObject): StoredObject {
  const at = raw.locate([]);
  return { file: raw.file, line: at.line, col: at.col, value: raw.value };
}

/** The API's cluster-scoped kinds (the registry's): everything else is namespaced. */
export function isClusterScoped(kind: string): boolean {
  return isClusterScopedKind(kind);
}

export interface ObjectId {
  readonly kind: string;
  readonly namespace: string; // '' for cluster-scoped kinds
  readonly name: string;
}

export function idOf(value: Record<string, unknown>): ObjectId {
  const kind = typeof value['kind'] === 'string' ? value['kind'] : '';
  const meta = (value['metadata'] && typeof value['metadata'] === 'object' ? value['metadata'] : {}) as Record<string, unknown>;
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const ns = typeof meta['namespace'] === 'string' && meta['namespace'] ? meta['namespace'] : 'default';
  return { kind, namespace: isClusterScoped(kind) ? '' : ns, name };
}

export function keyOf(id: ObjectId): string {
  return `${id.kind}|${id.namespace}|${id.name}`;
}
