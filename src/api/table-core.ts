// The core/v1 kinds' columns as kube-apiserver prints them: Service TYPE CLUSTER-IP EXTERNAL-IP
// PORT(S) ("80:30080/TCP"), Endpoints ("10.244.1.5:8080,... + 3 more..."), Node STATUS ROLES
// VERSION, Namespace, ConfigMap and Secret DATA, Event LAST SEEN TYPE REASON OBJECT MESSAGE,
// ReplicationController.
import {
  REPLICA_COLUMNS, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, SELECTOR_COLUMN, ageOf, arr, at, column, conditionOf,
  containerCells, formatLabels, int, listWithMore, metaOf, nameOf, rec, since, str, type Json, type Printer,
} from './table-cells.js';
import { compareText } from '../model/order.js';

/** The load balancer's IPs (or hostnames), each once, sorted. */
export function loadBalancerAddresses(status: unknown): string[] {
  const out = new Set<string>();
  for (const i of arr(at(status, 'loadBalancer', 'ingress'))) {
    const a = str(i['ip']) || str(i['hostname']);
    if (a) out.add(a);
  }
  return [...out].sort(compareText);
}

/** EXTERNAL-IP: the externalIPs, a load balancer's addresses (`<pending>` until it has them), an ExternalName's name. */
export function serviceExternalIP(svc: Json): string {
  const spec = rec(svc['spec']);
  const externalIPs = (Array.isArray(spec['externalIPs']) ? spec['externalIPs'] : []).map(str);
  switch (str(spec['type']) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc['status']);
      if (externalIPs.length) return [...lb, ...externalIPs].join(',');
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec['externalName']);
    default:
      return '<unknown>';
  }
}

/** PORT(S): `port/protocol`, or `port:nodePort/protocol` where a NodePort is allocated. */
export function servicePorts(svc: Json): string {
  const ports = arr(at(svc, 'spec', 'ports')).map((p) => {
    const proto = str(p['protocol']) || 'TCP';
    return int(p['nodePort']) > 0 ? `${int(p['port'])}:${int(p['nodePort'])}/${proto}` : `${int(p['port'])}/${proto}`;
  });
  return ports.length ? ports.join(',') : '<none>';
}

const SERVICE: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    column('Cluster-IP', 'The virtual IP the Service is reached at in the cluster.'),
    column('External-IP', 'Addresses the Service is reached at from outside the cluster.'),
    column('Port(s)', 'The Service\'s ports, with their NodePorts.'),
    AGE_COLUMN,
    column('Selector', 'The labels of the pods the Service sends traffic to.', { priority: 1 }),
  ],
  cells: (svc, now) => {
    const spec = rec(svc['spec']);
    const clusterIPs = Array.isArray(spec['clusterIPs']) ? spec['clusterIPs'].map(str) : [];
    return [nameOf(svc), str(spec['type']) || 'ClusterIP', clusterIPs[0] || '<none>', serviceExternalIP(svc), servicePorts(svc),
      ageOf(svc, now), formatLabels(spec['selector'])];
  },
};

/** ENDPOINTS: ready `ip:port` pairs (ports first, then addresses), three shown, `<none>` without subsets. */
export function endpointsText(ep: Json): string {
  const subsets = arr(ep['subsets']);
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let total = 0;
  for (const ss of subsets) {
    const ips = arr(ss['addresses']).map((a) => str(a['ip']));
    const ports = arr(ss['ports']);
    // A headless Service may have no ports: its addresses stand alone.
    const pairs = ports.length === 0 ? ips : ports.flatMap((p) => ips.map((ip) => `${ip.includes(':') ? `[${ip}]` : ip}:${int(p['port'])}`));
    total += pairs.length;
    shown.push(...pairs.slice(0, Math.max(0, 3 - shown.length)));
  }
  return listWithMore(shown, total);
}

const ENDPOINTS: Printer = {
  columns: [NAME_COLUMN, column('Endpoints', 'The ready addresses and ports behind the Service.'), AGE_COLUMN],
  cells: (ep, now) => [nameOf(ep), endpointsText(ep), ageOf(ep, now)],
};

/** ROLES: from `node-role.kubernetes.io/<role>` labels and the old `kubernetes.io/role=<role>`. */
function nodeRoles(node: Json): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(rec(metaOf(node)['labels']))) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && str(v)) roles.add(str(v));
  }
  return roles.size ? [...roles].sort(compareText).join(',') : '<none>';
}

function nodeAddress(node: Json, type: string): string {
  return str(arr(at(node, 'status', 'addresses')).find((a) => a['type'] === type)?.['address']) || '<none>';
}

function nodeStatus(node: Json): string {
  const ready = conditionOf(node, 'Ready');
  const status = [ready ? (ready['status'] === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (at(node, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

const NODE: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'Whether the node is Ready, and SchedulingDisabled when cordoned.'),
    column('Roles', 'The node\'s roles, from its node-role.kubernetes.io labels.'),
    AGE_COLUMN,
    column('Version', 'The kubelet\'s version.'),
    column('Internal-IP', 'The node\'s first InternalIP address.', { priority: 1 }),
    column('External-IP', 'The node\'s first ExternalIP address.', { priority: 1 }),
    column('OS-Image', 'The operating system the node reports.', { priority: 1 }),
    column('Kernel-Version', 'The kernel version the node reports.', { priority: 1 }),
    column('Container-Runtime', 'The container runtime and its version.', { priority: 1 }),
  ],
  cells: (node, now) => {
    const info = rec(at(node, 'status', 'nodeInfo'));
    return [nameOf(node), nodeStatus(node), nodeRoles(node), ageOf(node, now), str(info['kubeletVersion']),
      nodeAddress(node, 'InternalIP'), nodeAddress(node, 'ExternalIP'),
      str(info['osImage']) || '<unknown>', str(info['kernelVersion']) || '<unknown>', str(info['containerRuntimeVersion']) || '<unknown>'];
  },
};

const NAMESPACE: Printer = {
  columns: [NAME_COLUMN, column('Status', 'Active, or Terminating while the namespace is deleted.'), AGE_COLUMN],
  cells: (ns, now) => [nameOf(ns), str(at(ns, 'status', 'phase')), ageOf(ns, now)],
};

const CONFIG_MAP: Printer = {
  columns: [NAME_COLUMN, column('Data', 'How many keys the ConfigMap holds (data and binaryData).', { type: 'integer' }), AGE_COLUMN],
  cells: (cm, now) => [nameOf(cm), Object.keys(rec(cm['data'])).length + Object.keys(rec(cm['binaryData'])).length, ageOf(cm, now)],
};

const SECRET: Printer = {
  columns: [NAME_COLUMN, column('Type', 'The Secret\'s type.'), column('Data', 'How many keys the Secret holds.', { type: 'integer' }), AGE_COLUMN],
  cells: (s, now) => [nameOf(s), str(s['type']) || 'Opaque', Object.keys(rec(s['data'])).length, ageOf(s, now)],
};

/** Who reported the event: `component, host`, from source or the newer reporting fields. */
function eventSource(e: Json): string {
  const component = str(at(e, 'source', 'component')) || str(e['reportingController']);
  const host = str(at(e, 'source', 'host')) || str(e['reportingInstance']);
  return host ? `${component}, ${host}` : component;
}

const EVENT: Printer = {
  columns: [
    column('Last Seen', 'How long ago the event was last seen.'),
    column('Type', 'Normal or Warning.'),
    column('Reason', 'Why the event happened, in one word.'),
    column('Object', 'The object the event is about, as kind/name.'),
    column('Subobject', 'The part of the object (a container\'s field path).', { priority: 1 }),
    column('Source', 'The component that reported the event.', { priority: 1 }),
    column('Message', 'What happened.'),
    column('First Seen', 'How long ago the event was first seen.', { priority: 1 }),
    column('Count', 'How many times the event happened.', { priority: 1 }),
    column('Name', 'The event\'s name.', { priority: 1, format: 'name' }),
  ],
  cells: (e, now) => {
    const first = str(e['firstTimestamp']) ? since(e['firstTimestamp'], now) : since(e['eventTime'], now);
    let last = str(e['lastTimestamp']) ? since(e['lastTimestamp'], now) : first;
    let count = int(e['count']);
    const series = e['series'];
    if (series && typeof series === 'object') {
      last = since(rec(series)['lastObservedTime'], now);
      count = int(rec(series)['count']);
    } else if (count === 0) {
      count = 1; // a singleton event of the events.k8s.io API carries no count
    }
    const involved = rec(e['involvedObject']);
    const kind = str(involved['kind']).toLowerCase();
    const target = str(involved['name']) ? `${kind}/${str(involved['name'])}` : kind;
    return [last, str(e['type']), str(e['reason']), target, str(involved['fieldPath']), eventSource(e), str(e['message']).trim(), first, count, nameOf(e)];
  },
};

const REPLICATION_CONTROLLER: Printer = {
  columns: REPLICA_COLUMNS,
  cells: (rc, now) => {
    const spec = rec(rc['spec']);
    const status = rec(rc['status']);
    return [nameOf(rc), spec['replicas'] === undefined ? 1 : int(spec['replicas']), int(status['replicas']), int(status['readyReplicas']), ageOf(rc, now),
      ...containerCells(spec['template']), formatLabels(spec['selector'])];
  },
};

export const CORE_PRINTERS: Readonly<Record<string, Printer>> = {
  Service: SERVICE,
  Endpoints: ENDPOINTS,
  Node: NODE,
  Namespace: NAMESPACE,
  ConfigMap: CONFIG_MAP,
  Secret: SECRET,
  Event: EVENT,
  ReplicationController: REPLICATION_CONTROLLER,
};
