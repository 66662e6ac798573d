import { describe, expect, it } from 'vitest';
import { fill } from './test-support/cluster.js';
import { endpointsWire, servicesWithEndpoints } from './endpoints-wire.js';

/** Pods a (Ready), b (not Ready), c (terminating) of `app: web` behind Service web; selectorless `ext` with written Endpoints; `lonely` selectorless without. */
function cluster(svcExtra = ''): ReturnType<typeof fill>['cluster'] {
  const p = (name: string, ip: string, ready: string, meta = '') => `
    apiVersion: v1
    kind: Pod
    metadata: {name: ${name}, namespace: default, labels: {app: web}${meta}}
    spec: {nodeName: node-1, containers: [{name: web, image: agnhost, ports: [{name: http, containerPort: 8080}]}]}
    status: {phase: Running, podIP: ${ip}, conditions: [{type: Ready, status: "${ready}"}]}
    ---`;
  return fill(`${p('a', '10.244.0.6', 'True')}${p('b', '10.244.0.5', 'False')}${p('c', '10.244.0.7', 'True', ', deletionTimestamp: "2026-01-01T00:00:30Z"')}
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: default, labels: {tier: front}}
    spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]${svcExtra}}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: ext, namespace: default}
    spec: {ports: [{port: 443}]}
    ---
    apiVersion: v1
    kind: Endpoints
    metadata: {name: ext, namespace: default}
    subsets: [{addresses: [{ip: 192.0.2.10}], ports: [{port: 443}]}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: lonely, namespace: default}
    spec: {ports: [{port: 80}]}
  `).cluster;
}

describe('Endpoints, as the endpoints controller writes them', () => {
  it('ready pods in addresses, unready in notReadyAddresses, terminating left out; sorted by IP; targetRef and nodeName', () => {
    const c = cluster();
    const web = c.services.find((s) => s.meta.name === 'web')!;
    const ep = endpointsWire(c, web) as { metadata: Record<string, unknown>; subsets: Record<string, unknown>[] };
    expect(ep.metadata).toMatchObject({ name: 'web', namespace: 'default', labels: { tier: 'front' } });
    expect(ep.subsets).toEqual([{
      addresses: [{ ip: '10.244.0.6', nodeName: 'node-1', targetRef: expect.objectContaining({ kind: 'Pod', namespace: 'default', name: 'a' }) }],
      notReadyAddresses: [{ ip: '10.244.0.5', nodeName: 'node-1', targetRef: expect.objectContaining({ name: 'b' }) }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }]);
    expect(endpointsWire(c, web)).toBe(ep); // the same cluster: the same object, nothing for the store to compare
  });

  it('publishNotReadyAddresses: every pod ready, the terminating one too', () => {
    const c = cluster(', publishNotReadyAddresses: true');
    const ep = endpointsWire(c, c.services.find((s) => s.meta.name === 'web')!) as { subsets: { addresses: { ip: string }[] }[] };
    expect(ep.subsets[0]!.addresses.map((a) => a.ip)).toEqual(['10.244.0.5', '10.244.0.6', '10.244.0.7']);
  });

  it('a selectorless Service: the Endpoints the user wrote; none when none was written', () => {
    const c = cluster();
    expect(servicesWithEndpoints(c).filter((s) => s.meta.namespace === 'default').map((s) => s.meta.name)).toEqual(['web', 'ext']);
    expect(endpointsWire(c, c.services.find((s) => s.meta.name === 'ext')!)).toMatchObject({ subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 443 }] }] });
  });
});
