// kubectl's default `--validate=strict` sends `fieldValidation=Strict`: a field the kind does not
// have is refused in kube-apiserver's words; `--validate=warn` prints a Warning per field and
// stores the object without them; `--validate=false` (Ignore) says nothing and drops them too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

const TYPOS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: typo, namespace: default}
spec:
  replicass: 2
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec:
      containers: [{name: c, image: nginx, imagee: nginx:2}]
`;

describe.skipIf(kubectlSkipReason)('unknown fields, driven by stock kubectl', () => {
  let api: LoopbackApi;
  let kubectl: ReturnType<typeof kubectlAgainst>;
  beforeAll(async () => {
    api = await serveFakeApi();
    kubectl = kubectlAgainst(api.url);
  });
  afterAll(async () => {
    kubectl.close();
    await api.close();
  });
  const stored = async (): Promise<string> => (await kubectl.run(['get', 'deploy', 'typo', '-o', 'jsonpath={.spec}'])).out;

  it('apply (default --validate=strict): 400, both fields named, nothing stored', async () => {
    const r = await kubectl.run(['apply', '-f', '-'], TYPOS);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe('Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicass", unknown field "spec.template.spec.containers[0].imagee"');
    expect((await kubectl.run(['get', 'deploy', 'typo'])).code).toBe(1);
  });

  it('apply --validate=warn: a Warning per field; the object is stored without them', async () => {
    const r = await kubectl.run(['apply', '--validate=warn', '-f', '-'], TYPOS);
    expect(r.err).toBe('Warning: unknown field "spec.replicass"\nWarning: unknown field "spec.template.spec.containers[0].imagee"\n');
    expect(r.out).toBe('deployment.apps/typo created\n');
    const spec = JSON.parse(await stored()) as { template: { spec: { containers: Record<string, unknown>[] } } };
    expect(spec).not.toHaveProperty('replicass');
    expect(spec.template.spec.containers[0]).toEqual(expect.objectContaining({ image: 'nginx' }));
    expect(spec.template.spec.containers[0]).not.toHaveProperty('imagee');
  });

  it('replace (strict) is refused the same way; --validate=false says nothing', async () => {
    const r = await kubectl.run(['replace', '-f', '-'], TYPOS);
    expect(r.err.trim()).toBe('Error from server (BadRequest): error when replacing "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicass", unknown field "spec.template.spec.containers[0].imagee"');
    const quiet = await kubectl.run(['replace', '--validate=false', '-f', '-'], TYPOS);
    expect(quiet).toMatchObject({ code: 0, err: '' });
    expect(await stored()).not.toContain('replicass');
  });

  it('a merge patch with fieldValidation=Strict: 400 with the field, no kind prefix; a strategic one\'s directives are not fields', async () => {
    const patch = (type: string, body: unknown, mode: string) => fetch(`${api.url}/apis/apps/v1/namespaces/default/deployments/typo?fieldValidation=${mode}`, {
      method: 'PATCH', headers: { 'Content-Type': type }, body: JSON.stringify(body),
    });
    const refused = await patch('application/merge-patch+json', { spec: { replicass: 3 } }, 'Strict');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toBe('strict decoding error: unknown field "spec.replicass"');
    const warned = await patch('application/merge-patch+json', { spec: { replicass: 3 } }, 'Warn');
    expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"spec.replicass\\""');
    const directives = await patch('application/strategic-merge-patch+json', { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }], containers: [{ name: 'c', image: 'nginx:3' }] } } } }, 'Strict');
    expect(directives.status).toBe(200);
  });

  it('the depth limit holds before unknown fields are dropped: a patch nesting 600 deep in one is a 400', async () => {
    const body = `{"spec":{"x":${'['.repeat(600)}${']'.repeat(600)}}}`;
    const r = await fetch(`${api.url}/apis/apps/v1/namespaces/default/deployments/typo?fieldValidation=Ignore`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toMatch(/nests deeper than 512 levels/);
  });

  it('kubectl patch (Warn, its default): the warning, and the field is not stored', async () => {
    const r = await kubectl.run(['patch', 'deploy', 'typo', '-p', '{"spec":{"paused":true,"pausd":true}}']);
    expect(r.err).toBe('Warning: unknown field "spec.pausd"\n');
    expect(await stored()).toContain('"paused":true');
    expect(await stored()).not.toContain('pausd');
  });

  it('a kind knet has no schema for (a CRD) takes any field', async () => {
    const r = await kubectl.run(['apply', '-f', '-'], 'apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: own}\nspec: {selfSigned: {}, anyField: 1}\n');
    expect(r).toMatchObject({ code: 0, err: '' });
  });
});
