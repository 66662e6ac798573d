import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { main } from './main.js';
import type { Io } from './output.js';
import { knownClusters } from '../daemon/client.js';

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => { out += t.endsWith('\n') ? t : `${t}\n`; }, err: (t) => { err += t.endsWith('\n') ? t : `${t}\n`; }, color: false };
  const code = main(argv, io);
  return { code, out, err };
}

const OPSCART = 'examples/opscart';
const DUMP = 'test/fixtures/dump/cluster-dump.yaml';

describe('knet get on examples/opscart', () => {
  it('pods -o wide -A lists every pod with its IP and node', () => {
    const r = run(['get', 'pods', '-o', 'wide', '-A', '-f', OPSCART]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    // 3 api + 3 frontend + 1 prometheus + 3 kafka + 2 ingress controllers + 2 coredns
    expect(lines.length - 1).toBe(14);
    for (const line of lines.slice(1)) expect(line).toMatch(/\s10\.244\.\d+\.\d+\s+node-[123]\s/);
    expect(r.out).toMatch(/messaging\s+kafka-0\s/);
    expect(r.out).toMatch(/production\s+api-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}\s/);
  });

  it('svc shows kubectl columns, the default Services and the LoadBalancer address', () => {
    const r = run(['get', 'svc', '-A', '-f', OPSCART]);
    expect(r.out.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    expect(r.out).toMatch(/default\s+kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);
    expect(r.out).toMatch(/kube-system\s+kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP/);
    expect(r.out).toMatch(/messaging\s+kafka-headless\s+ClusterIP\s+None\s/);
    expect(r.out).toMatch(/orders-db\s+ExternalName\s+<none>\s+db\.external\.com/);
    expect(r.out).toMatch(/ingress-nginx-controller\s+LoadBalancer\s+10\.\d+\.\d+\.\d+\s+198\.51\.100\.\d+\s+80:3\d{4}\/TCP,443:3\d{4}\/TCP/);
  });

  it('endpoints lists ready pod addresses with the target port', () => {
    const r = run(['get', 'ep', 'api-service', '-n', 'production', '-f', OPSCART]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/api-service\s+10\.244\.\d+\.\d+:8080,10\.244\.\d+\.\d+:8080,10\.244\.\d+\.\d+:8080/);
  });

  it('ingress shows class, hosts, address and ports', () => {
    const r = run(['get', 'ing', '-n', 'production', '-f', OPSCART]);
    expect(r.out).toMatch(/opscart-ingress\s+nginx\s+api\.opscart\.com,app\.opscart\.com\s+198\.51\.100\.\d+\s+80, 443/);
  });

  it('-o json prints a v1 List of whole objects with the fill-in', () => {
    const r = run(['get', 'pods', '-n', 'messaging', '-o', 'json', '-f', OPSCART]);
    const list = JSON.parse(r.out);
    expect(list.kind).toBe('List');
    expect(list.apiVersion).toBe('v1');
    const kafka0 = list.items.find((p: { metadata: { name: string } }) => p.metadata.name === 'kafka-0');
    expect(kafka0.spec.hostname).toBe('kafka-0');
    expect(kafka0.spec.subdomain).toBe('kafka-headless');
    expect(kafka0.status.podIP).toMatch(/^10\.244\./);
    expect(kafka0.spec.nodeName).toMatch(/^node-/);
  });

  it('-l filters by label and -o name prints kind/name', () => {
    const r = run(['get', 'pods', '-A', '-l', 'app=api', '-o', 'name', '-f', OPSCART]);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^pod\/api-/);
  });

  it('is deterministic: the same input gives the same output', () => {
    const a = run(['get', 'all', '-A', '-o', 'yaml', '-f', OPSCART]);
    const b = run(['get', 'all', '-A', '-o', 'yaml', '-f', OPSCART]);
    expect(a.out).toBe(b.out);
  });
});

describe('knet get on a kubectl dump', () => {
  const kinds = 'nodes,namespaces,pods,services,endpointslices,deployments,replicasets';

  it('round-trips through -o yaml with its own addresses', () => {
    const r = run(['get', kinds, '-A', '-o', 'yaml', '-f', DUMP]);
    expect(r.code).toBe(0);
    const original = parse(readFileSync(DUMP, 'utf8')).items as Record<string, any>[];
    const printed = new Map((parse(r.out).items as Record<string, any>[]).map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
    for (const o of original) {
      const p = printed.get(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      expect(p, `${o.kind} ${o.metadata.name} printed`).toBeDefined();
      expect(p).toMatchObject(o);
    }
  });

  it('keeps the dump pod IPs, nodes and the unready pod', () => {
    const r = run(['get', 'pods', '-n', 'shop', '-o', 'wide', '-f', DUMP]);
    expect(r.out).toMatch(/web-7c9b5d8f6d-9dfzq\s+0\/1\s+Running\s+0\s+\S+\s+10\.244\.1\.9\s+kind-worker/);
    const ep = run(['get', 'ep', 'web', '-n', 'shop', '-f', DUMP]);
    expect(ep.out).not.toContain('10.244.1.9');
  });

  it('printing the printed output again changes nothing', () => {
    const first = run(['get', kinds, '-A', '-o', 'yaml', '-f', DUMP]).out;
    const dir = mkdtempSync(join(tmpdir(), 'knet-test-'));
    try {
      writeFileSync(`${dir}/again.yaml`, first);
      const second = run(['get', kinds, '-A', '-o', 'yaml', '-f', `${dir}/again.yaml`]).out;
      expect(second).toBe(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('knet get errors', () => {
  it('unknown resource type names the known ones', () => {
    const r = run(['get', 'widgets', '-f', OPSCART]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`the server doesn't have a resource type "widgets"`);
  });

  it('a missing object is NotFound with exit 1', () => {
    const r = run(['get', 'svc', 'nope', '-n', 'production', '-f', OPSCART]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Error from server (NotFound): services "nope" not found');
  });

  it('no -f says how to give a cluster', (ctx) => {
    // Without -f, get reads a running cluster: root tests running beside this one may have one.
    if (knownClusters().length > 0) ctx.skip();
    const r = run(['get', 'pods']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pass manifests with -f/);
  });

  it('an empty namespace says No resources found', () => {
    const r = run(['get', 'pods', '-n', 'nowhere', '-f', OPSCART]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('No resources found in nowhere namespace.');
  });
});

describe('knet get for cert-manager kinds (Predict)', () => {
  it('the ingress-shim\'s Certificates are not Ready, and say nothing issued them', () => {
    const r = run(['get', 'certs', '-A', '-f', 'examples/opscart']);
    expect(r.out.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+SECRET\s+AGE$/);
    expect(r.out).toMatch(/production\s+api-tls-cert\s+False\s+api-tls-cert\s/);
    const y = parse(run(['get', 'certificate', 'api-tls-cert', '-n', 'production', '-o', 'yaml', '-f', 'examples/opscart']).out) as { status: { conditions: { type: string; status: string; reason: string; message: string }[] } };
    expect(y.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'DoesNotExist' });
    expect(y.status.conditions[0]!.message).toMatch(/nothing issues certificates until the cluster runs/);
  });

  it('CertificateRequests, Orders and Challenges from a dump, with cert-manager\'s columns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'knet-acme-get-'));
    try {
      writeFileSync(join(dir, 'dump.yaml'), [
        'apiVersion: acme.cert-manager.io/v1\nkind: Challenge\nmetadata: {name: web-tls-1-123-456, namespace: shop}\nspec: {dnsName: web.example.com, type: HTTP-01, token: T, key: K}\nstatus: {state: pending, processing: true, presented: true, reason: "Waiting for HTTP-01 challenge propagation: wrong status code \'404\', expected \'200\'"}\n',
        'apiVersion: acme.cert-manager.io/v1\nkind: Order\nmetadata: {name: web-tls-1-123, namespace: shop}\nspec: {dnsNames: [web.example.com], issuerRef: {name: le}}\nstatus: {state: pending}\n',
        'apiVersion: cert-manager.io/v1\nkind: CertificateRequest\nmetadata: {name: web-tls-1, namespace: shop}\nspec: {issuerRef: {name: le, kind: ClusterIssuer}, request: Q1NS}\nstatus: {conditions: [{type: Approved, status: "True"}, {type: Ready, status: "False", reason: Pending}]}\n',
      ].join('---\n'));
      const ch = run(['get', 'challenges', '-n', 'shop', '-o', 'wide', '-f', dir]);
      expect(ch.out.split('\n')[0]).toMatch(/^NAME\s+STATE\s+DOMAIN\s+AGE\s+REASON$/);
      expect(ch.out).toMatch(/web-tls-1-123-456\s+pending\s+web\.example\.com\s+\S+\s+Waiting for HTTP-01 challenge propagation: wrong status code '404'/);
      expect(run(['get', 'orders', '-n', 'shop', '-f', dir]).out).toMatch(/^NAME\s+STATE\s+AGE\nweb-tls-1-123\s+pending\s/);
      const cr = run(['get', 'cr', '-n', 'shop', '-f', dir]).out;
      expect(cr).toMatch(/^NAME\s+APPROVED\s+DENIED\s+READY\s+ISSUER\s+REQUESTER\s+AGE\nweb-tls-1\s+True\s+False\s+le\s/);
      expect(run(['get', 'challenge', '-n', 'shop', '-o', 'name', '-f', dir]).out).toBe('challenge.acme.cert-manager.io/web-tls-1-123-456\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('knet get rc (ReplicationControllers)', () => {
  it('rc and its pods: DESIRED, CURRENT, READY as kubectl prints them; pods <rc>-<5 random>', () => {
    const dir = mkdtempSync(join(tmpdir(), 'knet-rc-'));
    try {
      writeFileSync(join(dir, 'rc.yaml'), 'apiVersion: v1\nkind: ReplicationController\nmetadata: {name: backend, namespace: default}\n' +
        'spec:\n  replicas: 2\n  template:\n    metadata: {labels: {role: backend}}\n    spec: {containers: [{name: b, image: nginx, ports: [{containerPort: 6379}]}]}\n');
      const rc = run(['get', 'rc', '-f', dir]);
      expect(rc.out).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nbackend\s+2\s+2\s+2\s+<unknown>\n$/);
      const pods = run(['get', 'pods', '-l', 'role=backend', '-f', dir]).out.trim().split('\n').slice(1);
      expect(pods).toHaveLength(2);
      for (const p of pods) expect(p).toMatch(/^backend-[bcdfghjklmnpqrstvwxz2456789]{5}\s/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
