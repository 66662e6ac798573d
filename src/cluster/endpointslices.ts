// EndpointSlices as the EndpointSlice controller writes them (k8s.io/endpointslice):
// selected pods of the namespace, ports resolved per pod (named targetPorts by name and
// protocol), pods grouped by their resolved ports, at most 100 endpoints a slice,
// ready/serving/terminating from the pod. Selectorless Services keep their own slices,
// and their legacy Endpoints are mirrored.
import { familyOf } from '../model/ip.js';
import type { Labels } from '../model/labels.js';
import type { Container, Endpoint, EndpointPort, EndpointSlice, Endpoints, Node, Pod, Service } from '../model/types.js';
import { randomSuffix } from './naming.js';
import { generatedMeta } from './workloads.js';
import type { PodIndex } from './pod-index.js';

export const MAX_ENDPOINTS_PER_SLICE = 100;
export const CONTROLLER = 'endpointslice-controller.k8s.io';
export const MIRRORING_CONTROLLER = 'endpointslicemirroring-controller.k8s.io';

/** The container port a Service port's targetPort resolves to on one pod, or null. */
export function resolveTargetPort(pod: Pod, targetPort: number | string, protocol: string): number | null {
  if (typeof targetPort === 'number') return targetPort;
  const find = (containers: readonly Container[]) => {
    for (const c of containers) {
      for (const p of c.ports) if (p.name === targetPort && p.protocol === protocol) return p.containerPort;
    }
    return null;
  };
  // Regular containers first, then restartable init containers (sidecars).
  return find(pod.spec.containers) ?? find(pod.spec.initContainers.filter((c) => c.restartPolicy === 'Always'));
}

export function buildEndpointSlices(
  services: readonly Service[],
  pods: PodIndex,
  nodes: readonly Node[],
  given: readonly EndpointSlice[],
  endpoints: readonly Endpoints[],
): EndpointSlice[] {
  const out: EndpointSlice[] = [...given];
  // A dump already holds the controllers' own slices (they carry their managed-by label):
  // those are the truth. Hand-written slices of other managers live beside generated ones.
  const managedFor = (manager: string) => new Set(given.filter((s) => s.managedBy === manager).map((s) => `${s.meta.namespace}/${s.serviceName}`));
  const givenFor = managedFor(CONTROLLER);
  const mirroredFor = managedFor(MIRRORING_CONTROLLER);
  const zoneOf = new Map(nodes.map((n) => [n.meta.name, n.meta.labels['topology.kubernetes.io/zone'] ?? '']));
  for (const svc of services) {
    const key = `${svc.meta.namespace}/${svc.meta.name}`;
    if (svc.type === 'ExternalName') continue;
    if (svc.selector === null) continue; // the user (or mirroring, below) provides slices
    if (givenFor.has(key)) continue; // a dump: the real controller's slices are the truth
    out.push(...slicesForService(svc, pods.select(svc.meta.namespace, svc.selector), zoneOf));
  }
  // Mirroring: hand-written Endpoints of selectorless Services become slices.
  const svcByKey = new Map(services.map((s) => [`${s.meta.namespace}/${s.meta.name}`, s]));
  for (const ep of endpoints) {
    const key = `${ep.meta.namespace}/${ep.meta.name}`;
    const svc = svcByKey.get(key);
    if (!svc || svc.selector !== null || mirroredFor.has(key)) continue;
    if (ep.meta.labels['endpointslice.kubernetes.io/skip-mirror'] === 'true') continue;
    ep.subsets.forEach((subset, i) => {
      const eps: Endpoint[] = [
        ...subset.addresses.map((a) => mirrored(a, true)),
        ...subset.notReadyAddresses.map((a) => mirrored(a, false)),
      ];
      for (const family of [4, 6] as const) {
        const fam = eps.filter((e) => familyOf(e.addresses[0]!) === family);
        if (fam.length === 0) continue;
        // The mirroring controller copies the Endpoints' labels and makes the Endpoints the owner.
        out.push(makeSlice(svc, `${svc.meta.name}-${randomSuffix(`${key}/mirror/${i}/${family}`)}`, family, fam, subset.ports, MIRRORING_CONTROLLER, ep));
      }
    });
  }
  return out;
}

function mirrored(a: { ip: string; hostname: string; nodeName: string }, ready: boolean): Endpoint {
  return {
    addresses: [a.ip as Endpoint['addresses'][number]],
    conditions: { ready, serving: ready, terminating: false },
    hostname: a.hostname, nodeName: a.nodeName, zone: '', targetRef: null,
  };
}

export function slicesForService(svc: Service, selected: readonly Pod[], zoneOf: ReadonlyMap<string, string>): EndpointSlice[] {
  const key = `${svc.meta.namespace}/${svc.meta.name}`;
  const families = svc.ipFamilies.length > 0 ? svc.ipFamilies : ([4] as const);
  const out: EndpointSlice[] = [];
  for (const family of families) {
    // Group endpoints by their resolved port list.
    const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
    for (const pod of selected) {
      if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') continue;
      const ip = pod.status.podIPs.find((a) => familyOf(a) === family);
      if (!ip) continue;
      const ports: EndpointPort[] = [];
      for (const sp of svc.ports) {
        const port = resolveTargetPort(pod, sp.targetPort, sp.protocol);
        if (port !== null) ports.push({ name: sp.name, protocol: sp.protocol, port, appProtocol: sp.appProtocol });
      }
      const gk = ports.map((p) => `${p.name}/${p.protocol}/${p.port}`).join(',');
      let g = groups.get(gk);
      if (!g) groups.set(gk, (g = { ports, endpoints: [] }));
      const serving = pod.status.ready === true;
      const terminating = pod.meta.deletionTimestamp !== '';
      g.endpoints.push({
        addresses: [ip],
        conditions: { ready: svc.publishNotReadyAddresses || (serving && !terminating), serving, terminating },
        // The hostname is published only when the pod's subdomain names this Service.
        hostname: pod.spec.hostname && pod.spec.subdomain === svc.meta.name ? pod.spec.hostname : '',
        nodeName: pod.spec.nodeName,
        zone: zoneOf.get(pod.spec.nodeName) ?? '',
        targetRef: { kind: 'Pod', namespace: pod.meta.namespace, name: pod.meta.name },
      });
    }
    let n = 0;
    for (const g of groups.values()) {
      for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
        const name = `${svc.meta.name}-${randomSuffix(`${key}/${family}/${n++}`)}`;
        out.push(makeSlice(svc, name, family, g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE), g.ports, CONTROLLER));
      }
    }
    if (groups.size === 0) {
      // The controller keeps one empty slice for a Service that selects nothing.
      out.push(makeSlice(svc, `${svc.meta.name}-${randomSuffix(`${key}/${family}/0`)}`, family, [], [], CONTROLLER));
    }
  }
  return out;
}

function makeSlice(
  svc: Service, name: string, family: 4 | 6, endpoints: Endpoint[], ports: readonly EndpointPort[], managedBy: string,
  mirroredFrom: Endpoints | null = null,
): EndpointSlice {
  const origin = mirroredFrom ?? svc;
  const labels: Record<string, string> = {};
  // The controller copies the Service's (mirroring: the Endpoints') labels, then sets its own.
  for (const [k, v] of Object.entries(origin.meta.labels as Labels)) {
    if (k !== 'service.kubernetes.io/headless') labels[k] = v;
  }
  labels['endpointslice.kubernetes.io/managed-by'] = managedBy;
  labels['kubernetes.io/service-name'] = svc.meta.name;
  if (svc.headless && !mirroredFrom) labels['service.kubernetes.io/headless'] = '';
  return {
    kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', raw: null,
    meta: generatedMeta(name, svc.meta.namespace, labels, {
      kind: origin.kind, name: origin.meta.name, uid: origin.meta.uid, controller: true,
    }, {}),
    serviceName: svc.meta.name,
    addressType: family === 4 ? 'IPv4' : 'IPv6',
    endpoints, ports, managedBy,
  };
}
