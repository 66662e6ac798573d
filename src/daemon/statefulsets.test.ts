// The StatefulSet controller and the kubelet's probe events in the daemon, on fake planes (no
// root): pods made one by one as each is reported Ready, a scale-down from the highest
// ordinal, and a runtime's failed probe checks as Unhealthy events with their output.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseText } from '../model/source.js';
import { Daemon } from './daemon.js';
import { emptyState, toStoredObject } from './state.js';
import { FakePlanes } from './test-support/fake-planes.js';

const CLUSTER = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: sts}
nodes: [{name: node-1}, {name: node-2}]
`;

const db = (replicas: number): string => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: ${replicas}
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: postgres
        ports: [{containerPort: 5432}]
        readinessProbe: {tcpSocket: {port: 5432}, periodSeconds: 1}
`;

let dir: string;
let fake: FakePlanes;
let daemon: Daemon;

async function up(text: string): Promise<Daemon> {
  const store = fake.store('sts', dir);
  await store.save({ ...emptyState('sts'), objects: parseText('up.yaml', text).objects.map(toStoredObject) });
  const d = Daemon.load('sts', () => {}, { planes: fake.factory, store, internet: false, env: {} });
  await d.bringUp(() => {});
  return d;
}

const pods = (): string[] => daemon.observed.pods.filter((p) => p.meta.namespace === 'default').map((p) => `${p.meta.name}${p.meta.deletionTimestamp ? ' terminating' : ''}`).sort();
const nodeOf = (ref: string): string => daemon.plan.pods.find((p) => p.pod === ref)!.node;
const eventually = (fn: () => void): Promise<void> => vi.waitFor(fn, { timeout: 10_000, interval: 10 });
const ready = (name: string, extra: Record<string, unknown> = {}): void =>
  fake.report(nodeOf(`default/${name}`), { [`default/${name}`]: { ready: true, restarts: 0, ...extra } });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'knet-sts-'));
  fake = new FakePlanes();
});

afterEach(() => {
  daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the StatefulSet controller in the daemon', () => {
  it('OrderedReady: db-1 once db-0 is reported Ready, db-2 once db-1 is; the progress leaves the state when done', async () => {
    daemon = await up(CLUSTER);
    fake.startReady = false; // the kubelet reports the StatefulSet's pods Ready when the test says
    // The apply waits for its new pod to be Ready (as knet apply does): the kubelet reports it meanwhile.
    const applied = daemon.apply([{ name: 'db.yaml', text: db(3) }]);
    await eventually(() => expect(pods()).toEqual(['db-0']));
    expect(daemon.state.statefulSets).toEqual({ 'default/db': { made: 1 } });
    ready('db-0');
    await applied;
    await eventually(() => expect(pods()).toEqual(['db-0', 'db-1']));
    ready('db-1');
    await eventually(() => expect(pods()).toEqual(['db-0', 'db-1', 'db-2']));
    expect(daemon.state.statefulSets).toBeUndefined();
  });

  it('scale-down 3 -> 1: db-2 terminates first, db-1 only once db-2 is gone', async () => {
    daemon = await up(`${CLUSTER}---\n${db(3)}`);
    expect(pods()).toEqual(['db-0', 'db-1', 'db-2']);
    const node2 = nodeOf('default/db-2');
    await daemon.apply([{ name: 'db.yaml', text: db(1) }]);
    expect(pods()).toEqual(['db-0', 'db-1', 'db-2 terminating']);
    fake.report(node2, { 'default/db-2': { ready: false, restarts: 0, terminated: true } });
    await eventually(() => expect(pods()).toEqual(['db-0', 'db-1 terminating']));
  });

  it('a template change: the pods keep the old revision, then are updated from the highest ordinal as they are Ready', async () => {
    daemon = await up(`${CLUSTER}---\n${db(2)}`);
    const revision = () => daemon.observed.pods.filter((p) => p.meta.namespace === 'default').map((p) => `${p.meta.name}=${p.meta.labels['controller-revision-hash']}`).sort();
    const before = revision();
    fake.startReady = false;
    const applied = daemon.apply([{ name: 'db.yaml', text: db(2).replace('image: postgres', 'image: postgres:17') }]);
    await eventually(() => expect(daemon.state.statefulSets?.['default/db']?.old?.length ?? 0).toBeGreaterThan(0));
    ready('db-0');
    ready('db-1');
    await applied;
    await eventually(() => expect(daemon.state.statefulSets).toBeUndefined());
    const after = revision();
    expect(after).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(after[i]).not.toBe(before[i]);
    expect((daemon.state.retiring ?? []).length).toBe(0);
  });

  it('a runtime\'s failed probe checks: Warning Unhealthy with the probe output, repeats counted', async () => {
    daemon = await up(`${CLUSTER}---\n${db(1)}`);
    const failed = (count: number) => ({ 'db/readiness': { count, output: 'dial tcp 10.244.1.2:5432: connect: connection refused' } });
    fake.report(nodeOf('default/db-0'), { 'default/db-0': { ready: false, restarts: 0, failed: failed(1) } });
    fake.report(nodeOf('default/db-0'), { 'default/db-0': { ready: false, restarts: 0, failed: failed(3) } });
    await eventually(() => expect(daemon.eventList().filter((e) => e.reason === 'Unhealthy').map((e) => `${e.count} ${e.message}`)).toEqual([
      '3 Readiness probe failed: dial tcp 10.244.1.2:5432: connect: connection refused',
    ]));
  });
});
