// The kubelet's probe bookkeeping, as pure functions (k8s.io/kubernetes pkg/kubelet/prober):
// each probe of a container keeps its last result and how many checks in a row agreed with
// the latest outcome; a result changes only when failureThreshold failures (or
// successThreshold successes) come in a row. Readiness starts as Failure, liveness as
// Success, startup as Unknown; until the startup probe has succeeded the other two do not
// run. A liveness or startup probe that reaches Failure asks for the container to be
// restarted, and a restarted container starts its probes over.

export type ProbeKind = 'startup' | 'readiness' | 'liveness';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface Thresholds {
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export interface ProbeTrack {
  readonly result: ProbeResult;
  /** The latest check's outcome, null before the first. */
  readonly last: boolean | null;
  /** How many checks in a row had that outcome. */
  readonly run: number;
}

export function initialTrack(kind: ProbeKind): ProbeTrack {
  return { result: kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown', last: null, run: 0 };
}

export interface Observed {
  readonly track: ProbeTrack;
  /** The result moved (e.g. readiness success -> failure). */
  readonly changed: boolean;
  /** A liveness or startup probe reached Failure: the kubelet kills the container. */
  readonly restart: boolean;
}

/** One check's outcome folded into the probe's track. */
export function observe(kind: ProbeKind, track: ProbeTrack, ok: boolean, t: Thresholds): Observed {
  const run = track.last === ok ? track.run + 1 : 1;
  const needed = ok ? t.successThreshold : t.failureThreshold;
  if (run < needed) return { track: { ...track, last: ok, run }, changed: false, restart: false };
  const result: ProbeResult = ok ? 'success' : 'failure';
  const changed = result !== track.result;
  const restart = !ok && kind !== 'readiness';
  // After a kill the kubelet starts counting again for the new container.
  return { track: restart ? initialTrack(kind) : { result, last: ok, run }, changed, restart };
}

export interface ContainerProbes {
  readonly startup: boolean;
  readonly readiness: boolean;
  readonly liveness: boolean;
}

export interface ContainerTracks {
  readonly startup: ProbeTrack | null;
  readonly readiness: ProbeTrack | null;
  readonly liveness: ProbeTrack | null;
}

export function initialTracks(has: ContainerProbes): ContainerTracks {
  return {
    startup: has.startup ? initialTrack('startup') : null,
    readiness: has.readiness ? initialTrack('readiness') : null,
    liveness: has.liveness ? initialTrack('liveness') : null,
  };
}

/** Started: the startup probe has succeeded, or there is none. */
export function isStarted(t: ContainerTracks): boolean {
  return t.startup === null || t.startup.result === 'success';
}

/** The container's Ready: started, and its readiness probe (if any) says success. */
export function isReady(t: ContainerTracks, running: boolean): boolean {
  if (!running || !isStarted(t)) return false;
  return t.readiness === null || t.readiness.result === 'success';
}

/** Whether a probe of this kind runs now (readiness and liveness wait for startup). */
export function shouldProbe(kind: ProbeKind, t: ContainerTracks): boolean {
  if (kind === 'startup') return !isStarted(t);
  return isStarted(t);
}

/** An HTTP probe passes on 200-399, as the kubelet's does. */
export function httpProbePasses(status: number): boolean {
  return status >= 200 && status < 400;
}
