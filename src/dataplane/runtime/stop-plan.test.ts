import { describe, expect, it } from 'vitest';
import { MIN_GRACE_AFTER_HOOK_MS, stopPhase, type ContainerStop, type StopPhase } from './stop-plan.js';

const CASES: { rule: string; stop: ContainerStop; now: number; hookEnded: number | null; want: StopPhase['kind']; at?: number; killAt?: number }[] = [
  { rule: 'no preStop hook: SIGTERM at once, SIGKILL after the whole grace period',
    stop: { gracePeriodMs: 30_000, hasPreStop: false }, now: 0, hookEnded: null, want: 'sigterm', at: 0, killAt: 30_000 },
  { rule: 'no hook, the grace period has passed: SIGKILL',
    stop: { gracePeriodMs: 30_000, hasPreStop: false }, now: 30_000, hookEnded: null, want: 'sigkill', at: 30_000 },
  { rule: 'a hook still running within the grace period: wait for it, until the grace period ends',
    stop: { gracePeriodMs: 30_000, hasPreStop: true }, now: 2_999, hookEnded: null, want: 'pre-stop' },
  { rule: 'the hook ended after 3 s: SIGTERM then, SIGKILL when the rest of the grace period is over',
    stop: { gracePeriodMs: 30_000, hasPreStop: true }, now: 3_000, hookEnded: 3_000, want: 'sigterm', at: 3_000, killAt: 30_000 },
  { rule: 'the grace period includes the hook: a hook that used nearly all of it leaves the kubelet\'s 2 s minimum',
    stop: { gracePeriodMs: 5_000, hasPreStop: true }, now: 4_500, hookEnded: 4_500, want: 'sigterm', at: 4_500, killAt: 4_500 + MIN_GRACE_AFTER_HOOK_MS },
  { rule: 'a hook still running when the grace period ends is abandoned: SIGTERM, SIGKILL 2 s later',
    stop: { gracePeriodMs: 5_000, hasPreStop: true }, now: 5_000, hookEnded: null, want: 'sigterm', at: 5_000, killAt: 7_000 },
  { rule: 'after the abandoned hook\'s 2 s: SIGKILL',
    stop: { gracePeriodMs: 5_000, hasPreStop: true }, now: 7_000, hookEnded: null, want: 'sigkill', at: 7_000 },
  { rule: 'grace period 0: the hook is skipped, SIGTERM and SIGKILL 2 s later',
    stop: { gracePeriodMs: 0, hasPreStop: true }, now: 0, hookEnded: null, want: 'sigterm', at: 0, killAt: MIN_GRACE_AFTER_HOOK_MS },
  { rule: 'a grace period shorter than the minimum still gives 2 s after SIGTERM',
    stop: { gracePeriodMs: 1_000, hasPreStop: false }, now: 1_500, hookEnded: null, want: 'sigterm', at: 0, killAt: MIN_GRACE_AFTER_HOOK_MS },
];

describe('the stop sequence of a terminating container (kubelet killContainer)', () => {
  for (const c of CASES) {
    it(c.rule, () => {
      const p = stopPhase(c.stop, c.now, c.hookEnded);
      expect(p.kind).toBe(c.want);
      if (p.kind === 'sigterm') expect({ at: p.atMs, killAt: p.killAtMs }).toEqual({ at: c.at, killAt: c.killAt });
      if (p.kind === 'sigkill') expect(p.atMs).toBe(c.at);
      if (p.kind === 'pre-stop') expect(p.giveUpAtMs).toBe(c.stop.gracePeriodMs);
    });
  }
});
