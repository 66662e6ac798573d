import { describe, expect, it } from 'vitest';
import { JsonPathError, evaluateJsonPath, jsonPathText, parseJsonPath } from './jsonpath.js';

const cert = {
  metadata: { name: 'api-tls', labels: { 'app.kubernetes.io/name': 'api' } },
  spec: { secretName: 'api-tls', dnsNames: ['a.example', 'b.example', 'c.example'], issuerRef: { name: 'le' } },
  status: {
    conditions: [
      { type: 'Issuing', status: 'True', observedGeneration: 1 },
      { type: 'Ready', status: 'False', message: 'Issuing certificate as Secret does not exist', observedGeneration: 2 },
    ],
  },
};

describe('JSONPath as CRD printer columns and kubectl use it', () => {
  it.each([
    ['a field path', '.spec.secretName', ['api-tls']],
    ['braces and $ around the path', '{$.spec.issuerRef.name}', ['le']],
    ['a missing key gives no result', '.spec.nothing.here', []],
    ['a filter on a condition type (cert-manager\'s Ready column)', '.status.conditions[?(@.type == "Ready")].status', ['False']],
    ['a filter with single quotes and no spaces', ".status.conditions[?(@.type=='Ready')].message", ['Issuing certificate as Secret does not exist']],
    ['a filter with !=', '.status.conditions[?(@.type != "Ready")].type', ['Issuing']],
    ['a numeric filter', '.status.conditions[?(@.observedGeneration > 1)].type', ['Ready']],
    ['an existence filter', '.status.conditions[?(@.message)].type', ['Ready']],
    ['a filter that matches nothing', '.status.conditions[?(@.type == "Gone")].status', []],
    ['an index', '.spec.dnsNames[0]', ['a.example']],
    ['a negative index', '.spec.dnsNames[-1]', ['c.example']],
    ['a slice', '.spec.dnsNames[0:2]', ['a.example', 'b.example']],
    ['a union of indices', '.spec.dnsNames[0,2]', ['a.example', 'c.example']],
    ['a wildcard over a list', '.status.conditions[*].type', ['Issuing', 'Ready']],
    ['recursive descent', '..secretName', ['api-tls']],
    ['a quoted key with dots', ".metadata.labels['app.kubernetes.io/name']", ['api']],
    ['an escaped dot in a key', '.metadata.labels.app\\.kubernetes\\.io/name', ['api']],
  ])('%s: %s', (_rule, path, want) => {
    expect(evaluateJsonPath(path, cert)).toEqual(want);
  });

  it('refuses a path it cannot read, with where', () => {
    expect(() => parseJsonPath('.status.conditions[?(@.type == "Ready")')).toThrow(JsonPathError);
    expect(() => parseJsonPath('.spec[')).toThrow(/at 6/);
  });

  it('prints results as kubectl does: strings bare, objects as JSON', () => {
    expect(jsonPathText('x')).toBe('x');
    expect(jsonPathText(3)).toBe('3');
    expect(jsonPathText({ name: 'le' })).toBe('{"name":"le"}');
  });
});
