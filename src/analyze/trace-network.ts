// The last two layers a packet meets: the pod network between the node that holds the
// packet and the destination pod's node (rule 2: any pod reaches any pod, without NAT,
// through the CNI's bridge, routes, overlay or VNet), and the container that must be
// listening on the port.
import { routesByPodCIDR } from '../cluster/infer-config.js';
import { calicoBlockOf, calicoRoutes, type CalicoRoutes } from '../cluster/ipam.js';
import { cidrContains, familyOf, type IP } from '../model/ip.js';
import type { Container, ContainerPort, Pod, Protocol } from '../model/types.js';
import { nodeAddress, podRef, type TraceContext } from './trace-context.js';
import type { TraceStep } from './trace-types.js';

type NetStep = Extract<TraceStep, { layer: 'pod-network' }>;
type ContainerStep = Extract<TraceStep, { layer: 'container' }>;

/** The packet, on node `fromNode`, to pod `dst` at `ip` (no NAT: the pod's own address). */
export function podNetworkStep(ctx: TraceContext, fromNode: string, dst: Pod, ip: IP): NetStep {
  const cni = ctx.cluster.config.cni;
  const toNode = dst.spec.nodeName;
  const same = fromNode === toNode;
  const mode: NetStep['mode'] = cni === 'azure' ? 'vnet' : same ? (cni === 'calico' ? 'routed' : 'bridge') : cni === 'flannel' ? 'overlay' : 'routed';
  const base = { layer: 'pod-network' as const, from: fromNode, to: toNode, path: same ? 'same-node' as const : 'cross-node' as const, mode, nat: false, details: [] as string[], warning: null, hint: null };
  const fail = (summary: string, hint: string, details: string[] = []): NetStep => ({ ...base, ok: false, summary, hint, details });
  const pod = podRef(dst);

  if (dst.spec.hostNetwork) {
    return { ...base, ok: true, summary: `${pod} uses the host network of ${toNode}: ${ip} is the node's address${same ? '' : `, reached over the node network from ${fromNode}`}` };
  }
  const sharing = ctx.podsByIP.get(ip) ?? [];
  if (sharing.length > 1) {
    const who = sharing.map((p) => `${podRef(p)} on ${p.spec.nodeName}`).join(', ');
    const local = sharing.find((p) => p.spec.nodeName === fromNode && p !== dst);
    return fail(
      `${ip} is the address of ${sharing.length} pods (${who})${local ? `: node ${fromNode} delivers it to its own ${podRef(local)}` : ': the packet reaches whichever pod the routes pick'}`,
      'every pod needs its own IP (rule 1): give each node its own podCIDR, then recreate the pods with clashing addresses',
    );
  }
  if (cni === 'azure') {
    if (!cidrContains(ctx.cluster.config.podSubnet, ip)) {
      return fail(`${ip} is outside the VNet's pod subnet ${ctx.cluster.config.podSubnet.text}: the VNet has no route for it`,
        'pods must take addresses from the pod subnet; check the CNI configuration of the node');
    }
    return { ...base, ok: true, summary: same ? `same node ${toNode}: delivered on the node, no NAT` : `${fromNode} -> ${toNode} over the VNet (pod addresses are VNet addresses), no NAT` };
  }
  const owners = ctx.cluster.nodes.filter((n) => n.podCIDRs.some((c) => cidrContains(c, ip)));
  const toCidrs = ctx.nodes.get(toNode)?.podCIDRs.map((c) => c.text).join(', ') ?? '';
  // Calico routes every address to its pod's node (its blocks, and a /32 for a borrowed one);
  // only flannel and kubenet route by podCIDR, so only there can the range lose a packet.
  if (!same && (routesByPodCIDR(cni) || owners.length > 1)) {
    if (!toCidrs) {
      return fail(`node ${toNode} has no podCIDR: no other node has a route to its pods, so ${ip} (${pod}) is unreachable from ${fromNode}`,
        `allocate podCIDRs (kube-controller-manager --allocate-node-cidrs with --cluster-cidr) or set spec.podCIDR on node ${toNode}`);
    }
    if (owners.length === 0) {
      return fail(`${ip} (${pod}) is outside the podCIDR ${toCidrs} of its node ${toNode} and of every other node: ${fromNode} has no route for it, the packet is lost`,
        `the CNI on ${toNode} allocates addresses outside the node's podCIDR: fix its IPAM range to ${toCidrs}, then recreate the pod`);
    }
    if (owners.length > 1) {
      const names = owners.map((n) => `${n.meta.name} (${n.podCIDRs.map((c) => c.text).join(', ')})`).join(', ');
      const local = owners.some((n) => n.meta.name === fromNode);
      return fail(`the podCIDRs of ${names} overlap and all contain ${ip}: ${local ? `${fromNode} takes ${ip} for one of its own pods and never sends it to ${toNode}` : 'the routes to it are ambiguous'}`,
        'give every node its own podCIDR (kube-controller-manager --allocate-node-cidrs does), then recreate the pods on the nodes that changed');
    }
    if (owners[0]!.meta.name !== toNode) {
      return fail(`${ip} (${pod}, on ${toNode}) is inside the podCIDR of ${owners[0]!.meta.name}: ${fromNode} routes it there, not to ${toNode}`,
        `the CNI on ${toNode} allocates from another node's range: fix its IPAM range to ${toCidrs}, then recreate the pod`);
    }
  }
  // The next hop is the node's address of the packet's family (a dual-stack node has both).
  const via = ctx.nodes.get(toNode)?.internalIPs.find((a) => familyOf(a) === familyOf(ip)) ?? nodeAddress(ctx, toNode) ?? '?';
  const summary = same
    ? `same node ${toNode}: ${mode === 'bridge' ? 'across the cni0 bridge, veth to veth' : `a /32 route to the pod's veth (${cni}: no bridge)`}, no NAT`
    : cni === 'flannel'
      ? `${fromNode} -> ${toNode} over the VXLAN overlay (flannel.1 to ${via}), no NAT`
      : `${fromNode} -> ${toNode}, routed: ${cni === 'calico' ? calicoRouteTo(ctx, dst, ip) : toCidrs} via ${via} (${cni === 'calico' ? 'calico, as BGP installs it' : 'kubenet node routes'}), no NAT`;
  const warning = same && routesByPodCIDR(cni) && owners.length === 0 && !dst.spec.hostNetwork
    ? `${ip} is outside the podCIDR ${toCidrs || '(none)'} of ${toNode}: pods on other nodes cannot reach it`
    : null;
  return { ...base, ok: true, summary, warning };
}

const calicoCache = new WeakMap<object, CalicoRoutes>();

/** The route Calico installs for the address: its node's podCIDR, a block the node holds, or a /32 it borrowed. */
function calicoRouteTo(ctx: TraceContext, dst: Pod, ip: IP): string {
  const node = ctx.nodes.get(dst.spec.nodeName);
  const range = node?.podCIDRs.find((c) => cidrContains(c, ip));
  if (range) return range.text;
  let routes = calicoCache.get(ctx.cluster);
  if (!routes) calicoCache.set(ctx.cluster, routes = calicoRoutes(ctx.cluster.nodes, ctx.cluster.pods));
  if (routes.borrowed.get(dst.spec.nodeName)?.includes(ip)) return `${ip}/32 (borrowed from block ${calicoBlockOf(ip).text})`;
  return `${calicoBlockOf(ip).text} (a block of its IP pool)`;
}

/** Regular containers, then restartable init containers (sidecars), as the kubelet runs them. */
function runningContainers(pod: Pod): Container[] {
  return [...pod.spec.containers, ...pod.spec.initContainers.filter((c) => c.restartPolicy === 'Always')];
}

export function declaredPorts(pod: Pod): { container: Container; port: ContainerPort }[] {
  return runningContainers(pod).flatMap((container) => container.ports.map((port) => ({ container, port })));
}

export function portText(p: ContainerPort): string {
  return `${p.containerPort}/${p.protocol}${p.name ? ` (${p.name})` : ''}`;
}

/**
 * Whether a container of the pod declares the port. On knet's running cluster the emulated
 * pods serve their declared ports only (`declaredPortsOnly`); in Predict, containerPort is
 * informational (a port not declared is still exposed, as the Pod API says): an undeclared
 * port is delivered, and answered if the process listens, which knet cannot know.
 */
export function containerStep(pod: Pod, port: number, protocol: Protocol, declaredPortsOnly: boolean): ContainerStep {
  const ref = podRef(pod);
  const base = { layer: 'container' as const, pod: ref, port, protocol, container: null, details: [] as string[], warning: null, hint: null };
  if (pod.status.phase !== 'Running') {
    return { ...base, ok: false, summary: `${ref} is ${pod.status.phase || 'not running'}: nothing listens`, hint: `kubectl describe pod -n ${pod.meta.namespace} ${pod.meta.name} says why it does not run` };
  }
  const declared = declaredPorts(pod);
  const hit = declared.find((d) => d.port.containerPort === port && d.port.protocol === protocol);
  if (hit) {
    return { ...base, ok: true, container: hit.container.name, summary: `container ${hit.container.name} of ${ref} declares ${portText(hit.port)}` };
  }
  const list = declared.map((d) => `${d.container.name} ${portText(d.port)}`).join(', ');
  if (!declaredPortsOnly) {
    return {
      ...base, ok: true,
      summary: `no container of ${ref} declares ${port}/${protocol}${declared.length ? ` (declared: ${list})` : ''}: delivered; answered if a process listens on it`,
      warning: `whether a process of ${ref} listens on ${port}/${protocol} is unknown: containerPort is informational, and Kubernetes delivers to undeclared ports too`,
    };
  }
  if (declared.length === 0) {
    return {
      ...base, ok: true,
      summary: `no container of ${ref} declares a port: taken as listening on ${port}/${protocol}`,
      warning: `declare containerPort ${port} on the container that listens: knet's emulated pods serve declared ports only`,
    };
  }
  return {
    ...base, ok: false,
    summary: `nothing in ${ref} listens on ${port}/${protocol} (declared: ${list}): connection refused`,
    hint: `send to a declared port (a Service's targetPort must be ${declared.map((d) => d.port.name || String(d.port.containerPort)).join(' or ')}), or declare and listen on containerPort ${port}`,
  };
}
