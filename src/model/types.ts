// The domain model: what knet knows about a cluster after parsing. Every field is present
// (defaults applied as the API server applies them), so the core never sees an
// all-optional wire type. Objects keep their wire form (`raw`) so output can reproduce it.
import type { Cidr, IP } from './ip.js';
import type { Labels, Selector } from './labels.js';
import type { RawObject } from './source.js';

/** `ns/name`, or `name` for cluster-scoped objects; how objects print everywhere. */
export type Ref = string & { readonly __brand: 'Ref' };

export function refOf(namespace: string, name: string): Ref {
  return (namespace ? `${namespace}/${name}` : name) as Ref;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

export type CniMode = 'calico' | 'flannel' | 'azure' | 'kubenet';
export const CNI_MODES: readonly CniMode[] = ['calico', 'flannel', 'azure', 'kubenet'];
/** kube-proxy's --proxy-mode: the `ip kube-proxy` nftables table, or KUBE-* chains through iptables-restore. */
export type ProxyMode = 'nftables' | 'iptables';
export const PROXY_MODES: readonly ProxyMode[] = ['nftables', 'iptables'];

export interface Meta {
  readonly name: string;
  readonly namespace: string; // '' for cluster-scoped kinds
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly uid: string;
  readonly creationTimestamp: string; // '' when the input does not say
  readonly deletionTimestamp: string;
  readonly ownerReferences: readonly OwnerRef[];
}

export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller: boolean;
}

/** Where an object came from: the raw wire form and its positions; null for generated objects. */
export interface Source {
  readonly raw: RawObject | null;
}

interface Base extends Source {
  readonly meta: Meta;
  readonly apiVersion: string;
}

// ---------------------------------------------------------------- cluster config

export interface ExternalRecord {
  readonly name: string; // fully qualified, lowercase, no trailing dot
  readonly a: readonly IP[];
  readonly aaaa: readonly IP[];
  readonly cname: string;
  readonly txt: readonly string[];
}

export interface NodeConfig {
  readonly name: string;
  readonly resolvConf: string;
  readonly labels: Labels;
}

export interface ClusterConfig extends Source {
  readonly name: string;
  readonly cni: CniMode;
  readonly proxyMode: ProxyMode; // networking.proxyMode, default nftables
  readonly podSubnet: Cidr;
  readonly serviceSubnets: readonly Cidr[]; // one per family (dual stack: v4 then v6, or as given)
  readonly nodeSubnet: Cidr;
  readonly nodePortRange: { readonly min: number; readonly max: number };
  readonly loadBalancerPool: Cidr;
  readonly clusterDomain: string;
  readonly clusterDNS: readonly IP[];
  readonly nodeCidrMaskSize: number; // 24 by default, as kube-controller-manager's --node-cidr-mask-size
  readonly nodes: readonly NodeConfig[];
  readonly nodeCount: number; // used when neither Node objects nor nodes[] are given
  readonly externalRecords: readonly ExternalRecord[];
  readonly defaultResolvConf: string; // a node's /etc/resolv.conf when it does not give one
}

// ---------------------------------------------------------------- core kinds

export interface Namespace extends Base {
  readonly kind: 'Namespace';
}

export interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: string;
}

export interface Node extends Base {
  readonly kind: 'Node';
  readonly podCIDRs: readonly Cidr[]; // as given; filled in later
  readonly internalIPs: readonly IP[];
  readonly unschedulable: boolean;
  readonly taints: readonly Taint[];
  readonly resolvConf: string; // '' = not given
}

export interface ContainerPort {
  readonly name: string; // '' when unnamed
  readonly containerPort: number;
  readonly protocol: Protocol;
  readonly hostPort: number; // 0 = none
  readonly hostIP: string;
}

export type ProbeHandler =
  | { readonly kind: 'httpGet'; readonly path: string; readonly port: number | string; readonly scheme: 'HTTP' | 'HTTPS'; readonly host: string }
  | { readonly kind: 'tcpSocket'; readonly port: number | string; readonly host: string }
  | { readonly kind: 'exec'; readonly command: readonly string[] }
  | { readonly kind: 'grpc'; readonly port: number; readonly service: string };

export interface Probe {
  readonly handler: ProbeHandler;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** A lifecycle hook's action (preStop): the probe handlers' exec and httpGet, and `sleep`. */
export type LifecycleHandler =
  | { readonly kind: 'exec'; readonly command: readonly string[] }
  | { readonly kind: 'httpGet'; readonly path: string; readonly port: number | string; readonly scheme: 'HTTP' | 'HTTPS'; readonly host: string }
  | { readonly kind: 'sleep'; readonly seconds: number };

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly ports: readonly ContainerPort[];
  readonly readinessProbe: Probe | null;
  readonly livenessProbe: Probe | null;
  readonly startupProbe: Probe | null;
  readonly restartPolicy: string; // init containers: 'Always' makes a sidecar
  /** lifecycle.preStop: run before the container is sent SIGTERM; null when none. */
  readonly preStop: LifecycleHandler | null;
  /** What the container runtime gives the process: env, mounts, user, limits (decode-pod-run.ts). */
  readonly run?: ContainerRun;
}

// ---------------------------------------------------------------- what a container runs with

/** Where an env var's value comes from (valueFrom), or its literal value. */
export type EnvSource =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'configMapKey' | 'secretKey'; readonly name: string; readonly key: string; readonly optional: boolean }
  | { readonly kind: 'field'; readonly fieldPath: string }
  | { readonly kind: 'resource'; readonly resource: string; readonly divisor: string; readonly container: string };

export interface EnvVar {
  readonly name: string;
  readonly from: EnvSource;
}

export interface EnvFromSource {
  readonly kind: 'configMap' | 'secret';
  readonly name: string;
  readonly prefix: string;
  readonly optional: boolean;
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
  readonly subPath: string;
}

export interface ContainerSecurity {
  readonly runAsUser: number | null;
  readonly runAsGroup: number | null;
  readonly runAsNonRoot: boolean | null;
  readonly capabilitiesAdd: readonly string[];
  readonly capabilitiesDrop: readonly string[];
}

export interface ContainerRun {
  readonly env: readonly EnvVar[];
  readonly envFrom: readonly EnvFromSource[];
  readonly workingDir: string;
  readonly volumeMounts: readonly VolumeMount[];
  readonly securityContext: ContainerSecurity;
  /** resources.limits: memory in bytes, cpu in millicores; null when unset. */
  readonly limits: { readonly memoryBytes: number | null; readonly cpuMilli: number | null };
}

export interface KeyToPath {
  readonly key: string;
  readonly path: string;
  readonly mode: number | null;
}

export interface DownwardFile {
  readonly path: string;
  readonly fieldPath: string;
  /** resourceFieldRef: `limits.memory` and the like, with its container. */
  readonly resource: { readonly resource: string; readonly container: string; readonly divisor: string } | null;
  readonly mode: number | null;
}

export type ProjectedSource =
  | { readonly kind: 'configMap' | 'secret'; readonly name: string; readonly items: readonly KeyToPath[] | null; readonly optional: boolean }
  | { readonly kind: 'downwardAPI'; readonly items: readonly DownwardFile[] }
  | { readonly kind: 'other'; readonly type: string };

export type VolumeSource =
  | { readonly kind: 'emptyDir' }
  | { readonly kind: 'configMap' | 'secret'; readonly name: string; readonly items: readonly KeyToPath[] | null; readonly defaultMode: number | null; readonly optional: boolean }
  | { readonly kind: 'downwardAPI'; readonly items: readonly DownwardFile[]; readonly defaultMode: number | null }
  | { readonly kind: 'projected'; readonly sources: readonly ProjectedSource[]; readonly defaultMode: number | null }
  /** hostPath, persistentVolumeClaim...: an empty directory in knet (never the host's files). */
  | { readonly kind: 'other'; readonly type: string };

export interface Volume {
  readonly name: string;
  readonly source: VolumeSource;
}

export interface PodRun {
  readonly volumes: readonly Volume[];
  readonly securityContext: {
    readonly runAsUser: number | null;
    readonly runAsGroup: number | null;
    readonly runAsNonRoot: boolean | null;
    readonly fsGroup: number | null;
    readonly supplementalGroups: readonly number[];
  };
  readonly hostAliases: readonly { readonly ip: string; readonly hostnames: readonly string[] }[];
  readonly serviceAccountName: string;
}

export type DnsPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';

export interface DnsConfig {
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly { readonly name: string; readonly value: string | null }[];
}

export interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers: readonly Container[];
  readonly nodeName: string;
  readonly nodeSelector: Labels;
  readonly hostNetwork: boolean;
  readonly hostname: string;
  readonly subdomain: string;
  readonly dnsPolicy: DnsPolicy;
  readonly dnsConfig: DnsConfig | null;
  readonly setHostnameAsFQDN: boolean;
  readonly tolerations: readonly { readonly key: string; readonly operator: string; readonly value: string; readonly effect: string }[];
  /** Volumes, the pod's securityContext, hostAliases (decode-pod-run.ts). */
  readonly run?: PodRun;
  /** From SIGTERM (or the preStop hook) to SIGKILL; the API server's default is 30. */
  readonly terminationGracePeriodSeconds: number;
}

export interface PodTemplate {
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly spec: PodSpec;
  readonly rawSpec: unknown; // the template's spec as written, copied into generated pods
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface PodStatus {
  readonly phase: PodPhase | '';
  readonly podIPs: readonly IP[];
  readonly hostIP: IP | '';
  /** The Ready condition as the input states it: true, false, or null when it says nothing. */
  readonly ready: boolean | null;
  /** Container restarts, when a running cluster's kubelet reports them. */
  readonly restarts?: number;
}

export interface Pod extends Base {
  readonly kind: 'Pod';
  readonly spec: PodSpec;
  readonly status: PodStatus;
  readonly generatedBy: string; // 'Deployment ns/name' for pods knet made from a workload; '' otherwise
  readonly ownerSource: RawObject | null; // the workload's wire form, to point errors at its template
}

export type WorkloadKind = 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'ReplicationController';

export interface Workload extends Base {
  readonly kind: WorkloadKind;
  readonly replicas: number; // DaemonSet: ignored; Job: parallelism
  readonly selector: Selector;
  readonly template: PodTemplate;
  readonly serviceName: string; // StatefulSet only
  /** What its controller last wrote in `status`, from its pods (cluster/workload-status.ts). */
  readonly status?: WorkloadStatus;
}

/** A workload's `status` as its controller writes it (only the kind's own fields are set). */
export interface WorkloadStatus {
  readonly [field: string]: unknown;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type TrafficPolicy = 'Cluster' | 'Local';
export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface ServicePort {
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly targetPort: number | string; // a number, or a container port name
  readonly nodePort: number; // 0 = not (yet) allocated
  readonly appProtocol: string;
}

export interface Service extends Base {
  readonly kind: 'Service';
  readonly type: ServiceType;
  readonly selector: Labels | null; // null: selectorless (slices come from the user or Endpoints)
  readonly headless: boolean; // clusterIP: None
  readonly clusterIPs: readonly IP[]; // as given (empty = allocate), filled in later
  readonly ipFamilies: readonly (4 | 6)[];
  readonly ipFamilyPolicy: IPFamilyPolicy;
  readonly ports: readonly ServicePort[];
  readonly externalName: string;
  readonly externalIPs: readonly IP[];
  readonly loadBalancerIP: IP | '';
  readonly loadBalancerSourceRanges: readonly Cidr[];
  readonly loadBalancerIngress: readonly IP[]; // status.loadBalancer.ingress[].ip
  readonly externalTrafficPolicy: TrafficPolicy;
  readonly internalTrafficPolicy: TrafficPolicy;
  readonly healthCheckNodePort: number;
  readonly sessionAffinity: 'None' | 'ClientIP';
  readonly sessionAffinityTimeout: number; // seconds; 10800 by default
  readonly publishNotReadyAddresses: boolean;
}

export interface EndpointConditions {
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
}

export interface Endpoint {
  readonly addresses: readonly IP[];
  readonly conditions: EndpointConditions;
  readonly hostname: string;
  readonly nodeName: string;
  readonly zone: string;
  readonly targetRef: { readonly kind: string; readonly namespace: string; readonly name: string } | null;
}

export interface EndpointPort {
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly appProtocol: string;
}

export interface EndpointSlice extends Base {
  readonly kind: 'EndpointSlice';
  readonly serviceName: string; // label kubernetes.io/service-name
  readonly addressType: 'IPv4' | 'IPv6' | 'FQDN';
  readonly endpoints: readonly Endpoint[];
  readonly ports: readonly EndpointPort[];
  readonly managedBy: string;
}

export interface EndpointsSubset {
  readonly addresses: readonly { readonly ip: IP; readonly hostname: string; readonly nodeName: string }[];
  readonly notReadyAddresses: readonly { readonly ip: IP; readonly hostname: string; readonly nodeName: string }[];
  readonly ports: readonly EndpointPort[];
}

export interface Endpoints extends Base {
  readonly kind: 'Endpoints';
  readonly subsets: readonly EndpointsSubset[];
}

// ---------------------------------------------------------------- networking.k8s.io

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface IngressBackend {
  readonly service: { readonly name: string; readonly port: number | string } | null;
  readonly resource: { readonly apiGroup: string; readonly kind: string; readonly name: string } | null;
}

export interface IngressPath {
  readonly path: string;
  readonly pathType: PathType;
  readonly backend: IngressBackend;
}

export interface IngressRule {
  readonly host: string; // '' = every host
  readonly paths: readonly IngressPath[];
}

export interface IngressTLS {
  readonly hosts: readonly string[];
  readonly secretName: string;
}

export interface Ingress extends Base {
  readonly kind: 'Ingress';
  readonly ingressClassName: string; // '' = not set
  readonly defaultBackend: IngressBackend | null;
  readonly rules: readonly IngressRule[];
  readonly tls: readonly IngressTLS[];
  readonly loadBalancerIngress: readonly string[]; // status.loadBalancer.ingress ip or hostname
}

export interface IngressClass extends Base {
  readonly kind: 'IngressClass';
  readonly controller: string;
  readonly isDefault: boolean;
}

export interface PolicyPort {
  readonly protocol: Protocol;
  readonly port: number | string | null; // null = all ports
  readonly endPort: number | null;
}

export interface IPBlock {
  readonly cidr: Cidr;
  readonly except: readonly Cidr[];
}

export interface PolicyPeer {
  readonly podSelector: Selector | null; // null: not given
  readonly namespaceSelector: Selector | null;
  readonly ipBlock: IPBlock | null;
}

export interface PolicyRule {
  readonly peers: readonly PolicyPeer[]; // empty = every peer
  readonly ports: readonly PolicyPort[]; // empty = every port
}

export interface NetworkPolicy extends Base {
  readonly kind: 'NetworkPolicy';
  readonly podSelector: Selector;
  readonly policyTypes: readonly ('Ingress' | 'Egress')[]; // defaulted as the API server does
  readonly ingress: readonly PolicyRule[];
  readonly egress: readonly PolicyRule[];
}

// ---------------------------------------------------------------- config and secrets

export interface Secret extends Base {
  readonly kind: 'Secret';
  readonly type: string;
  readonly data: Readonly<Record<string, string>>; // base64 values as given (data) or encoded (stringData)
}

export interface ConfigMap extends Base {
  readonly kind: 'ConfigMap';
  readonly data: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------- cert-manager

export interface IssuerSpec {
  readonly type: 'acme' | 'selfSigned' | 'ca' | 'other';
  readonly acmeServer: string;
  readonly acmeEmail: string;
  readonly http01: readonly { readonly ingressClassName: string; readonly ingressClass: string; readonly serviceType: string }[];
  readonly caSecretName: string;
}

export interface Issuer extends Base {
  readonly kind: 'Issuer' | 'ClusterIssuer';
  readonly spec: IssuerSpec;
}

export interface Certificate extends Base {
  readonly kind: 'Certificate';
  readonly secretName: string;
  readonly dnsNames: readonly string[];
  readonly commonName: string;
  readonly issuerRef: { readonly name: string; readonly kind: string; readonly group: string };
  readonly duration: string;
  readonly renewBefore: string;
  readonly readyCondition: boolean | null; // status as given (a dump), null when unknown
  readonly generatedBy: string; // 'Ingress ns/name' when made by the ingress-shim
}

/** Anything knet does not model: kept for `get`, listed as a note, never a crash. */
export interface OtherObject extends Base {
  readonly kind: string;
}

export type KnownObject =
  | Namespace
  | Node
  | Pod
  | Workload
  | Service
  | EndpointSlice
  | Endpoints
  | Ingress
  | IngressClass
  | NetworkPolicy
  | Secret
  | ConfigMap
  | Issuer
  | Certificate;

/** Everything the input said, parsed; before any fill-in. */
export interface Inventory {
  readonly config: ClusterConfig;
  readonly namespaces: readonly Namespace[];
  readonly nodes: readonly Node[];
  readonly pods: readonly Pod[];
  readonly workloads: readonly Workload[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly endpoints: readonly Endpoints[];
  readonly ingresses: readonly Ingress[];
  readonly ingressClasses: readonly IngressClass[];
  readonly networkPolicies: readonly NetworkPolicy[];
  readonly secrets: readonly Secret[];
  readonly configMaps: readonly ConfigMap[];
  readonly issuers: readonly Issuer[];
  readonly certificates: readonly Certificate[];
  readonly others: readonly OtherObject[];
  /** The knet.dev/v1alpha1 Cluster object the input gave (its settings are in `config`), as written. */
  readonly clusterObject?: OtherObject;
  /**
   * A running cluster's deleted pods (`ns/name`) that a ReplicaSet replaced: it names their
   * replacements anew, as its random suffixes would, never after them.
   */
  readonly replacedPods?: readonly string[];
  /** A running cluster's StatefulSets still being scaled, pod by pod (cluster/statefulset-order.ts), by `ns/name`. */
  readonly statefulSets?: Readonly<Record<string, { readonly made?: number; readonly held?: readonly number[] }>>;
  /** Given pods (`ns/name`) placed as the others but not made yet: kept apart as the cluster's `reservedPods`. */
  readonly unmadePods?: readonly string[];
}
