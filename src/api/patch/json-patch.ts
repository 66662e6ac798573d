// JSON patch (RFC 6902, `application/json-patch+json`): a list of add/remove/replace/move/copy/test
// operations on JSON pointers, applied in order; any failing operation fails the whole patch.
import { badRequest, patchRejected } from './api-error.js';
import { clone, deepEqual, isObject, type JsonObject, type JsonValue } from './json.js';

interface Operation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  readonly value?: JsonValue;
  readonly hasValue: boolean;
}

/** The body as a list of operations (a 400 when it is not one, as kube-apiserver's decoder says). */
export function decodeJsonPatch(body: unknown): Operation[] {
  if (!Array.isArray(body)) {
    throw badRequest(`json: cannot unmarshal ${body === null ? 'null' : isObject(body) ? 'object' : typeof body} into Go value of type jsonpatch.Patch`);
  }
  return body.map((o) => {
    if (!isObject(o)) throw badRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    return {
      op: typeof o['op'] === 'string' ? o['op'] : '',
      path: typeof o['path'] === 'string' ? o['path'] : '',
      from: typeof o['from'] === 'string' ? o['from'] : undefined,
      value: o['value'],
      hasValue: Object.hasOwn(o, 'value'),
    };
  });
}

/** RFC 6901: `/a/b~1c/0` -> ['a', 'b/c', '0']. */
function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchRejected(`JSON pointer "${pointer}" does not start with /`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = JsonObject | JsonValue[];

/** The container that holds the pointer's last token, and that token. */
function parentOf(doc: JsonValue, pointer: string, op: string): { parent: Container; key: string } {
  const ts = tokens(pointer);
  if (ts.length === 0) throw patchRejected(`${op} operation does not apply: the whole document cannot be the target`);
  let cur: JsonValue = doc;
  for (const t of ts.slice(0, -1)) {
    const next: JsonValue | undefined = Array.isArray(cur) ? cur[indexOf(cur, t, false)] : isObject(cur) ? cur[t] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      throw patchRejected(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
    }
    cur = next;
  }
  return { parent: cur as Container, key: ts[ts.length - 1]! };
}

function indexOf(list: readonly JsonValue[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw patchRejected(`Unable to access invalid index: ${token}: invalid index referenced`);
  const i = Number(token);
  if (i > list.length || (!forInsert && i === list.length)) throw patchRejected(`Unable to access invalid index: ${i}: invalid index referenced`);
  return i;
}

function get(doc: JsonValue, pointer: string): JsonValue | undefined {
  let cur: JsonValue | undefined = doc;
  for (const t of tokens(pointer)) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(t)) return undefined;
      cur = cur[Number(t)];
    } else if (isObject(cur)) {
      cur = Object.hasOwn(cur, t) ? cur[t] : undefined;
    } else {
      return undefined;
    }
  }
  return cur;
}

function add(doc: JsonValue, pointer: string, value: JsonValue): JsonValue {
  if (pointer === '') return value;
  const { parent, key } = parentOf(doc, pointer, 'add');
  if (Array.isArray(parent)) parent.splice(indexOf(parent, key, true), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: JsonValue, pointer: string, op = 'remove'): JsonValue {
  const { parent, key } = parentOf(doc, pointer, op);
  if (Array.isArray(parent)) {
    parent.splice(indexOf(parent, key, false), 1);
  } else {
    if (!Object.hasOwn(parent, key)) throw patchRejected(`Unable to remove nonexistent key: ${key}: missing value`);
    delete parent[key];
  }
  return doc;
}

function replace(doc: JsonValue, pointer: string, value: JsonValue): JsonValue {
  if (pointer === '') return value;
  const { parent, key } = parentOf(doc, pointer, 'replace');
  if (Array.isArray(parent)) parent[indexOf(parent, key, false)] = value;
  else if (!Object.hasOwn(parent, key)) throw patchRejected(`replace operation does not apply: doc is missing key: ${pointer}: missing value`);
  else parent[key] = value;
  return doc;
}

function valueOf(o: Operation): JsonValue {
  if (!o.hasValue) throw patchRejected(`${o.op} operation, "value" field missing`);
  return clone(o.value as JsonValue);
}

/** Applies the operations to a copy of `doc`; a failing one throws a 422 (the patch as a whole fails). */
export function applyJsonPatch(doc: JsonValue, operations: readonly Operation[]): JsonValue {
  let out = clone(doc);
  for (const o of operations) {
    switch (o.op) {
      case 'add': out = add(out, o.path, valueOf(o)); break;
      case 'remove': out = remove(out, o.path); break;
      case 'replace': out = replace(out, o.path, valueOf(o)); break;
      case 'test': {
        const actual = get(out, o.path);
        if (actual === undefined ? o.value !== null && o.value !== undefined : !deepEqual(actual, o.value)) {
          throw patchRejected(`testing value ${o.path} failed: test failed`);
        }
        break;
      }
      case 'move':
      case 'copy': {
        const from = o.from ?? '';
        const v = get(out, from);
        if (v === undefined) throw patchRejected(`${o.op} operation does not apply: doc is missing from path: ${from}: missing value`);
        if (o.op === 'move') {
          if (o.path.startsWith(`${from}/`)) throw patchRejected(`move operation does not apply: cannot move "${from}" into its own child "${o.path}"`);
          out = remove(out, from, 'move');
        }
        out = add(out, o.path, clone(v));
        break;
      }
      default:
        throw patchRejected(`Unexpected kind: ${o.op}`);
    }
  }
  return out;
}
