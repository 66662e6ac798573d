import { describe, expect, it } from 'vitest';
import { decodeObjects } from '../model/load.js';
import type { RawObject } from '../model/source.js';
import { fill, pod, problems } from './test-support/cluster.js';
import { fillIn } from './fill-in.js';
import { withReadiness } from './readiness.js';
import { gracePeriodOf, podsToTerminate, terminatingWire, terminationOverdue } from './termination.js';

/** Two pods of `app: web` behind Service web; `a` as given (a dump's status and metadata). */
function cluster(aMeta = '', aReady = 'True', svcExtra = ''): ReturnType<typeof fill> {
  const p = (name: string, ip: string, meta: string, ready: string) => `
    apiVersion: v1
    kind: Pod
    metadata: {name: ${name}, namespace: default, labels: {app: web}${meta}}
    spec:
      nodeName: node-1
      terminationGracePeriodSeconds: 10
      containers: [{name: web, image: agnhost, ports: [{containerPort: 8080}]}]
    status: {phase: Running, podIP: ${ip}, conditions: [{type: Ready, status: "${ready}"}]}
    ---`;
  return fill(`${p('a', '10.244.0.5', aMeta, aReady)}${p('b', '10.244.0.6', '', 'True')}
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: default}
    spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]${svcExtra}}
  `);
}

const conditionsOf = (c: ReturnType<typeof fill>['cluster'], ip: string) =>
  c.endpointSlices.flatMap((s) => s.endpoints).find((e) => e.addresses[0] === ip)?.conditions;

describe('a terminating pod\'s endpoint (EndpointSlice controller)', () => {
  const CASES: { rule: string; meta: string; ready: string; svc?: string; want: { ready: boolean; serving: boolean; terminating: boolean } }[] = [
    { rule: 'running and Ready: ready, serving, not terminating', meta: '', ready: 'True', want: { ready: true, serving: true, terminating: false } },
    { rule: 'deleted while still passing readiness: not ready, serving, terminating',
      meta: ', deletionTimestamp: "2026-01-01T00:00:30Z", deletionGracePeriodSeconds: 30', ready: 'True', want: { ready: false, serving: true, terminating: true } },
    { rule: 'deleted and no longer passing readiness: not ready, not serving, terminating',
      meta: ', deletionTimestamp: "2026-01-01T00:00:30Z"', ready: 'False', want: { ready: false, serving: false, terminating: true } },
    { rule: 'publishNotReadyAddresses keeps a terminating endpoint ready',
      meta: ', deletionTimestamp: "2026-01-01T00:00:30Z"', ready: 'True', svc: ', publishNotReadyAddresses: true', want: { ready: true, serving: true, terminating: true } },
  ];
  for (const c of CASES) {
    it(c.rule, () => {
      const { cluster: cl, issues } = cluster(c.meta, c.ready, c.svc);
      expect(problems(issues)).toEqual([]);
      expect(conditionsOf(cl, '10.244.0.5')).toEqual(c.want);
      expect(conditionsOf(cl, '10.244.0.6')).toEqual({ ready: true, serving: true, terminating: false });
    });
  }
  it('the kubelet\'s report moves serving, never ready, while the pod terminates', () => {
    const { cluster: cl } = cluster(', deletionTimestamp: "2026-01-01T00:00:30Z"');
    const stopped = withReadiness(cl, new Map([['default/a', { ready: false, restarts: 0 }]]));
    expect(conditionsOf(stopped, '10.244.0.5')).toEqual({ ready: false, serving: false, terminating: true });
  });
});

describe('graceful deletion', () => {
  const { cluster: before } = cluster();
  const a = pod(before, 'default', 'a');

  it('a pod the change removes terminates; pods that stay, or already terminate, do not', () => {
    const after = { ...before, pods: before.pods.filter((p) => p.meta.name !== 'a') };
    expect(podsToTerminate(before, after).map((p) => p.meta.name)).toEqual(['a']);
    expect(podsToTerminate(before, before)).toEqual([]);
    const { cluster: gone } = cluster(', deletionTimestamp: "2026-01-01T00:00:30Z"');
    expect(podsToTerminate(gone, { ...gone, pods: gone.pods.filter((p) => p.meta.name !== 'a') })).toEqual([]);
  });

  it('deletionTimestamp is now + the pod\'s grace period; the pod reads back as Terminating with its address', () => {
    expect(gracePeriodOf(a)).toBe(10);
    const wire = terminatingWire(a, Date.parse('2026-01-01T00:00:00.400Z'));
    expect(wire['metadata']).toMatchObject({ name: 'a', deletionTimestamp: '2026-01-01T00:00:10Z', deletionGracePeriodSeconds: 10 });
    const raw: RawObject = { file: 't.yaml', value: wire, locate: () => ({ file: 't.yaml', line: 1, col: 1 }) };
    const back = fillIn(decodeObjects([raw]).inventory).cluster.pods.find((p) => p.meta.name === 'a')!;
    expect(back.meta.deletionTimestamp).toBe('2026-01-01T00:00:10Z');
    expect(back.status.podIPs).toEqual(['10.244.0.5']);
    expect(gracePeriodOf(back)).toBe(10);
  });

  it('the control plane stops waiting for the node 10 s after the deadline', () => {
    const { cluster: gone } = cluster(', deletionTimestamp: "2026-01-01T00:00:30Z"');
    const t = pod(gone, 'default', 'a');
    expect(terminationOverdue(t, Date.parse('2026-01-01T00:00:40Z'))).toBe(false);
    expect(terminationOverdue(t, Date.parse('2026-01-01T00:00:40.001Z'))).toBe(true);
    expect(terminationOverdue(a, Date.now())).toBe(false);
  });
});
