// Stock kubectl reads knet's discovery: api-resources, api-versions, short names, CRDs.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from './registry.js';
import { FakeBackend, kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

const OPSCART = readdirSync('examples/opscart').filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: readFileSync(`examples/opscart/${f}`, 'utf8') }));

/** `kubectl api-resources -o wide`'s rows, by NAME and APIVERSION, split on runs of spaces. */
function rows(out: string): Map<string, string[]> {
  const lines = out.trim().split('\n');
  const header = lines[0]!;
  const starts = [...header.matchAll(/\S+/g)].map((m) => m.index!);
  const cells = (line: string) => starts.map((s, i) => line.slice(s, starts[i + 1] ?? line.length).trim());
  return new Map(lines.slice(1).map((l) => {
    const c = cells(l);
    return [`${c[0]} ${c[2]}`, c];
  }));
}

describe.skipIf(kubectlSkipReason)('stock kubectl discovers knet\'s resources', () => {
  let api: LoopbackApi;
  let k: ReturnType<typeof kubectlAgainst>;
  beforeAll(async () => {
    api = await serveFakeApi(new FakeBackend('knet-registry', 3)); // opscart's Cluster has three nodes
    const applied = await api.backend.apply(OPSCART);
    if (!applied.outcome.state) throw new Error(`opscart refused: ${applied.outcome.issues.map((i) => i.message).join('; ')}`);
    k = kubectlAgainst(api.url);
  });
  afterAll(async () => {
    k.close();
    await api.close();
  });

  it('api-resources -o wide lists every resource with its short names, scope, kind, verbs and categories', async () => {
    const r = await k.run(['api-resources', '-o', 'wide']);
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND\s+VERBS\s+CATEGORIES$/);
    const table = rows(r.out);
    expect(table.size).toBe(RESOURCE_TYPES.length);
    for (const t of RESOURCE_TYPES) {
      const row = table.get(`${t.plural} ${t.group ? `${t.group}/${t.version}` : t.version}`);
      expect(row, t.plural).toEqual([
        t.plural, t.shortNames.join(','), t.group ? `${t.group}/${t.version}` : t.version, String(t.namespaced), t.kind,
        [...t.verbs].sort().join(','), t.categories.join(','),
      ]);
    }
    expect(table.get('pods v1')).toEqual(['pods', 'po', 'v1', 'true', 'Pod', 'create,delete,deletecollection,get,list,patch,update,watch', 'all']);
    expect(table.get('namespaces v1')?.[5]).toBe('create,delete,get,list,patch,update,watch');
    expect(table.get('certificates cert-manager.io/v1')?.slice(0, 2)).toEqual(['certificates', 'cert,certs']);
  });

  it('api-resources filters by group and scope as on a real cluster', async () => {
    const r = await k.run(['api-resources', '--api-group=apps', '--namespaced=true', '-o', 'name']);
    expect(r.out.trim().split('\n')).toEqual(['controllerrevisions.apps', 'daemonsets.apps', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps']);
    const cm = await k.run(['api-resources', '--categories=cert-manager', '-o', 'name']);
    expect(cm.out.trim().split('\n').sort()).toEqual(['certificaterequests.cert-manager.io', 'certificates.cert-manager.io', 'challenges.acme.cert-manager.io',
      'clusterissuers.cert-manager.io', 'issuers.cert-manager.io', 'orders.acme.cert-manager.io']);
  });

  it('api-versions lists every group/version', async () => {
    const r = await k.run(['api-versions']);
    const want = [...new Set(RESOURCE_TYPES.map((t) => (t.group ? `${t.group}/${t.version}` : t.version)))].sort();
    expect(r.out.trim().split('\n')).toEqual(want);
  });

  it('get --raw /apis is aggregated discovery only when asked; plain JSON gets the APIGroupList', async () => {
    const r = await k.run(['get', '--raw', '/apis']);
    const doc = JSON.parse(r.out) as { kind: string; groups: { name: string }[] };
    expect(doc.kind).toBe('APIGroupList');
    expect(doc.groups.map((g) => g.name)).toContain('cert-manager.io');
  });

  it('version reports a v1.32 server', async () => {
    const r = await k.run(['version', '-o', 'json']);
    const v = JSON.parse(r.out) as { serverVersion: { major: string; minor: string; gitVersion: string } };
    expect(v.serverVersion).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0-knet' });
  });

  it('get crd lists the cert-manager CRDs and knet\'s Cluster', async () => {
    const r = await k.run(['get', 'crd', '-o', 'name']);
    expect(r.err).toBe('');
    expect(r.out.trim().split('\n')).toEqual([
      'customresourcedefinition.apiextensions.k8s.io/certificaterequests.cert-manager.io',
      'customresourcedefinition.apiextensions.k8s.io/certificates.cert-manager.io',
      'customresourcedefinition.apiextensions.k8s.io/challenges.acme.cert-manager.io',
      'customresourcedefinition.apiextensions.k8s.io/clusterissuers.cert-manager.io',
      'customresourcedefinition.apiextensions.k8s.io/clusters.knet.dev',
      'customresourcedefinition.apiextensions.k8s.io/issuers.cert-manager.io',
      'customresourcedefinition.apiextensions.k8s.io/orders.acme.cert-manager.io',
    ]);
    const one = await k.run(['get', 'crd', 'certificates.cert-manager.io', '-o', 'jsonpath={.spec.names.shortNames}']);
    expect(one.out).toBe('["cert","certs"]');
  });

  it.each([
    ['po', 'pod/'], ['svc', 'service/api-service'], ['cert', 'certificate.cert-manager.io/'], ['deploy', 'deployment.apps/'],
    ['netpol', 'networkpolicy.networking.k8s.io/'], ['ing', 'ingress.networking.k8s.io/'],
  ])('get %s resolves through discovery', async (name, first) => {
    const r = await k.run(['get', name, '-n', 'production', '-o', 'name']);
    expect(r.err).toBe('');
    expect(r.out).toContain(first);
  });

  it('get all expands the all category from discovery', async () => {
    const r = await k.run(['get', 'all', '-n', 'production', '-o', 'name']);
    expect(r.err).toBe('');
    const kinds = [...new Set(r.out.trim().split('\n').map((l) => l.slice(0, l.indexOf('/'))))];
    expect(kinds).toEqual(['pod', 'service', 'deployment.apps', 'replicaset.apps']);
  });

  it('a kind knet keeps but does not model answers as an empty list', async () => {
    const r = await k.run(['get', 'pdb', '-n', 'production']);
    expect([r.code, r.err.trim()]).toEqual([0, 'No resources found in production namespace.']);
  });
});
