// The pure parts of the REST semantics: Invalid Status with causes, DeleteOptions,
// fieldValidation's duplicate fields, the Scale of a workload.
import { describe, expect, it } from 'vitest';
import { causeOf, invalidStatus } from './invalid.js';
import { parseDeleteOptions, preconditionFailure } from './delete-options.js';
import { checkFields, duplicateFields, fieldValidationOf, warningHeader } from './field-validation.js';
import { replicasOf, scaleOf, withReplicas } from './scale.js';

describe('invalidStatus: 422 in kube-apiserver\'s words', () => {
  it.each([
    ['Invalid value: 99999: out of range', 'FieldValueInvalid'],
    ['Required value', 'FieldValueRequired'],
    ['Forbidden: may not be set', 'FieldValueForbidden'],
    ['Duplicate value: "web"', 'FieldValueDuplicate'],
    ['Unsupported value: "X": supported values: "TCP"', 'FieldValueNotSupported'],
    ['Too long: must have at most 63 bytes', 'FieldValueTooLong'],
    ['something knet says', 'FieldValueInvalid'],
  ])('a message starting %j is a %s cause', (message, reason) => {
    expect(causeOf({ field: 'spec.x', message: `spec.x: ${message}` })).toEqual({ reason, message, field: 'spec.x' });
  });

  it('one error: Kind "name" is invalid: field: message; details name, kind, causes', () => {
    expect(invalidStatus('Service', '', 'x', [{ field: 'spec.ports[0].nodePort', message: 'spec.ports[0].nodePort: Invalid value: 99999: bad' }])).toEqual({
      code: 422, reason: 'Invalid', message: 'Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 99999: bad',
      details: { name: 'x', kind: 'Service', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 99999: bad', field: 'spec.ports[0].nodePort' }] },
    });
  });

  it('several errors (one repeated): the group-qualified kind, [a, b], repeats once', () => {
    const e = invalidStatus('Deployment', 'apps', 'web', [
      { field: 'spec.replicas', message: 'spec.replicas: Invalid value: -1: must be greater than or equal to 0' },
      { field: 'spec.selector', message: 'spec.selector: Required value' },
      { field: 'spec.selector', message: 'spec.selector: Required value' },
    ]);
    expect(e.message).toBe('Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.selector: Required value]');
    expect((e.details as { group: string; causes: unknown[] }).group).toBe('apps');
    expect((e.details as { causes: unknown[] }).causes).toHaveLength(2);
  });
});

describe('DeleteOptions', () => {
  const q = (s = '') => new URLSearchParams(s);
  it('kubectl\'s body: propagationPolicy and gracePeriodSeconds', () => {
    expect(parseDeleteOptions(q(), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', gracePeriodSeconds: 0 })).toEqual({ propagationPolicy: 'Foreground', gracePeriodSeconds: 0, dryRun: false, preconditions: {} });
  });
  it('the query overrides the body; dryRun=All; orphanDependents=true is Orphan', () => {
    expect(parseDeleteOptions(q('propagationPolicy=Orphan&dryRun=All'), { propagationPolicy: 'Background' })).toMatchObject({ propagationPolicy: 'Orphan', dryRun: true });
    expect(parseDeleteOptions(q(), { orphanDependents: true })).toMatchObject({ propagationPolicy: 'Orphan' });
  });
  it('an unknown policy is 422 on DeleteOptions.meta.k8s.io', () => {
    expect(parseDeleteOptions(q('propagationPolicy=Later'), {})).toMatchObject({
      code: 422, message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Later": supported values: "Foreground", "Background", "Orphan", "nil"',
    });
    expect(parseDeleteOptions(q('dryRun=Some'), {})).toMatchObject({ code: 422 });
    expect(parseDeleteOptions(q('gracePeriodSeconds=soon'), {})).toMatchObject({ code: 400 });
  });
  it('preconditions: the uid, then the resourceVersion, must be the live object\'s', () => {
    const live = { metadata: { uid: 'u1', resourceVersion: '7' } };
    const opts = (preconditions: unknown) => parseDeleteOptions(q(), { preconditions }) as Exclude<ReturnType<typeof parseDeleteOptions>, { code: number }>;
    const r = { plural: 'deployments', group: 'apps' };
    expect(preconditionFailure(opts({ uid: 'u1', resourceVersion: '7' }), live, r, 'web')).toBeNull();
    expect(preconditionFailure(opts({ uid: 'u2' }), live, r, 'web')?.message).toBe('Operation cannot be fulfilled on deployments.apps "web": Precondition failed: UID in precondition: u2, UID in object meta: u1');
    expect(preconditionFailure(opts({ resourceVersion: '6' }), live, r, 'web')?.message).toBe('Operation cannot be fulfilled on deployments.apps "web": Precondition failed: ResourceVersion in precondition: 6, ResourceVersion in object meta: 7');
  });
});

describe('fieldValidation', () => {
  it('duplicate fields with their paths, in lists too; escaped keys; none in a clean body', () => {
    expect(duplicateFields('{"spec":{"replicas":1,"replicas":2,"ports":[{"port":1},{"port":2,"port":3}]},"a\\"b":1,"a\\"b":2}')).toEqual(['spec.replicas', 'spec.ports[1].port', 'a"b']);
    expect(duplicateFields('{"a":[1,{"b":"}"}],"c":null}')).toEqual([]);
    expect(duplicateFields('not json')).toEqual([]);
  });
  it('the directive: absent is Warn; Strict refuses; Warn warns; Ignore is silent; others 400', () => {
    expect(fieldValidationOf(new URLSearchParams())).toBe('Warn');
    expect(fieldValidationOf(new URLSearchParams('fieldValidation=Loose'))).toMatchObject({ code: 400 });
    expect(checkFields('Strict', ['spec.replicas'])).toEqual({ error: { code: 400, reason: 'BadRequest', message: 'strict decoding error: duplicate field "spec.replicas"' } });
    expect(checkFields('Warn', ['spec.replicas'])).toEqual({ warnings: ['duplicate field "spec.replicas"'] });
    expect(checkFields('Ignore', ['spec.replicas'])).toEqual({ warnings: [] });
    expect(warningHeader('duplicate field "x"')).toBe('299 - "duplicate field \\"x\\""');
  });
});

describe('Scale', () => {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', uid: 'u', resourceVersion: '9', labels: { x: 'y' } }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] } }, status: { replicas: 2 } };
  it('a Deployment\'s Scale: its replicas, status replicas, and selector as text', () => {
    expect(scaleOf(deployment)).toEqual({
      kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'shop', uid: 'u', resourceVersion: '9' },
      spec: { replicas: 3 }, status: { replicas: 2, selector: 'app=web,tier in (a,b)' },
    });
  });
  it('a ReplicationController selects with a plain map; no replicas is 1', () => {
    expect(scaleOf({ kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { selector: { app: 'rc' } } })).toMatchObject({ spec: { replicas: 1 }, status: { replicas: 0, selector: 'app=rc' } });
  });
  it('replicas must be a whole number, not negative; written back into spec.replicas only', () => {
    expect(replicasOf({ spec: { replicas: 5 } }, 'web')).toBe(5);
    expect(replicasOf({ spec: { replicas: -1 } }, 'web')).toMatchObject({ code: 422, message: 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' });
    expect(replicasOf({ spec: { replicas: 'two' } }, 'web')).toMatchObject({ code: 422 });
    expect(withReplicas(deployment, 5)).toEqual({ ...deployment, spec: { ...deployment.spec, replicas: 5 } });
  });
});
