import { describe, expect, it } from 'vitest';
import { kindSchema } from '../merge-keys.js';
import { fieldSetOf, fromFieldsV1, printPath, toFieldsV1 } from './field-set.js';

const { fields } = kindSchema('', 'Pod');
const pod = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', uid: 'u', labels: { app: 'web' }, finalizers: ['x'] },
  spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }], tolerations: [{ key: 'a' }], nodeSelector: {} },
  status: { phase: 'Running' },
};

describe('field sets (fieldsV1)', () => {
  it('names fields, keyed items, set members and nodes as kube-apiserver does; never the server\'s fields', () => {
    expect(toFieldsV1(fieldSetOf(pod, fields))).toEqual({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} }, 'f:finalizers': { '.': {}, 'v:"x"': {} } },
      'f:spec': {
        'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } },
        'f:tolerations': {}, 'f:nodeSelector': {},
      },
    });
  });
  it('reads back the paths it wrote', () => {
    const set = fieldSetOf(pod, fields);
    expect([...fromFieldsV1(toFieldsV1(set)).keys()].sort()).toEqual([...set.keys()].sort());
  });
  it('prints paths as conflicts name them', () => {
    expect(printPath(['f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'])).toBe('.spec.containers[name="web"].image');
    expect(printPath(['f:metadata', 'f:finalizers', 'v:"x"'])).toBe('.metadata.finalizers[="x"]');
  });
});
