import { describe, expect, it } from 'vitest';
import { MATCH_ALL, selectorFrom, selectorYaml } from './labels.js';

describe('selectorYaml writes a selector back as a LabelSelector', () => {
  it.each([
    ['the empty selector selects every pod -> {}', MATCH_ALL, '{}'],
    ['single-value In -> matchLabels', selectorFrom({ app: 'web', tier: 'front' }), '{matchLabels: {app: web, tier: front}}'],
    ['other operators -> matchExpressions', selectorFrom({ app: 'web' }, [{ key: 'env', operator: 'NotIn', values: ['dev'] }, { key: 'canary', operator: 'DoesNotExist', values: [] }]),
      '{matchLabels: {app: web}, matchExpressions: [{key: canary, operator: DoesNotExist}, {key: env, operator: NotIn, values: [dev]}]}'],
  ])('%s', (_, sel, want) => {
    expect(selectorYaml(sel)).toBe(want);
  });
});
