import { describe, expect, it } from 'vitest';
import { fill, service } from '../cluster/test-support/cluster.js';
import { buildTraceContext } from './trace-context.js';
import { explainNoEndpoints } from './trace-service.js';

const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, namespace: default, uid: 0c9d8e7f-1a2b-4c3d-8e9f-0a1b2c3d4e5f}\nspec: {clusterIP: 10.96.0.1, ports: [{name: https, port: 443, targetPort: 6443}]}\n';
const emptySlice = 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: kubernetes, namespace: default, labels: {kubernetes.io/service-name: kubernetes}}\naddressType: IPv4\nendpoints: []\nports: [{name: https, port: 6443, protocol: TCP}]\n';

describe('default/kubernetes: the API servers write its endpoints, never "give it a selector"', () => {
  it('a dump\'s EndpointSlice listing no address -> the reason names the API servers, the hint no selector', () => {
    const { cluster } = fill([svc, emptySlice].join('---\n'));
    const why = explainNoEndpoints(buildTraceContext(cluster), service(cluster, 'default', 'kubernetes'));
    expect(why.reason).toMatch(/the API servers write it themselves/);
    expect(why.hint).not.toMatch(/spec\.selector/);
  });

  it('another selectorless Service with nothing behind it -> the selector-or-EndpointSlice hint, as before', () => {
    const other = svc.replace('name: kubernetes', 'name: legacy');
    const { cluster } = fill(other);
    expect(explainNoEndpoints(buildTraceContext(cluster), service(cluster, 'default', 'legacy')).hint).toMatch(/spec\.selector/);
  });
});
