// The warnings the API server returns with an object it accepts (kubectl prints each as
// `Warning: <text>` on stderr), for the fields knet reads, in the API server's words:
// pkg/api/service/warnings.go, pkg/api/pod/warnings.go (deprecated node labels,
// duplicate hostAliases), the Ingress strategy's class-annotation warning, and
// apimachinery's GetWarningsForIP/GetWarningsForCIDR for addresses in non-standard forms.
import type { Decoder } from './decoder.js';
import { parseCidr, parseIP, type IP } from './ip.js';
import ipaddr from 'ipaddr.js';
import type { FieldPath } from './source.js';

const DEPRECATED_NODE_LABELS: Readonly<Record<string, string>> = {
  'beta.kubernetes.io/arch': 'deprecated since v1.14; use "kubernetes.io/arch" instead',
  'beta.kubernetes.io/os': 'deprecated since v1.14; use "kubernetes.io/os" instead',
  'failure-domain.beta.kubernetes.io/region': 'deprecated since v1.17; use "topology.kubernetes.io/region" instead',
  'failure-domain.beta.kubernetes.io/zone': 'deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
  'beta.kubernetes.io/instance-type': 'deprecated since v1.17; use "node.kubernetes.io/instance-type" instead',
};

// The decoders report values of the wrong type; these read quietly what is there.
function text(d: Decoder, path: FieldPath): string {
  const v = d.get(path);
  return typeof v === 'string' ? v : '';
}

function texts(d: Decoder, path: FieldPath): string[] {
  const v = d.get(path);
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : '')) : [];
}

function count(d: Decoder, path: FieldPath): number {
  const v = d.get(path);
  return Array.isArray(v) ? v.length : 0;
}

function keys(d: Decoder, path: FieldPath): string[] {
  const v = d.get(path);
  return v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [];
}

/** The API server's field path notation: `spec.nodeSelector[key]`, `spec.clusterIPs[0]`. */
function apiPath(path: FieldPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * An address the API server accepts in a legacy field (Go's ParseIPSloppy: IPv4 parts with
 * leading zeros read as decimal, IPv4-mapped IPv6 read as IPv4) with the warning it gives;
 * undefined when it refuses the text too. StrictIPCIDRValidation (alpha, off) would refuse.
 */
export function parseLegacyIP(text: string): { ip: IP; nonStandard: boolean } | undefined {
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const v6 = ipaddr.IPv6.parse(text);
    if (v6.isIPv4MappedAddress()) return { ip: v6.toIPv4Address().toString() as IP, nonStandard: true };
  }
  const strict = parseIP(text);
  if (strict) return { ip: strict, nonStandard: false };
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (parts) {
    const bytes = parts.slice(1).map(Number);
    if (bytes.some((b) => b > 255)) return undefined;
    return { ip: bytes.join('.') as IP, nonStandard: true };
  }
  return undefined;
}

/** GetWarningsForIP: leading zeros or IPv4-mapped IPv6, and IPv6 not in RFC 5952 form. */
export function warnIPForm(d: Decoder, path: FieldPath, text: string, warnPath: FieldPath = path): void {
  const parsed = parseLegacyIP(text);
  if (!parsed) return;
  const where = apiPath(warnPath);
  if (parsed.nonStandard) {
    d.apiWarning(path, `${where}: non-standard IP address ${JSON.stringify(text)} will be considered invalid in a future Kubernetes release: use ${JSON.stringify(parsed.ip)}`,
      `write ${parsed.ip}`);
  } else if (parsed.ip.includes(':') && parsed.ip !== text) {
    d.apiWarning(path, `${where}: IPv6 address ${JSON.stringify(text)} should be in RFC 5952 canonical format (${JSON.stringify(parsed.ip)})`,
      `write ${parsed.ip}`);
  }
}

/** GetWarningsForCIDR, for the forms knet accepts: bits set past the prefix, IPv6 not in RFC 5952 form. */
export function warnCidrForm(d: Decoder, path: FieldPath, text: string): void {
  const cidr = parseCidr(text);
  if (!cidr) return;
  const slash = text.indexOf('/');
  const ip = parseIP(text.slice(0, slash))!;
  const where = apiPath(path);
  if (`${ip}/${cidr.prefix}` !== cidr.text) {
    d.apiWarning(path, `${where}: CIDR value ${JSON.stringify(text)} is ambiguous in this context (should be ${JSON.stringify(cidr.text)} or ${JSON.stringify(`${ip}/${cidr.family === 4 ? 32 : 128}`)}?)`,
      `write ${cidr.text} for the network, or ${ip}/${cidr.family === 4 ? 32 : 128} for the one address`);
  } else if (cidr.family === 6 && cidr.text !== text) {
    d.apiWarning(path, `${where}: IPv6 CIDR value ${JSON.stringify(text)} should be in RFC 5952 canonical format (${JSON.stringify(cidr.text)})`, `write ${cidr.text}`);
  }
}

/** GetWarningsForService, for the fields knet reads. */
export function warnService(d: Decoder, s: {
  readonly type: string; readonly headless: boolean; readonly sessionAffinity: string;
}): void {
  const hints = 'service.kubernetes.io/topology-aware-hints';
  if (keys(d, ['metadata', 'annotations']).includes(hints)) {
    d.apiWarning(['metadata', 'annotations', hints], `annotation ${hints} is deprecated, please use service.kubernetes.io/topology-mode instead`,
      'rename the annotation to service.kubernetes.io/topology-mode');
  }
  const clusterIPs = texts(d, ['spec', 'clusterIPs']);
  const given = clusterIPs.length ? clusterIPs : [text(d, ['spec', 'clusterIP'])].filter(Boolean);
  if (!s.headless) {
    // Defaulting copies clusterIP into clusterIPs, so the warning names clusterIPs.
    given.forEach((t, i) => warnIPForm(d, clusterIPs.length ? ['spec', 'clusterIPs', i] : ['spec', 'clusterIP'], t, ['spec', 'clusterIPs', i]));
  }
  const externalIPs = texts(d, ['spec', 'externalIPs']);
  const loadBalancerIP = text(d, ['spec', 'loadBalancerIP']);
  if (s.headless && s.type === 'ClusterIP') {
    if (loadBalancerIP) d.apiWarning(['spec', 'loadBalancerIP'], 'spec.loadBalancerIP is ignored for headless services');
    if (externalIPs.length) d.apiWarning(['spec', 'externalIPs'], 'spec.externalIPs is ignored for headless services');
    if (s.sessionAffinity !== 'None') d.apiWarning(['spec', 'sessionAffinity'], 'spec.SessionAffinity is ignored for headless services');
  }
  externalIPs.forEach((t, i) => warnIPForm(d, ['spec', 'externalIPs', i], t));
  if (externalIPs.length && !(s.headless && s.type === 'ClusterIP') && s.type !== 'ExternalName') {
    d.apiWarning(['spec', 'externalIPs'], 'spec.externalIPs is deprecated and may no longer be implemented in some clusters',
      'expose the Service with type LoadBalancer (or NodePort) instead');
  }
  if (loadBalancerIP) warnIPForm(d, ['spec', 'loadBalancerIP'], loadBalancerIP);
  texts(d, ['spec', 'loadBalancerSourceRanges']).forEach((t, i) => warnCidrForm(d, ['spec', 'loadBalancerSourceRanges', i], t));
  if (s.type === 'ExternalName' && externalIPs.length) {
    d.apiWarning(['spec', 'externalIPs'], 'spec.externalIPs is ignored when spec.type is "ExternalName"');
  }
  if (s.type !== 'ExternalName' && text(d, ['spec', 'externalName'])) {
    d.apiWarning(['spec', 'externalName'], 'spec.externalName is ignored when spec.type is not "ExternalName"');
  }
  if (text(d, ['spec', 'trafficDistribution']) === 'PreferClose') {
    d.apiWarning(['spec', 'trafficDistribution'], 'spec.trafficDistribution: "PreferClose" is deprecated; use "PreferSameZone"');
  }
}

/** The Ingress strategy's warning on create and update. */
export function warnIngress(d: Decoder, annotations: Readonly<Record<string, string>>): void {
  const key = 'kubernetes.io/ingress.class';
  if (key in annotations) {
    d.apiWarning(['metadata', 'annotations', key], `annotation ${JSON.stringify(key)} is deprecated, please use 'spec.ingressClassName' instead`,
      `set spec.ingressClassName: ${annotations[key] || '<class>'} and remove the annotation`);
  }
}

/** A hostIP only means something with a hostPort; Go's %+v of the (defaulted) port follows. */
function warnHostIPWithoutHostPort(d: Decoder, p: FieldPath): void {
  const hostIP = text(d, [...p, 'hostIP']);
  const hostPort = d.get([...p, 'hostPort']);
  if (!hostIP || (typeof hostPort === 'number' && hostPort !== 0)) return;
  const port = d.get([...p, 'containerPort']);
  const shown = `{Name:${text(d, [...p, 'name'])} HostPort:0 ContainerPort:${typeof port === 'number' ? port : 0} Protocol:${text(d, [...p, 'protocol']) || 'TCP'} HostIP:${hostIP}}`;
  d.apiWarning([...p, 'hostIP'], `${apiPath(p)}: hostIP set without hostPort: ${shown}`,
    'set hostPort as well, or remove hostIP: without a hostPort nothing listens on the node');
}

/** warningsForPodSpecAndMeta, for the fields knet reads: nodeSelector, container ports' hostIP and hostAliases. */
export function warnPodSpec(d: Decoder, spec: FieldPath): void {
  for (const key of keys(d, [...spec, 'nodeSelector'])) {
    const msg = DEPRECATED_NODE_LABELS[key];
    if (msg) d.apiWarning([...spec, 'nodeSelector', key], `${apiPath([...spec, 'nodeSelector'])}[${key}]: ${msg}`);
  }
  for (const list of ['initContainers', 'containers']) {
    const nc = count(d, [...spec, list]);
    for (let c = 0; c < nc; c++) {
      const np = count(d, [...spec, list, c, 'ports']);
      for (let i = 0; i < np; i++) warnHostIPWithoutHostPort(d, [...spec, list, c, 'ports', i]);
    }
  }
  const ips = new Set<string>();
  const n = count(d, [...spec, 'hostAliases']);
  for (let i = 0; i < n; i++) {
    const ip = text(d, [...spec, 'hostAliases', i, 'ip']);
    if (ip && ips.has(ip)) {
      d.apiWarning([...spec, 'hostAliases', i, 'ip'], `${apiPath([...spec, 'hostAliases', i, 'ip'])}: duplicate ip ${JSON.stringify(ip)}`,
        'list every hostname of an address in one entry: the kubelet writes each entry as its own /etc/hosts line');
    }
    ips.add(ip);
  }
}
