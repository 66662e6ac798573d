// The daemon's API answers discovery as kube-apiserver does: the format from Accept, the Content-Type that says which.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

describe('discovery over HTTP', () => {
  let api: LoopbackApi;
  beforeAll(async () => { api = await serveFakeApi(); });
  afterAll(async () => { await api.close(); });
  const get = async (path: string, accept?: string) => {
    const r = await fetch(`${api.url}${path}`, { headers: accept ? { Accept: accept } : {} });
    return { code: r.status, type: r.headers.get('content-type'), vary: r.headers.get('vary'), body: await r.json() as Record<string, any> };
  };

  it.each([
    ['/apis', `${V2},${V2BETA1},application/json`, V2, 'APIGroupDiscoveryList'],
    ['/api', `${V2BETA1},application/json`, V2BETA1, 'APIGroupDiscoveryList'],
    ['/apis', 'application/json', 'application/json', 'APIGroupList'],
    ['/api', undefined, 'application/json', 'APIVersions'],
  ])('GET %s with Accept %s -> %s', async (path, accept, type, kind) => {
    const r = await get(path, accept);
    expect([r.code, r.type, r.body['kind'], r.vary]).toEqual([200, type, kind, 'Accept']);
  });

  it('an Accept with nothing knet can give -> 406 NotAcceptable', async () => {
    const r = await get('/apis', 'application/vnd.kubernetes.protobuf');
    expect([r.code, r.body['reason']]).toEqual([406, 'NotAcceptable']);
  });

  it('/apis/GROUP and /apis/GROUP/VERSION; 404 for what knet does not serve', async () => {
    expect((await get('/apis/apps')).body).toMatchObject({ kind: 'APIGroup', name: 'apps' });
    expect((await get('/apis/apps/v1')).body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'apps/v1' });
    expect((await get('/apis/example.com')).code).toBe(404);
    expect((await get('/apis/apps/v1beta1')).code).toBe(404);
  });

  it('/version is a v1.32 server', async () => {
    expect((await get('/version')).body).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0-knet' });
  });

  it('customresourcedefinitions list and get the cert-manager CRDs', async () => {
    const list = await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    expect(list.body['items'].map((c: Record<string, any>) => c['metadata']['name'])).toContain('certificates.cert-manager.io');
    const one = await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/orders.acme.cert-manager.io');
    expect(one.body['spec']['names']['categories']).toEqual(['cert-manager', 'cert-manager-acme']);
  });
});
