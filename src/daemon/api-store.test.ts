// The daemon's store across a restart: its metadata saved beside state.json, read back by the
// next daemon, so objects keep their uid and resourceVersion and the counter only grows.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/test-support/fake-backend.js';
import { apiStoreOf, WireCache } from './api-store.js';
import { apiObjectsPath } from './paths.js';
import type { WatchEvent } from '../api/object-store.js';
import { contentText } from '../api/object-meta.js';
import { toWire } from '../cluster/wire.js';

const NAME = 'knet-store-persist';
const configMap = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: "${value}"}\n`;
type Json = Record<string, unknown>;
const meta = (o: Json | undefined) => (o?.['metadata'] ?? {}) as Json;

let root = '';
const before = process.env['KNET_STATE_ROOT'];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'knet-store-'));
  process.env['KNET_STATE_ROOT'] = root;
  mkdirSync(join(root, NAME));
});
afterAll(() => {
  if (before === undefined) delete process.env['KNET_STATE_ROOT'];
  else process.env['KNET_STATE_ROOT'] = before;
  rmSync(root, { recursive: true, force: true });
});

async function savedWith(text: string): Promise<void> {
  const file = apiObjectsPath(NAME);
  for (let i = 0; i < 200; i++) {
    if (existsSync(file) && readFileSync(file, 'utf8').includes(text)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${file} never held ${text}`);
}

/** A daemon started again on the same state. */
function restarted(from: FakeBackend): FakeBackend {
  const next = new FakeBackend(NAME);
  next.state = from.state;
  next.cluster = from.cluster;
  return next;
}

describe('the daemon\'s store, saved beside state.json', () => {
  it('a restart keeps uids and resourceVersions; the counter only grows; deleted and made again is a new uid', async () => {
    const first = new FakeBackend(NAME);
    await first.apply([{ name: 'a.yaml', text: configMap('1') }]);
    const store = apiStoreOf(first);
    await first.apply([{ name: 'a.yaml', text: configMap('2') }]);
    const cfg = store.get('', 'ConfigMap', 'default', 'cfg');
    const rv = meta(cfg)['resourceVersion'] as string;
    expect(Number(rv)).toBeGreaterThan(1);
    await savedWith(`"resourceVersion":${store.resourceVersion}`);

    const second = restarted(first);
    const again = apiStoreOf(second);
    expect(again.get('', 'ConfigMap', 'default', 'cfg')).toEqual(cfg);
    expect(Number(again.resourceVersion)).toBeGreaterThanOrEqual(Number(store.resourceVersion));

    await second.delete([{ kind: 'ConfigMap', namespace: 'default', name: 'cfg' }]);
    await second.apply([{ name: 'a.yaml', text: configMap('2') }]);
    const remade = again.get('', 'ConfigMap', 'default', 'cfg');
    expect(meta(remade)['uid']).not.toBe(meta(cfg)['uid']);
    expect(Number(meta(remade)['resourceVersion'])).toBeGreaterThan(Number(rv));
    await savedWith(`"resourceVersion":${again.resourceVersion}`);

    const third = apiStoreOf(restarted(second));
    expect(meta(third.get('', 'ConfigMap', 'default', 'cfg'))['uid']).toBe(meta(remade)['uid']);
  });
});

describe('wire forms across a recompute (the daemon computes every object again on each change)', () => {
  const web = (replicas: number) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080}]}]}\n`;
  const watchKind = (store: ReturnType<typeof apiStoreOf>, kind: string, into: WatchEvent[]) =>
    store.watch('', kind, { namespace: '', labels: null, fields: [], resourceVersion: store.resourceVersion, allowWatchBookmarks: false, timeoutSeconds: 0 }, (e) => into.push(e));

  it('a ConfigMap changed: every pod keeps its served object (no pod event), the ConfigMap alone is MODIFIED, kept forms equal fresh ones', async () => {
    const b = new FakeBackend('knet-store-reuse');
    await b.apply([{ name: 'web', text: `${web(5)}---\n${configMap('1')}` }]);
    const store = apiStoreOf(b);
    const served = b.cluster.pods.map((p) => store.get('', 'Pod', p.meta.namespace, p.meta.name));
    const podEvents: WatchEvent[] = [];
    const cmEvents: WatchEvent[] = [];
    watchKind(store, 'Pod', podEvents);
    watchKind(store, 'ConfigMap', cmEvents);
    const cluster = b.cluster;
    // From the file the Deployment came from: no leaf change (daemon/leaf-change.ts), the whole cluster is computed again.
    await b.apply([{ name: 'web', text: configMap('2') }]);
    expect(b.cluster).not.toBe(cluster);
    expect(b.cluster.pods.every((p) => !cluster.pods.includes(p))).toBe(true); // computed again
    b.cluster.pods.forEach((p, i) => expect(store.get('', 'Pod', p.meta.namespace, p.meta.name)).toBe(served[i]));
    expect(podEvents).toEqual([]);
    expect(cmEvents.map((e) => `${e.type} ${String(meta(e.object)['name'])}`)).toEqual(['MODIFIED cfg']);
    for (const p of b.cluster.pods) expect(contentText(store.get('', 'Pod', p.meta.namespace, p.meta.name)!)).toBe(contentText(toWire(p)));
  });

  it('WireCache: the same by value is the same wire object (the store skips it by reference); a changed one is made again', async () => {
    const b = new FakeBackend('knet-store-cache');
    await b.apply([{ name: 'web', text: `${web(3)}---\n${configMap('1')}` }]);
    const cache = new WireCache();
    const name = (w: Json) => `${String(w['kind'])} ${String(meta(w)['name'])}`;
    const first = new Map(cache.wireObjects(b.cluster).map((w) => [name(w), w]));
    await b.apply([{ name: 'cfg', text: configMap('2') }]);
    const second = cache.wireObjects(b.cluster);
    const remade = second.filter((w) => first.get(name(w)) !== w).map(name);
    expect(remade, JSON.stringify(remade)).toEqual(['ConfigMap cfg']);
  });

  it('a Deployment scaled from 2 to 3: one pod ADDED, the other two unchanged', async () => {
    const b = new FakeBackend('knet-store-scale');
    await b.apply([{ name: 'web', text: web(2) }]);
    const store = apiStoreOf(b);
    const events: WatchEvent[] = [];
    watchKind(store, 'Pod', events);
    await b.apply([{ name: 'web', text: web(3) }]);
    expect(events.map((e) => e.type)).toEqual(['ADDED']);
    for (const p of b.cluster.pods) expect(contentText(store.get('', 'Pod', p.meta.namespace, p.meta.name)!)).toBe(contentText(toWire(p)));
  });
});
