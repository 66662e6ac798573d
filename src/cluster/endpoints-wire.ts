// The core/v1 Endpoints objects the control plane keeps, in wire form: for a Service with a
// selector, what kube-controller-manager's endpoints controller writes (built here from the
// Service's EndpointSlices of its primary IP family); for a selectorless Service, the
// Endpoints the user wrote, as written. The API serves them; `knet get ep -o yaml` prints them.
import type { EndpointSlice, Pod, Service } from '../model/types.js';
import type { Cluster } from './fill-in.js';

type Json = Record<string, unknown>;

/**
 * The Services that have an Endpoints object: every one with a selector (the controller keeps
 * one, empty or not) and the selectorless ones whose Endpoints the user wrote. ExternalName
 * Services have none.
 */
export function servicesWithEndpoints(c: Cluster): readonly Service[] {
  const written = new Set(c.endpoints.map((e) => `${e.meta.namespace}/${e.meta.name}`));
  return c.services.filter((s) => s.type !== 'ExternalName' && (s.selector !== null || written.has(`${s.meta.namespace}/${s.meta.name}`)));
}

interface Index {
  readonly slices: Map<string, EndpointSlice[]>;
  readonly pods: Map<string, Pod>;
  readonly wires: WeakMap<Service, Json>;
}

/** Per cluster: its slices by Service and its pods by ref, found once; wire forms kept per Service. */
const indexes = new WeakMap<readonly EndpointSlice[], Index>();

function indexOf(c: Cluster): Index {
  let ix = indexes.get(c.endpointSlices);
  if (ix) return ix;
  const slices = new Map<string, EndpointSlice[]>();
  for (const s of c.endpointSlices) {
    const key = `${s.meta.namespace}/${s.serviceName}`;
    const list = slices.get(key);
    if (list) list.push(s);
    else slices.set(key, [s]);
  }
  ix = { slices, pods: new Map(c.pods.map((p) => [`${p.meta.namespace}/${p.meta.name}`, p])), wires: new WeakMap() };
  indexes.set(c.endpointSlices, ix);
  return ix;
}

/**
 * A Service's Endpoints in wire form. The same cluster slices and Service give the same object
 * (by reference), so the API's store sees nothing to compare when neither moved.
 */
export function endpointsWire(c: Cluster, svc: Service): Json {
  const ix = indexOf(c);
  let w = ix.wires.get(svc);
  if (w) return w;
  const written = svc.selector === null ? c.endpoints.find((e) => e.meta.namespace === svc.meta.namespace && e.meta.name === svc.meta.name) : undefined;
  w = written?.raw ? writtenEndpoints(written.raw.value, written.meta) : controllerEndpoints(svc, ix.slices.get(`${svc.meta.namespace}/${svc.meta.name}`) ?? [], ix.pods);
  ix.wires.set(svc, w);
  return w;
}

/**
 * What the endpoints controller writes (pkg/controller/endpoint): one subset per set of
 * ports, ready pods in `addresses`, unready ones in `notReadyAddresses`, terminating pods left
 * out unless the Service publishes not-ready addresses; only the Service's primary IP family
 * (Endpoints predate dual stack); the Service's labels, plus `service.kubernetes.io/headless`.
 */
export function controllerEndpoints(svc: Service, slices: readonly EndpointSlice[], pods: ReadonlyMap<string, Pod>): Json {
  const family = svc.ipFamilies[0] === 6 ? 'IPv6' : 'IPv4';
  const subsets = new Map<string, { ports: Json[]; addresses: Json[]; notReadyAddresses: Json[] }>();
  for (const slice of slices) {
    if (slice.addressType !== family) continue;
    const ports = slice.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const key = JSON.stringify(ports);
    let subset = subsets.get(key);
    for (const e of slice.endpoints) {
      if (e.conditions.terminating && !svc.publishNotReadyAddresses) continue;
      if (!subset) subsets.set(key, (subset = { ports, addresses: [], notReadyAddresses: [] }));
      const pod = e.targetRef ? pods.get(`${e.targetRef.namespace}/${e.targetRef.name}`) : undefined;
      for (const ip of e.addresses) {
        const address: Json = { ip };
        if (e.hostname) address['hostname'] = e.hostname;
        if (e.nodeName) address['nodeName'] = e.nodeName;
        if (e.targetRef) address['targetRef'] = { kind: e.targetRef.kind, namespace: e.targetRef.namespace, name: e.targetRef.name, ...(pod?.meta.uid ? { uid: pod.meta.uid } : {}) };
        (e.conditions.ready ? subset.addresses : subset.notReadyAddresses).push(address);
      }
    }
  }
  const byIp = (a: Json, b: Json): number => (String(a['ip']) < String(b['ip']) ? -1 : String(a['ip']) > String(b['ip']) ? 1 : 0);
  const out = [...subsets.values()].map((s) => ({
    ...(s.addresses.length ? { addresses: s.addresses.sort(byIp) } : {}),
    ...(s.notReadyAddresses.length ? { notReadyAddresses: s.notReadyAddresses.sort(byIp) } : {}),
    ports: s.ports,
  }));
  const labels: Record<string, string> = { ...svc.meta.labels };
  if (svc.headless) labels['service.kubernetes.io/headless'] = '';
  const metadata: Json = { name: svc.meta.name, namespace: svc.meta.namespace };
  if (Object.keys(labels).length) metadata['labels'] = labels;
  if (svc.meta.creationTimestamp) metadata['creationTimestamp'] = svc.meta.creationTimestamp;
  return { apiVersion: 'v1', kind: 'Endpoints', metadata, ...(out.length ? { subsets: out } : {}) };
}

/** The user's Endpoints as written, with the namespace and uid the API server sets on create. */
function writtenEndpoints(value: Json, meta: { namespace: string; uid: string }): Json {
  const w = structuredClone(value);
  const m = (w['metadata'] && typeof w['metadata'] === 'object' ? w['metadata'] : (w['metadata'] = {})) as Json;
  if (!m['namespace']) m['namespace'] = meta.namespace;
  if (meta.uid && !m['uid']) m['uid'] = meta.uid;
  return w;
}
