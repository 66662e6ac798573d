// The StatefulSet controller's pace, as pure functions of the pods the kubelets report:
// with podManagementPolicy OrderedReady (the default) pod N+1 is made only once pods 0..N are
// Running and Ready, and a scale-down removes the highest ordinal first, the next only once
// that one is gone; Parallel makes and removes them all at once. A deleted pod is made again
// under its own name once its terminating predecessor is gone. What the controller has
// reached is `StatefulSetProgress` (kept in the daemon's state); a StatefulSet without one
// has all its replicas, as Predict shows it (cluster/workloads.ts reads `ordinalsOf`).
import type { Pod, Workload } from '../model/types.js';

export interface StatefulSetProgress {
  /** Ordinals 0..made-1 exist; absent: spec.replicas. */
  readonly made?: number;
  /** Ordinals whose deleted pod is still terminating: made again once it is gone. */
  readonly held?: readonly number[];
  /** A rolling update's ordinals still at the old revision (their pods kept as they ran, OLD_REVISION_ANNOTATION). */
  readonly old?: readonly number[];
}

/** On a StatefulSet's pod kept at its old revision during a rolling update: the StatefulSet (`ns/name`). */
export const OLD_REVISION_ANNOTATION = 'knet.dev/statefulset-old-revision';

/** Per StatefulSet (`ns/name`), where its controller is. */
export type StatefulSetProgresses = Readonly<Record<string, StatefulSetProgress>>;

const refOf = (o: { meta: { namespace: string; name: string } }): string => `${o.meta.namespace}/${o.meta.name}`;

/** The ordinals a StatefulSet has pods for now. */
export function ordinalsOf(sts: Workload, progress: StatefulSetProgress | undefined): number[] {
  const made = progress?.made ?? sts.replicas;
  const held = new Set([...(progress?.held ?? []), ...(progress?.old ?? [])]);
  const out: number[] = [];
  for (let i = 0; i < made; i++) if (!held.has(i)) out.push(i);
  return out;
}

/** `spec.updateStrategy.rollingUpdate.partition`: ordinals below it keep the old revision (0 by default). */
export function partitionOf(sts: Workload): number {
  const spec = (sts.raw?.value['spec'] ?? {}) as Record<string, unknown>;
  const strategy = (spec['updateStrategy'] ?? {}) as Record<string, unknown>;
  const p = ((strategy['rollingUpdate'] ?? {}) as Record<string, unknown>)['partition'];
  return typeof p === 'number' && p > 0 ? Math.trunc(p) : 0;
}

/** Whether a template change rolls pod by pod (RollingUpdate, the default) rather than waiting for deletions (OnDelete). */
export function rollsUpdates(sts: Workload): boolean {
  const spec = (sts.raw?.value['spec'] ?? {}) as Record<string, unknown>;
  return ((spec['updateStrategy'] ?? {}) as Record<string, unknown>)['type'] !== 'OnDelete';
}

/** `spec.podManagementPolicy`: OrderedReady unless Parallel. */
export function podManagementPolicy(sts: Workload): 'OrderedReady' | 'Parallel' {
  const spec = (sts.raw?.value['spec'] ?? {}) as Record<string, unknown>;
  return spec['podManagementPolicy'] === 'Parallel' ? 'Parallel' : 'OrderedReady';
}

/** A StatefulSet's pod's ordinal (`<sts>-<i>`), or null when the name is not one of its. */
export function ordinalOf(sts: Workload, pod: Pod): number | null {
  if (pod.meta.namespace !== sts.meta.namespace) return null;
  const prefix = `${sts.meta.name}-`;
  if (!pod.meta.name.startsWith(prefix)) return null;
  const rest = pod.meta.name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : null;
}

const runningAndReady = (p: Pod | undefined): boolean =>
  p !== undefined && p.meta.deletionTimestamp === '' && p.status.phase === 'Running' && p.status.ready === true;

/** Why a StatefulSet holds where it is (for the log), or that it moved. */
export type StatefulSetStep =
  | { kind: 'steady' }
  | { kind: 'moved'; progress: StatefulSetProgress | null; line: string; released?: readonly string[] }
  | { kind: 'waiting'; line: string };

/**
 * One step of a StatefulSet's controller. `pods`: its pods as the kubelets report them
 * (terminating ones included); `progress`: where it was (absent: as many ordinals as it has
 * pods now, so a change of spec.replicas starts from what runs). The answer's progress null
 * means the StatefulSet has reached spec.replicas.
 */
export function stepStatefulSet(sts: Workload, pods: readonly Pod[], progress: StatefulSetProgress | undefined): StatefulSetStep {
  const byOrdinal = new Map<number, Pod>();
  for (const p of pods) {
    const i = ordinalOf(sts, p);
    if (i !== null) byOrdinal.set(i, p);
  }
  const live = [...byOrdinal].filter(([, p]) => p.meta.deletionTimestamp === '').map(([i]) => i);
  const held = (progress?.held ?? []).filter((i) => i < Math.max(sts.replicas, progress?.made ?? 0));
  // A deleted pod is made again (same name) once its predecessor has left the cluster.
  const stillHeld = held.filter((i) => byOrdinal.has(i));
  const made = progress?.made ?? (live.length === 0 ? 0 : Math.max(...live) + 1);
  const target = sts.replicas;
  const name = refOf(sts);
  let next = made;
  let waiting = '';
  if (podManagementPolicy(sts) === 'Parallel') next = target;
  else if (made < target) {
    // "pod N+1 is created only when pods 0..N are Running and Ready"
    const notReady = [...Array(made).keys()].filter((i) => !runningAndReady(byOrdinal.get(i)));
    if (notReady.length === 0 && stillHeld.length === 0) next = made + 1;
    else waiting = `statefulset ${name}: waiting for ${sts.meta.name}-${notReady[0] ?? stillHeld[0]} to be Running and Ready before creating ${sts.meta.name}-${made}`;
  } else if (made > target) {
    // Scale-down: the highest ordinal first, the next once it is gone.
    const leaving = [...byOrdinal].filter(([i, p]) => i >= target && p.meta.deletionTimestamp !== '').map(([i]) => i);
    if (leaving.length === 0) next = made - 1;
    else waiting = `statefulset ${name}: waiting for ${sts.meta.name}-${Math.max(...leaving)} to terminate`;
  }
  // A rolling update: the highest ordinal still at the old revision (at or above the partition)
  // is updated once every pod is Running and Ready, one at a time.
  const old = progress?.old ?? [];
  const updatable = old.filter((i) => i >= partitionOf(sts));
  let released: number | null = null;
  if (next === made && stillHeld.length === 0 && updatable.length > 0 && !waiting) {
    const notReady = [...byOrdinal].filter(([, p]) => !runningAndReady(p)).map(([i]) => i);
    if (notReady.length === 0) released = Math.max(...updatable);
    else waiting = `statefulset ${name}: waiting for ${sts.meta.name}-${Math.min(...notReady)} to be Running and Ready before updating ${sts.meta.name}-${Math.max(...updatable)}`;
  }
  const stillOld = released === null ? old : old.filter((i) => i !== released);
  if (released !== null) {
    return {
      kind: 'moved',
      progress: made === target && stillHeld.length === 0 && stillOld.length === 0 && progress?.made === undefined ? null
        : { ...(progress?.made !== undefined ? { made: progress.made } : {}), ...(stillHeld.length > 0 ? { held: stillHeld } : {}), ...(stillOld.length > 0 ? { old: stillOld } : {}) },
      line: `statefulset ${name}: updating ${sts.meta.name}-${released} (${old.length - stillOld.length + (byOrdinal.size - old.length)} of ${byOrdinal.size} at the new revision)`,
      released: [`${sts.meta.namespace}/${sts.meta.name}-${released}`],
    };
  }
  const same = next === made && stillHeld.length === held.length;
  if (same) return waiting ? { kind: 'waiting', line: waiting } : { kind: 'steady' };
  const settled = next === target && stillHeld.length === 0 && old.length === 0;
  const what = next > made ? `creating ${sts.meta.name}-${made}` : next < made ? `deleting ${sts.meta.name}-${made - 1}` : `making ${held.filter((i) => !stillHeld.includes(i)).map((i) => `${sts.meta.name}-${i}`).join(', ')} again`;
  return {
    kind: 'moved',
    progress: settled ? null : { ...(next !== target ? { made: next } : {}), ...(stillHeld.length > 0 ? { held: stillHeld } : {}), ...(old.length > 0 ? { old } : {}) },
    line: `statefulset ${name}: ${what} (${next < made ? `${next} left, ${target} wanted` : `${Math.min(next, target)} of ${target}`})`,
  };
}

export interface StatefulSetsStep {
  readonly progresses: StatefulSetProgresses;
  readonly lines: readonly string[];
  readonly moved: boolean;
  /** Pods kept at the old revision that are updated now (their kept form goes). */
  readonly released: readonly string[];
}

/**
 * Every StatefulSet's step over one cluster's pods: the progresses that follow (StatefulSets
 * that are gone, or have reached their replicas, have none).
 */
export function stepStatefulSets(workloads: readonly Workload[], pods: readonly Pod[], progresses: StatefulSetProgresses): StatefulSetsStep {
  const out: Record<string, StatefulSetProgress> = {};
  const lines: string[] = [];
  const released: string[] = [];
  let moved = false;
  const owned = new Map<string, Pod[]>();
  for (const p of pods) {
    const o = p.meta.ownerReferences.find((r) => r.kind === 'StatefulSet');
    if (!o) continue;
    const key = `${p.meta.namespace}/${o.name}`;
    owned.set(key, [...(owned.get(key) ?? []), p]);
  }
  const present = new Set<string>();
  for (const sts of workloads) {
    if (sts.kind !== 'StatefulSet') continue;
    const key = refOf(sts);
    present.add(key);
    const step = stepStatefulSet(sts, owned.get(key) ?? [], progresses[key]);
    if (step.kind === 'moved') {
      moved = true;
      lines.push(step.line);
      released.push(...(step.released ?? []));
      if (step.progress) out[key] = step.progress;
    } else {
      if (step.kind === 'waiting') lines.push(step.line);
      if (progresses[key]) out[key] = progresses[key]!;
    }
  }
  if (Object.keys(progresses).some((k) => !present.has(k))) moved = true;
  return { progresses: out, lines, moved, released };
}

/**
 * `delete pod` of a StatefulSet's pod: its ordinal is held (the pod leaves, terminating) and
 * made again under the same name once it is gone.
 */
export function holdOrdinal(sts: Workload, progress: StatefulSetProgress | undefined, ordinal: number): StatefulSetProgress {
  const held = [...new Set([...(progress?.held ?? []), ordinal])].sort((a, b) => a - b);
  return { ...(progress?.made !== undefined ? { made: progress.made } : {}), held };
}
