// The scale subresource as kube-apiserver serves it (autoscaling/v1 Scale): a workload's
// spec.replicas, its status.replicas and its selector as text, read from the workload and
// written back into it. Pure: the daemon reads the live object and stores the result.
import type { ApiError } from './list-options.js';
import { selectorText } from './table-cells.js';

type Json = Record<string, unknown>;

const rec = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? v as Json : {});

/** The workload's Scale: metadata (name, namespace, uid, resourceVersion, creationTimestamp), spec and status. */
export function scaleOf(workload: Json): Json {
  const meta = rec(workload['metadata']);
  const spec = rec(workload['spec']);
  const status = rec(workload['status']);
  // ReplicationControllers select with a plain map; the apps workloads with a LabelSelector.
  const selector = workload['kind'] === 'ReplicationController' ? { matchLabels: rec(spec['selector']) } : spec['selector'];
  const metadata: Json = {};
  for (const k of ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp']) if (meta[k] !== undefined) metadata[k] = meta[k];
  const text = selectorText(selector);
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1', metadata,
    spec: { replicas: typeof spec['replicas'] === 'number' ? spec['replicas'] : 1 },
    status: { replicas: typeof status['replicas'] === 'number' ? status['replicas'] : 0, ...(text ? { selector: text } : {}) },
  };
}

/**
 * The replicas a written Scale asks for, or the API server's 422 (`Scale.autoscaling "web" is
 * invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`).
 */
export function replicasOf(scale: Json, name: string): number | ApiError {
  const replicas = rec(scale['spec'])['replicas'];
  if (typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0) return replicas;
  const shown = replicas === undefined ? 'null' : JSON.stringify(replicas);
  const detail = typeof replicas === 'number' && Number.isInteger(replicas) ? 'must be greater than or equal to 0' : 'must be an integer';
  return {
    code: 422, reason: 'Invalid',
    message: `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${shown}: ${detail}`,
    details: { name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${detail}`, field: 'spec.replicas' }] },
  };
}

/** The stored workload with the Scale's replicas. */
export function withReplicas(stored: Json, replicas: number): Json {
  return { ...stored, spec: { ...rec(stored['spec']), replicas } };
}
