// The set of fields an object sets, as server-side apply tracks them (managedFields' fieldsV1):
// `f:name` a field, `k:{"name":"web"}` an item of a keyed list, `v:"x"` a member of a set,
// `.` the node itself (a map, a list item, a set). Leaves carry their value, so that a change
// can be told from a same-value write.
import { fieldsOf, itemSchema, type FieldSchema } from '../merge-keys.js';
import { deepEqual, isObject, type JsonObject, type JsonValue } from './json.js';

export const NODE = Symbol('node');
export type Path = readonly string[];
export interface Member { readonly path: Path; readonly value: JsonValue | typeof NODE }
/** Members by `pathKey`. */
export type FieldSet = Map<string, Member>;

export const pathKey = (p: Path): string => p.join('\u0001');

type Fields = Readonly<Record<string, FieldSchema>>;

/** Fields the server owns or that name the object: never in a manager's set. */
const TOP_SKIPPED = new Set(['apiVersion', 'kind', 'status']);
const META_SKIPPED = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink',
  'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds']);

/**
 * Map keys the API server defaults before it merges: a port's protocol is TCP unless it says
 * otherwise, so `{containerPort: 80}` and `{containerPort: 80, protocol: TCP}` are one item.
 */
const KEY_DEFAULTS: Readonly<Record<string, JsonValue>> = { protocol: 'TCP' };

const keyValue = (item: JsonObject, k: string): JsonValue | undefined => item[k] ?? KEY_DEFAULTS[k];

/** The identity of a keyed list's item: its map keys, as `k:` writes them. */
export function itemKey(item: JsonObject, keys: readonly string[]): string {
  const present = keys.filter((k) => keyValue(item, k) !== undefined);
  return `k:${JSON.stringify(Object.fromEntries(present.map((k) => [k, keyValue(item, k)!])))}`;
}

export function fieldSetOf(obj: JsonObject, fields: Fields): FieldSet {
  const out: FieldSet = new Map();
  const add = (path: Path, value: JsonValue | typeof NODE): void => void out.set(pathKey(path), { path, value });
  const visit = (v: JsonValue, schema: FieldSchema | undefined, path: Path): void => {
    if (schema?.kind === 'atomic' || (schema?.kind === 'map' && schema.atomic)) return add(path, v);
    if (isObject(v)) {
      if (schema?.kind === 'map') add(path, NODE);
      else if (Object.keys(v).length === 0) return add(path, v);
      walk(v, schema?.kind === 'map' ? {} : fieldsOf(schema), path);
    } else if (Array.isArray(v) && schema?.kind === 'list') {
      // A set is a node of its own (`.`); a keyed list is only its items, unless it is empty.
      if (schema.mapKeys.length === 0) add(path, NODE);
      else if (v.length === 0) add(path, v);
      for (const item of v) {
        if (schema.mapKeys.length > 0 && isObject(item)) {
          const p = [...path, itemKey(item, schema.mapKeys)];
          add(p, NODE);
          walk(item, fieldsOf(itemSchema(schema)), p);
        } else {
          add([...path, `v:${JSON.stringify(item)}`], item);
        }
      }
    } else {
      add(path, v);
    }
  };
  const walk = (o: JsonObject, fs: Fields, path: Path): void => {
    for (const [k, v] of Object.entries(o)) {
      if (path.length === 0 && TOP_SKIPPED.has(k)) continue;
      if (path.length === 1 && path[0] === 'f:metadata' && META_SKIPPED.has(k)) continue;
      if (v === null) continue;
      visit(v, fs[k], [...path, `f:${k}`]);
    }
  };
  walk(obj, fields, []);
  return out;
}

/** Members that `after` adds or sets to another value than `before` had. */
export function changedMembers(before: FieldSet, after: FieldSet): FieldSet {
  const out: FieldSet = new Map();
  for (const [k, m] of after) {
    const was = before.get(k);
    if (!was || (m.value !== NODE && (was.value === NODE || !deepEqual(was.value, m.value)))) out.set(k, m);
  }
  return out;
}

/** managedFields' fieldsV1 tree from a set. */
export function toFieldsV1(set: FieldSet): JsonObject {
  // Paths that have members below them: a member among them is marked `.`.
  const parents = new Set<string>();
  for (const { path } of set.values()) for (let i = 1; i < path.length; i++) parents.add(pathKey(path.slice(0, i)));
  const root: JsonObject = {};
  for (const [k, { path }] of set) {
    let node = root;
    for (const el of path) node = (node[el] ??= {}) as JsonObject;
    if (parents.has(k)) node['.'] = {};
  }
  return root;
}

/** A fieldsV1 tree as a set of paths (values unknown: NODE for every member). */
export function fromFieldsV1(tree: unknown): FieldSet {
  const out: FieldSet = new Map();
  const walk = (node: unknown, path: string[]): void => {
    if (!isObject(node)) return;
    const children = Object.keys(node).filter((k) => k !== '.');
    if (path.length > 0 && (children.length === 0 || Object.hasOwn(node, '.'))) out.set(pathKey(path), { path, value: NODE });
    for (const c of children) walk(node[c], [...path, c]);
  };
  walk(tree, []);
  return out;
}

/** A `k:` or `v:` element's JSON; a stored entry that is not JSON names nothing. */
function elementJson(el: string): JsonValue | undefined {
  try {
    return JSON.parse(el.slice(2)) as JsonValue;
  } catch {
    return undefined;
  }
}

/** `.spec.template.spec.containers[name="web"].image`: a path as kube-apiserver prints it. */
export function printPath(path: Path): string {
  return path.map((el) => {
    if (el.startsWith('f:')) return `.${el.slice(2)}`;
    if (el.startsWith('k:')) {
      const keys = elementJson(el);
      if (!isObject(keys)) return `[${el.slice(2)}]`;
      return `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    }
    if (el.startsWith('v:')) return `[=${el.slice(2)}]`;
    return `[${el.slice(2)}]`;
  }).join('');
}

/** The value at a path in `obj`, or undefined. */
export function valueAt(obj: JsonValue, path: Path): JsonValue | undefined {
  let cur: JsonValue | undefined = obj;
  for (const el of path) {
    if (cur === undefined) return undefined;
    if (el.startsWith('f:')) {
      cur = isObject(cur) && Object.hasOwn(cur, el.slice(2)) ? cur[el.slice(2)] : undefined;
    } else if (el.startsWith('k:') && Array.isArray(cur)) {
      const keys = elementJson(el);
      if (!isObject(keys)) return undefined;
      cur = cur.find((x) => isObject(x) && Object.entries(keys).every(([k, v]) => deepEqual(keyValue(x, k), v)));
    } else if (el.startsWith('v:') && Array.isArray(cur)) {
      const v = elementJson(el);
      if (v === undefined) return undefined;
      cur = cur.find((x) => deepEqual(x, v));
    } else {
      return undefined;
    }
  }
  return cur;
}

/** Removes the value at `path` from `obj` (in place); absent paths are left as they are. */
export function removeAt(obj: JsonObject, path: Path): void {
  const parent = valueAt(obj, path.slice(0, -1));
  const el = path[path.length - 1];
  if (el === undefined || parent === undefined) return;
  if (el.startsWith('f:') && isObject(parent)) {
    delete parent[el.slice(2)];
  } else if (Array.isArray(parent)) {
    const target = valueAt(obj, path);
    const i = parent.findIndex((x) => x === target);
    if (i >= 0) parent.splice(i, 1);
  }
}
