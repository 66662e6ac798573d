import { describe, expect, it } from 'vitest';
import { fillIn, type Cluster } from './fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { newReplicasAllowed, podsToRetire, resolveRollingUpdate, RETIRING_ANNOTATION, rolloutStep } from './rollout.js';
import type { Pod, Workload } from '../model/types.js';

function cluster(version: string, strategy = ''): Cluster {
  const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 4${strategy}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {version: "${version}"}}
    spec: {containers: [{name: web, image: agnhost, ports: [{containerPort: 8080}]}]}
`;
  return fillIn(decodeObjects(parseText('web.yaml', text).objects).inventory).cluster;
}

const ref = (p: Pod): string => `${p.meta.namespace}/${p.meta.name}`;

/** v2's cluster with v1's pods beside it as retiring pods, Ready as given. */
function rolling(oldReady: boolean[], newReady: boolean[], strategy = ''): { c: Cluster; retiring: Set<string> } {
  const v1 = cluster('1', strategy);
  const v2 = cluster('2', strategy);
  const old = podsToRetire(v1, v2).map((p, i): Pod => ({
    ...p, meta: { ...p.meta, annotations: { ...p.meta.annotations, [RETIRING_ANNOTATION]: 'default/web' } }, status: { ...p.status, ready: oldReady[i] ?? true },
  }));
  let k = 0;
  const fresh = v2.pods.map((p): Pod => (p.meta.labels['app'] === 'web' ? { ...p, status: { ...p.status, ready: newReady[k++] ?? false } } : p));
  return { c: { ...v2, pods: [...old, ...fresh] }, retiring: new Set(old.map(ref)) };
}

describe('rolling update gated on readiness', () => {
  it('a changed template retires the old pods; an unchanged one or Recreate does not', () => {
    expect(podsToRetire(cluster('1'), cluster('2'))).toHaveLength(4);
    expect(podsToRetire(cluster('1'), cluster('1'))).toHaveLength(0);
    const recreate = '\n  strategy: {type: Recreate}';
    expect(podsToRetire(cluster('1', recreate), cluster('2', recreate))).toHaveLength(0);
  });

  it('a scale-down retires nothing: the ReplicaSet deletes the pods it no longer wants', () => {
    const four = cluster('1');
    const two = { ...four, pods: four.pods.filter((p) => p.meta.labels['app'] !== 'web' || four.pods.filter((q) => q.meta.labels['app'] === 'web').indexOf(p) < 2) };
    expect(podsToRetire(four, two)).toEqual([]);
  });

  it('no new pod Ready: old pods go only down to replicas - maxUnavailable (25% of 4 = 1)', () => {
    const { c, retiring } = rolling([true, true, true, true], [false, false, false, false]);
    const step = rolloutStep(c, retiring);
    expect(step.retire).toHaveLength(1);
    expect(step.progress).toEqual(['deployment default/web: 0 of 4 new pods ready, 3 old pods still serving']);
  });

  it('two new pods Ready: three old pods may go; all new Ready: every old pod goes', () => {
    expect(rolloutStep(...Object.values(rolling([true, true, true, true], [true, true, false, false])) as [Cluster, Set<string>]).retire).toHaveLength(3);
    expect(rolloutStep(...Object.values(rolling([true, true, true, true], [true, true, true, true])) as [Cluster, Set<string>]).retire).toHaveLength(4);
  });

  it('old pods that are not Ready go first; maxUnavailable 0 keeps every Ready old pod until new ones are Ready', () => {
    const strict = '\n  strategy: {rollingUpdate: {maxUnavailable: 0}}';
    const { c, retiring } = rolling([false, true, true, true], [false, false, false, false], strict);
    const step = rolloutStep(c, retiring);
    expect(step.retire).toHaveLength(1);
    expect(c.pods.find((p) => ref(p) === step.retire[0])?.status.ready).toBe(false);
  });
});

describe('maxSurge and maxUnavailable as the deployment controller resolves them', () => {
  const deployment = (replicas: number, rollingUpdate: string, type = 'RollingUpdate'): Workload => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  strategy: {type: ${type}${rollingUpdate ? `, rollingUpdate: ${rollingUpdate}` : ''}}
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: nginx}]}}
`;
    return decodeObjects(parseText('d.yaml', text).objects).inventory.workloads[0]!;
  };
  const cases: [string, number, string, { maxSurge: number; maxUnavailable: number }][] = [
    ['defaults 25%/25% of 4 -> 1 and 1', 4, '', { maxSurge: 1, maxUnavailable: 1 }],
    ['25% of 10: surge rounds up (3), unavailable down (2)', 10, '', { maxSurge: 3, maxUnavailable: 2 }],
    ['25% of 1: surge 1, unavailable 0', 1, '', { maxSurge: 1, maxUnavailable: 0 }],
    ['numbers as given', 5, '{maxSurge: 2, maxUnavailable: 1}', { maxSurge: 2, maxUnavailable: 1 }],
    ['both 0 would never progress -> maxUnavailable 1', 3, '{maxSurge: 0, maxUnavailable: 0}', { maxSurge: 0, maxUnavailable: 1 }],
    ['percentages: 50% of 3 -> surge 2, unavailable 1', 3, '{maxSurge: "50%", maxUnavailable: "50%"}', { maxSurge: 2, maxUnavailable: 1 }],
    ['maxUnavailable above replicas -> replicas', 2, '{maxUnavailable: 5}', { maxSurge: 1, maxUnavailable: 2 }],
  ];
  for (const [name, replicas, rolling, want] of cases) {
    it(name, () => expect(resolveRollingUpdate(deployment(replicas, rolling))).toEqual({ recreate: false, ...want }));
  }

  it('Recreate: every pod down first, none added', () => {
    expect(resolveRollingUpdate(deployment(3, '', 'Recreate'))).toEqual({ recreate: true, maxSurge: 0, maxUnavailable: 3 });
  });

  it('the new ReplicaSet grows to replicas + maxSurge - old pods left, never past replicas', () => {
    const d = deployment(4, '{maxSurge: 1, maxUnavailable: 0}');
    expect([4, 3, 2, 1, 0].map((old) => newReplicasAllowed(d, old))).toEqual([1, 2, 3, 4, 4]);
    expect(newReplicasAllowed(deployment(3, '{maxSurge: 0, maxUnavailable: 1}'), 3)).toBe(0);
  });

  it('fill-in: with 4 old pods still serving and maxSurge 1, the new ReplicaSet has 1 pod; with 2 left, 3', () => {
    const strategy = '\n  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}';
    const v1 = cluster('1', strategy);
    const v2 = cluster('2', strategy);
    const retiring = podsToRetire(v1, v2).map((p): Pod => ({ ...p, meta: { ...p.meta, annotations: { ...p.meta.annotations, [RETIRING_ANNOTATION]: 'default/web' } } }));
    const newPods = (old: Pod[]) => {
      const inv = decodeObjects(parseText('web.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 4${strategy}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {version: "2"}}
    spec: {containers: [{name: web, image: agnhost, ports: [{containerPort: 8080}]}]}
`).objects).inventory;
      const c = fillIn({ ...inv, pods: [...inv.pods, ...old] }).cluster;
      return c.pods.filter((p) => p.meta.labels['app'] === 'web' && !p.meta.annotations[RETIRING_ANNOTATION]).length;
    };
    expect(retiring).toHaveLength(4);
    expect(newPods(retiring)).toBe(1);
    expect(newPods(retiring.slice(0, 2))).toBe(3);
    expect(newPods([])).toBe(4);
  });
});
