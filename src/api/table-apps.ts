// The workload kinds' columns as kube-apiserver prints them, from each object's own status:
// Deployment READY "2/3" UP-TO-DATE AVAILABLE, ReplicaSet DESIRED CURRENT READY, StatefulSet
// READY, DaemonSet DESIRED ... NODE SELECTOR, Job STATUS COMPLETIONS DURATION; with -o wide
// CONTAINERS, IMAGES and SELECTOR.
import {
  REPLICA_COLUMNS, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, SELECTOR_COLUMN, ageOf, arr, at, column, containerCells,
  formatLabelSelector, formatLabels, humanDuration, int, metaOf, nameOf, rec, selectorText, since, str, type Json, type Printer,
} from './table-cells.js';

/** spec.replicas, which the API server defaults to 1. */
function desiredReplicas(o: Json): number {
  const r = at(o, 'spec', 'replicas');
  return r === undefined || r === null ? 1 : int(r);
}

function status(o: Json, field: string): number {
  return int(at(o, 'status', field));
}

const DEPLOYMENT: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'Ready pods of the desired number.'),
    column('Up-to-date', 'Pods that run the current template (status.updatedReplicas).', { type: 'integer' }),
    column('Available', 'Pods ready for at least minReadySeconds (status.availableReplicas).', { type: 'integer' }),
    AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  cells: (d, now) => [nameOf(d), `${status(d, 'readyReplicas')}/${desiredReplicas(d)}`, status(d, 'updatedReplicas'), status(d, 'availableReplicas'),
    ageOf(d, now), ...containerCells(at(d, 'spec', 'template')), selectorText(at(d, 'spec', 'selector'))],
};

const REPLICA_SET: Printer = {
  columns: REPLICA_COLUMNS,
  cells: (rs, now) => [nameOf(rs), desiredReplicas(rs), status(rs, 'replicas'), status(rs, 'readyReplicas'), ageOf(rs, now),
    ...containerCells(at(rs, 'spec', 'template')), formatLabelSelector(at(rs, 'spec', 'selector'))],
};

const STATEFUL_SET: Printer = {
  columns: [NAME_COLUMN, column('Ready', 'Ready pods of the desired number.'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells: (s, now) => [nameOf(s), `${status(s, 'readyReplicas')}/${desiredReplicas(s)}`, ageOf(s, now), ...containerCells(at(s, 'spec', 'template'))],
};

const DAEMON_SET: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'Nodes that should run the pod.', { type: 'integer' }),
    column('Current', 'Nodes that run the pod.', { type: 'integer' }),
    column('Ready', 'Nodes whose pod is ready.', { type: 'integer' }),
    column('Up-to-date', 'Nodes that run the current template.', { type: 'integer' }),
    column('Available', 'Nodes whose pod is available.', { type: 'integer' }),
    column('Node Selector', 'The labels a node needs to run the pod.'),
    AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  cells: (ds, now) => [nameOf(ds), status(ds, 'desiredNumberScheduled'), status(ds, 'currentNumberScheduled'), status(ds, 'numberReady'),
    status(ds, 'updatedNumberScheduled'), status(ds, 'numberAvailable'), formatLabels(at(ds, 'spec', 'template', 'spec', 'nodeSelector')),
    ageOf(ds, now), ...containerCells(at(ds, 'spec', 'template')), formatLabelSelector(at(ds, 'spec', 'selector'))],
};

/** A Job condition of a type holds when the first one of that type is True. */
function jobCondition(job: Json, type: string): boolean {
  return arr(at(job, 'status', 'conditions')).find((c) => c['type'] === type)?.['status'] === 'True';
}

function jobStatus(job: Json): string {
  if (jobCondition(job, 'Complete')) return 'Complete';
  if (jobCondition(job, 'Failed')) return 'Failed';
  if (metaOf(job)['deletionTimestamp']) return 'Terminating';
  if (jobCondition(job, 'Suspended')) return 'Suspended';
  if (jobCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** COMPLETIONS: "succeeded/completions"; a work queue (no completions) counts to 1, "of N" when parallel. */
function jobCompletions(job: Json): string {
  const spec = rec(job['spec']);
  const succeeded = status(job, 'succeeded');
  // The API server sets completions to 1 when neither completions nor parallelism is given.
  const completions = spec['completions'] ?? (spec['parallelism'] === undefined ? 1 : undefined);
  if (completions !== undefined && completions !== null) return `${succeeded}/${int(completions)}`;
  const parallelism = int(spec['parallelism']);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** DURATION: from start to completion, or to now while it runs; blank before it starts. */
function jobDuration(job: Json, now: number): string {
  const start = str(at(job, 'status', 'startTime'));
  if (!start) return '';
  const end = str(at(job, 'status', 'completionTime'));
  if (!end) return since(start, now);
  return humanDuration(Date.parse(end) - Date.parse(start));
}

const JOB: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'Running, Complete, Failed, Suspended or Terminating.'),
    column('Completions', 'Pods that succeeded of those wanted.'),
    column('Duration', 'How long the Job ran.'),
    AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  cells: (job, now) => [nameOf(job), jobStatus(job), jobCompletions(job), jobDuration(job, now), ageOf(job, now),
    ...containerCells(at(job, 'spec', 'template')), formatLabelSelector(at(job, 'spec', 'selector'))],
};

export const APPS_PRINTERS: Readonly<Record<string, Printer>> = {
  'apps/Deployment': DEPLOYMENT,
  'apps/ReplicaSet': REPLICA_SET,
  'apps/StatefulSet': STATEFUL_SET,
  'apps/DaemonSet': DAEMON_SET,
  'batch/Job': JOB,
};
