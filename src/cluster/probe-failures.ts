// The kubelet records a Warning `Unhealthy` event for every failed probe check, with the probe's
// output ("Readiness probe failed: HTTP probe failed with statuscode: 503"). knet's runtimes
// report, per pod, how many checks of each probe have failed so far and the latest output;
// this turns two reports into the failures between them (cluster/events.ts drafts the events,
// events-log.ts folds the repeats into one event's count: `x3 over 10s`).
import type { ProbeFailure } from './events.js';

/** What a node's runtime says of its pods' probes: failed checks so far by `container/probe`. */
export type ReportedProbeFailures = Readonly<Record<string, { readonly failed?: Readonly<Record<string, { readonly count: number; readonly output: string }>> }>>;

/** At most this many events per probe from one report (a runtime that was not heard from for long). */
const MAX_PER_REPORT = 10;

const PROBES = new Set(['readiness', 'liveness', 'startup']);

/**
 * The failed checks in `report` that `seen` (counts by `ns/name|container/probe`) did not
 * count yet, and the counts after it. A count lower than seen is a new runtime or pod: all new.
 */
export function newProbeFailures(seen: ReadonlyMap<string, number>, report: ReportedProbeFailures): { failures: ProbeFailure[]; seen: Map<string, number> } {
  const next = new Map<string, number>();
  const failures: ProbeFailure[] = [];
  for (const [pod, r] of Object.entries(report)) {
    for (const [key, f] of Object.entries(r.failed ?? {})) {
      const slash = key.lastIndexOf('/');
      const container = key.slice(0, slash);
      const probe = key.slice(slash + 1);
      if (!PROBES.has(probe)) continue;
      const id = `${pod}|${key}`;
      next.set(id, f.count);
      const before = seen.get(id) ?? 0;
      const fresh = f.count >= before ? f.count - before : f.count;
      for (let i = 0; i < Math.min(fresh, MAX_PER_REPORT); i++) {
        failures.push({ pod, container, probe: probe as ProbeFailure['probe'], output: f.output });
      }
    }
  }
  return { failures, seen: next };
}

/** Each node's counts, as its reports come (a node's report is whole). */
export class ProbeFailureCounts {
  private readonly byNode = new Map<string, Map<string, number>>();

  /** The failures a node's report adds. */
  record(node: string, report: ReportedProbeFailures): ProbeFailure[] {
    const { failures, seen } = newProbeFailures(this.byNode.get(node) ?? new Map(), report);
    this.byNode.set(node, seen);
    return failures;
  }
}
