// A pod's row as kube-apiserver prints it: READY "ready/total", STATUS (the phase, or the
// reason its containers give: ContainerCreating, CrashLoopBackOff, Completed, Init:0/1,
// Terminating...), RESTARTS "2 (5m ago)", AGE, and for -o wide IP, NODE, NOMINATED NODE,
// READINESS GATES.
import {
  AGE_COLUMN, NAME_COLUMN, ageOf, arr, at, column, conditionOf, int, metaOf, nameOf, rec, since, str,
  type Cell, type Json, type Printer,
} from './table-cells.js';

/** An init container with restartPolicy Always is a sidecar: it counts as one of the pod's containers. */
function isSidecar(c: Json): boolean {
  return c['restartPolicy'] === 'Always';
}

/** Exit by signal or by code when the container runtime gives no reason. */
function terminatedReason(t: Json, prefix: string): string {
  if (str(t['reason'])) return `${prefix}${str(t['reason'])}`;
  return int(t['signal']) !== 0 ? `${prefix}Signal:${int(t['signal'])}` : `${prefix}ExitCode:${int(t['exitCode'])}`;
}

interface Restarts {
  count: number;
  last: number; // ms since the epoch of the latest restart; 0 = unknown
}

function countRestart(r: Restarts, status: Json): void {
  r.count += int(status['restartCount']);
  const finished = Date.parse(str(at(status, 'lastState', 'terminated', 'finishedAt')));
  if (!Number.isNaN(finished) && finished > r.last) r.last = finished;
}

export interface PodSummary {
  readonly ready: string;
  readonly status: string;
  readonly restarts: string;
}

/** READY, STATUS and RESTARTS of a wire pod, by kubelet's container statuses. */
export function podSummary(pod: Json, now: number): PodSummary {
  const spec = rec(pod['spec']);
  const status = rec(pod['status']);
  const phase = str(status['phase']);
  const initSpecs = new Map(arr(spec['initContainers']).map((c) => [str(c['name']), c]));
  const total = arr(spec['containers']).length + [...initSpecs.values()].filter(isSidecar).length;
  let ready = 0;
  let reason = str(status['reason']) || phase;
  if (arr(status['conditions']).some((c) => c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated')) reason = 'SchedulingGated';

  const all: Restarts = { count: 0, last: 0 };
  const sidecars: Restarts = { count: 0, last: 0 };
  let initializing = false;
  const initStatuses = arr(status['initContainerStatuses']);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    const sidecar = isSidecar(initSpecs.get(str(c['name'])) ?? {});
    countRestart(all, c);
    if (sidecar) countRestart(sidecars, c);
    const terminated = at(c, 'state', 'terminated');
    const waitingReason = str(at(c, 'state', 'waiting', 'reason'));
    if (terminated !== undefined && int(rec(terminated)['exitCode']) === 0) continue;
    if (sidecar && c['started'] === true) {
      if (c['ready'] === true) ready++;
      continue;
    }
    // The first init container that has not finished says why the pod is not running yet.
    if (terminated !== undefined) reason = terminatedReason(rec(terminated), 'Init:');
    else if (waitingReason && waitingReason !== 'PodInitializing') reason = `Init:${waitingReason}`;
    else reason = `Init:${i}/${initSpecs.size}`;
    initializing = true;
    break;
  }

  let restarts = all;
  if (!initializing || conditionOf(pod, 'Initialized')?.['status'] === 'True') {
    restarts = sidecars;
    let hasRunning = false;
    // The first container (walked last) has the final say on the reason.
    const statuses = arr(status['containerStatuses']);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      countRestart(restarts, c);
      const waiting = str(at(c, 'state', 'waiting', 'reason'));
      const terminated = at(c, 'state', 'terminated');
      if (waiting) reason = waiting;
      else if (terminated !== undefined) reason = terminatedReason(rec(terminated), '');
      else if (c['ready'] === true && at(c, 'state', 'running') !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    // A container still running after another completed: the pod is not done.
    if (reason === 'Completed' && hasRunning) reason = conditionOf(pod, 'Ready')?.['status'] === 'True' ? 'Running' : 'NotReady';
  }

  const deleting = Boolean(metaOf(pod)['deletionTimestamp']);
  if (deleting && status['reason'] === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartText = restarts.count !== 0 && restarts.last !== 0
    ? `${restarts.count} (${since(new Date(restarts.last).toISOString(), now)} ago)`
    : String(restarts.count);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

/** READINESS GATES: how many of the pod's gates have a True condition. */
function readinessGates(pod: Json): string {
  const gates = arr(at(pod, 'spec', 'readinessGates'));
  if (gates.length === 0) return '<none>';
  const passed = gates.filter((g) => conditionOf(pod, str(g['conditionType']))?.['status'] === 'True').length;
  return `${passed}/${gates.length}`;
}

export const POD_PRINTER: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'How many of the pod\'s containers are ready, of all of them.'),
    column('Status', 'The pod\'s phase, or why its containers are not running.'),
    column('Restarts', 'How often the pod\'s containers restarted, and when last.'),
    AGE_COLUMN,
    column('IP', 'The pod\'s first IP address (status.podIPs).', { priority: 1 }),
    column('Node', 'The node the pod runs on (spec.nodeName).', { priority: 1 }),
    column('Nominated Node', 'The node the scheduler will place the pod on after preemption.', { priority: 1 }),
    column('Readiness Gates', 'How many of the pod\'s readiness gates are met.', { priority: 1 }),
  ],
  cells: (pod, now): Cell[] => {
    const s = podSummary(pod, now);
    const status = rec(pod['status']);
    return [
      nameOf(pod), s.ready, s.status, s.restarts, ageOf(pod, now),
      str(arr(status['podIPs'])[0]?.['ip']) || '<none>',
      str(at(pod, 'spec', 'nodeName')) || '<none>',
      str(status['nominatedNodeName']) || '<none>',
      readinessGates(pod),
    ];
  },
  conditions: (pod) => {
    const phase = at(pod, 'status', 'phase');
    if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod completed successfully.' }];
    if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return undefined;
  },
};
