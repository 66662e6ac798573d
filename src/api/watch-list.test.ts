// Streaming lists (KEP-3157, WatchList, on in kube-apiserver 1.32): a watch with
// sendInitialEvents=true sends the current objects, then a BOOKMARK annotated
// k8s.io/initial-events-end, which client-go's reflector waits for (helm --wait's watcher too).
import { describe, expect, it } from 'vitest';
import { ObjectStore, type WatchEvent } from './object-store.js';
import { isApiError, parseWatchOptions } from './list-options.js';

type Json = Record<string, unknown>;
const cm = (name: string, data = 'x'): Json => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { k: data } });
const meta = (o: Json): Json => (o['metadata'] ?? {}) as Json;
const line = (e: WatchEvent): string => {
  if (e.type === 'ERROR') return `ERROR ${String(e.object['code'])} ${String(e.object['reason'])}`;
  const m = meta(e.object);
  const end = (m['annotations'] as Json | undefined)?.['k8s.io/initial-events-end'];
  return `${e.type} ${String(m['name'] ?? '')}${end ? ` initial-events-end=${String(end)}` : ''} rv=${String(m['resourceVersion'])}`;
};

/** Opens a watch; the function gives its events so far, one line each. */
function watchWith(store: ObjectStore, query: string): () => string[] {
  const opts = parseWatchOptions(new URLSearchParams(query), 'ConfigMap', '');
  if (isApiError(opts)) throw new Error(opts.message);
  const got: WatchEvent[] = [];
  store.watch('', 'ConfigMap', opts, (e) => got.push(e));
  return () => got.map(line);
}

const refusal = (query: string): string => {
  const r = parseWatchOptions(new URLSearchParams(query), 'ConfigMap', '');
  return isApiError(r) ? `${r.code} ${r.message}` : 'accepted';
};

describe('watch with sendInitialEvents (streaming lists)', () => {
  const store = (): ObjectStore => {
    const s = new ObjectStore();
    s.sync([cm('a'), cm('b')]);
    return s;
  };

  it('from no resourceVersion: the objects as ADDED, then the initial-events-end BOOKMARK at the store\'s version, then changes', () => {
    const s = store();
    const got = watchWith(s, 'sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    s.sync([cm('a', 'y'), cm('b')]);
    expect(got()).toEqual(['ADDED a rv=1', 'ADDED b rv=2', 'BOOKMARK  initial-events-end=true rv=2', 'MODIFIED a rv=3']);
  });

  it('from a resourceVersion older than the log reaches: the current state all the same (NotOlderThan), never 410', () => {
    const s = new ObjectStore(undefined, { logLimit: 1 });
    s.sync([cm('a')]);
    s.sync([cm('a', 'y')]);
    s.sync([cm('a', 'z')]);
    expect(watchWith(s, 'resourceVersion=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true')())
      .toEqual(['ADDED a rv=3', 'BOOKMARK  initial-events-end=true rv=3']);
  });

  it('a resourceVersion ahead of the store is still too large', () => {
    expect(watchWith(store(), 'resourceVersion=99&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true')())
      .toEqual(['ERROR 504 Timeout']);
  });

  it('sendInitialEvents=false from a resourceVersion: only what changes after it, as a plain watch', () => {
    const s = store();
    const got = watchWith(s, 'resourceVersion=2&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    s.sync([cm('a'), cm('b'), cm('c')]);
    expect(got()).toEqual(['ADDED c rv=3']);
  });

  it('a plain watch is as before: the objects first, no end-of-initial-events bookmark', () => {
    expect(watchWith(store(), 'allowWatchBookmarks=true')()).toEqual(['ADDED a rv=1', 'ADDED b rv=2']);
  });

  it('refused as kube-apiserver refuses them: 422 on ListOptions', () => {
    expect(refusal('sendInitialEvents=true')).toBe('422 ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    expect(refusal('resourceVersionMatch=NotOlderThan&resourceVersion=5')).toBe('422 ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    expect(refusal('sendInitialEvents=true&resourceVersionMatch=Exact')).toMatch(/^422 .*sendInitialEvents requires setting resourceVersionMatch to NotOlderThan.*Unsupported value: "Exact": supported values: "NotOlderThan"/);
    expect(refusal('sendInitialEvents=true&resourceVersionMatch=NotOlderThan')).toBe('accepted');
  });
});
