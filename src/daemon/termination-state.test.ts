// Graceful deletion in the stored state, without root: a scale-down keeps the removed pods as
// Terminating (same node and IP, deletionTimestamp now + grace), the rest of the cluster and
// its nodes unchanged; `delete pod` of a Deployment's pod makes a replacement under a new
// name that stays after the deleted pod is gone; KNET_ENDPOINT_LAG_MS is checked.
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../cluster/fill-in.js';
import { parseText } from '../model/source.js';
import { assignmentsOf, desiredFromState } from './desired.js';
import { emptyState, toStoredObject, type ClusterState } from './state.js';
import { deleteControlledPods, endpointLag, overdueTerminating, terminatingRefs, withoutTerminated, withTerminating } from './termination.js';

const web = (replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 20
      containers: [{name: web, image: agnhost, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;

/** A running cluster's state for `text` (no Cluster object: knet's 3 default nodes), assigned as the daemon assigns it. */
function running(text: string, base: ClusterState = emptyState('t')): { state: ClusterState; cluster: Cluster } {
  const objects = parseText('web.yaml', text).objects.map(toStoredObject);
  let state: ClusterState = { ...base, objects, generation: base.generation + 1 };
  const first = desiredFromState(state).cluster;
  state = { ...state, assignments: assignmentsOf(first) };
  return { state, cluster: desiredFromState(state).cluster };
}

const NOW = Date.parse('2026-01-01T00:00:00Z');
const podsOf = (c: Cluster) => c.pods.filter((p) => p.meta.namespace === 'default').map((p) => ({
  name: p.meta.name, node: p.spec.nodeName, ip: p.status.podIPs[0], terminating: p.meta.deletionTimestamp,
}));

describe('graceful deletion in the stored state', () => {
  const three = running(web(3));

  it('scale-down 3 -> 1: two pods Terminating where they ran, the nodes unchanged', () => {
    const one = running(web(1), three.state);
    const s = withTerminating(three.state, three.cluster, one.state, one.cluster, NOW);
    expect(s.going).toHaveLength(2);
    const before = podsOf(three.cluster);
    const after = podsOf(s.cluster);
    expect(after.map((p) => p.name).sort()).toEqual(before.map((p) => p.name).sort());
    for (const p of after) {
      const was = before.find((b) => b.name === p.name)!;
      expect({ node: p.node, ip: p.ip }).toEqual({ node: was.node, ip: was.ip });
    }
    expect(after.filter((p) => p.terminating === '2026-01-01T00:00:20Z')).toHaveLength(2);
    expect(s.cluster.nodes.map((n) => n.meta.name)).toEqual(['node-1', 'node-2', 'node-3']);
    const ready = s.cluster.endpointSlices.flatMap((e) => e.endpoints).filter((e) => e.targetRef?.namespace === 'default');
    expect(ready.filter((e) => e.conditions.terminating).length).toBe(2);

    // The runtimes report them gone: they leave the state, the third pod stays where it was.
    const done = withoutTerminated(s.state, terminatingRefs(s.state));
    const left = withTerminating(s.state, s.cluster, done, desiredFromState(done).cluster, NOW + 1000);
    expect(left.going).toEqual([]);
    expect(podsOf(left.cluster)).toEqual(podsOf(one.cluster));
    expect(left.state.terminating).toEqual([]);
  });

  it('delete pod of a Deployment: a replacement under a new name, which it keeps once the old one is gone', () => {
    const victim = three.cluster.pods.find((p) => p.meta.namespace === 'default')!;
    const ids = [{ kind: 'Pod', namespace: 'default', name: victim.meta.name }, { kind: 'Service', namespace: 'default', name: 'web' }];
    const d = deleteControlledPods(three.state, three.cluster, ids);
    expect(d.results.map((r) => r.id.name)).toEqual([victim.meta.name]);
    expect(d.rest).toEqual([ids[1]]);
    expect(d.state.replaced).toEqual([`default/${victim.meta.name}`]);
    const s = withTerminating(three.state, three.cluster, d.state, desiredFromState(d.state).cluster, NOW);
    expect(s.going.map((p) => p.meta.name)).toEqual([victim.meta.name]);
    const pods = podsOf(s.cluster);
    expect(pods).toHaveLength(4);
    const replacement = pods.find((p) => !podsOf(three.cluster).some((b) => b.name === p.name))!;
    expect(replacement.name).toMatch(/^web-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(new Set(pods.map((p) => p.ip)).size).toBe(4); // it gets an address of its own

    const done = withoutTerminated(s.state, new Set([`default/${victim.meta.name}`]));
    const after = desiredFromState(done).cluster;
    expect(podsOf(after).map((p) => p.name).sort()).toEqual(pods.filter((p) => p.name !== victim.meta.name).map((p) => p.name).sort());
  });

  it('delete pod with gracePeriodSeconds 0 (kubectl --grace-period=0 --force): its deadline is now, the other pods keep theirs', () => {
    const victim = three.cluster.pods.find((p) => p.meta.namespace === 'default')!;
    const ref = `default/${victim.meta.name}`;
    const d = deleteControlledPods(three.state, three.cluster, [{ kind: 'Pod', namespace: 'default', name: victim.meta.name }]);
    const s = withTerminating(three.state, three.cluster, d.state, desiredFromState(d.state).cluster, NOW, (r) => (r === ref ? 0 : undefined));
    const gone = (s.state.terminating ?? []).map((o) => o.value['metadata'] as Record<string, unknown>);
    expect(gone).toEqual([expect.objectContaining({ name: victim.meta.name, deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 })]);
    // Two pods go in a scale-down: only the one the deletion named takes its grace period.
    const one = running(web(1), three.state);
    const scaled = withTerminating(three.state, three.cluster, one.state, one.cluster, NOW, (r) => (r === ref ? 0 : undefined));
    const going = (scaled.state.terminating ?? []).map((o) => o.value['metadata'] as Record<string, unknown>);
    expect(going).toHaveLength(2);
    for (const m of going) expect(m['deletionGracePeriodSeconds']).toBe(m['name'] === victim.meta.name ? 0 : 20);
  });

  it('a bare pod or another kind is left to the store', () => {
    const d = deleteControlledPods(three.state, three.cluster, [{ kind: 'Pod', namespace: 'default', name: 'nope' }]);
    expect(d.state).toBe(three.state);
    expect(d.rest).toHaveLength(1);
  });

  const controllers = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: agnhost, ports: [{containerPort: 5432}]}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: agnhost, ports: [{containerPort: 9100}]}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch, namespace: default}
spec:
  template:
    metadata: {labels: {app: batch}}
    spec: {restartPolicy: Never, containers: [{name: batch, image: agnhost, ports: [{containerPort: 7000}]}]}
`;
  const others = running(controllers);
  const names = (c: Cluster) => podsOf(c).map((p) => p.name).sort();

  it('delete pod of a StatefulSet: it terminates, and comes back under the same name once gone', () => {
    const ids = [{ kind: 'Pod', namespace: 'default', name: 'db-1' }];
    const d = deleteControlledPods(others.state, others.cluster, ids);
    expect(d.results.map((r) => r.id.name)).toEqual(['db-1']);
    expect(d.state.statefulSets).toEqual({ 'default/db': { held: [1] } });
    const s = withTerminating(others.state, others.cluster, d.state, desiredFromState(d.state).cluster, NOW);
    expect(s.going.map((p) => p.meta.name)).toEqual(['db-1']);
    expect(podsOf(s.cluster).filter((p) => p.name.startsWith('db-')).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      expect.objectContaining({ name: 'db-0', terminating: '' }),
      expect.objectContaining({ name: 'db-1', terminating: '2026-01-01T00:00:30Z' }),
      expect.objectContaining({ name: 'db-2', terminating: '' }),
    ]);
    const done = withoutTerminated(s.state, new Set(['default/db-1']));
    const gone = desiredFromState(done).cluster;
    expect(names(gone).filter((n) => n.startsWith('db-'))).toEqual(['db-0', 'db-2']);
  });

  it('delete pod of a DaemonSet or a Job: a new pod (new name) on the same node, or for the same Job', () => {
    const ds = others.cluster.pods.find((p) => p.meta.name.startsWith('agent-') && p.spec.nodeName === 'node-2')!;
    const job = others.cluster.pods.find((p) => p.meta.name.startsWith('batch-'))!;
    const d = deleteControlledPods(others.state, others.cluster, [{ kind: 'Pod', namespace: 'default', name: ds.meta.name }, { kind: 'Pod', namespace: 'default', name: job.meta.name }]);
    expect(d.rest).toEqual([]);
    expect(d.state.replaced).toEqual([`default/${ds.meta.name}`, `default/${job.meta.name}`]);
    const s = withTerminating(others.state, others.cluster, d.state, desiredFromState(d.state).cluster, NOW);
    expect(s.going.map((p) => p.meta.name).sort()).toEqual([ds.meta.name, job.meta.name].sort());
    const fresh = s.cluster.pods.filter((p) => p.meta.deletionTimestamp === '' && !others.cluster.pods.some((b) => b.meta.name === p.meta.name));
    expect(fresh.map((p) => [p.meta.name.replace(/-[a-z0-9]{5}$/, ''), p.spec.nodeName || 'job']).sort()).toEqual([['agent', 'node-2'], ['batch', fresh.find((p) => p.meta.name.startsWith('batch-'))!.spec.nodeName]]);
  });

  it('a terminating pod the node never reports gone leaves 10 s after its deadline', () => {
    const one = running(web(1), three.state);
    const s = withTerminating(three.state, three.cluster, one.state, one.cluster, NOW);
    expect(overdueTerminating(s.cluster, NOW + 30_000)).toEqual([]);
    expect(overdueTerminating(s.cluster, NOW + 30_001)).toHaveLength(2);
  });

  it('KNET_ENDPOINT_LAG_MS: milliseconds from 0 to 10000, else refused with the reason', () => {
    expect(endpointLag({})).toEqual({ ms: 0 });
    expect(endpointLag({ KNET_ENDPOINT_LAG_MS: '1000' })).toEqual({ ms: 1000 });
    expect(endpointLag({ KNET_ENDPOINT_LAG_MS: '1s' })).toEqual({ error: 'KNET_ENDPOINT_LAG_MS="1s": milliseconds from 0 to 10000; using 0' });
    expect(endpointLag({ KNET_ENDPOINT_LAG_MS: '20000' })).toHaveProperty('error');
  });
});
