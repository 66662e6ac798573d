// Objects back to their wire form, as `kubectl get -o yaml` prints them: what the input
// said, with what the control plane filled in (pod IPs, node names, ClusterIPs,
// NodePorts, podCIDRs, load-balancer status); generated objects are written whole.
import type {
  Certificate, EndpointSlice, Ingress, Meta, Namespace, Node, OtherObject, Pod, Service, Workload,
} from '../model/types.js';
import type { Cluster } from './fill-in.js';
import { predictedStatus } from '../core/certs/certificate.js';
import { certificateWire } from '../core/certs/wire.js';
import { stableUid } from '../model/uid.js';
import { REVISION_ANNOTATION } from './workloads.js';

type Json = Record<string, unknown>;

export type AnyObject = Cluster['pods'][number] | Cluster['services'][number] | Cluster['nodes'][number] | Cluster['namespaces'][number]
  | Cluster['workloads'][number] | Cluster['endpointSlices'][number] | Cluster['endpoints'][number] | Cluster['ingresses'][number]
  | Cluster['ingressClasses'][number] | Cluster['networkPolicies'][number] | Cluster['secrets'][number] | Cluster['configMaps'][number]
  | Cluster['issuers'][number] | Cluster['certificates'][number] | OtherObject;

function clone(v: unknown): Json {
  return v === undefined ? {} : (structuredClone(v) as Json);
}

function obj(parent: Json, key: string): Json {
  const v = parent[key];
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Json;
  const fresh: Json = {};
  parent[key] = fresh;
  return fresh;
}

function metaToWire(m: Meta, generateName = ''): Json {
  const out: Json = {};
  if (m.annotations && Object.keys(m.annotations).length) out['annotations'] = { ...m.annotations };
  if (m.creationTimestamp) out['creationTimestamp'] = m.creationTimestamp;
  if (generateName) out['generateName'] = generateName;
  if (Object.keys(m.labels).length) out['labels'] = { ...m.labels };
  out['name'] = m.name;
  if (m.namespace) out['namespace'] = m.namespace;
  if (m.ownerReferences.length) {
    out['ownerReferences'] = m.ownerReferences.map((o) => ({
      apiVersion: o.kind === 'ReplicaSet' || o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'DaemonSet' ? 'apps/v1'
        : o.kind === 'Job' ? 'batch/v1' : o.kind === 'Ingress' ? 'networking.k8s.io/v1' : 'v1',
      blockOwnerDeletion: true, controller: o.controller, kind: o.kind, name: o.name, uid: o.uid,
    }));
  }
  out['uid'] = m.uid;
  return out;
}

export function toWire(o: AnyObject): Json {
  return withServerMeta(wireOf(o), o.meta, o.kind);
}

const MODELLED = new Set(['Pod', 'Service', 'Endpoints', 'EndpointSlice', 'Ingress', 'NetworkPolicy', 'Secret', 'ConfigMap',
  'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'Issuer', 'Certificate']);

/**
 * What the API server sets in every object's metadata on create, where the input left it
 * out: the namespace (the request's, `default` unless -n says otherwise) and the uid.
 */
function withServerMeta(w: Json, m: Meta, kind: string): Json {
  const meta = obj(w, 'metadata');
  // A kind knet does not model may be cluster-scoped (a CRD's): its namespace is left as written.
  if (m.namespace && !meta['namespace'] && MODELLED.has(kind)) meta['namespace'] = m.namespace;
  if (m.uid && !meta['uid']) meta['uid'] = m.uid;
  return w;
}

function wireOf(o: AnyObject): Json {
  switch (o.kind) {
    case 'Pod': return podToWire(o as Pod);
    case 'Service': return serviceToWire(o as Service);
    case 'Node': return nodeToWire(o as Node);
    case 'Namespace': return namespaceToWire(o as Namespace);
    case 'EndpointSlice': return sliceToWire(o as EndpointSlice);
    case 'Ingress': return ingressToWire(o as Ingress);
    case 'Certificate': return certificateToWire(o as Certificate);
    case 'ReplicaSet': return workloadToWire(o as Workload, (o as Workload).raw ? clone((o as Workload).raw!.value) : replicaSetToWire(o as Workload));
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
    case 'ReplicationController': return workloadToWire(o as Workload, clone((o as Workload).raw?.value));
    default: return o.raw ? clone(o.raw.value) : { apiVersion: o.apiVersion, kind: o.kind, metadata: metaToWire(o.meta) };
  }
}

function podToWire(p: Pod): Json {
  const w: Json = p.raw
    ? clone(p.raw.value)
    : { apiVersion: 'v1', kind: 'Pod', metadata: metaToWire(p.meta), spec: clone(templateSpecOf(p)) };
  const spec = obj(w, 'spec');
  if (p.spec.nodeName) spec['nodeName'] = p.spec.nodeName;
  if (p.spec.hostname) spec['hostname'] = p.spec.hostname;
  if (p.spec.subdomain) spec['subdomain'] = p.spec.subdomain;
  const status = obj(w, 'status');
  status['phase'] = p.status.phase;
  if (p.status.hostIP) {
    status['hostIP'] = p.status.hostIP;
    status['hostIPs'] = [{ ip: p.status.hostIP }];
  }
  if (p.status.podIPs.length) {
    status['podIP'] = p.status.podIPs[0];
    status['podIPs'] = p.status.podIPs.map((ip) => ({ ip }));
  }
  if (p.meta.deletionTimestamp && !obj(w, 'metadata')['deletionTimestamp']) obj(w, 'metadata')['deletionTimestamp'] = p.meta.deletionTimestamp;
  // A dump's pod states its own status; the kubelet's fields are filled in where it does not.
  if (!Array.isArray(status['conditions'])) status['conditions'] = podConditions(p);
  if (!status['qosClass']) status['qosClass'] = qosClassOf(spec);
  if (p.meta.creationTimestamp && p.spec.nodeName && !status['startTime']) status['startTime'] = p.meta.creationTimestamp;
  if (p.spec.nodeName && !Array.isArray(status['containerStatuses'])) {
    const init = p.spec.initContainers;
    if (init.length > 0) status['initContainerStatuses'] = init.map((c) => containerStatus(p, c.name, c.image, c.restartPolicy === 'Always' ? 'sidecar' : 'init', 0));
    status['containerStatuses'] = p.spec.containers.map((c, i) => containerStatus(p, c.name, c.image, 'main', i === 0 ? p.status.restarts ?? 0 : 0));
  }
  return w;
}

/**
 * The kubelet's pod conditions, in the order it writes them. Ready and ContainersReady follow
 * the pod's Ready; PodScheduled is False (Unschedulable) while no node is bound.
 */
function podConditions(p: Pod): Json[] {
  const s = (b: boolean) => (b ? 'True' : 'False');
  const at = p.meta.creationTimestamp ? { lastTransitionTime: p.meta.creationTimestamp } : {};
  const scheduled = p.spec.nodeName !== '';
  const ready = p.status.ready === true && p.status.phase === 'Running';
  const finished = p.status.phase === 'Succeeded' || p.status.phase === 'Failed';
  const notReady = finished ? { reason: 'PodCompleted' } : ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${p.spec.containers.map((c) => c.name).join(' ')}]` };
  if (!scheduled) return [{ lastProbeTime: null, ...at, message: 'no nodes available to schedule pods', reason: 'Unschedulable', status: 'False', type: 'PodScheduled' }];
  const started = p.status.phase === 'Running' || finished;
  return [
    { lastProbeTime: null, ...at, status: s(started && !finished), type: 'PodReadyToStartContainers' },
    { lastProbeTime: null, ...at, ...(finished ? { reason: 'PodCompleted' } : {}), status: 'True', type: 'Initialized' },
    { lastProbeTime: null, ...at, ...notReady, status: s(ready), type: 'Ready' },
    { lastProbeTime: null, ...at, ...notReady, status: s(ready), type: 'ContainersReady' },
    { lastProbeTime: null, ...at, status: 'True', type: 'PodScheduled' },
  ];
}

/** A container's status as the kubelet reports it: its state from the pod's phase, its Ready from the pod's. */
function containerStatus(p: Pod, name: string, image: string, role: 'main' | 'init' | 'sidecar', restarts: number): Json {
  const since = p.meta.creationTimestamp ? { startedAt: p.meta.creationTimestamp } : {};
  const phase = p.status.phase;
  const done = role === 'init' && (phase === 'Running' || phase === 'Succeeded');
  const state = phase === 'Pending' ? { waiting: { reason: role === 'main' ? 'PodInitializing' : 'ContainerCreating' } }
    : done || phase === 'Succeeded' ? { terminated: { exitCode: 0, reason: 'Completed', ...since, ...(since.startedAt ? { finishedAt: since.startedAt } : {}), containerID: containerIdOf(p, name) } }
      : phase === 'Failed' ? { terminated: { exitCode: 1, reason: 'Error', ...since, containerID: containerIdOf(p, name) } }
        : { running: since };
  const running = 'running' in state;
  return {
    ...(phase === 'Pending' ? {} : { containerID: containerIdOf(p, name) }),
    image, imageID: '', lastState: {}, name,
    ready: done || (running && p.status.ready === true),
    restartCount: restarts,
    started: running,
    state,
  };
}

/** The runtime's id of a container: knet's runtime, a stable id from the pod's uid and the container's name. */
function containerIdOf(p: Pod, container: string): string {
  return `knet://${stableUid(`${p.meta.uid}/${container}`).replace(/-/g, '')}`;
}

/**
 * The pod's QoS class (v1qos.GetPodQOS): BestEffort without any request or limit; Guaranteed
 * when every container limits cpu and memory and requests (defaulting to the limits) equal
 * them; Burstable otherwise.
 */
export function qosClassOf(spec: Json): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(Array.isArray(spec['initContainers']) ? spec['initContainers'] : []), ...(Array.isArray(spec['containers']) ? spec['containers'] : [])] as Json[];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const r = (c['resources'] ?? {}) as Json;
    const limits = (r['limits'] ?? {}) as Json;
    const requests = { ...limits, ...((r['requests'] ?? {}) as Json) };
    const named = (o: Json) => Object.keys(o).filter((k) => k === 'cpu' || k === 'memory' || k.startsWith('hugepages-') || k === 'ephemeral-storage');
    if (named(limits).length > 0 || named(requests).length > 0) any = true;
    for (const k of ['cpu', 'memory']) if (limits[k] === undefined || String(requests[k]) !== String(limits[k])) guaranteed = false;
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Generated pods carry their template's spec as written. */
function templateSpecOf(p: Pod): unknown {
  const owner = p.ownerSource?.value as Json | undefined;
  const spec = (owner?.['spec'] as Json | undefined)?.['template'] as Json | undefined;
  return spec?.['spec'] ?? {};
}

function serviceToWire(s: Service): Json {
  const w = clone(s.raw?.value);
  const spec = obj(w, 'spec');
  if (!s.headless && s.type !== 'ExternalName' && s.clusterIPs.length) {
    spec['clusterIP'] = s.clusterIPs[0];
    spec['clusterIPs'] = [...s.clusterIPs];
    spec['ipFamilies'] = s.clusterIPs.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4'));
    spec['ipFamilyPolicy'] = s.ipFamilyPolicy;
  } else if (s.headless) {
    spec['clusterIP'] = 'None';
    spec['clusterIPs'] = ['None'];
    spec['ipFamilies'] = s.ipFamilies.map((f) => `IPv${f}`);
    spec['ipFamilyPolicy'] = s.ipFamilyPolicy;
  }
  if (s.type !== 'ExternalName') {
    spec['type'] = s.type;
    spec['sessionAffinity'] = s.sessionAffinity;
    spec['internalTrafficPolicy'] = s.internalTrafficPolicy;
  }
  if (Array.isArray(spec['ports'])) {
    (spec['ports'] as Json[]).forEach((wp, i) => {
      const p = s.ports[i];
      if (!p || typeof wp !== 'object' || wp === null) return;
      wp['protocol'] = p.protocol;
      wp['targetPort'] = p.targetPort;
      if (p.nodePort) wp['nodePort'] = p.nodePort;
    });
  }
  if (s.type === 'NodePort' || s.type === 'LoadBalancer') spec['externalTrafficPolicy'] = s.externalTrafficPolicy;
  if (s.healthCheckNodePort) spec['healthCheckNodePort'] = s.healthCheckNodePort;
  const status = obj(w, 'status');
  const lb = obj(status, 'loadBalancer');
  if (s.loadBalancerIngress.length) lb['ingress'] = s.loadBalancerIngress.map((ip) => ({ ip, ipMode: 'VIP' }));
  return w;
}

function nodeToWire(n: Node): Json {
  const w: Json = n.raw ? clone(n.raw.value) : { apiVersion: 'v1', kind: 'Node', metadata: metaToWire(n.meta) };
  const spec = obj(w, 'spec');
  if (n.podCIDRs.length) {
    spec['podCIDR'] = n.podCIDRs[0]!.text;
    spec['podCIDRs'] = n.podCIDRs.map((c) => c.text);
  }
  const status = obj(w, 'status');
  if (!Array.isArray(status['addresses'])) {
    status['addresses'] = [
      ...n.internalIPs.map((ip) => ({ address: ip, type: 'InternalIP' })),
      { address: n.meta.name, type: 'Hostname' },
    ];
  }
  if (!Array.isArray(status['conditions'])) status['conditions'] = [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }];
  return w;
}

function namespaceToWire(n: Namespace): Json {
  const w: Json = n.raw ? clone(n.raw.value) : { apiVersion: 'v1', kind: 'Namespace', metadata: metaToWire(n.meta) };
  obj(obj(w, 'metadata'), 'labels')['kubernetes.io/metadata.name'] = n.meta.name;
  const status = obj(w, 'status');
  if (!status['phase']) status['phase'] = 'Active';
  return w;
}

function sliceToWire(s: EndpointSlice): Json {
  if (s.raw) return clone(s.raw.value);
  return {
    addressType: s.addressType,
    apiVersion: 'discovery.k8s.io/v1',
    endpoints: s.endpoints.map((e) => {
      const ep: Json = { addresses: [...e.addresses], conditions: { ...e.conditions } };
      if (e.hostname) ep['hostname'] = e.hostname;
      if (e.nodeName) ep['nodeName'] = e.nodeName;
      if (e.targetRef) ep['targetRef'] = { kind: e.targetRef.kind, name: e.targetRef.name, namespace: e.targetRef.namespace };
      if (e.zone) ep['zone'] = e.zone;
      return ep;
    }),
    kind: 'EndpointSlice',
    metadata: metaToWire(s.meta, s.managedBy ? `${s.serviceName}-` : ''),
    ports: s.ports.map((p) => {
      const out: Json = { name: p.name, port: p.port, protocol: p.protocol };
      if (p.appProtocol) out['appProtocol'] = p.appProtocol;
      return out;
    }),
  };
}

function ingressToWire(i: Ingress): Json {
  const w = clone(i.raw?.value);
  // The DefaultIngressClass admission plugin's choice (cluster/default-ingress-class.ts).
  const spec = obj(w, 'spec');
  if (i.ingressClassName && spec['ingressClassName'] == null) spec['ingressClassName'] = i.ingressClassName;
  if (i.loadBalancerIngress.length) {
    obj(obj(w, 'status'), 'loadBalancer')['ingress'] = i.loadBalancerIngress.map((a) => (/^[\d.:a-f]+$/i.test(a) ? { ip: a } : { hostname: a }));
  }
  return w;
}

function certificateToWire(c: Certificate): Json {
  if (c.raw) return clone(c.raw.value);
  // Generated by the ingress-shim and not issued by anything: the status says so.
  return certificateWire(c, predictedStatus(c.meta.creationTimestamp)) as Json;
}

function replicaSetToWire(rs: Workload): Json {
  const annotations = Object.keys(rs.template.annotations).length > 0 ? { annotations: { ...rs.template.annotations } } : {};
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: metaToWire(rs.meta),
    spec: {
      replicas: rs.replicas,
      selector: { matchLabels: { ...rs.template.labels } },
      template: { metadata: { ...annotations, labels: { ...rs.template.labels } }, spec: clone(rs.template.rawSpec) },
    },
    status: { replicas: rs.replicas },
  };
}

/**
 * A workload with the status its controller writes (cluster/workload-status.ts) and, on a
 * Deployment, the revision of its newest ReplicaSet. A dump's own status is kept.
 */
function workloadToWire(w: Workload, wire: Json): Json {
  if (w.kind === 'Deployment') withDeploymentDefaults(obj(wire, 'spec'));
  if (w.kind === 'StatefulSet' || w.kind === 'DaemonSet') withSetDefaults(w.kind, obj(wire, 'spec'));
  const revision = w.meta.annotations[REVISION_ANNOTATION];
  if (w.kind === 'Deployment' && revision) obj(obj(wire, 'metadata'), 'annotations')[REVISION_ANNOTATION] = revision;
  if (w.status && !(w.raw && hasOwnStatus(w.raw.value))) wire['status'] = withObservedGeneration(wire, { ...w.status });
  return wire;
}

/**
 * The API server's defaults for a Deployment's spec (apps/v1 SetDefaults_Deployment), where
 * the input leaves them out: RollingUpdate with 25% surge and unavailability, 10 old
 * ReplicaSets kept, a 600 s progress deadline. `kubectl describe deploy` prints them.
 */
function withDeploymentDefaults(spec: Json): void {
  const strategy = obj(spec, 'strategy');
  if (!strategy['type']) strategy['type'] = 'RollingUpdate';
  if (strategy['type'] === 'RollingUpdate') {
    const rolling = obj(strategy, 'rollingUpdate');
    if (rolling['maxSurge'] === undefined) rolling['maxSurge'] = '25%';
    if (rolling['maxUnavailable'] === undefined) rolling['maxUnavailable'] = '25%';
  }
  if (spec['revisionHistoryLimit'] === undefined) spec['revisionHistoryLimit'] = 10;
  if (spec['progressDeadlineSeconds'] === undefined) spec['progressDeadlineSeconds'] = 600;
}

/**
 * The API server's defaults for a StatefulSet's and a DaemonSet's spec (apps/v1
 * SetDefaults_StatefulSet, SetDefaults_DaemonSet): RollingUpdate (a StatefulSet's with
 * partition 0, a DaemonSet's with maxUnavailable 1 and maxSurge 0), OrderedReady pod
 * management, PVCs retained, 10 revisions kept. `kubectl rollout status` reads the strategy.
 */
function withSetDefaults(kind: 'StatefulSet' | 'DaemonSet', spec: Json): void {
  const strategy = obj(spec, 'updateStrategy');
  if (!strategy['type']) strategy['type'] = 'RollingUpdate';
  if (strategy['type'] === 'RollingUpdate') {
    const rolling = obj(strategy, 'rollingUpdate');
    if (kind === 'StatefulSet' && rolling['partition'] === undefined) rolling['partition'] = 0;
    if (kind === 'DaemonSet' && rolling['maxUnavailable'] === undefined) rolling['maxUnavailable'] = 1;
    if (kind === 'DaemonSet' && rolling['maxSurge'] === undefined) rolling['maxSurge'] = 0;
  }
  if (kind === 'StatefulSet') {
    if (spec['podManagementPolicy'] === undefined) spec['podManagementPolicy'] = 'OrderedReady';
    const retention = obj(spec, 'persistentVolumeClaimRetentionPolicy');
    if (retention['whenDeleted'] === undefined) retention['whenDeleted'] = 'Retain';
    if (retention['whenScaled'] === undefined) retention['whenScaled'] = 'Retain';
  }
  if (spec['revisionHistoryLimit'] === undefined) spec['revisionHistoryLimit'] = 10;
}

/** A dump's workload states what its controller wrote: kept as it is. */
function hasOwnStatus(value: Json): boolean {
  const st = value['status'];
  return !!st && typeof st === 'object' && Object.keys(st as Json).length > 0;
}

/**
 * status.observedGeneration as the controllers write it once they have seen a change: the
 * object's metadata.generation (1 before the store numbers generations). The store calls this
 * again after it sets metadata.generation.
 */
export function withObservedGeneration(wire: Json, status: Json = obj(wire, 'status')): Json {
  const generation = (wire['metadata'] as Json | undefined)?.['generation'];
  if ('observedGeneration' in status || WORKLOAD_KINDS.has(String(wire['kind']))) status['observedGeneration'] = typeof generation === 'number' ? generation : 1;
  return status;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ReplicationController']);
