// helm 4 with public manifests (../shared/realworld): none of the sets is a helm chart, so each
// set's files, unchanged, become the templates of a chart made in a temp dir (nothing in them is
// templated), and helm installs it with --wait against the API (a FakeBackend, no root), then
// uninstalls it. What a real application brings: ServiceAccounts, RBAC, CRDs and their custom
// resources, Jobs, webhooks, every kind knet keeps as written.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlSkipReason } from './test-support/fake-backend.js';
import { helmOnFakeApi, helmSkipReason, type HelmOnFakeApi } from './test-support/helm-chart.js';

const REALWORLD = '../shared/realworld';

/** Every YAML file under `dir`, depth first, sorted (a set's own order). */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(e) ? [p] : [];
  });
}

/** A chart whose templates are the set's manifests as they are. */
function chartOf(set: string, into: string): string {
  mkdirSync(join(into, 'templates'), { recursive: true });
  writeFileSync(join(into, 'Chart.yaml'), `apiVersion: v2\nname: ${set.replace(/^\d+-/, '')}\nversion: 0.1.0\n`);
  yamlFiles(join(REALWORLD, set, 'manifests')).forEach((f, i) => copyFileSync(f, join(into, 'templates', `${String(i).padStart(3, '0')}.yaml`)));
  return into;
}

// Sets whose manifests helm can read as templates (kube-prometheus's rules hold `{{ $labels }}`).
// `has`: one object the set makes, with the namespace its manifest names ('' for none or cluster-scoped).
const SETS: readonly { set: string; namespace: string; has: readonly string[] }[] = [
  { set: '01-online-boutique', namespace: 'boutique', has: ['deployment.apps/frontend', '-n', 'boutique'] },
  { set: '08-ingress-nginx-examples', namespace: 'examples', has: ['job.batch/ingress-nginx-admission-create', '-n', 'ingress-nginx'] },
  { set: '15-argocd-ha', namespace: 'argocd', has: ['customresourcedefinition.apiextensions.k8s.io/applications.argoproj.io'] },
];

describe.skipIf(helmSkipReason || kubectlSkipReason || !existsSync(REALWORLD))('helm with public manifests as a chart (fake backend)', () => {
  let on: HelmOnFakeApi;
  beforeAll(async () => {
    on = await helmOnFakeApi('knet-helm-rw', 3);
  });
  afterAll(() => on?.close());

  it.each(SETS)('$set: install --wait (every Deployment, Job, Service and CRD ready by kstatus), then uninstall', async ({ set, namespace, has }) => {
    const chart = chartOf(set, join(on.dir, set));
    const install = await on.helm.run(['install', 'rw', chart, '-n', namespace, '--create-namespace', '--wait', '--timeout', '60s']);
    expect(install.err).toBe('');
    expect(install.out).toContain('STATUS: deployed');
    expect((await on.kubectl.run(['get', ...has, '-o', 'name'])).out).toBe(`${has[0]}\n`);
    const uninstall = await on.helm.run(['uninstall', 'rw', '-n', namespace, '--wait', '--timeout', '60s']);
    expect(uninstall.err).toBe('');
    expect(uninstall.out).toBe('release "rw" uninstalled\n');
    const left = await on.kubectl.run(['get', 'secrets', '-n', namespace, '-l', 'owner=helm', '-o', 'name']);
    expect(left.out).toBe('');
    expect((await on.kubectl.run(['get', ...has, '-o', 'name'])).err).toMatch(/NotFound|not found/);
  }, 120_000);
});
