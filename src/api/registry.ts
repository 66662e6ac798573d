// Every resource knet serves or keeps, as kube-apiserver (and cert-manager's CRDs) name it:
// group, version, kind, plural, singular, short names, scope, verbs, categories, subresources,
// and where the cluster keeps its objects. Plain data: `knet get -f` loads it at start-up.
import type { Cluster } from '../cluster/fill-in.js';
import type { AnyObject } from '../cluster/wire.js';
import type { Inventory, Service } from '../model/types.js';
import { customResourceDefinitions } from './crds.js';
import { endpointsWire, servicesWithEndpoints } from '../cluster/endpoints-wire.js';

/** The Inventory's list a modelled kind is decoded into. */
export type InventorySlot = Exclude<keyof Inventory, 'config' | 'others' | 'replacedPods' | 'statefulSets' | 'unmadePods' | 'clusterObject'>;

export interface ResourceType {
  readonly group: string; // '' = core
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly categories: readonly string[];
  readonly subresources: readonly string[];
  /** false: kept as written (ServiceAccount, PVC, Event, ...), never decoded. */
  readonly modelled: boolean;
  /** cert-manager's kinds: served as CustomResourceDefinitions (crds.ts). */
  readonly crd: boolean;
  /** Where model/load.ts puts a modelled kind's decoded objects. */
  readonly inventory?: InventorySlot;
  readonly list: (c: Cluster) => readonly AnyObject[];
  /**
   * The wire form of one of `list`'s objects when they are not the kind's own (Endpoints: the
   * list gives Services, this the Endpoints the control plane keeps for each); else `toWire`.
   */
  readonly wire?: (o: AnyObject, c: Cluster) => Record<string, unknown>;
}

/** kube-apiserver's verbs for a resource stored in etcd (sorted, as discovery gives them). */
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
/** Namespaces: no deletecollection (a namespace is deleted with what it holds, one at a time). */
const NO_DELETECOLLECTION = ALL_VERBS.filter((v) => v !== 'deletecollection');

interface Entry {
  readonly short?: readonly string[];
  readonly cluster?: true; // cluster-scoped
  readonly verbs?: readonly string[];
  readonly categories?: readonly string[];
  readonly sub?: readonly string[];
  readonly version?: string;
  readonly crd?: true;
  readonly inventory?: InventorySlot;
  readonly list?: (c: Cluster) => readonly AnyObject[];
  readonly wire?: (o: AnyObject, c: Cluster) => Record<string, unknown>;
}

const workloads = (kind: string) => (c: Cluster): readonly AnyObject[] => c.workloads.filter((w) => w.kind === kind);
/** Kinds knet keeps as written (and what its controllers write: Events, CertificateRequests, Orders, Challenges). */
const others = (kind: string) => (c: Cluster): readonly AnyObject[] => c.others.filter((o) => o.kind === kind);

function type(group: string, kind: string, plural: string, e: Entry = {}): ResourceType {
  return {
    group, version: e.version ?? 'v1', kind, plural, singular: kind.toLowerCase(), shortNames: e.short ?? [],
    namespaced: !e.cluster, verbs: e.verbs ?? ALL_VERBS, categories: e.categories ?? [], subresources: e.sub ?? [],
    modelled: e.inventory !== undefined, crd: e.crd ?? false, ...(e.inventory ? { inventory: e.inventory } : {}),
    list: e.list ?? others(kind), ...(e.wire ? { wire: e.wire } : {}),
  };
}

const ALL = ['all'];
const CERT_MANAGER = ['cert-manager'];
const CERT_MANAGER_ACME = ['cert-manager', 'cert-manager-acme'];
const STATUS = ['status'];
const SCALE_STATUS = ['scale', 'status'];

/**
 * In discovery's order: groups as kube-apiserver ranks them (core first, then apps, ...,
 * CRD groups last), resources by plural within a group. `kubectl get all` follows it.
 */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  type('', 'ConfigMap', 'configmaps', { short: ['cm'], inventory: 'configMaps', list: (c) => c.configMaps }),
  // The Endpoints the control plane keeps for each Service with a selector (and the user's for
  // selectorless ones): listed as their Services, served as Endpoints (cluster/endpoints-wire.ts).
  type('', 'Endpoints', 'endpoints', {
    short: ['ep'], inventory: 'endpoints', list: servicesWithEndpoints, wire: (o, c) => endpointsWire(c, o as Service),
  }),
  type('', 'Event', 'events', { short: ['ev'] }),
  type('', 'LimitRange', 'limitranges', { short: ['limits'] }),
  type('', 'Namespace', 'namespaces', { short: ['ns'], cluster: true, verbs: NO_DELETECOLLECTION, sub: ['finalize', 'status'], inventory: 'namespaces', list: (c) => c.namespaces }),
  type('', 'Node', 'nodes', { short: ['no'], cluster: true, sub: ['proxy', 'status'], inventory: 'nodes', list: (c) => c.nodes }),
  type('', 'PersistentVolumeClaim', 'persistentvolumeclaims', { short: ['pvc'], sub: STATUS }),
  type('', 'PersistentVolume', 'persistentvolumes', { short: ['pv'], cluster: true, sub: STATUS }),
  type('', 'Pod', 'pods', {
    short: ['po'], categories: ALL, inventory: 'pods', list: (c) => c.pods,
    sub: ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'status'],
  }),
  type('', 'PodTemplate', 'podtemplates'),
  type('', 'ReplicationController', 'replicationcontrollers', { short: ['rc'], categories: ALL, sub: SCALE_STATUS, inventory: 'workloads', list: workloads('ReplicationController') }),
  type('', 'ResourceQuota', 'resourcequotas', { short: ['quota'], sub: STATUS }),
  type('', 'Secret', 'secrets', { inventory: 'secrets', list: (c) => c.secrets }),
  type('', 'ServiceAccount', 'serviceaccounts', { short: ['sa'], sub: ['token'] }),
  type('', 'Service', 'services', { short: ['svc'], categories: ALL, sub: ['proxy', 'status'], inventory: 'services', list: (c) => c.services }),
  type('apiregistration.k8s.io', 'APIService', 'apiservices', { cluster: true, sub: STATUS }),
  type('apps', 'ControllerRevision', 'controllerrevisions'),
  type('apps', 'DaemonSet', 'daemonsets', { short: ['ds'], categories: ALL, sub: STATUS, inventory: 'workloads', list: workloads('DaemonSet') }),
  type('apps', 'Deployment', 'deployments', { short: ['deploy'], categories: ALL, sub: SCALE_STATUS, inventory: 'workloads', list: workloads('Deployment') }),
  type('apps', 'ReplicaSet', 'replicasets', { short: ['rs'], categories: ALL, sub: SCALE_STATUS, inventory: 'workloads', list: workloads('ReplicaSet') }),
  type('apps', 'StatefulSet', 'statefulsets', { short: ['sts'], categories: ALL, sub: SCALE_STATUS, inventory: 'workloads', list: workloads('StatefulSet') }),
  type('autoscaling', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', { version: 'v2', short: ['hpa'], categories: ALL, sub: STATUS }),
  type('batch', 'CronJob', 'cronjobs', { short: ['cj'], categories: ALL, sub: STATUS }),
  type('batch', 'Job', 'jobs', { categories: ALL, sub: STATUS, inventory: 'workloads', list: workloads('Job') }),
  type('networking.k8s.io', 'IngressClass', 'ingressclasses', { cluster: true, inventory: 'ingressClasses', list: (c) => c.ingressClasses }),
  type('networking.k8s.io', 'Ingress', 'ingresses', { short: ['ing'], sub: STATUS, inventory: 'ingresses', list: (c) => c.ingresses }),
  type('networking.k8s.io', 'NetworkPolicy', 'networkpolicies', { short: ['netpol'], inventory: 'networkPolicies', list: (c) => c.networkPolicies }),
  type('policy', 'PodDisruptionBudget', 'poddisruptionbudgets', { short: ['pdb'], sub: STATUS }),
  type('rbac.authorization.k8s.io', 'ClusterRoleBinding', 'clusterrolebindings', { cluster: true }),
  type('rbac.authorization.k8s.io', 'ClusterRole', 'clusterroles', { cluster: true }),
  type('rbac.authorization.k8s.io', 'RoleBinding', 'rolebindings'),
  type('rbac.authorization.k8s.io', 'Role', 'roles'),
  type('storage.k8s.io', 'CSIDriver', 'csidrivers', { cluster: true }),
  type('storage.k8s.io', 'StorageClass', 'storageclasses', { short: ['sc'], cluster: true }),
  type('admissionregistration.k8s.io', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', { cluster: true }),
  type('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', { cluster: true }),
  type('apiextensions.k8s.io', 'CustomResourceDefinition', 'customresourcedefinitions', {
    short: ['crd', 'crds'], cluster: true, sub: STATUS,
    list: (c) => customResourceDefinitions(RESOURCE_TYPES.filter((r) => r.crd), others('CustomResourceDefinition')(c)),
  }),
  type('scheduling.k8s.io', 'PriorityClass', 'priorityclasses', { short: ['pc'], cluster: true }),
  type('coordination.k8s.io', 'Lease', 'leases'),
  type('node.k8s.io', 'RuntimeClass', 'runtimeclasses', { cluster: true }),
  // knet's own settings (examples' 00-cluster.yaml), served as a CRD so that `kubectl apply -f` of a directory with it works.
  type('knet.dev', 'Cluster', 'clusters', { version: 'v1alpha1', crd: true, cluster: true, list: (c) => (c.clusterObject ? [c.clusterObject] : []) }),
  type('discovery.k8s.io', 'EndpointSlice', 'endpointslices', { inventory: 'endpointSlices', list: (c) => c.endpointSlices }),
  type('acme.cert-manager.io', 'Challenge', 'challenges', { crd: true, categories: CERT_MANAGER_ACME, sub: STATUS }),
  type('acme.cert-manager.io', 'Order', 'orders', { crd: true, categories: CERT_MANAGER_ACME, sub: STATUS }),
  type('cert-manager.io', 'CertificateRequest', 'certificaterequests', { crd: true, short: ['cr', 'crs'], categories: CERT_MANAGER, sub: STATUS }),
  type('cert-manager.io', 'Certificate', 'certificates', { crd: true, short: ['cert', 'certs'], categories: CERT_MANAGER, sub: STATUS, inventory: 'certificates', list: (c) => c.certificates }),
  type('cert-manager.io', 'ClusterIssuer', 'clusterissuers', {
    crd: true, short: ['ciss'], cluster: true, categories: CERT_MANAGER, sub: STATUS, inventory: 'issuers',
    list: (c) => c.issuers.filter((i) => i.kind === 'ClusterIssuer'),
  }),
  type('cert-manager.io', 'Issuer', 'issuers', {
    crd: true, short: ['iss'], categories: CERT_MANAGER, sub: STATUS, inventory: 'issuers',
    list: (c) => c.issuers.filter((i) => i.kind === 'Issuer'),
  }),
];

const byKind = new Map<string, ResourceType>();
for (const r of RESOURCE_TYPES) if (!byKind.has(r.kind)) byKind.set(r.kind, r);

/**
 * A resource by the name kubectl takes: plural, singular or short name, or the kind, any case,
 * optionally qualified by its group (`deployments.apps`) or version and group (`deployments.v1.apps`).
 */
export function resourceByName(name: string): ResourceType | undefined {
  const n = name.toLowerCase();
  const bare = RESOURCE_TYPES.find((r) => names(r).includes(n));
  if (bare) return bare;
  const dot = n.indexOf('.');
  if (dot < 0) return undefined;
  const head = n.slice(0, dot);
  const rest = n.slice(dot + 1);
  return RESOURCE_TYPES.find((r) => (r.group === rest || `${r.version}.${r.group}` === rest) && r.group !== '' && names(r).includes(head));
}

function names(r: ResourceType): readonly string[] {
  return [r.plural, r.singular, ...r.shortNames];
}

export function resourceByKind(kind: string, group?: string): ResourceType | undefined {
  if (group === undefined) return byKind.get(kind);
  return RESOURCE_TYPES.find((r) => r.kind === kind && r.group === group);
}

export function resourceFor(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** `v1`, `apps/v1`: the apiVersion of the resource's objects. */
export function apiVersionOf(r: Pick<ResourceType, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** `/api/v1` or `/apis/GROUP/VERSION`, then `[/namespaces/NS]/PLURAL[/NAME]`. */
export function resourcePath(r: Pick<ResourceType, 'group' | 'version' | 'plural' | 'namespaced'>, namespace: string, name = ''): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return `${base}${r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** `pods`, `deployments.apps`: how kube-apiserver names a resource in its messages (`deployments.apps "web" not found`). */
export function groupResource(r: Pick<ResourceType, 'group' | 'plural'>): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** `pod`, `deployment.apps`: `kubectl get -o name`'s prefix for a kind (the kind alone when knet does not know it). */
export function kindWithGroup(kind: string): string {
  const r = byKind.get(kind);
  return r?.group ? `${kind.toLowerCase()}.${r.group}` : kind.toLowerCase();
}

/** kubectl's `%q` of a GroupVersionResource: `/v1, Resource=pods`, `apps/v1, Resource=deployments`. */
export function groupVersionResourceText(r: Pick<ResourceType, 'group' | 'version' | 'plural'>): string {
  return `${r.group}/${r.version}, Resource=${r.plural}`;
}

/**
 * Whether the API serves the resource's objects: all of them now (Endpoints through their
 * `wire`); kept for the callers that filter by it.
 */
export function servesObjects(_r: Pick<ResourceType, 'kind'>): boolean {
  return true;
}

/** The resources in a category (`all`, `cert-manager`), in discovery's order, as kubectl expands `get all`. */
export function resourcesInCategory(category: string): readonly ResourceType[] {
  return RESOURCE_TYPES.filter((r) => r.categories.includes(category));
}

/** Whether a kind's objects have no namespace (Namespace, Node, ClusterIssuer, ...; unknown kinds are namespaced). */
export function isClusterScopedKind(kind: string): boolean {
  return kind === 'Cluster' || byKind.get(kind)?.namespaced === false;
}

/**
 * Objects of a kind knet does not know (a ServiceMonitor, ...) that the cluster keeps, found by
 * the kind's name, singular or plural: a resource made up from the objects themselves.
 */
export function keptResource(c: Cluster, name: string): ResourceType | undefined {
  const n = name.toLowerCase();
  const match = c.others.filter((o) => {
    const k = o.kind.toLowerCase();
    return k === n || `${k}s` === n || `${k}es` === n || (k.endsWith('y') && `${k.slice(0, -1)}ies` === n);
  });
  if (match.length === 0) return undefined;
  const { kind, apiVersion } = match[0]!;
  const slash = apiVersion.indexOf('/');
  return {
    group: slash < 0 ? '' : apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind,
    plural: `${kind.toLowerCase()}s`, singular: kind.toLowerCase(), shortNames: [], namespaced: match.some((o) => o.meta.namespace !== ''),
    verbs: ALL_VERBS, categories: [], subresources: [], modelled: false, crd: false, list: () => match,
  };
}
