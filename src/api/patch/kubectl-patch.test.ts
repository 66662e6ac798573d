// Stock kubectl against the daemon's API handler (fake backend): apply (client-side and
// server-side), patch in three types, label, annotate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from '../test-support/fake-backend.js';

const deployment = (image: string, replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
`;

describe.skipIf(kubectlSkipReason)('stock kubectl patches objects', () => {
  let api: LoopbackApi;
  let k: ReturnType<typeof kubectlAgainst>;
  let dir: string;
  beforeAll(async () => {
    api = await serveFakeApi();
    k = kubectlAgainst(api.url);
    dir = mkdtempSync(join(tmpdir(), 'knet-patch-'));
  });
  afterAll(async () => {
    k.close();
    rmSync(dir, { recursive: true, force: true });
    await api.close();
  });
  const file = (text: string): string => {
    const f = join(dir, `d${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, text);
    return f;
  };
  const get = async (path: string): Promise<any> => JSON.parse((await k.run(['get', '--raw', path])).out);
  const dep = '/apis/apps/v1/namespaces/default/deployments/web';

  it('apply -f creates, then a changed file is applied by strategic merge (default validation)', async () => {
    const first = await k.run(['apply', '-f', file(deployment('nginx:1', 2))]);
    expect(first.err).toBe('');
    expect(first.out).toContain('deployment.apps/web created');
    // A container added by someone else survives the next apply: a strategic merge by name, not a replace.
    const added = await k.run(['patch', 'deployment', 'web', '--type=strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"extra","image":"busybox"}]}}}}']);
    expect(added.err).toBe('');
    const second = await k.run(['apply', '-f', file(deployment('nginx:2', 2))]);
    expect(second.err).toBe('');
    expect(second.out).toContain('deployment.apps/web configured');
    const d = await get(dep);
    expect(d.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['web=nginx:2', 'extra=busybox']);
    expect(d.metadata.managedFields.map((e: any) => e.manager)).toContain('kubectl-client-side-apply');
  });

  it('patch --type=json and --type=merge', async () => {
    expect((await k.run(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]'])).err).toBe('');
    expect((await get(dep)).spec.replicas).toBe(3);
    expect((await k.run(['patch', 'deployment', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"front"}}}'])).err).toBe('');
    expect((await get(dep)).metadata.labels).toEqual({ app: 'web', tier: 'front' });
    const failed = await k.run(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']);
    expect(failed.code).not.toBe(0);
    expect(failed.err).toContain('The request is invalid');
    expect(failed.err).toContain('testing value /spec/replicas failed: test failed');
  });

  it('label and annotate', async () => {
    expect((await k.run(['label', 'deployment', 'web', 'team=net'])).out).toContain('deployment.apps/web labeled');
    expect((await k.run(['annotate', 'deployment', 'web', 'note=hi'])).out).toContain('deployment.apps/web annotated');
    const d = await get(dep);
    expect(d.metadata.labels['team']).toBe('net');
    expect(d.metadata.annotations['note']).toBe('hi');
    // A Service's wire form (with its allocated clusterIP) goes back through the store as it is.
    expect((await k.run(['apply', '-f', file('apiVersion: v1\nkind: Service\nmetadata: {name: front}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n')])).err).toBe('');
    const before = await get('/api/v1/namespaces/default/services/front');
    const labeled = await k.run(['label', 'services', 'front', 'team=net']);
    expect(labeled.err).toBe('');
    const after = await get('/api/v1/namespaces/default/services/front');
    expect(after.metadata.labels).toEqual({ team: 'net' });
    expect(after.spec.clusterIP).toBe(before.spec.clusterIP);
  });

  it('apply --server-side: a conflict with client-side apply, then --force-conflicts', async () => {
    const conflict = await k.run(['apply', '--server-side', '-f', file(deployment('nginx:2', 5))]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.err).toContain('Apply failed with');
    expect(conflict.err).toContain('.spec.replicas');
    const forced = await k.run(['apply', '--server-side', '--force-conflicts', '-f', file(deployment('nginx:2', 5))]);
    expect(forced.err).toBe('');
    expect(forced.out).toContain('deployment.apps/web serverside-applied');
    const d = await get(dep);
    expect(d.spec.replicas).toBe(5);
    expect(d.metadata.managedFields.find((e: any) => e.manager === 'kubectl' && e.operation === 'Apply')).toBeDefined();
    // kubectl then moved client-side apply's fields to its server-side manager (its migration patch).
    expect(d.metadata.managedFields.map((e: any) => e.manager)).not.toContain('kubectl-client-side-apply');
  });

  it('apply --server-side creates a new object', async () => {
    const r = await k.run(['apply', '--server-side', '-f', file('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\ndata: {a: "1"}\n')]);
    expect(r.err).toBe('');
    expect((await get('/api/v1/namespaces/default/configmaps/settings')).data).toEqual({ a: '1' });
  });

  it('--dry-run=server answers without storing; create records its manager', async () => {
    const dry = await k.run(['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"replicas":9}}', '--dry-run=server', '-o', 'jsonpath={.spec.replicas}']);
    expect(dry.out).toBe('9');
    expect((await get(dep)).spec.replicas).toBe(5);
    expect((await k.run(['create', '-f', file('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: made}\ndata: {k: v}\n')])).err).toBe('');
    expect((await get('/api/v1/namespaces/default/configmaps/made')).metadata.managedFields.map((e: any) => e.manager)).toEqual(['kubectl-create']);
  });

  it('apply -f of a file that drops a container and a label removes them (kubectl\'s $patch: delete and null)', async () => {
    const two = `apiVersion: apps/v1
kind: Deployment
metadata: {name: pair, labels: {app: pair, old: x}}
spec:
  selector: {matchLabels: {app: pair}}
  template:
    metadata: {labels: {app: pair}}
    spec:
      containers: [{name: a, image: a:1}, {name: b, image: b:1}]
`;
    expect((await k.run(['apply', '-f', file(two)])).err).toBe('');
    const one = two.replace(', old: x', '').replace(', {name: b, image: b:1}', '');
    expect((await k.run(['apply', '-f', file(one)])).err).toBe('');
    const d = await get('/apis/apps/v1/namespaces/default/deployments/pair');
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['a']);
    expect(d.metadata.labels).toEqual({ app: 'pair' });
    // A replace (PUT) takes the fields it changes from client-side apply.
    expect((await k.run(['replace', '-f', file(one.replace('a:1', 'a:2'))])).err).toBe('');
    const mf = (await get('/apis/apps/v1/namespaces/default/deployments/pair')).metadata.managedFields;
    expect(mf.find((e: any) => e.manager === 'kubectl-replace').fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"a"}']).toEqual({ 'f:image': {} });
  });

  it('a cert-manager kind: apply -f twice (kubectl sends a merge patch), and no strategic merge (415)', async () => {
    const issuer = (label: string): string => `apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: self, labels: {v: "${label}"}}\nspec: {selfSigned: {}}\n`;
    expect((await k.run(['apply', '-f', file(issuer('1'))])).err).toBe('');
    const again = await k.run(['apply', '-f', file(issuer('2'))]);
    expect(again.err).toBe('');
    expect(again.out).toContain('issuer.cert-manager.io/self configured');
    expect((await get('/apis/cert-manager.io/v1/namespaces/default/issuers/self')).metadata.labels).toEqual({ v: '2' });
    const smp = await k.run(['patch', 'issuer', 'self', '--type=strategic', '-p', '{"metadata":{"labels":{"v":"3"}}}']);
    expect(smp.err).toContain('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
  });

  it('rollout restart (a strategic merge patch of the pod template\'s annotations)', async () => {
    const r = await k.run(['rollout', 'restart', 'deployment', 'web']);
    expect(r.err).toBe('');
    expect(r.out).toContain('deployment.apps/web restarted');
    expect((await get(dep)).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-/);
  });

  it('a patch of a missing object is a 404 in the API server\'s words', async () => {
    const r = await k.run(['patch', 'deployment', 'nope', '--type=merge', '-p', '{}']);
    expect(r.err).toContain('deployments.apps "nope" not found');
  });
});
