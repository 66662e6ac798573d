// A deleted pod's containers stop as the kubelet stops them (killContainer, per container and
// all at once): the preStop hook (exec in the pod, httpGet from the node, or sleep) for at
// most the grace period, then SIGTERM (a command gets the signal, the built-in server drains:
// no new connections, requests in flight answered), then SIGKILL when what is left of the
// grace period has passed (stop-plan.ts decides when). Hooks run through the probes' own
// checks, so they run where and as exec probes run.
import { runCheck, type CheckContext, type CheckOutcome } from './probe-checks.js';
import type { PreStopHook } from './spec.js';
import { stopPhase } from './stop-plan.js';

/** One container of a terminating pod, as the stop sequence drives it. */
export interface StoppingContainer {
  readonly name: string;
  readonly preStop: PreStopHook | null;
  /** SIGTERM: resolves when the container has exited (or its server has no connection left). */
  term(): Promise<void>;
  /** SIGKILL: at once. */
  kill(): void;
}

export interface StopOptions {
  readonly gracePeriodMs: number;
  /** Where hooks run: exec in the pod's namespace, httpGet from the node's. */
  readonly hooks: CheckContext;
  /** A kubelet event for the pod ("FailedPreStopHook ..."). */
  readonly event: (line: string) => void;
  /** Called when a container got SIGTERM (the built-in server stops listening then). */
  readonly terminated?: (container: string) => void;
}

/** Stops every container of the pod; resolves when all are gone. */
export async function stopContainers(containers: readonly StoppingContainer[], options: StopOptions): Promise<void> {
  await Promise.all(containers.map((c) => stopContainer(c, options)));
}

async function stopContainer(c: StoppingContainer, options: StopOptions): Promise<void> {
  const started = Date.now();
  const plan = { gracePeriodMs: options.gracePeriodMs, hasPreStop: c.preStop !== null };
  let phase = stopPhase(plan, 0, null);
  if (phase.kind === 'pre-stop' && c.preStop) {
    const outcome = await withDeadline(runHook(c.preStop, c.name, options.hooks, phase.giveUpAtMs), phase.giveUpAtMs);
    const now = Date.now() - started;
    if (outcome === null) options.event(`FailedPreStopHook: ${c.name}: still running after the grace period (${options.gracePeriodMs} ms)`);
    else if (!outcome.ok) options.event(`FailedPreStopHook: ${c.name}: ${outcome.message}`);
    phase = stopPhase(plan, now, outcome === null ? null : now);
  }
  if (phase.kind === 'sigkill') {
    c.kill();
    return;
  }
  if (phase.kind !== 'sigterm') return; // cannot happen once the hook has ended
  const exited = c.term();
  options.terminated?.(c.name);
  const killIn = Math.max(0, phase.killAtMs - (Date.now() - started));
  let timer: NodeJS.Timeout | null = null;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      options.event(`Killing: ${c.name}: still running ${phase.kind === 'sigterm' ? phase.killAtMs - phase.atMs : 0} ms after SIGTERM`);
      c.kill();
      resolve();
    }, killIn);
  });
  await Promise.race([exited, killed]);
  if (timer) clearTimeout(timer);
}

/** The hook's own outcome; a sleep passes unless the grace period cuts it off. */
function runHook(hook: PreStopHook, container: string, ctx: CheckContext, timeoutMs: number): Promise<CheckOutcome> {
  switch (hook.kind) {
    case 'sleep':
      return new Promise((resolve) => setTimeout(() => resolve(hook.ms <= timeoutMs ? { ok: true, message: '' }
        : { ok: false, message: `sleep of ${hook.ms} ms cut off by the grace period (${timeoutMs} ms)` }), Math.min(hook.ms, timeoutMs)));
    case 'exec':
      // Inside the container's sandbox, as exec probes run (ctx.execTarget).
      return runCheck({ kind: 'exec', argv: hook.argv }, ctx, timeoutMs, container);
    case 'http':
      return runCheck({ kind: 'http', scheme: hook.scheme, host: hook.host, port: hook.port, path: hook.path }, ctx, timeoutMs);
  }
}

/** The promise's value, or null when `ms` pass first. */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | null = null;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  return Promise.race([p, late]).finally(() => {
    if (timer) clearTimeout(timer);
  });
}
