// `knet apply` and `knet up` stay all-or-nothing while the Predict commands take partial
// input: a batch with one object the API server would refuse, or one object twice, is
// refused whole and nothing is stored.
import { describe, expect, it } from 'vitest';
import { fillIn } from '../cluster/fill-in.js';
import { hasErrors } from '../model/issue.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { desiredCluster } from './desired.js';
import { emptyState, NO_ASSIGNMENTS } from './state.js';
import { applyObjects } from './store-ops.js';

const svc = (name: string, port: number): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  ports:\n  - port: ${port}\n`;

const MIXED = `${svc('good', 80)}---\n${svc('bad', 0)}`;
const TWICE = `${svc('web', 80)}---\n${svc('web', 8080)}`;

function apply(text: string) {
  const current = fillIn(decodeObjects([]).inventory).cluster;
  const read = parseText('batch.yaml', text);
  return applyObjects(emptyState('t'), current, read.objects, read.issues);
}

describe('knet apply: all or nothing', () => {
  it('one bad Service among good ones -> the batch is refused whole, nothing stored', () => {
    const out = apply(MIXED);
    expect(out.state).toBeNull();
    expect(out.issues.filter((i) => i.severity === 'error').map((i) => `${i.file}:${i.line} ${i.object}`)).toEqual(['batch.yaml:17 Service shop/bad']);
  });

  it('the same object twice in one batch -> refused (an error), not the later winning', () => {
    const out = apply(TWICE);
    expect(out.state).toBeNull();
    expect(out.issues.filter((i) => i.severity === 'error').map((i) => i.code)).toEqual(['duplicate-object']);
  });

  it('a good batch -> stored', () => {
    expect(apply(svc('good', 80)).state?.objects).toHaveLength(1);
  });
});

describe('knet up: all or nothing (the manifests decoded as the running cluster decodes them)', () => {
  for (const [what, text] of [['one bad Service among good ones', MIXED], ['the same object twice', TWICE]] as const) {
    it(`${what} -> errors, so knet up refuses before anything is done`, () => {
      const read = parseText('up.yaml', text);
      const desired = desiredCluster({ objects: read.objects, overrides: {}, assignments: NO_ASSIGNMENTS });
      expect(hasErrors([...read.issues, ...desired.issues])).toBe(true);
    });
  }
});
