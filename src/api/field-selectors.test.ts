import { describe, expect, it } from 'vitest';
import { matchesFieldSelector, parseFieldSelector, unsupportedField } from './field-selectors.js';
import { decodeContinue, encodeContinue } from './list-options.js';
import { updateConflict, withoutServerFields } from './server-fields.js';

type Json = Record<string, unknown>;

const sel = (text: string) => {
  const r = parseFieldSelector(text);
  if ('error' in r) throw new Error(r.error);
  return r;
};

const pod: Json = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod' },
  spec: { nodeName: 'node-2', containers: [] }, status: { phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }, { ip: 'fd00::5' }] },
};
const event: Json = {
  apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-1.abc', namespace: 'prod' }, reason: 'Scheduled', type: 'Normal',
  involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web-1', uid: 'u-1' }, source: { component: 'default-scheduler' },
};

describe('parsing, as fields.ParseSelector', () => {
  it.each([
    ['=, == and != joined by commas', 'a=1,b==2,c!=3', [{ field: 'a', op: '=', value: '1' }, { field: 'b', op: '=', value: '2' }, { field: 'c', op: '!=', value: '3' }]],
    ['an escaped comma stays in the value', 'metadata.name=a\\,b', [{ field: 'metadata.name', op: '=', value: 'a,b' }]],
    ['an empty value', 'spec.nodeName=', [{ field: 'spec.nodeName', op: '=', value: '' }]],
  ])('%s', (_name, text, want) => {
    expect(parseFieldSelector(text)).toEqual(want);
  });

  it('a term without an operator is refused in the API server\'s words', () => {
    expect(parseFieldSelector('status.phase')).toEqual({ error: "invalid selector: 'status.phase'; can't understand 'status.phase'" });
  });
});

describe('which fields each kind selects on', () => {
  it.each([
    ['Pod', 'spec.nodeName', null],
    ['Pod', 'status.nominatedNodeName', null],
    ['Pod', 'spec.foo', 'field label not supported: spec.foo'],
    ['Event', 'involvedObject.uid', null],
    ['Event', 'reportingComponent', null],
    ['Secret', 'type', null],
    ['Namespace', 'status.phase', null],
    ['Node', 'spec.unschedulable', null],
    ['Node', 'metadata.namespace', 'field label not supported: metadata.namespace'],
    ['ReplicaSet', 'status.replicas', null],
    ['Job', 'status.successful', null],
    ['ConfigMap', 'metadata.namespace', null],
    ['ConfigMap', 'data.a', '"data.a" is not a known field selector: only "metadata.name", "metadata.namespace"'],
  ])('%s %s', (kind, field, refusal) => {
    expect(unsupportedField(kind, sel(`${field}=x`))).toBe(refusal);
  });
});

describe('matching wire objects', () => {
  it.each([
    ['pod on its node', 'Pod', pod, 'spec.nodeName=node-2', true],
    ['pod not on another node', 'Pod', pod, 'spec.nodeName!=node-2', false],
    ['pod phase and IP together', 'Pod', pod, 'status.phase=Running,status.podIP=10.244.1.5', true],
    ['podIPs joined by commas', 'Pod', pod, 'status.podIPs=10.244.1.5\\,fd00::5', true],
    ['restartPolicy defaults to Always', 'Pod', pod, 'spec.restartPolicy=Always', true],
    ['serviceAccountName defaults to default', 'Pod', pod, 'spec.serviceAccountName=default', true],
    ['kubectl describe: the pod\'s events', 'Event', event, 'involvedObject.name=web-1,involvedObject.namespace=prod,involvedObject.kind=Pod,involvedObject.uid=u-1', true],
    ['another pod\'s events are not', 'Event', event, 'involvedObject.name=web-2', false],
    ['an event\'s source is its component', 'Event', event, 'source=default-scheduler,type=Normal,reason=Scheduled', true],
    ['a secret\'s type defaults to Opaque', 'Secret', { kind: 'Secret', metadata: { name: 's' } }, 'type=Opaque', true],
    ['a namespace is Active unless it says otherwise', 'Namespace', { kind: 'Namespace', metadata: { name: 'n' } }, 'status.phase=Active', true],
  ])('%s', (_name, kind, obj, text, want) => {
    expect(matchesFieldSelector(kind, obj as Json, sel(text))).toBe(want);
  });
});

describe('continue tokens', () => {
  it('round-trip, opaque to the client', () => {
    const t = encodeContinue({ resourceVersion: 42, after: '/Pod/prod/web-1' });
    expect(t).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeContinue(t)).toEqual({ resourceVersion: 42, after: '/Pod/prod/web-1' });
  });

  it('a token of another shape is refused', () => {
    expect(decodeContinue(btoa('{"v":"x","rv":1,"start":"a\\u0000"}'))).toEqual({ error: 'got invalid API version' });
  });
});

describe('server fields', () => {
  const dump: Json = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', uid: 'u', resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z', generation: 3, managedFields: [{ manager: 'kubectl' }], labels: { a: 'b' } },
    spec: { replicas: 2 }, status: { replicas: 2 },
  };

  it('withoutServerFields: what the server owns goes, managedFields and the rest stay', () => {
    expect(withoutServerFields(dump)).toEqual({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', managedFields: [{ manager: 'kubectl' }], labels: { a: 'b' } }, spec: { replicas: 2 },
    });
  });

  it('an update naming another resourceVersion is a 409 in kube-apiserver\'s words; the current one or none passes', () => {
    expect(updateConflict(dump, '8', { plural: 'deployments', group: 'apps' })).toEqual({
      code: 409, reason: 'Conflict',
      message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    expect(updateConflict(dump, '7', { plural: 'deployments', group: 'apps' })).toBeNull();
    expect(updateConflict(withoutServerFields(dump), '8', { plural: 'deployments', group: 'apps' })).toBeNull();
  });
});
