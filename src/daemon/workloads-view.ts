// What the running cluster's pods mean for the processes around them: the per-node runtime
// SPEC entries (the built-in server on every declared port, containers that have a
// command), the probes that say a pod answers, and where `knet exec` enters.
import type { Cluster } from '../cluster/fill-in.js';
import type { TopologyPlan } from '../compile/topology-plan.js';
import { fabricNetns, inetNetns } from '../compile/topology-names.js';
import type { Container, Pod, Probe } from '../model/types.js';
import type { ProbeKind } from '../dataplane/runtime/probe-state.js';
import { fileURLToPath } from 'node:url';
import { ABSOLUTE_CLEAN, type MountSpec, type PreStopHook, type ProbeSpec, type VolumeSpec } from '../dataplane/runtime/spec.js';
import { gracePeriodOf } from '../cluster/termination.js';
import type { ProbeTarget } from './probe.js';
import type { RuntimePodSpec } from './runtimes.js';
import { ingressControllerCommand } from './ingress-controller.js';
import { commandSpec, lookupOf, podRunSpec } from './container-run.js';
import { uidBaseFor } from '../dataplane/runtime/sandbox.js';

/** The hostname the kubelet gives a pod: spec.hostname, else its name, at most 63 characters. */
export function podHostname(pod: Pod): string {
  return (pod.spec.hostname || pod.meta.name).slice(0, 63);
}

/** Containers and sidecar init containers (restartPolicy Always) run for the pod's life. */
function runningContainers(pod: Pod): Pod['spec']['containers'] {
  return [...pod.spec.initContainers.filter((c) => c.restartPolicy === 'Always'), ...pod.spec.containers];
}

/** CoreDNS's pods (kube-system, `k8s-app: kube-dns`, as kubeadm labels them) serve DNS on port 53. */
function isClusterDnsPod(pod: Pod): boolean {
  return pod.meta.namespace === 'kube-system' && pod.meta.labels['k8s-app'] === 'kube-dns';
}

/**
 * Per node, the runtime's pods. A container without a command is the built-in server on its
 * declared ports (a CoreDNS pod's port 53 is knet's DNS server, logging to that container);
 * a container with one runs it and serves its ports itself.
 */
export function runtimePods(cluster: Cluster, plan: TopologyPlan): Map<string, RuntimePodSpec[]> {
  const pods = new Map(cluster.pods.map((p) => [`${p.meta.namespace}/${p.meta.name}`, p]));
  const nodeNetns = new Map(plan.namespaces.filter((n) => n.role === 'node').map((n) => [n.owner, n.name]));
  const out = new Map<string, RuntimePodSpec[]>();
  const lookup = lookupOf(cluster);
  for (const place of plan.pods) {
    const pod = pods.get(place.pod);
    if (!pod) continue;
    const dns = isClusterDnsPod(pod);
    const run = podRunSpec(pod, place, runningContainers(pod), lookup);
    const volumes: VolumeSpec[] = [...run.volumes];
    const servers: RuntimePodSpec['servers'][number][] = [];
    const commands: RuntimePodSpec['commands'][number][] = [];
    const probes: ProbeSpec[] = [];
    const serve = (protocol: 'TCP' | 'UDP', port: number, container: string): void => {
      if (servers.some((s) => s.protocol === protocol && s.port === port)) return;
      servers.push(dns && port === 53 ? { protocol, port, kind: 'dns', log: container, container } : { protocol, port, container });
    };
    for (const c of runningContainers(pod)) {
      const own = containerProbes(c, place.ips[0] ?? '');
      probes.push(...own);
      // ingress-nginx's controller runs real nginx on the configuration ingress-controller.ts writes.
      const nginx = ingressControllerCommand(plan.cluster, place.pod, c);
      if (nginx) {
        commands.push(nginx.command);
        volumes.push(nginx.volume);
        continue;
      }
      if (c.command.length > 0) {
        const cmd = commandSpec(pod, c, place, lookup, run.errors);
        const own = knetProgramMounts(cmd.argv, volumes.length);
        volumes.push(...own.volumes);
        commands.push(own.mounts.length > 0 ? { ...cmd, mounts: [...(cmd.mounts ?? []), ...own.mounts] } : cmd);
        continue;
      }
      for (const p of c.ports) if (p.protocol === 'TCP' || p.protocol === 'UDP') serve(p.protocol, p.containerPort, c.name);
      // The built-in process answers its probes' ports too, as CoreDNS serves /health on
      // 8080 and /ready on 8181 without declaring them.
      for (const pr of own) if (pr.check.kind !== 'exec' && pr.check.host === place.ips[0]) serve('TCP', pr.check.port, c.name);
    }
    const preStop = preStopHooks(runningContainers(pod), place.ips[0] ?? '');
    const fromNode = probes.some((p) => p.check.kind !== 'exec') || preStop.some((h) => h.hook.kind === 'http');
    const list = out.get(place.node) ?? [];
    list.push({
      ref: place.pod, netns: place.netns, hostname: podHostname(pod), servers, commands, healthy: pod.status.ready !== false && pod.meta.annotations[UNHEALTHY_ANNOTATION] !== 'true',
      probes, probeFrom: fromNode ? nodeNetns.get(place.node) ?? null : null,
      volumes, limits: run.limits, fsGroup: run.fsGroup, uidBase: uidBaseFor(plan.cluster, place.pod),
      ...(preStop.length > 0 ? { preStop } : {}),
      ...(pod.meta.deletionTimestamp ? { terminating: { gracePeriodMs: gracePeriodOf(pod) * 1000 } } : {}),
    });
    out.set(place.node, list);
  }
  return out;
}

/** knet's compiled code (dist/): its programs (the ACME solver) run in pods knet makes. */
const KNET_DIST = fileURLToPath(new URL('..', import.meta.url));

/**
 * knet's own programs in a command (the acmesolver pods' `node .../solver-main.js`): the
 * sandbox sees the host's /usr, not knet's files, so each such file (and node, when it is
 * not under /usr) is mounted read-only at its own path. Only those files: never the
 * checkout, its state or its other files.
 */
function knetProgramMounts(argv: readonly string[], taken: number): { volumes: VolumeSpec[]; mounts: MountSpec[] } {
  const volumes: VolumeSpec[] = [];
  const mounts: MountSpec[] = [];
  const files = argv.filter((a) => (a.startsWith(KNET_DIST) && a.endsWith('.js')) || (a === process.execPath && !a.startsWith('/usr/')));
  for (const path of [...new Set(files)]) {
    if (!ABSOLUTE_CLEAN.test(path)) continue;
    const name = `knet-program-${taken + volumes.length}`;
    volumes.push({ name, kind: 'host', path });
    mounts.push({ volume: name, path, readOnly: true });
  }
  return { volumes, mounts };
}

/**
 * The containers' preStop hooks as the kubelet resolves them: a named port to the container's
 * port number, an empty host to the pod's IP, seconds to milliseconds. A hook whose named port
 * the container does not declare is left out (the API server refuses such a pod).
 */
function preStopHooks(containers: readonly Container[], podIP: string): { container: string; hook: PreStopHook }[] {
  const out: { container: string; hook: PreStopHook }[] = [];
  for (const c of containers) {
    const h = c.preStop;
    if (!h) continue;
    if (h.kind === 'sleep') out.push({ container: c.name, hook: { kind: 'sleep', ms: h.seconds * 1000 } });
    else if (h.kind === 'exec') {
      if (h.command.length > 0) out.push({ container: c.name, hook: { kind: 'exec', argv: [...h.command] } });
    } else {
      const port = typeof h.port === 'number' ? h.port : c.ports.find((p) => p.name === h.port && p.protocol === 'TCP')?.containerPort;
      const host = h.host || podIP;
      if (port && host) out.push({ container: c.name, hook: { kind: 'http', scheme: h.scheme, host, port, path: h.path || '/' } });
    }
  }
  return out;
}

/** A pod annotated so starts with its built-in responder's health checks answering 503. */
export const UNHEALTHY_ANNOTATION = 'knet.dev/unhealthy';

const PROBE_FIELDS: readonly [ProbeKind, 'startupProbe' | 'readinessProbe' | 'livenessProbe'][] = [
  ['startup', 'startupProbe'], ['readiness', 'readinessProbe'], ['liveness', 'livenessProbe'],
];

/**
 * A container's probes as the kubelet resolves them: named ports to the container's port
 * numbers, an empty host to the pod's IP, seconds to milliseconds. A gRPC probe is checked
 * as a TCP connection (the built-in responder does not speak the gRPC health protocol);
 * a probe whose named port the container does not declare is left out (the API server
 * refuses such a pod).
 */
export function containerProbes(c: Container, podIP: string): ProbeSpec[] {
  const out: ProbeSpec[] = [];
  const portOf = (port: number | string): number | null => {
    if (typeof port === 'number') return port;
    return c.ports.find((p) => p.name === port && p.protocol === 'TCP')?.containerPort ?? null;
  };
  for (const [probe, field] of PROBE_FIELDS) {
    const pr: Probe | null = c[field];
    if (!pr) continue;
    const h = pr.handler;
    let check: ProbeSpec['check'];
    if (h.kind === 'exec') {
      if (h.command.length === 0) continue;
      check = { kind: 'exec', argv: [...h.command] };
    } else {
      const port = portOf(h.port);
      if (port === null || (!podIP && !('host' in h && h.host))) continue;
      const host = ('host' in h && h.host) || podIP;
      check = h.kind === 'httpGet' ? { kind: 'http', scheme: h.scheme, host, port, path: h.path || '/' } : { kind: 'tcp', host, port };
    }
    out.push({
      container: c.name, probe, check,
      initialDelayMs: pr.initialDelaySeconds * 1000,
      periodMs: Math.max(1, pr.periodSeconds) * 1000,
      timeoutMs: Math.max(1, pr.timeoutSeconds) * 1000,
      successThreshold: probe === 'readiness' ? Math.max(1, pr.successThreshold) : 1,
      failureThreshold: Math.max(1, pr.failureThreshold),
    });
  }
  return out;
}

/** A TCP connection to every declared TCP container port, from the pod's node. */
export function probeTargets(cluster: Cluster, plan: TopologyPlan, only?: ReadonlySet<string>): ProbeTarget[] {
  const pods = new Map(cluster.pods.map((p) => [`${p.meta.namespace}/${p.meta.name}`, p]));
  const nodeNetns = new Map(plan.namespaces.filter((n) => n.role === 'node').map((n) => [n.owner, n.name]));
  const out: ProbeTarget[] = [];
  for (const place of plan.pods) {
    if (only && !only.has(place.netns)) continue;
    const pod = pods.get(place.pod);
    const netns = nodeNetns.get(place.node);
    const ip = place.ips[0];
    if (!pod || !netns || !ip || pod.meta.deletionTimestamp) continue; // a terminating pod is meant to stop answering
    const seen = new Set<number>();
    for (const c of runningContainers(pod)) {
      for (const p of c.ports) {
        if (p.protocol !== 'TCP' || seen.has(p.containerPort)) continue;
        seen.add(p.containerPort);
        out.push({ pod: place.pod, netns, ip, port: p.containerPort });
      }
    }
  }
  return out;
}

export interface ExecTargets {
  readonly pods: readonly {
    readonly pod: string;
    readonly node: string;
    readonly netns: string;
    readonly hostNetwork: boolean;
    readonly ips: readonly string[];
    readonly hostname: string;
    readonly containers: readonly string[];
  }[];
  readonly nodes: readonly { readonly name: string; readonly netns: string; readonly ip: string }[];
  readonly internet: string;
  readonly fabric: string;
  readonly skipped: readonly { readonly pod: string; readonly reason: string }[];
}

export function execTargets(cluster: Cluster, plan: TopologyPlan): ExecTargets {
  const pods = new Map(cluster.pods.map((p) => [`${p.meta.namespace}/${p.meta.name}`, p]));
  return {
    pods: plan.pods.flatMap((place) => {
      const pod = pods.get(place.pod);
      if (!pod) return [];
      return [{
        pod: place.pod, node: place.node, netns: place.netns, hostNetwork: place.hostNetwork, ips: [...place.ips],
        hostname: place.hostNetwork ? place.node : podHostname(pod),
        containers: [...pod.spec.initContainers, ...pod.spec.containers].map((c) => c.name),
      }];
    }),
    nodes: plan.namespaces.filter((n) => n.role === 'node').map((n) => ({
      name: n.owner, netns: n.name, ip: (n.addresses.find((a) => a.dev === 'eth0')?.cidr ?? '').split('/')[0]!,
    })),
    internet: inetNetns(plan.cluster),
    fabric: fabricNetns(plan.cluster),
    skipped: plan.skipped.map((s) => ({ pod: s.pod, reason: s.reason })),
  };
}
