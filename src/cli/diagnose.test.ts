import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Io } from './output.js';

function run(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), color: false };
  const code = main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('knet diagnose', () => {
  it('examples/opscart: no error, exit 0', () => {
    const r = run('diagnose', '-f', 'examples/opscart');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n0 errors, \d+ warnings?, \d+ notes?$/);
  });

  it('reports API-invalid input with the rest instead of stopping at it', () => {
    const r = run('diagnose', '-f', 'examples/broken/pod-cannot-reach-pod');
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^pod-network \(1 error\)\n {2}error {3}Pod shop\/cart: pod IP 10\.244\.9\.10 is outside the podCIDR 10\.244\.1\.0\/24 of its node node-2 \(flannel routes by podCIDR\)/);
    expect(r.out).toMatch(/\[examples\/broken\/pod-cannot-reach-pod\/20-shop\.yaml:\d+:\d+ status\.podIP\]/);
  });

  it('-o json: {"issues":[...]} with layer, object, file, line, field, message, hint', () => {
    const r = run('diagnose', '-f', 'examples/broken/service-not-reachable-by-name', '-o', 'json');
    const issues = (JSON.parse(r.out) as { issues: Record<string, unknown>[] }).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: 'service-selector-no-pods', severity: 'error', layer: 'service', object: 'Service production/api-service',
      file: 'examples/broken/service-not-reachable-by-name/10-production.yaml', field: 'spec.selector',
    });
    expect(issues[0]!['line']).toBeGreaterThan(0);
  });

  it('rejects an unknown output format', () => {
    expect(run('diagnose', '-f', 'examples/opscart', '-o', 'yaml').err).toMatch(/allowed formats are: json/);
  });
});
