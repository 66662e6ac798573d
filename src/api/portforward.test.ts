// The decisions before a port-forward session: which upgrade (WebSocket tunnel, raw SPDY, or
// a refusal in kube-apiserver's words), which pod and where it runs, and Go's wording of a
// refused connection.
import http from 'node:http';
import net from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { forwardTarget, goDialError, negotiate, servePortForwardWith } from './portforward.js';
import { SpdyClient } from './test-support/spdy-client.js';
import { FrameReader, type Frame } from './spdy-frames.js';

/** The server's WebSocket frames (unmasked) as whole messages: fragments joined. */
function wsMessages(): { push(chunk: Buffer): Buffer[] } {
  let buf = Buffer.alloc(0);
  let parts: Buffer[] = [];
  return {
    push(chunk) {
      buf = Buffer.concat([buf, chunk]);
      const done: Buffer[] = [];
      for (;;) {
        if (buf.length < 2) return done;
        let len = buf[1]! & 0x7f;
        let at = 2;
        if (len === 126) { if (buf.length < 4) return done; len = buf.readUInt16BE(2); at = 4; }
        else if (len === 127) { if (buf.length < 10) return done; len = Number(buf.readBigUInt64BE(2)); at = 10; }
        if (buf.length < at + len) return done;
        const fin = (buf[0]! & 0x80) !== 0;
        if ((buf[0]! & 0x0f) <= 2) parts.push(buf.subarray(at, at + len));
        buf = buf.subarray(at + len);
        if (fin && parts.length) { done.push(Buffer.concat(parts)); parts = []; }
      }
    },
  };
}

/** A client's binary WebSocket frame (masked with zeros: the bytes as they are). */
const clientFrame = (payload: Buffer): Buffer => {
  const head = payload.length < 126 ? Buffer.from([0x82, 0x80 | payload.length]) : Buffer.from([0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
};

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

describe('servePortForwardWith over HTTP (no root: a loopback "pod")', () => {
  it('a raw SPDY upgrade gets 101 with the protocol, then SYN_REPLYs and the pod\'s bytes', async () => {
    const pod = net.createServer((s) => s.end('from the pod'));
    await new Promise<void>((r) => pod.listen(0, '127.0.0.1', r));
    const podPort = (pod.address() as net.AddressInfo).port;
    const dial = () => (): Promise<Duplex> => new Promise((resolve, reject) => {
      const s = net.connect({ port: podPort, host: '127.0.0.1', allowHalfOpen: true });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const server = http.createServer((_req, res) => res.end());
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => servePortForwardWith({ namespace: 'default', pod: 'web-1' }, { ok: true, netns: 'unused' }, dial, req, socket, head));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const { res, socket } = await new Promise<{ res: http.IncomingMessage; socket: Duplex }>((resolve, reject) => {
        http.request({ port, host: '127.0.0.1', path: '/api/v1/namespaces/default/pods/web-1/portforward', method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' } })
          .on('upgrade', (r, s) => resolve({ res: r, socket: s }))
          .on('response', (r) => reject(new Error(`no upgrade: ${r.statusCode}`)))
          .on('error', reject)
          .end();
      });
      expect(res.statusCode).toBe(101);
      expect(res.headers['x-stream-protocol-version']).toBe('portforward.k8s.io');
      const client = new SpdyClient(socket);
      await client.open(1, { streamtype: 'error', port: '8080', requestid: '0' });
      await client.open(3, { streamtype: 'data', port: '8080', requestid: '0' });
      await client.finOf(3);
      expect(client.dataOf(3)).toBe('from the pod');
      socket.destroy();
    } finally {
      server.close();
      pod.close();
    }
  });

  it('over the WebSocket tunnel each SPDY frame is one WebSocket message, a DATA frame\'s header and payload together', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'p');
    const pod = net.createServer((s) => s.end(big));
    await new Promise<void>((r) => pod.listen(0, '127.0.0.1', r));
    const dial = () => () => new Promise<Duplex>((resolve, reject) => {
      const s = net.connect({ port: (pod.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const server = http.createServer((_req, res) => res.end());
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => servePortForwardWith({ namespace: 'default', pod: 'web-1' }, { ok: true, netns: 'unused' }, dial, req, socket, head));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { res, socket } = await new Promise<{ res: http.IncomingMessage; socket: Duplex }>((resolve, reject) => {
        http.request({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', path: '/api/v1/namespaces/default/pods/web-1/portforward', headers: {
          Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
        } })
          .on('upgrade', (r, s) => resolve({ res: r, socket: s }))
          .on('response', (r) => reject(new Error(`no upgrade: ${r.statusCode}`)))
          .on('error', reject)
          .end();
      });
      expect(res.headers['sec-websocket-protocol']).toBe('SPDY/3.1+portforward.k8s.io');
      expect(res.headers['sec-websocket-extensions']).toBeUndefined();
      // The SPDY client writes into a pipe whose bytes go out as masked WebSocket frames.
      const out = new PassThrough();
      out.on('data', (c: Buffer) => socket.write(clientFrame(c)));
      const client = new SpdyClient(out);
      const messages = wsMessages();
      const framesPerMessage: number[] = [];
      const reader = new FrameReader();
      const frames: Frame[] = [];
      socket.on('data', (c: Buffer) => {
        for (const m of messages.push(c)) {
          const got = reader.push(m);
          framesPerMessage.push(got.length);
          frames.push(...got);
        }
      });
      await client.open(1, { streamtype: 'error', port: '8080', requestid: '0' });
      await client.open(3, { streamtype: 'data', port: '8080', requestid: '0' });
      const deadline = Date.now() + 5000;
      while (!frames.some((f) => f.type === 'data' && f.streamId === 3 && f.flags & 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const data = frames.flatMap((f) => (f.type === 'data' && f.streamId === 3 ? [f.data] : []));
      expect(Buffer.concat(data).length).toBe(big.length);
      // Every message held exactly one whole frame: none split, none empty.
      expect(framesPerMessage.every((n) => n === 1)).toBe(true);
      socket.destroy();
    } finally {
      server.close();
      pod.close();
    }
  });

  it('a pod that does not exist is refused before any upgrade, with a Status', async () => {
    const server = http.createServer((_req, res) => res.end());
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => servePortForwardWith({ namespace: 'default', pod: 'nope' }, { ok: false, code: 404, reason: 'NotFound', message: 'pods "nope" not found' }, () => () => Promise.reject(new Error('unused')), req, socket, head));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const res = await new Promise<{ code: number; body: string }>((resolve, reject) => {
        http.request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } })
          .on('response', (r) => {
            let body = '';
            r.on('data', (c: Buffer) => { body += String(c); });
            r.on('end', () => resolve({ code: r.statusCode!, body }));
          })
          .on('error', reject)
          .end();
      });
      expect(res.code).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found' });
    } finally {
      server.close();
    }
  });
});
