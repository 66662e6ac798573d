// How each field of the built-in kinds merges, as the Kubernetes types declare it (their
// patchMergeKey/patchStrategy tags for strategic merge patch, listType/listMapKey/mapType for
// server-side apply): by kind, then by struct, down to the fields that kubectl patches.
// Written from reading kubernetes/api's types; fields not listed are plain values: objects
// merge key by key, lists are replaced whole.

/** What a field holds, and how patches merge it. */
export type FieldSchema =
  | { readonly kind: 'struct'; readonly type: string; readonly retainKeys?: boolean }
  /** A map of names to values (labels); `atomic`: server-side apply owns it whole (a Service's selector). */
  | { readonly kind: 'map'; readonly atomic?: boolean }
  /** Replaced whole by every patch, owned whole by one applier (a LabelSelector, tolerations). */
  | { readonly kind: 'atomic' }
  | ListSchema;

export interface ListSchema {
  readonly kind: 'list';
  /** A struct name from STRUCTS, or 'scalar'. */
  readonly items: string;
  /** Strategic merge: items are matched by this field (`patchMergeKey`); absent with `merge` = a set of scalars. */
  readonly mergeKey?: string;
  readonly strategy: 'merge' | 'merge,retainKeys';
  /** Server-side apply: the fields that name an item (`listMapKey`); empty for a set of scalars. */
  readonly mapKeys: readonly string[];
}

const struct = (type: string, retainKeys?: boolean): FieldSchema => ({ kind: 'struct', type, ...(retainKeys ? { retainKeys } : {}) });
const map: FieldSchema = { kind: 'map' };
const atomic: FieldSchema = { kind: 'atomic' };
const keyed = (items: string, mergeKey: string, mapKeys: readonly string[] = [mergeKey], strategy: ListSchema['strategy'] = 'merge'): ListSchema =>
  ({ kind: 'list', items, mergeKey, strategy, mapKeys });
const set: ListSchema = { kind: 'list', items: 'scalar', strategy: 'merge', mapKeys: [] };

export const STRUCTS: Readonly<Record<string, Readonly<Record<string, FieldSchema>>>> = {
  ObjectMeta: {
    labels: map, annotations: map, finalizers: set, managedFields: atomic,
    ownerReferences: keyed('OwnerReference', 'uid'),
  },
  OwnerReference: {},
  LocalObjectReference: {},
  PodTemplateSpec: { metadata: struct('ObjectMeta'), spec: struct('PodSpec') },
  PodSpec: {
    containers: keyed('Container', 'name'),
    initContainers: keyed('Container', 'name'),
    ephemeralContainers: keyed('Container', 'name'),
    volumes: keyed('Volume', 'name', ['name'], 'merge,retainKeys'),
    imagePullSecrets: keyed('LocalObjectReference', 'name'),
    hostAliases: keyed('HostAlias', 'ip'),
    topologySpreadConstraints: keyed('TopologySpreadConstraint', 'topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    schedulingGates: keyed('PodSchedulingGate', 'name'),
    resourceClaims: keyed('PodResourceClaim', 'name', ['name'], 'merge,retainKeys'),
    nodeSelector: map, tolerations: atomic, readinessGates: atomic,
  },
  Container: {
    ports: keyed('ContainerPort', 'containerPort', ['containerPort', 'protocol']),
    env: keyed('EnvVar', 'name'),
    volumeMounts: keyed('VolumeMount', 'mountPath'),
    volumeDevices: keyed('VolumeDevice', 'devicePath'),
    resources: struct('ResourceRequirements'),
    envFrom: atomic, command: atomic, args: atomic,
  },
  ContainerPort: {}, EnvVar: {}, VolumeMount: {}, VolumeDevice: {}, Volume: {}, HostAlias: {},
  TopologySpreadConstraint: { labelSelector: atomic }, PodSchedulingGate: {}, PodResourceClaim: {},
  ResourceRequirements: { limits: map, requests: map },
  PodStatus: { conditions: keyed('PodCondition', 'type') },
  PodCondition: {},
  ServiceSpec: {
    ports: keyed('ServicePort', 'port', ['port', 'protocol']),
    selector: { kind: 'map', atomic: true },
    externalIPs: atomic, clusterIPs: atomic, ipFamilies: atomic, loadBalancerSourceRanges: atomic,
  },
  ServicePort: {},
  DeploymentSpec: { selector: atomic, template: struct('PodTemplateSpec'), strategy: struct('DeploymentStrategy', true) },
  DeploymentStrategy: {},
  ReplicaSetSpec: { selector: atomic, template: struct('PodTemplateSpec') },
  StatefulSetSpec: { selector: atomic, template: struct('PodTemplateSpec'), volumeClaimTemplates: atomic },
  DaemonSetSpec: { selector: atomic, template: struct('PodTemplateSpec') },
  JobSpec: { selector: atomic, template: struct('PodTemplateSpec') },
  CronJobSpec: { jobTemplate: struct('JobTemplateSpec') },
  JobTemplateSpec: { metadata: struct('ObjectMeta'), spec: struct('JobSpec') },
  WorkloadStatus: { conditions: keyed('Condition', 'type') },
  Condition: {},
  NetworkPolicySpec: { podSelector: atomic, ingress: atomic, egress: atomic, policyTypes: atomic },
  IngressSpec: { rules: atomic, tls: atomic },
  NodeSpec: { taints: atomic, podCIDRs: set },
  NodeStatus: { addresses: keyed('NodeAddress', 'type'), conditions: keyed('NodeCondition', 'type') },
  NodeAddress: {}, NodeCondition: {},
};

/** The top-level fields of each built-in kind, keyed `group/Kind` ('' is the core group). */
const KINDS: Readonly<Record<string, Readonly<Record<string, FieldSchema>>>> = {
  '/Pod': { spec: struct('PodSpec'), status: struct('PodStatus') },
  '/PodTemplate': { template: struct('PodTemplateSpec') },
  '/Service': { spec: struct('ServiceSpec') },
  '/ConfigMap': { data: map, binaryData: map },
  '/Secret': { data: map, stringData: map },
  '/Namespace': {},
  '/Node': { spec: struct('NodeSpec'), status: struct('NodeStatus') },
  '/ServiceAccount': { secrets: keyed('ObjectReference', 'name'), imagePullSecrets: atomic },
  '/Endpoints': { subsets: atomic },
  '/PersistentVolumeClaim': {},
  'apps/Deployment': { spec: struct('DeploymentSpec'), status: struct('WorkloadStatus') },
  'apps/ReplicaSet': { spec: struct('ReplicaSetSpec'), status: struct('WorkloadStatus') },
  'apps/StatefulSet': { spec: struct('StatefulSetSpec'), status: struct('WorkloadStatus') },
  'apps/DaemonSet': { spec: struct('DaemonSetSpec'), status: struct('WorkloadStatus') },
  'batch/Job': { spec: struct('JobSpec'), status: struct('WorkloadStatus') },
  'batch/CronJob': { spec: struct('CronJobSpec') },
  'networking.k8s.io/NetworkPolicy': { spec: struct('NetworkPolicySpec') },
  'networking.k8s.io/Ingress': { spec: struct('IngressSpec') },
  'networking.k8s.io/IngressClass': {},
  'discovery.k8s.io/EndpointSlice': { endpoints: atomic, ports: atomic },
};

export interface KindSchema {
  /** False for a kind knet knows no types for (a CRD's): no strategic merge patch, lists are atomic. */
  readonly builtIn: boolean;
  readonly fields: Readonly<Record<string, FieldSchema>>;
}

export function kindSchema(group: string, kind: string): KindSchema {
  const fields = KINDS[`${group}/${kind}`];
  return fields ? { builtIn: true, fields: { metadata: struct('ObjectMeta'), ...fields } } : { builtIn: false, fields: { metadata: struct('ObjectMeta') } };
}

/** The kinds the table describes, for the OpenAPI documents. */
export function builtInKinds(): { group: string; kind: string }[] {
  return Object.keys(KINDS).map((k) => ({ group: k.slice(0, k.indexOf('/')), kind: k.slice(k.indexOf('/') + 1) }));
}

/** The fields of a struct-typed value (the kind's top level is a struct of its own). */
export function fieldsOf(s: FieldSchema | undefined): Readonly<Record<string, FieldSchema>> {
  return s?.kind === 'struct' ? STRUCTS[s.type] ?? {} : {};
}

export function itemSchema(l: ListSchema): FieldSchema | undefined {
  return l.items === 'scalar' ? undefined : struct(l.items);
}
