// The API's view of every object, versioned as kube-apiserver and etcd version them: the daemon
// computes the whole cluster (stored objects and what controllers make of them) and `sync` diffs
// it against the last one; each changed object gets the next resourceVersion of one counter (etcd's
// revision), keeps its uid, creationTimestamp and generation, and an event goes into a bounded log
// that watches resume from (410 Gone past its start, as the watch cache answers). One class past 400
// lines: sync, list (rolling the log back for a paged snapshot) and watch all read the one log.
import { compareText } from '../model/order.js';
import { matchesSelector } from '../model/labels.js';
import { stableUid } from '../model/uid.js';
import { matchesFieldSelector } from './field-selectors.js';
import type { ApiError, Filter, ListOptions, WatchOptions } from './list-options.js';
import { encodeContinue } from './list-options.js';
import { contentText, groupOf, hasGeneration, jobTimes, metaOf, observedAt, specText, str, textHash, timeText, withResourceVersion } from './object-meta.js';

type Json = Record<string, unknown>;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: Json;
}

/** What survives a daemon restart, per object key (`group/Kind/namespace/name`). */
export interface SavedObject {
  readonly uid: string;
  readonly creationTimestamp: string;
  readonly generation: number;
  readonly resourceVersion: number;
  /** Hashes of the object's content and of its spec part: unchanged objects keep their resourceVersion. */
  readonly hash: string;
  readonly specHash: string;
  /** The uid the daemon gave the object when the store gave it another (it was deleted and made again). */
  readonly from?: string;
}

export interface SavedMeta {
  readonly resourceVersion: number;
  readonly objects: Readonly<Record<string, SavedObject>>;
  /** uids of deleted objects: an object made again under the same name gets a new one. */
  readonly retired: readonly string[];
}

export interface ListResult {
  readonly items: readonly Json[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

export interface StoreOptions {
  readonly now?: () => number;
  /** How many events the log keeps (kube-apiserver's watch cache keeps a window too). */
  readonly logLimit?: number;
  readonly bookmarkEveryMs?: number;
}

interface Entry {
  readonly key: string;
  readonly kindKey: string;
  /** The object as the daemon last gave it (same reference: unchanged, no work). */
  source: Json | null;
  /** The object as the API serves it, with the store's metadata; null until a sync after a restart sees it. */
  object: Json | null;
  text: string;
  hash: string;
  specText: string | null;
  specHash: string;
  resourceVersion: number;
  uid: string;
  /** The daemon's uid for it, when the store serves another. */
  from: string;
  creationTimestamp: string;
  generation: number;
}

interface LogEvent {
  readonly resourceVersion: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly kindKey: string;
  readonly key: string;
  readonly object: Json;
  /** The object before (MODIFIED, DELETED): a watch whose selectors it matched sees it leave. */
  readonly prev: Json | null;
}

interface Watcher {
  readonly kindKey: string;
  readonly filter: Filter;
  readonly send: (e: WatchEvent) => void;
  readonly timers: ReturnType<typeof setTimeout>[];
  closed: boolean;
  end(): void;
}

const DEFAULT_LOG_LIMIT = 10_000;
const DEFAULT_BOOKMARK_EVERY_MS = 60_000;

function status(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export function tooOld(rv: string | number, oldest: number): ApiError {
  return { code: 410, reason: 'Expired', message: `too old resource version: ${rv} (${oldest})` };
}

function tooLarge(rv: string | number, current: number): ApiError {
  return { code: 504, reason: 'Timeout', message: `Too large resource version: ${rv}, current: ${current}`, details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 } };
}

const CONTINUE_EXPIRED = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

export class ObjectStore {
  private counter: number;
  /** Watches may resume from this resourceVersion on; older ones are 410 Gone. */
  private compactedAt: number;
  private readonly entries = new Map<string, Entry>();
  private readonly byKind = new Map<string, Map<string, Entry>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly apiVersions = new Map<string, string>();
  private readonly log: LogEvent[] = [];
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly retired: Set<string>;
  /** The daemon's uid -> the store's, for objects made again (their dependents' ownerReferences follow). */
  private readonly aliases = new Map<string, string>();
  /** After a restart the first sync is a new baseline: what happened while down is not in the log. */
  private restored: boolean;
  private readonly now: () => number;
  private readonly logLimit: number;
  private readonly bookmarkEveryMs: number;

  constructor(saved?: SavedMeta, opts: StoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.logLimit = opts.logLimit ?? DEFAULT_LOG_LIMIT;
    this.bookmarkEveryMs = opts.bookmarkEveryMs ?? DEFAULT_BOOKMARK_EVERY_MS;
    this.counter = saved?.resourceVersion ?? 0;
    this.compactedAt = this.counter;
    this.retired = new Set(saved?.retired ?? []);
    this.restored = !!saved;
    for (const [key, s] of Object.entries(saved?.objects ?? {})) {
      const kindKey = key.split('/', 2).join('/');
      const entry: Entry = {
        key, kindKey, source: null, object: null, text: '', hash: s.hash, specText: null, specHash: s.specHash,
        resourceVersion: s.resourceVersion, uid: s.uid, from: s.from ?? '', creationTimestamp: s.creationTimestamp, generation: s.generation,
      };
      this.entries.set(key, entry);
      if (entry.from) this.aliases.set(entry.from, entry.uid);
    }
  }

  get resourceVersion(): string {
    return String(this.counter);
  }

  /**
   * The whole cluster in wire form: every change against the last sync becomes an event.
   * `kinds` (`group/Kind` keys): `objects` are only those kinds' (the rest did not change), and
   * only objects of those kinds that `objects` leaves out are deleted.
   */
  sync(objects: readonly Json[], kinds?: ReadonlySet<string>): WatchEvent[] {
    const seen = new Set<string>();
    const events: LogEvent[] = [];
    const changed: { o: Json; key: string; kindKey: string; group: string; entry: Entry | undefined }[] = [];
    for (const o of objects) {
      const meta = metaOf(o);
      const group = groupOf(o['apiVersion']);
      const kindKey = `${group}/${str(o['kind'])}`;
      const key = `${kindKey}/${str(meta['namespace'])}/${str(meta['name'])}`;
      if (seen.has(key)) continue; // the first of two objects with one name wins, as a create would
      seen.add(key);
      const entry = this.entries.get(key);
      if (entry && entry.source === o) continue;
      // Made again: its new uid is known before any dependent of it (its pods) is served.
      if (!entry) this.uidFor(key, str(meta['uid']));
      changed.push({ o, key, kindKey, group, entry });
    }
    for (const { o, key, kindKey, group, entry } of changed) {
      const text = contentText(o);
      if (entry && entry.object && entry.text === text) {
        entry.source = o;
        continue;
      }
      const ev = this.update(entry, key, kindKey, group, o, text);
      if (ev) events.push(ev);
    }
    for (const entry of [...this.entries.values()]) {
      if (seen.has(entry.key) || (kinds && !kinds.has(entry.kindKey))) continue;
      const ev = this.remove(entry);
      if (ev) events.push(ev);
    }
    if (this.restored) {
      this.restored = false;
      this.compactedAt = this.counter;
      return events.map(({ type, object }) => ({ type, object }));
    }
    for (const ev of events) this.append(ev);
    return events.map(({ type, object }) => ({ type, object }));
  }

  private update(entry: Entry | undefined, key: string, kindKey: string, group: string, o: Json, text: string): LogEvent | null {
    const meta = metaOf(o);
    this.apiVersions.set(kindKey, str(o['apiVersion']));
    const generational = hasGeneration(kindKey, group);
    // Restored from before a restart: unchanged content keeps its resourceVersion, and no event.
    if (entry && !entry.object && textHash(text) === entry.hash) {
      entry.text = text;
      entry.source = o;
      if (generational) entry.specText = specText(o);
      entry.object = this.served(o, entry);
      this.index(entry);
      return null;
    }
    const prev = entry?.object ?? null;
    const spec = generational ? specText(o) : null;
    const rv = ++this.counter;
    let e = entry;
    if (!e) {
      const incoming = str(meta['uid']);
      const uid = this.uidFor(key, incoming);
      e = {
        key, kindKey, source: o, object: null, text, hash: '', specText: spec, specHash: '', resourceVersion: rv,
        uid, from: uid === incoming ? '' : incoming, creationTimestamp: str(meta['creationTimestamp']) || timeText(this.now()), generation: 1,
      };
      this.entries.set(key, e);
    } else {
      const specChanged = spec !== null && (e.specText !== null ? e.specText !== spec : textHash(spec) !== e.specHash);
      if (specChanged) e.generation++;
      e.text = text;
      e.hash = '';
      e.specText = spec;
      e.specHash = '';
      e.source = o;
      e.resourceVersion = rv;
    }
    e.object = this.served(o, e);
    this.index(e);
    return { resourceVersion: rv, type: prev ? 'MODIFIED' : 'ADDED', kindKey, key, object: e.object, prev };
  }

  /**
   * A new object's uid: the daemon's, unless the store gave it out before (the object was
   * deleted and is made again): then a new one, which its dependents' ownerReferences follow.
   */
  private uidFor(key: string, incoming: string): string {
    const alias = this.aliases.get(incoming);
    if (alias) return alias;
    if (incoming && !this.retired.has(incoming)) return incoming;
    const uid = stableUid(`${incoming || key}/${this.counter}`);
    if (incoming) this.aliases.set(incoming, uid);
    return uid;
  }

  private remove(entry: Entry): LogEvent | null {
    this.entries.delete(entry.key);
    this.byKind.get(entry.kindKey)?.delete(entry.key);
    this.sortedKeys.delete(entry.kindKey);
    this.retired.add(entry.uid);
    if (entry.from) {
      this.retired.add(entry.from);
      this.aliases.delete(entry.from);
    }
    if (this.retired.size > this.logLimit) this.retired.delete(this.retired.values().next().value!);
    if (!entry.object) return null;
    const rv = ++this.counter;
    return { resourceVersion: rv, type: 'DELETED', kindKey: entry.kindKey, key: entry.key, object: withResourceVersion(entry.object, rv), prev: entry.object };
  }

  private index(e: Entry): void {
    let m = this.byKind.get(e.kindKey);
    if (!m) this.byKind.set(e.kindKey, (m = new Map()));
    if (!m.has(e.key)) this.sortedKeys.delete(e.kindKey);
    m.set(e.key, e);
  }

  /** The object with the store's metadata; dependents of an object made again point at its new uid. */
  private served(o: Json, e: Entry): Json {
    const meta: Json = { ...metaOf(o), uid: e.uid, resourceVersion: String(e.resourceVersion), creationTimestamp: e.creationTimestamp };
    if (e.specText !== null) meta['generation'] = e.generation;
    else delete meta['generation'];
    const owners = meta['ownerReferences'];
    if (this.aliases.size > 0 && Array.isArray(owners) && owners.some((r) => this.aliases.has(str((r as Json)?.['uid'])))) {
      meta['ownerReferences'] = owners.map((r) => {
        const alias = this.aliases.get(str((r as Json)?.['uid']));
        return alias ? { ...(r as Json), uid: alias } : r;
      });
    }
    const out: Json = { ...o, metadata: meta };
    const st = o['status'];
    if (e.specText !== null && st && typeof st === 'object' && !Array.isArray(st)) out['status'] = observedAt(st as Json, e.generation);
    if (e.kindKey === 'batch/Job' && out['status']) out['status'] = jobTimes(o['spec'], out['status'] as Json, e.creationTimestamp);
    return out;
  }

  private append(ev: LogEvent): void {
    this.log.push(ev);
    if (this.log.length > this.logLimit + Math.ceil(this.logLimit / 10)) {
      const dropped = this.log.splice(0, this.log.length - this.logLimit);
      this.compactedAt = dropped[dropped.length - 1]!.resourceVersion;
    }
    for (const w of this.watchers.get(ev.kindKey) ?? []) this.deliver(w, ev);
  }

  get(group: string, kind: string, namespace: string, name: string): Json | undefined {
    return this.entries.get(`${group}/${kind}/${namespace}/${name}`)?.object ?? undefined;
  }

  /** The object as it was deleted (with the deletion's resourceVersion), while the log still holds it. */
  deleted(group: string, kind: string, namespace: string, name: string): Json | undefined {
    const key = `${group}/${kind}/${namespace}/${name}`;
    for (let i = this.log.length - 1; i >= 0; i--) {
      const ev = this.log[i]!;
      if (ev.key === key) return ev.type === 'DELETED' ? ev.object : undefined;
    }
    return undefined;
  }

  list(group: string, kind: string, opts: ListOptions): ListResult | ApiError {
    const kindKey = `${group}/${kind}`;
    let at = this.counter;
    if (opts.continue) at = opts.continue.resourceVersion;
    else if (opts.resourceVersion && opts.resourceVersion !== '0') {
      const asked = Number(opts.resourceVersion);
      if (asked > this.counter) return tooLarge(opts.resourceVersion, this.counter);
      if (opts.resourceVersionMatch === 'Exact') at = asked;
    }
    if (at < this.compactedAt) {
      return opts.continue ? { code: 410, reason: 'Expired', message: CONTINUE_EXPIRED } : tooOld(at, this.compactedAt);
    }
    if (at > this.counter) return tooLarge(at, this.counter);
    const snapshot = this.snapshot(kindKey, at);
    const after = opts.continue?.after;
    // resourceVersion=0 is served from the watch cache in 1.32, which does not page: the limit is ignored.
    const limit = opts.resourceVersion === '0' && !opts.continue ? 0 : opts.limit;
    const items: Json[] = [];
    let i = after === undefined ? 0 : firstAfter(snapshot.keys, after);
    let last = '';
    for (; i < snapshot.keys.length; i++) {
      const k = snapshot.keys[i]!;
      const o = snapshot.objects.get(k)!;
      if (!matches(opts, kind, o)) continue;
      if (limit > 0 && items.length === limit) break;
      items.push(o);
      last = k;
    }
    let rest = 0;
    for (let j = i; j < snapshot.keys.length; j++) if (matches(opts, kind, snapshot.objects.get(snapshot.keys[j]!)!)) rest++;
    const selective = opts.labels !== null || opts.fields.length > 0;
    return {
      items, resourceVersion: String(at),
      ...(rest > 0 ? { continue: encodeContinue({ resourceVersion: at, after: last }), ...(selective ? {} : { remainingItemCount: rest }) } : {}),
    };
  }

  /** The kind's objects as they were at `rv` (the log rolled back), their keys in etcd's order. */
  private snapshot(kindKey: string, rv: number): { keys: readonly string[]; objects: ReadonlyMap<string, Json> } {
    const current = this.byKind.get(kindKey) ?? new Map<string, Entry>();
    let keys = this.sortedKeys.get(kindKey);
    if (!keys) {
      keys = [...current.values()].filter((e) => e.object).map((e) => e.key).sort(compareText);
      this.sortedKeys.set(kindKey, keys);
    }
    const objects = new Map<string, Json>();
    for (const k of keys) objects.set(k, current.get(k)!.object!);
    if (rv === this.counter) return { keys, objects };
    const rolledBack = new Set<string>();
    for (const ev of this.log) {
      if (ev.resourceVersion <= rv || ev.kindKey !== kindKey || rolledBack.has(ev.key)) continue;
      rolledBack.add(ev.key);
      if (ev.prev) objects.set(ev.key, ev.prev);
      else objects.delete(ev.key);
    }
    return { keys: [...objects.keys()].sort(compareText), objects };
  }

  /**
   * Events of one kind from `opts.resourceVersion` on (none or "0": the current objects as ADDED
   * first), filtered by namespace and selectors; BOOKMARKs when asked for; ERROR 410 when the log
   * no longer reaches back that far, as the watch cache answers (in the stream, after a 200).
   */
  watch(group: string, kind: string, opts: WatchOptions, send: (e: WatchEvent) => void): { close(): void } | ApiError {
    const kindKey = `${group}/${kind}`;
    const w: Watcher = {
      kindKey, filter: opts, send, timers: [], closed: false,
      end: () => {
        if (w.closed) return;
        w.closed = true;
        for (const t of w.timers) clearTimeout(t);
        this.watchers.get(kindKey)?.delete(w);
        opts.onEnd?.();
      },
    };
    const rv = opts.resourceVersion;
    const legacy = !rv || rv === '0';
    const initialEvents = opts.sendInitialEvents ?? legacy;
    if (!legacy) {
      const from = Number(rv);
      // A streaming list from N is the current state, which is at least as new as N: only too large is refused.
      const refused = from > this.counter ? tooLarge(rv, this.counter) : !initialEvents && from < this.compactedAt ? tooOld(rv, this.compactedAt) : null;
      if (refused) {
        send({ type: 'ERROR', object: status(refused.code, refused.reason, refused.message) });
        w.end();
        return { close: () => {} };
      }
      if (!initialEvents) for (const ev of this.log) if (ev.resourceVersion > from && ev.kindKey === kindKey) this.deliver(w, ev);
    }
    const apiVersion = this.apiVersions.get(kindKey) ?? (group ? `${group}/v1` : 'v1');
    if (initialEvents) {
      const { keys, objects } = this.snapshot(kindKey, this.counter);
      for (const k of keys) {
        const o = objects.get(k)!;
        if (matches(opts, kind, o)) send({ type: 'ADDED', object: o });
      }
      // client-go's reflector counts its list as done at this bookmark (KEP-3157).
      if (opts.sendInitialEvents) {
        send({ type: 'BOOKMARK', object: { kind, apiVersion, metadata: { resourceVersion: this.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } } });
      }
    }
    let set = this.watchers.get(kindKey);
    if (!set) this.watchers.set(kindKey, (set = new Set()));
    set.add(w);
    const bookmark = (): void => {
      if (!w.closed) send({ type: 'BOOKMARK', object: { kind, apiVersion, metadata: { resourceVersion: this.resourceVersion } } });
    };
    if (opts.allowWatchBookmarks) {
      const tick = setInterval(bookmark, this.bookmarkEveryMs);
      unref(tick);
      w.timers.push(tick);
    }
    if (opts.timeoutSeconds > 0) {
      const t = setTimeout(() => {
        if (opts.allowWatchBookmarks) bookmark();
        w.end();
      }, opts.timeoutSeconds * 1000);
      unref(t);
      w.timers.push(t);
    }
    return { close: () => w.end() };
  }

  /** How a change looks to one watch: an object that starts or stops matching its selectors is ADDED or DELETED to it. */
  private deliver(w: Watcher, ev: LogEvent): void {
    if (w.closed) return;
    const kind = ev.kindKey.slice(ev.kindKey.indexOf('/') + 1);
    const now = ev.type !== 'DELETED' && matches(w.filter, kind, ev.object);
    const before = ev.type === 'DELETED' ? matches(w.filter, kind, ev.object) : ev.prev !== null && matches(w.filter, kind, ev.prev);
    if (ev.type === 'DELETED') {
      if (before) w.send({ type: 'DELETED', object: ev.object });
    } else if (now) w.send({ type: before ? 'MODIFIED' : 'ADDED', object: ev.object });
    else if (before) w.send({ type: 'DELETED', object: withResourceVersion(ev.prev!, ev.resourceVersion) });
  }

  /** What the daemon persists beside state.json: uids, creationTimestamps, generations, resourceVersions, the counter. */
  saved(): SavedMeta {
    const objects: Record<string, SavedObject> = {};
    for (const e of this.entries.values()) {
      if (!e.hash && e.object) e.hash = textHash(e.text);
      if (!e.specHash && e.specText !== null) e.specHash = textHash(e.specText);
      objects[e.key] = {
        uid: e.uid, creationTimestamp: e.creationTimestamp, generation: e.generation, resourceVersion: e.resourceVersion,
        hash: e.hash, specHash: e.specHash, ...(e.from ? { from: e.from } : {}),
      };
    }
    return { resourceVersion: this.counter, objects, retired: [...this.retired] };
  }

  /** How many watches are open (for tests and the daemon's status). */
  get watchCount(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }
}

function unref(t: unknown): void {
  (t as { unref?: () => void }).unref?.();
}

function firstAfter(keys: readonly string[], after: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareText(keys[mid]!, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function matches(f: Filter, kind: string, o: Json): boolean {
  const meta = metaOf(o);
  if (f.namespace && meta['namespace'] !== f.namespace) return false;
  if (f.labels && !matchesSelector(f.labels, (meta['labels'] ?? {}) as Record<string, string>)) return false;
  return f.fields.length === 0 || matchesFieldSelector(kind, o, f.fields);
}
