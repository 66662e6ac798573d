// A container's preStop hook and the pod's terminationGracePeriodSeconds, validated as the
// API server validates them: one action per hook (exec, httpGet or sleep; tcpSocket is
// accepted and never run, as the kubelet does), a sleep of at least one second that fits in
// the grace period, a grace period that is not negative (default 30).
import type { Decoder } from './decoder.js';
import { ianaSvcName, validPortNum } from './names.js';
import type { FieldPath } from './source.js';
import type { Container, LifecycleHandler } from './types.js';

/** The API server's default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_SECONDS = 30;

export function decodeGracePeriod(d: Decoder, path: FieldPath): number {
  const v = d.int(path);
  if (v === undefined) return DEFAULT_GRACE_SECONDS;
  if (v < 0) {
    d.invalid(path, v, 'must be greater than or equal to 0', 'the seconds between SIGTERM and SIGKILL; the default is 30');
    return DEFAULT_GRACE_SECONDS;
  }
  return v;
}

export function decodePreStop(d: Decoder, path: FieldPath): LifecycleHandler | null {
  if (!d.obj(path)) return null;
  const actions: LifecycleHandler[] = [];
  const found: string[] = [];
  if (d.obj([...path, 'exec'])) {
    found.push('exec');
    const command = d.strList([...path, 'exec', 'command']);
    if (command.length === 0) d.required([...path, 'exec', 'command'], 'the command to run in the container, e.g. [sh, -c, "nginx -s quit"]');
    actions.push({ kind: 'exec', command });
  }
  if (d.obj([...path, 'httpGet'])) {
    found.push('httpGet');
    const p = [...path, 'httpGet'];
    const scheme = d.str([...p, 'scheme'], 'HTTP');
    if (scheme !== 'HTTP' && scheme !== 'HTTPS') d.unsupported([...p, 'scheme'], scheme, ['HTTP', 'HTTPS']);
    actions.push({ kind: 'httpGet', path: d.str([...p, 'path'], '/'), port: hookPort(d, [...p, 'port']), scheme: scheme === 'HTTPS' ? 'HTTPS' : 'HTTP', host: d.str([...p, 'host']) });
  }
  if (d.obj([...path, 'sleep'])) {
    found.push('sleep');
    const seconds = d.int([...path, 'sleep', 'seconds']);
    if (seconds === undefined && !d.has([...path, 'sleep', 'seconds'])) d.required([...path, 'sleep', 'seconds'], 'e.g. sleep: {seconds: 5}');
    else if (seconds !== undefined && seconds <= 0) d.invalid([...path, 'sleep', 'seconds'], seconds, 'must be greater than 0');
    actions.push({ kind: 'sleep', seconds: seconds ?? 0 });
  }
  // tcpSocket is kept for backward compatibility and never run by the kubelet.
  if (d.obj([...path, 'tcpSocket'])) found.push('tcpSocket');
  if (found.length === 0) {
    d.required(path, 'a preStop hook needs one action: exec, httpGet or sleep');
    return null;
  }
  if (found.length > 1) {
    d.report(path, 'forbidden', `Forbidden: may not specify more than 1 handler type (found ${found.join(', ')})`, 'keep one of exec, httpGet, sleep');
  }
  return actions[0] ?? null;
}

/** The API server refuses a sleep action longer than the pod's grace period. */
export function checkSleepFitsGrace(d: Decoder, containersPath: FieldPath, containers: readonly Container[], graceSeconds: number): void {
  containers.forEach((c, i) => {
    if (c.preStop?.kind !== 'sleep' || c.preStop.seconds <= graceSeconds) return;
    d.invalid([...containersPath, i, 'lifecycle', 'preStop', 'sleep', 'seconds'], c.preStop.seconds,
      `must be greater than 0 and less than terminationGracePeriodSeconds (${graceSeconds})`,
      `raise spec.terminationGracePeriodSeconds above ${c.preStop.seconds}, or sleep less`);
  });
}

function hookPort(d: Decoder, path: FieldPath): number | string {
  const v = d.intOrString(path);
  if (v === undefined) {
    if (!d.has(path)) d.required(path, 'the hook needs a port: a number or a container port name');
    return 0;
  }
  if (typeof v === 'number') for (const e of validPortNum(v)) d.invalid(path, v, e);
  else for (const e of ianaSvcName(v)) d.invalid(path, v, e);
  return v;
}
