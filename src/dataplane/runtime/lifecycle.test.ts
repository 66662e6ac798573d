// The stop sequence as it runs (real timers, fake containers): the preStop sleep comes first,
// SIGTERM after it, SIGKILL only for a container that outlives what is left of the grace
// period (at least 2 s); a hook that fails is an event and the stop goes on.
import { describe, expect, it } from 'vitest';
import { stopContainers, type StoppingContainer } from './lifecycle.js';
import type { CheckContext } from './probe-checks.js';
import type { PreStopHook } from './spec.js';

/** A container that records when it got each signal; it exits `exitAfterMs` after SIGTERM (null: never). */
function fake(name: string, preStop: PreStopHook | null, exitAfterMs: number | null, t0: number): StoppingContainer & { log: string[] } {
  const log: string[] = [];
  let exit: (() => void) | null = null;
  return {
    name, preStop, log,
    term: () => new Promise<void>((resolve) => {
      log.push(`TERM@${Math.round((Date.now() - t0) / 100) * 100}`);
      exit = resolve;
      if (exitAfterMs !== null) setTimeout(resolve, exitAfterMs);
    }),
    kill: () => {
      log.push(`KILL@${Math.round((Date.now() - t0) / 100) * 100}`);
      exit?.();
    },
  };
}

// No socket and no namespace is touched by these hooks.
const HOOKS = { sockets: null, from: 'knet-none', podNetns: 'knet-none' } as unknown as CheckContext;

describe('stopping a terminating pod\'s containers', () => {
  it('preStop sleep, then SIGTERM; a container that exits is not killed', async () => {
    const t0 = Date.now();
    const c = fake('web', { kind: 'sleep', ms: 500 }, 0, t0);
    const events: string[] = [];
    await stopContainers([c], { gracePeriodMs: 5_000, hooks: HOOKS, event: (e) => events.push(e) });
    expect(c.log).toEqual(['TERM@500']);
    expect(events).toEqual([]);
  });

  it('a sleep longer than the grace period is cut off; SIGKILL 2 s after SIGTERM for a container that ignores it', async () => {
    const t0 = Date.now();
    const c = fake('web', { kind: 'sleep', ms: 10_000 }, null, t0);
    const events: string[] = [];
    await stopContainers([c], { gracePeriodMs: 300, hooks: HOOKS, event: (e) => events.push(e) });
    expect(c.log).toEqual(['TERM@300', 'KILL@2300']);
    expect(events[0]).toBe('FailedPreStopHook: web: sleep of 10000 ms cut off by the grace period (300 ms)');
    expect(events[1]).toMatch(/^Killing: web: still running 2000 ms after SIGTERM/);
  }, 10_000);

  it('containers stop at once, each after its own hook', async () => {
    const t0 = Date.now();
    const a = fake('a', null, 0, t0);
    const b = fake('b', { kind: 'sleep', ms: 400 }, 0, t0);
    await stopContainers([a, b], { gracePeriodMs: 5_000, hooks: HOOKS, event: () => undefined });
    expect([a.log, b.log]).toEqual([['TERM@0'], ['TERM@400']]);
  });
});
