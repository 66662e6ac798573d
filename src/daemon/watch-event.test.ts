// A change to its watch event, through the daemon's coordinator on fake planes: the event goes
// out once the state is saved and before the data plane's reconcile; a ConfigMap's change
// touches no pod, plan or Event (the same objects), a Deployment's scale still makes pods, and
// resourceVersions only grow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../api/object-store.js';
import { parseText } from '../model/source.js';
import { apiStoreOf } from './api-store.js';
import { Daemon } from './daemon.js';
import { emptyState, toStoredObject } from './state.js';
import { FakePlanes } from './test-support/fake-planes.js';

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080}]}]}
`;
const configMap = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {a: "${value}"}\n`;
const UP = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: wev}
nodes: [{name: node-1}, {name: node-2}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
${deployment(3)}---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
${configMap('0')}`;

let dir: string;
let fake: FakePlanes;
let daemon: Daemon;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'knet-watch-event-'));
  fake = new FakePlanes();
  const store = fake.store('wev', dir);
  await store.save({ ...emptyState('wev'), objects: parseText('up.yaml', UP).objects.map(toStoredObject) });
  daemon = Daemon.load('wev', () => {}, { planes: fake.factory, store, internet: false, env: {} });
  await daemon.bringUp(() => {});
});
afterEach(() => {
  daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Watches `kind` in shop from now on; each event is also marked in the planes' journal. */
function watch(kind: string): WatchEvent[] {
  const store = apiStoreOf(daemon);
  const seen: WatchEvent[] = [];
  const w = store.watch('', kind, { namespace: 'shop', labels: null, fields: [], resourceVersion: store.resourceVersion, allowWatchBookmarks: false, timeoutSeconds: 0, sendInitialEvents: false } as never, (e) => {
    seen.push(e);
    fake.journal.push(`watch ${kind} ${e.type}`);
  });
  if (!('close' in w)) throw new Error(`watch refused: ${w.message}`);
  return seen;
}

const rv = (e: WatchEvent): number => Number(((e.object as Record<string, unknown>)['metadata'] as Record<string, unknown>)['resourceVersion']);

describe('a change to its watch event', () => {
  it('a ConfigMap changed -> its event right after the state is saved, before the reconcile; no pod, plan or Event made again', async () => {
    const configMaps = watch('ConfigMap');
    const pods = watch('Pod');
    const plan = daemon.plan;
    const observed = daemon.observed;
    const events = daemon.eventList().length;
    const from = fake.journal.length;
    await daemon.apply([{ name: 'cfg.yaml', text: configMap('1') }]);
    expect(configMaps.map((e) => e.type)).toEqual(['MODIFIED']);
    expect(pods).toEqual([]);
    const after = fake.journal.slice(from);
    const at = after.indexOf('watch ConfigMap MODIFIED');
    expect(after[at - 1]).toMatch(/^state\.save /);
    // The data plane is reconciled afterwards.
    expect(after.slice(at + 1)).toContain('proxy.sync');
    expect(daemon.plan).toBe(plan);
    expect(daemon.observed.pods).toBe(observed.pods);
    expect(daemon.eventList().length).toBe(events);
  });

  it('a Deployment scaled -> its pods\' events, the plan made again, resourceVersions growing', async () => {
    const configMaps = watch('ConfigMap');
    const pods = watch('Pod');
    const plan = daemon.plan;
    await daemon.apply([{ name: 'cfg.yaml', text: configMap('2') }]);
    await daemon.apply([{ name: 'web.yaml', text: deployment(5) }]);
    await daemon.apply([{ name: 'cfg.yaml', text: configMap('3') }]);
    expect(configMaps.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED']);
    expect(pods.filter((e) => e.type === 'ADDED')).toHaveLength(2);
    expect(daemon.plan).not.toBe(plan);
    expect(daemon.observed.pods.filter((p) => p.meta.namespace === 'shop')).toHaveLength(5);
    const all = [...configMaps, ...pods].map(rv);
    expect(new Set(all).size).toBe(all.length);
    for (const list of [configMaps, pods]) list.map(rv).reduce((a, b) => (expect(b).toBeGreaterThan(a), b), 0);
    // The second ConfigMap event comes after the pods'.
    expect(rv(configMaps[1]!)).toBeGreaterThan(Math.max(...pods.map(rv)));
  });

  it('a ConfigMap deleted -> DELETED on its watch, the pods untouched', async () => {
    const configMaps = watch('ConfigMap');
    const pods = watch('Pod');
    const before = daemon.observed.pods;
    await daemon.delete([{ kind: 'ConfigMap', namespace: 'shop', name: 'cfg' }]);
    expect(configMaps.map((e) => e.type)).toEqual(['DELETED']);
    expect(pods).toEqual([]);
    expect(daemon.observed.pods).toBe(before);
    expect(apiStoreOf(daemon).get('', 'ConfigMap', 'shop', 'cfg')).toBeUndefined();
  });
});
