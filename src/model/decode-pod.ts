// Pods, pod templates and workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
// ReplicationController),
// validated as the API server validates their ports, probes and DNS settings.
import { decodeIP, decodeMeta, decodeProtocol, decodeSelector } from './decode-common.js';
import { checkSleepFitsGrace, decodeGracePeriod, decodePreStop } from './decode-lifecycle.js';
import { formatPath, type Decoder } from './decoder.js';
import type { IP } from './ip.js';
import { MATCH_ALL, matchesSelector, selectorFrom, type Selector } from './labels.js';
import { dns1123Label, ianaSvcName, validPortNum } from './names.js';
import type { FieldPath } from './source.js';
import { validatePodSpecExtras } from './validate-pod.js';
import { warnPodSpec } from './api-warnings.js';
import type {
  Container, ContainerPort, DnsConfig, DnsPolicy, Pod, PodPhase, PodSpec, PodTemplate, Probe, ProbeHandler,
  Workload, WorkloadKind,
} from './types.js';
import { decodeContainerRun, decodePodRun } from './decode-pod-run.js';

const DNS_POLICIES: readonly DnsPolicy[] = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];

export function decodePod(d: Decoder): Pod {
  const meta = decodeMeta(d, true);
  const spec = decodePodSpec(d, ['spec']);
  const podIPs: IP[] = [];
  const n = d.len(['status', 'podIPs']);
  for (let i = 0; i < n; i++) {
    const ip = decodeIP(d, ['status', 'podIPs', i, 'ip']);
    if (ip) podIPs.push(ip);
  }
  const single = decodeIP(d, ['status', 'podIP']);
  if (single && !podIPs.includes(single)) podIPs.unshift(single);
  let ready: boolean | null = null;
  const nc = d.len(['status', 'conditions']);
  for (let i = 0; i < nc; i++) {
    if (d.str(['status', 'conditions', i, 'type']) === 'Ready') {
      ready = d.str(['status', 'conditions', i, 'status']) === 'True';
    }
  }
  // RESTARTS as kubectl counts them: every container's restartCount the kubelet reports, summed.
  let restarts: number | undefined;
  for (const list of ['initContainerStatuses', 'containerStatuses']) {
    const nStatuses = d.len(['status', list]);
    for (let i = 0; i < nStatuses; i++) {
      const count = d.int(['status', list, i, 'restartCount']);
      if (count !== undefined && count > 0) restarts = (restarts ?? 0) + count;
    }
  }
  return {
    kind: 'Pod', apiVersion: d.str(['apiVersion']), meta, raw: d.raw, spec,
    status: {
      phase: d.str(['status', 'phase']) as PodPhase | '',
      podIPs,
      hostIP: decodeIP(d, ['status', 'hostIP']) ?? '',
      ready,
      ...(restarts !== undefined ? { restarts } : {}),
    },
    generatedBy: '',
    ownerSource: null,
  };
}

export function decodePodSpec(d: Decoder, path: FieldPath): PodSpec {
  const containers: Container[] = [];
  const nContainers = d.len([...path, 'containers']);
  // validateContainers: an absent list and an empty one are both "Required value".
  if (nContainers === 0 && (!d.has([...path, 'containers']) || Array.isArray(d.get([...path, 'containers'])))) {
    d.required([...path, 'containers'], 'a pod needs at least one container');
  }
  const portNames = new Map<string, FieldPath>();
  for (let i = 0; i < nContainers; i++) containers.push(decodeContainer(d, [...path, 'containers', i], portNames));
  const initContainers: Container[] = [];
  const nInit = d.len([...path, 'initContainers']);
  for (let i = 0; i < nInit; i++) initContainers.push(decodeContainer(d, [...path, 'initContainers', i], portNames));

  const hostNetwork = d.bool([...path, 'hostNetwork']) ?? false;
  const dnsPolicyText = d.str([...path, 'dnsPolicy'], 'ClusterFirst');
  let dnsPolicy: DnsPolicy = 'ClusterFirst';
  if (DNS_POLICIES.includes(dnsPolicyText as DnsPolicy)) dnsPolicy = dnsPolicyText as DnsPolicy;
  else d.unsupported([...path, 'dnsPolicy'], dnsPolicyText, DNS_POLICIES);

  let dnsConfig: DnsConfig | null = null;
  if (d.obj([...path, 'dnsConfig'])) {
    const options: { name: string; value: string | null }[] = [];
    const nOpt = d.len([...path, 'dnsConfig', 'options']);
    for (let i = 0; i < nOpt; i++) {
      const name = d.str([...path, 'dnsConfig', 'options', i, 'name']);
      if (!name) d.required([...path, 'dnsConfig', 'options', i, 'name'], 'e.g. name: ndots, value: "2"');
      const v = d.get([...path, 'dnsConfig', 'options', i, 'value']);
      options.push({ name, value: v === undefined ? null : d.str([...path, 'dnsConfig', 'options', i, 'value']) });
    }
    dnsConfig = {
      nameservers: d.strList([...path, 'dnsConfig', 'nameservers']),
      searches: d.strList([...path, 'dnsConfig', 'searches']),
      options,
    };
    dnsConfig.nameservers.forEach((ns, i) => {
      if (!decodeIP(d, [...path, 'dnsConfig', 'nameservers', i], 'must be valid IP address')) {
        if (!ns) d.required([...path, 'dnsConfig', 'nameservers', i]);
      }
    });
  }
  if (dnsPolicy === 'None' && (!dnsConfig || dnsConfig.nameservers.length === 0)) {
    d.required([...path, 'dnsConfig', 'nameservers'],
      'dnsPolicy None gives the pod no resolver at all: list at least one nameserver in dnsConfig (e.g. the cluster DNS 10.96.0.10)');
  }

  const hostname = d.str([...path, 'hostname']);
  if (hostname) for (const e of dns1123Label(hostname)) d.invalid([...path, 'hostname'], hostname, e);
  const subdomain = d.str([...path, 'subdomain']);
  if (subdomain) for (const e of dns1123Label(subdomain)) d.invalid([...path, 'subdomain'], subdomain, e);

  validatePodSpecExtras(d, path);
  warnPodSpec(d, path);

  const tolerations = [];
  const nTol = d.len([...path, 'tolerations']);
  for (let i = 0; i < nTol; i++) {
    const p = [...path, 'tolerations', i];
    tolerations.push({
      key: d.str([...p, 'key']), operator: d.str([...p, 'operator'], 'Equal'),
      value: d.str([...p, 'value']), effect: d.str([...p, 'effect']),
    });
  }
  const terminationGracePeriodSeconds = decodeGracePeriod(d, [...path, 'terminationGracePeriodSeconds']);
  checkSleepFitsGrace(d, [...path, 'containers'], containers, terminationGracePeriodSeconds);
  return {
    containers, initContainers,
    nodeName: d.str([...path, 'nodeName']),
    nodeSelector: d.strMap([...path, 'nodeSelector']),
    hostNetwork, hostname, subdomain, dnsPolicy, dnsConfig,
    setHostnameAsFQDN: d.bool([...path, 'setHostnameAsFQDN']) ?? false,
    tolerations,
    run: decodePodRun(d, path),
    terminationGracePeriodSeconds,
  };
}

function decodeContainer(d: Decoder, path: FieldPath, portNames: Map<string, FieldPath>): Container {
  const name = d.str([...path, 'name']);
  if (!name) d.required([...path, 'name'], 'every container needs a name');
  else for (const e of dns1123Label(name)) d.invalid([...path, 'name'], name, e);
  const ports: ContainerPort[] = [];
  const seen = new Set<string>();
  const ownNames = new Set<string>();
  const n = d.len([...path, 'ports']);
  for (let i = 0; i < n; i++) {
    const p: FieldPath = [...path, 'ports', i];
    const containerPort = d.int([...p, 'containerPort']);
    // The API server reports containerPort 0 (the zero value) as missing.
    if (containerPort === 0 || (containerPort === undefined && !d.has([...p, 'containerPort']))) d.required([...p, 'containerPort']);
    else if (containerPort !== undefined) {
      for (const e of validPortNum(containerPort)) d.invalid([...p, 'containerPort'], containerPort, e);
    }
    const portName = d.str([...p, 'name']);
    if (portName) {
      const errs = ianaSvcName(portName);
      for (const e of errs) d.invalid([...p, 'name'], portName, e, 'port names are at most 15 characters: lowercase letters, digits and single hyphens, with at least one letter');
      // validateContainerPorts checks the uniqueness of valid names only, per container.
      const prev = portNames.get(portName);
      if (errs.length === 0 && ownNames.has(portName)) {
        d.duplicate([...p, 'name'], portName, 'port names must be unique within a container');
      } else if (errs.length === 0 && prev) {
        // The API server accepts this, but Services and probes that name the port use the first.
        d.report([...p, 'name'], 'duplicate-port-name',
          `Duplicate value: ${JSON.stringify(portName)}: also the name of ${formatPath(prev)}`,
          'port names should be unique within a pod: a targetPort or probe that names this port uses the first one', 'warning');
      } else if (errs.length === 0) portNames.set(portName, p);
      ownNames.add(portName);
    }
    const protocol = decodeProtocol(d, [...p, 'protocol']);
    const hostPort = d.int([...p, 'hostPort']) ?? 0;
    if (hostPort) for (const e of validPortNum(hostPort)) d.invalid([...p, 'hostPort'], hostPort, e);
    const key = `${containerPort}/${protocol}`;
    if (containerPort !== undefined && seen.has(key) && hostPort === 0) {
      d.report([...p], 'duplicate-port', `Duplicate value: "${key}"`, 'the same containerPort and protocol appear twice in one container', 'warning');
    }
    seen.add(key);
    if (containerPort !== undefined) {
      ports.push({ name: portName, containerPort, protocol, hostPort, hostIP: d.str([...p, 'hostIP']) });
    }
  }
  return {
    name,
    image: d.str([...path, 'image']),
    command: d.strList([...path, 'command']),
    args: d.strList([...path, 'args']),
    ports,
    readinessProbe: decodeProbe(d, [...path, 'readinessProbe']),
    livenessProbe: decodeProbe(d, [...path, 'livenessProbe']),
    startupProbe: decodeProbe(d, [...path, 'startupProbe']),
    restartPolicy: d.str([...path, 'restartPolicy']),
    run: decodeContainerRun(d, path),
    preStop: decodePreStop(d, [...path, 'lifecycle', 'preStop']),
  };
}

function decodeProbe(d: Decoder, path: FieldPath): Probe | null {
  if (!d.obj(path)) return null;
  let handler: ProbeHandler | null = null;
  const handlers: string[] = [];
  if (d.obj([...path, 'httpGet'])) {
    handlers.push('httpGet');
    const port = decodeProbePort(d, [...path, 'httpGet', 'port']);
    const scheme = d.str([...path, 'httpGet', 'scheme'], 'HTTP');
    if (scheme !== 'HTTP' && scheme !== 'HTTPS') d.unsupported([...path, 'httpGet', 'scheme'], scheme, ['HTTP', 'HTTPS']);
    handler = {
      kind: 'httpGet', path: d.str([...path, 'httpGet', 'path'], '/'), port,
      scheme: scheme === 'HTTPS' ? 'HTTPS' : 'HTTP', host: d.str([...path, 'httpGet', 'host']),
    };
  }
  if (d.obj([...path, 'tcpSocket'])) {
    handlers.push('tcpSocket');
    handler = { kind: 'tcpSocket', port: decodeProbePort(d, [...path, 'tcpSocket', 'port']), host: d.str([...path, 'tcpSocket', 'host']) };
  }
  if (d.obj([...path, 'exec'])) {
    handlers.push('exec');
    handler = { kind: 'exec', command: d.strList([...path, 'exec', 'command']) };
  }
  if (d.obj([...path, 'grpc'])) {
    handlers.push('grpc');
    const port = d.int([...path, 'grpc', 'port']) ?? 0;
    handler = { kind: 'grpc', port, service: d.str([...path, 'grpc', 'service']) };
  }
  if (handlers.length === 0) {
    d.required(path, 'a probe needs one handler: httpGet, tcpSocket, exec or grpc');
    return null;
  }
  if (handlers.length > 1) {
    d.report(path, 'forbidden', `Forbidden: may not specify more than 1 handler type (found ${handlers.join(', ')})`,
      'keep one of httpGet, tcpSocket, exec, grpc');
  }
  const num = (k: string, dflt: number, min: number) => {
    const v = d.int([...path, k]);
    if (v !== undefined && v < min) d.invalid([...path, k], v, `must be greater than or equal to ${min}`);
    return v ?? dflt;
  };
  return {
    handler: handler!,
    initialDelaySeconds: num('initialDelaySeconds', 0, 0),
    periodSeconds: num('periodSeconds', 10, 1),
    timeoutSeconds: num('timeoutSeconds', 1, 1),
    successThreshold: num('successThreshold', 1, 1),
    failureThreshold: num('failureThreshold', 3, 1),
  };
}

function decodeProbePort(d: Decoder, path: FieldPath): number | string {
  const v = d.intOrString(path);
  if (v === undefined) {
    if (!d.has(path)) d.required(path, 'the probe needs a port: a number or a container port name');
    return 0;
  }
  if (typeof v === 'number') for (const e of validPortNum(v)) d.invalid(path, v, e);
  else for (const e of ianaSvcName(v)) d.invalid(path, v, e);
  return v;
}

const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController'];

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return WORKLOAD_KINDS.includes(kind as WorkloadKind);
}

export function decodeWorkload(d: Decoder, kind: WorkloadKind): Workload {
  // ValidateStatefulSetName: a DNS label, since the name starts every pod's hostname.
  const meta = decodeMeta(d, true, kind === 'StatefulSet' ? dns1123Label : undefined);
  const replicasPath: FieldPath = kind === 'Job' ? ['spec', 'parallelism'] : ['spec', 'replicas'];
  const replicas = d.int(replicasPath) ?? 1;
  if (replicas < 0) d.invalid(replicasPath, replicas, 'must be greater than or equal to 0');
  if (kind === 'StatefulSet') checkOrdinalNames(d, meta.name, replicas);
  const templateLabels = d.strMap(['spec', 'template', 'metadata', 'labels']);
  let selector = kind === 'ReplicationController' ? replicationControllerSelector(d, templateLabels) : decodeSelector(d, ['spec', 'selector']);
  if (!d.has(['spec', 'template'])) d.required(['spec', 'template'], 'a workload needs a pod template');
  if (!selector) {
    // Jobs generate their selector; apps/v1 requires one on the others.
    if (kind !== 'Job' && kind !== 'ReplicationController') d.required(['spec', 'selector'], `set spec.selector.matchLabels to the template's labels, e.g. app: ${templateLabels['app'] ?? meta.name}`);
    selector = MATCH_ALL;
  } else if (!matchesSelector(selector, templateLabels)) {
    d.invalid(['spec', 'template', 'metadata', 'labels'], templateLabels,
      '`selector` does not match template `labels`',
      'make spec.selector.matchLabels a subset of spec.template.metadata.labels');
  }
  const spec = decodePodSpec(d, ['spec', 'template', 'spec']);
  const template: PodTemplate = {
    labels: templateLabels,
    annotations: d.strMap(['spec', 'template', 'metadata', 'annotations']),
    spec,
    rawSpec: d.get(['spec', 'template', 'spec']) ?? {},
  };
  const serviceName = kind === 'StatefulSet' ? d.str(['spec', 'serviceName']) : '';
  return {
    kind, apiVersion: d.str(['apiVersion']), meta, raw: d.raw,
    replicas: Math.max(0, replicas), selector, template, serviceName,
  };
}

/**
 * A ReplicationController's selector is a plain label map (v1), and the API server defaults
 * an absent one to the template's labels (SetDefaults_ReplicationController).
 */
function replicationControllerSelector(d: Decoder, templateLabels: Readonly<Record<string, string>>): Selector | null {
  const given = d.strMap(['spec', 'selector']);
  const labels = Object.keys(given).length > 0 ? given : templateLabels;
  if (Object.keys(labels).length === 0) {
    d.required(['spec', 'selector'], 'give the pod template labels (spec.template.metadata.labels); the selector defaults to them');
    return null;
  }
  return selectorFrom(labels, []);
}

/**
 * A StatefulSet's pod `<name>-<ordinal>` is its hostname and the value of its
 * `statefulset.kubernetes.io/pod-name` label, both at most 63 characters: the API server
 * refuses every pod past that, so the StatefulSet never gets them.
 */
function checkOrdinalNames(d: Decoder, name: string, replicas: number): void {
  if (replicas < 1 || dns1123Label(name).length > 0) return;
  const longest = `${name}-${replicas - 1}`;
  if (longest.length <= 63) return;
  const room = 63 - name.length - 1;
  d.report(['metadata', 'name'], 'statefulset-pod-name-too-long',
    `the pod names ${name}-0 to ${longest} are ${longest.length} characters: a pod's hostname and its label statefulset.kubernetes.io/pod-name are DNS labels of at most 63, so the API server refuses the pods past ordinal ${room > 0 ? 10 ** room - 1 : 'none'}`,
    `shorten the name to at most ${62 - String(replicas - 1).length} characters for ${replicas} replicas`);
}