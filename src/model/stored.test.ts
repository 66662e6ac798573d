import { describe, expect, it } from 'vitest';
import { isStored } from './stored.js';

const raw = (value: Record<string, unknown>) => ({ value });

describe('isStored: what the API server already holds', () => {
  it.each([
    ['a uid', { metadata: { name: 'a', uid: 'x' } }, true],
    ['a resourceVersion', { metadata: { name: 'a', resourceVersion: '12' } }, true],
    ['a creationTimestamp', { metadata: { name: 'a', creationTimestamp: '2024-06-03T08:14:36Z' } }, true],
    ['a status the cluster wrote', { metadata: { name: 'a' }, status: { podIP: '10.0.0.5' } }, true],
    ['kubectl create --dry-run -o yaml: creationTimestamp null, status {}', { metadata: { name: 'a', creationTimestamp: null }, status: {} }, false],
    ['a plain manifest', { metadata: { name: 'a' }, spec: {} }, false],
  ])('%s -> %s', (_, value, want) => {
    expect(isStored(raw(value))).toBe(want);
  });

  it('a generated object (no raw) -> not stored', () => {
    expect(isStored(null)).toBe(false);
  });
});
