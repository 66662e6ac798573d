// The per-node runtime's input: which pods run on this node, what they serve, what they run.
// Written by whoever starts the runtime; re-read on SIGHUP (or the `reload` control op).
import { resolve } from 'node:path';
import type { Protocol } from './netns.js';
import type { ProbeKind } from './probe-state.js';

/** What answers on a port: the netexec responder, a CoreDNS pod's DNS server, or the internet's resolver. */
export type ServerKind = 'netexec' | 'dns' | 'internet-dns';
const SERVER_KINDS: readonly ServerKind[] = ['netexec', 'dns', 'internet-dns'];

export interface ServerSpec {
  readonly protocol: Protocol;
  readonly port: number;
  readonly kind: ServerKind;
  /** DNS kinds: the container whose log gets the query log (`<logDir>/<ns>_<pod>_<log>.log`); null: none. */
  readonly log: string | null;
  /** The container whose port this is ('' when unknown): a restart of that container reopens it. */
  readonly container: string;
}

/** What a probe checks, resolved (named ports to numbers, the host to the pod's address). */
export type ProbeCheck =
  | { readonly kind: 'http'; readonly scheme: 'HTTP' | 'HTTPS'; readonly host: string; readonly port: number; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'exec'; readonly argv: readonly string[] };

/** One probe of one container, with the kubelet's timing in milliseconds. */
export interface ProbeSpec {
  readonly container: string;
  readonly probe: ProbeKind;
  readonly check: ProbeCheck;
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** Where the DNS servers' data is (dataplane/dns/snapshot.ts) and which version to load. */
export interface DnsDataSpec {
  readonly data: string;
  readonly version: string;
}

export interface CommandSpec {
  readonly container: string;
  readonly argv: readonly string[];
  /** The container's environment (PATH defaults to a container's, HOSTNAME is the pod's hostname). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where the command starts (default `/`); made when missing. */
  readonly workingDir?: string;
  /** The user inside the container (default root, 0:0) and its supplementary groups. */
  readonly user?: { readonly uid: number; readonly gid: number; readonly groups?: readonly number[] };
  /** securityContext.runAsNonRoot: a uid of 0 is refused at start. */
  readonly runAsNonRoot?: boolean;
  /** securityContext.capabilities: the runtime's default set, minus drop, plus add. */
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  /** The pod's volumes mounted into this container. */
  readonly mounts?: readonly MountSpec[];
  /** A configuration error (a missing ConfigMap key...): the container is not started and says why. */
  readonly error?: string;
  /**
   * Runs on the host in the pod's network namespace, not in a sandbox: only for knet's own
   * internet side (pods `knet_internet/...`, which no manifest can name: Pebble), never a cluster pod.
   */
  readonly unsandboxed?: boolean;
}

export interface MountSpec {
  /** A volume of the pod. */
  readonly volume: string;
  /** Absolute path in the container. */
  readonly path: string;
  readonly readOnly?: boolean;
  /** A path inside the volume mounted instead of its root. */
  readonly subPath?: string;
}

/**
 * A pod volume as the runtime makes it under /run/knet-sandbox.d/<netns>/volumes/<name>:
 * an empty directory shared by the pod's containers, files written from the SPEC
 * (configMap, secret, downwardAPI, projected: `data` base64), or a host directory knet
 * itself owns (an ingress controller's nginx prefix; never from a user's manifest).
 */
export type VolumeSpec =
  | { readonly name: string; readonly kind: 'emptyDir' }
  | { readonly name: string; readonly kind: 'files'; readonly files: readonly { readonly path: string; readonly data: string; readonly mode: number }[] }
  | { readonly name: string; readonly kind: 'host'; readonly path: string };

/** A container's preStop hook, resolved (named ports to numbers, the host to the pod's address). */
export type PreStopHook =
  | { readonly kind: 'exec'; readonly argv: readonly string[] }
  | { readonly kind: 'http'; readonly scheme: 'HTTP' | 'HTTPS'; readonly host: string; readonly port: number; readonly path: string }
  | { readonly kind: 'sleep'; readonly ms: number };

/** The pod is being deleted: its containers stop (preStop, SIGTERM, SIGKILL after the grace period). */
export interface TerminatingSpec {
  readonly gracePeriodMs: number;
}

export interface PodSpec {
  /** `namespace/name`. */
  readonly ref: string;
  /** The pod's network namespace, a name under /run/netns (must start with `knet-`). */
  readonly netns: string;
  readonly hostname: string;
  readonly servers: readonly ServerSpec[];
  readonly commands: readonly CommandSpec[];
  /** /healthz answers 200 when true (the default), 503 when false. */
  readonly healthy: boolean;
  readonly probes: readonly ProbeSpec[];
  /** Where httpGet and tcpSocket probes (and httpGet preStop hooks) connect from (the node's namespace); null: none. */
  readonly probeFrom: string | null;
  readonly volumes: readonly VolumeSpec[];
  /** resources.limits summed over the pod's containers (null: unlimited). */
  readonly limits: { readonly memoryBytes: number | null; readonly cpuMilli: number | null };
  /** Host uid of the containers' root (default: uidBaseFor(cluster, ref)). */
  readonly uidBase: number | null;
  /** securityContext.fsGroup: group of the volume files, added to every container's groups. */
  readonly fsGroup: number | null;
  /** Per container, its preStop hook. */
  readonly preStop: readonly { readonly container: string; readonly hook: PreStopHook }[];
  /** Set once the pod is deleted; null while it runs. */
  readonly terminating: TerminatingSpec | null;
}

export interface BackoffSpec {
  /** First restart delay (kubelet: 10 s); doubles per crash. */
  readonly initialMs: number;
  /** Ceiling (kubelet: 5 min). */
  readonly maxMs: number;
  /** A container that ran this long without exiting starts again from initialMs (kubelet: 10 min). */
  readonly resetAfterMs: number;
}

export interface RuntimeSpec {
  readonly node: string;
  /** For pid records in /run/knet-<cluster>/pids; default: taken from a logDir under /run/knet-<cluster>/. */
  readonly cluster: string | null;
  readonly logDir: string;
  readonly pods: readonly PodSpec[];
  readonly backoff: BackoffSpec;
  /** SIGTERM to SIGKILL when a container is stopped. */
  readonly stopGraceMs: number;
  /** /dial's per-try timeout (agnhost: 5 s). */
  readonly dialTimeoutMs: number;
  /** Needed when a server has a DNS kind. */
  readonly dns: DnsDataSpec | null;
}

export const DEFAULT_BACKOFF: BackoffSpec = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export class SpecError extends Error {
  override name = 'SpecError';
}

/** Parses and checks a SPEC document; every problem is a SpecError naming the field. */
export function parseSpec(text: string): RuntimeSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SpecError(`SPEC is not JSON: ${(e as Error).message}`);
  }
  const o = obj(raw, 'SPEC');
  const node = str(o.node, 'node');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(node)) throw new SpecError(`node "${node}": letters, digits, '.', '_' and '-' only`);
  const logDir = str(o.logDir, 'logDir');
  if (!logDir.startsWith('/')) throw new SpecError(`logDir "${logDir}" must be absolute`);
  const cluster = o.cluster === undefined ? clusterFromPath(logDir) : str(o.cluster, 'cluster');
  const pods = arr(o.pods ?? [], 'pods').map((p, i) => parsePod(p, `pods[${i}]`));
  let dns: DnsDataSpec | null = null;
  if (o.dns !== undefined && o.dns !== null) {
    const d = obj(o.dns, 'dns');
    dns = { data: str(d.data, 'dns.data'), version: str(d.version, 'dns.version') };
    if (!dns.data.startsWith('/')) throw new SpecError(`dns.data "${dns.data}" must be absolute`);
  }
  const dnsServer = pods.find((p) => p.servers.some((x) => x.kind !== 'netexec'));
  if (dnsServer && !dns) throw new SpecError(`pods: "${dnsServer.ref}" serves DNS: the SPEC needs "dns": {"data": PATH, "version": V}`);
  const seen = new Set<string>();
  for (const p of pods) {
    if (seen.has(p.ref)) throw new SpecError(`pods: "${p.ref}" appears twice`);
    seen.add(p.ref);
  }
  const b = o.backoff === undefined ? {} : obj(o.backoff, 'backoff');
  const backoff: BackoffSpec = {
    initialMs: num(b.initialMs ?? DEFAULT_BACKOFF.initialMs, 'backoff.initialMs', 0),
    maxMs: num(b.maxMs ?? DEFAULT_BACKOFF.maxMs, 'backoff.maxMs', 0),
    resetAfterMs: num(b.resetAfterMs ?? DEFAULT_BACKOFF.resetAfterMs, 'backoff.resetAfterMs', 0),
  };
  return {
    node,
    cluster,
    logDir,
    pods,
    backoff,
    stopGraceMs: num(o.stopGraceMs ?? 2000, 'stopGraceMs', 0),
    dialTimeoutMs: num(o.dialTimeoutMs ?? 5000, 'dialTimeoutMs', 1),
    dns,
  };
}

function parsePod(raw: unknown, where: string): PodSpec {
  const o = obj(raw, where);
  const ref = str(o.ref, `${where}.ref`);
  if (!/^[^/\s]+\/[^/\s]+$/.test(ref)) throw new SpecError(`${where}.ref "${ref}" must be namespace/name`);
  const netns = str(o.netns, `${where}.netns`);
  // Safety: the runtime only ever enters namespaces knet made.
  if (!/^knet-[A-Za-z0-9_.-]+$/.test(netns)) throw new SpecError(`${where}.netns "${netns}" must be a knet-... namespace name`);
  const hostname = o.hostname === undefined ? ref.split('/')[1]! : str(o.hostname, `${where}.hostname`);
  const servers: ServerSpec[] = [];
  for (const [i, s] of arr(o.servers ?? [], `${where}.servers`).entries()) {
    const so = obj(s, `${where}.servers[${i}]`);
    const protocol = so.protocol === undefined ? 'TCP' : str(so.protocol, `${where}.servers[${i}].protocol`).toUpperCase();
    if (protocol !== 'TCP' && protocol !== 'UDP') throw new SpecError(`${where}.servers[${i}].protocol "${protocol}": TCP or UDP`);
    const port = num(so.port, `${where}.servers[${i}].port`, 1, 65535);
    const kind = so.kind === undefined ? 'netexec' : str(so.kind, `${where}.servers[${i}].kind`);
    if (!(SERVER_KINDS as readonly string[]).includes(kind)) throw new SpecError(`${where}.servers[${i}].kind "${kind}": ${SERVER_KINDS.join(', ')}`);
    const log = so.log === undefined || so.log === null ? null : str(so.log, `${where}.servers[${i}].log`);
    if (log !== null && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(log)) throw new SpecError(`${where}.servers[${i}].log "${log}": a container name`);
    const container = so.container === undefined ? '' : str(so.container, `${where}.servers[${i}].container`, true);
    if (!servers.some((x) => x.protocol === protocol && x.port === port)) servers.push({ protocol, port, kind: kind as ServerKind, log, container });
  }
  const names = new Set<string>();
  const commands = arr(o.commands ?? [], `${where}.commands`).map((c, i): CommandSpec => {
    const co = obj(c, `${where}.commands[${i}]`);
    const container = str(co.container, `${where}.commands[${i}].container`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(container)) throw new SpecError(`${where}.commands[${i}].container "${container}": a DNS label`);
    if (names.has(container)) throw new SpecError(`${where}.commands: container "${container}" appears twice`);
    names.add(container);
    const argv = arr(co.argv, `${where}.commands[${i}].argv`).map((a, j) => str(a, `${where}.commands[${i}].argv[${j}]`, true));
    if (argv.length === 0) throw new SpecError(`${where}.commands[${i}].argv is empty`);
    let env: Record<string, string> | undefined;
    if (co.env !== undefined) {
      env = {};
      for (const [k, v] of Object.entries(obj(co.env, `${where}.commands[${i}].env`))) env[k] = str(v, `${where}.commands[${i}].env.${k}`, true);
    }
    const w = `${where}.commands[${i}]`;
    const extra: { -readonly [K in keyof CommandSpec]?: CommandSpec[K] } = {};
    if (co.workingDir !== undefined) {
      extra.workingDir = str(co.workingDir, `${w}.workingDir`);
      if (!extra.workingDir.startsWith('/')) throw new SpecError(`${w}.workingDir "${extra.workingDir}" must be absolute`);
    }
    if (co.user !== undefined) {
      const u = obj(co.user, `${w}.user`);
      extra.user = {
        uid: num(u.uid ?? 0, `${w}.user.uid`, 0, 65_535), gid: num(u.gid ?? 0, `${w}.user.gid`, 0, 65_535),
        groups: arr(u.groups ?? [], `${w}.user.groups`).map((g, j) => num(g, `${w}.user.groups[${j}]`, 0, 65_535)),
      };
    }
    if (co.runAsNonRoot !== undefined) {
      if (typeof co.runAsNonRoot !== 'boolean') throw new SpecError(`${w}.runAsNonRoot must be true or false`);
      extra.runAsNonRoot = co.runAsNonRoot;
    }
    if (co.capabilities !== undefined) {
      const c = obj(co.capabilities, `${w}.capabilities`);
      const names = (v: unknown, f: string): string[] => arr(v ?? [], f).map((x, j) => {
        const n = str(x, `${f}[${j}]`);
        if (!/^[A-Za-z_]+$/.test(n)) throw new SpecError(`${f}[${j}] "${n}": a capability name such as NET_ADMIN`);
        return n;
      });
      extra.capabilities = { add: names(c.add, `${w}.capabilities.add`), drop: names(c.drop, `${w}.capabilities.drop`) };
    }
    if (co.mounts !== undefined) extra.mounts = arr(co.mounts, `${w}.mounts`).map((m, j) => parseMount(m, `${w}.mounts[${j}]`));
    if (co.error !== undefined) extra.error = str(co.error, `${w}.error`);
    if (co.unsandboxed !== undefined) {
      if (co.unsandboxed !== true || !ref.startsWith('knet_internet/')) throw new SpecError(`${w}.unsandboxed: only knet's internet pods (knet_internet/...) run outside a sandbox`);
      extra.unsandboxed = true;
    }
    return { container, argv, ...(env ? { env } : {}), ...extra };
  });
  const healthy = o.healthy === undefined ? true : o.healthy;
  if (typeof healthy !== 'boolean') throw new SpecError(`${where}.healthy must be true or false`);
  const probes = arr(o.probes ?? [], `${where}.probes`).map((p, i) => parseProbe(p, `${where}.probes[${i}]`));
  const probeFrom = o.probeFrom === undefined || o.probeFrom === null ? null : str(o.probeFrom, `${where}.probeFrom`);
  if (probeFrom !== null && !/^knet-[A-Za-z0-9_.-]+$/.test(probeFrom)) throw new SpecError(`${where}.probeFrom "${probeFrom}" must be a knet-... namespace name`);
  if (probeFrom === null && probes.some((p) => p.check.kind !== 'exec')) throw new SpecError(`${where}: httpGet and tcpSocket probes need "probeFrom" (the node's namespace)`);
  const volumes = arr(o.volumes ?? [], `${where}.volumes`).map((v, i) => parseVolume(v, `${where}.volumes[${i}]`));
  const vnames = new Set<string>();
  for (const v of volumes) {
    if (vnames.has(v.name)) throw new SpecError(`${where}.volumes: "${v.name}" appears twice`);
    vnames.add(v.name);
  }
  for (const [i, c] of commands.entries()) {
    for (const [j, m] of (c.mounts ?? []).entries()) {
      if (!vnames.has(m.volume)) throw new SpecError(`${where}.commands[${i}].mounts[${j}].volume "${m.volume}": no such volume in ${where}.volumes`);
    }
  }
  const l = o.limits === undefined || o.limits === null ? {} : obj(o.limits, `${where}.limits`);
  const limits = {
    memoryBytes: l.memoryBytes === undefined || l.memoryBytes === null ? null : num(l.memoryBytes, `${where}.limits.memoryBytes`, 4096),
    cpuMilli: l.cpuMilli === undefined || l.cpuMilli === null ? null : num(l.cpuMilli, `${where}.limits.cpuMilli`, 1),
  };
  const uidBase = o.uidBase === undefined || o.uidBase === null ? null : num(o.uidBase, `${where}.uidBase`, 65_536, 2 ** 32 - 65_537);
  const fsGroup = o.fsGroup === undefined || o.fsGroup === null ? null : num(o.fsGroup, `${where}.fsGroup`, 0, 65_535);
  const preStop = arr(o.preStop ?? [], `${where}.preStop`).map((h, i) => parsePreStop(h, `${where}.preStop[${i}]`));
  if (probeFrom === null && preStop.some((h) => h.hook.kind === 'http')) throw new SpecError(`${where}: httpGet preStop hooks need "probeFrom" (the node's namespace)`);
  let terminating: TerminatingSpec | null = null;
  if (o.terminating !== undefined && o.terminating !== null) {
    const t = obj(o.terminating, `${where}.terminating`);
    terminating = { gracePeriodMs: num(t.gracePeriodMs ?? 30_000, `${where}.terminating.gracePeriodMs`, 0) };
  }
  return { ref, netns, hostname, servers, commands, healthy, probes, probeFrom, volumes, limits, uidBase, fsGroup, preStop, terminating };
}

/** An absolute path without '.' or '..' segments (a mount target, a host volume). */
export const ABSOLUTE_CLEAN = /^\/(?!.*(?:^|\/)\.\.?(?:\/|$))[^\0]*$/;
/** A relative path without '..' (a subPath, a file in a volume). */
export const RELATIVE_CLEAN = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^\0]+$/;

function parseMount(raw: unknown, where: string): MountSpec {
  const o = obj(raw, where);
  const path = str(o.path, `${where}.path`);
  if (!ABSOLUTE_CLEAN.test(path)) throw new SpecError(`${where}.path "${path}" must be absolute, without '.' or '..'`);
  const readOnly = o.readOnly === undefined ? false : o.readOnly;
  if (typeof readOnly !== 'boolean') throw new SpecError(`${where}.readOnly must be true or false`);
  const subPath = o.subPath === undefined || o.subPath === '' ? undefined : str(o.subPath, `${where}.subPath`);
  if (subPath !== undefined && !RELATIVE_CLEAN.test(subPath)) throw new SpecError(`${where}.subPath "${subPath}" must be relative, without '..'`);
  return { volume: str(o.volume, `${where}.volume`), path, readOnly, ...(subPath ? { subPath } : {}) };
}

function parseVolume(raw: unknown, where: string): VolumeSpec {
  const o = obj(raw, where);
  const name = str(o.name, `${where}.name`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new SpecError(`${where}.name "${name}": a DNS label`);
  switch (o.kind) {
    case 'emptyDir':
      return { name, kind: 'emptyDir' };
    case 'files':
      return {
        name, kind: 'files',
        files: arr(o.files ?? [], `${where}.files`).map((f, i) => {
          const fo = obj(f, `${where}.files[${i}]`);
          const path = str(fo.path, `${where}.files[${i}].path`);
          if (!RELATIVE_CLEAN.test(path)) throw new SpecError(`${where}.files[${i}].path "${path}" must be relative, without '..'`);
          return { path, data: str(fo.data ?? '', `${where}.files[${i}].data`, true), mode: num(fo.mode ?? 0o644, `${where}.files[${i}].mode`, 0, 0o777) };
        }),
      };
    case 'host': {
      const path = str(o.path, `${where}.path`);
      if (!ABSOLUTE_CLEAN.test(path)) throw new SpecError(`${where}.path "${path}" must be absolute`);
      return { name, kind: 'host', path };
    }
    default:
      throw new SpecError(`${where}.kind ${JSON.stringify(o.kind)}: emptyDir, files or host`);
  }
}

function parsePreStop(raw: unknown, where: string): { container: string; hook: PreStopHook } {
  const o = obj(raw, where);
  const container = str(o.container, `${where}.container`);
  const h = obj(o.hook, `${where}.hook`);
  switch (h.kind) {
    case 'sleep':
      return { container, hook: { kind: 'sleep', ms: num(h.ms, `${where}.hook.ms`, 0) } };
    case 'exec': {
      const argv = arr(h.argv, `${where}.hook.argv`).map((a, j) => str(a, `${where}.hook.argv[${j}]`, true));
      if (argv.length === 0) throw new SpecError(`${where}.hook.argv is empty`);
      return { container, hook: { kind: 'exec', argv } };
    }
    case 'http': {
      const scheme = h.scheme === undefined ? 'HTTP' : str(h.scheme, `${where}.hook.scheme`);
      if (scheme !== 'HTTP' && scheme !== 'HTTPS') throw new SpecError(`${where}.hook.scheme "${scheme}": HTTP or HTTPS`);
      const path = h.path === undefined ? '/' : str(h.path, `${where}.hook.path`);
      return { container, hook: { kind: 'http', scheme, host: str(h.host, `${where}.hook.host`), port: num(h.port, `${where}.hook.port`, 1, 65535), path: path.startsWith('/') ? path : `/${path}` } };
    }
    default:
      throw new SpecError(`${where}.hook.kind ${JSON.stringify(h.kind)}: sleep, exec or http`);
  }
}

const PROBE_KINDS: readonly ProbeKind[] = ['startup', 'readiness', 'liveness'];

function parseProbe(raw: unknown, where: string): ProbeSpec {
  const o = obj(raw, where);
  const container = str(o.container, `${where}.container`);
  const probe = str(o.probe, `${where}.probe`);
  if (!(PROBE_KINDS as readonly string[]).includes(probe)) throw new SpecError(`${where}.probe "${probe}": ${PROBE_KINDS.join(', ')}`);
  const c = obj(o.check, `${where}.check`);
  let check: ProbeCheck;
  switch (c.kind) {
    case 'http': {
      const scheme = c.scheme === undefined ? 'HTTP' : str(c.scheme, `${where}.check.scheme`);
      if (scheme !== 'HTTP' && scheme !== 'HTTPS') throw new SpecError(`${where}.check.scheme "${scheme}": HTTP or HTTPS`);
      const path = c.path === undefined ? '/' : str(c.path, `${where}.check.path`);
      check = { kind: 'http', scheme, host: str(c.host, `${where}.check.host`), port: num(c.port, `${where}.check.port`, 1, 65535), path: path.startsWith('/') ? path : `/${path}` };
      break;
    }
    case 'tcp':
      check = { kind: 'tcp', host: str(c.host, `${where}.check.host`), port: num(c.port, `${where}.check.port`, 1, 65535) };
      break;
    case 'exec': {
      const argv = arr(c.argv, `${where}.check.argv`).map((a, j) => str(a, `${where}.check.argv[${j}]`, true));
      if (argv.length === 0) throw new SpecError(`${where}.check.argv is empty`);
      check = { kind: 'exec', argv };
      break;
    }
    default:
      throw new SpecError(`${where}.check.kind ${JSON.stringify(c.kind)}: http, tcp or exec`);
  }
  return {
    container,
    probe: probe as ProbeKind,
    check,
    initialDelayMs: num(o.initialDelayMs ?? 0, `${where}.initialDelayMs`, 0),
    periodMs: num(o.periodMs ?? 10_000, `${where}.periodMs`, 1),
    timeoutMs: num(o.timeoutMs ?? 1000, `${where}.timeoutMs`, 1),
    successThreshold: num(o.successThreshold ?? 1, `${where}.successThreshold`, 1),
    failureThreshold: num(o.failureThreshold ?? 3, `${where}.failureThreshold`, 1),
  };
}

/** `/run/knet-<cluster>/...` -> cluster. */
export function clusterFromPath(path: string): string | null {
  return /^\/run\/knet-([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\//.exec(`${path}/`)?.[1] ?? null;
}

/** `<logDir>/../runtime-<node>.json` */
export function statusPath(spec: Pick<RuntimeSpec, 'logDir' | 'node'>): string {
  return resolve(spec.logDir, '..', `runtime-${spec.node}.json`);
}

/** `<logDir>/../runtime-<node>.sock` */
export function controlPath(spec: Pick<RuntimeSpec, 'logDir' | 'node'>): string {
  return resolve(spec.logDir, '..', `runtime-${spec.node}.sock`);
}

/** `<logDir>/<ns>_<pod>_<container>.log`, as kubelet names container logs. */
export function logPath(logDir: string, ref: string, container: string): string {
  const [ns, name] = ref.split('/');
  return resolve(logDir, `${ns}_${name}_${container}.log`);
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SpecError(`${where} must be an object`);
  return v as Record<string, unknown>;
}

function arr(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new SpecError(`${where} must be an array`);
  return v;
}

function str(v: unknown, where: string, allowEmpty = false): string {
  if (typeof v !== 'string' || (!allowEmpty && v === '')) throw new SpecError(`${where} must be a${allowEmpty ? '' : ' non-empty'} string`);
  return v;
}

function num(v: unknown, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new SpecError(`${where} must be an integer in ${min}..${max}`);
  return v;
}
