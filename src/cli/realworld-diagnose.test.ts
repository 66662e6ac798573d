// knet diagnose on public manifest sets people run on real clusters (../shared/realworld):
// an error there must be a real problem of that set as given, never a false alarm.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Io } from './output.js';

const REALWORLD = '../shared/realworld';

function run(args: readonly string[]): { code: number; out: string } {
  let out = '';
  const io: Io = { out: (t) => { out += t.endsWith('\n') ? t : `${t}\n`; }, err: (t) => { out += t.endsWith('\n') ? t : `${t}\n`; }, color: false };
  const code = main([...args], io);
  return { code, out };
}

function diagnose(path: string): { code: number; errors: string[]; warnings: string[]; out: string } {
  const { code, out } = run(['diagnose', '-f', `${REALWORLD}/${path}`]);
  const lines = out.split('\n');
  return { code, out, errors: lines.filter((l) => l.startsWith('  error')), warnings: lines.filter((l) => l.startsWith('  warning')) };
}

/** stdout only, for -o json. */
function json(args: readonly string[]): Record<string, unknown> {
  let out = '';
  const io: Io = { out: (t) => { out += t; }, err: () => {}, color: false };
  main([...args], io);
  return JSON.parse(out) as Record<string, unknown>;
}

describe.skipIf(!existsSync(REALWORLD))('knet diagnose on real public manifests', () => {
  it('04-calico-stars: ReplicationControllers make pods (<rc>-<5 random>, selector from the template), so Services have endpoints', () => {
    const r = diagnose('04-calico-stars');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.out).not.toMatch(/selects no pod/);
    expect(run(['get', 'pods', '-n', 'stars', '-f', `${REALWORLD}/04-calico-stars`]).out).toMatch(/^backend-[bcdfghjklmnpqrstvwxz2456789]{5} /m);
  });

  it('11-bookinfo: an Ingress of class istio (a controller knet does not model): one note, no warning', () => {
    const r = diagnose('11-bookinfo');
    expect(r.warnings.filter((w) => !w.includes('is deprecated'))).toEqual([]); // the API server's own warning for the class annotation stays
    expect(r.out).toMatch(/Ingress default\/gateway: class istio is served by a controller knet does not model/);
  });

  it('14-kube-prometheus: Prometheus and Alertmanager pods come from the operator\'s custom resources: unknown, not an error', () => {
    const r = diagnose('14-kube-prometheus');
    expect(r.errors).toEqual([]);
    expect(r.out).toMatch(/Service monitoring\/prometheus-k8s: whether it has endpoints is unknown: its pods \(.*\) would come from Prometheus monitoring\/k8s, which knet keeps but does not model/);
    expect(r.warnings.filter((w) => /matches no pod|selects no pod/.test(w))).toEqual([]);
    // The kinds knet keeps but does not model: one note, a count per kind.
    expect(r.out).toMatch(/info {4}kept, not modelled: 13 ServiceMonitor, 10 CustomResourceDefinition, 8 PrometheusRule, .*1 Alertmanager, 1 Prometheus/);
    expect(r.out.match(/kept, not modelled/g)).toHaveLength(1);
  });

  it('09-ingress-nginx-multi-tls: backends whose pods come from ReplicationControllers are served; the TLS Secrets made out of band are notes', () => {
    const r = diagnose('09-ingress-nginx-multi-tls');
    expect([r.errors, r.warnings]).toEqual([[], []]);
    expect(r.out).toMatch(/info {4}Ingress default\/foo-tls: Secret default\/foobar is not in the input; if the cluster lacks it, ingress-nginx serves its fake certificate for foo\.bar\.com/);
  });

  it('08-ingress-nginx-examples: the TLS Secret the example asks to create is a note, not an error', () => {
    const r = diagnose('08-ingress-nginx-examples');
    expect([r.errors, r.warnings]).toEqual([[], []]);
    expect(r.out).toMatch(/Secret default\/tls-secret is not in the input; if the cluster lacks it, ingress-nginx serves its fake certificate for foo\.bar\.com/);
  });

  it('13-website-networking-snippets: separate documentation snippets: a Service and a policy whose pods are elsewhere are notes', () => {
    const r = diagnose('13-website-networking-snippets');
    expect(r.errors).toEqual([]);
    expect(r.warnings.filter((w) => /NetworkPolicy|Service default\/my-service/.test(w))).toEqual([]);
    expect(r.out).toMatch(/Service default\/my-service: whether it has endpoints is unknown: no pod in the input matches app\.kubernetes\.io\/name=MyApp.*if none in the cluster does, connections are refused/);
    expect(r.out).toMatch(/namespaceSelector project=myproject matches no namespace knet knows/);
  });

  it('15-argocd-ha: no error and no warning', () => {
    const r = diagnose('15-argocd-ha');
    expect([r.errors, r.warnings]).toEqual([[], []]);
  });

  // Real problems of the sets as given: each recipe or example states what it leaves out.
  it.each([
    // The recipe denies all egress to show it; DNS goes with it (recipe 11b adds the DNS rule back).
    ['03-netpol-recipes/manifests/11a-deny-egress', /NetworkPolicy default\/foo-deny-egress isolates egress and no policy allows DNS/],
    ['03-netpol-recipes/manifests/12-deny-egress-namespace', /NetworkPolicy default\/default-deny-all-egress isolates egress and no policy allows DNS/],
  ])('%s: a real problem of the set as given', (path, want) => {
    const r = diagnose(path);
    expect(r.errors.some((e) => want.test(e))).toBe(true);
    expect(r.code).toBe(1);
  });

  it('03-netpol-recipes 11b: the same egress deny with the recipe\'s DNS rule -> no error (the DNS loss of 11a and 12 is the recipes\' own point)', () => {
    const r = diagnose('03-netpol-recipes/manifests/11b-deny-egress-allow-dns');
    expect([r.errors, r.code]).toEqual([[], 0]);
  });
});

describe.skipIf(!existsSync(REALWORLD))('knet trace, route and matrix on real public manifests: unknown where knet cannot know', () => {
  const kp = `${REALWORLD}/14-kube-prometheus`;

  it('14-kube-prometheus: a trace to the prometheus-k8s Service is unknown at service, naming the Prometheus resource; exit 0', () => {
    const t = json(['trace', '--from', 'monitoring/deploy/grafana', 'http://prometheus-k8s.monitoring:9090/', '-f', kp, '-o', 'json']);
    expect([t['verdict'], t['unknownAt'], t['failedAt']]).toEqual(['unknown', 'service', null]);
    expect(t['reason']).toMatch(/whether monitoring\/prometheus-k8s has endpoints is unknown: its pods .* would come from Prometheus monitoring\/k8s/);
    const r = run(['trace', '--from', 'monitoring/deploy/grafana', 'http://prometheus-k8s.monitoring:9090/', '-f', kp]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}service +\? +whether monitoring\/prometheus-k8s has endpoints is unknown/m);
    expect(r.out).toMatch(/^UNKNOWN at service: /m);
    expect(r.out).not.toMatch(/FAILED|make spec\.selector/);
  });

  it('14-kube-prometheus: the matrix has ? rows and columns for the operator\'s pods, with a legend; JSON cells "unknown"', () => {
    const table = run(['matrix', '-n', 'monitoring', '--port', '9090', '-f', kp]).out;
    expect(table).toMatch(/\? unknown/);
    expect(table).toMatch(/^ *\d+ monitoring\/prometheus-k8s\? +(\? +)+\?$/m);
    expect(table).toMatch(/^ {2}monitoring\/prometheus-k8s\? {2}pods of Service monitoring\/prometheus-k8s; its pods .* would come from Prometheus monitoring\/k8s/m);
    const m = json(['matrix', '-n', 'monitoring', '--port', '9090', '-f', kp, '-o', 'json']) as { pods: string[]; allowed: Record<string, Record<string, unknown>>; unknown: Record<string, { service: string }> };
    const grafana = m.pods.find((p) => p.startsWith('monitoring/grafana-'))!;
    expect(m.pods).not.toContain('monitoring/prometheus-k8s?');
    expect(m.allowed[grafana]!['monitoring/prometheus-k8s?']).toBe('unknown');
    expect(m.allowed['monitoring/prometheus-k8s?']![grafana]).toBe('unknown');
    expect(typeof m.allowed[grafana]![grafana]).toBe('boolean');
    expect(m.unknown['monitoring/prometheus-k8s?']!.service).toBe('monitoring/prometheus-k8s');
  });

  it('04-calico-stars: with the RCs\' pods the trace answers: frontend reaches backend, client is denied by the policy', () => {
    const stars = `${REALWORLD}/04-calico-stars`;
    const ok = json(['trace', '--from', 'stars/rc/frontend', 'backend.stars:6379', '-f', stars, '-o', 'json']);
    expect(ok['verdict']).toBe('delivered');
    expect(ok['reason']).toMatch(/^delivered to stars\/backend-[a-z0-9]{5} /);
    const denied = json(['trace', '--from', 'client/rc/client', 'backend.stars:6379', '-f', stars, '-o', 'json']);
    expect([denied['verdict'], denied['failedAt']]).toEqual(['failed', 'policy']);
  });

  it('13-website-networking-snippets: a trace to my-service (no pod in the snippets) is unknown, not refused', () => {
    const t = json(['trace', '--from', 'default/hostaliases-pod', 'my-service:80', '-f', `${REALWORLD}/13-website-networking-snippets`, '-o', 'json']);
    expect([t['verdict'], t['unknownAt']]).toEqual(['unknown', 'service']);
    expect(t['reason']).toMatch(/no pod in the input matches app\.kubernetes\.io\/name=MyApp/);
  });

  it('08-ingress-nginx-examples: route and trace over https: the TLS Secret made out of band is unknown, the request is routed', () => {
    const set = `${REALWORLD}/08-ingress-nginx-examples`;
    const r = json(['route', 'https://foo.bar.com/', '-f', set, '-o', 'json']);
    expect([r['verdict'], r['status']]).toEqual(['unknown', 200]);
    expect(r['tls']).toMatchObject({ secret: 'default/tls-secret', default: null });
    expect(String((r['tls'] as { unknown: string }).unknown)).toMatch(/Secret default\/tls-secret is not in the input/);
    const t = json(['trace', '--from', 'external', 'https://foo.bar.com/', '-f', set, '-o', 'json']);
    expect([t['verdict'], t['unknownAt'], t['failedAt']]).toEqual(['unknown', 'tls', null]);
    expect(t['delivered']).not.toBeNull();
  });
});
