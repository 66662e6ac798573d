// The running cluster's objects must be the prediction's, and must not move when more is
// applied: rule "pods keep their IPs across applies".
import { describe, expect, it } from 'vitest';
import { loadCluster, type Cluster } from '../cluster/fill-in.js';
import { toWire } from '../cluster/wire.js';
import { readSources, parseText } from '../model/source.js';
import { hasErrors } from '../model/issue.js';
import { assignmentsOf, desiredCluster, desiredFromState } from './desired.js';
import { NO_ASSIGNMENTS, toStoredObject } from './state.js';

const OPSCART = 'examples/opscart';

function wireOf(c: Cluster): unknown {
  return {
    nodes: c.nodes.map(toWire), pods: c.pods.map(toWire), services: c.services.map(toWire),
    workloads: c.workloads.map(toWire), slices: c.endpointSlices.map(toWire), namespaces: c.namespaces.map(toWire),
  };
}

const podIPs = (c: Cluster): Record<string, string> =>
  Object.fromEntries(c.pods.map((p) => [`${p.meta.namespace}/${p.meta.name}`, `${p.spec.nodeName} ${p.status.podIPs.join(',')}`]));

describe('desired cluster', () => {
  const objects = readSources([OPSCART]).objects;

  it('nothing assigned yet -> exactly the prediction (knet get -f)', () => {
    const predicted = loadCluster([OPSCART]);
    const running = desiredCluster({ objects, overrides: {}, assignments: NO_ASSIGNMENTS });
    expect(wireOf(running.cluster)).toEqual(wireOf(predicted.cluster));
    expect(running.issues).toEqual(predicted.issues);
  });

  it('everything assigned -> the same cluster again (the second pass changes nothing)', () => {
    const first = desiredCluster({ objects, overrides: {}, assignments: NO_ASSIGNMENTS });
    const again = desiredCluster({ objects, overrides: {}, assignments: assignmentsOf(first.cluster) });
    expect(wireOf(again.cluster)).toEqual(wireOf(first.cluster));
    expect(again.issues.map((i) => i.message)).toEqual(first.issues.map((i) => i.message));
  });

  it('a Deployment applied later, sorting first -> running pods keep node and IP, new pods get free addresses', () => {
    const first = desiredCluster({ objects, overrides: {}, assignments: NO_ASSIGNMENTS });
    const extra = parseText('aaa.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: {name: aaa, namespace: aaa}
spec:
  replicas: 4
  selector: {matchLabels: {app: aaa}}
  template:
    metadata: {labels: {app: aaa}}
    spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 80}]}]}
`).objects;
    const unpinned = desiredCluster({ objects: [...extra, ...objects], overrides: {}, assignments: NO_ASSIGNMENTS });
    const before = podIPs(first.cluster);
    // Without pinning, fill-in would move running pods (the reason for the second pass).
    expect(Object.entries(before).some(([ref, v]) => podIPs(unpinned.cluster)[ref] !== v)).toBe(true);
    const next = desiredCluster({ objects: [...extra, ...objects], overrides: {}, assignments: assignmentsOf(first.cluster) });
    expect(hasErrors(next.issues)).toBe(false);
    const after = podIPs(next.cluster);
    for (const [ref, v] of Object.entries(before)) expect(after[ref], ref).toBe(v);
    const added = next.cluster.pods.filter((p) => p.meta.namespace === 'aaa');
    expect(added).toHaveLength(4);
    const ips = next.cluster.pods.flatMap((p) => (p.spec.hostNetwork ? [] : p.status.podIPs));
    expect(new Set(ips).size).toBe(ips.length);
    const svc = (c: Cluster) => Object.fromEntries(c.services.map((s) => [`${s.meta.namespace}/${s.meta.name}`, JSON.stringify([s.clusterIPs, s.ports.map((p) => p.nodePort)])]));
    expect(svc(next.cluster)).toMatchObject(svc(first.cluster));
  });

  it('scaling a Deployment down and up keeps the survivors where they are', () => {
    const dep = (n: number) => parseText('web.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${n}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: agnhost}]}
`).objects;
    const three = desiredCluster({ objects: dep(3), overrides: {}, assignments: NO_ASSIGNMENTS });
    const one = desiredCluster({ objects: dep(1), overrides: {}, assignments: assignmentsOf(three.cluster) });
    const web = (c: Cluster) => c.pods.filter((p) => p.meta.namespace === 'default');
    expect(web(one.cluster)).toHaveLength(1);
    expect(podIPs(three.cluster)[`default/${web(one.cluster)[0]!.meta.name}`]).toBe(podIPs(one.cluster)[`default/${web(one.cluster)[0]!.meta.name}`]);
    const zero = desiredCluster({ objects: dep(0), overrides: {}, assignments: assignmentsOf(one.cluster) });
    expect(web(zero.cluster)).toHaveLength(0);
    expect(zero.cluster.workloads.filter((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default')).toHaveLength(1);
  });

  it('--nodes and --cni are laid over the Cluster object (or make one)', () => {
    const c = desiredCluster({ objects: [], overrides: { nodes: 2, cni: 'flannel' }, assignments: NO_ASSIGNMENTS }).cluster;
    expect(c.nodes.map((n) => n.meta.name)).toEqual(['node-1', 'node-2']);
    expect(c.config.cni).toBe('flannel');
    const o = desiredCluster({ objects, overrides: { cni: 'kubenet' }, assignments: NO_ASSIGNMENTS }).cluster;
    expect(o.config.cni).toBe('kubenet');
    expect(o.nodes).toHaveLength(3);
  });
});

describe('the running cluster\'s stored objects', () => {
  it('warn of nothing: the API server\'s warnings came when they were applied', () => {
    const objects = parseText('ing.yaml', 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  annotations: {kubernetes.io/ingress.class: nginx}\nspec:\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n').objects;
    const applied = desiredCluster({ objects, overrides: {}, assignments: NO_ASSIGNMENTS });
    expect(applied.issues.map((i) => i.code)).toContain('api-warning');
    const stored = desiredFromState({ objects: objects.map(toStoredObject), overrides: {}, assignments: NO_ASSIGNMENTS });
    expect(stored.issues.map((i) => i.code)).not.toContain('api-warning');
  });
});
