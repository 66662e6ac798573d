import { describe, expect, it } from 'vitest';
import { isApiError, patchObject, recordWrite, type ApiError, type PatchOptions } from './index.js';
import type { JsonObject } from './json.js';

const deploymentGvk = { group: 'apps', version: 'v1', kind: 'Deployment' };
const now = new Date('2026-12-08T00:00:00Z');
const opts = (o: Partial<PatchOptions> = {}): PatchOptions => ({ gvk: deploymentGvk, now, fieldManager: 'test', ...o });

function deployment(): JsonObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'front' } },
    spec: {
      replicas: 2, selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
            { name: 'sidecar', image: 'envoy:1' },
          ],
          tolerations: [{ key: 'a', operator: 'Exists' }],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };
}

function ok(r: { object: JsonObject } | ApiError): JsonObject {
  if (isApiError(r)) throw new Error(`unexpected error ${r.code}: ${r.message}`);
  return r.object;
}
const spec = (o: JsonObject): any => (o['spec'] as any).template.spec;
const strip = (o: JsonObject): JsonObject => {
  const meta = { ...(o['metadata'] as JsonObject) };
  delete meta['managedFields'];
  return { ...o, metadata: meta };
};

describe('JSON patch (RFC 6902)', () => {
  const cases: { name: string; ops: unknown[]; check: (o: any) => void }[] = [
    { name: 'replace a scalar', ops: [{ op: 'replace', path: '/spec/replicas', value: 5 }], check: (o) => expect(o.spec.replicas).toBe(5) },
    { name: 'add appends with -', ops: [{ op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'x', image: 'y' } }], check: (o) => expect(o.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['web', 'sidecar', 'x']) },
    { name: 'escaped keys (~1 is /)', ops: [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'w' }], check: (o) => expect(o.metadata.labels['app.kubernetes.io/name']).toBe('w') },
    { name: 'remove an item by index', ops: [{ op: 'remove', path: '/spec/template/spec/containers/1' }], check: (o) => expect(o.spec.template.spec.containers).toHaveLength(1) },
    { name: 'passing test then replace', ops: [{ op: 'test', path: '/spec/replicas', value: 2 }, { op: 'replace', path: '/spec/replicas', value: 3 }], check: (o) => expect(o.spec.replicas).toBe(3) },
    { name: 'move and copy', ops: [{ op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copy' }, { op: 'move', from: '/metadata/labels/tier', path: '/metadata/labels/t' }], check: (o) => expect(o.metadata.labels).toEqual({ app: 'web', copy: 'web', t: 'front' }) },
  ];
  for (const c of cases) it(c.name, () => c.check(ok(patchObject(deployment(), 'application/json-patch+json', JSON.stringify(c.ops), opts()))));

  const failures: { name: string; body: string; code: number; words: string }[] = [
    { name: 'failed test -> 422, nothing applied', body: JSON.stringify([{ op: 'test', path: '/spec/replicas', value: 9 }]), code: 422, words: 'the server rejected our request due to an error in our request' },
    { name: 'remove a missing key -> 422', body: JSON.stringify([{ op: 'remove', path: '/spec/nope' }]), code: 422, words: 'the server rejected' },
    { name: 'add under a missing parent -> 422', body: JSON.stringify([{ op: 'add', path: '/a/b/c', value: 1 }]), code: 422, words: 'the server rejected' },
    { name: 'unknown op -> 422', body: JSON.stringify([{ op: 'frob', path: '/a' }]), code: 422, words: 'the server rejected' },
    { name: 'not a list -> 400', body: '{"op":"add"}', code: 400, words: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' },
    { name: 'not JSON -> 400', body: '[{', code: 400, words: '' },
  ];
  for (const f of failures) {
    it(f.name, () => {
      const r = patchObject(deployment(), 'application/json-patch+json', f.body, opts());
      expect(isApiError(r) && r.code).toBe(f.code);
      expect((r as ApiError).message).toContain(f.words);
    });
  }
  it('says why a test failed in the causes', () => {
    const r = patchObject(deployment(), 'application/json-patch+json', JSON.stringify([{ op: 'test', path: '/spec/replicas', value: 9 }]), opts()) as ApiError;
    expect(JSON.stringify(r.details)).toContain('testing value /spec/replicas failed');
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges maps, null deletes, lists are replaced', () => {
    const o = ok(patchObject(deployment(), 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { tier: null, new: 'x' } }, spec: { template: { spec: { containers: [{ name: 'only', image: 'i' }] } } } }), opts()));
    expect((o['metadata'] as any).labels).toEqual({ app: 'web', new: 'x' });
    expect(spec(o).containers).toEqual([{ name: 'only', image: 'i' }]);
  });
  it('a body that is not an object -> 400', () => {
    expect((patchObject(deployment(), 'application/merge-patch+json', '[1]', opts()) as ApiError).code).toBe(400);
  });
});

describe('strategic merge patch', () => {
  const smp = (body: unknown, live = deployment(), o = opts()) => patchObject(live, 'application/strategic-merge-patch+json', JSON.stringify(body), o);
  const cases: { name: string; body: unknown; check: (o: any) => void }[] = [
    { name: 'containers merge by name: one changed, the other kept', body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } },
      check: (o) => expect(spec(o).containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['web=nginx:2', 'sidecar=envoy:1']) },
    { name: 'a new container is appended', body: { spec: { template: { spec: { containers: [{ name: 'new', image: 'busybox' }] } } } },
      check: (o) => expect(spec(o).containers.map((c: any) => c.name)).toEqual(['web', 'sidecar', 'new']) },
    { name: 'env merges by name inside a container, null deletes a field', body: { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }], ports: null }] } } } },
      check: (o) => { expect(spec(o).containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }]); expect(spec(o).containers[0].ports).toBeUndefined(); } },
    { name: 'ports merge by containerPort', body: { spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 443 }] }] } } } },
      check: (o) => expect(spec(o).containers[0].ports).toEqual([{ containerPort: 80 }, { containerPort: 443 }]) },
    { name: 'tolerations (no strategy) are replaced', body: { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } } },
      check: (o) => expect(spec(o).tolerations).toEqual([{ key: 'b', operator: 'Exists' }]) },
    { name: '$patch: delete removes a list item by key', body: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } },
      check: (o) => expect(spec(o).containers.map((c: any) => c.name)).toEqual(['web']) },
    { name: '$patch: replace in a list replaces it', body: { spec: { template: { spec: { containers: [{ name: 'solo', image: 's' }, { $patch: 'replace' }] } } } },
      check: (o) => expect(spec(o).containers).toEqual([{ name: 'solo', image: 's' }]) },
    { name: '$patch: replace in a map replaces it', body: { metadata: { labels: { only: 'this', $patch: 'replace' } } },
      check: (o) => expect(o.metadata.labels).toEqual({ only: 'this' }) },
    { name: '$retainKeys drops the keys not listed (volume source switch)', body: { spec: { template: { spec: { volumes: [{ name: 'data', hostPath: { path: '/x' }, $retainKeys: ['hostPath', 'name'] }] } } } },
      check: (o) => expect(spec(o).volumes).toEqual([{ name: 'data', hostPath: { path: '/x' } }]) },
    { name: 'deployment strategy keeps only the keys retained', body: { spec: { strategy: { type: 'Recreate', $retainKeys: ['type'] } } },
      check: (o) => expect(o.spec.strategy).toEqual({ type: 'Recreate' }) },
    { name: '$setElementOrder orders a merged list', body: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }], containers: [{ name: 'web', image: 'nginx:3' }] } } } },
      check: (o) => expect(spec(o).containers.map((c: any) => c.name)).toEqual(['sidecar', 'web']) },
    { name: '$deleteFromPrimitiveList removes finalizers', body: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
      check: (o) => expect(o.metadata.finalizers).toEqual(['b']) },
    { name: 'finalizers (merge, no key) are a set', body: { metadata: { finalizers: ['b', 'c'] } },
      check: (o) => expect(o.metadata.finalizers).toEqual(['a', 'b', 'c']) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const live = deployment();
      (live['metadata'] as any).finalizers = ['a', 'b'];
      c.check(ok(smp(c.body, live)));
    });
  }
  it('a service port merges by port', () => {
    const svc: JsonObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
    const o = ok(smp({ spec: { ports: [{ port: 80, targetPort: 9090 }] } }, svc, opts({ gvk: { group: '', version: 'v1', kind: 'Service' } })));
    expect((o['spec'] as any).ports).toEqual([{ port: 80, targetPort: 9090 }, { port: 443 }]);
  });
  it('an item without its merge key -> 422 in the API server\'s words', () => {
    const r = smp({ spec: { template: { spec: { containers: [{ image: 'x' }] } } } }) as ApiError;
    expect(r.code).toBe(422);
    expect(r.message).toBe('map: map[image:x] does not contain declared merge key: name');
  });
  it('a CRD takes no strategic merge patch: 415 with the accepted types', () => {
    const r = smp({ spec: {} }, { kind: 'Certificate' }, opts({ gvk: { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' } })) as ApiError;
    expect(r.code).toBe(415);
    expect(r.message).toBe('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
  });
  it('an unknown content type -> 415', () => {
    expect((patchObject(deployment(), 'text/plain', '{}', opts()) as ApiError).code).toBe(415);
  });
  it('force with a non-apply patch -> 422 on PatchOptions', () => {
    expect((smp({}, deployment(), opts({ force: true })) as ApiError).message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });
});

describe('managedFields on writes', () => {
  it('a patch makes its manager own what it changed, taken from the previous owner', () => {
    const created = ok(patchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, 'application/merge-patch+json', JSON.stringify(strip(deployment())), opts({ fieldManager: 'kubectl-client-side-apply' })));
    const mf = (created['metadata'] as any).managedFields;
    expect(mf).toHaveLength(1);
    expect(mf[0]).toMatchObject({ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', time: '2026-12-08T00:00:00Z', fieldsType: 'FieldsV1' });
    expect(mf[0].fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']).toHaveProperty('.');
    expect(mf[0].fieldsV1['f:metadata']['f:labels']).toEqual({ '.': {}, 'f:app': {}, 'f:tier': {} });
    const scaled = ok(patchObject(created, 'application/merge-patch+json', '{"spec":{"replicas":7}}', opts({ fieldManager: undefined, userAgent: 'kubectl/v1.32.4 (linux/amd64) kubernetes/abc' })));
    const mf2 = (scaled['metadata'] as any).managedFields;
    expect(mf2.map((e: any) => e.manager)).toEqual(['kubectl-client-side-apply', 'kubectl']);
    expect(mf2[1].fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(mf2[0].fieldsV1['f:spec']['f:replicas']).toBeUndefined();
  });

  it('a write through the scale subresource is its own Update entry (subresource: scale), named so in an apply\'s conflict', () => {
    const applied = ok(patchObject(undefined, 'application/apply-patch+yaml', JSON.stringify(strip(deployment())), opts({ fieldManager: 'helm', force: false })));
    const scaled = recordWrite(applied, { ...applied, spec: { ...(applied['spec'] as JsonObject), replicas: 5 } }, opts({ fieldManager: 'kubectl', subresource: 'scale' }));
    const mf = (scaled['metadata'] as any).managedFields;
    expect(mf.map((e: any) => `${e.manager} ${e.operation} ${e.subresource ?? ''}`.trim())).toEqual(['helm Apply', 'kubectl Update scale']);
    expect(mf[1].fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    const again = recordWrite(scaled, { ...scaled, spec: { ...(scaled['spec'] as JsonObject), replicas: 6 } }, opts({ fieldManager: 'kubectl' }));
    // A plain update by the same manager is another entry; it takes the field, and the emptied scale entry goes.
    expect((again['metadata'] as any).managedFields.map((e: any) => `${e.manager} ${e.subresource ?? ''}`.trim())).toEqual(['helm', 'kubectl']);
    const conflict = patchObject(scaled, 'application/apply-patch+yaml', JSON.stringify(strip(deployment())), opts({ fieldManager: 'helm', force: false }));
    expect(isApiError(conflict) && conflict.message).toBe('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1 at 2026-12-08T00:00:00Z: .spec.replicas');
  });
});

describe('managedFields a client sends', () => {
  const base = (): JsonObject => ok(patchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, 'application/merge-patch+json', '{"spec":{"replicas":1}}', opts({ fieldManager: 'a' })));
  it('are kept as sent (kubectl\'s migration to server-side apply)', () => {
    const mine = [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
    const o = ok(patchObject(base(), 'application/json-patch+json', JSON.stringify([{ op: 'replace', path: '/metadata/managedFields', value: mine }]), opts({ fieldManager: 'kubectl-patch' })));
    expect((o['metadata'] as any).managedFields).toEqual(mine);
  });
  it('an empty list clears them', () => {
    const o = ok(patchObject(base(), 'application/merge-patch+json', '{"metadata":{"managedFields":[]}}', opts()));
    expect((o['metadata'] as any).managedFields).toBeUndefined();
  });
});

describe('server-side apply', () => {
  const apply = (live: JsonObject | undefined, body: unknown, o: Partial<PatchOptions> = {}) =>
    patchObject(live, 'application/apply-patch+yaml', typeof body === 'string' ? body : JSON.stringify(body), opts({ fieldManager: 'kubectl', ...o }));
  const csa = (): JsonObject => ok(patchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, 'application/merge-patch+json', JSON.stringify(strip(deployment())), opts({ fieldManager: 'kubectl-client-side-apply' })));

  it('creates from YAML when there is no object', () => {
    const o = ok(apply(undefined, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n'));
    expect((o['spec'] as any).replicas).toBe(1);
    expect((o['metadata'] as any).managedFields[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
  });
  it('the same values as another manager: no conflict, shared ownership', () => {
    const o = ok(apply(csa(), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } }));
    expect((o['metadata'] as any).managedFields.map((e: any) => `${e.manager}/${e.operation}`)).toEqual(['kubectl-client-side-apply/Update', 'kubectl/Apply']);
  });
  it('a changed value another manager owns -> 409 in the API server\'s words', () => {
    const r = apply(csa(), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }) as ApiError;
    expect(r.code).toBe(409);
    expect(r.reason).toBe('Conflict');
    expect(r.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1 at 2026-12-08T00:00:00Z: .spec.replicas');
  });
  it('two conflicts are listed by manager', () => {
    const body = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:9' }] } } } };
    expect((apply(csa(), body) as ApiError).message).toBe('Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1 at 2026-12-08T00:00:00Z:\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image');
  });
  it('force takes the field: the value changes and its ownership moves', () => {
    const o = ok(apply(csa(), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }, { force: true }));
    expect((o['spec'] as any).replicas).toBe(3);
    const mf = (o['metadata'] as any).managedFields;
    expect(mf[0].fieldsV1['f:spec']['f:replicas']).toBeUndefined();
    expect(mf[1]).toMatchObject({ manager: 'kubectl', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
  });
  it('a field the applier no longer sends is removed when only it owned it', () => {
    const first = ok(apply(undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { a: '1', b: '2' } }, spec: { replicas: 1 } }));
    const second = ok(apply(first, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { a: '1' } } }));
    expect((second['metadata'] as any).labels).toEqual({ a: '1' });
    expect((second['spec'] as any).replicas).toBeUndefined();
  });
  it('a dropped field someone else also owns stays', () => {
    const first = ok(apply(undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }));
    const both = ok(apply(first, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }, { fieldManager: 'other' }));
    const dropped = ok(apply(both, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }));
    expect((dropped['spec'] as any).replicas).toBe(1);
  });
  it('keyed list items merge by their keys; a container the applier dropped goes', () => {
    const first = ok(apply(undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } } } }));
    const second = ok(apply(first, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'x2' }] } } } }));
    expect(spec(second).containers).toEqual([{ name: 'a', image: 'x2' }]);
  });
  it('a stored managedFields entry that names garbage is no crash', () => {
    const live: JsonObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:list': { 'k:{bad': {}, 'v:nope': {} } } } }, 'junk'] }, spec: { list: [1] } };
    expect(isApiError(apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }))).toBe(false);
  });
  it('a port without a protocol is the TCP port the live object has (the server defaults map keys)', () => {
    const withPort = (port: JsonObject): JsonObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'a', ports: [port] }] } } } });
    const first = ok(apply(undefined, withPort({ containerPort: 80, protocol: 'TCP' })));
    const second = ok(apply(first, withPort({ containerPort: 80, name: 'http' })));
    // One item; the protocol this applier no longer sends goes (kube-apiserver would default it back).
    expect(spec(second).containers[0].ports).toEqual([{ containerPort: 80, name: 'http' }]);
    const fields = (second['metadata'] as any).managedFields[0].fieldsV1;
    expect(Object.keys(fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"a"}']['f:ports'])).toContain('k:{"containerPort":80,"protocol":"TCP"}');
  });
  it('needs a fieldManager; refuses managedFields in the body; the name must match', () => {
    expect((apply(csa(), { kind: 'Deployment' }, { fieldManager: '' }) as ApiError).message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    expect((apply(csa(), { kind: 'Deployment', metadata: { name: 'web', managedFields: [] } }) as ApiError).message).toBe('metadata.managedFields must be nil');
    expect((apply(csa(), { kind: 'Deployment', metadata: { name: 'other' } }) as ApiError).code).toBe(400);
    expect((apply(csa(), 'a: [') as ApiError).code).toBe(400);
  });
});
