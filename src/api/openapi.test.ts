import { describe, expect, it } from 'vitest';
import { kindSchemaName, openApiV3Document, openApiV3Index } from './openapi.js';

const RESOURCES = [
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { group: 'cert-manager.io', version: 'v1', kind: 'Certificate', plural: 'certificates', namespaced: true },
];

describe('OpenAPI v3', () => {
  it('each document is built once for a set of resources (the same answer, not built again); another set gets its own', () => {
    const copy = RESOURCES.map((r) => ({ ...r }));
    expect(openApiV3Document('api/v1', copy)).toBe(openApiV3Document('api/v1', RESOURCES));
    expect(openApiV3Index(copy)).toBe(openApiV3Index(RESOURCES));
    const fewer = RESOURCES.filter((r) => r.kind !== 'Node');
    expect(openApiV3Document('api/v1', fewer)).not.toBe(openApiV3Document('api/v1', RESOURCES));
    expect(JSON.stringify(openApiV3Document('api/v1', fewer))).not.toContain('nodes');
  });

  it('the index names one document per group-version, with a hash of its content', () => {
    const index = openApiV3Index(RESOURCES) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(index.paths)).toEqual(['api/v1', 'apis/apps/v1', 'apis/cert-manager.io/v1']);
    expect(index.paths['apis/apps/v1']!.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const other = openApiV3Index([...RESOURCES, { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true }]) as typeof index;
    expect(other.paths['apis/apps/v1']!.serverRelativeURL).not.toBe(index.paths['apis/apps/v1']!.serverRelativeURL);
    expect(other.paths['api/v1']!.serverRelativeURL).toBe(index.paths['api/v1']!.serverRelativeURL);
  });

  it('PATCH is tagged with its kind and takes fieldValidation (what kubectl --validate=strict checks)', () => {
    const doc = openApiV3Document('apis/apps/v1', RESOURCES) as any;
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query')).toBe(true);
    const cluster = openApiV3Document('api/v1', RESOURCES) as any;
    expect(cluster.paths['/api/v1/nodes/{name}'].patch['x-kubernetes-group-version-kind'].kind).toBe('Node');
  });

  it('schemas carry the merge keys and strategies, and the kind', () => {
    const doc = openApiV3Document('apis/apps/v1', RESOURCES) as any;
    const schemas = doc.components.schemas;
    expect(schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    const containers = schemas['io.k8s.api.core.v1.PodSpec'].properties.containers;
    expect(containers).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] });
    expect(schemas['io.k8s.api.core.v1.Container'].properties.ports['x-kubernetes-list-map-keys']).toEqual(['containerPort', 'protocol']);
    expect(schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy['x-kubernetes-patch-strategy']).toBe('retainKeys');
  });

  it('no document for a group-version the server does not serve; CRD schemas named by reversed group', () => {
    expect(openApiV3Document('apis/nope/v1', RESOURCES)).toBeUndefined();
    expect(kindSchemaName('cert-manager.io', 'v1', 'Certificate')).toBe('io.cert-manager.v1.Certificate');
    expect(kindSchemaName('networking.k8s.io', 'v1', 'Ingress')).toBe('io.k8s.api.networking.v1.Ingress');
  });
});
