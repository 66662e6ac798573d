import { afterEach, describe, expect, it, vi } from 'vitest';
import { ObjectStore, type WatchEvent } from './object-store.js';
import { isApiError, parseListOptions, parseWatchOptions, type ListOptions, type WatchOptions } from './list-options.js';

type Json = Record<string, unknown>;

const pod = (name: string, extra: { ns?: string; labels?: Record<string, string>; phase?: string; node?: string; uid?: string } = {}): Json => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: extra.ns ?? 'default', labels: extra.labels ?? { app: 'web' }, ...(extra.uid ? { uid: extra.uid } : {}) },
  spec: { nodeName: extra.node ?? 'node-1', containers: [{ name: 'c', image: 'nginx' }] },
  status: { phase: extra.phase ?? 'Running' },
});
const deployment = (replicas: number, labels: Record<string, string> = {}, status: Json = { observedGeneration: 7, replicas }): Json => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels, uid: 'dep-uid' },
  spec: { replicas, selector: { matchLabels: { app: 'web' } } }, status,
});

const listOpts = (query = '', namespace = ''): ListOptions => {
  const o = parseListOptions(new URLSearchParams(query), 'Pod', namespace);
  if (isApiError(o)) throw new Error(o.message);
  return o;
};
const watchOpts = (query = '', extra: Partial<WatchOptions> = {}): WatchOptions => {
  const o = parseWatchOptions(new URLSearchParams(query), 'Pod', '');
  if (isApiError(o)) throw new Error(o.message);
  return { ...o, ...extra };
};
const meta = (o: Json | undefined): Json => (o?.['metadata'] ?? {}) as Json;
const rvOf = (o: Json | undefined): number => Number(meta(o)['resourceVersion']);
const summary = (events: readonly WatchEvent[]): string[] => events.map((e) => `${e.type} ${String(meta(e.object)['name'] ?? '')}`);
const clock = () => Date.parse('2026-12-01T10:00:00Z');

describe('sync: the daemon\'s objects against the last set', () => {
  it('a sync over some kinds only: those kinds\' changes and deletions, every other object kept as it was', () => {
    const s = new ObjectStore(undefined, { now: clock });
    const cm = (v: string): Json => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { a: v } });
    s.sync([pod('a'), deployment(2), cm('1')]);
    const kinds = new Set(['/ConfigMap']);
    expect(summary(s.sync([cm('2')], kinds))).toEqual(['MODIFIED cfg']);
    expect(s.get('', 'Pod', 'default', 'a')).toBeDefined();
    expect(s.get('apps', 'Deployment', 'default', 'web')).toBeDefined();
    expect(summary(s.sync([], kinds))).toEqual(['DELETED cfg']);
    expect(s.get('', 'Pod', 'default', 'a')).toBeDefined();
    // The whole set again: what it leaves out goes.
    expect(summary(s.sync([pod('a')]))).toEqual(['DELETED web']);
  });

  it('first sync: every object ADDED, each with its own resourceVersion from one counter', () => {
    const s = new ObjectStore(undefined, { now: clock });
    const events = s.sync([pod('a'), pod('b'), deployment(2)]);
    expect(summary(events)).toEqual(['ADDED a', 'ADDED b', 'ADDED web']);
    expect(events.map((e) => rvOf(e.object))).toEqual([1, 2, 3]);
    expect(s.resourceVersion).toBe('3');
    expect(meta(s.get('', 'Pod', 'default', 'a'))['creationTimestamp']).toBe('2026-12-01T10:00:00Z');
  });

  it('the same content again (new objects, equal JSON) -> no event, resourceVersions kept', () => {
    const s = new ObjectStore();
    s.sync([pod('a'), pod('b')]);
    expect(s.sync([pod('a'), pod('b')])).toEqual([]);
    expect(s.resourceVersion).toBe('2');
  });

  it('one change -> one MODIFIED with the next resourceVersion; the others keep theirs', () => {
    const s = new ObjectStore();
    s.sync([pod('a'), pod('b')]);
    const events = s.sync([pod('a', { phase: 'Failed' }), pod('b')]);
    expect(summary(events)).toEqual(['MODIFIED a']);
    expect(rvOf(s.get('', 'Pod', 'default', 'a'))).toBe(3);
    expect(rvOf(s.get('', 'Pod', 'default', 'b'))).toBe(2);
  });

  it('an object gone -> DELETED, carrying the deletion\'s resourceVersion', () => {
    const s = new ObjectStore();
    s.sync([pod('a'), pod('b')]);
    const events = s.sync([pod('b')]);
    expect(summary(events)).toEqual(['DELETED a']);
    expect(rvOf(events[0]!.object)).toBe(3);
    expect(s.get('', 'Pod', 'default', 'a')).toBeUndefined();
    expect(s.deleted('', 'Pod', 'default', 'a')).toEqual(events[0]!.object);
  });

  it('what a client sends as server metadata (uid, resourceVersion) is the store\'s to set', () => {
    const s = new ObjectStore();
    const p = pod('a', { uid: 'u-1' });
    (p['metadata'] as Json)['resourceVersion'] = '999';
    s.sync([p]);
    expect(meta(s.get('', 'Pod', 'default', 'a'))).toMatchObject({ uid: 'u-1', resourceVersion: '1' });
  });
});

describe('metadata.generation, as kube-apiserver keeps it', () => {
  it('a Deployment starts at 1; a spec change bumps it, labels and status do not; observedGeneration follows', () => {
    const s = new ObjectStore();
    s.sync([deployment(2)]);
    const gen = () => meta(s.get('apps', 'Deployment', 'default', 'web'))['generation'];
    expect(gen()).toBe(1);
    s.sync([deployment(2, { team: 'a' })]);
    expect(gen()).toBe(1);
    s.sync([deployment(2, { team: 'a' }, { observedGeneration: 7, replicas: 2, readyReplicas: 2 })]);
    expect(gen()).toBe(1);
    s.sync([deployment(3, { team: 'a' })]);
    expect(gen()).toBe(2);
    expect((s.get('apps', 'Deployment', 'default', 'web')!['status'] as Json)['observedGeneration']).toBe(2);
  });

  it('a custom resource\'s conditions carry it too (kubectl wait --for=condition compares them)', () => {
    const s = new ObjectStore();
    const cert = (dns: string): Json => ({
      apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'tls', namespace: 'default' },
      spec: { dnsNames: [dns] }, status: { conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }, { type: 'Issuing', status: 'False' }] },
    });
    s.sync([cert('a.example')]);
    s.sync([cert('b.example')]);
    const got = s.get('cert-manager.io', 'Certificate', 'default', 'tls')!;
    expect(meta(got)['generation']).toBe(2);
    expect((got['status'] as { conditions: Json[] }).conditions).toEqual([{ type: 'Ready', status: 'True', observedGeneration: 2 }, { type: 'Issuing', status: 'False' }]);
  });

  it('pods (1.32) have none', () => {
    const s = new ObjectStore();
    s.sync([pod('a')]);
    expect(meta(s.get('', 'Pod', 'default', 'a'))['generation']).toBeUndefined();
  });
});

describe('saved(): what survives a daemon restart', () => {
  it('uids, creationTimestamps, generations and resourceVersions are kept; the counter only grows', () => {
    const first = new ObjectStore(undefined, { now: clock });
    first.sync([pod('a'), pod('b'), deployment(2)]);
    first.sync([deployment(3)].concat([pod('a'), pod('b')]));
    const before = first.get('apps', 'Deployment', 'default', 'web');
    const again = new ObjectStore(JSON.parse(JSON.stringify(first.saved())), { now: () => clock() + 3_600_000 });
    const events = again.sync([pod('a'), pod('b', { phase: 'Failed' }), deployment(3)]);
    expect(summary(events)).toEqual(['ADDED b']); // changed while down: a new resourceVersion
    expect(again.get('apps', 'Deployment', 'default', 'web')).toEqual(before);
    expect(rvOf(again.get('', 'Pod', 'default', 'a'))).toBe(1);
    expect(rvOf(again.get('', 'Pod', 'default', 'b'))).toBe(Number(first.resourceVersion) + 1);
    expect(meta(again.get('', 'Pod', 'default', 'b'))['creationTimestamp']).toBe('2026-12-01T10:00:00Z');
  });

  it('watches from before the restart relist (410): what changed while down is not in the log', () => {
    const first = new ObjectStore();
    first.sync([pod('a')]);
    const again = new ObjectStore(first.saved());
    again.sync([pod('a', { phase: 'Failed' })]);
    const got: WatchEvent[] = [];
    again.watch('', 'Pod', watchOpts('resourceVersion=1'), (e) => got.push(e));
    expect(got.map((e) => `${e.type} ${String(e.object['code'])}`)).toEqual(['ERROR 410']);
  });

  it('an object deleted and made again gets a new uid; its dependents\' ownerReferences follow it, in whatever order they come', () => {
    const s = new ObjectStore();
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'default', uid: 'rs-uid' }, spec: {} };
    const owned = { ...pod('web-1-x'), metadata: { name: 'web-1-x', namespace: 'default', uid: 'pod-uid', ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid' }] } };
    s.sync([rs, owned]);
    expect(meta(s.get('apps', 'ReplicaSet', 'default', 'web-1'))['uid']).toBe('rs-uid');
    s.sync([]);
    const back = new ObjectStore(s.saved());
    back.sync([]);
    back.sync([owned, rs]); // the pods come before their ReplicaSet, as the daemon lists them
    const uid = meta(back.get('apps', 'ReplicaSet', 'default', 'web-1'))['uid'];
    expect(uid).not.toBe('rs-uid');
    expect(meta(back.get('', 'Pod', 'default', 'web-1-x'))['uid']).not.toBe('pod-uid');
    expect((meta(back.get('', 'Pod', 'default', 'web-1-x'))['ownerReferences'] as Json[])[0]!['uid']).toBe(uid);
  });
});

describe('lists', () => {
  const store = () => {
    const s = new ObjectStore();
    s.sync([pod('a'), pod('b', { phase: 'Pending' }), pod('c', { labels: { app: 'db' } }), pod('d', { ns: 'kube-system' }), pod('e')]);
    return s;
  };
  const names = (r: unknown) => ((r as { items: Json[] }).items).map((o) => String(meta(o)['name']));

  it('in etcd\'s key order (namespace/name, by byte), with the store\'s resourceVersion', () => {
    const r = store().list('', 'Pod', listOpts());
    expect(names(r)).toEqual(['a', 'b', 'c', 'e', 'd']);
    expect((r as { resourceVersion: string }).resourceVersion).toBe('5');
  });

  it.each([
    ['labelSelector app=web', 'labelSelector=app%3Dweb', ['a', 'b', 'e', 'd']],
    ['labelSelector app!=web', 'labelSelector=app!%3Dweb', ['c']],
    ['fieldSelector status.phase=Running', 'fieldSelector=status.phase%3DRunning', ['a', 'c', 'e', 'd']],
    ['fieldSelector status.phase!=Running,metadata.name=b', 'fieldSelector=status.phase!%3DRunning,metadata.name%3Db', ['b']],
    ['fieldSelector metadata.namespace==kube-system', 'fieldSelector=metadata.namespace%3D%3Dkube-system', ['d']],
  ])('%s', (_name, query, want) => {
    expect(names(store().list('', 'Pod', listOpts(query)))).toEqual(want);
  });

  it('limit/continue: pages with remainingItemCount, and the rest from the same snapshot even after a change', () => {
    const s = store();
    const p1 = s.list('', 'Pod', listOpts('limit=2'));
    expect(names(p1)).toEqual(['a', 'b']);
    expect(p1).toMatchObject({ remainingItemCount: 3, resourceVersion: '5' });
    s.sync([pod('a'), pod('b'), pod('c', { labels: { app: 'db' } }), pod('d', { ns: 'kube-system' }), pod('bb')]); // e gone, bb new
    const p2 = s.list('', 'Pod', listOpts(`limit=2&continue=${(p1 as { continue: string }).continue}`));
    expect(names(p2)).toEqual(['c', 'e']);
    const p3 = s.list('', 'Pod', listOpts(`limit=2&continue=${(p2 as { continue: string }).continue}`));
    expect(names(p3)).toEqual(['d']);
    expect(p3).not.toHaveProperty('continue');
    expect(names(s.list('', 'Pod', listOpts()))).toEqual(['a', 'b', 'bb', 'c', 'd']);
  });

  it('resourceVersion=0 (the watch cache, in 1.32) ignores limit', () => {
    const r = store().list('', 'Pod', listOpts('limit=2&resourceVersion=0'));
    expect(names(r)).toHaveLength(5);
    expect(r).not.toHaveProperty('continue');
  });

  it('with a selector, remainingItemCount is left out (the API server cannot count it)', () => {
    const r = store().list('', 'Pod', listOpts('limit=1&labelSelector=app%3Dweb'));
    expect(names(r)).toEqual(['a']);
    expect(r).toHaveProperty('continue');
    expect(r).not.toHaveProperty('remainingItemCount');
  });

  it('resourceVersion: Exact reads the past; too large is 504; older than the log is 410', () => {
    const s = new ObjectStore(undefined, { logLimit: 2 });
    s.sync([pod('a')]);
    s.sync([pod('a'), pod('b')]);
    expect(names(s.list('', 'Pod', listOpts('resourceVersion=1&resourceVersionMatch=Exact')))).toEqual(['a']);
    expect(s.list('', 'Pod', listOpts('resourceVersion=9'))).toMatchObject({ code: 504, message: 'Too large resource version: 9, current: 2' });
    for (const n of ['c', 'd', 'e', 'f']) s.sync([pod('a'), pod('b'), pod(n)]);
    expect(s.list('', 'Pod', listOpts('resourceVersion=1&resourceVersionMatch=Exact'))).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it.each([
    ['a field the kind cannot select on', 'fieldSelector=spec.foo%3Dbar', 'field label not supported: spec.foo'],
    ['a bad continue', 'continue=nope', 'continue key is not valid: illegal base64 data or not JSON'],
    ['continue with a resourceVersion', 'continue=x&resourceVersion=3', 'specifying resource version is not allowed when using continue'],
    ['resourceVersionMatch alone', 'resourceVersionMatch=Exact', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
    ['a bad label selector', 'labelSelector=a%20b%20c', 'unable to parse requirement "a b c"'],
  ])('400: %s', (_name, query, message) => {
    expect(parseListOptions(new URLSearchParams(query), 'Pod', '')).toEqual({ code: 400, reason: 'BadRequest', message });
  });
});

describe('watches', () => {
  afterEach(() => vi.useRealTimers());

  it('without a resourceVersion: the current objects as ADDED, then what changes', () => {
    const s = new ObjectStore();
    s.sync([pod('a'), pod('b')]);
    const got: WatchEvent[] = [];
    s.watch('', 'Pod', watchOpts(), (e) => got.push(e));
    s.sync([pod('a', { phase: 'Failed' })]);
    expect(summary(got)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a', 'DELETED b']);
  });

  it('from a resourceVersion: the log replayed after it, then live; other kinds never', () => {
    const s = new ObjectStore();
    s.sync([pod('a')]);
    s.sync([pod('a'), pod('b'), deployment(1)]);
    s.sync([pod('b'), deployment(1)]);
    const got: WatchEvent[] = [];
    s.watch('', 'Pod', watchOpts('resourceVersion=1'), (e) => got.push(e));
    expect(summary(got)).toEqual(['ADDED b', 'DELETED a']);
    expect(got.map((e) => rvOf(e.object))).toEqual([2, 4]);
    s.sync([pod('b'), pod('c'), deployment(2)]);
    expect(summary(got)).toEqual(['ADDED b', 'DELETED a', 'ADDED c']);
  });

  it('410 Gone, in the stream, when the resourceVersion is older than the log holds', () => {
    const s = new ObjectStore(undefined, { logLimit: 2 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) s.sync([pod(n)]);
    const got: WatchEvent[] = [];
    let ended = false;
    s.watch('', 'Pod', watchOpts('resourceVersion=2', { onEnd: () => { ended = true; } }), (e) => got.push(e));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    expect(String(got[0]!.object['message'])).toMatch(/^too old resource version: 2 \(\d+\)$/);
    expect(ended).toBe(true);
    expect(s.watchCount).toBe(0);
  });

  it('selectors apply to events: an object that stops matching is DELETED to the watch, one that starts is ADDED', () => {
    const s = new ObjectStore();
    s.sync([pod('a'), pod('b')]);
    const got: WatchEvent[] = [];
    s.watch('', 'Pod', watchOpts('fieldSelector=status.phase%3DRunning&labelSelector=app%3Dweb'), (e) => got.push(e));
    s.sync([pod('a', { phase: 'Succeeded' }), pod('b')]);
    s.sync([pod('a', { phase: 'Running' }), pod('b', { labels: { app: 'db' } })]);
    expect(summary(got)).toEqual(['ADDED a', 'ADDED b', 'DELETED a', 'ADDED a', 'DELETED b']);
    expect(rvOf(got[2]!.object)).toBe(3);
    expect((got[2]!.object['status'] as Json)['phase']).toBe('Running'); // the object as the watch last matched it
  });

  it('metadata.name (kubectl wait, delete): only that object', () => {
    const s = new ObjectStore();
    s.sync([pod('a'), pod('b')]);
    const got: WatchEvent[] = [];
    s.watch('', 'Pod', watchOpts('fieldSelector=metadata.name%3Db&resourceVersion=2'), (e) => got.push(e));
    s.sync([pod('a', { phase: 'Failed' })]);
    expect(summary(got)).toEqual(['DELETED b']);
  });

  it('sendInitialEvents (a watch-list, kubectl 1.35\'s wait): the matching objects ADDED, a BOOKMARK marking their end, then live', () => {
    const s = new ObjectStore();
    s.sync([pod('a'), pod('b')]);
    const got: WatchEvent[] = [];
    s.watch('', 'Pod', watchOpts('fieldSelector=metadata.name%3Db&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=1&allowWatchBookmarks=true'), (e) => got.push(e));
    s.sync([pod('a'), pod('b', { phase: 'Failed' })]);
    expect(summary(got)).toEqual(['ADDED b', 'BOOKMARK ', 'MODIFIED b']);
    expect(meta(got[1]!.object)).toEqual({ resourceVersion: '2', annotations: { 'k8s.io/initial-events-end': 'true' } });
    expect(parseWatchOptions(new URLSearchParams('sendInitialEvents=true'), 'Pod', '')).toMatchObject({ code: 422, message: expect.stringContaining('requires setting resourceVersionMatch to NotOlderThan') });
  });

  it('allowWatchBookmarks: BOOKMARKs with the store\'s resourceVersion, and one before the timeout ends it', () => {
    vi.useFakeTimers();
    const s = new ObjectStore(undefined, { bookmarkEveryMs: 1000 });
    s.sync([pod('a')]);
    const got: WatchEvent[] = [];
    let ended = false;
    s.watch('', 'Pod', watchOpts('resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=2.5', { onEnd: () => { ended = true; } }), (e) => got.push(e));
    vi.advanceTimersByTime(1000);
    s.sync([pod('a'), pod('b')]);
    vi.advanceTimersByTime(1000);
    expect(summary(got)).toEqual(['BOOKMARK ', 'ADDED b', 'BOOKMARK ']);
    expect(got[0]!.object).toEqual({ kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '1' } });
    expect(rvOf(got[2]!.object)).toBe(2);
    vi.advanceTimersByTime(500);
    expect(summary(got).at(-1)).toBe('BOOKMARK ');
    expect(ended).toBe(true);
    expect(s.watchCount).toBe(0);
  });

  it('without allowWatchBookmarks, none; close() stops the events', () => {
    vi.useFakeTimers();
    const s = new ObjectStore(undefined, { bookmarkEveryMs: 1000 });
    const got: WatchEvent[] = [];
    const w = s.watch('', 'Pod', watchOpts(), (e) => got.push(e));
    vi.advanceTimersByTime(5000);
    if ('close' in w) w.close();
    s.sync([pod('a')]);
    expect(got).toEqual([]);
  });
});

describe('speed (measured, not asserted: the bench suite holds the limits)', () => {
  it('a sync of 1,000 pods with one change', () => {
    const s = new ObjectStore();
    const pods = Array.from({ length: 1000 }, (_, i) => pod(`p-${String(i).padStart(4, '0')}`, { ns: `ns-${i % 10}` }));
    s.sync(pods);
    let t = performance.now();
    const sameRefs = s.sync(pods);
    const byReference = performance.now() - t;
    const fresh = pods.map((p) => structuredClone(p));
    fresh[500] = pod('p-0500', { ns: 'ns-0', phase: 'Failed' });
    t = performance.now();
    const events = s.sync(fresh);
    const byText = performance.now() - t;
    expect(sameRefs).toEqual([]);
    expect(summary(events)).toEqual(['MODIFIED p-0500']);
    console.log(`sync of 1,000 pods, one change: ${byText.toFixed(2)} ms (unchanged objects compared as text); all unchanged by reference: ${byReference.toFixed(2)} ms`);
  });
});
