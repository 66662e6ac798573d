import { describe, expect, it } from 'vitest';
import { decodeProtobufObject, wireFields } from './protobuf.js';

// A test-side encoder: a message is a list of [field number, value]; a number or bigint is a
// varint, a string or Buffer length-delimited bytes, a nested list a message.
type Value = number | bigint | string | Buffer | Msg;
type Msg = readonly (readonly [number, Value])[];

function varint(v: bigint): Buffer {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  do {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x ? b | 0x80 : b);
  } while (x);
  return Buffer.from(out);
}

function encode(msg: Msg): Buffer {
  return Buffer.concat(msg.map(([n, v]) => {
    if (typeof v === 'number' || typeof v === 'bigint') return Buffer.concat([varint(BigInt(n << 3)), varint(BigInt(v))]);
    const bytes = typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : encode(v);
    return Buffer.concat([varint(BigInt((n << 3) | 2)), varint(BigInt(bytes.length)), bytes]);
  }));
}

const envelope = (apiVersion: string, kind: string, raw: Msg): Buffer =>
  Buffer.concat([Buffer.from('k8s\0', 'latin1'), encode([[1, [[1, apiVersion], [2, kind]]], [2, encode(raw)], [3, ''], [4, '']])]);
const entry = (k: string, v: Value): Value => [[1, k], [2, v]];
// Go's zero time.Time, as gogo writes an unset creationTimestamp.
const zeroTime: Msg = [[1, -62135596800n], [2, 0]];

describe('protobuf bodies', () => {
  it('the wire: varints (negative ones too), length-delimited fields, truncation refused', () => {
    expect(wireFields(encode([[1, 300], [2, 'ab'], [3, -1]]))).toEqual([{ number: 1, varint: 300n }, { number: 2, bytes: Buffer.from('ab') }, { number: 3, varint: 2n ** 64n - 1n }]);
    expect(() => wireFields(Buffer.from([0x12, 0x05, 0x61]))).toThrow('runs past the message');
  });

  it('a ConfigMap (kubectl create configmap): data map, an empty generateName and generation dropped', () => {
    const body = envelope('v1', 'ConfigMap', [
      [1, [[1, 'x'], [2, ''], [3, 'default'], [7, 0], [8, zeroTime]]],
      [2, entry('a', 'b')], [2, entry('c', 'd')],
    ]);
    expect(decodeProtobufObject(body)).toEqual({ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: { a: 'b', c: 'd' } } });
  });

  it('a Secret: bytes values as base64, its type', () => {
    const body = envelope('v1', 'Secret', [[1, [[1, 's']]], [2, entry('user', Buffer.from('admin'))], [3, 'Opaque']]);
    expect(decodeProtobufObject(body)).toEqual({ object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { user: 'YWRtaW4=' }, type: 'Opaque' } });
  });

  it('a Deployment: replicas 0 kept (a pointer), empty structs kept as Go writes them, lists, IntOrString', () => {
    const labels = entry('app', 'web');
    const body = envelope('apps/v1', 'Deployment', [
      [1, [[1, 'web'], [11, labels]]],
      [2, [
        [1, 0],
        [2, [[1, labels]]],
        [3, [[1, [[11, labels], [8, zeroTime]]], [2, [[2, [[1, 'nginx'], [2, 'nginx'], [3, 'sleep'], [3, '10'], [6, [[3, 8080], [4, 'TCP']]], [8, []], [16, 0]]]]]]],
        [4, [[1, 'RollingUpdate'], [2, [[1, [[1, 1], [3, '25%']]], [2, [[1, 0], [2, 1]]]]]]],
      ]],
      [3, [[1, 5]]],
    ]);
    expect(decodeProtobufObject(body)).toEqual({
      object: {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          replicas: 0, selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', command: ['sleep', '10'], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {} }] } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
        },
      },
    });
  });

  it('inline structs: a probe\'s handler, an Ingress rule\'s http', () => {
    const pod = envelope('v1', 'Pod', [[2, [[2, [[1, 'c'], [11, [[1, [[2, [[1, '/healthz'], [2, [[2, 8080]]]]]]], [4, 5]]]]]]]]);
    expect(decodeProtobufObject(pod)).toMatchObject({ object: { spec: { containers: [{ name: 'c', readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 } }] } } });
    const ing = envelope('networking.k8s.io/v1', 'Ingress', [[2, [[3, [[1, 'a.com'], [2, [[1, [[1, [[1, '/'], [3, 'Exact'], [2, [[4, [[1, 'web'], [2, [[2, 80]]]]]]]]]]]]]]]]]]);
    expect(decodeProtobufObject(ing)).toMatchObject({ object: { spec: { rules: [{ host: 'a.com', http: { paths: [{ path: '/', pathType: 'Exact', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } } });
  });

  it('DeleteOptions (helm deleting its release Secrets): empty is no options; grace period 0 kept (a pointer), preconditions, policy, dryRun', () => {
    expect(decodeProtobufObject(envelope('v1', 'DeleteOptions', []))).toEqual({ object: { apiVersion: 'v1', kind: 'DeleteOptions' } });
    const full = envelope('meta.k8s.io/v1', 'DeleteOptions', [[1, 0], [2, [[1, 'uid-1']]], [4, 'Foreground'], [5, 'All']]);
    expect(decodeProtobufObject(full)).toEqual({
      object: { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' }, propagationPolicy: 'Foreground', dryRun: ['All'] },
    });
  });

  it('refused: no envelope, a kind without a decoder, a truncated body', () => {
    expect(decodeProtobufObject(Buffer.from('{"kind":"ConfigMap"}'))).toEqual({ error: 'the body does not start with the k8s protobuf envelope' });
    expect(decodeProtobufObject(envelope('scheduling.k8s.io/v1', 'PriorityClass', []))).toEqual({ error: 'no protobuf decoder for PriorityClass in scheduling.k8s.io/v1' });
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', []).subarray(0, 12))).toMatchObject({ error: expect.stringContaining('cannot be read') });
  });
});
