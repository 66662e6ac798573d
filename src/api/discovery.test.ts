import { describe, expect, it } from 'vitest';
import {
  aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, discoveryContentType, negotiateDiscovery, versionInfo,
} from './discovery.js';
import { RESOURCE_TYPES } from './registry.js';

type Json = Record<string, any>;

const KUBECTL_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('negotiateDiscovery: the format kube-apiserver picks from Accept', () => {
  it.each([
    ['kubectl 1.32 (v2 first)', KUBECTL_ACCEPT, 'v2'],
    ['an older client that knows only v2beta1', 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', 'v2beta1'],
    ['plain JSON', 'application/json', 'legacy'],
    ['no Accept', undefined, 'legacy'],
    ['anything', '*/*', 'legacy'],
    ['plain JSON preferred by quality', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.5,application/json', 'legacy'],
    ['an unknown aggregated version, then JSON', 'application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json', 'legacy'],
    ['protobuf only', 'application/vnd.kubernetes.protobuf', 'not-acceptable'],
    ['a Table of discovery', 'application/json;as=Table;v=v1;g=meta.k8s.io', 'not-acceptable'],
  ])('%s -> %s', (_, accept, want) => {
    expect(negotiateDiscovery(accept)).toBe(want);
  });

  it('answers carry the Content-Type kubectl reads to tell the formats apart', () => {
    expect(discoveryContentType('v2')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(discoveryContentType('legacy')).toBe('application/json');
  });
});

describe('aggregated discovery', () => {
  const apis = aggregatedDiscovery('apis', 'v2') as Json;
  const core = aggregatedDiscovery('api', 'v2') as Json;
  it('/api holds only the core group; /apis every other group', () => {
    expect(core['items'].map((g: Json) => g['metadata']['name'])).toEqual(['']);
    expect(apis['items'].map((g: Json) => g['metadata']['name'])).not.toContain('');
    expect(apis['items'].map((g: Json) => g['metadata']['name'])).toEqual(expect.arrayContaining(['apps', 'networking.k8s.io', 'cert-manager.io', 'acme.cert-manager.io']));
    expect(apis['apiVersion']).toBe('apidiscovery.k8s.io/v2');
    expect((aggregatedDiscovery('apis', 'v2beta1') as Json)['apiVersion']).toBe('apidiscovery.k8s.io/v2beta1');
  });
  it('every registry resource appears once, in its group and version', () => {
    const listed = [...core['items'], ...apis['items']].flatMap((g: Json) => g['versions'].flatMap((v: Json) => v['resources'].map((r: Json) => `${g['metadata']['name']}/${v['version']}/${r['resource']}`)));
    expect(listed.sort()).toEqual(RESOURCE_TYPES.map((r) => `${r.group}/${r.version}/${r.plural}`).sort());
  });
  it('a resource entry: scope, singular, verbs, short names, categories, subresources with their kinds', () => {
    const deploy = apis['items'].find((g: Json) => g['metadata']['name'] === 'apps')['versions'][0]['resources'].find((r: Json) => r['resource'] === 'deployments');
    expect(deploy).toEqual({
      resource: 'deployments', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, scope: 'Namespaced', singularResource: 'deployment',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['deploy'], categories: ['all'],
      subresources: [
        { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
        { subresource: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
      ],
    });
    const nodes = core['items'][0]['versions'][0]['resources'].find((r: Json) => r['resource'] === 'nodes');
    expect(nodes['scope']).toBe('Cluster');
  });
});

describe('legacy discovery', () => {
  it('/api: APIVersions with v1', () => {
    expect(apiVersions('127.0.0.1:6443')).toEqual({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] });
  });
  it('/apis: APIGroupList, each group with its preferred version', () => {
    const list = apiGroupList() as Json;
    const apps = list['groups'].find((g: Json) => g['name'] === 'apps');
    expect(apps).toEqual({ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });
    expect(list['groups'].find((g: Json) => g['name'] === 'autoscaling')['preferredVersion']['version']).toBe('v2');
  });
  it('/apis/GROUP: APIGroup, or nothing for a group knet does not serve', () => {
    expect(apiGroup('cert-manager.io')).toMatchObject({ kind: 'APIGroup', name: 'cert-manager.io', preferredVersion: { groupVersion: 'cert-manager.io/v1' } });
    expect(apiGroup('example.com')).toBeUndefined();
    expect(apiGroup('')).toBeUndefined();
  });
  it('/api/v1: pods, then pods/log and the other subresources', () => {
    const list = apiResourceList('', 'v1') as Json;
    expect(list['groupVersion']).toBe('v1');
    const names = list['resources'].map((r: Json) => r['name']);
    expect(names.slice(names.indexOf('pods'), names.indexOf('pods') + 4)).toEqual(['pods', 'pods/attach', 'pods/binding', 'pods/ephemeralcontainers']);
    expect(list['resources'].find((r: Json) => r['name'] === 'pods')).toEqual({
      name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'], categories: ['all'],
    });
    expect(list['resources'].find((r: Json) => r['name'] === 'pods/log')).toEqual({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
    expect(list['resources'].find((r: Json) => r['name'] === 'pods/eviction')).toMatchObject({ group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  });
  it('/apis/GROUP/VERSION: nothing for a version knet does not serve', () => {
    expect(apiResourceList('apps', 'v1beta1')).toBeUndefined();
    expect((apiResourceList('apps', 'v1') as Json)['resources'].find((r: Json) => r['name'] === 'deployments/scale'))
      .toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
  });
});

describe('/version', () => {
  it('a v1.32 server, with Go\'s names for the platform', () => {
    expect(versionInfo('linux', 'x64')).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0-knet', platform: 'linux/amd64' });
    expect(versionInfo('linux', 'arm64')['platform']).toBe('linux/arm64');
  });
});
