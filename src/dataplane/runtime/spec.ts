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
  /** Added to the container's environment (PATH and HOSTNAME are always set). */
  readonly env?: Readonly<Record<string, string>>;
}

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
    return env ? { container, argv, env } : { container, argv };
  });
  const healthy = o.healthy === undefined ? true : o.healthy;
  if (typeof healthy !== 'boolean') throw new SpecError(`${where}.healthy must be true or false`);
  const probes = arr(o.probes ?? [], `${where}.probes`).map((p, i) => parseProbe(p, `${where}.probes[${i}]`));
  const probeFrom = o.probeFrom === undefined || o.probeFrom === null ? null : str(o.probeFrom, `${where}.probeFrom`);
  if (probeFrom !== null && !/^knet-[A-Za-z0-9_.-]+$/.test(probeFrom)) throw new SpecError(`${where}.probeFrom "${probeFrom}" must be a knet-... namespace name`);
  if (probeFrom === null && probes.some((p) => p.check.kind !== 'exec')) throw new SpecError(`${where}: httpGet and tcpSocket probes need "probeFrom" (the node's namespace)`);
  const preStop = arr(o.preStop ?? [], `${where}.preStop`).map((h, i) => parsePreStop(h, `${where}.preStop[${i}]`));
  if (probeFrom === null && preStop.some((h) => h.hook.kind === 'http')) throw new SpecError(`${where}: httpGet preStop hooks need "probeFrom" (the node's namespace)`);
  let terminating: TerminatingSpec | null = null;
  if (o.terminating !== undefined && o.terminating !== null) {
    const t = obj(o.terminating, `${where}.terminating`);
    terminating = { gracePeriodMs: num(t.gracePeriodMs ?? 30_000, `${where}.terminating.gracePeriodMs`, 0) };
  }
  return { ref, netns, hostname, servers, commands, healthy, probes, probeFrom, preStop, terminating };
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
