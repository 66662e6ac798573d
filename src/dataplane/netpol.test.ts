// NetworkPolicies on real packets: the node tables compiled from the core (compile/netpol-*)
// in running clusters of namespaces, probed from inside each pod (TCP connect, UDP
// `hostname`). One suite, two implementations: the upstream e2e scenarios' truth tables
// and random cyclonus-style policies must come out of the packets exactly as the core
// predicts them. Also: updates in place, traffic from the pod's own node, bridged traffic
// in kubenet (br_netfilter), and `knet flows`' recorder. Needs root, ip, nsenter, nft;
// every cluster is named knet-np<random>-… and removed in `finally`.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCase, layoutCluster, LAYOUT_REFS } from '../analyze/probe-generate.js';
import { buildMatrix } from '../analyze/matrix.js';
import type { Cluster } from '../cluster/fill-in.js';
import { SCENARIOS } from '../core/policy/test-support/e2e-scenarios.js';
import { Reachability, xyzCluster, xyzIPs, XYZ_PODS } from '../core/policy/test-support/xyz-model.js';
import type { Protocol } from '../model/types.js';
import { FlowRecorder, readFlows } from './netpol-flows.js';
import { startNetpolLab, type NetpolLab } from './netpol-lab.js';
import { probePairs, type ProbeResult, type ProbeTraffic } from './netpol-probe.js';
import { listNetns } from './teardown.js';

function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['ip', 'nft', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  }
  return '';
}
const reason = skipReason();
if (reason) console.log(`src/dataplane/netpol.test.ts skipped: ${reason}`);

/** Short timeouts: an answer inside these namespaces takes well under a millisecond; a timeout is tried again for 750 ms. */
const FAST = { timeoutMs: 250, retryTimeoutMs: 750 };
const FUZZ_CASES = Number(process.env['KNET_NETPOL_CASES'] ?? 48);
const LABS = 3;

const allowedByProbe = (r: ProbeResult): boolean => r.outcome === 'connected' || r.outcome === 'refused';

/** Cells where packets and the core's matrix differ, as `x/a -> y/b TCP/80: predicted X, probe timeout`. */
function disagreements(cluster: Cluster, results: readonly ProbeResult[]): string[] {
  const out: string[] = [];
  const byTraffic = new Map<string, ProbeResult[]>();
  for (const r of results) {
    const k = `${r.traffic.protocol}/${r.traffic.port}`;
    byTraffic.set(k, [...byTraffic.get(k) ?? [], r]);
  }
  for (const list of byTraffic.values()) {
    const t = list[0]!.traffic;
    const m = buildMatrix(cluster, { port: t.port, protocol: t.protocol as Protocol });
    for (const r of list) {
      const want = m.allowed(m.refs.indexOf(r.from), m.refs.indexOf(r.to));
      if (want !== allowedByProbe(r) || r.outcome === 'error') {
        out.push(`${r.from} -> ${r.to} ${t.protocol}/${t.port}: predicted ${want ? 'allowed' : 'blocked'}, probe ${r.outcome} ${r.detail}`);
      }
    }
  }
  return out;
}

/** Runs `work` items over the labs, one item per lab at a time. */
async function overLabs<T>(labs: readonly NetpolLab[], items: readonly T[], work: (lab: NetpolLab, item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(labs.map(async (lab) => {
    while (next < items.length) await work(lab, items[next++]!);
  }));
}

describe.skipIf(reason !== '')('NetworkPolicy on real packets (root)', () => {
  const labs: NetpolLab[] = [];
  const layoutLabs: NetpolLab[] = [];

  beforeAll(async () => {
    const made = await Promise.allSettled([
      ...Array.from({ length: LABS }, () => startNetpolLab(xyzCluster().cluster)),
      ...Array.from({ length: LABS }, () => startNetpolLab(layoutCluster().cluster)),
    ]);
    for (const [i, r] of made.entries()) if (r.status === 'fulfilled') (i < LABS ? labs : layoutLabs).push(r.value);
    const failed = made.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...labs, ...layoutLabs].map((l) => l.stop()));
    const left = (await listNetns()).filter((n) => [...labs, ...layoutLabs].some((l) => n.startsWith(`knet-${l.name}-`)));
    expect(left).toEqual([]);
  }, 60_000);

  it('the upstream e2e scenarios: packets give the truth table and the prediction', async () => {
    const ip = xyzIPs();
    const failures: string[] = [];
    const skipped: string[] = [];
    await overLabs(labs, SCENARIOS, async (lab, s) => {
      const { cluster } = xyzCluster(s.policies(ip));
      await lab.setCluster(cluster);
      const probes = s.probes.filter((p) => p.protocol !== 'SCTP');
      if (probes.length < s.probes.length) skipped.push(`${s.name} (SCTP: this kernel has none)`);
      if (probes.length === 0) return;
      const results = await lab.probe(XYZ_PODS, XYZ_PODS, probes.map((p) => ({ port: p.port, protocol: p.protocol })), FAST);
      for (const p of probes) {
        const got = new Reachability(XYZ_PODS, false);
        for (const r of results) if (r.traffic.port === p.port && r.traffic.protocol === p.protocol) got.expect(r.from, r.to, allowedByProbe(r));
        const want = p.expect(new Reachability()).render();
        if (got.render() !== want) failures.push(`${s.name} [${p.protocol}/${p.port}]\nwant:\n${want}\ngot:\n${got.render()}`);
      }
      failures.push(...disagreements(cluster, results).map((d) => `${s.name}: ${d}`));
    });
    if (skipped.length) console.log(`skipped: ${skipped.join('; ')}`);
    expect(failures).toEqual([]);
  }, 120_000);

  it(`differential fuzz: ${FUZZ_CASES} random policy sets, predicted matrix == probed matrix (TCP/80, TCP/81, UDP/81)`, async () => {
    const base = layoutCluster().cluster;
    const ipOf = (ref: string) => base.pods.find((p) => `${p.meta.namespace}/${p.meta.name}` === ref)!.status.podIPs[0]!;
    const traffic: ProbeTraffic[] = [{ port: 80, protocol: 'TCP' }, { port: 81, protocol: 'TCP' }, { port: 81, protocol: 'UDP' }];
    const failures: string[] = [];
    let cells = 0;
    let blocked = 0;
    const seeds = Array.from({ length: FUZZ_CASES }, (_, i) => 1000 + i);
    await overLabs(layoutLabs, seeds, async (lab, seed) => {
      const c = generateCase(seed, ipOf);
      const { cluster, issues } = layoutCluster(c.yaml);
      const errors = issues.filter((i) => i.severity === 'error');
      if (errors.length > 0) throw new Error(`seed ${seed}: ${errors[0]!.message}\n${c.yaml}`);
      await lab.setCluster(cluster);
      const results = await lab.probe(LAYOUT_REFS, LAYOUT_REFS, traffic, FAST);
      cells += results.length;
      blocked += results.filter((r) => !allowedByProbe(r)).length;
      const d = disagreements(cluster, results);
      if (d.length > 0) failures.push(`seed ${seed} (${d.length} cells):\n${c.yaml}\n${d.slice(0, 10).join('\n')}`);
    });
    console.log(`fuzz: ${FUZZ_CASES} cases, ${cells} cells (${blocked} blocked), ${failures.length} cases disagree`);
    expect(failures).toEqual([]);
    expect(cells).toBe(FUZZ_CASES * 81 * 3);
  }, 120_000);

  it('the full probe matrix: 81 pairs on two ports (its time is logged; the benchmark holds the figure)', async () => {
    const lab = layoutLabs[0]!;
    await lab.setCluster(layoutCluster(generateCase(7, (r) => lab.end(r).ip).yaml).cluster);
    const t = performance.now();
    const results = await lab.probe(LAYOUT_REFS, LAYOUT_REFS, [{ port: 80, protocol: 'TCP' }, { port: 81, protocol: 'TCP' }]);
    const s = (performance.now() - t) / 1000;
    console.log(`probe matrix: ${results.length} probes (${results.filter((r) => !allowedByProbe(r)).length} blocked) in ${s.toFixed(2)} s`);
    expect(results).toHaveLength(162);
  });

  it('updates in place: a label change moves a pod in or out of a peer set at once', async () => {
    const lab = layoutLabs[1]!;
    const policy = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: only-a, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n  ingress:\n  - from:\n    - namespaceSelector: {}\n      podSelector: {matchLabels: {role: friend}}\n';
    const friend = (on: boolean) => (l: string) => (on ? l.replace('name: b\n  namespace: y\n  labels:\n', 'name: b\n  namespace: y\n  labels:\n    role: friend\n') : l);
    const tcp80: ProbeTraffic[] = [{ port: 80, protocol: 'TCP' }];
    const timings: number[] = [];
    for (const on of [false, true, false, true]) {
      const cluster = layoutCluster(policy, 'calico', 3, friend(on)).cluster;
      const report = await lab.setCluster(cluster);
      timings.push(report.ms);
      const [r] = await lab.probe(['y/b'], ['x/a'], tcp80, FAST);
      expect(r!.outcome, `friend=${on}`).toBe(on ? 'connected' : 'timeout');
      expect(disagreements(cluster, await lab.probe(LAYOUT_REFS, LAYOUT_REFS, tcp80, FAST))).toEqual([]);
    }
    console.log(`label change to enforced: ${timings.slice(1).map((t) => `${t.toFixed(1)} ms`).join(', ')}`);
  });

  it('traffic from the pod\'s own node is always allowed (kubelet probes), from another node it is not', async () => {
    const lab = layoutLabs[2]!;
    await lab.setCluster(layoutCluster('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n').cluster);
    const dst = lab.end('x/a'); // on node-1
    const nodes = ['node-1', 'node-2'].map((n) => ({ ref: n, netns: lab.nodeNetns(n), ip: '' }));
    const results = await probePairs(nodes, [dst], [{ port: 80, protocol: 'TCP' }], FAST);
    expect(results.map((r) => `${r.from} ${r.outcome}`)).toEqual(['node-1 connected', 'node-2 timeout']);
  });

  it('flows: the recorder names the rule that allowed and the policy that dropped', async () => {
    const lab = layoutLabs[2]!;
    const policy = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {ns: y}}\n    ports:\n    - port: 80\n';
    await lab.setCluster(layoutCluster('').cluster);
    const recorder = new FlowRecorder(lab.name);
    try {
      recorder.update(lab.plan);
      await new Promise((r) => setTimeout(r, 300)); // the monitors subscribe
      // Rules made after the monitors started (they print those by handle only).
      await lab.setCluster(layoutCluster(policy).cluster);
      const results = await lab.probe(['y/b', 'z/b', 'x/a'], ['x/a', 'y/c'], [{ port: 80, protocol: 'TCP' }], FAST);
      expect(results.map((r) => `${r.from}>${r.to} ${r.outcome}`)).toContain('z/b>x/a timeout');
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      recorder.stop();
    }
    await new Promise((r) => setTimeout(r, 100));
    const flows = readFlows(lab.name, 1000);
    const line = (src: string, dst: string) => flows.find((f) => f.srcPod === src && f.dstPod === dst && f.dport === 80);
    expect(line('y/b', 'x/a')).toMatchObject({ verdict: 'FORWARDED', egress: { kind: 'not-isolated' }, ingress: { kind: 'allowed', by: 'x/web', rule: 'spec.ingress[0]' } });
    expect(line('z/b', 'x/a')).toMatchObject({ verdict: 'DROPPED', ingress: { kind: 'denied', isolatedBy: ['x/web'] } });
    expect(line('x/a', 'y/c')).toMatchObject({ verdict: 'FORWARDED', egress: { kind: 'not-isolated' }, ingress: { kind: 'not-isolated' } });
  });

  it('kubenet (bridge, br_netfilter): same-node bridged traffic meets the forward hook too', async () => {
    const lab = await startNetpolLab(layoutCluster('', 'kubenet').cluster);
    try {
      const policy = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: from-b, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n  ingress:\n  - from:\n    - namespaceSelector: {}\n      podSelector: {matchLabels: {pod: b}}\n';
      const cluster = layoutCluster(policy, 'kubenet').cluster;
      await lab.setCluster(cluster);
      // y/a and z/a share node-1 (and its bridge cbr0) with x/a.
      const results = await lab.probe(LAYOUT_REFS, LAYOUT_REFS, [{ port: 80, protocol: 'TCP' }, { port: 81, protocol: 'UDP' }], FAST);
      expect(results.find((r) => r.from === 'y/a' && r.to === 'x/a' && r.traffic.protocol === 'TCP')!.outcome).toBe('timeout');
      expect(results.find((r) => r.from === 'y/b' && r.to === 'x/a' && r.traffic.protocol === 'TCP')!.outcome).toBe('connected');
      expect(disagreements(cluster, results)).toEqual([]);
    } finally {
      await lab.stop();
    }
  });
});
