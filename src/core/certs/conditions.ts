// Status conditions as cert-manager keeps them: one per type; lastTransitionTime changes
// only when the status does (a new reason or message alone keeps the old time).
import type { Condition, ConditionStatus } from '../../model/decode-cert-manager.js';

export function setCondition(
  list: readonly Condition[], type: string, status: ConditionStatus, reason: string, message: string, now: Date,
): Condition[] {
  const old = list.find((c) => c.type === type);
  const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const next: Condition = { type, status, reason, message, lastTransitionTime };
  return old ? list.map((c) => (c.type === type ? next : c)) : [...list, next];
}

export function removeCondition(list: readonly Condition[], type: string): Condition[] {
  return list.filter((c) => c.type !== type);
}

export function conditionOf(list: readonly Condition[], type: string): Condition | undefined {
  return list.find((c) => c.type === type);
}

export function isTrue(list: readonly Condition[], type: string): boolean {
  return conditionOf(list, type)?.status === 'True';
}

/** RFC 3339 without fractions, as Kubernetes prints times. */
export function timeText(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
