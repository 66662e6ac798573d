// A change to objects nothing in the cluster is derived from (a ConfigMap, a Secret, a
// ServiceAccount, ...): fill-in passes them through untouched, so the cluster after it is the
// one before with those objects replaced, and no pod, Service, slice or plan is computed again.
// A real API server commits such a write and sends its watch event at once; knet did the
// whole cluster's fill-in first (70 ms at 1,000 pods). `leaf-change.test.ts` checks the
// spliced cluster against the whole recompute, object for object.
import type { Cluster } from '../cluster/fill-in.js';
import { resourceByKind, type ResourceType } from '../api/registry.js';
import { decodeObjects } from '../model/load.js';
import type { Issue } from '../model/issue.js';
import type { RawObject } from '../model/source.js';
import type { KnownObject, OtherObject } from '../model/types.js';
import { idOf, keyOf, type ObjectId, type StoredObject } from './state.js';

/** The cluster's lists fill-in copies from its input as they are, reading nothing in them. */
export const LEAF_SLOTS = ['configMaps', 'secrets', 'others'] as const;
type LeafSlot = (typeof LEAF_SLOTS)[number];

/**
 * Kinds whose objects some step does read, so a change to them is not a leaf: the Cluster
 * object (the whole configuration), Calico's IPPool (infer-config reads its CIDR).
 */
const READ_KINDS = new Set(['Cluster', 'IPPool']);

/** What a change does to the stored objects, as the store decided it. */
export interface StoredChange {
  /** The objects created or replaced, as given (with their positions in the applied files). */
  readonly upserts: readonly RawObject[];
  readonly deleted: readonly StoredObject[];
  /** Every stored object after the change, in order, the upserts among them as given. */
  readonly raws: readonly RawObject[];
}

/**
 * The list an object goes to when nothing reads it (null: something does). kube-system is
 * left out: its ConfigMaps configure CoreDNS and kube-proxy, and knet makes some of them.
 */
function leafSlot(value: Record<string, unknown>, current: Cluster): LeafSlot | null {
  const id = idOf(value);
  if (!id.name || READ_KINDS.has(id.kind) || id.namespace === 'kube-system') return null;
  const apiVersion = typeof value['apiVersion'] === 'string' ? value['apiVersion'] : '';
  if (!apiVersion) return null;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const slot = resourceByKind(id.kind, group)?.inventory;
  if (slot !== undefined && slot !== 'configMaps' && slot !== 'secrets') return null;
  // A namespace only some objects name is made for them (and goes with the last of them), with
  // a note at the first: only a Namespace the user stored stays as it is.
  if (id.namespace && !current.namespaces.some((n) => n.meta.name === id.namespace && n.raw !== null)) return null;
  return slot ?? 'others';
}

/**
 * The cluster after `change` when every object it touches is a leaf, with the issues the
 * whole recompute would find about them; null when any is not (the caller computes the
 * whole cluster). `current` is the cluster of the stored state before the change
 * (desired.ts `desiredFromState`), free of errors (a daemon never adopts one that has any),
 * and `files` the applied files: no other stored object may come from one of them, since the
 * whole recompute reports what it finds at their positions too.
 */
export function spliceLeafChange(current: Cluster, change: StoredChange, files: ReadonlySet<string>, stored: readonly StoredObject[]): { cluster: Cluster; issues: Issue[] } | null {
  if (change.upserts.length + change.deleted.length === 0) return null;
  const slots = new Map<string, LeafSlot>();
  for (const v of [...change.upserts.map((r) => r.value), ...change.deleted.map((o) => o.value)]) {
    const slot = leafSlot(v, current);
    if (!slot) return null;
    slots.set(keyOf(idOf(v)), slot);
  }
  const upserted = new Set(change.upserts.map((r) => keyOf(idOf(r.value))));
  if (files.size > 0 && stored.some((o) => files.has(o.file) && !upserted.has(keyOf(idOf(o.value))))) return null;
  const decoded = decodeObjects(change.upserts);
  const fresh = new Map<string, KnownObject | OtherObject>();
  for (const slot of LEAF_SLOTS) for (const o of decoded.inventory[slot]) fresh.set(keyOf(idOfObject(o)), o);
  const gone = new Set(change.deleted.map((o) => keyOf(idOf(o.value))));
  const next: Partial<Record<LeafSlot, unknown[]>> = {};
  for (const slot of new Set(slots.values())) {
    const list: (KnownObject | OtherObject)[] = [];
    const placed = new Set<string>();
    for (const o of current[slot] as readonly (KnownObject | OtherObject)[]) {
      const key = keyOf(idOfObject(o));
      if (gone.has(key)) continue;
      const replaced = slots.get(key) === slot ? fresh.get(key) : undefined;
      list.push(replaced ?? o);
      if (replaced) placed.add(key);
    }
    // New objects come after the stored ones, as the whole recompute lists them.
    for (const [key, o] of fresh) if (slots.get(key) === slot && !placed.has(key)) list.push(o);
    next[slot] = list;
  }
  // The note about kinds knet keeps but does not model is about all of them: made again from
  // every stored one, it says what the whole recompute would.
  const issues = decoded.issues.filter((i) => i.code !== 'unknown-kind');
  if (change.upserts.some((r) => slots.get(keyOf(idOf(r.value))) === 'others')) {
    const unmodelled = change.raws.filter((r) => leafSlotOf(r.value) === 'others');
    issues.push(...decodeObjects(unmodelled).issues.filter((i) => i.code === 'unknown-kind'));
  }
  return { cluster: { ...current, ...next } as Cluster, issues };
}

/** Whether `a` and `b` differ at most in the leaf lists (the same objects elsewhere). */
export function onlyLeavesDiffer(a: Cluster, b: Cluster): boolean {
  if (a === b) return true;
  const leaves: ReadonlySet<string> = new Set(LEAF_SLOTS);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!leaves.has(k) && (a as unknown as Record<string, unknown>)[k] !== (b as unknown as Record<string, unknown>)[k]) return false;
  return true;
}

/** `derived` (a cluster computed from one that differs from `c` only in leaves) with `c`'s leaves. */
export function withLeavesOf(derived: Cluster, c: Cluster): Cluster {
  return { ...derived, configMaps: c.configMaps, secrets: c.secrets, others: c.others };
}

/**
 * Whether an API resource's objects are listed from the leaf lists alone: ConfigMaps, Secrets
 * and the kinds knet keeps as written (ServiceAccounts, Events, ...; the knet Cluster object
 * aside). The API's store syncs only these when only leaves changed (api-store.ts).
 */
export function listsOnlyLeaves(r: ResourceType): boolean {
  return r.inventory === 'configMaps' || r.inventory === 'secrets' || (r.inventory === undefined && r.kind !== 'Cluster');
}

/** An unmodelled kind's object, by its kind alone (no cluster needed: only `others` is asked). */
function leafSlotOf(value: Record<string, unknown>): LeafSlot | null {
  const kind = typeof value['kind'] === 'string' ? value['kind'] : '';
  const apiVersion = typeof value['apiVersion'] === 'string' ? value['apiVersion'] : '';
  if (!kind || !apiVersion || (kind === 'Cluster' && apiVersion.startsWith('knet.dev/'))) return null;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return resourceByKind(kind, group)?.inventory === undefined ? 'others' : null;
}

function idOfObject(o: KnownObject | OtherObject): ObjectId {
  return { kind: o.kind, namespace: o.meta.namespace, name: o.meta.name };
}
