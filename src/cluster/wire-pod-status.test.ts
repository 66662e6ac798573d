import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/test-support/fake-backend.js';
import { toWire } from './wire.js';

type Json = Record<string, unknown>;

async function podsOf(yaml: string): Promise<Json[]> {
  const b = new FakeBackend('knet-wire', 1);
  const r = await b.apply([{ name: 'x.yaml', text: yaml }]);
  expect(r.outcome.issues.filter((i) => i.severity === 'error')).toEqual([]);
  return b.observed.pods.filter((p) => p.meta.namespace === 'default').map((p) => toWire(p));
}

describe('a pod\'s wire status carries kubelet\'s containerStatuses, as kubectl get pods reads them', () => {
  it('a scheduled, running, ready pod: one status per container, running and ready', async () => {
    const [pod] = await podsOf('apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\nspec: {containers: [{name: app, image: nginx}, {name: log, image: busybox}]}\nstatus: {phase: Running, conditions: [{type: Ready, status: "True"}]}\n');
    const statuses = (pod!['status'] as Json)['containerStatuses'] as Json[];
    expect(statuses.map((s) => [s['name'], s['image'], s['ready'], Object.keys(s['state'] as Json)[0]])).toEqual([
      ['app', 'nginx', true, 'running'], ['log', 'busybox', true, 'running'],
    ]);
  });

  it('a pod whose status says it finished: terminated, Completed', async () => {
    const [pod] = await podsOf('apiVersion: v1\nkind: Pod\nmetadata: {name: job, namespace: default}\nspec: {containers: [{name: app, image: busybox}]}\nstatus: {phase: Succeeded}\n');
    expect(((pod!['status'] as Json)['containerStatuses'] as Json[])[0]!['state']).toMatchObject({ terminated: { exitCode: 0, reason: 'Completed' } });
  });

  it('statuses written in the input are kept as written', async () => {
    const [pod] = await podsOf('apiVersion: v1\nkind: Pod\nmetadata: {name: w, namespace: default}\nspec: {containers: [{name: app, image: nginx}]}\nstatus: {phase: Running, containerStatuses: [{name: app, ready: false, restartCount: 5, state: {waiting: {reason: CrashLoopBackOff}}}]}\n');
    expect(((pod!['status'] as Json)['containerStatuses'] as Json[])[0]).toMatchObject({ restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } } });
  });
});
