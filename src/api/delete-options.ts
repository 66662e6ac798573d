// DeleteOptions as kube-apiserver reads them, from the body (what kubectl sends) or the query:
// propagationPolicy (Background, Foreground, Orphan; the old orphanDependents), gracePeriodSeconds,
// dryRun and preconditions (uid, resourceVersion: another one is a 409). Refusals in its words.
import type { ApiError } from './list-options.js';
import { invalidStatus } from './invalid.js';

type Json = Record<string, unknown>;

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';
const POLICIES: readonly string[] = ['Foreground', 'Background', 'Orphan'];

export interface DeleteOptions {
  /** undefined: the resource's default (Background for every kind knet serves). */
  readonly propagationPolicy?: PropagationPolicy;
  readonly gracePeriodSeconds?: number;
  readonly dryRun: boolean;
  readonly preconditions: { readonly uid?: string; readonly resourceVersion?: string };
}

const rec = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? v as Json : {});

/** The options of a DELETE: the body's fields, each overridden by the query's when given there. */
export function parseDeleteOptions(query: URLSearchParams, body: unknown): DeleteOptions | ApiError {
  const b = rec(body);
  const errors: { field: string; message: string }[] = [];
  const policy = query.get('propagationPolicy') ?? b['propagationPolicy'];
  const orphanText = query.get('orphanDependents');
  const orphan = orphanText !== null ? orphanText === 'true' : b['orphanDependents'];
  if (policy !== undefined && policy !== null && !POLICIES.includes(String(policy))) {
    errors.push({ field: 'propagationPolicy', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"` });
  }
  if (policy !== undefined && policy !== null && orphan !== undefined && orphan !== null) {
    errors.push({ field: 'propagationPolicy', message: `Invalid value: ${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set` });
  }
  const graceText = query.get('gracePeriodSeconds');
  const grace = graceText !== null ? Number(graceText) : b['gracePeriodSeconds'];
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isInteger(grace))) {
    return { code: 400, reason: 'BadRequest', message: `gracePeriodSeconds: must be an integer, not ${JSON.stringify(graceText ?? grace)}` };
  }
  const dryRun = [...query.getAll('dryRun'), ...(Array.isArray(b['dryRun']) ? b['dryRun'].map(String) : [])];
  for (const d of dryRun) if (d !== 'All') errors.push({ field: 'dryRun', message: `Unsupported value: ${JSON.stringify(d)}: supported values: "All"` });
  if (errors.length > 0) return invalidStatus('DeleteOptions', 'meta.k8s.io', '', errors);
  const pre = rec(b['preconditions']);
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const uid = text(pre['uid']);
  const resourceVersion = text(pre['resourceVersion']);
  const chosen = policy ?? (orphan === true ? 'Orphan' : orphan === false ? 'Background' : undefined);
  return {
    ...(chosen ? { propagationPolicy: chosen as PropagationPolicy } : {}),
    ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}),
    dryRun: dryRun.length > 0,
    preconditions: { ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}) },
  };
}

/**
 * The 409 for preconditions the live object does not meet (etcd's guaranteed update):
 * `Operation cannot be fulfilled on deployments.apps "web": Precondition failed: UID in
 * precondition: X, UID in object meta: Y`; null when they hold.
 */
export function preconditionFailure(opts: DeleteOptions, live: Json, resource: { plural: string; group: string }, name: string): ApiError | null {
  const meta = rec(live['metadata']);
  const { uid, resourceVersion } = opts.preconditions;
  let why = '';
  if (uid !== undefined && uid !== meta['uid']) why = `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(meta['uid'] ?? '')}`;
  else if (resourceVersion !== undefined && resourceVersion !== meta['resourceVersion']) {
    why = `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${String(meta['resourceVersion'] ?? '')}`;
  }
  if (!why) return null;
  const qualified = resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
  return {
    code: 409, reason: 'Conflict', message: `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`,
    details: { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.plural },
  };
}
