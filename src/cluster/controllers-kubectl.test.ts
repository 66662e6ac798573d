// Stock kubectl driving the controllers behind the API (the daemon's handler over loopback, no
// root): a StatefulSet made in order and `rollout status sts` waiting on it, `delete pod` of a
// StatefulSet's, DaemonSet's and Job's pod made again, `rollout undo` of a Deployment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from '../api/test-support/fake-backend.js';

const sts = (replicas: number) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: ${replicas}
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}
`;

const others = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: agent, ports: [{containerPort: 9100}]}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch, namespace: default}
spec:
  template:
    metadata: {labels: {app: batch}}
    spec: {restartPolicy: Never, containers: [{name: batch, image: batch, ports: [{containerPort: 7000}]}]}
`;

const web = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "${image}", ports: [{containerPort: 80}]}]}
`;

const names = (out: string): string[] => out.trim().split(/\s+/).filter(Boolean).sort();

describe.skipIf(kubectlSkipReason)('stock kubectl and the controllers: StatefulSet order, delete pod, rollout undo', () => {
  let api: LoopbackApi;
  let k: ReturnType<typeof kubectlAgainst>;
  beforeAll(async () => {
    api = await serveFakeApi();
    k = kubectlAgainst(api.url);
  });
  afterAll(async () => {
    k.close();
    await api.close();
  });
  const podNames = async (selector: string) =>
    names((await k.run(['get', 'pods', '-l', selector, '-o', 'jsonpath={.items[*].metadata.name}'])).out);

  it('OrderedReady: db-1 waits for db-0 to be Ready; kubectl rollout status sts/db waits, then completes', async () => {
    api.backend.setReady('default/db-0', false);
    const applied = await k.run(['apply', '-f', '-'], sts(3));
    expect(applied.err).toBe('');
    expect(await podNames('app=db')).toEqual(['db-0']);
    const waiting = await k.run(['rollout', 'status', 'sts/db', '--timeout=1s']);
    expect(waiting.out).toContain('Waiting for 3 pods to be ready...');
    expect(waiting.code).not.toBe(0);
    const status = await k.run(['get', 'sts', 'db', '-o', 'jsonpath={.status.replicas} {.status.readyReplicas} {.status.currentRevision}']);
    expect(status.out).toMatch(/^1 {2}db-\w+$/); // readyReplicas 0 is left out (omitempty)

    const done = k.run(['rollout', 'status', 'sts/db', '--timeout=20s']);
    setTimeout(() => api.backend.setReady('default/db-0', true), 300);
    const r = await done;
    expect(r.err).toBe('');
    expect(r.out).toMatch(/partitioned roll out complete: 3 new pods have been updated...\n$/);
    expect(await podNames('app=db')).toEqual(['db-0', 'db-1', 'db-2']);
    const events = await k.run(['get', 'events', '--field-selector', 'involvedObject.kind=StatefulSet', '-o', 'jsonpath={range .items[*]}{.reason} {.message}{"\\n"}{end}']);
    expect(events.out).toMatch(/SuccessfulCreate create Pod db-0 in StatefulSet db successful\nSuccessfulCreate create Pod db-1 in StatefulSet db successful\nSuccessfulCreate create Pod db-2 in StatefulSet db successful\n/);
  });

  it('kubectl scale sts/db --replicas=1: the highest ordinals go', async () => {
    const r = await k.run(['scale', 'sts/db', '--replicas=1']);
    expect(r.out).toBe('statefulset.apps/db scaled\n');
    expect(await podNames('app=db')).toEqual(['db-0']);
    await k.run(['scale', 'sts/db', '--replicas=2']);
    expect(await podNames('app=db')).toEqual(['db-0', 'db-1']);
  });

  it('a template change rolls db-1 then db-0, each once the pods are Ready; a partition keeps the ordinals below it old', async () => {
    const revisions = async () => (await k.run(['get', 'pods', '-l', 'app=db', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.labels.controller-revision-hash} {end}'])).out.trim().split(' ').sort();
    const before = await revisions();
    api.backend.setReady('default/db-1', false);
    const v2 = sts(2).replace('image: postgres', 'image: postgres:17').replace('serviceName: db', 'serviceName: db\n  updateStrategy: {rollingUpdate: {partition: 0}}');
    expect((await k.run(['apply', '-f', '-'], v2)).err).toBe('');
    // db-1 is not Ready: nothing is updated yet.
    expect(await revisions()).toEqual(before);
    const status = await k.run(['get', 'sts', 'db', '-o', 'jsonpath={.status.currentRevision} {.status.updateRevision} {.status.updatedReplicas}']);
    const [current, update] = status.out.split(' ');
    expect(current).not.toBe(update);
    api.backend.setReady('default/db-1', true);
    expect(await revisions()).toEqual([`db-0=${update}`, `db-1=${update}`]);
    const done = await k.run(['get', 'sts', 'db', '-o', 'jsonpath={.status.currentRevision} {.status.updateRevision} {.status.updatedReplicas} {.status.currentReplicas}']);
    expect(done.out).toBe(`${update} ${update} 2 2`);

    const v3 = v2.replace('postgres:17', 'postgres:18').replace('partition: 0', 'partition: 1');
    await k.run(['apply', '-f', '-'], v3);
    const after = await revisions();
    expect(after[0]).toBe(`db-0=${update}`); // below the partition: the old revision
    expect(after[1]).not.toBe(`db-1=${update}`);
    const r = await k.run(['rollout', 'status', 'sts/db', '--timeout=10s']);
    expect(r.out).toContain('partitioned roll out complete: 1 new pods have been updated...');
  });

  it('kubectl delete pod db-1: made again under its name, with a new uid', async () => {
    const uid = (await k.run(['get', 'pod', 'db-1', '-o', 'jsonpath={.metadata.uid}'])).out;
    const r = await k.run(['delete', 'pod', 'db-1', '--timeout=20s']);
    expect(r.err).toBe('');
    expect(r.out).toBe('pod "db-1" deleted\n');
    expect(await podNames('app=db')).toEqual(['db-0', 'db-1']);
    const again = (await k.run(['get', 'pod', 'db-1', '-o', 'jsonpath={.metadata.uid}'])).out;
    expect(again).not.toBe('');
    expect(again).not.toBe(uid);
  });

  it('kubectl delete pod of a DaemonSet and of a Job: a new pod (a new name) takes its place', async () => {
    await k.run(['apply', '-f', '-'], others);
    const agents = await podNames('app=agent');
    const [job] = await podNames('app=batch');
    const node = (await k.run(['get', 'pod', agents[0]!, '-o', 'jsonpath={.spec.nodeName}'])).out;
    const r = await k.run(['delete', 'pod', agents[0]!, job!, '--timeout=20s']);
    expect(r.err).toBe('');
    const nowAgents = await podNames('app=agent');
    expect(nowAgents).toHaveLength(agents.length);
    const fresh = nowAgents.filter((n) => !agents.includes(n));
    expect(fresh).toHaveLength(1);
    expect((await k.run(['get', 'pod', fresh[0]!, '-o', 'jsonpath={.spec.nodeName}'])).out).toBe(node);
    const jobs = await podNames('app=batch');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).not.toBe(job);
    expect(jobs[0]).toMatch(/^batch-\w{5}$/);
  });

  it('kubectl rollout undo deploy/web (and --to-revision): the old template back, under the next revision', async () => {
    await k.run(['apply', '-f', '-'], web('nginx:1'));
    await k.run(['apply', '-f', '-'], web('nginx:2'));
    const image = async () => (await k.run(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).out;
    expect(await image()).toBe('nginx:2 2');
    const undo = await k.run(['rollout', 'undo', 'deploy/web']);
    expect(undo.err).toBe('');
    expect(undo.out).toBe('deployment.apps/web rolled back\n');
    expect(await image()).toBe('nginx:1 3');
    const history = await k.run(['rollout', 'history', 'deploy/web']);
    expect(history.out).toMatch(/REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/);
    const to = await k.run(['rollout', 'undo', 'deploy/web', '--to-revision=2']);
    expect(to.err).toBe('');
    expect(await image()).toBe('nginx:2 4');
    const missing = await k.run(['rollout', 'undo', 'deploy/web', '--to-revision=9']);
    expect(missing.err).toContain('unable to find specified revision 9 in history');
  });
});
