// kube-proxy's rules as compiled for each node, in nft's and iptables-restore's own
// notation (golden files in golden/; `UPDATE_GOLDEN=1 npx vitest run src/compile` rewrites
// them), and the sync logic against an in-memory nftables that checks references: after
// any sequence of partial syncs the table equals a fresh full sync of the same cluster.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fill } from '../core/dns/test-support/fixture.js';
import { FLOW_CLUSTER } from '../core/service/flow-cases.js';
import { buildProxyIndex } from '../core/service/proxy-index.js';
import { kubeProxyIptables } from './kube-proxy-iptables.js';
import { loadBalancerRouteLines, loadBalancerRoutes } from './kube-proxy-lb-routes.js';
import { assembleTable, diffKubeProxy, kubeProxyState, kubeProxyTable, staleChains, type FragmentCache, type KubeProxyState } from './kube-proxy-nft.js';
import { programNode } from './kube-proxy-program.js';
import { deleteChains, diffTables, fullSync } from './nft-diff.js';
import { NftFake } from './nft-fake.js';
import { checkNftName, NftTransaction, renderTable, type NftTable } from './nft-model.js';

const here = dirname(fileURLToPath(import.meta.url));

function golden(name: string, actual: string): void {
  const path = join(here, 'golden', name);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(path)) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

function tableOf(yaml: string, node: string): NftTable {
  const { cluster, issues } = fill(yaml);
  expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
  return kubeProxyTable(programNode(buildProxyIndex(cluster), node));
}

const flow = fill(FLOW_CLUSTER).cluster;
const flowIndex = buildProxyIndex(flow);

describe('kube-proxy nftables table (golden)', () => {
  it.each(['node-1', 'node-3'])('the flow cluster on %s', (node) => {
    golden(`kube-proxy-flow-${node}.nft`, renderTable(kubeProxyTable(programNode(flowIndex, node))));
  });

  it('a full sync is one transaction that replaces the table', () => {
    const text = fullSync(kubeProxyTable(programNode(flowIndex, 'node-1'))).render();
    golden('kube-proxy-flow-node-1.full-sync.nft', text);
    expect(text.split('\n').slice(0, 3)).toEqual(['add table ip kube-proxy', 'delete table ip kube-proxy', 'add table ip kube-proxy { comment "rules for kube-proxy" ; }']);
  });

  it('iptables mode: iptables-restore input for node-1', () => {
    golden('kube-proxy-flow-node-1.iptables', kubeProxyIptables(programNode(flowIndex, 'node-1')));
  });

  it('LoadBalancer IPs: ECMP over every node (Cluster), only healthy nodes (Local)', () => {
    const routes = loadBalancerRoutes(flowIndex);
    expect(routes.map((r) => `${r.vip} ${r.service} -> ${r.nodes.join(',') || 'blackhole'}`)).toEqual([
      '198.51.100.50 prod/web-lb -> node-1,node-2',
      '198.51.100.51 prod/web-fw -> node-1,node-2,node-3',
    ]);
    expect(loadBalancerRouteLines(routes, 'br-nodes')[0]).toBe('route replace 198.51.100.50/32 nexthop via 172.18.0.2 dev br-nodes onlink nexthop via 172.18.0.3 dev br-nodes onlink');
  });
});

describe('kube-proxy rules, rule by rule', () => {
  const t1 = kubeProxyTable(programNode(flowIndex, 'node-1'));
  const t3 = kubeProxyTable(programNode(flowIndex, 'node-3'));
  const chainFor = (t: NftTable, prefix: string, svc: string) => [...t.chains].find(([n]) => n.startsWith(prefix) && n.includes(`-prod/${svc}/`))?.[1];
  const el = (t: NftTable, map: string) => Object.fromEntries(t.sets.get(map)!.elements);

  it('load balancing: endpoint i of n is drawn with 1/(n-i), the last unconditionally (each 1/n)', () => {
    const rules = chainFor(t1, 'service-', 'web')!.rules;
    expect(rules[0]).toBe('ip daddr 10.96.20.10 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade');
    expect(rules[1]).toMatch(/^numgen random mod 2 == 0 goto endpoint-[A-Z2-7]{8}-prod\/web\/tcp\/http__10\.244\.0\.10\/8080$/);
    expect(rules[2]).toMatch(/^goto endpoint-[A-Z2-7]{8}-prod\/web\/tcp\/http__10\.244\.1\.10\/8080$/);
  });

  it('no endpoints: reject; internalTrafficPolicy Local without a local endpoint: drop; ETP Local from outside: drop', () => {
    expect(el(t1, 'no-endpoint-services')['10.96.20.30 . tcp . 80']).toBe('goto reject-chain');
    expect(el(t1, 'no-endpoint-services')['10.96.20.32 . tcp . 80']).toBe('goto reject-chain');
    expect(el(t1, 'service-ips')['10.96.20.20 . tcp . 80']).toMatch(/^goto local-/);
    expect(el(t3, 'no-endpoint-services')['10.96.20.20 . tcp . 80']).toBe('drop');
    expect(el(t3, 'no-endpoint-services')['198.51.100.50 . tcp . 80']).toBe('drop');
    expect(el(t3, 'service-ips')['198.51.100.50 . tcp . 80']).toMatch(/^goto external-/); // pod and host traffic still short-circuit
    expect(el(t1, 'no-endpoint-nodeports')).toEqual({ 'tcp . 30090': 'drop' }); // dying-local: its endpoint is on node-2
  });

  it('ETP Local: pod traffic short-circuits, host traffic is masqueraded, the rest goes to local endpoints', () => {
    const ext = chainFor(t1, 'external-', 'web-local')!.rules;
    expect(ext.map((r) => r.replace(/[A-Z2-7]{8}-prod/g, 'H-prod'))).toEqual([
      'ip saddr 10.244.0.0/16 goto service-H-prod/web-local/tcp/http comment "short-circuit pod traffic"',
      'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
      'fib saddr type local goto service-H-prod/web-local/tcp/http comment "short-circuit local traffic"',
      'goto local-H-prod/web-local/tcp/http',
    ]);
    expect(chainFor(t3, 'external-', 'web-local')!.rules).toHaveLength(3); // node-3: no local endpoint, falls through to drop
  });

  it('session affinity: a timed set per endpoint, checked first, updated on DNAT', () => {
    const sets = [...t1.sets].filter(([n]) => n.startsWith('affinity-') && n.includes('/sticky/'));
    expect(sets).toHaveLength(2);
    expect(sets[0]![1].spec).toMatchObject({ type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeout: 10800 });
    const svc = chainFor(t1, 'service-', 'sticky')!.rules;
    expect(svc[1]).toMatch(/^ip saddr @affinity-\S+ goto endpoint-/);
    const ep = chainFor(t1, 'endpoint-', 'sticky')!.rules;
    expect(ep[1]).toMatch(/^update @affinity-\S+ \{ ip saddr \}$/);
  });

  it('loadBalancerSourceRanges: the LB IP is checked against them before DNAT', () => {
    expect(el(t1, 'firewall-ips')['198.51.100.51 . tcp . 80']).toMatch(/^goto firewall-/);
    expect(chainFor(t1, 'firewall-', 'web-fw')!.rules).toEqual(['ip saddr != 203.0.113.0/28 drop']);
  });

  it('headless, ExternalName and other proxies\' Services get nothing', () => {
    const names = [...t1.chains.keys()].join('\n');
    expect(names).not.toMatch(/\/headless\/|\/other\//);
    expect([...t1.sets.get('cluster-ips')!.elements.keys()]).not.toContain('10.96.20.60');
  });

  it('every chain and set name parses as an nft name', () => {
    for (const n of [...t1.chains.keys(), ...t1.sets.keys()]) expect(checkNftName(n)).toBe(n);
    expect(() => checkNftName('fwd')).toThrow(/keyword/);
    expect(() => new NftTransaction('ip', 'x').addChain('a b')).toThrow();
  });
});

// ------------------------------------------------------------- partial syncs, in the fake

const base = (extra: string) => `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: t}
nodeCount: 2
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
${extra}`;
const pod = (name: string, node: string, ip: string, app: string) => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: a, labels: {app: ${app}}}
spec: {nodeName: ${node}, containers: [{name: c, image: agnhost, ports: [{name: http, containerPort: 8080}]}]}
status: {phase: Running, podIP: ${ip}}
`;
const service = (name: string, app: string, spec = '') => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: a}
spec:
  selector: {app: ${app}}
  ports: [{name: http, port: 80, targetPort: 8080}]
${spec.replace(/^/gm, '  ')}
`;

const STEPS: readonly [string, string][] = [
  ['two Services, two endpoints', base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w2', 'node-2', '10.244.1.5', 'web') + service('web', 'web') + service('api', 'api'))],
  ['an endpoint is added', base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w2', 'node-2', '10.244.1.5', 'web') + pod('w3', 'node-2', '10.244.1.6', 'web') + service('web', 'web') + service('api', 'api'))],
  ['the empty Service gets its endpoint', base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w3', 'node-2', '10.244.1.6', 'web') + pod('a1', 'node-1', '10.244.0.7', 'api') + service('web', 'web') + service('api', 'api'))],
  ['NodePort with ETP Local, affinity', base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w3', 'node-2', '10.244.1.6', 'web') + pod('a1', 'node-1', '10.244.0.7', 'api')
    + service('web', 'web', 'type: NodePort\nexternalTrafficPolicy: Local\nsessionAffinity: ClientIP') + service('api', 'api'))],
  ['the affinity timeout changes, a LoadBalancer appears', base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w3', 'node-2', '10.244.1.6', 'web') + pod('a1', 'node-1', '10.244.0.7', 'api')
    + service('web', 'web', 'type: NodePort\nexternalTrafficPolicy: Local\nsessionAffinity: ClientIP\nsessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}')
    + service('api', 'api', 'type: LoadBalancer\nloadBalancerSourceRanges: [203.0.113.0/24]'))],
  ['internalTrafficPolicy Local; an endpoint goes', base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('a1', 'node-1', '10.244.0.7', 'api')
    + service('web', 'web', 'internalTrafficPolicy: Local') + service('api', 'api', 'type: LoadBalancer'))],
  ['every Service goes', base(pod('w1', 'node-1', '10.244.0.5', 'web'))],
  ['they come back', base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w2', 'node-2', '10.244.1.5', 'web') + service('web', 'web') + service('api', 'api'))],
];

describe('partial syncs (in-memory nftables that checks references)', () => {
  it.each(['node-1', 'node-2'])('on %s, each step leaves exactly the table a full sync would write', (node) => {
    const whole = new NftFake(); // partial syncs of whole tables
    const parts = new NftFake(); // partial syncs of changed ports only (what the daemon sends)
    const cache: FragmentCache = new Map();
    let prev: NftTable | null = null;
    let prevState: KubeProxyState | null = null;
    for (const [what, yaml] of STEPS) {
      const { cluster } = fill(yaml);
      const program = programNode(buildProxyIndex(cluster), node);
      const next = kubeProxyTable(program);
      const state = kubeProxyState(program, cache);
      expect(renderTable(assembleTable(state.fixed, state.fragments.values())), what).toBe(renderTable(next));
      expect(() => whole.apply(prev ? diffTables(prev, next) : fullSync(next)), what).not.toThrow();
      expect(() => parts.apply(prevState ? diffKubeProxy(prevState, state) : fullSync(next)), what).not.toThrow();
      // Chains the partial sync flushed are deleted a second later, in a transaction of their own.
      if (prevState) expect(() => parts.apply(deleteChains('ip', 'kube-proxy', staleChains(prevState!, state))), what).not.toThrow();
      expect(renderTable(whole.table('ip', 'kube-proxy')!), what).toBe(renderTable(next));
      expect(renderTable(parts.table('ip', 'kube-proxy')!), what).toBe(renderTable(next));
      if (prev) expect(diffTables(next, next).size, `${what}: no change, no commands`).toBe(0);
      if (prevState) expect(diffKubeProxy(state, kubeProxyState(program, cache)).size, `${what}: no change, no commands`).toBe(0);
      prev = next;
      prevState = state;
    }
  });

  it('an endpoint change touches only its Service: its chains and nothing else', () => {
    const cache: FragmentCache = new Map();
    const state = (yaml: string) => kubeProxyState(programNode(buildProxyIndex(fill(yaml).cluster), 'node-1'), cache);
    const a = state(STEPS[0]![1]);
    const b = state(STEPS[1]![1]);
    // (kube-dns moves too: fill-in gives the CoreDNS pods the next free addresses; a running cluster pins them)
    expect([...b.fragments].filter(([n, f]) => a.fragments.get(n) !== f && !n.startsWith('kube-system/')).map(([n]) => n)).toEqual(['a/web:http']);
    const text = diffKubeProxy(a, b).render();
    expect(text).toMatch(/add chain ip kube-proxy endpoint-\S+-a\/web\/tcp\/http__10\.244\.1\.6\/8080/);
    expect(text).not.toMatch(/\/api\//);
    expect(text).not.toMatch(/service-ips|delete table/);
  });

  it('an endpoint change needs nothing nft must read the whole table for: rule blocks, no add rule, delete or element', () => {
    const cache: FragmentCache = new Map();
    const state = (yaml: string) => kubeProxyState(programNode(buildProxyIndex(fill(yaml).cluster), 'node-1'), cache);
    // w2 (10.244.1.5) is replaced by w3 (10.244.1.6): same Service, same count, another address.
    const a = state(base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w2', 'node-2', '10.244.1.5', 'web') + service('web', 'web')));
    const b = state(base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w3', 'node-2', '10.244.1.6', 'web') + service('web', 'web')));
    const lines = diffKubeProxy(a, b).render().split('\n').filter((l) => l.includes('-a/web/'));
    expect(lines.map((l) => l.split(' ').slice(0, 2).join(' ')).sort()).toEqual(['add chain', 'add chain', 'add chain', 'flush chain', 'flush chain']);
    expect(lines.find((l) => l.startsWith('add chain ip kube-proxy endpoint-') && l.includes('{'))).toMatch(
      /^add chain ip kube-proxy endpoint-\S+__10\.244\.1\.6\/8080 \{ ip saddr 10\.244\.1\.6 jump mark-for-masquerade ; meta l4proto tcp dnat to 10\.244\.1\.6:8080 ; \}$/);
    expect(staleChains(a, b).filter((c) => c.includes('-a/web/'))).toEqual([expect.stringMatching(/^endpoint-\S+__10\.244\.1\.5\/8080$/)]);
    expect(deleteChains('ip', 'kube-proxy', staleChains(a, b)).render()).toMatch(/^delete chain ip kube-proxy endpoint-\S+__10\.244\.1\.5\/8080$/m);
  });

  it('rule blocks name only sets the transaction declares (affinity sets are declared again)', () => {
    const cache: FragmentCache = new Map();
    const state = (yaml: string) => kubeProxyState(programNode(buildProxyIndex(fill(yaml).cluster), 'node-1'), cache);
    const affinity = 'sessionAffinity: ClientIP';
    const a = state(base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w2', 'node-2', '10.244.1.5', 'web') + service('web', 'web', affinity)));
    const b = state(base(pod('w1', 'node-1', '10.244.0.5', 'web') + pod('w2', 'node-2', '10.244.1.5', 'web') + pod('w3', 'node-2', '10.244.1.6', 'web') + service('web', 'web', affinity)));
    const tx = diffKubeProxy(a, b);
    const declared = tx.commands.filter((c) => c.kind === 'set' && c.verb === 'add').map((c) => (c as { name: string }).name).filter((n) => n.includes('-a/web/'));
    expect(declared).toHaveLength(3); // w3's new set, and w1's and w2's, which the refilled service chain names
    const fake = new NftFake();
    fake.apply(fullSync(assembleTable(a.fixed, a.fragments.values())));
    expect(() => fake.apply(tx)).not.toThrow();
    const undeclared = new NftTransaction('ip', 'kube-proxy', { ruleBlocks: true }).addRule('services', `ip saddr @${declared[0]} drop`);
    expect(() => fake.apply(undeclared)).toThrow(/does not declare/);
  });

  it('the fake refuses what the kernel refuses', () => {
    const fake = new NftFake();
    const t = tableOf(STEPS[0]![1], 'node-1');
    fake.apply(fullSync(t));
    const missing = new NftTransaction('ip', 'kube-proxy').addRule('services', 'goto nowhere');
    expect(() => fake.apply(missing)).toThrow(/missing chain nowhere/);
    const inUse = new NftTransaction('ip', 'kube-proxy').deleteChain('reject-chain');
    expect(() => fake.apply(inUse)).toThrow(/not empty/);
    const referenced = new NftTransaction('ip', 'kube-proxy').flushChain('reject-chain').deleteChain('reject-chain');
    expect(() => fake.apply(referenced)).toThrow(/still referenced/);
    expect(renderTable(fake.table('ip', 'kube-proxy')!)).toBe(renderTable(t)); // a failed transaction changes nothing
  });
});
