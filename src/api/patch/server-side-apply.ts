// Server-side apply (`application/apply-patch+yaml`): the body is the whole configuration a
// manager wants. Its fields are merged into the live object (keyed lists by their keys), the
// manager's Apply entry becomes exactly those fields, fields it applied before and no longer
// sends are removed when no one else owns them, and a field another manager owns that would
// change is a conflict (409), unless `force` moves its ownership.
import { parse as parseYaml } from 'yaml';
import { fieldsOf, itemSchema, type FieldSchema } from '../merge-keys.js';
import { PatchFailure, badRequest } from './api-error.js';
import { NODE, fieldSetOf, itemKey, pathKey, printPath, removeAt, valueAt, type Member } from './field-set.js';
import { clone, deepEqual, isObject, type JsonObject, type JsonValue } from './json.js';
import { readEntries, withoutManagedFields, writeEntries, type ManagerEntry, type Writer } from './managed-fields.js';

type Fields = Readonly<Record<string, FieldSchema>>;

export function parseApplied(text: string): JsonObject {
  let v: unknown;
  try {
    v = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw badRequest(`error converting YAML to JSON: yaml: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObject(v)) throw badRequest(`error decoding YAML: the body is ${v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`}, not an object`);
  return v as JsonObject;
}

interface Conflict { readonly manager: ManagerEntry; readonly member: Member }

/** The merged object, and the manager's new Apply entry in its managedFields. */
export function serverSideApply(live: JsonObject | undefined, applied: JsonObject, fields: Fields, writer: Writer, force: boolean): JsonObject {
  const meta = isObject(applied['metadata']) ? applied['metadata'] : {};
  if (meta['managedFields'] !== undefined && meta['managedFields'] !== null) throw badRequest('metadata.managedFields must be nil');
  const appliedSet = fieldSetOf(applied, fields);
  const entries = readEntries(live);
  const base = live ? withoutManagedFields(clone(live)) : { apiVersion: applied['apiVersion'] ?? null, kind: applied['kind'] ?? null, metadata: {} };
  const merged = mergeFields(base, applied, fields);

  const mine = entries.find((e) => e.manager === writer.manager && e.operation === 'Apply' && !e.subresource);
  const others = entries.filter((e) => e !== mine);
  const conflicts: Conflict[] = [];
  for (const e of others) {
    for (const [k, m] of appliedSet) {
      if (m.value !== NODE && e.set.has(k) && live && !deepEqual(valueAt(live, m.path), m.value)) conflicts.push({ manager: e, member: m });
    }
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  for (const c of conflicts) c.manager.set.delete(pathKey(c.member.path));

  // Fields this manager applied before and dropped now, owned by no one else, go (an item before
  // its fields, which name it).
  if (mine) {
    const ownedByOthers = (k: string): boolean => others.some((e) => e.set.has(k));
    const dropped = [...mine.set.entries()].filter(([k]) => !appliedSet.has(k) && !ownedByOthers(k));
    for (const [, m] of dropped.sort((a, b) => a[1].path.length - b[1].path.length)) removeAt(merged, m.path);
  }
  const entry: ManagerEntry = mine ?? { manager: writer.manager, operation: 'Apply', apiVersion: writer.apiVersion, time: writer.time, set: new Map() };
  entry.set = appliedSet;
  entry.time = writer.time;
  entry.apiVersion = writer.apiVersion;
  return writeEntries(merged, mine ? entries : [...entries, entry]);
}

function conflictError(conflicts: readonly Conflict[]): PatchFailure {
  const who = (e: ManagerEntry): string => `"${e.manager}"${e.subresource ? ` with subresource "${e.subresource}"` : ''}${e.operation === 'Update' ? ` using ${e.apiVersion}${e.time ? ` at ${e.time}` : ''}` : ''}`;
  const causes = conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${who(c.manager)}`, field: printPath(c.member.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${who(conflicts[0]!.manager)}: ${printPath(conflicts[0]!.member.path)}`;
  } else {
    const byManager = new Map<string, Conflict[]>();
    for (const c of conflicts) byManager.set(who(c.manager), [...(byManager.get(who(c.manager)) ?? []), c]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((c) => `- ${printPath(c.member.path)}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new PatchFailure({ code: 409, reason: 'Conflict', message, details: { causes } });
}

/** The applied values laid over the live ones: maps key by key, keyed lists item by item, sets as unions. */
function mergeFields(live: JsonValue | undefined, applied: JsonObject, fields: Fields): JsonObject {
  const out: JsonObject = isObject(live) ? { ...live } : {};
  for (const [k, v] of Object.entries(applied)) {
    if (v !== null) out[k] = mergeValue(out[k], v, fields[k]);
  }
  return out;
}

function mergeValue(live: JsonValue | undefined, applied: JsonValue, schema: FieldSchema | undefined): JsonValue {
  if (schema?.kind === 'atomic' || (schema?.kind === 'map' && schema.atomic)) return clone(applied);
  if (isObject(applied)) return mergeFields(live, applied, schema?.kind === 'map' ? {} : fieldsOf(schema));
  if (!Array.isArray(applied) || schema?.kind !== 'list') return clone(applied);
  const out = Array.isArray(live) ? [...live] : [];
  for (const item of applied) {
    if (schema.mapKeys.length > 0 && isObject(item)) {
      const key = itemKey(item, schema.mapKeys);
      const at = out.findIndex((x) => isObject(x) && itemKey(x, schema.mapKeys) === key);
      if (at >= 0) out[at] = mergeValue(out[at], item, itemSchema(schema));
      else out.push(mergeValue(undefined, item, itemSchema(schema)));
    } else if (!out.some((x) => deepEqual(x, item))) {
      out.push(clone(item));
    }
  }
  return out;
}

