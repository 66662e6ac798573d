// The running cluster as the control plane holds it: the stored objects decoded and filled
// in exactly as `knet get -f` predicts them, except that what was assigned before stays
// assigned: pods keep their node and IP, Services their ClusterIPs and NodePorts.
// Fill-in is order-dependent (scheduling spreads, host-local hands out addresses in order),
// so a new Deployment applied later could otherwise move the pods that are already running.
//
// Two passes: the first says which pods exist now (workloads expanded, scale changes
// applied); the second gives fill-in every pod explicitly, the assigned ones with their
// node and IP stated, as a dump of a real cluster states them, so fill-in keeps them and
// allocates only for the new ones. With nothing assigned yet the first pass is the answer.
import { fillIn, type Cluster } from '../cluster/fill-in.js';
import { decodeObjects } from '../model/load.js';
import type { Issue } from '../model/issue.js';
import { sortIssues } from '../model/issue.js';
import type { IP } from '../model/ip.js';
import type { RawObject } from '../model/source.js';
import type { Inventory, Pod, PodStatus, Service, Workload } from '../model/types.js';
import type { Assignments, ClusterState, Overrides, PodAssignment, ServiceAssignment } from './state.js';
import { NO_ASSIGNMENTS, toRawObject } from './state.js';
import type { StatefulSetProgresses } from '../cluster/statefulset-order.js';

export interface DesiredInput {
  readonly objects: readonly RawObject[];
  readonly overrides: Overrides;
  readonly assignments: Assignments;
  /** Deleted pods a ReplicaSet replaced (their names are not given again). */
  readonly replacedPods?: readonly string[];
  /** StatefulSets still being scaled pod by pod (cluster/statefulset-order.ts). */
  readonly statefulSets?: StatefulSetProgresses;
}

export const FLAGS_FILE = '<knet up flags>';

export function desiredFromState(state: Pick<ClusterState, 'objects' | 'overrides' | 'assignments' | 'retiring' | 'terminating' | 'replaced' | 'statefulSets'>): { cluster: Cluster; issues: Issue[] } {
  const objects = [...state.objects, ...(state.retiring ?? []), ...(state.terminating ?? [])].map(toRawObject);
  const desired = desiredCluster({ objects, overrides: state.overrides, assignments: state.assignments, replacedPods: state.replaced ?? [], statefulSets: state.statefulSets });
  // The stored objects were created already: the API server's warnings came with knet apply.
  return { ...desired, issues: desired.issues.filter((i) => i.code !== 'api-warning') };
}

export function desiredCluster(input: DesiredInput): { cluster: Cluster; issues: Issue[] } {
  const decoded0 = decodeObjects(withOverrides(input.objects, input.overrides));
  const decoded1 = input.replacedPods?.length ? { ...decoded0, inventory: { ...decoded0.inventory, replacedPods: input.replacedPods } } : decoded0;
  const decoded = input.statefulSets && Object.keys(input.statefulSets).length > 0 ? { ...decoded1, inventory: { ...decoded1.inventory, statefulSets: input.statefulSets } } : decoded1;
  const first = fillIn(decoded.inventory);
  const a = input.assignments;
  if (Object.keys(a.pods).length === 0 && Object.keys(a.services).length === 0) {
    return { cluster: first.cluster, issues: sortIssues([...decoded.issues, ...first.issues]) };
  }
  const second = fillIn(pinned(decoded.inventory, first.cluster, a));
  return { cluster: second.cluster, issues: sortIssues([...decoded.issues, ...second.issues]) };
}

/** What fill-in assigned, to be stated again next time. */
export function assignmentsOf(cluster: Cluster): Assignments {
  const pods: Record<string, PodAssignment> = {};
  // A StatefulSet's pods not made yet keep the places the prediction gave them (fill-in.ts).
  for (const p of [...cluster.pods, ...(cluster.reservedPods ?? [])]) {
    if (!p.spec.nodeName || p.spec.hostNetwork) continue;
    pods[`${p.meta.namespace}/${p.meta.name}`] = { node: p.spec.nodeName, ips: [...p.status.podIPs] };
  }
  const services: Record<string, ServiceAssignment> = {};
  for (const s of cluster.services) {
    const nodePorts: Record<string, number> = {};
    for (const port of s.ports) if (port.nodePort) nodePorts[`${port.protocol}/${port.port}`] = port.nodePort;
    services[`${s.meta.namespace}/${s.meta.name}`] = {
      clusterIPs: [...s.clusterIPs], nodePorts, healthCheckNodePort: s.healthCheckNodePort, loadBalancerIngress: [...s.loadBalancerIngress],
    };
  }
  return { pods, services };
}

/**
 * The `knet up` flags laid over the Cluster object (one is made when the input has none),
 * leaving the stored object as the user wrote it.
 */
function withOverrides(objects: readonly RawObject[], o: Overrides): RawObject[] {
  if (o.nodes === undefined && o.cni === undefined) return [...objects];
  const patch = (value: Record<string, unknown>) => withClusterOverrides(value, o);
  const i = objects.findIndex((r) => r.value['kind'] === 'Cluster');
  if (i < 0) {
    const at = { file: FLAGS_FILE, line: 0, col: 0 };
    return [{ file: FLAGS_FILE, locate: () => at, value: patch({ apiVersion: 'knet.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'knet' } }) }, ...objects];
  }
  const out = [...objects];
  const raw = out[i]!;
  out[i] = { file: raw.file, locate: raw.locate, value: patch(raw.value) };
  return out;
}

/** A Cluster object's value with `knet up --nodes/--cni` laid over it, as the running cluster serves it. */
export function withClusterOverrides(value: Record<string, unknown>, o: Overrides): Record<string, unknown> {
  const next: Record<string, unknown> = { ...value };
  if (o.cni !== undefined) {
    const net = value['networking'] && typeof value['networking'] === 'object' ? value['networking'] as Record<string, unknown> : {};
    next['networking'] = { ...net, cni: o.cni };
  }
  if (o.nodes !== undefined) next['nodeCount'] = o.nodes;
  return next;
}

const UNFILLED: PodStatus = { phase: '', podIPs: [], hostIP: '', ready: null };

/** The inventory of the second pass: every pod of the first, assigned ones with node and IP stated. */
function pinned(inv: Inventory, first: Cluster, a: Assignments): Inventory {
  const userPods = new Map(inv.pods.map((p) => [`${p.meta.namespace}/${p.meta.name}`, p]));
  const workloads = new Map(first.workloads.map((w) => [`${w.kind} ${w.meta.namespace}/${w.meta.name}`, w]));
  const nodeNames = new Set(first.nodes.map((n) => n.meta.name));
  // A StatefulSet's pods not made yet come along, pinned too, and stay apart (fill-in.ts).
  const reserved = first.reservedPods ?? [];
  const pods = [...first.pods, ...reserved].map((filled): Pod => {
    const ref = `${filled.meta.namespace}/${filled.meta.name}`;
    const given = filled.raw ? userPods.get(ref) ?? filled : unfilledGenerated(filled, workloads);
    const pin = a.pods[ref];
    if (!pin || !nodeNames.has(pin.node) || given.spec.hostNetwork) return given;
    if (given.spec.nodeName && given.spec.nodeName !== pin.node) return given; // the user moved it
    return {
      ...given,
      spec: { ...given.spec, nodeName: pin.node },
      status: given.status.podIPs.length > 0 ? given.status : { ...given.status, podIPs: pin.ips as IP[] },
    };
  });
  // Generated ReplicaSets come back with their pods; one with no pods (scaled to 0) is left to
  // its Deployment, which would otherwise not know it and make it a second time.
  const owners = new Set(pods.flatMap((p) => p.meta.ownerReferences.map((o) => `${o.kind} ${p.meta.namespace}/${o.name}`)));
  const keptWorkloads = first.workloads.filter((w) => w.raw !== null || owners.has(`${w.kind} ${w.meta.namespace}/${w.meta.name}`));
  return {
    ...inv,
    nodes: first.nodes,
    pods,
    ...(reserved.length > 0 ? { unmadePods: reserved.map((p) => `${p.meta.namespace}/${p.meta.name}`) } : {}),
    workloads: keptWorkloads,
    services: inv.services.map((s) => pinService(s, a.services[`${s.meta.namespace}/${s.meta.name}`])),
  };
}

/** A generated pod as its controller made it: no node (unless its template or a DaemonSet says) and no status. */
function unfilledGenerated(p: Pod, workloads: ReadonlyMap<string, Workload>): Pod {
  const origin = workloads.get(p.generatedBy);
  const nodeName = origin?.kind === 'DaemonSet' ? p.spec.nodeName : origin?.template.spec.nodeName ?? '';
  return { ...p, spec: { ...p.spec, nodeName }, status: UNFILLED };
}

function pinService(s: Service, pin: ServiceAssignment | undefined): Service {
  if (!pin) return s;
  return {
    ...s,
    clusterIPs: s.clusterIPs.length > 0 || s.headless || s.type === 'ExternalName' ? s.clusterIPs : pin.clusterIPs as IP[],
    ports: s.ports.map((p) => (p.nodePort || !pin.nodePorts[`${p.protocol}/${p.port}`] || s.type === 'ClusterIP' || s.type === 'ExternalName'
      ? p : { ...p, nodePort: pin.nodePorts[`${p.protocol}/${p.port}`]! })),
    healthCheckNodePort: s.healthCheckNodePort || (s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local' ? pin.healthCheckNodePort : 0),
    loadBalancerIngress: s.loadBalancerIngress.length > 0 || s.type !== 'LoadBalancer' ? s.loadBalancerIngress : pin.loadBalancerIngress as IP[],
  };
}

export { NO_ASSIGNMENTS };
