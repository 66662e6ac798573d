import { describe, expect, it } from 'vitest';
import { afterExit, DAEMON_EXIT, MAX_BACKOFF_MS, STABLE_MS, type ExitVerdict } from './restart-policy.js';

const cases: { name: string; exit: { code: number | null; signal: string | null; ranMs: number }; crashes: number; want: Pick<ExitVerdict, 'kind'> & { afterMs?: number; crashes?: number } }[] = [
  { name: 'clean exit (knet down, SIGTERM) -> stop for good', exit: { code: DAEMON_EXIT.stopped, signal: null, ranMs: 5 }, crashes: 0, want: { kind: 'stop' } },
  { name: 'no stored state (the cluster was removed) -> stop', exit: { code: DAEMON_EXIT.gone, signal: null, ranMs: 5 }, crashes: 3, want: { kind: 'stop' } },
  { name: 'another daemon holds the cluster -> stop', exit: { code: DAEMON_EXIT.taken, signal: null, ranMs: 5 }, crashes: 0, want: { kind: 'stop' } },
  { name: 'kill -9, first crash -> restart at once', exit: { code: null, signal: 'SIGKILL', ranMs: 1200 }, crashes: 0, want: { kind: 'restart', afterMs: 0, crashes: 1 } },
  { name: 'SIGSEGV -> a crash, restarted', exit: { code: null, signal: 'SIGSEGV', ranMs: 100 }, crashes: 0, want: { kind: 'restart', afterMs: 0, crashes: 1 } },
  { name: 'second quick crash in a row -> 0.5 s back-off', exit: { code: DAEMON_EXIT.failed, signal: null, ranMs: 300 }, crashes: 1, want: { kind: 'restart', afterMs: 500, crashes: 2 } },
  { name: 'fourth quick crash -> 2 s', exit: { code: DAEMON_EXIT.failed, signal: null, ranMs: 300 }, crashes: 3, want: { kind: 'restart', afterMs: 2000, crashes: 4 } },
  { name: 'a long crash loop is capped', exit: { code: DAEMON_EXIT.failed, signal: null, ranMs: 300 }, crashes: 40, want: { kind: 'restart', afterMs: MAX_BACKOFF_MS, crashes: 41 } },
  { name: 'a daemon that ran STABLE_MS resets the back-off', exit: { code: null, signal: 'SIGKILL', ranMs: STABLE_MS }, crashes: 7, want: { kind: 'restart', afterMs: 0, crashes: 1 } },
];

describe('afterExit: what the supervisor does when its daemon exits', () => {
  for (const c of cases) {
    it(c.name, () => {
      const v = afterExit(c.exit, c.crashes);
      expect(v.kind).toBe(c.want.kind);
      if (v.kind === 'restart') {
        expect(v.afterMs).toBe(c.want.afterMs);
        expect(v.crashes).toBe(c.want.crashes);
        expect(v.why).toContain(c.exit.signal ?? `code ${c.exit.code}`);
      }
    });
  }
});
