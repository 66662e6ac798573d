import { describe, expect, it } from 'vitest';
import { loadCluster } from './fill-in.js';

const svc = (name: string, spec: string): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n${spec}`;

function load(text: string) {
  const r = loadCluster(['-'], () => text);
  return { ...r, names: r.cluster.services.filter((s) => s.meta.namespace === 'shop').map((s) => s.meta.name) };
}

describe('fill-in of partial input: what the API server refuses against what it created before', () => {
  it('a ClusterIP taken twice -> the second create is refused and left out; the first keeps it', () => {
    const r = load(`${svc('a', '  clusterIP: 10.96.100.100\n  ports: [{port: 80}]\n')}---\n${svc('b', '  clusterIP: 10.96.100.100\n  ports: [{port: 80}]\n')}---\n${svc('c', '  ports: [{port: 80}]\n')}`);
    expect(r.names).toEqual(['a', 'c']);
    expect(r.refused).toEqual(['Service shop/b']);
    expect(r.cluster.services.find((s) => s.meta.name === 'a')!.clusterIPs).toEqual(['10.96.100.100']);
    const errors = r.issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => `${i.line}:${i.col} ${i.code} ${i.object}`)).toEqual(['16:14 cluster-ip-allocated Service shop/b']);
  });

  it('a ClusterIP taken twice, the later create first by name -> still the later create is refused (kubectl applies in input order)', () => {
    const r = load(`${svc('z', '  clusterIP: 10.96.100.100\n  ports: [{port: 80}]\n')}---\n${svc('a', '  clusterIP: 10.96.100.100\n  ports: [{port: 80}]\n')}`);
    expect(r.names).toEqual(['z']);
    expect(r.refused).toEqual(['Service shop/a']);
  });

  it('a NodePort taken twice -> the second Service left out', () => {
    const np = '  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n';
    const r = load(`${svc('a', np)}---\n${svc('b', np)}`);
    expect(r.names).toEqual(['a']);
    expect(r.refused).toEqual(['Service shop/b']);
    expect(r.issues.filter((i) => i.severity === 'error').map((i) => i.code)).toEqual(['node-port-allocated']);
  });

  it('a ClusterIP outside the service range -> left out, with the API server\'s message', () => {
    const r = load(svc('a', '  clusterIP: 192.0.2.10\n  ports: [{port: 80}]\n'));
    expect(r.names).toEqual([]);
    expect(r.issues.find((i) => i.severity === 'error')!.message).toContain('is not in the valid range');
  });
});
