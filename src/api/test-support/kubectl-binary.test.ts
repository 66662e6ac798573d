import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findHelm, findKubectl } from './kubectl-binary.js';

describe('the kubectl the tests run', () => {
  it('is a real kubectl, from the machine or the layer package', () => {
    const k = findKubectl();
    if ('why' in k) throw new Error(k.why);
    const r = spawnSync(k.path, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout).clientVersion.major).toBe('1');
  });
  it('falls back to the layer package when the machine has none', () => {
    const k = findKubectl({ KNET_KUBECTL: '/nonexistent/kubectl' });
    expect('why' in k && k.why).toContain('does not exist');
  });
  it('unpacks helm 4 from the layer package', () => {
    const h = findHelm();
    if ('why' in h) throw new Error(h.why);
    const r = spawnSync(h.path, ['version', '--short'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^v4\./);
  });
});
