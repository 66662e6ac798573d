// The Table as the API sends it (`tableText`) is byte for byte the Table object written as JSON
// (`tableOf`): the fast path checked against the plain one, for every printer and includeObject.
import { describe, expect, it } from 'vitest';
import { tableOf, tableText, type IncludeObject, type TableOptions } from './table.js';
import type { Json } from './table-cells.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

const pod = (name: string, status: Json, extra: Json = {}): Json => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name, namespace: 'bench', uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: '2026-01-01T11:00:00Z', labels: { app: 'filler', 'pod-template-hash': '55b756c6cb' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'filler-55b756c6cb', uid: 'rs', controller: true, blockOwnerDeletion: true }],
    ...extra,
  },
  spec: { nodeName: 'opscart-worker', containers: [{ name: 'c', image: 'agnhost' }] },
  status,
});

const CASES: readonly { rule: string; group: string; kind: string; objects: Json[] }[] = [
  {
    rule: 'pods: running, pending, finished (a row with conditions), one with "quoted" and unicode text', group: '', kind: 'Pod',
    objects: [
      pod('running', { phase: 'Running', podIPs: [{ ip: '10.244.0.5' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 2, state: { running: {} }, lastState: { terminated: { finishedAt: '2026-01-01T11:55:00Z' } } }] }),
      pod('pending', { phase: 'Pending', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }),
      pod('done', { phase: 'Succeeded' }),
      pod('odd', { phase: 'Running' }, { annotations: { note: 'say "hi"\n\u00e9\u2028' } }),
    ],
  },
  {
    rule: 'a Service', group: '', kind: 'Service',
    objects: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'production' }, spec: { type: 'ClusterIP', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }] } }],
  },
  {
    rule: 'a Deployment (integer cells)', group: 'apps', kind: 'Deployment',
    objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'production' }, spec: { replicas: 3 }, status: { replicas: 3, readyReplicas: 2 } }],
  },
  {
    rule: 'a CRD kind (null cells for paths that find nothing)', group: 'cert-manager.io', kind: 'Certificate',
    objects: [{ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'tls', namespace: 'production' }, spec: { secretName: 'tls' } }],
  },
  { rule: 'a kind without a printer', group: '', kind: 'ServiceAccount', objects: [{ metadata: { name: 'default', namespace: 'default' } }] },
  { rule: 'no objects at all', group: '', kind: 'Pod', objects: [] },
];

const OPTIONS: readonly { rule: string; opts: TableOptions }[] = [
  { rule: 'includeObject=Metadata (kubectl get\'s default)', opts: { now: NOW, resourceVersion: '42' } },
  { rule: 'includeObject=Object, with a continue token', opts: { now: NOW, resourceVersion: '42', includeObject: 'Object', continue: 'eyJ2Ijoi' } },
  { rule: 'includeObject=None, no column definitions', opts: { now: NOW, resourceVersion: '42', includeObject: 'None', noHeaders: true } },
];

describe('tableText writes exactly JSON.stringify(tableOf(...))', () => {
  for (const c of CASES) {
    it.each(OPTIONS)(`${c.rule}: $rule`, ({ opts }) => {
      const text = tableText(c.group, c.kind, c.objects, opts);
      expect(text).toBe(JSON.stringify(tableOf(c.group, c.kind, c.objects, opts)));
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(tableOf(c.group, c.kind, c.objects, opts))));
    });
  }
});

describe('each row\'s object is written once per object, never stale', () => {
  const include: IncludeObject = 'Metadata';
  it('a new version of an object (a new object, as the store serves it) gets its new metadata; the ages move with the clock', () => {
    const v1 = pod('p', { phase: 'Running' });
    const first = JSON.parse(tableText('', 'Pod', [v1], { now: NOW, resourceVersion: '1', includeObject: include })) as Json;
    const v2 = { ...v1, metadata: { ...(v1['metadata'] as Json), resourceVersion: '8', labels: { app: 'moved' } } };
    const later = JSON.parse(tableText('', 'Pod', [v1, v2], { now: NOW + 3_600_000, resourceVersion: '2', includeObject: include })) as Json;
    const rows = later['rows'] as Json[];
    expect(((first['rows'] as Json[])[0]!['cells'] as unknown[])[4]).toBe('60m');
    expect((rows[0]!['cells'] as unknown[])[4]).toBe('120m');
    expect((rows[0]!['object'] as Json)['metadata']).toEqual(v1['metadata']);
    expect((rows[1]!['object'] as Json)['metadata']).toEqual(v2['metadata']);
  });

  it('Metadata and Object of the same object are kept apart', () => {
    const p = pod('q', { phase: 'Running' });
    const meta = JSON.parse(tableText('', 'Pod', [p], { now: NOW, resourceVersion: '1' })) as Json;
    const whole = JSON.parse(tableText('', 'Pod', [p], { now: NOW, resourceVersion: '1', includeObject: 'Object' })) as Json;
    expect((meta['rows'] as Json[])[0]!['object']).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p['metadata'] });
    expect((whole['rows'] as Json[])[0]!['object']).toEqual(p);
  });
});
