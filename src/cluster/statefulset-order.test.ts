import { describe, expect, it } from 'vitest';
import { fillIn, type Cluster } from './fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import type { Pod, Workload } from '../model/types.js';
import { holdOrdinal, ordinalsOf, stepStatefulSet, stepStatefulSets, type StatefulSetProgresses } from './statefulset-order.js';

const sts = (replicas: number, policy = ''): string => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: default}
spec:
  replicas: ${replicas}
  serviceName: web${policy ? `\n  podManagementPolicy: ${policy}` : ''}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: agnhost, ports: [{containerPort: 8080}]}]}
`;

function cluster(text: string, statefulSets: StatefulSetProgresses = {}): Cluster {
  const inv = decodeObjects(parseText('web.yaml', text).objects).inventory;
  return fillIn({ ...inv, statefulSets }).cluster;
}

const setOf = (c: Cluster): Workload => c.workloads.find((w) => w.kind === 'StatefulSet')!;
const podsOf = (c: Cluster): Pod[] => c.pods.filter((p) => p.meta.name.startsWith('web-'));
/** The pods with Ready as given per ordinal (missing: Ready), or terminating. */
const as = (pods: readonly Pod[], ready: Record<number, boolean | 'terminating'> = {}): Pod[] => pods.map((p) => {
  const i = Number(p.meta.name.slice(4));
  const r = ready[i] ?? true;
  return r === 'terminating'
    ? { ...p, meta: { ...p.meta, deletionTimestamp: '2026-01-01T00:00:30Z' } }
    : { ...p, status: { ...p.status, phase: 'Running', ready: r } };
});

describe('StatefulSet ordering (podManagementPolicy)', () => {
  it('Predict (no progress): every replica, web-0..web-2', () => {
    expect(podsOf(cluster(sts(3))).map((p) => p.meta.name)).toEqual(['web-0', 'web-1', 'web-2']);
  });

  it('OrderedReady: a new StatefulSet starts with web-0 only', () => {
    const step = stepStatefulSet(setOf(cluster(sts(3))), [], undefined);
    expect(step).toEqual({ kind: 'moved', progress: { made: 1 }, line: 'statefulset default/web: creating web-0 (1 of 3)' });
    if (step.kind === 'moved') expect(podsOf(cluster(sts(3), { 'default/web': step.progress! })).map((p) => p.meta.name)).toEqual(['web-0']);
  });

  it('OrderedReady: web-1 only once web-0 is Running and Ready', () => {
    const c = cluster(sts(3), { 'default/web': { made: 1 } });
    expect(stepStatefulSet(setOf(c), as(podsOf(c), { 0: false }), { made: 1 })).toEqual({
      kind: 'waiting', line: 'statefulset default/web: waiting for web-0 to be Running and Ready before creating web-1',
    });
    expect(stepStatefulSet(setOf(c), as(podsOf(c)), { made: 1 })).toMatchObject({ kind: 'moved', progress: { made: 2 } });
  });

  it('OrderedReady: the last pod made settles it (no progress kept)', () => {
    const c = cluster(sts(3), { 'default/web': { made: 2 } });
    expect(stepStatefulSet(setOf(c), as(podsOf(c)), { made: 2 })).toEqual({ kind: 'moved', progress: null, line: 'statefulset default/web: creating web-2 (3 of 3)' });
  });

  it('scale up 3 -> 5 starts from the pods that run (web-3 next)', () => {
    const before = cluster(sts(3));
    const step = stepStatefulSet(setOf(cluster(sts(5))), as(podsOf(before)), undefined);
    expect(step).toMatchObject({ kind: 'moved', progress: { made: 4 } });
  });

  it('scale down 3 -> 1: the highest ordinal first, the next once it is gone', () => {
    const before = cluster(sts(3));
    const one = setOf(cluster(sts(1)));
    const first = stepStatefulSet(one, as(podsOf(before)), undefined);
    expect(first).toEqual({ kind: 'moved', progress: { made: 2 }, line: 'statefulset default/web: deleting web-2 (2 left, 1 wanted)' });
    // web-2 is still terminating: web-1 stays.
    expect(stepStatefulSet(one, as(podsOf(before), { 2: 'terminating' }), { made: 2 })).toEqual({ kind: 'waiting', line: 'statefulset default/web: waiting for web-2 to terminate' });
    const gone = as(podsOf(before)).filter((p) => p.meta.name !== 'web-2');
    expect(stepStatefulSet(one, gone, { made: 2 })).toMatchObject({ kind: 'moved', progress: null });
  });

  it('Parallel: every pod at once, up and down', () => {
    expect(stepStatefulSet(setOf(cluster(sts(3, 'Parallel'))), [], undefined)).toMatchObject({ kind: 'moved', progress: null });
    const before = cluster(sts(3, 'Parallel'));
    expect(stepStatefulSet(setOf(cluster(sts(1, 'Parallel'))), as(podsOf(before)), undefined)).toMatchObject({ kind: 'moved', progress: null });
  });

  it('a deleted pod is held while it terminates, then made again under its name', () => {
    const c = cluster(sts(3));
    const held = holdOrdinal(setOf(c), undefined, 1);
    expect(ordinalsOf(setOf(c), held)).toEqual([0, 2]);
    expect(stepStatefulSet(setOf(c), as(podsOf(c), { 1: 'terminating' }), held)).toEqual({ kind: 'steady' });
    const gone = as(podsOf(c)).filter((p) => p.meta.name !== 'web-1');
    expect(stepStatefulSet(setOf(c), gone, held)).toEqual({ kind: 'moved', progress: null, line: 'statefulset default/web: making web-1 again (3 of 3)' });
  });

  it('every StatefulSet at once; a deleted StatefulSet leaves no progress behind', () => {
    const c = cluster(sts(3), { 'default/web': { made: 1 } });
    const step = stepStatefulSets(c.workloads, as(podsOf(c)), { 'default/web': { made: 1 }, 'default/gone': { made: 2 } });
    expect(step.progresses).toEqual({ 'default/web': { made: 2 } });
    expect(step.moved).toBe(true);
    const steady = stepStatefulSets(cluster(sts(3)).workloads, as(podsOf(cluster(sts(3)))), {});
    expect(steady).toEqual({ progresses: {}, lines: [], moved: false, released: [] });
  });

  it('rolling update: the highest ordinal at the old revision first, once every pod is Running and Ready; the partition stays old', () => {
    const c = cluster(sts(3).replace('serviceName: web', 'serviceName: web\n  updateStrategy: {rollingUpdate: {partition: 1}}'));
    const set = setOf(c);
    const rolling = { old: [0, 1, 2] };
    expect(stepStatefulSet(set, as(podsOf(c), { 0: false }), rolling)).toEqual({
      kind: 'waiting', line: 'statefulset default/web: waiting for web-0 to be Running and Ready before updating web-2',
    });
    expect(stepStatefulSet(set, as(podsOf(c)), rolling)).toMatchObject({ kind: 'moved', progress: { old: [0, 1] }, released: ['default/web-2'] });
    expect(stepStatefulSet(set, as(podsOf(c)), { old: [0, 1] })).toMatchObject({ kind: 'moved', progress: { old: [0] }, released: ['default/web-1'] });
    // web-0 is below the partition: it keeps the old revision.
    expect(stepStatefulSet(set, as(podsOf(c)), { old: [0] })).toEqual({ kind: 'steady' });
  });
});
