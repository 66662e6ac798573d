// knet's Cluster kind (knet.dev/v1alpha1) through stock kubectl: `kubectl apply -f` of an
// example directory sends it with the rest, so the API serves it as a cluster-scoped CRD; its
// settings stay fixed while the cluster runs, its metadata (last-applied-configuration) may change.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBackend, kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

const OPSCART = join(import.meta.dirname, '../../examples/opscart');

describe.skipIf(kubectlSkipReason)('the Cluster kind through kubectl', () => {
  let api: LoopbackApi;
  let k: ReturnType<typeof kubectlAgainst>;
  let dir: string;
  beforeAll(async () => {
    api = await serveFakeApi(new FakeBackend('knet-cluster-kind', 3));
    const files = readdirSync(OPSCART).filter((f) => f.endsWith('.yaml')).sort();
    const r = await api.backend.apply(files.map((f) => ({ name: f, text: readFileSync(join(OPSCART, f), 'utf8') })));
    expect(r.outcome.issues.filter((i) => i.severity === 'error')).toEqual([]);
    k = kubectlAgainst(api.url);
    dir = mkdtempSync(join(tmpdir(), 'knet-cluster-kind-'));
  });
  afterAll(async () => {
    k.close();
    rmSync(dir, { recursive: true, force: true });
    await api.close();
  });

  it('kubectl get clusters lists it; api-resources names it', async () => {
    const got = await k.run(['get', 'clusters']);
    expect(got.err).toBe('');
    expect(got.out).toMatch(/^opscart\s/m);
    const resources = await k.run(['api-resources', '--api-group', 'knet.dev']);
    expect(resources.out).toMatch(/^clusters\s+knet\.dev\/v1alpha1\s+false\s+Cluster$/m);
  });

  it('kubectl apply -f examples/opscart: every object, the Cluster too, with default validation', async () => {
    const r = await k.run(['apply', '-f', OPSCART]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^cluster\.knet\.dev\/opscart (configured|unchanged)$/m);
    const again = await k.run(['apply', '-f', OPSCART]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/^cluster\.knet\.dev\/opscart unchanged$/m);
  });

  it('a changed setting is refused with the reason, and nothing changes', async () => {
    const changed = readFileSync(join(OPSCART, '00-cluster.yaml'), 'utf8').replace('cni: calico', 'cni: flannel');
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, changed);
    const r = await k.run(['apply', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the Cluster object cannot change while the cluster runs');
    expect((await k.run(['get', 'cluster', 'opscart', '-o', 'jsonpath={.networking.cni}'])).out).toBe('calico');
  });
});
