import { describe, expect, it } from 'vitest';
import { isApiError } from './api-error.js';
import { decodeProtobufBody, isProtobuf } from './protobuf-body.js';

// A protobuf writer just big enough to build the bodies client-go sends: tags, varints,
// length-delimited fields, and the k8s envelope around them.
type Part = Uint8Array;
const varint = (n: bigint): number[] => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
};
const cat = (...parts: Part[]): Part => Uint8Array.from(parts.flatMap((p) => [...p]));
const bytes = (tag: number, value: Part): Part => cat(Uint8Array.from(varint(BigInt((tag << 3) | 2))), Uint8Array.from(varint(BigInt(value.length))), value);
const str = (tag: number, s: string): Part => bytes(tag, new TextEncoder().encode(s));
const int = (tag: number, n: number): Part => Uint8Array.from([...varint(BigInt(tag << 3)), ...varint(BigInt(n))]);
const entry = (tag: number, k: string, v: Part): Part => bytes(tag, cat(str(1, k), bytes(2, v)));
const envelope = (apiVersion: string, kind: string, raw: Part): Part =>
  cat(Uint8Array.from([0x6b, 0x38, 0x73, 0x00]), bytes(1, cat(str(1, apiVersion), str(2, kind))), bytes(2, raw), str(3, ''), str(4, ''));

// What helm's storage driver sends for a release: labels, a data map of bytes, the type.
const RELEASE_SECRET = envelope('v1', 'Secret', cat(
  bytes(1, cat(
    str(1, 'sh.helm.release.v1.demo.v1'), str(2, ''), str(3, ''), str(5, ''), str(6, ''), int(7, 0),
    bytes(8, cat(int(1, -62135596800), int(2, 0))),
    entry(11, 'name', new TextEncoder().encode('demo')), entry(11, 'owner', new TextEncoder().encode('helm')),
    entry(11, 'status', new TextEncoder().encode('pending-install')), entry(11, 'version', new TextEncoder().encode('1')),
  )),
  entry(2, 'release', Uint8Array.from([0x48, 0x34, 0x73, 0x00, 0xff])),
  str(3, 'helm.sh/release.v1'),
));

describe('protobuf bodies, as client-go\'s typed clients send them', () => {
  it('a release Secret: metadata with labels, data as base64, type; Go\'s empty strings and zero time left out', () => {
    expect(decodeProtobufBody(RELEASE_SECRET)).toEqual({
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name: 'sh.helm.release.v1.demo.v1', generation: 0, labels: { name: 'demo', owner: 'helm', status: 'pending-install', version: '1' } },
      data: { release: Buffer.from([0x48, 0x34, 0x73, 0x00, 0xff]).toString('base64') },
      type: 'helm.sh/release.v1',
    });
  });

  it('a ConfigMap: string data and binaryData; resourceVersion and a real creationTimestamp kept', () => {
    const body = envelope('v1', 'ConfigMap', cat(
      bytes(1, cat(str(1, 'cfg'), str(3, 'prod'), str(6, '42'), bytes(8, cat(int(1, 1796698389))), entry(12, 'note', new TextEncoder().encode('x')))),
      entry(2, 'greeting', new TextEncoder().encode('hello')), entry(3, 'blob', Uint8Array.from([1, 2, 3])),
    ));
    expect(decodeProtobufBody(body)).toEqual({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'prod', resourceVersion: '42', creationTimestamp: '2026-12-08T02:53:09Z', annotations: { note: 'x' } },
      data: { greeting: 'hello' }, binaryData: { blob: 'AQID' },
    });
  });

  it('DeleteOptions: empty is {}; grace period, preconditions, propagation policy, dryRun', () => {
    expect(decodeProtobufBody(envelope('v1', 'DeleteOptions', new Uint8Array()))).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions' });
    const full = envelope('meta.k8s.io/v1', 'DeleteOptions', cat(int(1, 0), bytes(2, cat(str(1, 'uid-1'))), str(4, 'Foreground'), str(5, 'All')));
    expect(decodeProtobufBody(full)).toEqual({
      apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' }, propagationPolicy: 'Foreground', dryRun: ['All'],
    });
  });

  it('fields the schema does not name are skipped, of every wire type', () => {
    const fixed64 = Uint8Array.from([(9 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]);
    const fixed32 = Uint8Array.from([(10 << 3) | 5, 1, 2, 3, 4]);
    const body = envelope('v1', 'ConfigMap', cat(int(8, 5), fixed64, fixed32, str(11, 'later'), entry(2, 'k', new TextEncoder().encode('v'))));
    expect(decodeProtobufBody(body)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', data: { k: 'v' } });
  });

  it('an empty body is no options (a DELETE without one)', () => {
    expect(decodeProtobufBody(new Uint8Array())).toEqual({});
  });

  it('a kind knet cannot read as protobuf: 415, in the API server\'s words, naming the kinds it can', () => {
    const r = decodeProtobufBody(envelope('apps/v1', 'Deployment', new Uint8Array()));
    expect(isApiError(r) && r.code).toBe(415);
    expect(isApiError(r) && r.message).toMatch(/^the body of the request was in an unknown format - accepted media types include: application\/json, application\/yaml \(knet reads Secret, ConfigMap, DeleteOptions as application\/vnd.kubernetes.protobuf, not Deployment\)$/);
  });

  it('no magic prefix, or a field that runs past the end: 400, never a throw', () => {
    const noMagic = decodeProtobufBody(new TextEncoder().encode('{"kind":"Secret"}'));
    expect(isApiError(noMagic) && [noMagic.code, noMagic.message]).toEqual([400, 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]']);
    const truncated = decodeProtobufBody(RELEASE_SECRET.subarray(0, RELEASE_SECRET.length - 3));
    expect(isApiError(truncated) && truncated.code).toBe(400);
    expect(isApiError(truncated) && truncated.message).toMatch(/^the protobuf body does not decode: /);
  });

  it('isProtobuf: the media type, parameters and case aside', () => {
    expect(isProtobuf('application/vnd.kubernetes.protobuf')).toBe(true);
    expect(isProtobuf('Application/Vnd.Kubernetes.Protobuf; charset=x')).toBe(true);
    expect(isProtobuf('application/json')).toBe(false);
    expect(isProtobuf(undefined)).toBe(false);
  });
});
