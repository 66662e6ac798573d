import { describe, expect, it } from 'vitest';
import { fillIn, type Cluster } from './fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { clusterEvents, type EventDraft } from './events.js';
import { EventLog } from './events-log.js';
import { withReadiness } from './readiness.js';
import { podsToRetire, RETIRING_ANNOTATION } from './rollout.js';
import type { Pod } from '../model/types.js';

const deployment = (replicas: number, image = 'nginx:1', probe = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "${image}"${probe}}]}
`;

function cluster(...texts: string[]): Cluster {
  return fillIn(decodeObjects(parseText('w.yaml', texts.join('---\n')).objects).inventory).cluster;
}

/** Events as `kubectl get events` prints them: TYPE REASON OBJECT MESSAGE. */
const lines = (events: readonly EventDraft[], ns = 'default') => events.filter((e) => e.involved.namespace === ns)
  .map((e) => `${e.type} ${e.reason} ${e.involved.kind.toLowerCase()}/${e.involved.name}${e.involved.fieldPath ? ` ${e.involved.fieldPath}` : ''} (${e.component}) ${e.message}`);

const empty = cluster();

describe('core/v1 Events from a change, as the controllers and kubelets record them', () => {
  it('a new Deployment: scaled up, pods created, scheduled, started', () => {
    const after = cluster(deployment(2));
    const rs = after.workloads.find((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default')!.meta.name;
    const pods = after.pods.filter((p) => p.meta.namespace === 'default').map((p) => p.meta.name).sort();
    const out = lines(clusterEvents(empty, after));
    expect(out.slice(0, 3)).toEqual([
      `Normal ScalingReplicaSet deployment/web (deployment-controller) Scaled up replica set ${rs} to 2 from 0`,
      `Normal SuccessfulCreate replicaset/${rs} (replicaset-controller) Created pod: ${pods[0]}`,
      `Normal SuccessfulCreate replicaset/${rs} (replicaset-controller) Created pod: ${pods[1]}`,
    ]);
    const p = after.pods.find((x) => x.meta.name === pods[0])!;
    expect(out).toContain(`Normal Scheduled pod/${p.meta.name} (default-scheduler) Successfully assigned default/${p.meta.name} to ${p.spec.nodeName}`);
    expect(out).toContain(`Normal Pulled pod/${p.meta.name} spec.containers{web} (kubelet) Container image "nginx:1" already present on machine`);
    expect(out).toContain(`Normal Created pod/${p.meta.name} spec.containers{web} (kubelet) Created container: web`);
    expect(out).toContain(`Normal Started pod/${p.meta.name} spec.containers{web} (kubelet) Started container web`);
  });

  it('a scale-up from 2 to 3: one ScalingReplicaSet and one SuccessfulCreate, nothing for the pods already there', () => {
    const before = cluster(deployment(2));
    const after = cluster(deployment(3));
    const out = lines(clusterEvents(before, after));
    expect(out.filter((l) => /ScalingReplicaSet|SuccessfulCreate|SuccessfulDelete/.test(l))).toHaveLength(2);
    expect(out[0]).toMatch(/^Normal ScalingReplicaSet deployment\/web \(deployment-controller\) Scaled up replica set web-\w+ to 3 from 2$/);
    expect(out.filter((l) => l.includes(' Scheduled '))).toHaveLength(1);
  });

  it('a rollout: the new ReplicaSet scaled up, the old one scaled down as its pods retire', () => {
    const v1 = cluster(deployment(2, 'nginx:1'));
    const v2 = cluster(deployment(2, 'nginx:2'));
    const retiring = podsToRetire(v1, v2).map((p): Pod => ({ ...p, meta: { ...p.meta, annotations: { ...p.meta.annotations, [RETIRING_ANNOTATION]: 'default/web' } } }));
    const rolling: Cluster = { ...v2, pods: [...retiring, ...v2.pods] };
    const newRs = v2.workloads.find((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default')!.meta.name;
    const oldRs = v1.workloads.find((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default')!.meta.name;
    expect(lines(clusterEvents(v1, rolling)).filter((l) => l.includes('ScalingReplicaSet'))).toEqual([
      `Normal ScalingReplicaSet deployment/web (deployment-controller) Scaled up replica set ${newRs} to 2 from 0`,
    ]);
    const oneLeft: Cluster = { ...v2, pods: [retiring[0]!, ...v2.pods] };
    const out = lines(clusterEvents(rolling, oneLeft));
    expect(out).toEqual([
      `Normal ScalingReplicaSet deployment/web (deployment-controller) Scaled down replica set ${oldRs} to 1 from 2`,
      `Normal SuccessfulDelete replicaset/${oldRs} (replicaset-controller) Deleted pod: ${retiring[1]!.meta.name}`,
    ]);
  });

  it('a readiness probe failing: Warning Unhealthy with the probe output from the kubelet', () => {
    const probe = ', readinessProbe: {httpGet: {path: /healthz, port: 80}}';
    const c = cluster(deployment(1, 'nginx:1', probe));
    const pod = c.pods.find((p) => p.meta.namespace === 'default')!;
    const ref = `default/${pod.meta.name}`;
    const ready = withReadiness(c, new Map([[ref, { ready: true, restarts: 0 }]]));
    const failing = withReadiness(c, new Map([[ref, { ready: false, restarts: 0 }]]));
    expect(lines(clusterEvents(ready, failing, [{ pod: ref, container: 'web', probe: 'readiness', output: 'HTTP probe failed with statuscode: 503' }]))).toEqual([
      `Warning Unhealthy pod/${pod.meta.name} spec.containers{web} (kubelet) Readiness probe failed: HTTP probe failed with statuscode: 503`,
    ]);
    expect(lines(clusterEvents(ready, failing))).toEqual([`Warning Unhealthy pod/${pod.meta.name} spec.containers{web} (kubelet) Readiness probe failed:`]);
  });

  it('a restart without a liveness probe: Warning BackOff, then the container starts again', () => {
    const c = cluster(deployment(1));
    const pod = c.pods.find((p) => p.meta.namespace === 'default')!;
    const after = withReadiness(c, new Map([[`default/${pod.meta.name}`, { ready: true, restarts: 1 }]]));
    expect(lines(clusterEvents(c, after)).map((l) => l.split(' ')[1])).toEqual(['BackOff', 'Pulled', 'Created', 'Started']);
  });

  it('a deleted pod: Killing, "Stopping container"', () => {
    const c = cluster(deployment(1));
    const after: Cluster = { ...c, pods: c.pods.map((p) => (p.meta.namespace === 'default' ? { ...p, meta: { ...p.meta, deletionTimestamp: '2026-01-01T00:00:30Z' } } : p)) };
    expect(lines(clusterEvents(c, after)).filter((l) => l.includes('Killing'))).toEqual([expect.stringMatching(/^Normal Killing pod\/web-\w+-\w+ spec.containers\{web\} \(kubelet\) Stopping container web$/)]);
  });

  it('a Certificate: Issuing and Generated when it appears; Issuing (issued) when it turns Ready (the rest: cert-manager-events.test.ts)', () => {
    const cert = (ready: string) => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: site, namespace: default}
spec: {secretName: site-tls, dnsNames: [a.example], issuerRef: {name: le, kind: ClusterIssuer}}
${ready}`;
    const pending = cluster(cert(''));
    const issued = cluster(cert('status: {conditions: [{type: Ready, status: "True"}]}\n'));
    expect(lines(clusterEvents(empty, pending)).map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual([
      'Normal Issuing certificate/site (cert-manager-certificates-trigger)',
      'Normal Generated certificate/site (cert-manager-certificates-key-manager)',
    ]);
    expect(lines(clusterEvents(pending, issued))).toEqual(['Normal Issuing certificate/site (cert-manager-certificates-issuing) The certificate has been successfully issued']);
  });
});

describe('the event log', () => {
  const draft: EventDraft = { involved: { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1' }, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed:', component: 'kubelet', host: 'node-1' };
  it('a repeated event is one Event with its count raised and lastTimestamp moved; it moves to the end', () => {
    const log = new EventLog();
    const other = { ...draft, reason: 'Started', type: 'Normal' as const, message: 'Started container web' };
    log.record([draft, other], new Date('2026-01-01T00:00:00Z'));
    log.record([draft], new Date('2026-01-01T00:00:10Z'));
    const [first, second] = log.list();
    expect(first!.reason).toBe('Started');
    expect(second).toMatchObject({
      apiVersion: 'v1', kind: 'Event', count: 2, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:00:10Z',
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1' },
      source: { component: 'kubelet', host: 'node-1' }, reportingComponent: 'kubelet', reportingInstance: 'node-1', type: 'Warning',
    });
    expect(second!.metadata.name).toMatch(/^web-1\.[0-9a-f]{16}$/);
    expect(first!.metadata.name).not.toBe(second!.metadata.name);
  });
  it('keeps only the newest max events', () => {
    const log = new EventLog(2);
    log.record([1, 2, 3].map((i) => ({ ...draft, message: `m${i}` })), new Date(0));
    expect(log.list().map((e) => e.message)).toEqual(['m2', 'm3']);
  });
});
