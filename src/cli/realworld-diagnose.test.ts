// knet diagnose on public manifest sets people run on real clusters (../shared/realworld):
// an error there must be a real problem of that set as given, never a false alarm.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Io } from './output.js';

const REALWORLD = '../shared/realworld';

function diagnose(path: string): { code: number; errors: string[]; warnings: string[]; out: string } {
  let out = '';
  const io: Io = { out: (t) => { out += t.endsWith('\n') ? t : `${t}\n`; }, err: (t) => { out += t.endsWith('\n') ? t : `${t}\n`; }, color: false };
  const code = main(['diagnose', '-f', `${REALWORLD}/${path}`], io);
  const lines = out.split('\n');
  return { code, out, errors: lines.filter((l) => l.startsWith('  error')), warnings: lines.filter((l) => l.startsWith('  warning')) };
}

describe.skipIf(!existsSync(REALWORLD))('knet diagnose on real public manifests', () => {
  it('04-calico-stars: pods from ReplicationControllers (kept, not modelled) make the Services and policies unknown, not broken', () => {
    const r = diagnose('04-calico-stars');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.out).toMatch(/Service stars\/backend selects no pod knet knows .*ReplicationController stars\/backend.*: whether it has endpoints is unknown/);
  });

  it('11-bookinfo: an Ingress of class istio (a controller knet does not model): one note, no warning', () => {
    const r = diagnose('11-bookinfo');
    expect(r.warnings).toEqual([]);
    expect(r.out).toMatch(/Ingress default\/gateway: class istio is served by a controller knet does not model/);
  });

  it('14-kube-prometheus: Prometheus and Alertmanager pods come from the operator\'s custom resources: unknown, not an error', () => {
    const r = diagnose('14-kube-prometheus');
    expect(r.errors).toEqual([]);
    expect(r.out).toMatch(/Service monitoring\/prometheus-k8s selects no pod knet knows .* may make them, which knet does not model/);
    expect(r.warnings.filter((w) => /matches no pod|selects no pod/.test(w))).toEqual([]);
  });

  it('09-ingress-nginx-multi-tls: backends whose pods come from ReplicationControllers are unknown, not 503', () => {
    const r = diagnose('09-ingress-nginx-multi-tls');
    expect(r.errors.filter((e) => /no endpoints|503/.test(e))).toEqual([]);
    expect(r.out).toMatch(/Ingress default\/foo-tls \(host foo\.bar\.com path \/\): its backend Service default\/http-svc selects no pod knet knows/);
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
    // The example asks the user to create the TLS Secret first; without it nginx serves its fake certificate.
    ['08-ingress-nginx-examples', /Secret default\/tls-secret named by Ingress default\/nginx-test does not exist/],
    // The example asks the user to create its TLS Secrets; its backends' pods come from
    // ReplicationControllers (unknown, a note: see below).
    ['09-ingress-nginx-multi-tls', /Secret default\/foobar named by Ingress default\/foo-tls does not exist/],
    // A documentation snippet: the Service alone, no pod labelled MyApp.
    ['13-website-networking-snippets', /Service default\/my-service has no endpoints/],
  ])('%s: a real problem of the set as given', (path, want) => {
    const r = diagnose(path);
    expect(r.errors.some((e) => want.test(e))).toBe(true);
    expect(r.code).toBe(1);
  });
});
