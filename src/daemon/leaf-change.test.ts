// A change to objects nothing derives from is spliced into the cluster (leaf-change.ts): checked
// against the whole recompute object for object, its checks still refusing what they refuse,
// and a change that must recompute (a Deployment's replicas, a Service's selector) still does.
import { describe, expect, it } from 'vitest';
import { sameModel } from '../api/same-model.js';
import { RESOURCE_TYPES, servesObjects } from '../api/registry.js';
import { ReadinessReports, applyFiles, deleteIds } from './controllers.js';
import { assignmentsOf, desiredFromState } from './desired.js';
import { listsOnlyLeaves, onlyLeavesDiffer } from './leaf-change.js';
import { emptyState, toStoredObject, type ClusterState } from './state.js';
import type { Cluster } from '../cluster/fill-in.js';
import { parseText } from '../model/source.js';
import type { StoreOutcome } from './store-ops.js';

const BASE = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data: {a: "1"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: shop}
`;

/** A running cluster's state and cluster after `knet up` of BASE (assignments made, as the daemon keeps them). */
function running(): { state: ClusterState; cluster: Cluster } {
  const state0 = { ...emptyState('leaf', { nodes: 2 }), objects: parseText('base.yaml', BASE).objects.map(toStoredObject) };
  const state = { ...state0, assignments: assignmentsOf(desiredFromState(state0).cluster) };
  return { state, cluster: desiredFromState(state).cluster };
}

/** The same apply computed whole: a cluster without the namespace makes no object a leaf. */
function wholeRecompute(state: ClusterState, cluster: Cluster, files: { name: string; text: string }[]): StoreOutcome {
  return applyFiles(state, { ...cluster, namespaces: [] }, files);
}

const cm = (name: string, value: string, ns = 'shop') => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}}\ndata: {a: "${value}"}\n`;

describe('a change to leaf objects is spliced, and equals the whole recompute', () => {
  const cases: [string, string][] = [
    ['a ConfigMap changed', cm('cfg', '2')],
    ['a ConfigMap created', cm('new', '1')],
    ['a Secret created', 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\nstringData: {k: v}\n'],
    ['a ServiceAccount (kept, not modelled) created', 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: other, namespace: shop}\n'],
    ['a ConfigMap in default (knet makes the namespace)', cm('d', '1', 'default')],
  ];
  for (const [name, text] of cases) {
    it(`${name} -> the same cluster and issues, pods not recomputed`, () => {
      const { state, cluster } = running();
      const files = [{ name: 'change.yaml', text }];
      const fast = applyFiles(state, cluster, files);
      expect(fast.leaf).toBe(true);
      const whole = wholeRecompute(state, cluster, files);
      expect(whole.leaf).toBeUndefined();
      expect(fast.issues).toEqual(whole.issues);
      expect(fast.results).toEqual(whole.results);
      expect(fast.state!.assignments).toEqual(whole.state!.assignments);
      // What the daemon runs: the cluster of the new state, computed whole.
      expect(sameModel(fast.cluster, desiredFromState(fast.state!).cluster)).toBe(true);
      expect(fast.cluster!.pods).toBe(cluster.pods);
      expect(fast.cluster!.endpointSlices).toBe(cluster.endpointSlices);
      expect(onlyLeavesDiffer(cluster, fast.cluster!)).toBe(true);
    });
  }

  it('a ConfigMap deleted -> spliced out, the same as the whole recompute', () => {
    const { state, cluster } = running();
    const out = deleteIds(state, cluster, cluster, [{ kind: 'ConfigMap', namespace: 'shop', name: 'cfg' }]);
    expect(out.leaf).toBe(true);
    expect(out.cluster!.configMaps.some((c) => c.meta.name === 'cfg')).toBe(false);
    expect(sameModel(out.cluster, desiredFromState(out.state!).cluster)).toBe(true);
    expect(out.cluster!.pods).toBe(cluster.pods);
  });
});

describe('what is not a leaf is computed whole', () => {
  const cases: [string, string, (before: Cluster, after: Cluster) => void][] = [
    ['a Deployment scaled', BASE.split('---\n')[1]!.replace('replicas: 3', 'replicas: 5'),
      (b, a) => expect(a.pods.filter((p) => p.meta.namespace === 'shop').length - b.pods.filter((p) => p.meta.namespace === 'shop').length).toBe(2)],
    ['a Service selecting other pods', BASE.split('---\n')[2]!.replace('selector: {app: web}', 'selector: {app: none}'),
      (b, a) => expect(a.endpointSlices).not.toEqual(b.endpointSlices)],
    ['CoreDNS\'s ConfigMap (its Corefile configures DNS)', cm('coredns', 'x', 'kube-system'), () => {}],
    ['a ConfigMap in a namespace no Namespace object makes', cm('x', '1', 'elsewhere'),
      (_b, a) => expect(a.namespaces.some((n) => n.meta.name === 'elsewhere')).toBe(true)],
  ];
  for (const [name, text, check] of cases) {
    it(`${name} -> recomputed`, () => {
      const { state, cluster } = running();
      const out = applyFiles(state, cluster, [{ name: 'change.yaml', text }]);
      expect(out.state).not.toBeNull();
      expect(out.leaf).toBeUndefined();
      check(cluster, out.cluster!);
    });
  }

  it('a Deployment\'s pod deleted with a ConfigMap -> recomputed: its ReplicaSet replaces the pod', () => {
    const { state, cluster } = running();
    const pod = cluster.pods.find((p) => p.meta.namespace === 'shop')!;
    const out = deleteIds(state, cluster, cluster, [{ kind: 'Pod', namespace: 'shop', name: pod.meta.name }, { kind: 'ConfigMap', namespace: 'shop', name: 'cfg' }]);
    expect(out.leaf).toBeUndefined();
    const names = out.cluster!.pods.filter((p) => p.meta.namespace === 'shop').map((p) => p.meta.name);
    expect(names).toHaveLength(3);
    expect(names).not.toContain(pod.meta.name);
  });

  it('a ConfigMap applied with other objects of its file stored -> recomputed (their issues are reported too)', () => {
    const { state, cluster } = running();
    const out = applyFiles(state, cluster, [{ name: 'base.yaml', text: cm('cfg', '3') }]);
    expect(out.leaf).toBeUndefined();
    expect(out.state).not.toBeNull();
  });
});

describe('the checks a leaf can fail still run', () => {
  it('a ConfigMap with a bad name -> refused whole, with the API server\'s words', () => {
    const { state, cluster } = running();
    const out = applyFiles(state, cluster, [{ name: 'bad.yaml', text: cm('Bad_Name', '1') }]);
    expect(out.state).toBeNull();
    expect(out.issues.map((i) => i.message).join('\n')).toContain('metadata.name: Invalid value: "Bad_Name"');
  });
  it('a ConfigMap whose data is a list -> refused', () => {
    const { state, cluster } = running();
    const out = applyFiles(state, cluster, [{ name: 'bad.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\ndata: {a: [1]}\n' }]);
    expect(out.state).toBeNull();
    expect(out.issues.map((i) => i.message).join('\n')).toContain('data.a: Invalid value: [1]: must be a string');
  });
  it('the same ConfigMap twice in one apply -> refused as a duplicate', () => {
    const { state, cluster } = running();
    const out = applyFiles(state, cluster, [{ name: 'dup.yaml', text: `${cm('two', '1')}---\n${cm('two', '2')}` }]);
    expect(out.state).toBeNull();
    expect(out.issues.some((i) => i.code === 'duplicate-object')).toBe(true);
  });
  it('a ConfigMap with a Service whose nodePort is taken -> refused whole (the Service is no leaf)', () => {
    const { state, cluster } = running();
    const taken = 'apiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: shop}\nspec: {type: NodePort, selector: {app: web}, ports: [{port: 81, nodePort: 30080}]}\n';
    const out = applyFiles(state, cluster, [{ name: 'both.yaml', text: `${cm('fine', '1')}---\n${taken}` }]);
    expect(out.state).toBeNull();
    expect(out.issues.some((i) => i.severity === 'error' && /30080/.test(i.message))).toBe(true);
  });
});

describe('what the leaf path relies on', () => {
  it('no resource the API lists from the other lists reads the leaf lists (the store skips them when only leaves changed)', () => {
    const { cluster } = running();
    const emptied = { ...cluster, configMaps: [], secrets: [], others: [] };
    for (const r of RESOURCE_TYPES) {
      if (!servesObjects(r) || listsOnlyLeaves(r)) continue;
      const a = r.list(cluster);
      const b = r.list(emptied);
      expect(b.length, r.kind).toBe(a.length);
      b.forEach((o, i) => expect(o === a[i] || sameModel(o, a[i]), `${r.kind} ${o.meta.name}`).toBe(true));
    }
    expect(listsOnlyLeaves(RESOURCE_TYPES.find((r) => r.kind === 'ConfigMap')!)).toBe(true);
    expect(listsOnlyLeaves(RESOURCE_TYPES.find((r) => r.kind === 'Pod')!)).toBe(false);
    expect(listsOnlyLeaves(RESOURCE_TYPES.find((r) => r.kind === 'Cluster')!)).toBe(false);
  });

  it('the readiness reports laid over a cluster that only changed leaves -> the same pod objects', () => {
    const { state, cluster } = running();
    const reports = new ReadinessReports();
    reports.record('node-1', Object.fromEntries(cluster.pods.filter((p) => p.spec.nodeName === 'node-1').map((p) => [`${p.meta.namespace}/${p.meta.name}`, { ready: true, restarts: 0 }])) as never);
    const before = reports.over(cluster);
    const next = applyFiles(state, cluster, [{ name: 'c.yaml', text: cm('cfg', '9') }]).cluster!;
    const after = reports.over(next);
    expect(after.pods).toBe(before.pods);
    expect(after.configMaps).toBe(next.configMaps);
    // A Deployment scaled is laid again.
    const scaled = applyFiles(state, cluster, [{ name: 'd.yaml', text: BASE.split('---\n')[1]!.replace('replicas: 3', 'replicas: 4') }]).cluster!;
    expect(reports.over(scaled).pods).not.toBe(before.pods);
  });
});
