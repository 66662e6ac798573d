import { describe, expect, it } from 'vitest';
import {
  apiVersionOf, groupResource, groupVersionResourceText, isClusterScopedKind, keptResource, kindWithGroup, RESOURCE_TYPES, resourceByKind,
  resourceByName, resourceFor, resourcePath, resourcesInCategory,
} from './registry.js';

describe('resourceByName: the names kubectl takes', () => {
  it.each([
    ['po', 'Pod'], ['pods', 'Pod'], ['pod', 'Pod'], ['Pod', 'Pod'], ['svc', 'Service'], ['ep', 'Endpoints'], ['endpoints', 'Endpoints'],
    ['ing', 'Ingress'], ['netpol', 'NetworkPolicy'], ['no', 'Node'], ['ns', 'Namespace'], ['deploy', 'Deployment'],
    ['deployments.apps', 'Deployment'], ['deployment.apps', 'Deployment'], ['deployments.v1.apps', 'Deployment'],
    ['cert', 'Certificate'], ['certs', 'Certificate'], ['certificates.cert-manager.io', 'Certificate'], ['cr', 'CertificateRequest'],
    ['ciss', 'ClusterIssuer'], ['iss', 'Issuer'], ['crd', 'CustomResourceDefinition'], ['sa', 'ServiceAccount'], ['pdb', 'PodDisruptionBudget'],
    ['cj', 'CronJob'], ['hpa', 'HorizontalPodAutoscaler'], ['ev', 'Event'], ['rc', 'ReplicationController'], ['podtemplates', 'PodTemplate'],
  ])('%s -> %s', (name, kind) => {
    expect(resourceByName(name)?.kind).toBe(kind);
  });

  it.each(['pos', 'deployments.batch', 'pods.v1', 'nothing', 'cert.apps'])('%s -> none', (name) => {
    expect(resourceByName(name)).toBeUndefined();
  });
});

describe('the registry holds kube-apiserver\'s values', () => {
  it('no two resources share a group and plural, or a short name', () => {
    const keys = RESOURCE_TYPES.map((r) => `${r.group}/${r.plural}`);
    expect(new Set(keys).size).toBe(keys.length);
    const shorts = RESOURCE_TYPES.flatMap((r) => r.shortNames);
    expect(new Set(shorts).size).toBe(shorts.length);
  });

  it('pods: every verb, the all category, the subresources kubectl uses', () => {
    const pods = resourceByKind('Pod')!;
    expect(pods.verbs).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    expect(pods.categories).toEqual(['all']);
    expect(pods.subresources).toEqual(expect.arrayContaining(['status', 'log', 'exec', 'portforward', 'attach', 'binding', 'eviction', 'ephemeralcontainers']));
  });

  it('namespaces cannot be deleted as a collection', () => {
    expect(resourceByKind('Namespace')!.verbs).not.toContain('deletecollection');
  });

  it('scale is a subresource of exactly the workloads kubectl scale takes', () => {
    expect(RESOURCE_TYPES.filter((r) => r.subresources.includes('scale')).map((r) => r.kind).sort())
      .toEqual(['Deployment', 'ReplicaSet', 'ReplicationController', 'StatefulSet']);
  });

  it('kubectl get all: its kinds in discovery order', () => {
    expect(resourcesInCategory('all').map((r) => r.plural)).toEqual(['pods', 'replicationcontrollers', 'services', 'daemonsets', 'deployments',
      'replicasets', 'statefulsets', 'horizontalpodautoscalers', 'cronjobs', 'jobs']);
  });

  it('cert-manager kinds (and knet\'s Cluster) are CRDs, cert-manager\'s in its categories; the rest are built in', () => {
    expect(RESOURCE_TYPES.filter((r) => r.crd).map((r) => groupResource(r)).sort()).toEqual([
      'certificaterequests.cert-manager.io', 'certificates.cert-manager.io', 'challenges.acme.cert-manager.io',
      'clusterissuers.cert-manager.io', 'clusters.knet.dev', 'issuers.cert-manager.io', 'orders.acme.cert-manager.io',
    ]);
    for (const r of RESOURCE_TYPES.filter((x) => x.crd && x.group !== 'knet.dev')) expect(r.categories).toContain('cert-manager');
  });

  it('modelled kinds name their inventory list; kept kinds do not', () => {
    for (const r of RESOURCE_TYPES) expect(r.modelled, r.kind).toBe(r.inventory !== undefined);
    expect(resourceByKind('Event')!.modelled).toBe(false);
    expect(resourceByKind('Deployment')!.inventory).toBe('workloads');
  });
});

describe('names and paths', () => {
  const deploy = resourceByKind('Deployment')!;
  const pods = resourceByKind('Pod')!;
  const nodes = resourceByKind('Node')!;
  it('apiVersionOf', () => {
    expect([apiVersionOf(pods), apiVersionOf(deploy), apiVersionOf(resourceByKind('HorizontalPodAutoscaler')!)]).toEqual(['v1', 'apps/v1', 'autoscaling/v2']);
  });
  it('resourcePath: namespaced and cluster-scoped', () => {
    expect(resourcePath(pods, 'prod', 'web-1')).toBe('/api/v1/namespaces/prod/pods/web-1');
    expect(resourcePath(deploy, '')).toBe('/apis/apps/v1/deployments');
    expect(resourcePath(nodes, 'ignored', 'node-1')).toBe('/api/v1/nodes/node-1');
  });
  it('resourceFor finds by group, version and plural only', () => {
    expect(resourceFor('apps', 'v1', 'deployments')).toBe(deploy);
    expect(resourceFor('', 'v1', 'deployments')).toBeUndefined();
  });
  it('kubectl\'s texts: group resource, GVR, kind with group', () => {
    expect([groupResource(pods), groupResource(deploy)]).toEqual(['pods', 'deployments.apps']);
    expect([groupVersionResourceText(pods), groupVersionResourceText(deploy)]).toEqual(['/v1, Resource=pods', 'apps/v1, Resource=deployments']);
    expect([kindWithGroup('Service'), kindWithGroup('Ingress'), kindWithGroup('ServiceMonitor')]).toEqual(['service', 'ingress.networking.k8s.io', 'servicemonitor']);
  });
  it.each([['Namespace', true], ['ClusterIssuer', true], ['Cluster', true], ['StorageClass', true], ['Pod', false], ['ServiceMonitor', false]])(
    'isClusterScopedKind(%s) = %s', (kind, want) => expect(isClusterScopedKind(kind)).toBe(want));
});

describe('keptResource: a kind the registry does not know, found among the kept objects', () => {
  const monitor = (ns: string, name: string) => ({
    kind: 'ServiceMonitor', apiVersion: 'monitoring.coreos.com/v1', raw: null,
    meta: { name, namespace: ns, labels: {}, annotations: {}, uid: '', creationTimestamp: '', deletionTimestamp: '', ownerReferences: [] },
  });
  const cluster = { others: [monitor('monitoring', 'api'), monitor('monitoring', 'web')] } as unknown as Parameters<typeof keptResource>[0];
  it.each(['servicemonitors', 'servicemonitor', 'ServiceMonitor'])('%s -> its objects, group and version from their apiVersion', (name) => {
    const r = keptResource(cluster, name)!;
    expect([r.kind, r.group, r.version, r.plural, r.namespaced, r.modelled]).toEqual(['ServiceMonitor', 'monitoring.coreos.com', 'v1', 'servicemonitors', true, false]);
    expect(r.list(cluster).map((o) => o.meta.name)).toEqual(['api', 'web']);
  });
  it('a name no kept object has -> none', () => {
    expect(keptResource(cluster, 'prometheusrules')).toBeUndefined();
  });
});
