// metadata.managedFields: which manager set which fields, by Apply (server-side apply) or Update
// (every other write). An Update takes the fields it changes from everyone else; fields an
// object no longer has are owned by no one.
import type { FieldSchema } from '../merge-keys.js';
import { changedMembers, fieldSetOf, fromFieldsV1, toFieldsV1, type FieldSet } from './field-set.js';
import { deepEqual, isObject, type JsonObject, type JsonValue } from './json.js';

export interface ManagerEntry {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  set: FieldSet;
  readonly subresource?: string;
}

export interface Writer {
  readonly manager: string;
  readonly apiVersion: string;
  /** RFC 3339, seconds. */
  readonly time: string;
  /** The subresource written through (`scale`): its Update entry is its own, as kube-apiserver keeps it. */
  readonly subresource?: string;
}

export function readEntries(obj: JsonObject | undefined): ManagerEntry[] {
  const meta = obj?.['metadata'];
  const list = isObject(meta) ? meta['managedFields'] : undefined;
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).map((e) => ({
    manager: String(e['manager'] ?? ''),
    operation: e['operation'] === 'Apply' ? 'Apply' : 'Update',
    apiVersion: String(e['apiVersion'] ?? ''),
    time: String(e['time'] ?? ''),
    set: fromFieldsV1(e['fieldsV1']),
    ...(typeof e['subresource'] === 'string' ? { subresource: e['subresource'] } : {}),
  }));
}

export function writeEntries(obj: JsonObject, entries: readonly ManagerEntry[]): JsonObject {
  const meta = isObject(obj['metadata']) ? { ...obj['metadata'] } : {};
  const kept = entries.filter((e) => e.set.size > 0);
  if (kept.length === 0) delete meta['managedFields'];
  else {
    meta['managedFields'] = kept.map((e): JsonValue => ({
      manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time,
      fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(e.set), ...(e.subresource ? { subresource: e.subresource } : {}),
    }));
  }
  return { ...obj, metadata: meta };
}

export function withoutManagedFields(obj: JsonObject): JsonObject {
  if (!isObject(obj['metadata'])) return obj;
  const { managedFields: _, ...meta } = obj['metadata'];
  return { ...obj, metadata: meta };
}

function minus(set: FieldSet, drop: FieldSet | ((k: string) => boolean)): FieldSet {
  const out: FieldSet = new Map();
  for (const [k, m] of set) if (typeof drop === 'function' ? !drop(k) : !drop.has(k)) out.set(k, m);
  return out;
}

/**
 * Records an Update by `writer` (create, replace, or a non-apply patch): `before` is the live
 * object (undefined on create), `after` what will be stored. A client that sends managedFields
 * of its own (kubectl's migration after a server-side apply) has them kept as sent.
 */
export function recordUpdate(before: JsonObject | undefined, after: JsonObject, fields: Readonly<Record<string, FieldSchema>>, writer: Writer): JsonObject {
  const sent = isObject(after['metadata']) ? after['metadata']['managedFields'] : undefined;
  const had = isObject(before?.['metadata']) ? (before!['metadata'] as JsonObject)['managedFields'] : undefined;
  if (Array.isArray(sent) && !deepEqual(sent, had)) return sent.length === 0 ? withoutManagedFields(after) : after;
  const oldSet = before ? fieldSetOf(before, fields) : new Map() as FieldSet;
  const newSet = fieldSetOf(after, fields);
  const changed = changedMembers(oldSet, newSet);
  const gone = (k: string): boolean => !newSet.has(k);
  const isMine = (e: ManagerEntry): boolean => e.manager === writer.manager && e.operation === 'Update' && (e.subresource ?? '') === (writer.subresource ?? '');
  const entries = readEntries(before).map((e) => ({ ...e, set: minus(minus(e.set, gone), isMine(e) ? new Map() : changed) }));
  let mine = entries.find(isMine);
  if (changed.size === 0 && !mine) return writeEntries(after, entries);
  if (!mine) {
    mine = { manager: writer.manager, operation: 'Update', apiVersion: writer.apiVersion, time: writer.time, set: new Map(), ...(writer.subresource ? { subresource: writer.subresource } : {}) };
    entries.push(mine);
  }
  if (changed.size > 0) {
    mine.set = new Map([...mine.set, ...changed]);
    mine.time = writer.time;
    mine.apiVersion = writer.apiVersion;
  }
  return writeEntries(after, entries);
}

/** kube-apiserver's default manager: the User-Agent's program name (`kubectl/v1.32.4 (linux/amd64) ...` -> kubectl). */
export function managerFromUserAgent(userAgent: string | undefined): string {
  return (userAgent ?? '').split('/')[0]!.slice(0, 128);
}
