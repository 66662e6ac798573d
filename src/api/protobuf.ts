// Protobuf request bodies, as client-go's typed clients send them (`kubectl create configmap`,
// `create deployment`, `create namespace`, ...: client-go falls back to JSON only after a 415 to
// CBOR, never to protobuf). The body is `k8s\0` then a runtime.Unknown whose `raw` is the object;
// the object is read by its kind's field table (kind-schemas.ts) into the JSON that `kubectl
// apply` of the same object sends: zero values Go would omit are left out, pointers' and
// structs' kept.
import { kindStruct, structSchema, type FieldType } from './kind-schemas.js';

type Json = Record<string, unknown>;

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from('k8s\0', 'latin1');
/** Go's zero time.Time as Unix seconds (0001-01-01T00:00:00Z): an unset Time on the wire. */
const ZERO_TIME_SECONDS = -62135596800n;

/** One field as met on the wire: a varint (wire type 0), or length-delimited bytes (type 2). */
type WireField = { readonly number: number; readonly varint: bigint; readonly bytes?: undefined } | { readonly number: number; readonly bytes: Buffer };

/** The fields of one message, in order; throws on a truncated or malformed message. */
export function wireFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= buf.length || shift > 63n) throw new Error('truncated varint');
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) out.push({ number, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (i + len > buf.length) throw new Error(`field ${number} runs past the message`);
      out.push({ number, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`wire type ${wire} of field ${number} is not read`);
  }
  if (i !== buf.length) throw new Error('truncated fixed-width field');
  return out;
}

const toInt = (v: bigint): number => Number(BigInt.asIntN(64, v));
const text = (f: WireField): string => (f.bytes ?? Buffer.alloc(0)).toString('utf8');
const first = (fields: readonly WireField[], n: number): WireField | undefined => fields.find((f) => f.number === n);

/** A decoded object, or why it cannot be read (the caller answers 415 or 400). */
export type Decoded = { readonly object: Json } | { readonly error: string };

/** A protobuf body (`k8s\0` + runtime.Unknown) as the JSON object it carries. */
export function decodeProtobufObject(body: Buffer): Decoded {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) return { error: 'the body does not start with the k8s protobuf envelope' };
  try {
    const unknown = wireFields(body.subarray(MAGIC.length));
    const typeMeta = wireFields(first(unknown, 1)?.bytes ?? Buffer.alloc(0));
    const apiVersion = text(first(typeMeta, 1) ?? { number: 1, bytes: Buffer.alloc(0) });
    const kind = text(first(typeMeta, 2) ?? { number: 2, bytes: Buffer.alloc(0) });
    const encoding = first(unknown, 3);
    if (encoding?.bytes && encoding.bytes.length > 0) return { error: `content encoding ${JSON.stringify(text(encoding))} is not read` };
    const slash = apiVersion.indexOf('/');
    const root = kindStruct(slash < 0 ? '' : apiVersion.slice(0, slash), kind);
    if (!root) return { error: `no protobuf decoder for ${kind} in ${apiVersion || 'no version'}` };
    return { object: { apiVersion, kind, ...message(first(unknown, 2)?.bytes ?? Buffer.alloc(0), root) } };
  } catch (e) {
    return { error: `the protobuf body cannot be read: ${(e as Error).message}` };
  }
}

/** A message of a known struct as JSON; fields of open structs (not in the table) are dropped. */
function message(buf: Buffer, structName: string): Json {
  const struct = structSchema(structName);
  const out: Json = {};
  if (!struct) return out;
  for (const w of wireFields(buf)) {
    const f = struct.byNumber.get(w.number);
    if (!f) continue;
    if (f.type.kind === 'list') {
      const items = (out[f.name] ??= []) as unknown[];
      items.push(...listItems(w, f.type.item));
    } else if (f.type.kind === 'map') {
      const entry = wireFields(w.bytes ?? Buffer.alloc(0));
      const key = first(entry, 1);
      const value = first(entry, 2);
      const map = (out[f.name] ??= {}) as Json;
      map[key ? text(key) : ''] = value === undefined ? '' : mapValue(value, f.type.values);
    } else {
      const v = scalarOrStruct(w, f.type);
      if (v === undefined) continue;
      if (f.inline && typeof v === 'object' && v !== null) Object.assign(out, v);
      // A struct on the wire is one Go had (a non-pointer struct is always written, as its JSON
      // always shows it: `resources: {}`); a zero scalar is omitempty's, unless a pointer's.
      else if (f.pointer || f.type.kind === 'struct' || !isZero(v)) out[f.name] = v;
      else delete out[f.name];
    }
  }
  return out;
}

function listItems(w: WireField, item: FieldType): unknown[] {
  // proto2 repeated scalars are not packed, but a packed run is read too.
  if (item.kind === 'int' && w.bytes) return packed(w.bytes);
  const v = scalarOrStruct(w, item);
  return v === undefined ? [] : [v];
}

function packed(buf: Buffer): number[] {
  const out: number[] = [];
  let v = 0n;
  let shift = 0n;
  for (const b of buf) {
    v |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) { out.push(toInt(v)); v = 0n; shift = 0n; }
  }
  return out;
}

function mapValue(w: WireField, values: 'string' | 'bytes' | 'quantity'): string {
  if (values === 'bytes') return (w.bytes ?? Buffer.alloc(0)).toString('base64');
  if (values === 'quantity') return quantity(w);
  return text(w);
}

function quantity(w: WireField): string {
  const s = first(wireFields(w.bytes ?? Buffer.alloc(0)), 1);
  return s ? text(s) : '0';
}

function scalarOrStruct(w: WireField, t: FieldType): unknown {
  switch (t.kind) {
    case 'string': return text(w);
    case 'int': return w.bytes ? undefined : toInt(w.varint);
    case 'bool': return w.bytes ? undefined : w.varint !== 0n;
    case 'bytes': return (w.bytes ?? Buffer.alloc(0)).toString('base64');
    case 'quantity': return quantity(w);
    case 'time': return time(w);
    case 'intOrString': {
      const f = wireFields(w.bytes ?? Buffer.alloc(0));
      const type = first(f, 1);
      if (type && !type.bytes && type.varint === 1n) return text(first(f, 3) ?? { number: 3, bytes: Buffer.alloc(0) });
      const n = first(f, 2);
      return n && !n.bytes ? toInt(n.varint) : 0;
    }
    case 'raw': {
      const raw = first(wireFields(w.bytes ?? Buffer.alloc(0)), 1);
      return raw?.bytes && raw.bytes.length > 0 ? JSON.parse(raw.bytes.toString('utf8')) : undefined;
    }
    case 'struct': return structSchema(t.name) ? message(w.bytes ?? Buffer.alloc(0), t.name) : undefined;
    case 'map':
    case 'list':
      throw new Error('maps and lists are read by their entries');
  }
}

/** metav1.Time: seconds and nanos, written as RFC 3339 at second precision; the zero time is unset. */
function time(w: WireField): string | undefined {
  const f = wireFields(w.bytes ?? Buffer.alloc(0));
  const seconds = first(f, 1);
  if (!seconds || seconds.bytes) return undefined;
  const s = BigInt.asIntN(64, seconds.varint);
  if (s === ZERO_TIME_SECONDS) return undefined;
  return new Date(Number(s) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Go's `omitempty`: "", 0, false, and empty lists, maps and structs are left out. */
function isZero(v: unknown): boolean {
  if (v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}
