// Strategic merge patch (`application/strategic-merge-patch+json`): a merge patch that knows the
// types. Lists with a merge key (containers by name, ports by containerPort...) merge item by
// item; lists of scalars with the `merge` strategy are sets; other lists are replaced. Directives:
// `$patch: replace|delete|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<field>`,
// `$setElementOrder/<field>`; `null` deletes a field.
import { fieldsOf, itemSchema, type FieldSchema, type ListSchema } from '../merge-keys.js';
import { PatchFailure, badRequest } from './api-error.js';
import { clone, deepEqual, isObject, type JsonObject, type JsonValue } from './json.js';

type Fields = Readonly<Record<string, FieldSchema>>;

const DELETE_FROM = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';

const invalid = (message: string): PatchFailure => new PatchFailure({ code: 422, reason: 'Invalid', message });

function goMap(v: JsonValue): string {
  return isObject(v) ? `map[${Object.keys(v).sort().map((k) => `${k}:${goMap(v[k]!)}`).join(' ')}]` : Array.isArray(v) ? `[${v.map(goMap).join(' ')}]` : String(v);
}

/** Applies `patch` to a copy of `original`, whose top-level fields are `fields`. */
export function applyStrategicMerge(original: JsonObject, patch: JsonObject, fields: Fields): JsonObject {
  return mergeMap(clone(original), patch, fields);
}

function mergeMap(original: JsonObject, patch: JsonObject, fields: Fields): JsonObject {
  const directive = patch['$patch'];
  if (directive === 'replace') return stripDirectives(patch);
  if (directive === 'delete') return {};
  if (directive !== undefined && directive !== 'merge') throw badRequest(`unknown patch type: ${String(directive)} in map: ${goMap(patch)}`);
  let out: JsonObject = { ...original };
  const retain = patch['$retainKeys'];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) throw badRequest('invalid patch format of retainKeys');
    for (const k of Object.keys(patch)) {
      if (!k.startsWith('$') && patch[k] !== null && !retain.includes(k)) throw invalid("patch content doesn't match retainKeys list");
    }
    out = Object.fromEntries(Object.entries(out).filter(([k]) => retain.includes(k)));
  }
  const orders: [string, JsonValue[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      if (!Array.isArray(value)) throw badRequest('invalid patch format of primitive list');
      const list = out[field];
      if (Array.isArray(list)) out[field] = list.filter((x) => !value.some((d) => deepEqual(d, x)));
      continue;
    }
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw badRequest('invalid patch format of setElementOrder list');
      orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    const schema = fields[key];
    if (value === null) {
      delete out[key];
    } else if (isObject(value)) {
      const current = out[key];
      out[key] = schema?.kind === 'atomic' ? stripDirectives(value) : mergeMap(isObject(current) ? current : {}, value, fieldsOf(schema));
    } else if (Array.isArray(value)) {
      out[key] = schema?.kind === 'list' ? mergeList(Array.isArray(out[key]) ? (out[key] as JsonValue[]) : [], value, schema) : stripList(value);
    } else {
      out[key] = value;
    }
  }
  for (const [field, order] of orders) {
    const list = out[field];
    const schema = fields[field];
    if (Array.isArray(list)) out[field] = ordered(list, order, schema?.kind === 'list' ? schema.mergeKey : undefined);
  }
  return out;
}

/** A list merged by its merge key (or as a set of scalars); `$patch` items say replace or delete. */
function mergeList(original: JsonValue[], patch: JsonValue[], schema: ListSchema): JsonValue[] {
  if (patch.some((p) => Array.isArray(p))) throw invalid('lists of lists are not supported');
  const replace = patch.some((p) => isObject(p) && p['$patch'] === 'replace');
  const items = patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace'));
  const key = schema.mergeKey;
  if (!key) {
    const base = replace ? [] : original;
    return [...base, ...items.filter((p, i) => !base.some((o) => deepEqual(o, p)) && items.findIndex((q) => deepEqual(q, p)) === i)];
  }
  if (replace) return items.map((p) => (isObject(p) ? stripDirectives(p) : p));
  const itemFields = fieldsOf(itemSchema(schema));
  const out = [...original];
  for (const p of items) {
    if (!isObject(p)) throw invalid(`json: cannot unmarshal ${typeof p} into Go value of type map[string]interface {}`);
    if (!Object.hasOwn(p, key)) throw invalid(`map: ${goMap(p)} does not contain declared merge key: ${key}`);
    const at = out.findIndex((o) => isObject(o) && deepEqual(o[key], p[key]));
    if (p['$patch'] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = mergeMap(out[at] as JsonObject, p, itemFields);
    else out.push(mergeMap({}, p, itemFields));
  }
  return out;
}

/** `$setElementOrder`: the listed items first, in its order; others after, as they were. */
function ordered(list: JsonValue[], order: JsonValue[], key: string | undefined): JsonValue[] {
  const rank = (x: JsonValue): number => {
    const i = order.findIndex((o) => (key && isObject(o) && isObject(x) ? deepEqual(o[key], x[key]) : deepEqual(o, x)));
    return i < 0 ? order.length : i;
  };
  return list.map((x, i) => ({ x, i, r: rank(x) })).sort((a, b) => a.r - b.r || a.i - b.i).map((e) => e.x);
}

function stripDirectives(v: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$') || x === null) continue;
    out[k] = isObject(x) ? stripDirectives(x) : Array.isArray(x) ? stripList(x) : x;
  }
  return out;
}

function stripList(list: JsonValue[]): JsonValue[] {
  return list.map((x) => (isObject(x) ? stripDirectives(x) : x));
}
