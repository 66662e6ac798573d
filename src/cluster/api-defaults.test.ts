// What the API server sets and refuses when objects are created, checked on a filled-in
// cluster: the DefaultIngressClass admission plugin, headless Services' IP families, the
// ClusterIP allocator's range, and the uid and namespace every object gets.
import { describe, expect, it } from 'vitest';
import { parseCidr, type IP } from '../model/ip.js';
import { toWire } from './wire.js';
import { inServiceRange } from './service-ip-range.js';
import { clusterConfig, fill, rendered, service } from './test-support/cluster.js';
import type { Cluster } from './fill-in.js';

const ingressClass = (name: string, isDefault: boolean, created = '') => `
  apiVersion: networking.k8s.io/v1
  kind: IngressClass
  metadata:
    name: ${name}
    ${created ? `creationTimestamp: "${created}"` : ''}
    annotations: {ingressclass.kubernetes.io/is-default-class: "${isDefault}"}
  spec: {controller: k8s.io/ingress-nginx}`;

const ingress = (extra = '', meta = '') => `
  apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata:
    name: web
    ${meta}
  spec:
    ${extra}
    defaultBackend: {service: {name: web, port: {number: 80}}}`;

function classOf(c: Cluster): string {
  return c.ingresses.find((i) => i.meta.name === 'web')!.ingressClassName;
}

describe('DefaultIngressClass admission plugin', () => {
  const cases: { name: string; docs: string[]; want: string }[] = [
    { name: 'no class given, one default class -> that class', docs: [ingressClass('nginx', true), ingressClass('other', false), ingress()], want: 'nginx' },
    { name: 'no default class -> no class', docs: [ingressClass('nginx', false), ingress()], want: '' },
    { name: 'ingressClassName given -> kept', docs: [ingressClass('nginx', true), ingress('ingressClassName: other')], want: 'other' },
    { name: 'the kubernetes.io/ingress.class annotation given -> no class set', docs: [ingressClass('nginx', true), ingress('', 'annotations: {kubernetes.io/ingress.class: traefik}')], want: '' },
    {
      name: 'two default classes -> the newest (by creationTimestamp)',
      docs: [ingressClass('old', true, '2024-01-01T00:00:00Z'), ingressClass('new', true, '2025-06-01T00:00:00Z'), ingress()], want: 'new',
    },
    { name: 'two default classes created together -> the first by name', docs: [ingressClass('zeta', true), ingressClass('alpha', true), ingress()], want: 'alpha' },
    {
      name: 'a class in the input without a timestamp is created now, so it is newer than a dump\'s',
      docs: [ingressClass('dumped', true, '2025-06-01T00:00:00Z'), ingressClass('applied', true), ingress()], want: 'applied',
    },
    {
      name: 'a dump\'s stored Ingress (it has a uid) -> left as stored: the plugin acts on create only',
      docs: [ingressClass('nginx', true), ingress('', 'uid: 3f1c0a52-8d0e-4f7a-9a63-0c1d2e3f4a5b')], want: '',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { cluster } = fill(c.docs.join('\n---\n'));
      expect(classOf(cluster)).toBe(c.want);
    });
  }

  it('the class set by the plugin shows in -o yaml', () => {
    const { cluster } = fill([ingressClass('nginx', true), ingress()].join('\n---\n'));
    const w = toWire(cluster.ingresses.find((i) => i.meta.name === 'web')!);
    expect((w['spec'] as Record<string, unknown>)['ingressClassName']).toBe('nginx');
  });
});

describe('the ClusterIP allocator\'s range', () => {
  const cases: [string, string, boolean][] = [
    ['10.96.0.0/12', '10.96.0.0', false],
    ['10.96.0.0/12', '10.111.255.255', false],
    ['10.96.0.0/12', '10.96.0.1', true],
    ['10.96.0.0/12', '10.111.255.254', true],
    ['fd00:10:96::/112', 'fd00:10:96::', false],
    ['fd00:10:96::/112', 'fd00:10:96::ffff', true],
    ['10.96.0.0/12', '10.0.0.1', false],
  ];
  for (const [cidr, ip, want] of cases) {
    it(`${ip} in ${cidr} -> ${want ? 'allocatable' : 'not in the valid range'}`, () => {
      expect(inServiceRange(parseCidr(cidr)!, ip as IP)).toBe(want);
    });
  }

  it('a ClusterIP that is the range\'s network address -> refused as the API server refuses it', () => {
    const { issues } = fill(`
      apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec:
        clusterIP: 10.96.0.0
        ports: [{port: 80}]`);
    expect(rendered(issues, 'cluster-ip-out-of-range')).toEqual([
      'error: cluster-ip-out-of-range: spec.clusterIPs: Invalid value: ["10.96.0.0"]: failed to allocate IP 10.96.0.0: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    ]);
  });
});

describe('headless Services\' IP families', () => {
  const headless = (spec: string) => `
    apiVersion: v1
    kind: Service
    metadata: {name: db}
    spec:
      clusterIP: None
      ${spec}
      ports: [{port: 5432}]`;
  const cases: { name: string; yaml: string; families: number[]; policy: string }[] = [
    { name: 'with a selector -> the primary family, SingleStack', yaml: headless('selector: {app: db}'), families: [4], policy: 'SingleStack' },
    { name: 'without a selector -> both families, RequireDualStack (even on a single-stack cluster)', yaml: headless(''), families: [4, 6], policy: 'RequireDualStack' },
    {
      name: 'on an IPv6-first cluster -> IPv6 first',
      yaml: `${clusterConfig('networking: {podSubnet: "fd00:10:244::/56", serviceSubnet: "fd00:10:96::/112", nodeSubnet: "fd00:172:18::/64"}')}---\n${headless('selector: {app: db}')}`, families: [6], policy: 'SingleStack',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { cluster } = fill(c.yaml);
      const s = service(cluster, 'default', 'db');
      expect(s.ipFamilies).toEqual(c.families);
      const spec = toWire(s)['spec'] as Record<string, unknown>;
      expect(spec['ipFamilies']).toEqual(c.families.map((f) => `IPv${f}`));
      expect(spec['ipFamilyPolicy']).toBe(c.policy);
    });
  }
});

describe('metadata the API server sets on create', () => {
  const yaml = `
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings}
    data: {a: b}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: stored, namespace: shop, uid: 11111111-2222-4333-a444-555555555555}`;

  it('namespace and uid where the input has none; deterministic', () => {
    const one = fill(yaml).cluster.configMaps.find((m) => m.meta.name === 'settings')!;
    const two = fill(yaml).cluster.configMaps.find((m) => m.meta.name === 'settings')!;
    const meta = toWire(one)['metadata'] as Record<string, unknown>;
    expect(meta['namespace']).toBe('default');
    expect(meta['uid']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(meta['uid']).toBe((toWire(two)['metadata'] as Record<string, unknown>)['uid']);
  });

  it('a kind knet does not model (it may be cluster-scoped) gets a uid but no namespace it did not state', () => {
    const { cluster } = fill('apiVersion: external-secrets.io/v1beta1\nkind: ClusterSecretStore\nmetadata: {name: vault}\nspec: {}\n');
    const meta = toWire(cluster.others[0]!)['metadata'] as Record<string, unknown>;
    expect(meta['namespace']).toBeUndefined();
    expect(meta['uid']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a uid the input states is kept; objects of different kinds or names get different uids', () => {
    const { cluster } = fill(yaml);
    const stored = cluster.configMaps.find((m) => m.meta.name === 'stored')!;
    expect((toWire(stored)['metadata'] as Record<string, unknown>)['uid']).toBe('11111111-2222-4333-a444-555555555555');
    const uids = new Set([...cluster.configMaps, ...cluster.services, ...cluster.namespaces].map((o) => o.meta.uid));
    expect(uids.size).toBe(cluster.configMaps.length + cluster.services.length + cluster.namespaces.length);
  });
});
