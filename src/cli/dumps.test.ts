// Dumps of real clusters' shapes (Calico, AWS VPC CNI, Azure CNI, dual-stack): every Predict
// command answers with the dump's own addresses and no false alarm. Expectations are read
// from the dump itself, so a command that contradicts it fails.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from './main.js';
import type { Io } from './output.js';

function run(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), color: false };
  const code = main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function json<T>(...argv: string[]): T {
  return JSON.parse(run(...argv, '-o', 'json').out) as T;
}

interface WireObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { clusterIP?: string; clusterIPs?: string[] };
  status?: { phase?: string; podIP?: string };
}

function objects(file: string): WireObject[] {
  return (parse(readFileSync(file, 'utf8')) as { items: WireObject[] }).items;
}

const clusterIPs = (items: readonly WireObject[], ns: string, name: string): string[] =>
  items.find((o) => o.kind === 'Service' && o.metadata.namespace === ns && o.metadata.name === name)!.spec!.clusterIPs!;

const DUMPS = [
  { name: 'calico', cni: 'calico' },
  { name: 'aws-vpc-cni', cni: 'azure' },
  { name: 'azure-cni', cni: 'azure' },
  { name: 'dual-stack', cni: 'calico' },
];

describe('dumps of real clusters are the truth', () => {
  for (const d of DUMPS) {
    describe(d.name, () => {
      const file = `test/fixtures/dumps/${d.name}.yaml`;
      const items = objects(file);
      const pods = items.filter((o) => o.kind === 'Pod');

      it('get pods -A -o wide: every pod with the IP the dump states; Pending without IP; the finished Job pod Completed', () => {
        const r = run('get', 'pods', '-A', '-o', 'wide', '-f', file);
        expect(r.code).toBe(0);
        const rows = new Map(r.out.trim().split('\n').slice(1).map((l) => l.split(/\s+/)).map((c) => [`${c[0]}/${c[1]}`, c]));
        expect([...rows.keys()].sort()).toEqual(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort());
        for (const p of pods) {
          const row = rows.get(`${p.metadata.namespace}/${p.metadata.name}`)!;
          expect([p.metadata.name, row[6]]).toEqual([p.metadata.name, p.status?.podIP ?? '<none>']);
        }
        expect(rows.get('shop/report-gpu')!.slice(3, 4).concat(rows.get('shop/report-gpu')![6]!)).toEqual(['Pending', '<none>']);
        const job = [...rows.entries()].find(([k]) => k.startsWith('shop/db-migrate-'))![1];
        expect(job[3]).toBe('Completed');
      });

      it('diagnose: no error and no warning (exit 0)', () => {
        const r = run('diagnose', '-f', file, '-o', 'json');
        expect(r.code).toBe(0);
        const issues = (JSON.parse(r.out) as { issues: { severity: string; code: string; message: string }[] }).issues;
        expect(issues.filter((i) => i.severity !== 'info').map((i) => `${i.code}: ${i.message}`)).toEqual([]);
        expect(issues.some((i) => i.code === 'cluster-inferred' || d.name === 'dual-stack')).toBe(true);
      });

      it('the finished Job pod (labelled app: api) is no endpoint of shop/api', () => {
        const jobIP = pods.find((p) => p.metadata.name.startsWith('db-migrate-'))!.status!.podIP!;
        const slices = json<{ items: { metadata: { labels: Record<string, string> }; endpoints: { addresses: string[] }[] }[] }>('get', 'endpointslices', '-n', 'shop', '-f', file).items
          .filter((s) => s.metadata.labels['kubernetes.io/service-name'] === 'api');
        const addresses = slices.flatMap((s) => s.endpoints.flatMap((e) => e.addresses));
        // The Service's families decide which of the pods' addresses are its endpoints.
        const v6 = clusterIPs(items, 'shop', 'api').map((ip) => ip.includes(':'));
        const running = pods.filter((p) => p.metadata.name.startsWith('api-'))
          .flatMap((p) => (p as unknown as { status: { podIPs: { ip: string }[] } }).status.podIPs.map((a) => a.ip))
          .filter((a) => v6.includes(a.includes(':')));
        expect(addresses.sort()).toEqual(running.sort());
        expect(addresses).not.toContain(jobIP);
      });

      it('trace: web reaches the api Service; the toolbox is denied by shop/api-from-web, as the policy says', () => {
        const web = pods.find((p) => p.metadata.name.startsWith('web-'))!.metadata.name;
        const ok = json<{ verdict: string; steps: { layer: string; summary: string }[] }>('trace', '-f', file, '--from', `shop/${web}`, 'http://api.shop:8080/');
        expect(ok.verdict).toBe('delivered');
        expect(ok.steps.find((s) => s.layer === 'service')!.summary).toContain('one of 2 endpoints');
        const denied = json<{ verdict: string; failedAt: string; reason: string }>('trace', '-f', file, '--from', 'tools/toolbox', 'http://api.shop:8080/');
        expect([denied.verdict, denied.failedAt]).toEqual(['failed', 'policy']);
        expect(denied.reason).toMatch(/isolated for ingress by shop\/api-from-web/);
      });

      it('dns: kubernetes.default answers the dump\'s ClusterIP, asked through the dump\'s kube-dns', () => {
        const r = run('dns', '-f', file, '--from', 'tools/toolbox', 'kubernetes.default');
        expect(r.code).toBe(0);
        expect(r.out).toContain(`nameserver ${clusterIPs(items, 'kube-system', 'kube-dns')[0]};`);
        expect(r.out).toMatch(new RegExp(`kubernetes\\.default\\.svc\\.cluster\\.local\\. 30 IN A ${clusterIPs(items, 'default', 'kubernetes')[0]!.replace(/\./g, '\\.')}\\n`));
      });

      it('route and matrix answer (exit 0)', () => {
        expect(run('route', '-f', file, 'http://shop.example.com/').code).toBe(0);
        const m = run('matrix', '-f', file, '--port', '8080');
        expect(m.code).toBe(0);
        expect(m.out).toMatch(/shop\/api-/);
      });
    });
  }

  it('dual-stack: a dual-stack Service answers AAAA with its IPv6 ClusterIP; an IPv6-only one is reached over IPv6', () => {
    const file = 'test/fixtures/dumps/dual-stack.yaml';
    const items = objects(file);
    const r = run('dns', '-f', file, '--from', 'tools/toolbox', 'web.shop', '-t', 'AAAA');
    expect(r.out).toContain(`web.shop.svc.cluster.local. 30 IN AAAA ${clusterIPs(items, 'shop', 'web')[1]}`);
    const api = json<{ verdict: string; steps: { layer: string; summary: string }[] }>('trace', '-f', file, '--from', 'tools/toolbox', `[${clusterIPs(items, 'shop', 'api')[0]}]:8080`);
    expect(api.steps.find((s) => s.layer === 'service')!.summary).toContain('[fd00:10:96::a10]:8080/TCP is the ClusterIP of shop/api');
  });

  it('calico: a pod on another node\'s block is routed by a /32 to its own node', () => {
    const file = 'test/fixtures/dumps/calico.yaml';
    const t = json<{ verdict: string; steps: { layer: string; summary: string }[] }>('trace', '-f', file, '--from', 'tools/toolbox', '192.168.171.70:8080');
    expect(t.verdict).toBe('delivered');
    expect(t.steps.find((s) => s.layer === 'pod-network')!.summary).toBe(
      'k8s-worker-1 -> k8s-worker-2, routed: 192.168.171.70/32 (borrowed from block 192.168.171.64/26) via 10.10.0.13 (calico, as BGP installs it), no NAT');
  });
});
