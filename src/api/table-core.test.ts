import { describe, expect, it } from 'vitest';
import { CORE_PRINTERS, endpointsText, serviceExternalIP, servicePorts } from './table-core.js';
import type { Json } from './table-cells.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const meta = (name: string, extra: Json = {}): Json => ({ name, namespace: 'production', creationTimestamp: '2026-01-01T10:00:00Z', ...extra });
const cells = (kind: string, o: Json) => CORE_PRINTERS[kind]!.cells(o, NOW);
const headers = (kind: string) => CORE_PRINTERS[kind]!.columns.map((c) => `${c.name}${c.priority ? '*' : ''}`);

describe('services: TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, SELECTOR with -o wide', () => {
  it('a ClusterIP Service', () => {
    const svc = { metadata: meta('api-service'), spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], selector: { app: 'api' }, ports: [{ port: 8080, protocol: 'TCP', targetPort: 8080 }] } };
    expect(headers('Service')).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
    expect(cells('Service', svc)).toEqual(['api-service', 'ClusterIP', '10.96.0.10', '<none>', '8080/TCP', '120m', 'app=api']);
  });

  it.each([
    ['a NodePort shows port:nodePort', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] }, {}, '<none>', '80:30080/TCP,53/UDP'],
    ['a LoadBalancer without an address is pending', { type: 'LoadBalancer', ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] }, {}, '<pending>', '443:31443/TCP'],
    ['a LoadBalancer with addresses: sorted, each once, then externalIPs', { type: 'LoadBalancer', externalIPs: ['192.0.2.9'], ports: [] },
      { loadBalancer: { ingress: [{ ip: '198.51.100.7' }, { hostname: 'lb.example.com' }, { ip: '198.51.100.7' }] } }, '198.51.100.7,lb.example.com,192.0.2.9', '<none>'],
    ['a ClusterIP with externalIPs', { type: 'ClusterIP', externalIPs: ['192.0.2.1', '192.0.2.2'], ports: [{ port: 80 }] }, {}, '192.0.2.1,192.0.2.2', '80/TCP'],
    ['an ExternalName shows its name', { type: 'ExternalName', externalName: 'db.external.com', ports: [{ port: 5432, protocol: 'TCP' }] }, {}, 'db.external.com', '5432/TCP'],
  ])('%s', (_rule, spec, status, external, ports) => {
    const svc = { metadata: meta('s'), spec, status };
    expect(serviceExternalIP(svc)).toBe(external);
    expect(servicePorts(svc)).toBe(ports);
  });

  it('a Service without a cluster IP (ExternalName) prints <none>', () => {
    expect(cells('Service', { metadata: meta('db'), spec: { type: 'ExternalName', externalName: 'db.example' } })[2]).toBe('<none>');
  });
});

describe('endpoints: ready ip:port pairs, three shown', () => {
  it.each([
    ['no subsets: <none>', [], '<none>'],
    ['ports first, then addresses', [{ addresses: [{ ip: '10.244.1.5' }, { ip: '10.244.2.3' }], ports: [{ port: 8080 }, { port: 9090 }] }],
      '10.244.1.5:8080,10.244.2.3:8080,10.244.1.5:9090 + 1 more...'],
    ['a headless Service without ports: bare addresses', [{ addresses: [{ ip: '10.244.1.5' }] }], '10.244.1.5'],
    ['IPv6 addresses in brackets', [{ addresses: [{ ip: 'fd00::5' }], ports: [{ port: 80 }] }], '[fd00::5]:80'],
    ['only not-ready addresses: nothing to show', [{ notReadyAddresses: [{ ip: '10.244.1.5' }], ports: [{ port: 80 }] }], ''],
    ['more across subsets', [{ addresses: [{ ip: 'a' }, { ip: 'b' }], ports: [{ port: 1 }] }, { addresses: [{ ip: 'c' }, { ip: 'd' }, { ip: 'e' }], ports: [{ port: 2 }] }],
      'a:1,b:1,c:2 + 2 more...'],
  ])('%s', (_rule, subsets, want) => {
    expect(endpointsText({ metadata: meta('api-service'), subsets })).toBe(want);
  });
});

describe('nodes: STATUS ROLES AGE VERSION, addresses and node info with -o wide', () => {
  const node = (extra: Json = {}, labels: Json = {}): Json => ({
    metadata: { name: 'node-1', creationTimestamp: '2026-01-01T10:00:00Z', labels },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: 'node-1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.0' },
    },
    ...extra,
  });
  it('a ready control-plane node', () => {
    expect(cells('Node', node({}, { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'master' }))).toEqual(
      ['node-1', 'Ready', 'control-plane,master', '120m', 'v1.32.0', '172.18.0.2', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'containerd://1.7.0']);
  });
  it('cordoned and not ready: NotReady,SchedulingDisabled; no roles: <none>', () => {
    const n = node({ spec: { unschedulable: true } });
    (n['status'] as Json)['conditions'] = [{ type: 'Ready', status: 'False' }];
    expect(cells('Node', n).slice(1, 3)).toEqual(['NotReady,SchedulingDisabled', '<none>']);
  });
  it('no Ready condition: Unknown; no node info: <unknown>', () => {
    expect(cells('Node', { metadata: { name: 'n' }, status: {} })).toEqual(['n', 'Unknown', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });
});

describe('namespaces, configmaps, secrets', () => {
  it('a namespace: its phase', () => {
    expect(cells('Namespace', { metadata: meta('production'), status: { phase: 'Terminating' } })).toEqual(['production', 'Terminating', '120m']);
  });
  it('a ConfigMap counts data and binaryData keys', () => {
    expect(cells('ConfigMap', { metadata: meta('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).toEqual(['cfg', 3, '120m']);
  });
  it('a Secret: its type and key count', () => {
    expect(cells('Secret', { metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } })).toEqual(['tls', 'kubernetes.io/tls', 2, '120m']);
  });
});

describe('events: LAST SEEN TYPE REASON OBJECT MESSAGE; subobject, source, first seen, count and name with -o wide', () => {
  it('an event with timestamps and a count', () => {
    const e = {
      metadata: meta('web-1.17a'), type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container\n',
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' },
      source: { component: 'kubelet', host: 'node-1' }, count: 7,
      firstTimestamp: '2026-01-01T11:00:00Z', lastTimestamp: '2026-01-01T11:59:00Z',
    };
    expect(headers('Event')).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']);
    expect(cells('Event', e)).toEqual(['60s', 'Warning', 'BackOff', 'pod/web-1', 'spec.containers{app}', 'kubelet, node-1', 'Back-off restarting failed container', '60m', 7, 'web-1.17a']);
  });
  it('an events.k8s.io event: eventTime, series, reporting controller', () => {
    const e = {
      metadata: meta('x'), type: 'Normal', reason: 'Scheduled', message: 'ok', involvedObject: { kind: 'Pod', name: 'p' },
      eventTime: '2026-01-01T11:58:00.000000Z', reportingController: 'default-scheduler', series: { count: 3, lastObservedTime: '2026-01-01T11:59:30.000000Z' },
    };
    const c = cells('Event', e);
    expect([c[0], c[5], c[7], c[8]]).toEqual(['30s', 'default-scheduler', '2m', 3]);
  });
  it('a singleton event without a count counts 1', () => {
    expect(cells('Event', { metadata: meta('x'), involvedObject: { kind: 'Node' }, lastTimestamp: '2026-01-01T11:59:00Z' })[8]).toBe(1);
    expect(cells('Event', { metadata: meta('x'), involvedObject: { kind: 'Node' } })[3]).toBe('node');
  });
});

describe('replication controllers', () => {
  it('DESIRED CURRENT READY, containers and the selector map with -o wide', () => {
    const rc = { metadata: meta('web'), spec: { replicas: 3, selector: { app: 'web' }, template: { spec: { containers: [{ name: 'a', image: 'i1' }, { name: 'b', image: 'i2' }] } } }, status: { replicas: 3, readyReplicas: 2 } };
    expect(cells('ReplicationController', rc)).toEqual(['web', 3, 3, 2, '120m', 'a,b', 'i1,i2', 'app=web']);
  });
});
