// What a control plane fills in, in the order a cluster does it: nodes and their
// podCIDRs, the default objects, workloads to pods, scheduling, pod IPs, Service
// addresses, EndpointSlices, Ingress status, cert-manager's ingress-shim.
// Deterministic: the same input always gives the same cluster.
import { cidrsOverlap } from '../model/ip.js';
import { sortIssues, type Issue } from '../model/issue.js';
import type { Ingress, Inventory, Namespace, Node, Pod, Service } from '../model/types.js';
import { shimCertificates } from '../core/certs/ingress-shim.js';
import { defaultObjects } from './defaults.js';
import { withDefaultIngressClass } from './default-ingress-class.js';
import { withHeadlessFamilies } from './service-ip-families.js';
import { buildEndpointSlices } from './endpointslices.js';
import { assignPodIPs } from './ipam.js';
import { ingressAnnotationIssues } from './ingress-annotations.js';
import { issueAt, objectLabel } from './issues.js';
import { fillNodes } from './nodes.js';
import { inferConfig } from './infer-config.js';
import { PodIndex } from './pod-index.js';
import { withPublishedHosts } from './published-hosts.js';
import { schedulePods } from './schedule.js';
import { allocateServices } from './services.js';
import { expandWorkloads, generatedMeta, withNewReplicaSets } from './workloads.js';
import { withWorkloadStatus } from './workload-status.js';
import { RETIRING_ANNOTATION } from './rollout.js';
import { loadInventory, type LoadOptions } from '../model/load.js';
import { compareText } from '../model/order.js';

/** A cluster with everything filled in, and its indexes. */
export interface Cluster extends Inventory {
  readonly podIndex: PodIndex;
  /**
   * A StatefulSet's pods its controller has not made yet, placed (node, IPs) where the
   * prediction places them: a running cluster keeps these places for them (daemon/desired.ts),
   * so pods made one by one land where `knet get -f` said they would.
   */
  readonly reservedPods?: readonly Pod[];
}

export function fillIn(given: Inventory): { cluster: Cluster; issues: Issue[] } {
  // A dump is the truth: the configuration follows the addresses it states.
  const inferred = inferConfig(given);
  const input: Inventory = { ...given, config: inferred.config };
  const issues: Issue[] = [...inferred.notes];
  const config = input.config;
  checkSubnets(input, issues);

  // Pods on their way out (a running cluster's retiring and terminating pods, which state
  // their node) do not say which nodes there are; the others do when nothing else does.
  const nodes = fillNodes(config, input.nodes, issues, input.pods.filter((p) => p.meta.deletionTimestamp === '' && !p.meta.annotations[RETIRING_ANNOTATION]));
  const apiServerIP = apiServerAddress(nodes);
  const defaults = defaultObjects(input, apiServerIP);
  // Ingresses as the DefaultIngressClass admission plugin leaves them.
  const merged = { ...mergeInventories(input, defaults), ingresses: withDefaultIngressClass(input.ingresses, input.ingressClasses) };

  const namespaces = withImplicitNamespaces(merged, issues);
  const expansion = expandWorkloads(merged.workloads, merged.pods, nodes, new Set(input.replacedPods ?? []), input.statefulSets);
  const allPods = [...merged.pods, ...expansion.pods];
  const nodeNames = schedulePods(allPods, nodes, issues);
  const placed = assignPodIPs(config, allPods, nodeNames, nodes, issues);
  const unmade = input.unmadePods?.length ? new Set([...expansion.unmade, ...input.unmadePods]) : expansion.unmade;
  const isUnmade = (p: Pod): boolean => unmade.has(`${p.meta.namespace}/${p.meta.name}`);
  const pods = unmade.size === 0 ? placed : placed.filter((p) => !isUnmade(p));
  const reservedPods = unmade.size === 0 ? [] : placed.filter(isUnmade);
  const services = withHeadlessFamilies(allocateServices(config, merged.services, issues), config.serviceSubnets[0]?.family ?? 4);
  const podIndex = new PodIndex(pods);
  const endpointSlices = buildEndpointSlices(services, podIndex, nodes, merged.endpointSlices, merged.endpoints);
  const ingresses = withIngressStatus(merged.ingresses, services, merged);
  issues.push(...ingressAnnotationIssues(merged.ingresses));
  const certificates = [...merged.certificates, ...shimCertificates(merged.ingresses, merged.certificates)];

  const cluster: Cluster = {
    ...merged,
    config: withPublishedHosts(merged.config, ingresses),
    namespaces, nodes, pods, services, endpointSlices, ingresses, certificates,
    workloads: withNewReplicaSets(merged.workloads, expansion.replicaSets),
    podIndex,
    ...(reservedPods.length > 0 ? { reservedPods } : {}),
  };
  return { cluster: withWorkloadStatus(cluster), issues: sortIssues(issues) };
}

export interface LoadedCluster {
  readonly cluster: Cluster;
  readonly issues: Issue[];
  /** `Kind ns/name` of each input object left out, as the API server would refuse it. */
  readonly refused: string[];
}

/**
 * Reads, decodes and fills in: the one call every Predict command starts with. Partial, as
 * `kubectl apply -f` is: what the API server would refuse is left out (its issues say why).
 */
export function loadCluster(paths: readonly string[], readStdin?: () => string, options: LoadOptions = {}): LoadedCluster {
  const loaded = loadInventory(paths, readStdin, options);
  const filled = fillInPartial(loaded.inventory);
  return { cluster: filled.cluster, issues: sortIssues([...loaded.issues, ...filled.issues]), refused: [...loaded.refused, ...filled.refused] };
}

/** Issue codes that are the API server refusing a Service's create (its allocators' answers). */
const REFUSED_CREATE = new Set([
  'cluster-ip-out-of-range', 'cluster-ip-allocated', 'cluster-ip-exhausted', 'ip-family',
  'duplicate-node-port', 'node-port-out-of-range', 'node-port-allocated', 'node-port-exhausted',
]);

/**
 * Fills in, leaving out each input Service the API server would refuse to create against
 * what was created before (a ClusterIP or NodePort taken, a range used up): the cluster is
 * filled in again without it, as it was never created. Other errors (the Cluster object's
 * subnets overlapping, a pod IP fill-in cannot place) concern the cluster, not one create: they are
 * reported and the objects stay.
 */
export function fillInPartial(input: Inventory): { cluster: Cluster; issues: Issue[]; refused: string[] } {
  let inventory = input;
  const refusals: Issue[] = [];
  const refused: string[] = [];
  // Leaving a Service out only frees what it held, so the second round finds nothing new;
  // the bound guards against a loop.
  for (let round = 0; ; round++) {
    const filled = fillIn(inventory);
    const out = new Set(filled.issues.filter((i) => i.severity === 'error' && REFUSED_CREATE.has(i.code)).map((i) => i.object));
    const left = inventory.services.filter((s) => out.has(objectLabel(s)));
    if (left.length === 0 || round === 3) {
      return { cluster: filled.cluster, issues: sortIssues([...refusals, ...filled.issues]), refused };
    }
    const labels = new Set(left.map(objectLabel));
    refusals.push(...filled.issues.filter((i) => i.severity === 'error' && REFUSED_CREATE.has(i.code) && labels.has(i.object ?? '')));
    refused.push(...labels);
    inventory = { ...inventory, services: inventory.services.filter((s) => !labels.has(objectLabel(s))) };
  }
}

/** The API server listens on a control-plane node (kubeadm's advertise address), else the first node. */
function apiServerAddress(nodes: readonly Node[]): string {
  const controlPlane = nodes.find((n) => 'node-role.kubernetes.io/control-plane' in n.meta.labels || 'node-role.kubernetes.io/master' in n.meta.labels);
  return (controlPlane ?? nodes[0])?.internalIPs[0] ?? '172.18.0.2';
}

function mergeInventories(a: Inventory, b: Inventory): Inventory {
  return {
    config: a.config,
    namespaces: [...b.namespaces, ...a.namespaces],
    nodes: a.nodes,
    pods: [...b.pods, ...a.pods],
    workloads: [...b.workloads, ...a.workloads],
    services: [...b.services, ...a.services],
    endpointSlices: [...b.endpointSlices, ...a.endpointSlices],
    endpoints: [...b.endpoints, ...a.endpoints],
    ingresses: a.ingresses,
    ingressClasses: a.ingressClasses,
    networkPolicies: a.networkPolicies,
    secrets: a.secrets,
    configMaps: [...b.configMaps, ...a.configMaps],
    issuers: a.issuers,
    certificates: a.certificates,
    others: a.others,
    ...(a.clusterObject ? { clusterObject: a.clusterObject } : {}),
  };
}

function checkSubnets(inv: Inventory, issues: Issue[]): void {
  const c = inv.config;
  const pairs: [string, typeof c.podSubnet, string, typeof c.podSubnet][] = [];
  for (const s of c.serviceSubnets) pairs.push(['podSubnet', c.podSubnet, 'serviceSubnet', s]);
  // A VNet/VPC CNI gives pods addresses of the nodes' own network.
  if (c.cni !== 'azure') pairs.push(['podSubnet', c.podSubnet, 'nodeSubnet', c.nodeSubnet]);
  for (const s of c.serviceSubnets) pairs.push(['serviceSubnet', s, 'nodeSubnet', c.nodeSubnet]);
  for (const [an, a, bn, b] of pairs) {
    if (!cidrsOverlap(a, b)) continue;
    issues.push({
      code: 'subnet-overlap', severity: 'error',
      ...(c.raw ? c.raw.locate(['networking', bn]) : { file: '', line: 0, col: 0 }),
      object: `Cluster ${c.name}`, field: `networking.${bn}`,
      message: `${bn} ${b.text} overlaps ${an} ${a.text}: packets to those addresses cannot be told apart`,
      hint: 'give pods, Services and nodes disjoint ranges (kubeadm: 10.244.0.0/16, 10.96.0.0/12, nodes elsewhere)',
    });
  }
}

/** Namespaces named by objects but not defined exist implicitly; all get the metadata.name label. */
function withImplicitNamespaces(inv: Inventory, issues: Issue[]): Namespace[] {
  const byName = new Map<string, Namespace>();
  for (const ns of inv.namespaces) byName.set(ns.meta.name, ns);
  const used = new Map<string, { kind: string; meta: Inventory['pods'][number]['meta']; raw: Inventory['pods'][number]['raw'] }>();
  const all = [...inv.pods, ...inv.workloads, ...inv.services, ...inv.ingresses, ...inv.networkPolicies, ...inv.secrets, ...inv.configMaps, ...inv.endpointSlices];
  for (const o of all) if (!byName.has(o.meta.namespace) && !used.has(o.meta.namespace)) used.set(o.meta.namespace, o);
  for (const [name, first] of used) {
    issues.push(issueAt(first, ['metadata', 'namespace'], 'implicit-namespace', 'info',
      `namespace "${name}" has no Namespace object; knet creates it (kubectl apply would fail with: namespaces "${name}" not found)`,
      `add a Namespace object named ${name}, or create it with kubectl create namespace ${name}`));
    byName.set(name, { kind: 'Namespace', apiVersion: 'v1', raw: null, meta: generatedMeta(name, '', {}, null) });
  }
  // The API server labels every namespace with its own name (policies select on it).
  return [...byName.values()]
    .map((ns) => ns.meta.labels['kubernetes.io/metadata.name'] === ns.meta.name
      ? ns
      : { ...ns, meta: { ...ns.meta, labels: { ...ns.meta.labels, 'kubernetes.io/metadata.name': ns.meta.name } } })
    .sort((a, b) => compareText(a.meta.name, b.meta.name));
}

/**
 * ingress-nginx publishes its controller Service's address in the status of the Ingresses
 * it serves. The controller Service is the LoadBalancer Service selecting the pods that
 * carry ingress-nginx's labels (app.kubernetes.io/name: ingress-nginx).
 */
function withIngressStatus(ingresses: readonly Ingress[], services: readonly Service[], inv: Inventory): Ingress[] {
  const controller = services.find((s) =>
    s.type === 'LoadBalancer' && s.selector !== null &&
    (s.selector['app.kubernetes.io/name'] === 'ingress-nginx' || /ingress/.test(s.meta.name)));
  const address = controller?.loadBalancerIngress[0];
  if (!address) return [...ingresses];
  const nginxClasses = new Set(inv.ingressClasses.filter((c) => c.controller === 'k8s.io/ingress-nginx').map((c) => c.meta.name));
  const defaultClass = inv.ingressClasses.find((c) => c.isDefault)?.meta.name ?? '';
  return ingresses.map((ing) => {
    if (ing.loadBalancerIngress.length > 0) return ing;
    const cls = ing.ingressClassName || ing.meta.annotations['kubernetes.io/ingress.class'] || defaultClass;
    if (nginxClasses.size > 0 && !nginxClasses.has(cls)) return ing;
    return { ...ing, loadBalancerIngress: [address] };
  });
}
