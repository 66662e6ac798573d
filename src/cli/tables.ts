// kubectl's table columns for every kind knet prints, and the column layout
// (left-aligned, three spaces between columns, headers in capitals).
import type { Cluster } from '../cluster/fill-in.js';
import type { AnyObject } from '../cluster/wire.js';
import { formatSelector, selectorFrom } from '../model/labels.js';
import { certManagerColumns } from './tables-cert-manager.js';
import { kindWithGroup } from '../api/registry.js';
import type { EventWire } from '../model/events.js';
import type {
  EndpointSlice, Ingress, IngressClass, NetworkPolicy, Node, Pod, Secret, Service, Workload, ConfigMap,
} from '../model/types.js';
import { compareText } from '../model/order.js';

export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface TableOptions {
  readonly wide: boolean;
  readonly showNamespace: boolean;
  readonly showLabels: boolean;
  readonly showKind: boolean; // `kubectl get all` prefixes names with kind/
}

export function age(creationTimestamp: string, now: number): string {
  if (!creationTimestamp) return '<unknown>';
  const t = Date.parse(creationTimestamp);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  return d < 365 * 2 ? `${d}d` : `${Math.floor(d / 365)}y`;
}

export function renderTable(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(t.headers), ...t.rows.map(line)].join('\n');
}

function list(values: readonly string[], none = '<none>'): string {
  return values.length ? values.join(',') : none;
}

function moreThan(values: readonly string[], max: number): string {
  if (values.length === 0) return '<none>';
  if (values.length <= max) return values.join(',');
  return `${values.slice(0, max).join(',')} + ${values.length - max} more...`;
}

function labelsText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => compareText(a, b));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

export function servicePorts(s: Service): string {
  if (s.ports.length === 0) return '<none>';
  return s.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}`).join(',');
}

export function externalIP(s: Service): string {
  if (s.type === 'ExternalName') return s.externalName;
  const ips = [...s.loadBalancerIngress, ...s.externalIPs];
  if (s.type === 'LoadBalancer' && s.loadBalancerIngress.length === 0) return '<pending>';
  return list(ips);
}

/** Ready endpoint addresses of a Service as `kubectl get endpoints` shows them. */
export function readyEndpoints(c: Cluster, s: Service): string[] {
  const out: string[] = [];
  for (const slice of c.endpointSlices) {
    if (slice.meta.namespace !== s.meta.namespace || slice.serviceName !== s.meta.name) continue;
    // kubectl walks ports first, then addresses.
    const addrs = slice.endpoints.filter((e) => e.conditions.ready).flatMap((e) => e.addresses);
    if (slice.ports.length === 0) out.push(...addrs);
    for (const p of slice.ports) for (const a of addrs) out.push(`${a.includes(':') ? `[${a}]` : a}:${p.port}`);
  }
  return out;
}

function podReady(p: Pod): string {
  const n = p.spec.containers.length;
  return `${p.status.ready ? n : 0}/${n}`;
}

function podStatus(p: Pod): string {
  if (p.meta.deletionTimestamp) return 'Terminating';
  if (p.status.phase === 'Pending' && p.spec.nodeName) return 'ContainerCreating';
  // kubectl shows a finished pod by its container's reason: Completed (exit 0), Error.
  if (p.status.phase === 'Succeeded') return 'Completed';
  if (p.status.phase === 'Failed') return 'Error';
  return p.status.phase || 'Pending';
}

function workloadPods(c: Cluster, w: Workload): Pod[] {
  return c.podIndex.inNamespace(w.meta.namespace).filter((p) =>
    p.meta.ownerReferences.some((o) => o.name === w.meta.name && o.kind === w.kind) ||
    (w.kind === 'Deployment' && c.workloads.some((rs) => rs.kind === 'ReplicaSet' && rs.meta.namespace === w.meta.namespace &&
      rs.meta.ownerReferences.some((o) => o.kind === 'Deployment' && o.name === w.meta.name) &&
      p.meta.ownerReferences.some((o) => o.kind === 'ReplicaSet' && o.name === rs.meta.name))));
}

/** The wide columns of the workload kinds: CONTAINERS, IMAGES and (but for StatefulSets) SELECTOR. */
function workloadWide(withSelector: boolean): Pick<Columns, 'wide' | 'wideRow'> {
  return {
    wide: ['CONTAINERS', 'IMAGES', ...(withSelector ? ['SELECTOR'] : [])],
    wideRow: (o) => {
      const w = o as Workload;
      const cs = w.template.spec.containers;
      return [list(cs.map((c) => c.name)), list(cs.map((c) => c.image)), ...(withSelector ? [workloadSelector(w)] : [])];
    },
  };
}

/** metav1.FormatLabelSelector; a Job's is the one its controller generates from its uid. */
function workloadSelector(w: Workload): string {
  if (w.kind === 'Job' && w.selector.key === '') return `batch.kubernetes.io/controller-uid=${w.meta.uid}`;
  // The Deployment controller adds pod-template-hash to the selector of each ReplicaSet it makes.
  const hash = w.template.labels['pod-template-hash'];
  if (w.kind === 'ReplicaSet' && hash && !w.selector.requirements.some((r) => r.key === 'pod-template-hash')) {
    return formatSelector(selectorFrom({ 'pod-template-hash': hash }, w.selector.requirements));
  }
  return w.selector.key === '' ? '<none>' : formatSelector(w.selector);
}

/** A Node's address of a type, as kubectl's node printer finds it. */
function nodeAddress(n: Node, type: 'InternalIP' | 'ExternalIP'): string {
  const addrs = (n.raw?.value['status'] as Record<string, unknown> | undefined)?.['addresses'];
  if (Array.isArray(addrs)) {
    const a = addrs.find((x) => x && typeof x === 'object' && (x as Record<string, unknown>)['type'] === type) as Record<string, unknown> | undefined;
    return typeof a?.['address'] === 'string' ? a['address'] : '<none>';
  }
  return type === 'InternalIP' ? n.internalIPs[0] ?? '<none>' : '<none>';
}

function nodeInfo(n: Node, key: string): string {
  const info = ((n.raw?.value['status'] as Record<string, unknown> | undefined)?.['nodeInfo'] ?? {}) as Record<string, unknown>;
  return typeof info[key] === 'string' && info[key] ? info[key] : '<unknown>';
}

export interface Columns {
  readonly headers: readonly string[];
  readonly wide?: readonly string[];
  readonly row: (o: AnyObject, c: Cluster, now: number) => string[];
  readonly wideRow?: (o: AnyObject, c: Cluster) => string[];
}

const COLUMNS: Record<string, Columns> = {
  Pod: {
    headers: ['READY', 'STATUS', 'RESTARTS', 'AGE'],
    wide: ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
    row: (o, _c, now) => { const p = o as Pod; return [podReady(p), podStatus(p), String(p.status.restarts ?? 0), age(p.meta.creationTimestamp, now)]; },
    wideRow: (o) => { const p = o as Pod; return [p.status.podIPs[0] ?? '<none>', p.spec.nodeName || '<none>', '<none>', '<none>']; },
  },
  Service: {
    headers: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wide: ['SELECTOR'],
    row: (o, _c, now) => {
      const s = o as Service;
      const cip = s.type === 'ExternalName' ? '<none>' : s.headless ? 'None' : list(s.clusterIPs);
      return [s.type, cip, externalIP(s), servicePorts(s), age(s.meta.creationTimestamp, now)];
    },
    wideRow: (o) => { const s = o as Service; return [s.selector ? labelsText(s.selector) : '<none>']; },
  },
  Endpoints: {
    headers: ['ENDPOINTS', 'AGE'],
    row: (o, c, now) => { const s = o as Service; return [moreThan(readyEndpoints(c, s), 3), age(s.meta.creationTimestamp, now)]; },
  },
  EndpointSlice: {
    headers: ['ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
    row: (o, _c, now) => {
      const s = o as EndpointSlice;
      const ports = s.ports.length ? s.ports.map((p) => String(p.port)).join(',') : '<unset>';
      const addrs = s.endpoints.flatMap((e) => e.addresses);
      return [s.addressType, ports, addrs.length ? moreThan(addrs, 3) : '<unset>', age(s.meta.creationTimestamp, now)];
    },
  },
  Ingress: {
    headers: ['CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'],
    row: (o, _c, now) => {
      const i = o as Ingress;
      const hosts = i.rules.map((r) => r.host || '*');
      return [i.ingressClassName || i.meta.annotations['kubernetes.io/ingress.class'] || '<none>', moreThan(hosts.length ? hosts : ['*'], 4),
        i.loadBalancerIngress.join(','), i.tls.length ? '80, 443' : '80', age(i.meta.creationTimestamp, now)];
    },
  },
  Event: {
    headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    row: (o, _c, now) => {
      const e = o.raw!.value as unknown as EventWire;
      return [age(e.lastTimestamp, now), e.type, e.reason, `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`, e.message];
    },
  },
  IngressClass: {
    headers: ['CONTROLLER', 'PARAMETERS', 'AGE'],
    row: (o, _c, now) => { const i = o as IngressClass; return [i.controller, '<none>', age(i.meta.creationTimestamp, now)]; },
  },
  NetworkPolicy: {
    headers: ['POD-SELECTOR', 'AGE'],
    row: (o, _c, now) => { const p = o as NetworkPolicy; return [p.podSelector.key === '' ? '<none>' : formatSelector(p.podSelector), age(p.meta.creationTimestamp, now)]; },
  },
  Node: {
    headers: ['STATUS', 'ROLES', 'AGE', 'VERSION'],
    wide: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    row: (o, _c, now) => {
      const n = o as Node;
      const roles = Object.keys(n.meta.labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24));
      const info = ((n.raw?.value['status'] as Record<string, unknown> | undefined)?.['nodeInfo'] ?? {}) as Record<string, unknown>;
      return [n.unschedulable ? 'Ready,SchedulingDisabled' : 'Ready', list(roles), age(n.meta.creationTimestamp, now),
        typeof info['kubeletVersion'] === 'string' ? info['kubeletVersion'] : 'knet'];
    },
    wideRow: (o) => {
      const n = o as Node;
      return [nodeAddress(n, 'InternalIP'), nodeAddress(n, 'ExternalIP'), nodeInfo(n, 'osImage'), nodeInfo(n, 'kernelVersion'), nodeInfo(n, 'containerRuntimeVersion')];
    },
  },
  Namespace: {
    headers: ['STATUS', 'AGE'],
    row: (o, _c, now) => ['Active', age(o.meta.creationTimestamp, now)],
  },
  Deployment: {
    ...workloadWide(true),
    headers: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    row: (o, c, now) => {
      const w = o as Workload;
      const pods = workloadPods(c, w);
      const ready = pods.filter((p) => p.status.ready).length;
      return [`${ready}/${w.replicas}`, String(pods.length), String(ready), age(w.meta.creationTimestamp, now)];
    },
  },
  ReplicaSet: {
    ...workloadWide(true),
    headers: ['DESIRED', 'CURRENT', 'READY', 'AGE'],
    row: (o, c, now) => {
      const w = o as Workload;
      const pods = workloadPods(c, w);
      return [String(w.replicas), String(pods.length), String(pods.filter((p) => p.status.ready).length), age(w.meta.creationTimestamp, now)];
    },
  },
  StatefulSet: {
    ...workloadWide(false),
    headers: ['READY', 'AGE'],
    row: (o, c, now) => {
      const w = o as Workload;
      return [`${workloadPods(c, w).filter((p) => p.status.ready).length}/${w.replicas}`, age(w.meta.creationTimestamp, now)];
    },
  },
  DaemonSet: {
    ...workloadWide(true),
    headers: ['DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    row: (o, c, now) => {
      const w = o as Workload;
      const pods = workloadPods(c, w);
      const ready = String(pods.filter((p) => p.status.ready).length);
      return [String(pods.length), String(pods.length), ready, String(pods.length), ready, labelsText(w.template.spec.nodeSelector), age(w.meta.creationTimestamp, now)];
    },
  },
  Job: {
    ...workloadWide(true),
    headers: ['STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    row: (o, _c, now) => { const w = o as Workload; return ['Running', `0/${w.replicas}`, '<unknown>', age(w.meta.creationTimestamp, now)]; },
  },
  ConfigMap: {
    headers: ['DATA', 'AGE'],
    row: (o, _c, now) => { const m = o as ConfigMap; return [String(Object.keys(m.data).length), age(m.meta.creationTimestamp, now)]; },
  },
  Secret: {
    headers: ['TYPE', 'DATA', 'AGE'],
    row: (o, _c, now) => { const s = o as Secret; return [s.type, String(Object.keys(s.data).length), age(s.meta.creationTimestamp, now)]; },
  },
  ...certManagerColumns(age),
};

// kubectl prints a ReplicationController as a ReplicaSet: DESIRED, CURRENT, READY, AGE.
COLUMNS['ReplicationController'] = COLUMNS['ReplicaSet']!;

const GENERIC: Columns = { headers: ['AGE'], row: (o, _c, now) => [age(o.meta.creationTimestamp, now)] };

export function buildTable(kind: string, plural: string, objects: readonly AnyObject[], c: Cluster, opts: TableOptions, now: number): Table {
  const cols = COLUMNS[kind] ?? GENERIC;
  const headers = [
    ...(opts.showNamespace ? ['NAMESPACE'] : []),
    'NAME',
    ...cols.headers,
    ...(opts.wide && cols.wide ? cols.wide : []),
    ...(opts.showLabels ? ['LABELS'] : []),
  ];
  const rows = objects.map((o) => [
    ...(opts.showNamespace ? [o.meta.namespace] : []),
    opts.showKind ? `${kindWithGroup(kind)}/${o.meta.name}` : o.meta.name,
    ...cols.row(o, c, now),
    ...(opts.wide && cols.wideRow ? cols.wideRow(o, c) : []),
    ...(opts.showLabels ? [labelsText(o.meta.labels)] : []),
  ]);
  return { headers, rows };
}
