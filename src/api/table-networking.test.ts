import { describe, expect, it } from 'vitest';
import { NETWORKING_PRINTERS } from './table-networking.js';
import type { Json } from './table-cells.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const meta = { name: 'x', namespace: 'production', creationTimestamp: '2026-01-01T11:59:00Z' };
const cells = (key: string, o: Json) => NETWORKING_PRINTERS[key]!.cells({ metadata: meta, ...o }, NOW);

describe('ingresses: CLASS HOSTS ADDRESS PORTS AGE', () => {
  it.each([
    ['hosts, the load balancer address, 443 with TLS', {
      spec: { ingressClassName: 'nginx', rules: [{ host: 'api.opscart.com' }, { host: 'app.opscart.com' }], tls: [{ hosts: ['api.opscart.com'] }] },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.2' }] } },
    }, ['x', 'nginx', 'api.opscart.com,app.opscart.com', '198.51.100.2', '80, 443', '60s']],
    ['no class, no host, no address yet', { spec: { rules: [{ http: {} }] } }, ['x', '<none>', '*', '', '80', '60s']],
    ['more than three rules: "+ N more..." counted over all rules', { spec: { rules: [{ host: 'a' }, { host: 'b' }, { host: 'c' }, { host: 'd' }, {}] } },
      ['x', '<none>', 'a,b,c + 2 more...', '', '80', '60s']],
  ])('%s', (_rule, o, want) => {
    expect(cells('networking.k8s.io/Ingress', o)).toEqual(want);
  });
});

describe('ingress classes, network policies, endpoint slices', () => {
  it('an IngressClass: its controller and parameters as Kind.group/name', () => {
    expect(cells('networking.k8s.io/IngressClass', { spec: { controller: 'k8s.io/ingress-nginx' } })).toEqual(['x', 'k8s.io/ingress-nginx', '<none>', '60s']);
    expect(cells('networking.k8s.io/IngressClass', { spec: { controller: 'c', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } } })[2])
      .toBe('IngressParameters.k8s.example.com/external-lb');
  });

  it('a NetworkPolicy: POD-SELECTOR, <none> for every pod', () => {
    expect(cells('networking.k8s.io/NetworkPolicy', { spec: { podSelector: { matchLabels: { app: 'api' } } } })).toEqual(['x', 'app=api', '60s']);
    expect(cells('networking.k8s.io/NetworkPolicy', { spec: { podSelector: {} } })[1]).toBe('<none>');
    expect(cells('networking.k8s.io/NetworkPolicy', { spec: { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['frontend', 'api'] }] } } })[1])
      .toBe('app in (api,frontend)');
  });

  it('an EndpointSlice: ports (a name, or * when neither), every address ready or not, three shown', () => {
    expect(cells('discovery.k8s.io/EndpointSlice', {
      addressType: 'IPv4',
      ports: [{ port: 8080, name: 'http' }, { name: 'metrics' }, {}, { port: 1 }],
      endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true } }, { addresses: ['10.244.2.3'], conditions: { ready: false } }, { addresses: ['10.244.0.4', '10.244.0.9'] }],
    })).toEqual(['x', 'IPv4', '8080,metrics,* + 1 more...', '10.244.1.5,10.244.2.3,10.244.0.4 + 1 more...', '60s']);
    expect(cells('discovery.k8s.io/EndpointSlice', { addressType: 'IPv4' }).slice(2, 4)).toEqual(['<unset>', '<unset>']);
  });
});
