// Decodes Ingress and IngressClass (networking.k8s.io/v1, and the removed v1beta1 shapes)
// with the API server's defaults, reporting what its validation
// (pkg/apis/networking/validation) rejects, at the field that is wrong and in its words.
import { decodeMeta, nameHint } from './decode-common.js';
import { checkRemovedVersion, forbidden, rawLen, required, unknownField } from './decode-api.js';
import type { Decoder } from './decoder.js';
import { warnIngress } from './api-warnings.js';
import { dns1035Label, dns1123Subdomain, ianaSvcName, validPortNum } from './names.js';
import { parseIP } from './ip.js';
import type { FieldPath } from './source.js';
import type { Ingress, IngressBackend, IngressClass, IngressPath, IngressRule, IngressTLS, PathType } from './types.js';

const PATH_TYPES: readonly PathType[] = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const WILDCARD_SUBDOMAIN = /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HTTP_PATH_CHARS = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

// ---------------------------------------------------------------- Ingress

export function decodeIngress(d: Decoder): Ingress {
  const meta = decodeMeta(d, true);
  const apiVersion = d.str(['apiVersion']);
  const legacy = checkRemovedVersion(d, 'Ingress', apiVersion);
  d.obj(['spec']);

  const ingressClassName = d.str(['spec', 'ingressClassName']);
  if (d.has(['spec', 'ingressClassName'])) {
    for (const e of dns1123Subdomain(ingressClassName)) {
      d.invalid(['spec', 'ingressClassName'], ingressClassName, e,
        'the name of an IngressClass object (kubectl get ingressclass), e.g. "nginx"');
    }
    // Rejected on create: the annotation and the field must agree when both are given.
    const annotated = meta.annotations[LEGACY_CLASS_ANNOTATION];
    if (annotated !== undefined && annotated !== ingressClassName) {
      d.invalid(['metadata', 'annotations', LEGACY_CLASS_ANNOTATION], annotated,
        'must match `ingressClassName` when both are specified',
        `remove the ${LEGACY_CLASS_ANNOTATION} annotation; spec.ingressClassName replaces it`);
    }
  }

  const backendKey = legacy ? 'backend' : 'defaultBackend';
  const otherKey = legacy ? 'defaultBackend' : 'backend';
  if (d.has(['spec', otherKey])) {
    unknownField(d, ['spec', otherKey], `${apiVersion || 'this apiVersion'} calls it spec.${backendKey}`,
      `rename spec.${otherKey} to spec.${backendKey}`);
  }
  const defaultBackend = d.has(['spec', backendKey]) ? decodeBackend(d, ['spec', backendKey], legacy) : null;

  const nRules = d.len(['spec', 'rules']);
  if (nRules === 0 && !d.has(['spec', backendKey])) {
    d.invalid(['spec', backendKey], null, `either \`${backendKey}\` or \`rules\` must be specified`,
      'add rules (host and paths), or a defaultBackend that receives every request');
  }
  const rules: IngressRule[] = [];
  for (let i = 0; i < nRules; i++) {
    const rule = decodeIngressRule(d, ['spec', 'rules', i], legacy);
    if (rule) rules.push(rule);
  }

  const tls = decodeTLS(d);
  warnTLSHostsWithoutRules(d, tls, rules);

  const loadBalancerIngress: string[] = [];
  const nLb = d.len(['status', 'loadBalancer', 'ingress']);
  for (let i = 0; i < nLb; i++) {
    const ip = d.str(['status', 'loadBalancer', 'ingress', i, 'ip']);
    const hostname = d.str(['status', 'loadBalancer', 'ingress', i, 'hostname']);
    if (ip) loadBalancerIngress.push(ip);
    if (hostname) loadBalancerIngress.push(hostname);
  }

  warnIngress(d, meta.annotations);
  return {
    kind: 'Ingress', meta, apiVersion, raw: d.raw,
    ingressClassName, defaultBackend, rules, tls: tls.map((t) => t.tls), loadBalancerIngress,
  };
}

function decodeIngressRule(d: Decoder, p: FieldPath, legacy: boolean): IngressRule | null {
  if (!d.obj(p)) return null;
  const host = d.str([...p, 'host']);
  if (host) checkHost(d, [...p, 'host'], host, true);
  const paths: IngressPath[] = [];
  // A rule without http is valid (it routes nothing); `http: {}` is not.
  if (d.has([...p, 'http']) && d.obj([...p, 'http'])) {
    const pp = [...p, 'http', 'paths'];
    const n = d.len(pp);
    if (n === 0) {
      d.report(pp, 'required', 'Required value',
        'list at least one path under http, e.g. "- path: /" with "pathType: Prefix" and a backend');
    }
    for (let j = 0; j < n; j++) {
      const path = decodeIngressPath(d, [...pp, j], legacy);
      if (path) paths.push(path);
    }
  }
  return { host, paths };
}

/** An unusable path (no valid pathType or backend) is reported and left out. */
function decodeIngressPath(d: Decoder, p: FieldPath, legacy: boolean): IngressPath | null {
  if (!d.obj(p)) return null;
  const path = d.str([...p, 'path']);
  const tp = [...p, 'pathType'];
  let pathType: PathType | null = null;
  if (!d.has(tp)) {
    // v1beta1 defaulted pathType to ImplementationSpecific; v1 requires it.
    if (legacy) pathType = 'ImplementationSpecific';
    else required(d, tp, 'pathType must be specified', 'add pathType: Prefix ("/api" also matches "/api/v1"), or Exact for this one URL');
  } else {
    const t = d.str(tp);
    if (PATH_TYPES.includes(t as PathType)) pathType = t as PathType;
    else {
      const fixed = PATH_TYPES.find((x) => x.toLowerCase() === t.toLowerCase());
      d.unsupported(tp, t, PATH_TYPES, fixed ? `pathType is case-sensitive: ${fixed}` : undefined);
    }
  }
  const pathField = [...p, 'path'];
  if (pathType === 'Exact' || pathType === 'Prefix') {
    if (!path.startsWith('/')) {
      d.invalid(pathField, path, 'must be an absolute path', `start the path with "/": "/${path}"`);
    }
    for (const seq of INVALID_PATH_SEQUENCES) {
      if (path.includes(seq)) d.invalid(pathField, path, `must not contain '${seq}'`, pathNormalizeHint(path));
    }
    for (const suffix of INVALID_PATH_SUFFIXES) {
      if (path.endsWith(suffix)) d.invalid(pathField, path, `cannot end with '${suffix}'`, pathNormalizeHint(path));
    }
  } else if (pathType === 'ImplementationSpecific' && path && !path.startsWith('/')) {
    d.invalid(pathField, path, 'must be an absolute path', `start the path with "/": "/${path}"`);
  }
  const backend = decodeBackend(d, [...p, 'backend'], legacy);
  if (!pathType || !backend) return null;
  return { path, pathType, backend };
}

function pathNormalizeHint(path: string): string {
  return path.includes('%2') || path.includes('%2F')
    ? 'encoded slashes are refused: write the path with plain "/"'
    : 'write the normalized path: no empty, "." or ".." segments';
}

/** IngressBackend: exactly one of service and resource. */
function decodeBackend(d: Decoder, p: FieldPath, legacy: boolean): IngressBackend | null {
  if (d.has(p) && !d.obj(p)) return null;
  const hasResource = d.has([...p, 'resource']);
  const hasNew = d.has([...p, 'service']);
  const hasOld = d.has([...p, 'serviceName']) || d.has([...p, 'servicePort']);
  let readOld = legacy;
  if (legacy && hasNew) {
    unknownField(d, [...p, 'service'], 'this apiVersion has serviceName and servicePort',
      'write serviceName and servicePort, or move the Ingress to networking.k8s.io/v1');
    readOld = hasOld;
  } else if (!legacy && hasOld) {
    const at = d.has([...p, 'serviceName']) ? 'serviceName' : 'servicePort';
    const name = d.str([...p, 'serviceName']) || 'web';
    const port = d.intOrString([...p, 'servicePort']) ?? 80;
    unknownField(d, [...p, at], 'networking.k8s.io/v1 has no serviceName/servicePort (the v1beta1 shape)',
      `write service: {name: ${name}, port: {${typeof port === 'number' ? 'number' : 'name'}: ${port}}}`);
    readOld = !hasNew; // read it anyway, so routes still show while the user fixes it
  }
  const hasService = readOld ? hasOld : hasNew;
  if (hasResource && hasService) {
    d.invalid(p, '', 'cannot set both resource and service backends',
      'keep one: service sends traffic to a Service port; resource names a custom object');
    return null;
  }
  if (hasResource) {
    const resource = decodeResourceRef(d, [...p, 'resource']);
    return resource ? { service: null, resource } : null;
  }
  if (hasService) {
    const service = readOld ? decodeOldService(d, p) : decodeService(d, [...p, 'service']);
    return service ? { service, resource: null } : null;
  }
  d.invalid(p, '', 'resource or service backend is required',
    'add service: {name: web, port: {number: 80}} (the Service and its port, not the pod)');
  return null;
}

function decodeService(d: Decoder, p: FieldPath): IngressBackend['service'] {
  if (!d.obj(p)) return null;
  const name = checkServiceName(d, [...p, 'name']);
  const pp = [...p, 'port'];
  const raw = d.get(pp);
  let port: number | string | null = null;
  if (typeof raw === 'number' || typeof raw === 'string') {
    const key = typeof raw === 'number' ? 'number' : 'name';
    d.invalid(pp, raw, 'must be an object with `number` or `name`', `write port: {${key}: ${raw}}`);
    port = raw; // the intent is plain; keep it
  } else if (raw === undefined || d.obj(pp)) {
    const portName = d.str([...pp, 'name']);
    const portNumber = d.int([...pp, 'number']) ?? 0; // 0 means unset, as on the wire
    if (portName && portNumber) {
      d.invalid(pp, '', 'cannot set both port name & port number', `keep one: number: ${portNumber} or name: ${portName}`);
    } else if (portName) {
      const errs = ianaSvcName(portName);
      for (const e of errs) d.invalid([...pp, 'name'], portName, e, portNameHint(portName, 'number'));
      if (errs.length === 0) port = portName;
    } else if (portNumber) {
      const errs = validPortNum(portNumber);
      for (const e of errs) d.invalid([...pp, 'number'], portNumber, e, 'use the Service port (spec.ports[].port of the Service)');
      if (errs.length === 0) port = portNumber;
    } else if (!d.has([...pp, 'number']) || d.get([...pp, 'number']) === 0) {
      required(d, pp, 'port name or number is required',
        'add port: {number: 80}: the Service port (spec.ports[].port), not the container port');
    }
  }
  return name && port !== null ? { name, port } : null;
}

/** The removed v1beta1 shape: serviceName and servicePort (int or named). */
function decodeOldService(d: Decoder, p: FieldPath): IngressBackend['service'] {
  const name = checkServiceName(d, [...p, 'serviceName']);
  const pp = [...p, 'servicePort'];
  const port = d.intOrString(pp);
  if (port === undefined) {
    if (!d.has(pp)) d.required(pp, 'the Service port (spec.ports[].port of the Service), e.g. 80');
    return null;
  }
  const errs = typeof port === 'number' ? validPortNum(port) : ianaSvcName(port);
  for (const e of errs) d.invalid(pp, port, e, typeof port === 'string' ? portNameHint(port, 'servicePort') : undefined);
  return name && errs.length === 0 ? { name, port } : null;
}

function checkServiceName(d: Decoder, path: FieldPath): string {
  const name = d.str(path);
  if (!name) {
    d.required(path, 'the name of a Service in the Ingress namespace');
    return '';
  }
  const errs = dns1035Label(name);
  const hint = /^[0-9]/.test(name) ? 'Service names start with a letter (DNS-1035 label); check the Service\'s metadata.name' : nameHint(name);
  for (const e of errs) d.invalid(path, name, e, hint);
  return errs.length === 0 ? name : '';
}

function portNameHint(name: string, numberField: string): string {
  if (/^\d+$/.test(name)) return `a number goes in ${numberField}: ${name}, without quotes`;
  return name.toLowerCase() !== name
    ? `port names are lowercase: "${name.toLowerCase()}"`
    : 'use the name of a port of the Service (at most 15 characters of a-z, 0-9 and "-")';
}

function decodeResourceRef(d: Decoder, p: FieldPath): IngressBackend['resource'] {
  if (!d.obj(p)) return null;
  const apiGroup = d.str([...p, 'apiGroup']);
  if (d.has([...p, 'apiGroup'])) {
    for (const e of dns1123Subdomain(apiGroup)) d.invalid([...p, 'apiGroup'], apiGroup, e, 'e.g. k8s.example.com');
  }
  const kind = checkPathSegment(d, [...p, 'kind']);
  const name = checkPathSegment(d, [...p, 'name']);
  return kind && name ? { apiGroup, kind, name } : null;
}

/** Kinds and names that end up in a URL path segment. */
function checkPathSegment(d: Decoder, path: FieldPath): string {
  const v = d.str(path);
  if (!v) {
    d.required(path);
    return '';
  }
  const errs: string[] = [];
  if (v === '.' || v === '..') errs.push(`may not be '${v}'`);
  for (const bad of ['/', '%']) if (v.includes(bad)) errs.push(`may not contain '${bad}'`);
  for (const e of errs) d.invalid(path, v, e);
  return errs.length === 0 ? v : '';
}

/** Rule hosts may not be IPs; TLS hosts are only checked as (wildcard) DNS names, as upstream does. */
function checkHost(d: Decoder, path: FieldPath, host: string, rejectIP: boolean): void {
  // parseIP, not node:net's isIP: loading node:net costs start-up milliseconds (bench suite startup).
  if (rejectIP && parseIP(host) !== undefined) {
    d.invalid(path, host, 'must be a DNS name, not an IP address',
      'leave host out: a rule without host matches every request, including those by IP');
    return;
  }
  const errs = host.includes('*') ? wildcardSubdomain(host) : dns1123Subdomain(host);
  for (const e of errs) d.invalid(path, host, e, hostHint(host));
}

function wildcardSubdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!WILDCARD_SUBDOMAIN.test(value)) {
    errs.push(
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errs;
}

function hostHint(host: string): string {
  if (/^[a-z]+:\/\//i.test(host)) return 'write only the host name, without scheme or path';
  const port = /:(\d+)$/.exec(host);
  if (port) return `remove the port ":${port[1]}": a host never carries one; the controller listens on 80 and 443`;
  if (host === '*') return 'leave host out to match every host; a wildcard covers one label: "*.example.com"';
  if (host.includes('*')) return 'the wildcard must be the whole first label: "*.example.com"';
  if (host.endsWith('.')) return `remove the trailing dot: "${host.slice(0, -1)}"`;
  if (host.toLowerCase() !== host) return `use lowercase: "${host.toLowerCase()}" (hosts match case-insensitively)`;
  return 'use a DNS name such as "app.example.com"';
}

interface TLSEntry {
  readonly tls: IngressTLS;
  readonly index: number;
}

function decodeTLS(d: Decoder): TLSEntry[] {
  const out: TLSEntry[] = [];
  const n = d.len(['spec', 'tls']);
  for (let i = 0; i < n; i++) {
    const p = ['spec', 'tls', i];
    if (!d.obj(p)) continue;
    const hosts = d.strList([...p, 'hosts']);
    hosts.forEach((h, j) => checkHost(d, [...p, 'hosts', j], h, false));
    const secretName = d.str([...p, 'secretName']);
    if (secretName) {
      for (const e of dns1123Subdomain(secretName)) d.invalid([...p, 'secretName'], secretName, e, nameHint(secretName));
    }
    out.push({ tls: { hosts, secretName }, index: i });
  }
  return out;
}

/** `*.foo.com` covers exactly one more label: `a.foo.com`, not `foo.com` nor `a.b.foo.com`. */
function hostCovers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

function warnTLSHostsWithoutRules(d: Decoder, tls: readonly TLSEntry[], rules: readonly IngressRule[]): void {
  const ruleHosts = rules.map((r) => r.host).filter((h) => h !== '');
  for (const { tls: t, index } of tls) {
    t.hosts.forEach((host, j) => {
      if (!host || ruleHosts.some((r) => hostCovers(r, host) || hostCovers(host, r))) return;
      d.report(['spec', 'tls', index, 'hosts', j], 'tls-host-not-in-rules',
        `tls host "${host}" is not the host of any rule`,
        ruleHosts.length > 0
          ? `add a rule with host: ${host}, or fix the spelling (rule hosts: ${ruleHosts.join(', ')})`
          : `give the rule host: ${host}; controllers pick the certificate by rule host, so host-less rules get the default certificate`,
        'warning');
    });
  }
}

// ---------------------------------------------------------------- IngressClass

export function decodeIngressClass(d: Decoder): IngressClass {
  const meta = decodeMeta(d, false);
  const apiVersion = d.str(['apiVersion']);
  checkRemovedVersion(d, 'IngressClass', apiVersion);
  const cp = ['spec', 'controller'];
  const controller = d.str(cp);
  if (!controller) {
    d.required(cp, 'the controller that serves this class, e.g. k8s.io/ingress-nginx');
  } else {
    if (controller.length > 250) d.report(cp, 'too-long', 'Too long: may not be more than 250 bytes');
    checkDomainPrefixedPath(d, cp, controller);
  }
  if (d.has(['spec', 'parameters'])) checkClassParameters(d, ['spec', 'parameters']);

  const annotation = meta.annotations[DEFAULT_CLASS_ANNOTATION];
  // Admission treats only the exact string "true" as default.
  if (annotation !== undefined && annotation !== 'true' && annotation !== 'false') {
    d.report(['metadata', 'annotations', DEFAULT_CLASS_ANNOTATION], 'default-class-annotation',
      `annotation value ${JSON.stringify(annotation)} is not "true", so this class is not the default`,
      `write ${DEFAULT_CLASS_ANNOTATION}: "true" (lowercase, quoted)`, 'warning');
  }
  return { kind: 'IngressClass', meta, apiVersion, raw: d.raw, controller, isDefault: annotation === 'true' };
}

function checkDomainPrefixedPath(d: Decoder, path: FieldPath, value: string): void {
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) {
    d.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")', 'e.g. k8s.io/ingress-nginx');
    return;
  }
  const host = value.slice(0, slash);
  for (const e of dns1123Subdomain(host)) d.invalid(path, host, e);
  const rest = value.slice(slash + 1);
  if (!HTTP_PATH_CHARS.test(rest)) {
    d.invalid(path, rest, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')");
  }
}

function checkClassParameters(d: Decoder, p: FieldPath): void {
  if (!d.obj(p)) return;
  const apiGroup = d.str([...p, 'apiGroup']);
  if (d.has([...p, 'apiGroup'])) for (const e of dns1123Subdomain(apiGroup)) d.invalid([...p, 'apiGroup'], apiGroup, e);
  checkPathSegment(d, [...p, 'kind']);
  checkPathSegment(d, [...p, 'name']);
  const scope = d.str([...p, 'scope'], 'Cluster'); // v1 defaults scope to Cluster
  if (scope !== 'Cluster' && scope !== 'Namespace') {
    d.unsupported([...p, 'scope'], scope, ['Cluster', 'Namespace']);
  } else if (scope === 'Namespace' && !d.str([...p, 'namespace'])) {
    required(d, [...p, 'namespace'], '`parameters.scope` is set to \'Namespace\'', 'name the namespace of the parameters object');
  } else if (scope === 'Cluster' && d.has([...p, 'namespace'])) {
    forbidden(d, [...p, 'namespace'], '`parameters.scope` is set to \'Cluster\'', 'remove namespace, or set scope: Namespace');
  }
}

