import { describe, expect, it } from 'vitest';
import { fillIn, type Cluster } from './fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { podsToRetire, RETIRING_ANNOTATION, rolloutStep } from './rollout.js';
import type { Pod } from '../model/types.js';

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
