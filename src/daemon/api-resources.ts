// The REST resources the daemon serves, as the Kubernetes API names them: group, version,
// plural, kind, scope, and where the running cluster keeps their objects.
import type { Cluster } from '../cluster/fill-in.js';
import type { AnyObject } from '../cluster/wire.js';

export interface ApiResource {
  readonly group: string; // '' = core
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly list: (c: Cluster) => readonly AnyObject[];
}

const workloads = (kind: string) => (c: Cluster): readonly AnyObject[] => c.workloads.filter((w) => w.kind === kind);

export const API_RESOURCES: readonly ApiResource[] = [
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, list: (c) => c.pods },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, list: (c) => c.services },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, list: (c) => c.nodes },
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, list: (c) => c.namespaces },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, list: (c) => c.configMaps },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, list: (c) => c.others.filter((o) => o.kind === 'Event') },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, list: (c) => c.secrets },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, list: workloads('Deployment') },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true, list: workloads('ReplicaSet') },
  { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true, list: workloads('StatefulSet') },
  { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true, list: workloads('DaemonSet') },
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true, list: workloads('Job') },
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true, list: (c) => c.endpointSlices },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true, list: (c) => c.ingresses },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', kind: 'IngressClass', namespaced: false, list: (c) => c.ingressClasses },
  { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, list: (c) => c.networkPolicies },
  { group: 'cert-manager.io', version: 'v1', plural: 'certificates', kind: 'Certificate', namespaced: true, list: (c) => c.certificates },
  { group: 'cert-manager.io', version: 'v1', plural: 'issuers', kind: 'Issuer', namespaced: true, list: (c) => c.issuers.filter((i) => i.kind === 'Issuer') },
  { group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers', kind: 'ClusterIssuer', namespaced: false, list: (c) => c.issuers.filter((i) => i.kind === 'ClusterIssuer') },
];

export function findApiResource(group: string, version: string, plural: string): ApiResource | undefined {
  return API_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function resourceOfKind(kind: string): ApiResource | undefined {
  return API_RESOURCES.find((r) => r.kind === kind);
}

/** `/api/v1` or `/apis/GROUP/VERSION`, then `[/namespaces/NS]/PLURAL[/NAME[/SUB]]`. */
export function resourcePath(r: ApiResource, namespace: string, name = ''): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return `${base}${r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
