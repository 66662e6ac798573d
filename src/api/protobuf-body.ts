// Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), read
// into the JSON object the rest of the API takes. client-go's typed clientset sends built-in
// kinds this way: helm's release Secrets (create, update) and the DeleteOptions of its deletes.
// Only the kinds listed in `KINDS` are known; any other is the API server's 415.
import type { ApiError } from './api-error.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** Whether a Content-Type names the protobuf encoding (parameters ignored). */
export function isProtobuf(contentType: string | undefined): boolean {
  return String(contentType ?? '').split(';')[0]!.trim().toLowerCase() === PROTOBUF;
}

// The envelope: four magic bytes, then a runtime.Unknown whose `raw` is the object's message.
const MAGIC = [0x6b, 0x38, 0x73, 0x00];

type Json = Record<string, unknown>;
type Scalar = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'json';
/** A field of a message: its JSON name and what its bytes are; `repeated` ones are lists. */
interface Field {
  readonly name: string;
  readonly type: Scalar | Schema | 'map-string' | 'map-bytes';
  readonly repeated?: boolean;
}
type Schema = { readonly [tag: number]: Field };

// Field numbers as k8s.io/api and k8s.io/apimachinery's generated.proto number them.
const TIME: Field['type'] = 'time';
const OWNER_REFERENCE: Schema = {
  1: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' }, 6: { name: 'controller', type: 'bool' }, 7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const MANAGED_FIELDS_ENTRY: Schema = {
  1: { name: 'manager', type: 'string' }, 2: { name: 'operation', type: 'string' }, 3: { name: 'apiVersion', type: 'string' },
  4: { name: 'time', type: TIME }, 6: { name: 'fieldsType', type: 'string' }, 7: { name: 'fieldsV1', type: { 1: { name: 'Raw', type: 'json' } } },
  8: { name: 'subresource', type: 'string' },
};
const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' }, 2: { name: 'generateName', type: 'string' }, 3: { name: 'namespace', type: 'string' },
  4: { name: 'selfLink', type: 'string' }, 5: { name: 'uid', type: 'string' }, 6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' }, 8: { name: 'creationTimestamp', type: TIME }, 9: { name: 'deletionTimestamp', type: TIME },
  10: { name: 'deletionGracePeriodSeconds', type: 'int' }, 11: { name: 'labels', type: 'map-string' },
  12: { name: 'annotations', type: 'map-string' }, 13: { name: 'ownerReferences', type: OWNER_REFERENCE, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true }, 17: { name: 'managedFields', type: MANAGED_FIELDS_ENTRY, repeated: true },
};
const KINDS: Readonly<Record<string, Schema>> = {
  Secret: {
    1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'data', type: 'map-bytes' }, 3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'map-string' }, 5: { name: 'immutable', type: 'bool' },
  },
  ConfigMap: {
    1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'data', type: 'map-string' }, 3: { name: 'binaryData', type: 'map-bytes' },
    4: { name: 'immutable', type: 'bool' },
  },
  DeleteOptions: {
    1: { name: 'gracePeriodSeconds', type: 'int' },
    2: { name: 'preconditions', type: { 1: { name: 'uid', type: 'string' }, 2: { name: 'resourceVersion', type: 'string' } } },
    3: { name: 'orphanDependents', type: 'bool' }, 4: { name: 'propagationPolicy', type: 'string' },
    5: { name: 'dryRun', type: 'string', repeated: true }, 6: { name: 'ignoreStoreReadErrorWithClusterBreakingPotential', type: 'bool' },
  },
};
const UNKNOWN: Schema = {
  1: { name: 'typeMeta', type: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
  2: { name: 'raw', type: 'bytes' }, 3: { name: 'contentEncoding', type: 'string' }, 4: { name: 'contentType', type: 'string' },
};

/** The object a protobuf body holds, as JSON (apiVersion and kind from its envelope), or the API server's refusal. */
export function decodeProtobufBody(body: Uint8Array): Json | ApiError {
  if (body.length === 0) return {};
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    return badRequest('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  try {
    const unknown = readMessage(body.subarray(MAGIC.length), UNKNOWN);
    const typeMeta = (unknown['typeMeta'] ?? {}) as Json;
    const kind = String(typeMeta['kind'] ?? '');
    const schema = KINDS[kind];
    if (!schema) {
      return { code: 415, reason: 'UnsupportedMediaType', message: `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (knet reads ${Object.keys(KINDS).join(', ')} as ${PROTOBUF}, not ${kind || 'this object'})` };
    }
    const raw = Buffer.from(String(unknown['raw'] ?? ''), 'base64');
    return { apiVersion: typeMeta['apiVersion'], kind, ...readMessage(raw, schema) };
  } catch (e) {
    return badRequest(`the protobuf body does not decode: ${(e as Error).message}`);
  }
}

function badRequest(message: string): ApiError {
  return { code: 400, reason: 'BadRequest', message };
}

/** One message's fields by its schema; fields the schema does not name are skipped, as protobuf does. */
function readMessage(buf: Uint8Array, schema: Schema): Json {
  const out: Json = {};
  const r = new Reader(buf);
  while (!r.done()) {
    const key = r.varint();
    const tag = Number(key >> 3n);
    const wire = Number(key & 7n);
    const field = schema[tag];
    if (!field) {
      r.skip(wire);
      continue;
    }
    const value = readValue(r, wire, field);
    // Go writes every string and time it has, empty or zero; their JSON omits them.
    if (value === undefined || (value === '' && field.type === 'string' && !field.repeated)) continue;
    if (field.type === 'map-string' || field.type === 'map-bytes') {
      const [k, v] = value as [string, unknown];
      out[field.name] = { ...((out[field.name] ?? {}) as Json), [k]: v };
    } else if (field.repeated) {
      out[field.name] = [...((out[field.name] ?? []) as unknown[]), value];
    } else {
      out[field.name] = value;
    }
  }
  return out;
}

function readValue(r: Reader, wire: number, field: Field): unknown {
  const t = field.type;
  if (t === 'int') return Number(BigInt.asIntN(64, r.varint()));
  if (t === 'bool') return r.varint() !== 0n;
  const bytes = r.lengthDelimited(wire);
  switch (t) {
    case 'string': return new TextDecoder().decode(bytes);
    case 'bytes': return Buffer.from(bytes).toString('base64');
    case 'json': return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    case 'time': return rfc3339(readMessage(bytes, { 1: { name: 's', type: 'int' }, 2: { name: 'n', type: 'int' } }));
    case 'map-string':
    case 'map-bytes': {
      const entry = readMessage(bytes, { 1: { name: 'k', type: 'string' }, 2: { name: 'v', type: t === 'map-string' ? 'string' : 'bytes' } });
      return [String(entry['k'] ?? ''), entry['v'] ?? ''];
    }
    default: return readMessage(bytes, t);
  }
}

/** metav1.Time is seconds (nanoseconds dropped): its JSON is RFC 3339 to the second; Go's zero time is none. */
function rfc3339(t: Json): string | undefined {
  const seconds = Number(t['s'] ?? 0);
  if (seconds <= GO_ZERO_TIME) return undefined;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
/** time.Time{} in Unix seconds (January 1, year 1). */
const GO_ZERO_TIME = -62135596800;

class Reader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.at >= this.buf.length;
  }

  varint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.at >= this.buf.length) throw new Error('a varint runs past the end');
      const b = this.buf[this.at++]!;
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new Error('a varint longer than 10 bytes');
  }

  lengthDelimited(wire: number): Uint8Array {
    if (wire !== 2) throw new Error(`wire type ${wire} where a length-delimited field belongs`);
    const length = Number(this.varint());
    if (this.at + length > this.buf.length) throw new Error('a field runs past the end');
    const bytes = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    return bytes;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 5) this.advance(4);
    else if (wire === 2) this.lengthDelimited(2);
    else throw new Error(`unknown wire type ${wire}`);
  }

  private advance(n: number): void {
    if (this.at + n > this.buf.length) throw new Error('a field runs past the end');
    this.at += n;
  }
}
