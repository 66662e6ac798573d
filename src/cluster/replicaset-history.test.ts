import { describe, expect, it } from 'vitest';
import { fillIn, type Cluster } from './fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { replicaSetHistory } from './replicaset-history.js';
import { toWire } from './wire.js';
import { RETIRING_ANNOTATION } from './rollout.js';
import { stringify } from 'yaml';

type Json = Record<string, unknown>;

const deployment = (version: string, limit = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2${limit}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:${version}"}]}
`;

/** The cluster of a Deployment at `version`, with the old ReplicaSets `kept` as stored objects. */
function cluster(version: string, kept: readonly Json[] = [], limit = ''): Cluster {
  const text = [deployment(version, limit), ...kept.map((k) => stringify(k))].join('---\n');
  return fillIn(decodeObjects(parseText('web.yaml', text).objects).inventory).cluster;
}

const sets = (c: Cluster) => c.workloads.filter((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default')
  .map((w) => {
    const wire = toWire(w);
    const meta = wire['metadata'] as Json;
    return `${String(meta['name']).replace(/-[a-z0-9]+$/, '')}@${(meta['annotations'] as Json)['deployment.kubernetes.io/revision']} image=${JSON.stringify((((wire['spec'] as Json)['template'] as Json)['spec'] as Json)['containers']).match(/nginx:\d/)![0]} replicas=${(wire['spec'] as Json)['replicas']}`;
  }).sort();

/** Walks a Deployment through versions as the daemon does: each change keeps the history. */
function walk(versions: readonly string[], limit = ''): { c: Cluster; kept: Json[] } {
  let kept: Json[] = [];
  let c = cluster(versions[0]!, kept, limit);
  for (const v of versions.slice(1)) {
    const next = cluster(v, kept, limit);
    kept = replicaSetHistory(kept, c, next);
    c = cluster(v, kept, limit);
  }
  return { c, kept };
}

describe('a Deployment keeps its old ReplicaSets scaled to 0 (kubectl rollout history / undo)', () => {
  it('a template change keeps the old ReplicaSet at 0 and the new one is revision 2', () => {
    const { c } = walk(['1', '2']);
    expect(sets(c)).toEqual(['web@1 image=nginx:1 replicas=0', 'web@2 image=nginx:2 replicas=2']);
    const d = c.workloads.find((w) => w.kind === 'Deployment' && w.meta.name === 'web')!;
    expect(((toWire(d)['metadata'] as Json)['annotations'] as Json)['deployment.kubernetes.io/revision']).toBe('2');
    const old = c.workloads.find((w) => w.kind === 'ReplicaSet' && w.replicas === 0)!;
    expect(toWire(old)['status']).toEqual({ observedGeneration: 1, replicas: 0 });
  });

  it('rollout undo (the old template again): the old ReplicaSet becomes the new one, revision 3', () => {
    const { c } = walk(['1', '2', '1']);
    expect(sets(c)).toEqual(['web@2 image=nginx:2 replicas=0', 'web@3 image=nginx:1 replicas=2']);
  });

  it('rollout undo as kubectl writes it (keys reordered, resources: {}): the old ReplicaSet under its own name, revision 3', () => {
    const { c: v1 } = walk(['1']);
    const oldName = v1.workloads.find((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default')!.meta.name;
    const { c: v2, kept } = walk(['1', '2']);
    const undone = deployment('1').replace('{name: web, image: "nginx:1"}', '{image: "nginx:1", resources: {}, name: web}');
    const text = (more: readonly Json[]) => [undone, ...more.map((k) => stringify(k))].join('---\n');
    const next = fillIn(decodeObjects(parseText('web.yaml', text(kept)).objects).inventory).cluster;
    const after = fillIn(decodeObjects(parseText('web.yaml', text(replicaSetHistory(kept, v2, next))).objects).inventory).cluster;
    const current = after.workloads.filter((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default' && w.replicas > 0);
    expect(current.map((w) => `${w.meta.name} ${w.meta.annotations['deployment.kubernetes.io/revision']}`)).toEqual([`${oldName} 3`]);
    // The next change (nothing in the template) keeps it so.
    const kept2 = replicaSetHistory(replicaSetHistory(kept, v2, next), after, after);
    const again = fillIn(decodeObjects(parseText('web.yaml', text(kept2)).objects).inventory).cluster;
    expect(again.workloads.filter((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'default' && w.replicas > 0).map((w) => w.meta.name)).toEqual([oldName]);
  });

  it('only revisionHistoryLimit old ones stay, the newest', () => {
    const { c } = walk(['1', '2', '3', '4'], '\n  revisionHistoryLimit: 2');
    expect(sets(c)).toEqual(['web@2 image=nginx:2 replicas=0', 'web@3 image=nginx:3 replicas=0', 'web@4 image=nginx:4 replicas=2']);
  });

  it('during the rollout: the old pods still serving beside their kept ReplicaSet; the new one grows by maxSurge', () => {
    const v1 = cluster('1');
    const next = cluster('2');
    const kept = replicaSetHistory([], v1, next);
    const retiring = v1.pods.filter((p) => p.meta.namespace === 'default').map((p) => {
      const wire = toWire(p);
      const meta = wire['metadata'] as Json;
      return { ...wire, metadata: { ...meta, annotations: { [RETIRING_ANNOTATION]: 'default/web' } } };
    });
    const text = [deployment('2'), ...[...kept, ...retiring].map((k) => stringify(k))].join('---\n');
    const c = fillIn(decodeObjects(parseText('web.yaml', text).objects).inventory).cluster;
    // replicas 2, maxSurge 25% -> 1: with 2 old pods, one new pod.
    expect(sets(c)).toEqual(['web@1 image=nginx:1 replicas=0', 'web@2 image=nginx:2 replicas=1']);
    expect(c.pods.filter((p) => p.meta.namespace === 'default' && !p.meta.annotations[RETIRING_ANNOTATION])).toHaveLength(1);
  });

  it('the history goes with its Deployment', () => {
    const { c, kept } = walk(['1', '2']);
    const gone = fillIn(decodeObjects(parseText('x.yaml', kept.map((k) => stringify(k)).join('---\n')).objects).inventory).cluster;
    expect(replicaSetHistory(kept, c, gone)).toEqual([]);
  });
});
