// The daemon's PATCH route over HTTP (no kubectl needed): status codes and what gets stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFakeApi, type LoopbackApi } from '../test-support/fake-backend.js';

describe('PATCH on the daemon\'s API', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await serveFakeApi();
    await api.backend.apply([{ name: 'x.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {a: "1"}\n' }]);
  });
  afterAll(async () => { await api.close(); });

  const path = (name: string): string => `${api.url}/api/v1/namespaces/default/configmaps/${name}`;
  const patch = (name: string, type: string, body: string, query = ''): Promise<Response> =>
    fetch(`${path(name)}${query}`, { method: 'PATCH', headers: { 'Content-Type': type, 'User-Agent': 'curl/8.0' }, body });

  it('a merge patch is stored, and its writer (from the User-Agent) owns what it changed', async () => {
    const r = await patch('c', 'application/merge-patch+json', '{"data":{"b":"2"}}');
    expect(r.status).toBe(200);
    const got = await (await fetch(path('c'))).json() as any;
    expect(got.data).toEqual({ a: '1', b: '2' });
    expect(got.metadata.managedFields).toMatchObject([{ manager: 'curl', operation: 'Update', fieldsV1: { 'f:data': { 'f:b': {} } } }]);
  });

  it('dryRun=All answers the patched object and stores nothing', async () => {
    const r = await patch('c', 'application/merge-patch+json', '{"data":{"a":"dry"}}', '?dryRun=All');
    expect(((await r.json()) as any).data.a).toBe('dry');
    expect(((await (await fetch(path('c'))).json()) as any).data.a).toBe('1');
  });

  it('server-side apply creates a missing object (201); other types answer 404', async () => {
    const created = await patch('new', 'application/apply-patch+yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\ndata: {k: v}\n', '?fieldManager=me');
    expect(created.status).toBe(201);
    expect(((await created.json()) as any).metadata.managedFields[0]).toMatchObject({ manager: 'me', operation: 'Apply' });
    const missing = await patch('gone', 'application/merge-patch+json', '{}');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).message).toBe('configmaps "gone" not found');
  });

  it('an unknown patch type is a 415, before the object is looked up', async () => {
    const r = await patch('gone', 'application/json', '{}');
    expect(r.status).toBe(415);
    expect(((await r.json()) as any).reason).toBe('UnsupportedMediaType');
  });

  it('a resourceVersion the patch sets is a precondition: another one is a 409', async () => {
    const r = await patch('c', 'application/merge-patch+json', '{"metadata":{"resourceVersion":"999999"}}');
    expect(r.status).toBe(409);
    expect(((await r.json()) as any).message).toContain('the object has been modified');
  });

  it('a namespace the cluster made is labelled (and stored as the user\'s); a controller\'s pod is not patched', async () => {
    const r = await fetch(`${api.url}/api/v1/namespaces/kube-system`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{"metadata":{"labels":{"a":"b"}}}' });
    expect(r.status).toBe(200);
    expect(((await (await fetch(`${api.url}/api/v1/namespaces/kube-system`)).json()) as any).metadata.labels).toEqual({ a: 'b', 'kubernetes.io/metadata.name': 'kube-system' });
    await api.backend.apply([{ name: 'd.yaml', text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: default}\nspec: {replicas: 1, selector: {matchLabels: {app: d}}, template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c, image: i}]}}}\n' }]);
    const pods = ((await (await fetch(`${api.url}/api/v1/namespaces/default/pods`)).json()) as any).items;
    const pod = await fetch(`${api.url}/api/v1/namespaces/default/pods/${pods[0].metadata.name}`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{"metadata":{"labels":{"a":"b"}}}' });
    expect(pod.status).toBe(409);
    expect(((await pod.json()) as any).message).toContain('is made by');
  });
});
