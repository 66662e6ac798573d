// The daemon's side of the API's object store (src/api/object-store.ts): one store per daemon,
// which every listener shares, synced from the running cluster on every change, and its metadata
// (uids, creationTimestamps, generations, resourceVersions) kept beside state.json so that objects
// keep their uid across a restart and resourceVersions only grow.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Cluster } from '../cluster/fill-in.js';
import { toWire, type AnyObject } from '../cluster/wire.js';
import { ObjectStore, type SavedMeta } from '../api/object-store.js';
import { sameModel } from '../api/same-model.js';
import { RESOURCE_TYPES, servesObjects, type ResourceType } from '../api/registry.js';
import { listsOnlyLeaves, onlyLeavesDiffer } from './leaf-change.js';
import { writeFileAtomic } from './atomic-file.js';
import { apiObjectsPath, stateDir } from './paths.js';

type Json = Record<string, unknown>;

/** What the store needs of the daemon (the FakeBackend of the tests has it too). */
export interface StoreSource {
  readonly name: string;
  readonly observed: Cluster;
  onChange(fn: () => void): () => void;
  log(line: string): void;
}

interface Handle {
  readonly store: ObjectStore;
  observed: Cluster | null;
  /** Wire forms of the last sync, by the cluster object they came from: unchanged objects cost the store nothing. */
  readonly wires: WireCache;
  readonly persist: () => void;
}

const handles = new WeakMap<StoreSource, Handle>();

/** The daemon's store, made on first use (from what the last run saved), then kept current. */
export function apiStoreOf(daemon: StoreSource): ObjectStore {
  let h = handles.get(daemon);
  if (!h) {
    const file = existsSync(stateDir(daemon.name)) ? apiObjectsPath(daemon.name) : null;
    const store = new ObjectStore(file ? loadSaved(file, daemon.log) : undefined);
    h = { store, observed: null, wires: new WireCache(), persist: file ? persister(file, store, daemon.log) : () => {} };
    handles.set(daemon, h);
    const handle = h;
    daemon.onChange(() => refresh(daemon, handle));
  }
  refresh(daemon, h);
  return h.store;
}

/**
 * Syncs the store when the running cluster is another one than it last saw (a cheap check). A
 * cluster that differs from the last only in leaf objects (a ConfigMap changed: leaf-change.ts)
 * is synced over the kinds listed from them alone; the pods and the rest are the same objects.
 */
function refresh(daemon: StoreSource, h: Handle): void {
  const observed = daemon.observed;
  if (observed === h.observed) return;
  const first = h.observed === null;
  const leaves = h.observed !== null && onlyLeavesDiffer(h.observed, observed);
  h.observed = observed;
  const only = leaves ? listsOnlyLeaves : undefined;
  const events = h.store.sync(h.wires.wireObjects(observed, only), only && LEAF_KINDS);
  if (events.length > 0 || first) h.persist();
}

const kindKey = (r: ResourceType): string => `${r.group}/${r.kind}`;
const LEAF_KINDS: ReadonlySet<string> = new Set(RESOURCE_TYPES.filter((r) => servesObjects(r) && listsOnlyLeaves(r)).map(kindKey));

/**
 * The wire forms of the last sync, by object: an object the daemon computed again but that is
 * the same by value keeps its wire form (the same reference, which the store's sync skips).
 */
export class WireCache {
  private last = new Map<ResourceType, Map<string, { source: AnyObject; wire: Json }>>();

  /**
   * Every object the API serves, in wire form; what this sync did not see is forgotten.
   * `only`: the objects of those resource types alone (the others' are kept for later).
   */
  wireObjects(c: Cluster, only?: (r: ResourceType) => boolean): Json[] {
    const out: Json[] = [];
    const seen = new WeakMap<object, object>();
    for (const r of RESOURCE_TYPES) {
      if (!servesObjects(r) || (only && !only(r))) continue;
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      const last = this.last.get(r);
      const next = new Map<string, { source: AnyObject; wire: Json }>();
      for (const o of r.list(c)) {
        const key = `${o.meta.namespace}/${o.meta.name}`;
        const before = last?.get(key);
        let w: Json;
        if (r.wire) {
          // Endpoints are built from the slices, not their Service alone: compared by what they say.
          const fresh = r.wire(o, c);
          w = before && sameModel(before.wire, fresh, seen) ? before.wire : fresh;
        } else if (before && (before.source === o || sameModel(before.source, o, seen))) w = before.wire;
        else {
          const wire = toWire(o);
          w = wire['apiVersion'] === apiVersion && wire['kind'] === r.kind ? wire : { ...wire, apiVersion, kind: r.kind };
        }
        if (!next.has(key)) next.set(key, { source: o, wire: w });
        out.push(w);
      }
      this.last.set(r, next);
    }
    return out;
  }
}

function loadSaved(file: string, log: (line: string) => void): SavedMeta | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedMeta;
    if (typeof saved.resourceVersion !== 'number' || !saved.objects || typeof saved.objects !== 'object' || !Array.isArray(saved.retired)) throw new Error('not a store of object metadata');
    return saved;
  } catch (e) {
    log(`api: ${file} cannot be read (${(e as Error).message}): objects get new uids and resourceVersions start again`);
    return undefined;
  }
}

/** Writes the store's metadata after changes, one write at a time (a change during a write writes again after it). */
function persister(file: string, store: ObjectStore, log: (line: string) => void): () => void {
  let writing = false;
  let again = false;
  const write = async (): Promise<void> => {
    writing = true;
    try {
      do {
        again = false;
        // `knet down` removes the state directory: a late write must not make it again.
        if (!existsSync(dirname(file))) return;
        await writeFileAtomic(file, JSON.stringify(store.saved()));
      } while (again);
    } catch (e) {
      log(`api: cannot save ${file}: ${(e as Error).message}`);
    } finally {
      writing = false;
    }
  };
  return () => {
    if (writing) again = true;
    else void write();
  };
}
