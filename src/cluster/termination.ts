// Graceful deletion, as the API server and the kubelet do it: a pod that goes (scale-down,
// a rollout retiring it, `delete`, its namespace deleted) is not removed at once. It gets a
// deletionTimestamp (now + its grace period) and stays, `Terminating`, while its node stops
// its containers (preStop, SIGTERM, SIGKILL after the grace period); meanwhile the
// EndpointSlice controller marks its endpoint terminating (ready false, serving as its
// readiness says), so kube-proxy takes it out of the rules. It is gone once its containers
// are, or when the grace period (and the kubelet's 2 s minimum) has long passed.
import type { Pod } from '../model/types.js';
import { DEFAULT_GRACE_SECONDS } from '../model/decode-lifecycle.js';
import type { Cluster } from './fill-in.js';
import { toWire } from './wire.js';

const refOf = (p: { meta: { namespace: string; name: string } }): string => `${p.meta.namespace}/${p.meta.name}`;

/** After the deletion's deadline, how long the control plane waits for the node before removing the pod anyway. */
export const TERMINATION_SLACK_MS = 10_000;

/**
 * The pods a change deletes that must terminate gracefully: running pods with an address
 * (their containers run somewhere) that the cluster after the change no longer has.
 */
export function podsToTerminate(before: Cluster, after: Cluster): Pod[] {
  const stay = new Set(after.pods.map(refOf));
  return before.pods.filter((p) => !stay.has(refOf(p)) && p.meta.deletionTimestamp === ''
    && p.status.phase === 'Running' && p.status.podIPs.length > 0 && !p.spec.hostNetwork);
}

/** The grace period a deletion gives a pod: the deletion's own, else terminationGracePeriodSeconds. */
export function gracePeriodOf(pod: Pod): number {
  const meta = (pod.raw?.value['metadata'] ?? {}) as Record<string, unknown>;
  const given = meta['deletionGracePeriodSeconds'];
  if (typeof given === 'number' && Number.isInteger(given) && given >= 0) return given;
  return pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

/**
 * The pod as the API server holds it once deleted: its wire form as it runs (node, IP) with
 * deletionTimestamp = now + grace period (the deletion's, else the pod's) and deletionGracePeriodSeconds, as `kubectl get -o
 * yaml` shows a Terminating pod.
 */
export function terminatingWire(pod: Pod, nowMs: number, grace = gracePeriodOf(pod)): Record<string, unknown> {
  const wire = toWire(pod) as Record<string, unknown>;
  const meta = (wire['metadata'] ?? {}) as Record<string, unknown>;
  const deletionTimestamp = new Date(Math.floor(nowMs / 1000) * 1000 + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { ...wire, metadata: { ...meta, deletionTimestamp, deletionGracePeriodSeconds: grace } };
}

/** Whether the control plane stops waiting for a terminating pod's node at `nowMs`. */
export function terminationOverdue(pod: Pod, nowMs: number): boolean {
  const at = Date.parse(pod.meta.deletionTimestamp);
  return Number.isFinite(at) && nowMs > at + TERMINATION_SLACK_MS;
}
