import { describe, expect, it } from 'vitest';
import { fillIn, type Cluster } from './fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { withReadiness, type ReportedPod } from './readiness.js';
import { toWire } from './wire.js';
import type { Workload } from '../model/types.js';
import { withWorkloadStatus } from './workload-status.js';

function cluster(yaml: string): Cluster {
  return fillIn(decodeObjects(parseText('w.yaml', yaml).objects).inventory).cluster;
}

const tpl = (app: string, probe = false) => `
  selector: {matchLabels: {app: ${app}}}
  template:
    metadata: {labels: {app: ${app}}}
    spec: {containers: [{name: c, image: nginx${probe ? ', readinessProbe: {tcpSocket: {port: 80}}' : ''}}]}`;

const deployment = (replicas: number, strategy = '', probe = true) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: ${replicas}${strategy}${tpl('web', probe)}
`;

/** The running cluster with the pods of `app` Ready as the kubelets report: the first `n` Ready. */
function reported(c: Cluster, n: number): Cluster {
  const pods = c.pods.filter((p) => p.meta.namespace === 'default');
  const map = new Map<string, ReportedPod>(pods.map((p, i) => [`${p.meta.namespace}/${p.meta.name}`, { ready: i < n, restarts: 0 }]));
  return withReadiness(c, map);
}

const status = (c: Cluster, kind: string, name: string): Record<string, unknown> => {
  const w = c.workloads.find((x) => x.kind === kind && x.meta.name === name && x.meta.namespace === 'default') as Workload;
  return toWire(w)['status'] as Record<string, unknown>;
};

const conditions = (s: Record<string, unknown>) => (s['conditions'] as Record<string, string>[]).map((c) => `${c.type}=${c.status} ${c.reason}`);

describe('workload status as the controllers write it, from the pods Ready', () => {
  it('Deployment, every pod Ready -> Available (MinimumReplicasAvailable), Progressing (NewReplicaSetAvailable): rollout status succeeds', () => {
    const c = reported(cluster(deployment(3)), 3);
    const s = status(c, 'Deployment', 'web');
    expect(s).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(s['unavailableReplicas']).toBeUndefined();
    expect(conditions(s)).toEqual(['Available=True MinimumReplicasAvailable', 'Progressing=True NewReplicaSetAvailable']);
  });

  it('Deployment, 2 of 4 Ready with maxUnavailable 25% -> MinimumReplicasUnavailable, still progressing, 2 unavailable', () => {
    const c = reported(cluster(deployment(4)), 2);
    const s = status(c, 'Deployment', 'web');
    expect(s).toMatchObject({ replicas: 4, updatedReplicas: 4, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 2 });
    expect(conditions(s)).toEqual(['Available=False MinimumReplicasUnavailable', 'Progressing=True ReplicaSetUpdated']);
  });

  it('Deployment, 3 of 4 Ready: 25% of 4 may be missing -> Available', () => {
    expect(conditions(status(reported(cluster(deployment(4)), 3), 'Deployment', 'web'))[0]).toBe('Available=True MinimumReplicasAvailable');
  });

  it('a Deployment as served: the API server\'s spec defaults where the input leaves them out, its own values kept', () => {
    const spec = (text: string) => toWire(cluster(text).workloads.find((w) => w.kind === 'Deployment' && w.meta.name === 'web')!)['spec'] as Record<string, unknown>;
    expect(spec(deployment(3))).toMatchObject({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
    expect(spec(deployment(3, '\n  revisionHistoryLimit: 2\n  strategy: {type: Recreate}'))).toMatchObject({ strategy: { type: 'Recreate' }, revisionHistoryLimit: 2 });
    expect((spec(deployment(3, '\n  strategy: {type: Recreate}'))['strategy'] as Record<string, unknown>)['rollingUpdate']).toBeUndefined();
  });

  it('the ReplicaSet counts its pods; no pod Ready -> readyReplicas left out (omitempty)', () => {
    const c = reported(cluster(deployment(2)), 0);
    const rs = c.workloads.find((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default')!;
    const s = status(c, 'ReplicaSet', rs.meta.name);
    expect(s).toEqual({ observedGeneration: 1, replicas: 2, fullyLabeledReplicas: 2 });
    expect(status(reported(c, 1), 'ReplicaSet', rs.meta.name)).toMatchObject({ readyReplicas: 1, availableReplicas: 1 });
  });

  it('a generated ReplicaSet: <deploy>-<hash>, pod-template-hash label, revision 1, desired/max replicas, owner with the uid', () => {
    const c = cluster(deployment(4));
    const d = c.workloads.find((w) => w.kind === 'Deployment' && w.meta.name === 'web')!;
    const rs = toWire(c.workloads.find((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default')!);
    const meta = rs['metadata'] as Record<string, Record<string, unknown>>;
    expect(String(meta['name'])).toMatch(/^web-[a-z0-9]+$/);
    expect(String(meta['name'])).toBe(`web-${meta['labels']!['pod-template-hash']}`);
    expect(meta['annotations']).toEqual({ 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5', 'deployment.kubernetes.io/revision': '1' });
    expect(meta['ownerReferences']).toEqual([{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'Deployment', name: 'web', uid: d.meta.uid }]);
    expect(((toWire(d)['metadata'] as Record<string, Record<string, string>>)['annotations']!)['deployment.kubernetes.io/revision']).toBe('1');
  });

  it('StatefulSet: ready, current and updated replicas, one revision for current and update', () => {
    const c = reported(cluster(`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  serviceName: db
  replicas: 3${tpl('db', true)}
`), 2);
    const s = status(c, 'StatefulSet', 'db');
    expect(s).toMatchObject({ observedGeneration: 1, replicas: 3, readyReplicas: 2, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 2 });
    expect(s['currentRevision']).toMatch(/^db-/);
    expect(s['updateRevision']).toBe(s['currentRevision']);
  });

  it('DaemonSet: one pod per node, every count written (zeros too)', () => {
    const c = reported(cluster(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:${tpl('agent', true)}
`), 0);
    const nodes = c.nodes.length;
    expect(status(c, 'DaemonSet', 'agent')).toEqual({
      observedGeneration: 1, currentNumberScheduled: nodes, desiredNumberScheduled: nodes, numberMisscheduled: 0,
      numberReady: 0, updatedNumberScheduled: nodes, numberAvailable: 0, numberUnavailable: nodes,
    });
  });

  it('Job: running pods are active; all its pods Succeeded -> Complete', () => {
    const job = cluster(`apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  template:
    metadata: {labels: {app: once}}
    spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
`);
    expect(status(job, 'Job', 'once')).toMatchObject({ active: 1, startTime: '2026-01-01T00:00:00Z' });
    expect(status(job, 'Job', 'once')['conditions']).toBeUndefined();
    const done: Cluster = { ...job, pods: job.pods.map((p) => (p.meta.labels['job-name'] === 'once' ? { ...p, status: { ...p.status, phase: 'Succeeded', ready: false } } : p)) };
    const s = status(withWorkloadStatus(done), 'Job', 'once');
    expect(s).toMatchObject({ succeeded: 1, completionTime: '2026-01-01T00:00:00Z' });
    expect(s['active']).toBeUndefined();
    expect(conditions(s)).toContain('Complete=True CompletionsReached');
  });
});
