// The per-node pod runtime: one process serving every pod of a node. For each pod it opens
// the built-in netexec server on every declared port inside the pod's namespace, runs the
// containers that have a command, and keeps a health flag. reconcile(spec) moves from what
// runs to what the SPEC says, touching only what changed; the control socket and a status
// file tell the rest of knet what is running.
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { DnsDataSource } from '../dns/data-source.js';
import { openDnsPodServer } from '../dns/pod-server.js';
import { PodCgroup } from './cgroup.js';
import { Container, type ContainerStatus } from './containers.js';
import type { ExecTarget } from './probe-checks.js';
import { containerPlan, preparePodDir, removePodDir } from './pod-sandbox.js';
import { uidBaseFor } from './sandbox.js';
import { stopContainers, type StoppingContainer } from './lifecycle.js';
import { NetnsSwitch, SyscallError, type Protocol } from './netns.js';
import { openPodServer, type PodContext, type PodServer } from './netexec.js';
import { perPodLimit, processFdLimit } from './conn-limit.js';

/** Each pod's share of this process's file descriptors, for its built-in servers' connections. */
const CONNECTIONS_PER_POD = perPodLimit(processFdLimit());
import { PodProber, type ContainerProbeStatus } from './prober.js';
import { controlPath, logPath, statusPath, type PodSpec, type RuntimeSpec, type ServerKind } from './spec.js';

export interface ServerStatus {
  readonly protocol: Protocol;
  readonly port: number;
  /** Absent for the netexec responder. */
  readonly kind?: ServerKind;
  readonly state: 'listening' | 'error';
  /** e.g. 'EADDRINUSE', or 'ENOENT' when the pod's namespace does not exist. */
  readonly error?: string;
}

export interface PodStatus {
  readonly netns: string;
  readonly hostname: string;
  readonly healthy: boolean;
  readonly servers: readonly ServerStatus[];
  readonly containers: readonly ContainerStatus[];
  /** The pod's Ready condition: every server listens, every command runs, every readiness probe passes. */
  readonly ready: boolean;
  /** Restarts of its containers (crashes and failed liveness or startup probes). */
  readonly restarts: number;
  readonly probes: readonly ContainerProbeStatus[];
  /** The latest probe events, newest last ("Readiness probe failed: ..."). */
  readonly events: readonly string[];
  /** A deleted pod: its containers are stopping, or all gone. */
  readonly termination?: 'stopping' | 'terminated';
}

/** What the daemon watches: per pod, Ready and the restart count; `terminated` once a deleted pod's containers are all gone. */
export type Readiness = Record<string, {
  readonly ready: boolean; readonly restarts: number; readonly terminated?: boolean;
  /** Failed probe checks so far, by `container/probe` (readiness, liveness, startup), with the latest one's output. */
  readonly failed?: Readonly<Record<string, { readonly count: number; readonly output: string }>>;
}>;

export interface RuntimeStatus {
  readonly node: string;
  readonly pid: number;
  /** How many SPECs have been applied. */
  readonly generation: number;
  /** Every declared server is listening. */
  readonly ready: boolean;
  readonly pods: Readonly<Record<string, PodStatus>>;
}

export interface Failure {
  readonly pod: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly error: string;
}

interface ServerSlot {
  readonly protocol: Protocol;
  readonly port: number;
  readonly kind: ServerKind;
  readonly log: string | null;
  readonly container: string;
  server: PodServer | null;
  error: string | null;
}

interface RunningPod {
  readonly ctx: PodContext;
  /** The SPEC's last word on health: a reload changes the flag only when this changes. */
  specHealthy: boolean;
  readonly servers: Map<string, ServerSlot>;
  readonly containers: Map<string, Container>;
  prober: PodProber | null;
  /** Restarts of built-in containers (their servers reopened) by failed probes. */
  readonly builtinRestarts: Map<string, number>;
  readonly events: string[];
  /** The pod's cgroup (null without a cluster name, as in some tests). */
  readonly cgroup: PodCgroup;
  uidBase: number;
  spec: PodSpec;
  /** The pod has had processes (commands, exec probes): its cgroup and directory exist. */
  launched: boolean;
  /** Deleted: 'stopping' while its containers stop (lifecycle.ts), then 'terminated'. */
  termination: 'stopping' | 'terminated' | null;
}

const launches = (p: PodSpec): boolean => p.commands.length > 0 || p.probes.some((pr) => pr.check.kind === 'exec');

const EVENTS_KEPT = 20;

const key = (protocol: Protocol, port: number): string => `${protocol}/${port}`;

export class Runtime {
  private readonly sockets = new NetnsSwitch();
  private readonly pods = new Map<string, RunningPod>();
  private spec: RuntimeSpec | null = null;
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private statusTimer: NodeJS.Timeout | null = null;
  private control: net.Server | null = null;
  private readonly watchers = new Set<net.Socket>();
  private lastReadiness = '';
  private readinessTimer: NodeJS.Immediate | null = null;
  private stopping = false;
  /** The DNS servers' data (SPEC `dns`), shared by every DNS server of this runtime. */
  private dnsData: DnsDataSource | null = null;

  /** Applies a SPEC; calls are serialized. Resolves to the servers that could not listen. */
  reconcile(spec: RuntimeSpec): Promise<Failure[]> {
    const run = this.queue.then(() => this.apply(spec));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(spec: RuntimeSpec): Promise<Failure[]> {
    if (this.stopping) return [];
    if (this.spec && (spec.node !== this.spec.node || spec.logDir !== this.spec.logDir)) {
      throw new Error('reload cannot change node or logDir');
    }
    this.spec = spec;
    mkdirSync(spec.logDir, { recursive: true });
    this.loadDnsData(spec);
    const wanted = new Map(spec.pods.map((p) => [p.ref, p]));
    const work: Promise<unknown>[] = [];
    for (const [ref, pod] of this.pods) {
      const w = wanted.get(ref);
      // A pod recreated under the same name has a new namespace: nothing carries over.
      if (!w || w.netns !== pod.ctx.netns) {
        this.pods.delete(ref);
        work.push(stopPod(pod));
      }
    }
    this.readinessChanged();
    await Promise.all(work);
    work.length = 0;
    // A pod that started stopping never comes back, whatever a later SPEC says.
    for (const p of spec.pods) work.push(p.terminating || this.pods.get(p.ref)?.termination ? this.terminate(spec, p) : this.applyPod(spec, p));
    await Promise.all(work);
    this.generation++;
    this.writeStatusSoon(0);
    this.readinessChanged();
    return this.failures();
  }

  private async applyPod(spec: RuntimeSpec, p: PodSpec): Promise<void> {
    let pod = this.pods.get(p.ref);
    const uidBase = p.uidBase ?? uidBaseFor(spec.cluster ?? 'none', p.ref);
    if (!pod) {
      pod = {
        ctx: { ref: p.ref, netns: p.netns, hostname: p.hostname, healthy: p.healthy }, specHealthy: p.healthy,
        servers: new Map(), containers: new Map(), prober: null, builtinRestarts: new Map(), events: [], termination: null,
        cgroup: new PodCgroup(spec.cluster ?? 'none', p.ref.replace('/', '_')), uidBase, spec: p, launched: false,
      };
      this.pods.set(p.ref, pod);
    }
    if (launches(p) && !pod.launched) {
      pod.launched = true;
      // A runtime that crashed left this pod's processes behind (in its cgroup): they go
      // before anything starts again, so nothing runs twice.
      const leftovers = await pod.cgroup.killAll();
      if (leftovers.length > 0) this.event(pod, `Killed ${leftovers.length} process(es) a previous runtime left in the pod's cgroup`);
    }
    pod.spec = p;
    pod.uidBase = uidBase;
    if (pod.launched) {
      for (const problem of pod.cgroup.create(p.limits)) this.event(pod, `cgroup: ${problem}`);
      try {
        preparePodDir(p, uidBase);
      } catch (e) {
        this.event(pod, `cannot prepare the pod's volumes: ${(e as Error).message}`);
      }
    }
    pod.ctx.hostname = p.hostname;
    pod.ctx.probePaths = new Set(p.probes.flatMap((pr) => (pr.check.kind === 'http' ? [pr.check.path.split('?')[0]!] : [])));
    if (p.healthy !== pod.specHealthy) {
      pod.specHealthy = p.healthy;
      pod.ctx.healthy = p.healthy;
    }

    const work: Promise<unknown>[] = [];
    const wantServers = new Set(p.servers.map((s) => key(s.protocol, s.port)));
    for (const [k, slot] of pod.servers) {
      if (!wantServers.has(k)) {
        pod.servers.delete(k);
        if (slot.server) work.push(slot.server.close());
      }
    }
    for (const s of p.servers) {
      const k = key(s.protocol, s.port);
      let slot = pod.servers.get(k);
      if (slot && (slot.kind !== s.kind || slot.log !== s.log || slot.container !== s.container)) {
        // Another kind of server on the same port: the old one goes first.
        pod.servers.delete(k);
        if (slot.server) await slot.server.close();
        slot = undefined;
      }
      if (slot?.server) continue;
      if (!slot) {
        slot = { protocol: s.protocol, port: s.port, kind: s.kind, log: s.log, container: s.container, server: null, error: null };
        pod.servers.set(k, slot);
      }
      work.push(this.open(pod, slot));
    }

    const wantContainers = new Map(p.commands.map((c) => [c.container, c]));
    for (const [name, c] of pod.containers) {
      const w = wantContainers.get(name);
      if (!w || !c.sameAs(w)) {
        pod.containers.delete(name);
        work.push(c.stop());
      }
    }
    await Promise.all(work);
    for (const c of p.commands) {
      if (pod.containers.has(c.container)) continue;
      const running = pod;
      const container = new Container(c, {
        sandbox: () => containerPlan({ pod: running.spec, uidBase: running.uidBase, cgroupProcs: running.cgroup.procsFiles() }, c),
        cgroupProcs: () => running.cgroup.procsFiles(),
        ref: p.ref,
        netns: p.netns,
        hostname: p.hostname,
        logDir: spec.logDir,
        cluster: spec.cluster,
        backoff: spec.backoff,
        stopGraceMs: spec.stopGraceMs,
        // A container that exits or starts moves its pod's Ready and restarts: the watchers hear it.
        onChange: () => {
          this.writeStatusSoon();
          this.readinessChanged();
        },
      });
      pod.containers.set(c.container, container);
      container.start();
    }
    if (!pod.prober || !pod.prober.sameAs(p.probes)) {
      pod.prober?.stop();
      pod.prober = p.probes.length === 0 ? null : this.makeProber(pod, p);
      pod.prober?.start();
      this.readinessChanged();
    }
  }

  /** Where an exec (probe or preStop hook) runs: inside the container's sandbox. */
  private execTargetOf(running: RunningPod): (container: string) => ExecTarget {
    return (container: string): ExecTarget => {
      const c = running.containers.get(container);
      if (c) {
        const t = c.execTarget();
        return t ? { kind: 'running', ...t } : { kind: 'none', reason: `container ${container} is not running` };
      }
      // A container knet serves itself: a fresh sandbox of the pod's, as root.
      const plan = containerPlan({ pod: running.spec, uidBase: running.uidBase, cgroupProcs: running.cgroup.procsFiles() }, { container, argv: ['true'] });
      return plan.kind === 'ok' ? { kind: 'fresh', plan: plan.plan } : { kind: 'none', reason: plan.reason };
    };
  }

  private makeProber(pod: RunningPod, p: PodSpec): PodProber {
    const running = pod;
    const execTarget = this.execTargetOf(pod);
    return new PodProber(p.probes, { sockets: this.sockets, from: p.probeFrom ?? p.netns, podNetns: p.netns, execTarget }, {
      running: (container) => {
        const c = running.containers.get(container);
        return c ? c.status().state === 'running' : true;
      },
      runningForMs: (container) => running.containers.get(container)?.runningForMs() ?? Infinity,
      // A terminating pod's probes keep running (its readiness is its endpoint's `serving`), but a
      // failed liveness probe no longer restarts anything: the pod is being stopped.
      restart: (container) => (running.termination ? Promise.resolve() : this.restartContainer(running, container)),
      changed: () => {
        this.writeStatusSoon();
        this.readinessChanged();
      },
      event: (line) => this.event(running, line),
    });
  }

  private event(pod: RunningPod, line: string): void {
    pod.events.push(`${new Date().toISOString()} ${line}`);
    if (pod.events.length > EVENTS_KEPT) pod.events.splice(0, pod.events.length - EVENTS_KEPT);
  }

  /**
   * A deleted pod (its SPEC says `terminating`): every container stops as the kubelet stops it
   * (lifecycle.ts), in the background; the pod is reported `terminated` when all are gone and
   * stays so until the SPEC drops it. A pod this runtime never ran is terminated at once.
   */
  private async terminate(spec: RuntimeSpec, p: PodSpec): Promise<void> {
    const known = this.pods.get(p.ref);
    if (known?.termination) return;
    if (!known) {
      this.pods.set(p.ref, {
        ctx: { ref: p.ref, netns: p.netns, hostname: p.hostname, healthy: p.healthy }, specHealthy: p.healthy, servers: new Map(),
        containers: new Map(), prober: null, builtinRestarts: new Map(), events: [], termination: 'terminated',
        cgroup: new PodCgroup(spec.cluster ?? 'none', p.ref.replace('/', '_')), uidBase: p.uidBase ?? uidBaseFor(spec.cluster ?? 'none', p.ref), spec: p, launched: false,
      });
      return;
    }
    const pod = known;
    pod.termination = 'stopping';
    const hooks = new Map(p.preStop.map((h) => [h.container, h.hook]));
    const names = new Set([...pod.containers.keys(), ...[...pod.servers.values()].map((s) => s.container), ...hooks.keys()]);
    const containers = [...names].map((name): StoppingContainer => {
      const command = pod.containers.get(name);
      const slots = [...pod.servers.values()].filter((s) => s.container === name);
      return {
        name, preStop: hooks.get(name) ?? null,
        term: command ? () => command.terminate() : () => Promise.all(slots.map(async (slot) => {
          const server = slot.server;
          slot.server = null;
          slot.error = 'terminated';
          await (server?.drain ? server.drain() : server?.close());
        })).then(() => undefined),
        kill: command ? () => command.forceKill() : () => undefined,
      };
    });
    void stopContainers(containers, {
      gracePeriodMs: p.terminating!.gracePeriodMs,
      hooks: { sockets: this.sockets, from: p.probeFrom ?? p.netns, podNetns: p.netns, execTarget: this.execTargetOf(pod) },
      event: (line) => this.event(pod, line),
      terminated: () => {
        this.writeStatusSoon();
        this.readinessChanged();
      },
    }).then(async () => {
      pod.prober?.stop();
      // What a kill leaves (the built-in server's last connections) goes with the pod.
      await Promise.all([...pod.servers.values()].map(async (slot) => {
        const server = slot.server;
        slot.server = null;
        await server?.close();
      }));
      pod.termination = 'terminated';
      this.event(pod, 'Killing: every container stopped');
      this.writeStatusSoon();
      this.readinessChanged();
    });
  }

  /**
   * A failed liveness or startup probe: a command is killed (and comes back after its
   * back-off, as the kubelet restarts it); the built-in responder's servers are closed and
   * opened again, and the new process is healthy (its /healthz flag is the SPEC's again).
   */
  private async restartContainer(pod: RunningPod, container: string): Promise<void> {
    const command = pod.containers.get(container);
    if (command) {
      await command.kill();
      return;
    }
    pod.builtinRestarts.set(container, (pod.builtinRestarts.get(container) ?? 0) + 1);
    const mine = [...pod.servers.values()].filter((s) => s.container === container || s.container === '');
    await Promise.all(mine.map(async (slot) => {
      const server = slot.server;
      slot.server = null;
      await server?.close();
    }));
    pod.ctx.healthy = pod.specHealthy;
    await Promise.all(mine.map((slot) => this.open(pod, slot)));
    this.writeStatusSoon();
  }

  private podReady(pod: RunningPod): boolean {
    for (const s of pod.servers.values()) if (!s.server) return false;
    for (const c of pod.containers.values()) if (c.status().state !== 'running') return false;
    return pod.prober ? pod.prober.ready() : true;
  }

  private podRestarts(pod: RunningPod): number {
    let n = 0;
    for (const c of pod.containers.values()) n += c.status().restarts;
    for (const r of pod.builtinRestarts.values()) n += r;
    return n;
  }

  /** A pod's failed probe checks, for the kubelet's Unhealthy events (nothing when none failed). */
  private probeFailures(pod: RunningPod): { failed?: Record<string, { count: number; output: string }> } {
    const failed: Record<string, { count: number; output: string }> = {};
    for (const c of pod.prober?.status() ?? []) {
      for (const p of c.probes) if (p.failures > 0) failed[`${c.name}/${p.probe}`] = { count: p.failures, output: p.lastFailure };
    }
    return Object.keys(failed).length > 0 ? { failed } : {};
  }

  /** Per pod, Ready and restarts: what `watch` sends. */
  readiness(): Readiness {
    const out: Record<string, Readiness[string]> = {};
    for (const [ref, pod] of this.pods) {
      out[ref] = pod.termination === 'terminated'
        ? { ready: false, restarts: this.podRestarts(pod), terminated: true }
        : { ready: this.podReady(pod), restarts: this.podRestarts(pod), ...this.probeFailures(pod) };
    }
    return out;
  }

  /** Tells the watchers (the daemon) when some pod's Ready or restarts moved; coalesced per tick. */
  private readinessChanged(): void {
    if (this.readinessTimer || this.watchers.size === 0) return;
    this.readinessTimer = setImmediate(() => {
      this.readinessTimer = null;
      const line = JSON.stringify({ readiness: this.readiness() });
      if (line === this.lastReadiness) return;
      this.lastReadiness = line;
      for (const w of this.watchers) w.write(`${line}\n`);
    });
  }

  /** Loads the DNS data the SPEC names (a new version only); a file that fails keeps the old data. */
  private loadDnsData(spec: RuntimeSpec): void {
    if (!spec.dns) return;
    if (!this.dnsData || this.dnsData.path !== spec.dns.data) this.dnsData = new DnsDataSource(spec.dns.data);
    try {
      this.dnsData.refresh(spec.dns.version);
    } catch (e) {
      process.stderr.write(`knet runtime: DNS data ${spec.dns.data}: ${(e as Error).message}\n`);
    }
  }

  private async open(pod: RunningPod, slot: ServerSlot): Promise<void> {
    try {
      const spec = this.spec!;
      slot.server = slot.kind === 'netexec'
        ? await openPodServer(pod.ctx, slot.protocol, slot.port, { sockets: this.sockets, dialTimeoutMs: spec.dialTimeoutMs, connectionsPerPod: CONNECTIONS_PER_POD })
        : await openDnsPodServer(pod.ctx, slot.kind, slot.protocol, slot.port, {
          sockets: this.sockets,
          data: this.dnsData!,
          logFile: slot.log === null ? null : logPath(spec.logDir, pod.ctx.ref, slot.log),
        });
      slot.error = null;
    } catch (e) {
      slot.server = null;
      slot.error = e instanceof SyscallError ? (e.code === 'ENOENT' && e.syscall === 'open' ? `ENOENT: no namespace ${pod.ctx.netns}` : e.code) : (e as Error).message;
    }
  }

  failures(): Failure[] {
    const out: Failure[] = [];
    for (const [ref, pod] of this.pods) {
      if (pod.termination) continue; // a deleted pod's servers are meant to be closed
      for (const s of pod.servers.values()) if (s.error !== null) out.push({ pod: ref, protocol: s.protocol, port: s.port, error: s.error });
    }
    return out;
  }

  /** Marks a pod healthy or not (its /healthz); false if the runtime has no such pod. */
  setHealthy(ref: string, healthy: boolean): boolean {
    const pod = this.pods.get(ref);
    if (!pod) return false;
    pod.ctx.healthy = healthy;
    this.writeStatusSoon();
    return true;
  }

  status(): RuntimeStatus {
    const pods: Record<string, PodStatus> = {};
    let ready = true;
    for (const [ref, pod] of this.pods) {
      const servers = [...pod.servers.values()].map((s): ServerStatus => {
        const kind = s.kind === 'netexec' ? {} : { kind: s.kind };
        if (s.server) return { protocol: s.protocol, port: s.port, ...kind, state: 'listening' };
        if (!pod.termination) ready = false;
        return { protocol: s.protocol, port: s.port, ...kind, state: 'error', error: s.error ?? 'not open' };
      });
      pods[ref] = {
        netns: pod.ctx.netns,
        hostname: pod.ctx.hostname,
        healthy: pod.ctx.healthy,
        servers,
        containers: [...pod.containers.values()].map((c) => c.status()),
        ready: this.podReady(pod),
        restarts: this.podRestarts(pod),
        probes: pod.prober?.status() ?? [],
        events: [...pod.events],
        ...(pod.termination ? { termination: pod.termination } : {}),
      };
    }
    return { node: this.spec?.node ?? '', pid: process.pid, generation: this.generation, ready, pods };
  }

  /** Writes <logDir>/../runtime-<node>.json (atomically), soon: changes come in bursts. */
  private writeStatusSoon(delayMs = 50): void {
    if (!this.spec || this.stopping) return;
    if (this.statusTimer) {
      if (delayMs > 0) return;
      clearTimeout(this.statusTimer);
    }
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      this.writeStatus();
    }, delayMs);
  }

  writeStatus(): void {
    if (!this.spec) return;
    const path = statusPath(this.spec);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(this.status(), null, 1)}\n`);
      renameSync(tmp, path);
    } catch (e) {
      process.stderr.write(`knet runtime: cannot write ${path}: ${(e as Error).message}\n`);
    }
  }

  /**
   * The control socket: <logDir>/../runtime-<node>.sock, mode 0600, one JSON request per
   * line, one JSON answer per line. `reload` is given the function that re-reads the SPEC.
   */
  async listenControl(spec: RuntimeSpec, reload: () => Promise<{ ok: boolean; [k: string]: unknown }>): Promise<string> {
    const path = controlPath(spec);
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true });
    const server = net.createServer((conn) => {
      conn.on('error', () => undefined);
      const lines = createInterface({ input: conn, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        if (line.trim() === '{"op":"watch"}') {
          // Stays open: the readiness now, then a line whenever it moves.
          this.watchers.add(conn);
          conn.on('close', () => this.watchers.delete(conn));
          conn.write(`${JSON.stringify({ ok: true, readiness: this.readiness() })}\n`);
          return;
        }
        this.handleControl(line, reload).then(
          (answer) => conn.write(`${JSON.stringify(answer)}\n`),
          (e: unknown) => conn.write(`${JSON.stringify({ ok: false, error: (e as Error).message })}\n`),
        );
      });
    });
    // The socket file is created by listen(): no moment where others may connect.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
    }
    chmodSync(path, 0o600);
    this.control = server;
    return path;
  }

  private async handleControl(line: string, reload: () => Promise<{ ok: boolean }>): Promise<Record<string, unknown>> {
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return { ok: false, error: 'not JSON' };
    }
    switch (req.op) {
      case 'status':
        return { ok: true, status: this.status() };
      case 'set-healthy': {
        if (typeof req.pod !== 'string' || typeof req.healthy !== 'boolean') return { ok: false, error: 'set-healthy needs "pod" (ns/name) and "healthy" (boolean)' };
        if (!this.setHealthy(req.pod, req.healthy)) return { ok: false, error: `no pod ${req.pod} on this node` };
        this.readinessChanged();
        return { ok: true };
      }
      case 'reload':
        return reload();
      default:
        return { ok: false, error: `unknown op ${JSON.stringify(req.op)}; ops: status, set-healthy, reload, watch` };
    }
  }

  /** Closes every server, stops every container, removes the control socket. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    const pods = [...this.pods.values()];
    this.pods.clear();
    for (const w of this.watchers) w.destroy();
    this.watchers.clear();
    await Promise.all(pods.map(stopPod));
    if (this.control) {
      this.control.close();
      if (this.spec) rmSync(controlPath(this.spec), { force: true });
    }
    if (this.spec) {
      this.stopping = false;
      this.writeStatus();
      this.stopping = true;
    }
  }
}

/** Closes the pod's servers, stops its containers, kills whatever is left in its cgroup, removes its files. */
async function stopPod(pod: RunningPod): Promise<void> {
  pod.prober?.stop();
  await Promise.all([
    ...[...pod.servers.values()].map((s) => s.server?.close()),
    ...[...pod.containers.values()].map((c) => c.stop()),
  ]);
  if (!pod.launched) return;
  await pod.cgroup.remove();
  removePodDir(pod.ctx.netns);
}
