// What the supervisor does when its daemon exits: a clean stop (knet down, SIGTERM) or a
// cluster that is gone ends supervision; a crash starts a new daemon at once, and a crash
// loop backs off (0.5 s, 1 s, 2 s, ... 30 s), as the kubelet backs off a crashing container;
// a daemon that ran STABLE_MS resets the back-off.

/** The daemon's exit codes, as the supervisor reads them. */
export const DAEMON_EXIT = {
  /** SIGTERM, or `knet down` removed the cluster: stop for good. */
  stopped: 0,
  /** Bring-up failed or an error escaped: a crash. */
  failed: 1,
  /** No stored state: the cluster was removed. */
  gone: 3,
  /** Another daemon holds the cluster. */
  taken: 4,
} as const;

export const STABLE_MS = 10_000;
export const FIRST_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 30_000;

export interface DaemonExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** How long the daemon ran. */
  readonly ranMs: number;
}

export type ExitVerdict =
  | { readonly kind: 'stop'; readonly why: string }
  | { readonly kind: 'restart'; readonly afterMs: number; readonly crashes: number; readonly why: string };

/**
 * `crashes`: the crashes in a row so far, each of a daemon that ran less than STABLE_MS.
 * The first crash restarts at once; each further one waits twice as long as the last.
 */
export function afterExit(exit: DaemonExit, crashes: number): ExitVerdict {
  if (exit.signal === null) {
    if (exit.code === DAEMON_EXIT.stopped) return { kind: 'stop', why: 'the daemon stopped cleanly (knet down or SIGTERM)' };
    if (exit.code === DAEMON_EXIT.gone) return { kind: 'stop', why: 'the cluster has no stored state (removed)' };
    if (exit.code === DAEMON_EXIT.taken) return { kind: 'stop', why: 'another daemon holds the cluster' };
  }
  const how = `the daemon was ${exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`} after ${(exit.ranMs / 1000).toFixed(1)} s`;
  const streak = exit.ranMs >= STABLE_MS ? 1 : crashes + 1;
  if (streak === 1) return { kind: 'restart', afterMs: 0, crashes: streak, why: how };
  const afterMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (streak - 2));
  return { kind: 'restart', afterMs, crashes: streak, why: `${how}; ${streak} crashes in a row: back-off ${(afterMs / 1000).toFixed(1)} s` };
}
