// The kubelet's prober for one pod: a worker per probe of each container, checking after
// initialDelaySeconds and then every periodSeconds (each check bounded by timeoutSeconds),
// folding outcomes with probe-state.ts. Readiness results make the pod Ready or not; a
// liveness or startup probe that fails its threshold restarts the container, and the new
// container's probes start over from their initial delay.
import { runCheck, type CheckContext, type CheckOutcome } from './probe-checks.js';
import {
  initialTracks, isReady, isStarted, observe, shouldProbe,
  type ContainerTracks, type ProbeKind, type ProbeTrack,
} from './probe-state.js';
import type { ProbeSpec } from './spec.js';

export interface ProbeHooks {
  /** Restarts the container (its servers or its command); resolves once it runs again. */
  restart(container: string, reason: string): Promise<void>;
  /** Readiness or started changed, or a probe's result moved. */
  changed(): void;
  /** A line for the kubelet-like event log ("Readiness probe failed: ..."). */
  event(line: string): void;
  /** Whether the container runs now (a command in back-off does not). */
  running(container: string): boolean;
  /** How long it has run (Infinity for the built-in responder, which listens before it counts as started). */
  runningForMs?(container: string): number;
}

/**
 * A command counts as started once it has run this long: the time a container runtime takes
 * from starting the process to reporting it running, in which a server binds its port.
 */
export const START_GRACE_MS = 250;

export interface ProbeStatus {
  readonly probe: ProbeKind;
  readonly result: string;
  /** The last failed check's words, '' after a success. */
  readonly message: string;
  /** Failed checks since the pod started (each one a kubelet `Unhealthy` event). */
  readonly failures: number;
  /** The latest failed check's words. */
  readonly lastFailure: string;
}

export interface ContainerProbeStatus {
  readonly name: string;
  readonly started: boolean;
  readonly ready: boolean;
  /** Restarts made by failed liveness or startup probes. */
  readonly restarts: number;
  readonly probes: readonly ProbeStatus[];
}

interface ContainerState {
  tracks: ContainerTracks;
  /** Bumped on every restart: workers of an older generation stop. */
  generation: number;
  restarts: number;
  restarting: boolean;
  messages: Map<ProbeKind, string>;
  /** Failed checks per probe, and the latest one's words: what the kubelet's Unhealthy events say. */
  readonly failed: Map<ProbeKind, { count: number; output: string }>;
  readonly probes: readonly ProbeSpec[];
}

const PROBE_LABEL: Record<ProbeKind, string> = { startup: 'Startup', readiness: 'Readiness', liveness: 'Liveness' };

export class PodProber {
  private readonly containers = new Map<string, ContainerState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly probes: readonly ProbeSpec[],
    private readonly ctx: CheckContext,
    private readonly hooks: ProbeHooks,
    private readonly check: (p: ProbeSpec, ctx: CheckContext) => Promise<CheckOutcome> = (p, c) => runCheck(p.check, c, p.timeoutMs, p.container),
  ) {
    for (const p of probes) {
      let c = this.containers.get(p.container);
      if (!c) {
        c = { tracks: initialTracks({ startup: false, readiness: false, liveness: false }), generation: 0, restarts: 0, restarting: false, messages: new Map(), failed: new Map(), probes: [] };
        this.containers.set(p.container, c);
      }
      (c.probes as ProbeSpec[]).push(p);
    }
    for (const c of this.containers.values()) c.tracks = tracksFor(c.probes);
  }

  /** Same probes as a SPEC's: a reload leaves the prober (and its counts) alone. */
  sameAs(probes: readonly ProbeSpec[]): boolean {
    return JSON.stringify(probes) === JSON.stringify(this.probes);
  }

  start(): void {
    for (const [name, c] of this.containers) this.startWorkers(name, c);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Every probed container is Ready (containers without probes are the runtime's to judge). */
  ready(): boolean {
    for (const [name, c] of this.containers) if (!isReady(c.tracks, !c.restarting && this.hooks.running(name))) return false;
    return true;
  }

  status(): ContainerProbeStatus[] {
    return [...this.containers].map(([name, c]) => ({
      name,
      started: isStarted(c.tracks),
      ready: isReady(c.tracks, !c.restarting && this.hooks.running(name)),
      restarts: c.restarts,
      probes: (['startup', 'readiness', 'liveness'] as const).flatMap((kind) => {
        const t = c.tracks[kind];
        const failed = c.failed.get(kind);
        return t ? [{ probe: kind, result: t.result, message: c.messages.get(kind) ?? '', failures: failed?.count ?? 0, lastFailure: failed?.output ?? '' }] : [];
      }),
    }));
  }

  private startWorkers(name: string, c: ContainerState): void {
    const generation = c.generation;
    for (const p of c.probes) this.after(p.initialDelayMs, () => this.tick(name, c, p, generation));
  }

  private after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async tick(name: string, c: ContainerState, p: ProbeSpec, generation: number): Promise<void> {
    if (this.stopped || c.generation !== generation) return;
    if (c.restarting || !this.hooks.running(name)) {
      // Probing starts when the container does.
      this.after(Math.min(p.periodMs, 100), () => void this.tick(name, c, p, generation));
      return;
    }
    const age = this.hooks.runningForMs?.(name) ?? Infinity;
    if (age < START_GRACE_MS) {
      this.after(START_GRACE_MS - age, () => void this.tick(name, c, p, generation));
      return;
    }
    if (!shouldProbe(p.probe, c.tracks)) {
      this.after(p.periodMs, () => void this.tick(name, c, p, generation));
      return;
    }
    const outcome = await this.check(p, this.ctx).catch((e: unknown): CheckOutcome => ({ ok: false, message: (e as Error).message }));
    if (this.stopped || c.generation !== generation) return;
    const track = c.tracks[p.probe] as ProbeTrack;
    const seen = observe(p.probe, track, outcome.ok, p);
    c.tracks = { ...c.tracks, [p.probe]: seen.track };
    const before = c.messages.get(p.probe) ?? '';
    c.messages.set(p.probe, outcome.message);
    if (!outcome.ok) {
      this.hooks.event(`${PROBE_LABEL[p.probe]} probe failed: ${outcome.message}`);
      c.failed.set(p.probe, { count: (c.failed.get(p.probe)?.count ?? 0) + 1, output: outcome.message });
    }
    if (seen.restart) {
      await this.restart(name, c, `Container ${name} failed ${p.probe} probe, will be restarted`);
      return;
    }
    // Every failed check is reported (the kubelet records an event for each).
    if (seen.changed || before !== outcome.message || !outcome.ok) this.hooks.changed();
    this.after(p.periodMs, () => void this.tick(name, c, p, generation));
  }

  private async restart(name: string, c: ContainerState, reason: string): Promise<void> {
    c.generation++;
    c.restarts++;
    c.restarting = true;
    c.tracks = tracksFor(c.probes);
    this.hooks.event(reason);
    this.hooks.changed();
    try {
      await this.hooks.restart(name, reason);
    } catch (e) {
      this.hooks.event(`restarting ${name} failed: ${(e as Error).message}`);
    }
    c.restarting = false;
    if (this.stopped) return;
    this.hooks.changed();
    this.startWorkers(name, c);
  }
}

function tracksFor(probes: readonly ProbeSpec[]): ContainerTracks {
  return initialTracks({
    startup: probes.some((p) => p.probe === 'startup'),
    readiness: probes.some((p) => p.probe === 'readiness'),
    liveness: probes.some((p) => p.probe === 'liveness'),
  });
}
