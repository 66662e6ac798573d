// kubectl's resource names: plural, singular and short forms, mapped to the kind and the
// cluster's list of such objects.
import type { Cluster } from '../cluster/fill-in.js';
import type { AnyObject } from '../cluster/wire.js';

export interface Resource {
  readonly kind: string;
  readonly plural: string;
  readonly names: readonly string[];
  readonly namespaced: boolean;
  readonly list: (c: Cluster) => readonly AnyObject[];
}

const workloads = (kind: string) => (c: Cluster) => c.workloads.filter((w) => w.kind === kind);
/** cert-manager's CertificateRequests, Orders and Challenges: kept as written (their controller stores them). */
const others = (kind: string) => (c: Cluster) => c.others.filter((o) => o.kind === kind);

export const RESOURCES: readonly Resource[] = [
  { kind: 'Pod', plural: 'pods', names: ['pods', 'pod', 'po'], namespaced: true, list: (c) => c.pods },
  { kind: 'Service', plural: 'services', names: ['services', 'service', 'svc'], namespaced: true, list: (c) => c.services },
  { kind: 'Endpoints', plural: 'endpoints', names: ['endpoints', 'ep'], namespaced: true, list: (c) => c.services.filter((s) => s.type !== 'ExternalName') },
  { kind: 'EndpointSlice', plural: 'endpointslices', names: ['endpointslices', 'endpointslice'], namespaced: true, list: (c) => c.endpointSlices },
  { kind: 'Ingress', plural: 'ingresses', names: ['ingresses', 'ingress', 'ing'], namespaced: true, list: (c) => c.ingresses },
  // What the running cluster's controllers report (an Ingress nginx refused): served by the daemon with its state.
  { kind: 'Event', plural: 'events', names: ['events', 'event', 'ev'], namespaced: true, list: others('Event') },
  { kind: 'IngressClass', plural: 'ingressclasses', names: ['ingressclasses', 'ingressclass'], namespaced: false, list: (c) => c.ingressClasses },
  { kind: 'NetworkPolicy', plural: 'networkpolicies', names: ['networkpolicies', 'networkpolicy', 'netpol'], namespaced: true, list: (c) => c.networkPolicies },
  { kind: 'Node', plural: 'nodes', names: ['nodes', 'node', 'no'], namespaced: false, list: (c) => c.nodes },
  { kind: 'Namespace', plural: 'namespaces', names: ['namespaces', 'namespace', 'ns'], namespaced: false, list: (c) => c.namespaces },
  { kind: 'Deployment', plural: 'deployments', names: ['deployments', 'deployment', 'deploy'], namespaced: true, list: workloads('Deployment') },
  { kind: 'ReplicaSet', plural: 'replicasets', names: ['replicasets', 'replicaset', 'rs'], namespaced: true, list: workloads('ReplicaSet') },
  { kind: 'StatefulSet', plural: 'statefulsets', names: ['statefulsets', 'statefulset', 'sts'], namespaced: true, list: workloads('StatefulSet') },
  { kind: 'DaemonSet', plural: 'daemonsets', names: ['daemonsets', 'daemonset', 'ds'], namespaced: true, list: workloads('DaemonSet') },
  { kind: 'ReplicationController', plural: 'replicationcontrollers', names: ['replicationcontrollers', 'replicationcontroller', 'rc'], namespaced: true, list: workloads('ReplicationController') },
  { kind: 'Job', plural: 'jobs', names: ['jobs', 'job'], namespaced: true, list: workloads('Job') },
  { kind: 'ConfigMap', plural: 'configmaps', names: ['configmaps', 'configmap', 'cm'], namespaced: true, list: (c) => c.configMaps },
  { kind: 'Secret', plural: 'secrets', names: ['secrets', 'secret'], namespaced: true, list: (c) => c.secrets },
  { kind: 'Certificate', plural: 'certificates', names: ['certificates', 'certificate', 'cert', 'certs'], namespaced: true, list: (c) => c.certificates },
  { kind: 'Issuer', plural: 'issuers', names: ['issuers', 'issuer'], namespaced: true, list: (c) => c.issuers.filter((i) => i.kind === 'Issuer') },
  { kind: 'ClusterIssuer', plural: 'clusterissuers', names: ['clusterissuers', 'clusterissuer'], namespaced: false, list: (c) => c.issuers.filter((i) => i.kind === 'ClusterIssuer') },
  { kind: 'CertificateRequest', plural: 'certificaterequests', names: ['certificaterequests', 'certificaterequest', 'cr', 'crs'], namespaced: true, list: others('CertificateRequest') },
  { kind: 'Order', plural: 'orders', names: ['orders', 'order'], namespaced: true, list: others('Order') },
  { kind: 'Challenge', plural: 'challenges', names: ['challenges', 'challenge'], namespaced: true, list: others('Challenge') },
];

/**
 * Kinds knet keeps but does not model, with kubectl's names for them, so `get rc` or
 * `get pdb` answers as kubectl does, "No resources found" included, when the input has none.
 */
const KEPT: readonly { kind: string; group: string; short: readonly string[]; namespaced: boolean }[] = [
  { kind: 'ReplicationController', group: 'v1', short: ['rc'], namespaced: true },
  { kind: 'ServiceAccount', group: 'v1', short: ['sa'], namespaced: true },
  { kind: 'PersistentVolumeClaim', group: 'v1', short: ['pvc'], namespaced: true },
  { kind: 'PersistentVolume', group: 'v1', short: ['pv'], namespaced: false },
  { kind: 'LimitRange', group: 'v1', short: ['limits'], namespaced: true },
  { kind: 'ResourceQuota', group: 'v1', short: ['quota'], namespaced: true },
  { kind: 'PodTemplate', group: 'v1', short: [], namespaced: true },
  { kind: 'PodDisruptionBudget', group: 'policy/v1', short: ['pdb'], namespaced: true },
  { kind: 'CronJob', group: 'batch/v1', short: ['cj'], namespaced: true },
  { kind: 'HorizontalPodAutoscaler', group: 'autoscaling/v2', short: ['hpa'], namespaced: true },
  { kind: 'ControllerRevision', group: 'apps/v1', short: [], namespaced: true },
  { kind: 'StorageClass', group: 'storage.k8s.io/v1', short: ['sc'], namespaced: false },
  { kind: 'PriorityClass', group: 'scheduling.k8s.io/v1', short: ['pc'], namespaced: false },
  { kind: 'CustomResourceDefinition', group: 'apiextensions.k8s.io/v1', short: ['crd', 'crds'], namespaced: false },
  { kind: 'Role', group: 'rbac.authorization.k8s.io/v1', short: [], namespaced: true },
  { kind: 'RoleBinding', group: 'rbac.authorization.k8s.io/v1', short: [], namespaced: true },
  { kind: 'ClusterRole', group: 'rbac.authorization.k8s.io/v1', short: [], namespaced: false },
  { kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io/v1', short: [], namespaced: false },
  { kind: 'Lease', group: 'coordination.k8s.io/v1', short: [], namespaced: true },
];

/** The group/version that serves a kind, as kubectl names a resource in its errors (`apps/v1, Resource=deployments`). */
const GROUP_VERSIONS: Readonly<Record<string, string>> = {
  Deployment: 'apps/v1', ReplicaSet: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1', Job: 'batch/v1',
  EndpointSlice: 'discovery.k8s.io/v1', Ingress: 'networking.k8s.io/v1', IngressClass: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1', Certificate: 'cert-manager.io/v1', Issuer: 'cert-manager.io/v1',
  ClusterIssuer: 'cert-manager.io/v1', CertificateRequest: 'cert-manager.io/v1', Order: 'acme.cert-manager.io/v1',
  Challenge: 'acme.cert-manager.io/v1',
  ...Object.fromEntries(KEPT.map((k) => [k.kind, k.group])),
};

/** kubectl's `%q` of a GroupVersionResource: `/v1, Resource=pods`, `apps/v1, Resource=deployments`. */
export function resourceText(r: Resource): string {
  const gv = GROUP_VERSIONS[r.kind] ?? 'v1';
  return `${gv.includes('/') ? gv : `/${gv}`}, Resource=${r.plural}`;
}

/** `kubectl get -o name`'s prefix: the kind, lower case, with its API group (`deployment.apps`). */
export function nameKind(r: Resource): string {
  return kindWithGroup(r.kind);
}

export function kindWithGroup(kind: string): string {
  const gv = GROUP_VERSIONS[kind] ?? 'v1';
  return gv.includes('/') ? `${kind.toLowerCase()}.${gv.slice(0, gv.indexOf('/'))}` : kind.toLowerCase();
}

function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  return k.endsWith('y') ? `${k.slice(0, -1)}ies` : k.endsWith('s') ? `${k}es` : `${k}s`;
}

/** `kubectl get all`: the workload-facing kinds, in kubectl's order. */
export const ALL = ['pods', 'replicationcontrollers', 'services', 'daemonsets', 'deployments', 'replicasets', 'statefulsets',
  'horizontalpodautoscalers', 'cronjobs', 'jobs'];

export function findResource(name: string): Resource | undefined {
  const n = name.toLowerCase();
  const known = RESOURCES.find((r) => r.names.includes(n) || r.kind.toLowerCase() === n);
  if (known) return known;
  const kept = KEPT.find((k) => k.short.includes(n) || k.kind.toLowerCase() === n || pluralOf(k.kind) === n);
  if (!kept) return undefined;
  return {
    kind: kept.kind, plural: pluralOf(kept.kind), names: [pluralOf(kept.kind), kept.kind.toLowerCase(), ...kept.short],
    namespaced: kept.namespaced, list: others(kept.kind),
  };
}

/** Objects of kinds knet keeps but does not model, found by their kind name. */
export function otherResource(c: Cluster, name: string): Resource | undefined {
  const n = name.toLowerCase();
  const match = c.others.filter((o) => {
    const k = o.kind.toLowerCase();
    return k === n || `${k}s` === n || `${k}es` === n || (k.endsWith('y') && `${k.slice(0, -1)}ies` === n);
  });
  if (match.length === 0) return undefined;
  const kind = match[0]!.kind;
  return { kind, plural: `${kind.toLowerCase()}s`, names: [n], namespaced: match.some((o) => o.meta.namespace !== ''), list: () => match };
}
