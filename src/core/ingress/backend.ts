// An Ingress backend resolved as ingress-nginx resolves it: the Service of the Ingress's
// namespace, the Service port by number or name (ingress-nginx also accepts the
// targetPort), and the ready endpoints of its EndpointSlices (pod IPs: kube-proxy is
// bypassed). No Service, no such port or no ready endpoint: the upstream is empty (503).
import { parseIP, compareIPs, type IP } from '../../model/ip.js';
import type { EndpointSlice, Service, ServicePort } from '../../model/types.js';
import { compareText } from '../../model/order.js';

export interface BackendRef {
  readonly namespace: string;
  readonly service: string;
  readonly port: number | string; // as the Ingress writes it: a Service port number or name
}

export type Upstream =
  | { readonly kind: 'ready'; readonly servicePort: number; readonly endpoints: readonly string[] }
  | { readonly kind: 'unavailable'; readonly servicePort: number | null; readonly why: string };

export interface Backend {
  readonly ref: BackendRef;
  readonly upstream: Upstream;
}

export interface BackendSources {
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function compareEndpoints(a: string, b: string): number {
  const ip = (s: string) => parseIP(s.startsWith('[') ? s.slice(1, s.indexOf(']')) : s.slice(0, s.lastIndexOf(':')));
  const ia = ip(a);
  const ib = ip(b);
  if (ia && ib) return compareIPs(ia as IP, ib as IP) || compareText(a, b);
  return compareText(a, b);
}

// Services and slices by `ns/name`, built once per list: a cluster's Ingresses may name
// thousands of backends.
const serviceIndex = new WeakMap<readonly Service[], Map<string, Service>>();
const sliceIndex = new WeakMap<readonly EndpointSlice[], Map<string, EndpointSlice[]>>();

function indexed<T, V>(cache: WeakMap<readonly T[], Map<string, V>>, list: readonly T[], build: (list: readonly T[]) => Map<string, V>): Map<string, V> {
  let m = cache.get(list);
  if (!m) cache.set(list, (m = build(list)));
  return m;
}

export function resolveBackend(ref: BackendRef, src: BackendSources): Backend {
  const unavailable = (servicePort: number | null, why: string): Backend => ({ ref, upstream: { kind: 'unavailable', servicePort, why } });
  const services = indexed(serviceIndex, src.services, (l) => new Map(l.map((s) => [`${s.meta.namespace}/${s.meta.name}`, s])));
  const svc = services.get(`${ref.namespace}/${ref.service}`);
  if (!svc) return unavailable(null, `Service ${ref.namespace}/${ref.service} not found`);
  const want = String(ref.port);
  const sp = svc.ports.find((p) => String(p.port) === want || String(p.targetPort) === want || p.name === want);

  if (svc.type === 'ExternalName') {
    const port = sp ? (typeof sp.targetPort === 'number' ? sp.targetPort : sp.port) : typeof ref.port === 'number' ? ref.port : null;
    if (port === null) return unavailable(null, `ExternalName Service ${ref.namespace}/${ref.service} has no port named ${ref.port}`);
    return { ref, upstream: { kind: 'ready', servicePort: sp?.port ?? port, endpoints: [hostPort(svc.externalName, port)] } };
  }
  if (!sp) {
    const have = svc.ports.map((p) => (p.name ? `${p.name}/${p.port}` : String(p.port))).join(', ') || 'none';
    return unavailable(null, `Service ${ref.namespace}/${ref.service} has no port ${ref.port} (ports: ${have})`);
  }
  const slices = indexed(sliceIndex, src.endpointSlices, (l) => {
    const m = new Map<string, EndpointSlice[]>();
    for (const x of l) {
      const k = `${x.meta.namespace}/${x.serviceName}`;
      const list = m.get(k);
      if (list) list.push(x);
      else m.set(k, [x]);
    }
    return m;
  }).get(`${ref.namespace}/${ref.service}`) ?? [];
  const { ready, notReady } = readyEndpoints(svc, sp, slices);
  if (ready.length === 0) {
    const why = notReady > 0
      ? `Service ${ref.namespace}/${ref.service} has no ready endpoint (${notReady} not ready)`
      : `Service ${ref.namespace}/${ref.service} has no endpoint: its selector matches no running pod with port ${sp.targetPort}`;
    return unavailable(sp.port, why);
  }
  return { ref, upstream: { kind: 'ready', servicePort: sp.port, endpoints: ready } };
}

/** `ip:port` of the Service port's ready endpoints, TCP, ports matched by the Service port's name. */
function readyEndpoints(svc: Service, sp: ServicePort, slices: readonly EndpointSlice[]): { ready: string[]; notReady: number } {
  const seen = new Set<string>();
  let notReady = 0;
  for (const slice of slices) {
    if (slice.meta.namespace !== svc.meta.namespace || slice.serviceName !== svc.meta.name) continue;
    const ports: number[] = [];
    if (slice.ports.length === 0 && typeof sp.targetPort === 'number') ports.push(sp.targetPort);
    for (const ep of slice.ports) {
      if (ep.protocol !== 'TCP') continue;
      let target = sp.name === '' || sp.name === ep.name ? ep.port : 0;
      if (target === 0 && typeof sp.targetPort === 'number') target = sp.targetPort;
      if (target !== 0) ports.push(target);
    }
    for (const e of slice.endpoints) {
      if (!e.conditions.ready) {
        notReady++;
        continue;
      }
      for (const port of ports) for (const a of e.addresses) seen.add(hostPort(a, port));
    }
  }
  return { ready: [...seen].sort(compareEndpoints), notReady };
}
