// PATCH as kube-apiserver serves it: the four patch types by Content-Type, and the managedFields
// entry of the writer. `patchObject` decides; the daemon reads the live object and stores the result.
import { kindSchema } from '../merge-keys.js';
import { PatchFailure, badRequest, goJsonError, type ApiError } from './api-error.js';
import { applyJsonPatch, decodeJsonPatch } from './json-patch.js';
import { isObject, type JsonObject, type JsonValue } from './json.js';
import { managerFromUserAgent, recordUpdate, type Writer } from './managed-fields.js';
import { applyMergePatch } from './merge-patch.js';
import { parseApplied, serverSideApply } from './server-side-apply.js';
import { applyStrategicMerge } from './strategic-merge.js';

export type { ApiError } from './api-error.js';
export { isApiError } from './api-error.js';
export { managerFromUserAgent } from './managed-fields.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface PatchOptions {
  readonly fieldManager?: string;
  /** As the request gave it: undefined when absent (it may only be given with apply). */
  readonly force?: boolean;
  readonly gvk: GroupVersionKind;
  /** For the default manager name, as kube-apiserver takes it. */
  readonly userAgent?: string;
  readonly now?: Date;
  /** Written through a subresource (`scale`): recorded in the writer's managedFields entry. */
  readonly subresource?: string;
}

/** The patch types a kind accepts, in kube-apiserver's order (no strategic merge for CRDs). */
export function patchTypesFor(gvk: GroupVersionKind): string[] {
  return kindSchema(gvk.group, gvk.kind).builtIn ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];
}

const apiVersionOf = (g: GroupVersionKind): string => (g.group ? `${g.group}/${g.version}` : g.version);

function writerOf(opts: PatchOptions, manager: string): Writer {
  const time = (opts.now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  return { manager, apiVersion: apiVersionOf(opts.gvk), time, ...(opts.subresource ? { subresource: opts.subresource } : {}) };
}

function optionsInvalid(field: string, what: string): PatchFailure {
  return new PatchFailure({
    code: 422, reason: 'Invalid', message: `PatchOptions.meta.k8s.io "" is invalid: ${field}: ${what}`,
    details: { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValue', message: what, field }] },
  });
}

function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw badRequest(goJsonError(e, text));
  }
}

/**
 * Patches `live` (the object's wire form; undefined when it does not exist, which only
 * server-side apply may create) with `body` of `contentType`. The result carries the writer's
 * managedFields entry.
 */
export function patchObject(live: Readonly<Record<string, unknown>> | undefined, contentType: string, body: string | Buffer, opts: PatchOptions): { object: JsonObject } | ApiError {
  try {
    return { object: patch(live as JsonObject | undefined, contentType, typeof body === 'string' ? body : body.toString('utf8'), opts) };
  } catch (e) {
    if (e instanceof PatchFailure) return e.error;
    // A body this code did not foresee is still the client's: never a crash of the server.
    if (e instanceof RangeError) return { code: 422, reason: 'Invalid', message: `the patch could not be applied: ${e.message}` };
    throw e;
  }
}

function patch(live: JsonObject | undefined, contentType: string, text: string, opts: PatchOptions): JsonObject {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const accepted = patchTypesFor(opts.gvk);
  if (!accepted.includes(type)) {
    throw new PatchFailure({ code: 415, reason: 'UnsupportedMediaType', message: `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}` });
  }
  const { fields } = kindSchema(opts.gvk.group, opts.gvk.kind);
  if (type === APPLY_PATCH) {
    if (!opts.fieldManager) throw optionsInvalid('fieldManager', 'Required value: is required for apply patch');
    const applied = parseApplied(text);
    checkIdentity(live, applied, opts.gvk);
    return serverSideApply(live, applied, fields, writerOf(opts, opts.fieldManager), opts.force === true);
  }
  if (opts.force !== undefined) throw optionsInvalid('force', 'Forbidden: may not be specified for non-apply patch');
  if (!live) throw new PatchFailure({ code: 404, reason: 'NotFound', message: 'not found' });
  const body = parseJson(text);
  let patched: JsonValue;
  if (type === JSON_PATCH) {
    patched = applyJsonPatch(live, decodeJsonPatch(body));
  } else if (type === MERGE_PATCH) {
    if (!isObject(body)) throw badRequest('Invalid JSON Patch');
    patched = applyMergePatch(live, body);
  } else {
    if (!isObject(body)) throw badRequest(`json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type map[string]interface {}`);
    patched = applyStrategicMerge(live, body, fields);
  }
  if (!isObject(patched)) throw badRequest('the patched object is not an object');
  const manager = opts.fieldManager || managerFromUserAgent(opts.userAgent);
  return recordUpdate(live, patched, fields, writerOf(opts, manager));
}

/** Server-side apply's body names the object it applies to: its kind and name must match the URL's. */
function checkIdentity(live: JsonObject | undefined, applied: JsonObject, gvk: GroupVersionKind): void {
  if (typeof applied['kind'] !== 'string' || applied['kind'] === '') throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(applied)}'`);
  if (applied['kind'] !== gvk.kind) throw badRequest(`the kind of the object (${String(applied['kind'])}) does not match the kind on the URL (${gvk.kind})`);
  const liveName = isObject(live?.['metadata']) ? (live!['metadata'] as JsonObject)['name'] : undefined;
  const name = isObject(applied['metadata']) ? applied['metadata']['name'] : undefined;
  if (liveName !== undefined && name !== liveName) {
    throw badRequest(`the name of the object (${String(name ?? '')}) does not match the name on the URL (${String(liveName)})`);
  }
}

/** The writer's Update entry on a create or replace (POST, PUT): `before` is the live object, if any. */
export function recordWrite(before: Readonly<Record<string, unknown>> | undefined, after: Readonly<Record<string, unknown>>, opts: Omit<PatchOptions, 'force'>): JsonObject {
  const { fields } = kindSchema(opts.gvk.group, opts.gvk.kind);
  return recordUpdate(before as JsonObject | undefined, after as JsonObject, fields, writerOf(opts, opts.fieldManager || managerFromUserAgent(opts.userAgent)));
}
