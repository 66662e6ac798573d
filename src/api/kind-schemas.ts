// The known fields of the kinds knet models, with their protobuf field numbers: one table read
// two ways. Strict field validation (field-validation.ts) refuses a JSON field a struct does not
// list; the protobuf decoder (protobuf.ts) turns `kubectl create`'s protobuf bodies into JSON.
// A struct named but not listed here is open (kube-apiserver's `x-kubernetes-preserve-unknown-
// fields`: a CRD without a schema, a Volume knet does not model): any field passes, and protobuf
// drops it. Status is open everywhere: the server writes it, and knet's status has its own fields.

/** How a field's value is written: in JSON, and on the protobuf wire. */
export type FieldType =
  | { readonly kind: 'string' | 'int' | 'bool' | 'bytes' | 'quantity' | 'time' | 'intOrString' | 'raw' }
  | { readonly kind: 'map'; readonly values: 'string' | 'bytes' | 'quantity' }
  | { readonly kind: 'struct'; readonly name: string }
  | { readonly kind: 'list'; readonly item: FieldType };

export interface Field {
  readonly name: string;
  readonly number: number;
  readonly type: FieldType;
  /** A Go pointer (`*int32`, `*bool`): a zero value the client sent is kept (replicas: 0). */
  readonly pointer: boolean;
  /** An embedded struct whose fields sit in the parent's JSON (Probe's handler). */
  readonly inline: boolean;
}

export interface StructSchema {
  readonly byName: ReadonlyMap<string, Field>;
  readonly byNumber: ReadonlyMap<number, Field>;
}

// One line per struct: `name=number:type`; the type is a scalar (str is the default), `map`,
// `bytemap`, `qmap` (Quantity values), `[T]` a list, or a struct's name; `?` after the name
// marks a pointer; `...` as a name an inline struct.
const TABLE: Readonly<Record<string, string>> = {
  ObjectMeta: 'name=1 generateName=2 namespace=3 selfLink=4 uid=5 resourceVersion=6 generation=7:int creationTimestamp=8:time deletionTimestamp=9:time deletionGracePeriodSeconds?=10:int labels=11:map annotations=12:map ownerReferences=13:[OwnerReference] finalizers=14:[str] managedFields=17:[ManagedFieldsEntry]',
  OwnerReference: 'apiVersion=5 kind=1 name=3 uid=4 controller?=6:bool blockOwnerDeletion?=7:bool',
  ManagedFieldsEntry: 'manager=1 operation=2 apiVersion=3 time=4:time fieldsType=6 fieldsV1=7:raw subresource=8',
  LabelSelector: 'matchLabels=1:map matchExpressions=2:[LabelSelectorRequirement]',
  LabelSelectorRequirement: 'key=1 operator=2 values=3:[str]',

  ConfigMap: 'metadata=1:ObjectMeta immutable?=4:bool data=2:map binaryData=3:bytemap',
  Secret: 'metadata=1:ObjectMeta immutable?=5:bool data=2:bytemap stringData=4:map type=3',
  Namespace: 'metadata=1:ObjectMeta spec=2:NamespaceSpec status=3:Status',
  NamespaceSpec: 'finalizers=1:[str]',
  ServiceAccount: 'metadata=1:ObjectMeta secrets=2:[ObjectReference] imagePullSecrets=3:[LocalObjectReference] automountServiceAccountToken?=4:bool',
  LocalObjectReference: 'name=1',
  Service: 'metadata=1:ObjectMeta spec=2:ServiceSpec status=3:Status',
  ServiceSpec: 'ports=1:[ServicePort] selector=2:map clusterIP=3 clusterIPs=18:[str] type=4 externalIPs=5:[str] sessionAffinity=7 loadBalancerIP=8 loadBalancerSourceRanges=9:[str] externalName=10 externalTrafficPolicy=11 healthCheckNodePort=12:int publishNotReadyAddresses=13:bool sessionAffinityConfig?=14:SessionAffinityConfig ipFamilies=19:[str] ipFamilyPolicy?=17 allocateLoadBalancerNodePorts?=20:bool loadBalancerClass?=21 internalTrafficPolicy?=22 trafficDistribution?=23',
  ServicePort: 'name=1 protocol=2 appProtocol?=6 port=3:int targetPort=4:intOrString nodePort=5:int',
  SessionAffinityConfig: 'clientIP?=1:ClientIPConfig',
  ClientIPConfig: 'timeoutSeconds?=1:int',

  Pod: 'metadata=1:ObjectMeta spec=2:PodSpec status=3:Status',
  PodTemplateSpec: 'metadata=1:ObjectMeta spec=2:PodSpec',
  PodSpec: 'volumes=1:[Volume] initContainers=20:[Container] containers=2:[Container] ephemeralContainers=34:[EphemeralContainer] restartPolicy=3 terminationGracePeriodSeconds?=4:int activeDeadlineSeconds?=5:int dnsPolicy=6 nodeSelector=7:map serviceAccountName=8 serviceAccount=9 automountServiceAccountToken?=21:bool nodeName=10 hostNetwork=11:bool hostPID=12:bool hostIPC=13:bool shareProcessNamespace?=27:bool securityContext?=14:PodSecurityContext imagePullSecrets=15:[LocalObjectReference] hostname=16 subdomain=17 affinity?=18:Affinity schedulerName=19 tolerations=22:[Toleration] hostAliases=23:[HostAlias] priorityClassName=24 priority?=25:int dnsConfig?=26:PodDNSConfig readinessGates=28:[PodReadinessGate] runtimeClassName?=29 enableServiceLinks?=30:bool preemptionPolicy?=31 overhead=32:qmap topologySpreadConstraints=33:[TopologySpreadConstraint] setHostnameAsFQDN?=35:bool os?=36:PodOS hostUsers?=37:bool schedulingGates=38:[PodSchedulingGate] resourceClaims=39:[PodResourceClaim] resources?=40:ResourceRequirements hostnameOverride?=41 schedulingGroup?=43:PodSchedulingGroup evictionResponders=44:[EvictionResponder]',
  Container: 'name=1 image=2 command=3:[str] args=4:[str] workingDir=5 ports=6:[ContainerPort] envFrom=19:[EnvFromSource] env=7:[EnvVar] resources=8:ResourceRequirements resizePolicy=23:[ContainerResizePolicy] restartPolicy?=24 restartPolicyRules=25:[ContainerRestartRule] volumeMounts=9:[VolumeMount] volumeDevices=21:[VolumeDevice] livenessProbe?=10:Probe readinessProbe?=11:Probe startupProbe?=22:Probe lifecycle?=12:Lifecycle terminationMessagePath=13 terminationMessagePolicy=20 imagePullPolicy=14 securityContext?=15:SecurityContext stdin=16:bool stdinOnce=17:bool tty=18:bool',
  ContainerPort: 'name=1 hostPort=2:int containerPort=3:int protocol=4 hostIP=5',
  EnvVar: 'name=1 value=2 valueFrom?=3:EnvVarSource',
  EnvVarSource: 'fieldRef?=1:ObjectFieldSelector resourceFieldRef?=2:ResourceFieldSelector configMapKeyRef?=3:ConfigMapKeySelector secretKeyRef?=4:SecretKeySelector fileKeyRef?=5:FileKeySelector',
  ObjectFieldSelector: 'apiVersion=1 fieldPath=2',
  ConfigMapKeySelector: '...=1:LocalObjectReference key=2 optional?=3:bool',
  SecretKeySelector: '...=1:LocalObjectReference key=2 optional?=3:bool',
  EnvFromSource: 'prefix=1 configMapRef?=2:ConfigMapEnvSource secretRef?=3:SecretEnvSource',
  ConfigMapEnvSource: '...=1:LocalObjectReference optional?=2:bool',
  SecretEnvSource: '...=1:LocalObjectReference optional?=2:bool',
  ResourceRequirements: 'limits=1:qmap requests=2:qmap claims=3:[ResourceClaim]',
  Probe: '...=1:ProbeHandler initialDelaySeconds=2:int timeoutSeconds=3:int periodSeconds=4:int successThreshold=5:int failureThreshold=6:int terminationGracePeriodSeconds?=7:int',
  ProbeHandler: 'exec?=1:ExecAction httpGet?=2:HTTPGetAction tcpSocket?=3:TCPSocketAction grpc?=4:GRPCAction',
  ExecAction: 'command=1:[str]',
  HTTPGetAction: 'path=1 port=2:intOrString host=3 scheme=4 httpHeaders=5:[HTTPHeader] protocol=6',
  TCPSocketAction: 'port=1:intOrString host=2',
  VolumeMount: 'name=1 readOnly=2:bool recursiveReadOnly?=7 mountPath=3 subPath=4 mountPropagation?=5 subPathExpr=6 bindMountOptions=8:[str]',

  Deployment: 'metadata=1:ObjectMeta spec=2:DeploymentSpec status=3:Status',
  DeploymentSpec: 'replicas?=1:int selector?=2:LabelSelector template=3:PodTemplateSpec strategy=4:DeploymentStrategy minReadySeconds=5:int revisionHistoryLimit?=6:int paused=7:bool progressDeadlineSeconds?=9:int',
  DeploymentStrategy: 'type=1 rollingUpdate?=2:RollingUpdateDeployment',
  RollingUpdateDeployment: 'maxUnavailable=1:intOrString maxSurge=2:intOrString',
  ReplicaSet: 'metadata=1:ObjectMeta spec=2:ReplicaSetSpec status=3:Status',
  ReplicaSetSpec: 'replicas?=1:int minReadySeconds=4:int selector?=2:LabelSelector template=3:PodTemplateSpec',
  StatefulSet: 'metadata=1:ObjectMeta spec=2:StatefulSetSpec status=3:Status',
  StatefulSetSpec: 'replicas?=1:int selector?=2:LabelSelector template=3:PodTemplateSpec volumeClaimTemplates=4:[PersistentVolumeClaim] serviceName=5 podManagementPolicy=6 updateStrategy=7:StatefulSetUpdateStrategy revisionHistoryLimit?=8:int minReadySeconds=9:int persistentVolumeClaimRetentionPolicy?=10:StatefulSetPersistentVolumeClaimRetentionPolicy ordinals?=11:StatefulSetOrdinals',
  StatefulSetUpdateStrategy: 'type=1 rollingUpdate?=2:RollingUpdateStatefulSetStrategy',
  RollingUpdateStatefulSetStrategy: 'partition?=1:int maxUnavailable?=2:intOrString',
  StatefulSetPersistentVolumeClaimRetentionPolicy: 'whenDeleted=1 whenScaled=2',
  StatefulSetOrdinals: 'start=1:int',
  DaemonSet: 'metadata=1:ObjectMeta spec=2:DaemonSetSpec status=3:Status',
  DaemonSetSpec: 'selector?=1:LabelSelector template=2:PodTemplateSpec updateStrategy=3:DaemonSetUpdateStrategy minReadySeconds=4:int revisionHistoryLimit?=6:int',
  DaemonSetUpdateStrategy: 'type=1 rollingUpdate?=2:RollingUpdateDaemonSet',
  RollingUpdateDaemonSet: 'maxUnavailable?=1:intOrString maxSurge?=2:intOrString',

  Job: 'metadata=1:ObjectMeta spec=2:JobSpec status=3:Status',
  JobSpec: 'parallelism?=1:int completions?=2:int activeDeadlineSeconds?=3:int podFailurePolicy?=11:PodFailurePolicy successPolicy?=16:SuccessPolicy backoffLimit?=7:int backoffLimitPerIndex?=12:int maxFailedIndexes?=13:int selector?=4:LabelSelector manualSelector?=5:bool template=6:PodTemplateSpec ttlSecondsAfterFinished?=8:int completionMode?=9 suspend?=10:bool podReplacementPolicy?=14 managedBy?=15 scheduling?=17:JobSchedulingConfiguration',
  CronJob: 'metadata=1:ObjectMeta spec=2:CronJobSpec status=3:Status',
  CronJobSpec: 'schedule=1 timeZone?=8 startingDeadlineSeconds?=2:int concurrencyPolicy=3 suspend?=4:bool jobTemplate=5:JobTemplateSpec successfulJobsHistoryLimit?=6:int failedJobsHistoryLimit?=7:int',
  JobTemplateSpec: 'metadata=1:ObjectMeta spec=2:JobSpec',

  Ingress: 'metadata=1:ObjectMeta spec=2:IngressSpec status=3:Status',
  IngressSpec: 'ingressClassName?=4 defaultBackend?=1:IngressBackend tls=2:[IngressTLS] rules=3:[IngressRule]',
  IngressRule: 'host=1 ...=2:IngressRuleValue',
  IngressRuleValue: 'http?=1:HTTPIngressRuleValue',
  HTTPIngressRuleValue: 'paths=1:[HTTPIngressPath]',
  HTTPIngressPath: 'path=1 pathType?=3 backend=2:IngressBackend',
  IngressBackend: 'service?=4:IngressServiceBackend resource?=3:TypedLocalObjectReference',
  IngressServiceBackend: 'name=1 port=2:ServiceBackendPort',
  ServiceBackendPort: 'name=1 number=2:int',
  IngressTLS: 'hosts=1:[str] secretName=2',
  IngressClass: 'metadata=1:ObjectMeta spec=2:IngressClassSpec',
  IngressClassSpec: 'controller=1 parameters?=2:IngressClassParametersReference',
  NetworkPolicy: 'metadata=1:ObjectMeta spec=2:NetworkPolicySpec',
  NetworkPolicySpec: 'podSelector=1:LabelSelector ingress=2:[NetworkPolicyIngressRule] egress=3:[NetworkPolicyEgressRule] policyTypes=4:[str]',
  NetworkPolicyIngressRule: 'ports=1:[NetworkPolicyPort] from=2:[NetworkPolicyPeer]',
  NetworkPolicyEgressRule: 'ports=1:[NetworkPolicyPort] to=2:[NetworkPolicyPeer]',
  NetworkPolicyPeer: 'podSelector?=1:LabelSelector namespaceSelector?=2:LabelSelector ipBlock?=3:IPBlock',
  IPBlock: 'cidr=1 except=2:[str]',
  NetworkPolicyPort: 'protocol?=1 port?=2:intOrString endPort?=3:int',
  // What a DELETE may carry (client-go's typed clients send it as protobuf: helm's release Secrets).
  DeleteOptions: 'gracePeriodSeconds?=1:int preconditions?=2:Preconditions orphanDependents?=3:bool propagationPolicy?=4 dryRun=5:[str] ignoreStoreReadErrorWithClusterBreakingPotential?=6:bool',
  Preconditions: 'uid?=1 resourceVersion?=2',
};

/** The kinds whose fields are known, by `group/Kind` (core: `/Kind`). */
const KINDS: Readonly<Record<string, string>> = Object.fromEntries([
  ...['ConfigMap', 'Secret', 'Namespace', 'ServiceAccount', 'Service', 'Pod'].map((k) => [`/${k}`, k]),
  ...['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].map((k) => [`apps/${k}`, k]),
  ...['Job', 'CronJob'].map((k) => [`batch/${k}`, k]),
  ...['Ingress', 'IngressClass', 'NetworkPolicy'].map((k) => [`networking.k8s.io/${k}`, k]),
  // Not a resource: the body of a DELETE, under the core version or meta.k8s.io/v1.
  ['/DeleteOptions', 'DeleteOptions'], ['meta.k8s.io/DeleteOptions', 'DeleteOptions'],
]);

const SCALARS: Readonly<Record<string, FieldType>> = {
  str: { kind: 'string' }, int: { kind: 'int' }, bool: { kind: 'bool' }, bytes: { kind: 'bytes' }, time: { kind: 'time' },
  intOrString: { kind: 'intOrString' }, raw: { kind: 'raw' }, quantity: { kind: 'quantity' },
  map: { kind: 'map', values: 'string' }, bytemap: { kind: 'map', values: 'bytes' }, qmap: { kind: 'map', values: 'quantity' },
};

function typeOf(text: string): FieldType {
  if (text.startsWith('[')) return { kind: 'list', item: typeOf(text.slice(1, -1)) };
  return SCALARS[text] ?? { kind: 'struct', name: text };
}

function parseStruct(line: string): StructSchema {
  const byName = new Map<string, Field>();
  const byNumber = new Map<number, Field>();
  for (const entry of line.split(' ')) {
    const m = /^(\.\.\.|\w+)(\?)?=(\d+)(?::(.+))?$/.exec(entry);
    if (!m) throw new Error(`kind-schemas: cannot read ${JSON.stringify(entry)}`);
    const field: Field = { name: m[1]!, number: Number(m[3]), type: typeOf(m[4] ?? 'str'), pointer: m[2] === '?', inline: m[1] === '...' };
    byNumber.set(field.number, field);
    if (!field.inline) byName.set(field.name, field);
  }
  return { byName, byNumber };
}

const STRUCTS = new Map(Object.entries(TABLE).map(([name, line]) => [name, parseStruct(line)]));

/** A struct's schema, or undefined when it is open (not modelled: any field passes). */
export function structSchema(name: string): StructSchema | undefined {
  return STRUCTS.get(name);
}

/** The JSON fields a struct accepts: its own and those of its inline structs. */
export function jsonField(struct: StructSchema, name: string): Field | undefined {
  const own = struct.byName.get(name);
  if (own) return own;
  for (const f of struct.byNumber.values()) {
    if (!f.inline || f.type.kind !== 'struct') continue;
    const inner = STRUCTS.get(f.type.name);
    const found = inner && jsonField(inner, name);
    if (found) return found;
  }
  return undefined;
}

/** The root struct of a kind whose fields are known (`Deployment`), or undefined (CRDs, the rest). */
export function kindStruct(group: string, kind: string): string | undefined {
  return KINDS[`${group}/${kind}`];
}
