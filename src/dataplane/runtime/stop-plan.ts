// When a terminating pod's container gets SIGTERM and SIGKILL, as the kubelet's
// killContainer decides (pkg/kubelet/kuberuntime): the preStop hook runs first, for at most
// the grace period; the grace period includes it, and what is left of it after the hook
// (never less than the kubelet's minimum of 2 s) is the time from SIGTERM to SIGKILL.
// Pure: the caller passes the time (ms since the stop began) and when the hook ended.

/** The kubelet gives a container at least this long between SIGTERM and SIGKILL. */
export const MIN_GRACE_AFTER_HOOK_MS = 2_000;

export interface ContainerStop {
  /** terminationGracePeriodSeconds (or the deletion's own grace period), in ms. */
  readonly gracePeriodMs: number;
  /** Whether the container has a preStop hook (run only when the grace period is above 0). */
  readonly hasPreStop: boolean;
}

export type StopPhase =
  /** The preStop hook runs; at `giveUpAtMs` the kubelet stops waiting for it. */
  | { readonly kind: 'pre-stop'; readonly giveUpAtMs: number }
  /** SIGTERM was sent at `atMs`; SIGKILL follows at `killAtMs` unless the container exits. */
  | { readonly kind: 'sigterm'; readonly atMs: number; readonly killAtMs: number; readonly reason: string }
  /** SIGKILL at `atMs`. */
  | { readonly kind: 'sigkill'; readonly atMs: number; readonly reason: string };

/**
 * Where one container's stop is at `nowMs`; `hookEndedAtMs` is when its preStop hook ended
 * (null while it runs, or when there is none).
 */
export function stopPhase(stop: ContainerStop, nowMs: number, hookEndedAtMs: number | null): StopPhase {
  const grace = Math.max(0, stop.gracePeriodMs);
  let termAt = 0;
  let why = 'no preStop hook';
  if (stop.hasPreStop && grace > 0) {
    // The hook has the whole grace period; a hook still running then is abandoned.
    const ended = hookEndedAtMs ?? (nowMs >= grace ? grace : null);
    if (ended === null) return { kind: 'pre-stop', giveUpAtMs: grace };
    termAt = Math.min(ended, grace);
    why = hookEndedAtMs !== null && hookEndedAtMs < grace ? `preStop hook ended after ${termAt} ms` : `preStop hook still running after the grace period (${grace} ms)`;
  } else if (stop.hasPreStop) {
    why = 'grace period 0: preStop hook skipped';
  }
  const killAt = termAt + Math.max(MIN_GRACE_AFTER_HOOK_MS, grace - termAt);
  if (nowMs < killAt) return { kind: 'sigterm', atMs: termAt, killAtMs: killAt, reason: why };
  return { kind: 'sigkill', atMs: killAt, reason: `still running ${killAt - termAt} ms after SIGTERM` };
}
