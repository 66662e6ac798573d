// Services, EndpointSlices and legacy Endpoints, validated as the API server does
// (pkg/apis/core/validation ValidateService, discovery ValidateEndpointSlice).
import { parseLegacyIP, warnService } from './api-warnings.js';
import { decodeCidr, decodeIP, decodeMeta, decodeProtocol, validateLabelMap } from './decode-common.js';
import type { Decoder } from './decoder.js';
import { familyOf, isLinkLocal, isLoopback, isMulticast, isUnspecified, parseIP, type Cidr, type IP } from './ip.js';
import { dns1035Label, dns1123Label, dns1123Subdomain, ianaSvcName, validPortNum } from './names.js';
import type { FieldPath } from './source.js';
import type {
  Endpoint, EndpointPort, EndpointSlice, Endpoints, EndpointsSubset, IPFamilyPolicy, Service, ServicePort, ServiceType,
  TrafficPolicy,
} from './types.js';

const SERVICE_TYPES: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const TRAFFIC_POLICIES: readonly TrafficPolicy[] = ['Cluster', 'Local'];
const FAMILY_POLICIES: readonly IPFamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

export function decodeService(d: Decoder): Service {
  const meta = decodeMeta(d, true, dns1035Label);
  const typeText = d.str(['spec', 'type'], 'ClusterIP');
  let type: ServiceType = 'ClusterIP';
  if (SERVICE_TYPES.includes(typeText as ServiceType)) type = typeText as ServiceType;
  else d.unsupported(['spec', 'type'], typeText, SERVICE_TYPES);

  // clusterIP / clusterIPs: "None" makes a headless Service; "" means allocate one.
  const clusterIP = d.str(['spec', 'clusterIP']);
  const clusterIPsText = d.strList(['spec', 'clusterIPs']);
  if (clusterIP && clusterIPsText.length > 0 && clusterIPsText[0] !== clusterIP) {
    d.invalid(['spec', 'clusterIPs'], clusterIPsText, 'must be consistent with spec.clusterIP: the first entry must equal clusterIP',
      'give the same first address in clusterIP and clusterIPs, or only one of them');
  }
  const ipTexts = clusterIPsText.length > 0 ? clusterIPsText : clusterIP ? [clusterIP] : [];
  const headless = ipTexts[0] === 'None';
  const clusterIPs: IP[] = [];
  if (!headless) {
    ipTexts.forEach((t, i) => {
      const path: FieldPath = clusterIPsText.length > 0 ? ['spec', 'clusterIPs', i] : ['spec', 'clusterIP'];
      const ip = parseLegacyIP(t)?.ip;
      if (!ip) d.invalid(path, t, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)', 'use an address from the service subnet, "None" for a headless Service, or leave it out');
      else clusterIPs.push(ip);
    });
    if (clusterIPs.length === 2 && familyOf(clusterIPs[0]!) === familyOf(clusterIPs[1]!)) {
      d.invalid(['spec', 'clusterIPs'], ipTexts, 'may specify no more than one IP for each IP family', 'dual stack takes one IPv4 and one IPv6 address');
    }
    if (clusterIPs.length > 2) d.invalid(['spec', 'clusterIPs'], ipTexts, 'may only hold up to 2 values');
  }
  if (headless && (type === 'NodePort' || type === 'LoadBalancer')) {
    d.invalid(['spec', 'clusterIP'], 'None', `may not be set to 'None' for ${type} services`,
      'a headless Service has no virtual IP to expose; remove clusterIP: None or use type ClusterIP');
  }

  const ipFamilies: (4 | 6)[] = [];
  d.strList(['spec', 'ipFamilies']).forEach((f, i) => {
    if (f === 'IPv4') ipFamilies.push(4);
    else if (f === 'IPv6') ipFamilies.push(6);
    else d.unsupported(['spec', 'ipFamilies', i], f, ['IPv4', 'IPv6']);
  });
  // The API server's default (initIPFamilyFields): SingleStack, except that a headless
  // Service without a selector requires both families, since its endpoints can be of either.
  const sel = d.get(['spec', 'selector']);
  const selectorless = !sel || typeof sel !== 'object' || Object.keys(sel).length === 0;
  const familyPolicyText = d.str(['spec', 'ipFamilyPolicy'],
    ipFamilies.length > 1 || clusterIPs.length > 1 || (headless && selectorless) ? 'RequireDualStack' : 'SingleStack');
  let ipFamilyPolicy: IPFamilyPolicy = 'SingleStack';
  if (FAMILY_POLICIES.includes(familyPolicyText as IPFamilyPolicy)) ipFamilyPolicy = familyPolicyText as IPFamilyPolicy;
  else d.unsupported(['spec', 'ipFamilyPolicy'], familyPolicyText, FAMILY_POLICIES);

  const ports = decodeServicePorts(d, type, headless);

  const selectorGiven = d.has(['spec', 'selector']);
  const selector = selectorGiven ? d.strMap(['spec', 'selector']) : null;
  if (selector) validateLabelMap(d, ['spec', 'selector'], selector);

  const externalName = d.str(['spec', 'externalName']);
  if (type === 'ExternalName') {
    if (!externalName) d.required(['spec', 'externalName'], 'an ExternalName Service needs the DNS name it aliases, e.g. db.example.com');
    else {
      const name = externalName.endsWith('.') ? externalName.slice(0, -1) : externalName;
      const errs = dns1123Subdomain(name);
      for (const e of errs) d.invalid(['spec', 'externalName'], externalName, e, 'externalName is a DNS name, not a URL or IP address');
      // The API server checks the whole name (253), not its labels; DNS cannot carry a label over 63.
      const long = name.split('.').find((l) => l.length > 63);
      if (errs.length === 0 && long) {
        d.report(['spec', 'externalName'], 'dns-label-too-long',
          `label "${long.slice(0, 20)}..." is ${long.length} characters: the API server accepts it, but no DNS message can carry a label over 63, so the Service's name answers SERVFAIL`,
          'use a name whose labels (between the dots) are at most 63 characters', 'warning');
      }
    }
    if (clusterIP && !headless) {
      d.report(['spec', 'clusterIP'], 'forbidden', "Forbidden: may not be set for ExternalName services", 'remove clusterIP');
    }
  }

  const externalIPs: IP[] = [];
  d.strList(['spec', 'externalIPs']).forEach((t, i) => {
    const ip = decodeLegacyIP(d, ['spec', 'externalIPs', i]);
    if (ip && (isUnspecified(ip) || isLoopback(ip) || isLinkLocal(ip) || isMulticast(ip))) {
      d.invalid(['spec', 'externalIPs', i], t, 'may not be unspecified, loopback, link-local or multicast');
    }
    if (ip) externalIPs.push(ip);
  });

  const etpText = d.str(['spec', 'externalTrafficPolicy']);
  let externalTrafficPolicy: TrafficPolicy = 'Cluster';
  if (etpText) {
    if (TRAFFIC_POLICIES.includes(etpText as TrafficPolicy)) externalTrafficPolicy = etpText as TrafficPolicy;
    else d.unsupported(['spec', 'externalTrafficPolicy'], etpText, TRAFFIC_POLICIES);
    if (type !== 'NodePort' && type !== 'LoadBalancer' && externalIPs.length === 0) {
      d.invalid(['spec', 'externalTrafficPolicy'], etpText, "may only be set for externally-accessible services",
        'externalTrafficPolicy applies to NodePort and LoadBalancer Services (or externalIPs); remove it');
    }
  }
  const itpText = d.str(['spec', 'internalTrafficPolicy'], 'Cluster');
  let internalTrafficPolicy: TrafficPolicy = 'Cluster';
  if (TRAFFIC_POLICIES.includes(itpText as TrafficPolicy)) internalTrafficPolicy = itpText as TrafficPolicy;
  else d.unsupported(['spec', 'internalTrafficPolicy'], itpText, TRAFFIC_POLICIES);

  const healthCheckNodePort = decodeHealthCheckNodePort(d, type, externalTrafficPolicy);
  const affinityText = d.str(['spec', 'sessionAffinity'], 'None');
  let sessionAffinity: 'None' | 'ClientIP' = 'None';
  if (affinityText === 'None' || affinityText === 'ClientIP') sessionAffinity = affinityText;
  else d.unsupported(['spec', 'sessionAffinity'], affinityText, ['ClientIP', 'None']);
  // ValidateService: the config belongs to ClientIP affinity (whose timeout defaults to 10800).
  if (sessionAffinity === 'None' && d.has(['spec', 'sessionAffinityConfig'])) {
    d.report(['spec', 'sessionAffinityConfig'], 'forbidden', 'Forbidden: must not be set when session affinity is None',
      'add sessionAffinity: ClientIP, or remove sessionAffinityConfig');
  }
  const timeoutPath: FieldPath = ['spec', 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds'];
  const timeout = d.int(timeoutPath) ?? 10800;
  if (timeout < 1 || timeout > 86400) {
    d.invalid(timeoutPath, timeout, 'must be greater than 0 and less than 86400', 'the default is 10800 (3 hours)');
  }

  const lbIngress: IP[] = [];
  const nIng = d.len(['status', 'loadBalancer', 'ingress']);
  for (let i = 0; i < nIng; i++) {
    const ip = decodeIP(d, ['status', 'loadBalancer', 'ingress', i, 'ip']);
    if (ip) lbIngress.push(ip);
  }
  const sourceRanges: Cidr[] = [];
  d.strList(['spec', 'loadBalancerSourceRanges']).forEach((_, i) => {
    const c = decodeCidr(d, ['spec', 'loadBalancerSourceRanges', i]);
    if (c) sourceRanges.push(c);
  });

  warnService(d, { type, headless, sessionAffinity });
  return {
    kind: 'Service', apiVersion: d.str(['apiVersion']), meta, raw: d.raw,
    type, selector, headless, clusterIPs, ipFamilies, ipFamilyPolicy, ports,
    externalName, externalIPs,
    loadBalancerIP: decodeLegacyIP(d, ['spec', 'loadBalancerIP']) ?? '',
    loadBalancerSourceRanges: sourceRanges,
    loadBalancerIngress: lbIngress,
    externalTrafficPolicy, internalTrafficPolicy, healthCheckNodePort,
    sessionAffinity, sessionAffinityTimeout: timeout,
    publishNotReadyAddresses: d.bool(['spec', 'publishNotReadyAddresses']) ?? false,
  };
}

/** A Service's IP fields are legacy fields: the API server reads them as ParseIPSloppy does. */
function decodeLegacyIP(d: Decoder, path: FieldPath): IP | undefined {
  const t = d.str(path);
  if (!t) return undefined;
  const ip = parseLegacyIP(t)?.ip;
  if (!ip) d.invalid(path, t, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  return ip;
}

/**
 * validateServiceExternalTrafficPolicy: kube-proxy answers health checks only for
 * LoadBalancer Services with externalTrafficPolicy Local; anywhere else the field is refused.
 */
function decodeHealthCheckNodePort(d: Decoder, type: ServiceType, etp: TrafficPolicy): number {
  const path: FieldPath = ['spec', 'healthCheckNodePort'];
  const port = d.int(path) ?? 0;
  if (port === 0) return 0;
  if (type !== 'LoadBalancer' || etp !== 'Local') {
    d.invalid(path, port, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
      'remove healthCheckNodePort: the API server allocates one for a LoadBalancer Service with externalTrafficPolicy: Local');
    return 0;
  }
  for (const e of validPortNum(port)) d.invalid(path, port, e);
  return port;
}

function decodeServicePorts(d: Decoder, type: ServiceType, headless: boolean): ServicePort[] {
  const n = d.len(['spec', 'ports']);
  if (n === 0 && type !== 'ExternalName' && !headless) {
    d.required(['spec', 'ports'], 'a Service needs at least one port, e.g. - port: 80, targetPort: 8080');
  }
  const ports: ServicePort[] = [];
  const names = new Set<string>();
  const keys = new Set<string>();
  for (let i = 0; i < n; i++) {
    const p: FieldPath = ['spec', 'ports', i];
    const name = d.str([...p, 'name']);
    if (n > 1 && !name) {
      d.required([...p, 'name'], 'when a Service has more than one port, every port needs a name (e.g. http, https, metrics)');
    }
    if (name) {
      for (const e of dns1123Label(name)) d.invalid([...p, 'name'], name, e);
      if (names.has(name)) d.duplicate([...p, 'name'], name, 'port names must be unique within a Service');
      names.add(name);
    }
    const port = d.int([...p, 'port']);
    if (port === undefined && !d.has([...p, 'port'])) d.required([...p, 'port'], 'the port the Service listens on, e.g. 80');
    if (port !== undefined) for (const e of validPortNum(port)) d.invalid([...p, 'port'], port, e);
    const protocol = decodeProtocol(d, [...p, 'protocol']);
    let targetPort = d.intOrString([...p, 'targetPort']);
    // SetDefaults_Service turns targetPort 0 and "" into port before validation runs.
    if (targetPort === 0 || targetPort === '') targetPort = undefined;
    if (typeof targetPort === 'number') {
      for (const e of validPortNum(targetPort)) d.invalid([...p, 'targetPort'], targetPort, e);
    } else if (typeof targetPort === 'string') {
      const errs = ianaSvcName(targetPort);
      const hint = /^\d+$/.test(targetPort)
        ? `a quoted number is read as a port name; write targetPort: ${targetPort} without quotes`
        : 'name a containerPort of the selected pods (at most 15 lowercase letters, digits and hyphens), or give the number';
      for (const e of errs) d.invalid([...p, 'targetPort'], targetPort, e, hint);
    }
    if (targetPort === undefined) targetPort = port ?? 0;
    const nodePort = d.int([...p, 'nodePort']) ?? 0;
    if (nodePort && (type === 'ClusterIP' || type === 'ExternalName')) {
      d.report([...p, 'nodePort'], 'forbidden', `Forbidden: may not be used when \`type\` is '${type}'`,
        'set type: NodePort (or LoadBalancer), or remove nodePort');
    }
    const key = `${port}/${protocol}`;
    if (port !== undefined && keys.has(key)) {
      d.duplicate([...p], `${port}/${protocol}`, 'two ports of one Service may not share port and protocol');
    }
    keys.add(key);
    ports.push({
      name, protocol, port: port ?? 0, targetPort, nodePort,
      appProtocol: d.str([...p, 'appProtocol']),
    });
  }
  return ports;
}

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;

export function decodeEndpointSlice(d: Decoder): EndpointSlice {
  const meta = decodeMeta(d, true);
  const at = d.str(['addressType']);
  let addressType: EndpointSlice['addressType'] = 'IPv4';
  if (!at) d.required(['addressType'], 'IPv4, IPv6 or FQDN');
  else if ((ADDRESS_TYPES as readonly string[]).includes(at)) addressType = at as EndpointSlice['addressType'];
  else d.unsupported(['addressType'], at, ADDRESS_TYPES);

  const endpoints: Endpoint[] = [];
  const n = d.len(['endpoints']);
  if (n > 1000) d.report(['endpoints'], 'too-many', `Too many: ${n}: must have at most 1000 items`);
  for (let i = 0; i < n; i++) {
    const p: FieldPath = ['endpoints', i];
    const texts = d.strList([...p, 'addresses']);
    if (texts.length === 0) d.required([...p, 'addresses'], 'each endpoint lists exactly one address');
    if (texts.length > 100) d.report([...p, 'addresses'], 'too-many', `Too many: ${texts.length}: must have at most 100 items`);
    const addresses: IP[] = [];
    texts.forEach((t, j) => {
      if (addressType === 'FQDN') return;
      const ip = parseIP(t);
      if (!ip || familyOf(ip) !== (addressType === 'IPv4' ? 4 : 6)) {
        d.invalid([...p, 'addresses', j], t, `must be a valid ${addressType} address`);
        return;
      }
      if (isUnspecified(ip) || isLoopback(ip) || isLinkLocal(ip) || isMulticast(ip)) {
        d.invalid([...p, 'addresses', j], t, 'may not be unspecified, loopback, link-local or multicast');
      }
      addresses.push(ip);
    });
    const ready = d.bool([...p, 'conditions', 'ready']);
    const serving = d.bool([...p, 'conditions', 'serving']);
    const terminating = d.bool([...p, 'conditions', 'terminating']);
    const hostname = d.str([...p, 'hostname']);
    if (hostname) for (const e of dns1123Label(hostname)) d.invalid([...p, 'hostname'], hostname, e);
    const tr = d.obj([...p, 'targetRef']);
    endpoints.push({
      addresses,
      // discovery/v1 (and kube-proxy) read nil ready and serving as true, nil terminating as false.
      conditions: { ready: ready ?? true, serving: serving ?? true, terminating: terminating ?? false },
      hostname,
      nodeName: d.str([...p, 'nodeName']),
      zone: d.str([...p, 'zone']),
      targetRef: tr
        ? { kind: d.str([...p, 'targetRef', 'kind']), namespace: d.str([...p, 'targetRef', 'namespace'], meta.namespace), name: d.str([...p, 'targetRef', 'name']) }
        : null,
    });
  }
  const ports = decodeEndpointPorts(d, ['ports']);
  return {
    kind: 'EndpointSlice', apiVersion: d.str(['apiVersion']), meta, raw: d.raw,
    serviceName: meta.labels['kubernetes.io/service-name'] ?? '',
    addressType, endpoints, ports,
    managedBy: meta.labels['endpointslice.kubernetes.io/managed-by'] ?? '',
  };
}

function decodeEndpointPorts(d: Decoder, path: FieldPath): EndpointPort[] {
  const ports: EndpointPort[] = [];
  const names = new Set<string>();
  const n = d.len(path);
  for (let i = 0; i < n; i++) {
    const p: FieldPath = [...path, i];
    const name = d.str([...p, 'name']);
    if (name) {
      for (const e of dns1123Label(name)) d.invalid([...p, 'name'], name, e);
      if (names.has(name)) d.duplicate([...p, 'name'], name);
    }
    names.add(name);
    const port = d.int([...p, 'port']);
    if (port !== undefined) for (const e of validPortNum(port)) d.invalid([...p, 'port'], port, e);
    ports.push({ name, protocol: decodeProtocol(d, [...p, 'protocol']), port: port ?? 0, appProtocol: d.str([...p, 'appProtocol']) });
  }
  return ports;
}

export function decodeEndpoints(d: Decoder): Endpoints {
  const meta = decodeMeta(d, true);
  const subsets: EndpointsSubset[] = [];
  const n = d.len(['subsets']);
  for (let i = 0; i < n; i++) {
    const read = (key: 'addresses' | 'notReadyAddresses') => {
      const out: { ip: IP; hostname: string; nodeName: string }[] = [];
      const m = d.len(['subsets', i, key]);
      for (let j = 0; j < m; j++) {
        const ip = decodeIP(d, ['subsets', i, key, j, 'ip']);
        if (ip) out.push({ ip, hostname: d.str(['subsets', i, key, j, 'hostname']), nodeName: d.str(['subsets', i, key, j, 'nodeName']) });
      }
      return out;
    };
    subsets.push({ addresses: read('addresses'), notReadyAddresses: read('notReadyAddresses'), ports: decodeEndpointPorts(d, ['subsets', i, 'ports']) });
  }
  return { kind: 'Endpoints', apiVersion: d.str(['apiVersion']), meta, raw: d.raw, subsets };
}
