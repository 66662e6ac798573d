// The decisions before a port-forward session: which upgrade (WebSocket tunnel, raw SPDY, or
// a refusal in kube-apiserver's words), which pod and where it runs, and Go's wording of a
// refused connection.
import { describe, expect, it } from 'vitest';
import { forwardTarget, goDialError, negotiate } from './portforward.js';

describe('negotiate', () => {
  it('a WebSocket offering the SPDY tunnel (kubectl 1.31+) is a tunnel', () => {
    expect(negotiate({ upgrade: 'websocket', 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' })).toEqual({ kind: 'websocket' });
  });
  it('a WebSocket with only the old channel protocols is refused: kubectl then falls back to SPDY', () => {
    expect(negotiate({ upgrade: 'websocket', 'sec-websocket-protocol': 'portforward.k8s.io, v4.channel.k8s.io' })).toMatchObject({ kind: 'refused', code: 400 });
  });
  it('Upgrade: SPDY/3.1 with X-Stream-Protocol-Version portforward.k8s.io is raw SPDY', () => {
    expect(negotiate({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' })).toEqual({ kind: 'spdy' });
  });
  it('raw SPDY with another protocol version is 403 with the versions accepted (apimachinery\'s handshake)', () => {
    expect(negotiate({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' })).toEqual({
      kind: 'refused', code: 403, reason: 'Forbidden', accepted: 'portforward.k8s.io',
      message: 'unable to upgrade: unable to negotiate protocol: client supports [v4.channel.k8s.io], server accepts [portforward.k8s.io]',
    });
  });
  it('no upgrade at all is a bad request', () => {
    expect(negotiate({})).toMatchObject({ kind: 'refused', code: 400, message: 'Upgrade request required' });
  });
});

describe('forwardTarget', () => {
  const pod = (name: string, nodeName: string) => ({ meta: { namespace: 'default', name }, spec: { nodeName } });
  const daemon = {
    cluster: { pods: [pod('web-1', 'node-1'), pod('pending', ''), pod('gone', 'node-1')] },
    plan: { pods: [{ pod: 'default/web-1', node: 'node-1', netns: 'knet-x-pod-1', ips: [], hostNetwork: false }] },
  } as unknown as Parameters<typeof forwardTarget>[0];

  it('a running pod is forwarded to in its network namespace', () => {
    expect(forwardTarget(daemon, 'default', 'web-1')).toEqual({ ok: true, netns: 'knet-x-pod-1' });
  });
  it('a pod that does not exist is 404 pods "x" not found', () => {
    expect(forwardTarget(daemon, 'default', 'nope')).toEqual({ ok: false, code: 404, reason: 'NotFound', message: 'pods "nope" not found' });
  });
  it('a pod not scheduled is kube-apiserver\'s 400: it does not have a host assigned', () => {
    expect(forwardTarget(daemon, 'default', 'pending')).toMatchObject({ code: 400, message: 'pod pending does not have a host assigned' });
  });
  it('a pod the node does not run is the kubelet\'s pod not found (name_namespace)', () => {
    expect(forwardTarget(daemon, 'default', 'gone')).toMatchObject({ code: 404, message: 'pod not found ("gone_default")' });
  });
});

describe('goDialError', () => {
  it('words a refused connection as Go does', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { errno: -111, code: 'ECONNREFUSED' });
    expect(goDialError(e, 4, 9)).toBe('dial tcp4 127.0.0.1:9: connect: connection refused');
    expect(goDialError(e, 6, 9)).toBe('dial tcp6 [::1]:9: connect: connection refused');
  });
});
