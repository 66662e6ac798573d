import { describe, expect, it } from 'vitest';
import { includeObjectParam, tableOf, tableRequest, wantsTable } from './table.js';
import type { Json } from './table-cells.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const KUBECTL_GET = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('which requests get a Table', () => {
  it.each([
    ['kubectl get\'s Accept header', KUBECTL_GET, true],
    ['the v1beta1 Table alone', 'application/json;as=Table;v=v1beta1;g=meta.k8s.io', true],
    ['plain JSON (kubectl get -o yaml)', 'application/json', false],
    ['no Accept header', undefined, false],
    ['plain JSON preferred before a Table', 'application/json, application/json;as=Table;v=v1;g=meta.k8s.io', false],
    ['a Table of another group', 'application/json;as=Table;v=v1;g=example.com', false],
    ['protobuf first, then a JSON Table', 'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io', true],
  ])('%s', (_rule, accept, want) => {
    expect(wantsTable(accept)).toBe(want);
  });

  it('includeObject: Metadata by default, None and Object, anything else refused in the API server\'s words', () => {
    expect(includeObjectParam(null)).toBe('Metadata');
    expect(includeObjectParam('Object')).toBe('Object');
    expect(includeObjectParam('None')).toBe('None');
    expect(includeObjectParam('All')).toEqual({ error: 'unrecognized includeObject value: "All"' });
    expect(tableRequest(KUBECTL_GET, new URLSearchParams('includeObject=None'))).toEqual({ includeObject: 'None' });
    expect(tableRequest('application/json', new URLSearchParams('includeObject=bad'))).toBeNull();
  });
});

const svc: Json = {
  apiVersion: 'v1', kind: 'Service',
  metadata: { name: 'api-service', namespace: 'production', uid: 'u1', labels: { app: 'api' }, creationTimestamp: '2026-01-01T11:00:00Z' },
  spec: { type: 'ClusterIP', clusterIPs: ['10.96.0.10'], ports: [{ port: 8080, protocol: 'TCP' }], selector: { app: 'api' } },
};

describe('the Table', () => {
  it('meta.k8s.io/v1 with the list\'s resourceVersion and continue, every column, one row per object', () => {
    const t = tableOf('', 'Service', [svc], { now: NOW, resourceVersion: '42', continue: 'abc' });
    expect(t).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '42', continue: 'abc' } });
    expect((t['columnDefinitions'] as Json[]).map((c) => c['name'])).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    expect((t['columnDefinitions'] as Json[])[0]).toEqual(expect.objectContaining({ type: 'string', format: 'name', priority: 0 }));
    expect((t['rows'] as Json[])[0]!['cells']).toEqual(['api-service', 'ClusterIP', '10.96.0.10', '<none>', '8080/TCP', '60m', 'app=api']);
  });

  it('each row carries the object\'s metadata as PartialObjectMetadata by default (kubectl -A reads its namespace)', () => {
    const row = (tableOf('', 'Service', [svc], { now: NOW, resourceVersion: '1' })['rows'] as Json[])[0]!;
    expect(row['object']).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: svc['metadata'] });
  });

  it('includeObject=Object carries the whole object, None nothing', () => {
    expect((tableOf('', 'Service', [svc], { now: NOW, resourceVersion: '1', includeObject: 'Object' })['rows'] as Json[])[0]!['object']).toBe(svc);
    expect((tableOf('', 'Service', [svc], { now: NOW, resourceVersion: '1', includeObject: 'None' })['rows'] as Json[])[0]!['object']).toBeNull();
  });

  it('a watch event after the first leaves the columns out', () => {
    expect(tableOf('', 'Service', [svc], { now: NOW, resourceVersion: '1', noHeaders: true })['columnDefinitions']).toBeNull();
  });

  it('a finished pod\'s row carries its Completed condition', () => {
    const rows = tableOf('', 'Pod', [{ metadata: { name: 'p' }, spec: { containers: [] }, status: { phase: 'Failed' } }], { now: NOW, resourceVersion: '1' })['rows'] as Json[];
    expect(rows[0]!['conditions']).toEqual([expect.objectContaining({ type: 'Completed', reason: 'Failed' })]);
  });

  it('a kind without a printer: the API server\'s default, NAME and CREATED AT in RFC 3339', () => {
    const t = tableOf('', 'ServiceAccount', [{ metadata: { name: 'default', creationTimestamp: '2026-01-01T11:00:00.000Z' } }, { metadata: { name: 'new' } }], { now: NOW, resourceVersion: '1' });
    expect((t['columnDefinitions'] as Json[]).map((c) => [c['name'], c['type']])).toEqual([['Name', 'string'], ['Created At', 'date']]);
    expect((t['rows'] as Json[]).map((r) => r['cells'])).toEqual([['default', '2026-01-01T11:00:00Z'], ['new', '0001-01-01T00:00:00Z']]);
  });
});

describe('cert-manager\'s kinds: their CRDs\' printer columns, by JSONPath', () => {
  const cert = (conditions: Json[]): Json => ({
    apiVersion: 'cert-manager.io/v1', kind: 'Certificate',
    metadata: { name: 'api-tls-cert', namespace: 'production', creationTimestamp: '2026-01-01T11:58:00Z' },
    spec: { secretName: 'api-tls-cert', issuerRef: { name: 'letsencrypt-prod', kind: 'ClusterIssuer' } },
    status: { conditions },
  });

  it('Certificate: READY SECRET AGE; ISSUER and STATUS with -o wide', () => {
    const t = tableOf('cert-manager.io', 'Certificate', [cert([{ type: 'Ready', status: 'True', message: 'Certificate is up to date and has not expired' }])], { now: NOW, resourceVersion: '1' });
    expect((t['columnDefinitions'] as Json[]).map((c) => `${String(c['name'])}${c['priority'] ? '*' : ''}`)).toEqual(['Name', 'Ready', 'Secret', 'Issuer*', 'Status*', 'Age']);
    expect((t['rows'] as Json[])[0]!['cells']).toEqual(['api-tls-cert', 'True', 'api-tls-cert', 'letsencrypt-prod', 'Certificate is up to date and has not expired', '2m']);
  });

  it('a column whose path finds nothing is an empty cell (null)', () => {
    const t = tableOf('cert-manager.io', 'Certificate', [cert([])], { now: NOW, resourceVersion: '1' });
    expect((t['rows'] as Json[])[0]!['cells']).toEqual(['api-tls-cert', null, 'api-tls-cert', 'letsencrypt-prod', null, '2m']);
  });
});
