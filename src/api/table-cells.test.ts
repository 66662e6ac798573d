import { describe, expect, it } from 'vitest';
import { formatLabelSelector, formatLabels, humanDuration, listWithMore, selectorText, since } from './table-cells.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('ages as kubectl prints them (HumanDuration)', () => {
  it.each([
    ['a moment one second ahead (clock skew) is now', -1500, '0s'],
    ['further ahead is invalid', -3 * s, '<invalid>'],
    ['seconds up to two minutes', 119 * s, '119s'],
    ['minutes and seconds under ten minutes', 5 * m + 20 * s, '5m20s'],
    ['whole minutes drop the seconds', 4 * m, '4m'],
    ['minutes from ten minutes to three hours', 150 * m + 59 * s, '150m'],
    ['hours and minutes under eight hours', 3 * h + 4 * m, '3h4m'],
    ['hours up to two days', 47 * h + 59 * m, '47h'],
    ['days and hours under eight days', 2 * d + 5 * h, '2d5h'],
    ['whole days', 3 * d, '3d'],
    ['days up to two years', 400 * d, '400d'],
    ['years and days under eight years', 3 * 365 * d + 10 * d, '3y10d'],
    ['years after eight', 9 * 365 * d + 10 * d, '9y'],
  ])('%s: %s', (_rule, ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });

  it('since: a missing or unreadable timestamp is <unknown>', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    expect(since('2026-01-01T00:00:00Z', now)).toBe('10m');
    expect(since('', now)).toBe('<unknown>');
    expect(since('yesterday', now)).toBe('<unknown>');
  });
});

describe('labels and selectors as kube-apiserver prints them', () => {
  it('label maps sorted by key, <none> when empty', () => {
    expect(formatLabels({ tier: 'web', app: 'api' })).toBe('app=api,tier=web');
    expect(formatLabels({})).toBe('<none>');
    expect(formatLabels(undefined)).toBe('<none>');
  });

  it('selectors: requirements sorted by key, values sorted, each operator in its notation', () => {
    expect(selectorText({
      matchLabels: { z: '1' },
      matchExpressions: [
        { key: 'app', operator: 'In', values: ['web', 'api'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'b', operator: 'Exists' },
      ],
    })).toBe('app in (api,web),b,!canary,env notin (dev),z=1');
  });

  it('an empty selector selects everything: <none> (FormatLabelSelector)', () => {
    expect(formatLabelSelector({})).toBe('<none>');
    expect(selectorText({})).toBe('');
  });

  it('lists show three, then how many more', () => {
    expect(listWithMore(['a', 'b', 'c', 'd', 'e'], 5)).toBe('a,b,c + 2 more...');
    expect(listWithMore(['a', 'b', 'c'], 3)).toBe('a,b,c');
  });
});
