// Reconcile without root: the daemon's coordinator with fake data planes (test-support/
// fake-planes.ts) and its state in a temporary directory. Changes go through apply/delete as
// the API sends them; the planes' journal says what each was asked and in which order: pods
// made and removed, kube-proxy synced with the new endpoints, the DNS data rewritten when a
// Service appears, runtimes reloaded, deleted pods stopped while their endpoints terminate,
// and the state saved before any of it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseText } from '../model/source.js';
import { ClusterRemoving, Daemon } from './daemon.js';
import { emptyState, toStoredObject } from './state.js';
import { FakePlanes } from './test-support/fake-planes.js';

const CLUSTER = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: rec}
nodes: [{name: node-1}, {name: node-2}]
`;

const web = (replicas: number, version = 'v1', probe = false): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: ${replicas}
  # The whole new ReplicaSet at once: these tests follow the planes, not maxSurge's pacing (cluster/rollout.test.ts).
  strategy: {rollingUpdate: {maxSurge: 100%, maxUnavailable: 0}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {version: "${version}"}}
    spec:
      containers:
      - name: web
        image: agnhost
        ports: [{containerPort: 8080}]${probe ? '\n        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}' : ''}
`;

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;

let dir: string;
let fake: FakePlanes;
let daemon: Daemon;
const logged: string[] = [];

/** A daemon over `text` as `knet up` stores it, brought up on the fake planes. */
async function up(text: string): Promise<Daemon> {
  const store = fake.store('rec', dir);
  const objects = parseText('up.yaml', text).objects.map(toStoredObject);
  await store.save({ ...emptyState('rec'), objects });
  const d = Daemon.load('rec', (l) => void logged.push(l), { planes: fake.factory, store, internet: false, env: {} });
  await d.bringUp(() => {});
  return d;
}

const webPods = (d: Daemon): string[] => d.observed.pods.filter((p) => p.meta.namespace === 'default').map((p) => `default/${p.meta.name}`).sort();
const netnsOf = (d: Daemon, ref: string): string => d.plan.pods.find((p) => p.pod === ref)!.netns;
const nodeOf = (d: Daemon, ref: string): string => d.plan.pods.find((p) => p.pod === ref)!.node;
const ipOf = (d: Daemon, ref: string): string => d.cluster.pods.find((p) => `${p.meta.namespace}/${p.meta.name}` === ref)!.status.podIPs[0]!;
/** Readiness reports arrive later, as a socket's would: what they cause is waited for (a loaded machine is slow). */
const eventually = (fn: () => void): Promise<void> => vi.waitFor(fn, { timeout: 10_000, interval: 10 });
/** The journal from entry `from` on. */
const since = (from: number): string[] => fake.journal.slice(from);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'knet-reconciler-'));
  fake = new FakePlanes();
  logged.length = 0;
});

afterEach(() => {
  daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('reconcile on fake planes', () => {
  it('bring-up: the whole plan made at once, kube-proxy synced, one runtime per node with its pods, every pod probed', async () => {
    daemon = await up(`${CLUSTER}---\n${web(2)}---\n${SERVICE}`);
    const pods = webPods(daemon);
    expect(pods).toHaveLength(2);
    expect(fake.calls('network')).toEqual([`network.rebuild ${daemon.plan.namespaces.length}`]);
    for (const ref of pods) expect(fake.namespaces.has(netnsOf(daemon, ref))).toBe(true);
    expect(fake.lastEndpoints()['default/web']).toEqual(pods.map((r) => `${ipOf(daemon, r)} ready`).sort());
    const started = fake.calls('runtimes').filter((l) => l.startsWith('runtimes.start'));
    for (const ref of pods) expect(started.some((l) => l.startsWith(`runtimes.start ${nodeOf(daemon, ref)}:`) && l.includes(ref))).toBe(true);
    expect(started.some((l) => l.startsWith('runtimes.start knet_internet:'))).toBe(true);
    expect(fake.calls('probes')).toHaveLength(1);
    for (const ref of pods) expect(fake.probed[0]).toContain(ref);
    expect(daemon.lastReconcile?.network.rebuilt).toBe(true);
  });

  it('apply a Service: state saved first, then DNS data rewritten, kube-proxy given its endpoints; no namespace made', async () => {
    daemon = await up(`${CLUSTER}---\n${web(2)}`);
    expect(fake.lastEndpoints()['default/web']).toBeUndefined();
    const dnsBefore = fake.dnsWrites.length;
    const from = fake.journal.length;
    const r = await daemon.apply([{ name: 'svc.yaml', text: SERVICE }]);
    expect(r.outcome.results.map((x) => `${x.action} ${x.id.kind} ${x.id.name}`)).toEqual(['created Service web']);
    const after = since(from);
    expect(after[0]).toBe(`state.save ${daemon.state.generation}`);
    expect(after.filter((l) => l.startsWith('state.'))).toHaveLength(1);
    expect(fake.dnsWrites.length).toBeGreaterThan(dnsBefore);
    expect(fake.dnsWrites.at(-1)!.services).toContain('default/web');
    expect(fake.lastEndpoints()['default/web']).toEqual(webPods(daemon).map((ref) => `${ipOf(daemon, ref)} ready`).sort());
    expect(after.filter((l) => l.startsWith('network.'))).toEqual([]);
    // The stored state on disk has the Service.
    const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { objects: { value: { kind: string } }[] };
    expect(saved.objects.map((o) => o.value.kind)).toContain('Service');
  });

  it('scale up: the new pods\' namespaces made, their runtime reloaded with them, their endpoints added; probes only for them', async () => {
    daemon = await up(`${CLUSTER}---\n${web(1)}---\n${SERVICE}`);
    const before = webPods(daemon);
    const from = fake.journal.length;
    await daemon.apply([{ name: 'web.yaml', text: web(3) }]);
    const added = webPods(daemon).filter((r) => !before.includes(r));
    expect(added).toHaveLength(2);
    const after = since(from);
    const save = after.indexOf(`state.save ${daemon.state.generation}`);
    const firstPlane = after.findIndex((l) => !l.startsWith('state.'));
    expect(save).toBeGreaterThanOrEqual(0);
    expect(save).toBeLessThan(firstPlane);
    const made = after.find((l) => l.startsWith('network.apply'))!;
    for (const ref of added) expect(made).toContain(`+${netnsOf(daemon, ref)}`);
    expect(made).not.toContain(' -');
    for (const ref of added) expect(after.some((l) => /^runtimes\.(reload|start) /.test(l) && l.includes(ref))).toBe(true);
    expect(fake.probed.at(-1)).toEqual(added);
    expect(fake.lastEndpoints()['default/web']).toHaveLength(3);
  });

  it('scale down: the removed pods terminate (runtime told to stop them, endpoints terminating), then leave when their node reports them gone', async () => {
    daemon = await up(`${CLUSTER}---\n${web(3)}---\n${SERVICE}`);
    const from = fake.journal.length;
    await daemon.apply([{ name: 'web.yaml', text: web(1) }]);
    const terminating = daemon.observed.pods.filter((p) => p.meta.deletionTimestamp !== '').map((p) => `${p.meta.namespace}/${p.meta.name}`);
    expect(terminating).toHaveLength(2);
    expect(logged.some((l) => l.startsWith('terminating: '))).toBe(true);
    // Their node's runtime is told to stop them; their namespaces stay until they are gone.
    for (const ref of terminating) {
      expect(since(from).some((l) => l.startsWith(`runtimes.reload ${nodeOf(daemon, ref)}:`) && l.includes(`${ref} (terminating)`))).toBe(true);
      expect(fake.namespaces.has(netnsOf(daemon, ref))).toBe(true);
    }
    // ... in the same step as kube-proxy drops their endpoints, not after it (the kubelet and
    // kube-proxy do not wait for each other).
    const stopAt = since(from).findIndex((l) => l.startsWith('runtimes.reload') && l.includes('(terminating)'));
    expect(stopAt).toBeGreaterThan(0);
    expect(stopAt).toBeLessThan(since(from).indexOf('proxy.sync'));
    const endpoints = fake.lastEndpoints()['default/web']!;
    for (const ref of terminating) expect(endpoints).toContain(`${ipOf(daemon, ref)} terminating`);
    expect(endpoints.filter((e) => e.endsWith(' ready'))).toHaveLength(1);

    // The runtimes report their containers gone: the pods leave the state, then their namespaces go.
    const netns = terminating.map((ref) => netnsOf(daemon, ref));
    const byNode = new Map<string, string[]>();
    for (const ref of terminating) byNode.set(nodeOf(daemon, ref), [...(byNode.get(nodeOf(daemon, ref)) ?? []), ref]);
    for (const [node, refs] of byNode) fake.report(node, Object.fromEntries(refs.map((r) => [r, { ready: false, restarts: 0, terminated: true }])));
    await eventually(() => expect(webPods(daemon)).toHaveLength(1));
    await eventually(() => { for (const n of netns) expect(fake.namespaces.has(n)).toBe(false); });
    expect(fake.lastEndpoints()['default/web']).toEqual([`${ipOf(daemon, webPods(daemon)[0]!)} ready`]);
    expect(daemon.state.terminating ?? []).toEqual([]);
  });

  it('delete the Deployment: every pod terminates; delete of a generated pod: its ReplicaSet makes a replacement', async () => {
    daemon = await up(`${CLUSTER}---\n${web(2)}---\n${SERVICE}`);
    const [victim, other] = webPods(daemon);
    const r = await daemon.delete([{ kind: 'Pod', namespace: 'default', name: victim!.split('/')[1]! }]);
    expect(r.outcome.results.map((x) => `${x.action} ${x.id.name}`)).toEqual([`deleted ${victim!.split('/')[1]}`]);
    const pods = webPods(daemon);
    expect(pods).toHaveLength(3); // the victim terminating, the other, the replacement
    expect(daemon.observed.pods.find((p) => `default/${p.meta.name}` === victim)!.meta.deletionTimestamp).not.toBe('');
    const replacement = pods.find((p) => p !== victim && p !== other)!;
    expect(fake.namespaces.has(netnsOf(daemon, replacement))).toBe(true);

    await daemon.delete([{ kind: 'Deployment', namespace: 'default', name: 'web' }]);
    expect(daemon.observed.pods.filter((p) => p.meta.namespace === 'default').every((p) => p.meta.deletionTimestamp !== '')).toBe(true);
    expect(fake.lastEndpoints()['default/web']!.every((e) => e.endsWith(' terminating'))).toBe(true);
  });

  it('a readiness report: the pod leaves its Service\'s endpoints at once (kube-proxy synced), and comes back', async () => {
    daemon = await up(`${CLUSTER}---\n${web(2)}---\n${SERVICE}`);
    const [sick] = webPods(daemon);
    await eventually(() => expect(fake.lastEndpoints()['default/web']!.filter((e) => e.endsWith(' ready'))).toHaveLength(2));
    const syncs = fake.proxySyncs.length;
    fake.report(nodeOf(daemon, sick!), { [sick!]: { ready: false, restarts: 1 } });
    await eventually(() => expect(fake.lastEndpoints()['default/web']).toContain(`${ipOf(daemon, sick!)} not-ready`));
    expect(fake.proxySyncs.length).toBe(syncs + 1);
    expect(daemon.readiness()[sick!]).toEqual({ ready: false, restarts: 1 });
    expect(daemon.observed.pods.find((p) => `default/${p.meta.name}` === sick)!.status.restarts).toBe(1);
    expect(logged.some((l) => l.startsWith(`readiness: ${sick} not ready`))).toBe(true);
    fake.report(nodeOf(daemon, sick!), { [sick!]: { ready: true, restarts: 1 } });
    await eventually(() => expect(fake.lastEndpoints()['default/web']).toContain(`${ipOf(daemon, sick!)} ready`));
  });

  it('rollout: old pods keep serving until the new ones are reported Ready, then terminate', async () => {
    daemon = await up(`${CLUSTER}---\n${web(2, 'v1', true)}---\n${SERVICE}`);
    const old = webPods(daemon);
    // A node's report is whole: the pods of one node are reported together.
    const byNode = (refs: readonly string[]) => {
      const m = new Map<string, string[]>();
      for (const ref of refs) m.set(nodeOf(daemon, ref), [...(m.get(nodeOf(daemon, ref)) ?? []), ref]);
      return m;
    };
    const readyOn = (refs: readonly string[]) => { for (const [node, list] of byNode(refs)) fake.report(node, Object.fromEntries(list.map((r) => [r, { ready: true, restarts: 0 }]))); };
    readyOn(old);
    await eventually(() => expect(fake.lastEndpoints()['default/web']!.filter((e) => e.endsWith(' ready'))).toHaveLength(2));

    fake.startReady = false;
    const applying = daemon.apply([{ name: 'web.yaml', text: web(2, 'v2', true) }]);
    await eventually(() => expect(webPods(daemon).length).toBe(4));
    const fresh = webPods(daemon).filter((r) => !old.includes(r));
    await eventually(() => { for (const ref of fresh) expect(fake.specs.get(nodeOf(daemon, ref))?.some((p) => p.ref === ref)).toBe(true); });
    expect(logged.some((l) => l.startsWith('rollout: 2 old pods keep serving'))).toBe(true);
    // The old pods serve; the new ones are not Ready yet.
    const serving = fake.lastEndpoints()['default/web']!;
    for (const ref of old) expect(serving).toContain(`${ipOf(daemon, ref)} ready`);
    for (const ref of fresh) expect(serving).not.toContain(`${ipOf(daemon, ref)} ready`);

    readyOn(fresh);
    await applying;
    await eventually(() => {
      const ends = fake.lastEndpoints()['default/web']!;
      for (const ref of fresh) expect(ends).toContain(`${ipOf(daemon, ref)} ready`);
      for (const ref of old) expect(ends).toContain(`${ipOf(daemon, ref)} terminating`);
    });
    expect(logged.some((l) => /^rollout: .* retired/.test(l))).toBe(true);
  });

  it('a refused apply saves nothing and touches no plane', async () => {
    daemon = await up(`${CLUSTER}---\n${web(1)}`);
    const from = fake.journal.length;
    const r = await daemon.apply([{ name: 'bad.yaml', text: SERVICE.replace('port: 80', 'port: 0') }]);
    expect(r.reconcile).toBeNull();
    expect(r.outcome.state).toBeNull();
    expect(since(from)).toEqual([]);
  });

  it('shutdown: runtimes stopped for good, the network torn down, the state removed; a later change is refused', async () => {
    daemon = await up(`${CLUSTER}---\n${web(1)}`);
    const from = fake.journal.length;
    const report = await daemon.shutdown();
    expect(report.namespaces).toBeGreaterThan(0);
    expect(since(from)).toEqual(['policy.stop', 'runtimes.stopAll final', 'network.teardown', 'state.remove']);
    await expect(daemon.apply([{ name: 'svc.yaml', text: SERVICE }])).rejects.toBeInstanceOf(ClusterRemoving);
  });
});
