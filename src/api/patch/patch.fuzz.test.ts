// Random documents and patches: every patch type answers an object or an ApiError, never throws.
import { describe, expect, it } from 'vitest';
import { isApiError, patchObject } from './index.js';
import type { JsonValue } from './json.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ['metadata', 'spec', 'template', 'containers', 'name', 'ports', 'containerPort', 'env', 'labels', 'replicas', 'finalizers',
  '$patch', '$retainKeys', '$setElementOrder/containers', '$deleteFromPrimitiveList/finalizers', 'volumes', 'strategy', 'a', '0', '-', 'selector', 'managedFields', 'fieldsV1', 'manager', 'operation', 'Apply', 'k:{bad', 'f:spec', 'v:1'];
const SCALARS: JsonValue[] = [null, true, 0, 80, -1, 'web', 'replace', 'delete', 'merge', '', 'x/y'];

function value(r: () => number, depth: number): JsonValue {
  const p = r();
  if (depth <= 0 || p < 0.35) return SCALARS[Math.floor(r() * SCALARS.length)]!;
  if (p < 0.65) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth - 1));
  return Object.fromEntries(Array.from({ length: Math.floor(r() * 5) }, () => [KEYS[Math.floor(r() * KEYS.length)]!, value(r, depth - 1)]));
}

function pointer(r: () => number): string {
  return Array.from({ length: Math.floor(r() * 4) }, () => `/${KEYS[Math.floor(r() * KEYS.length)]!.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

const TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
const GVKS = [{ group: 'apps', version: 'v1', kind: 'Deployment' }, { group: '', version: 'v1', kind: 'Pod' }, { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' }];

describe('patches of random documents', () => {
  it('answer an object or an ApiError, for 3000 random cases', () => {
    const r = rng(15);
    for (let i = 0; i < 3000; i++) {
      const doc = value(r, 5);
      const live = doc && typeof doc === 'object' && !Array.isArray(doc) ? { kind: 'Deployment', ...doc } : { kind: 'Deployment' };
      const type = TYPES[i % TYPES.length]!;
      const gvk = GVKS[Math.floor(r() * GVKS.length)]!;
      const body = type === 'application/json-patch+json'
        ? JSON.stringify(Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({ op: ['add', 'remove', 'replace', 'move', 'copy', 'test', 'x'][Math.floor(r() * 7)], path: pointer(r), from: pointer(r), value: value(r, 2) })))
        : r() < 0.05 ? '{"broken' : JSON.stringify(type === 'application/apply-patch+yaml' ? { kind: gvk.kind, ...(value(r, 4) as object) } : value(r, 5));
      let result: unknown;
      expect(() => {
        result = patchObject(r() < 0.1 ? undefined : live, type, body, { gvk, fieldManager: r() < 0.9 ? 'fuzz' : undefined, force: type.includes('apply') ? r() < 0.5 : undefined });
      }, `case ${i}: ${type} ${body.slice(0, 200)}`).not.toThrow();
      if (isApiError(result)) expect(result.code).toBeGreaterThanOrEqual(400);
      else expect(typeof (result as { object: unknown }).object).toBe('object');
    }
  });
});
