// networking.k8s.io and discovery.k8s.io columns as kube-apiserver prints them: Ingress CLASS
// HOSTS ADDRESS PORTS ("80, 443" with TLS), IngressClass CONTROLLER PARAMETERS, NetworkPolicy
// POD-SELECTOR, EndpointSlice ADDRESSTYPE PORTS ENDPOINTS.
import { loadBalancerAddresses } from './table-core.js';
import {
  AGE_COLUMN, NAME_COLUMN, ageOf, arr, at, column, formatLabelSelector, int, listWithMore, nameOf, rec, str, type Json, type Printer,
} from './table-cells.js';

/** HOSTS: the rules' hosts, three shown then "+ N more..." counted over all rules; `*` when none names a host. */
function ingressHosts(ing: Json): string {
  const rules = arr(at(ing, 'spec', 'rules'));
  const hosts: string[] = [];
  let more = false;
  for (const r of rules) {
    if (hosts.length === 3) more = true;
    if (!more && str(r['host'])) hosts.push(str(r['host']));
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
}

const INGRESS: Printer = {
  columns: [
    NAME_COLUMN,
    column('Class', 'The IngressClass that serves the Ingress.'),
    column('Hosts', 'The hosts the rules match.'),
    column('Address', 'Where the ingress controller\'s load balancer is reached.'),
    column('Ports', 'The ports the Ingress opens: 80, and 443 with TLS.'),
    AGE_COLUMN,
  ],
  cells: (ing, now) => [nameOf(ing), str(at(ing, 'spec', 'ingressClassName')) || '<none>', ingressHosts(ing),
    loadBalancerAddresses(ing['status']).join(','), arr(at(ing, 'spec', 'tls')).length ? '80, 443' : '80', ageOf(ing, now)],
};

/** PARAMETERS: `Kind[.apiGroup]/name`. */
function ingressClassParameters(ic: Json): string {
  const p = at(ic, 'spec', 'parameters');
  if (!p || typeof p !== 'object') return '<none>';
  const params = rec(p);
  const group = str(params['apiGroup']);
  return `${str(params['kind'])}${group ? `.${group}` : ''}/${str(params['name'])}`;
}

const INGRESS_CLASS: Printer = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'The controller that implements the class.'),
    column('Parameters', 'The object that configures the controller.'),
    AGE_COLUMN,
  ],
  cells: (ic, now) => [nameOf(ic), str(at(ic, 'spec', 'controller')), ingressClassParameters(ic), ageOf(ic, now)],
};

const NETWORK_POLICY: Printer = {
  columns: [NAME_COLUMN, column('Pod-Selector', 'The pods the policy applies to.'), AGE_COLUMN],
  cells: (np, now) => [nameOf(np), formatLabelSelector(at(np, 'spec', 'podSelector')), ageOf(np, now)],
};

/** Three values then "+ N more...", or `<unset>` when there are none. */
function listOrUnset(values: readonly string[]): string {
  return values.length ? listWithMore(values, values.length) : '<unset>';
}

const ENDPOINT_SLICE: Printer = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'IPv4, IPv6 or FQDN.'),
    column('Ports', 'The slice\'s ports (a name when the number is unknown, * when neither).'),
    column('Endpoints', 'The endpoints\' addresses, ready or not.'),
    AGE_COLUMN,
  ],
  cells: (s, now) => {
    const ports = arr(s['ports']).map((p) => (typeof p['port'] === 'number' ? String(int(p['port'])) : str(p['name']) || '*'));
    const addresses = arr(s['endpoints']).flatMap((e) => (Array.isArray(e['addresses']) ? e['addresses'].map(str) : []));
    return [nameOf(s), str(s['addressType']), listOrUnset(ports), listOrUnset(addresses), ageOf(s, now)];
  },
};

export const NETWORKING_PRINTERS: Readonly<Record<string, Printer>> = {
  'networking.k8s.io/Ingress': INGRESS,
  'networking.k8s.io/IngressClass': INGRESS_CLASS,
  'networking.k8s.io/NetworkPolicy': NETWORK_POLICY,
  'discovery.k8s.io/EndpointSlice': ENDPOINT_SLICE,
};
