// The port-forward session as kubectl drives it, without root: a client speaking SPDY as
// client-go's port-forwarder does (an error stream, then a data stream, per connection) over
// loopback TCP, and a "pod" that is a TCP server on loopback.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_DATA_FRAME, PortForwardSession, streamRequest, type PodDialer } from './portforward-session.js';
import { FLAG_FIN, RstStatus } from './spdy-frames.js';
import { SpdyClient as Client } from './test-support/spdy-client.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

interface Pod {
  readonly port: number;
  readonly events: string[];
  readonly open: () => number;
}

/** A pod port that answers "echo:" + what it read, once the client has finished sending. */
async function echoPod(): Promise<Pod> {
  const events: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    events.push('accept');
    let got = '';
    s.on('data', (c) => { got += String(c); });
    s.on('end', () => {
      events.push('end');
      s.end(`echo:${got}`);
    });
    s.on('close', () => {
      events.push('close');
      sockets.delete(s);
    });
    s.on('error', () => undefined); // a reset from the session is what some cases test
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return { port: (server.address() as net.AddressInfo).port, events, open: () => sockets.size };
}

const loopbackDialer = (pod: Pod | null): PodDialer => (port) => new Promise((resolve, reject) => {
  if (!pod) return reject(new Error('dial tcp4 127.0.0.1:9: connect: connection refused'));
  const s = net.connect({ port: pod.port, host: '127.0.0.1', allowHalfOpen: true });
  s.once('connect', () => resolve(s));
  s.once('error', reject);
  void port;
});

async function session(pod: Pod | null, pairTimeoutMs?: number): Promise<{ client: Client; session: () => PortForwardSession }> {
  let made: PortForwardSession | null = null;
  const server = net.createServer((s) => {
    made = new PortForwardSession(s, { pod: 'default/web-1', dial: loopbackDialer(pod), ...(pairTimeoutMs ? { pairTimeoutMs } : {}) });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  closers.push(() => {
    socket.destroy();
    server.close();
  });
  return { client: new Client(socket), session: () => made! };
}

const pair = (requestId: number, port = 8080): [Record<string, string>, Record<string, string>] => [
  { streamtype: 'error', port: String(port), requestid: String(requestId) },
  { streamtype: 'data', port: String(port), requestid: String(requestId) },
];

describe('streamRequest: the headers of a new stream (the kubelet\'s checks)', () => {
  const h = (o: Record<string, string>): Map<string, string[]> => new Map(Object.entries(o).map(([k, v]) => [k, [v]]));
  it('error and data streams name their port and request', () => {
    expect(streamRequest(h({ streamtype: 'data', port: '8080', requestid: '4' }), 3)).toEqual({ ok: true, type: 'data', port: 8080, requestId: '4' });
  });
  it('without requestID, a data stream belongs to the error stream two ids before it', () => {
    expect(streamRequest(h({ streamtype: 'data', port: '80' }), 3)).toMatchObject({ requestId: '1' });
    expect(streamRequest(h({ streamtype: 'error', port: '80' }), 1)).toMatchObject({ requestId: '1' });
  });
  it('a missing port, a port that is no number, port 0 and an unknown stream type are refused', () => {
    expect(streamRequest(h({ streamtype: 'data' }), 1)).toEqual({ ok: false, error: '"port" header is required' });
    expect(streamRequest(h({ streamtype: 'data', port: 'http' }), 1)).toEqual({ ok: false, error: 'unable to parse "http" as a port' });
    expect(streamRequest(h({ streamtype: 'data', port: '0' }), 1)).toEqual({ ok: false, error: 'port "0" must be > 0' });
    expect(streamRequest(h({ streamtype: 'stdin', port: '80' }), 1)).toEqual({ ok: false, error: 'invalid stream type "stdin"' });
  });
});

describe('a port-forward session', () => {
  it('replies to both streams, pipes the data stream to the pod and back, and ends both streams', async () => {
    const pod = await echoPod();
    const { client } = await session(pod);
    const [errorH, dataH] = pair(0);
    await client.open(1, errorH);
    await client.until((f) => f.type === 'syn_reply' && f.streamId === 1, 'SYN_REPLY 1');
    client.send({ type: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.alloc(0) }); // kubectl closes its error stream at once
    await client.open(3, dataH);
    await client.until((f) => f.type === 'syn_reply' && f.streamId === 3, 'SYN_REPLY 3');
    client.send({ type: 'data', streamId: 3, flags: 0, data: Buffer.from('GET / ') });
    client.send({ type: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.from('HTTP/1.1') });
    await client.finOf(3);
    expect(client.dataOf(3)).toBe('echo:GET / HTTP/1.1');
    await client.finOf(1);
    expect(client.dataOf(1)).toBe(''); // no error
    expect(pod.events).toEqual(['accept', 'end', 'close']);
  });

  it('a port nothing listens on: the error stream carries the kubelet\'s words, both streams end', async () => {
    const { client } = await session(null);
    const [errorH, dataH] = pair(0, 9);
    await client.open(1, errorH);
    await client.open(3, dataH);
    await client.finOf(1);
    await client.finOf(3);
    expect(client.dataOf(1)).toBe('error forwarding port 9 to pod default/web-1, uid : dial tcp4 127.0.0.1:9: connect: connection refused');
  });

  it('two connections at once are kept apart by their request ids', async () => {
    const pod = await echoPod();
    const { client } = await session(pod);
    const [e0, d0] = pair(0);
    const [e1, d1] = pair(1);
    await client.open(1, e0);
    await client.open(3, e1);
    await client.open(5, d1);
    await client.open(7, d0);
    client.send({ type: 'data', streamId: 5, flags: FLAG_FIN, data: Buffer.from('second') });
    client.send({ type: 'data', streamId: 7, flags: FLAG_FIN, data: Buffer.from('first') });
    await client.finOf(5);
    await client.finOf(7);
    expect([client.dataOf(7), client.dataOf(5)]).toEqual(['echo:first', 'echo:second']);
  });

  it('flow control: 4 MiB flow to a client that never sends WINDOW_UPDATE (spdystream sends none); its SETTINGS and WINDOW_UPDATE are ignored', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'k');
    const server = net.createServer((s) => s.end(big));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const pod: Pod = { port: (server.address() as net.AddressInfo).port, events: [], open: () => 0 };
    const { client } = await session(pod);
    client.send({ type: 'settings', flags: 0, entries: [{ flags: 0, id: 7, value: 65536 }] });
    client.send({ type: 'window_update', streamId: 0, delta: 1 });
    const [errorH, dataH] = pair(0);
    await client.open(1, errorH);
    await client.open(3, dataH);
    await client.finOf(3);
    expect(client.dataOf(3).length).toBe(big.length);
    expect(client.frames.some((f) => f.type === 'window_update' || f.type === 'goaway')).toBe(false);
  });

  it("a download goes out in DATA frames larger than the pod's 64 KiB reads, none above MAX_DATA_FRAME, all bytes in order", async () => {
    const big = Buffer.from(Uint8Array.from({ length: 8 * 1024 * 1024 }, (_, i) => i % 253));
    const server = net.createServer((s) => s.end(big));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const pod: Pod = { port: (server.address() as net.AddressInfo).port, events: [], open: () => 0 };
    const { client } = await session(pod);
    const [errorH, dataH] = pair(0);
    await client.open(1, errorH);
    await client.open(3, dataH);
    await client.finOf(3);
    const sizes = client.frames.flatMap((f) => (f.type === 'data' && f.streamId === 3 && f.data.length ? [f.data.length] : []));
    expect(Buffer.concat(client.frames.flatMap((f) => (f.type === 'data' && f.streamId === 3 ? [f.data] : []))).equals(big)).toBe(true);
    expect(Math.max(...sizes)).toBeGreaterThan(64 * 1024);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_DATA_FRAME + 64 * 1024);
    expect(sizes.length).toBeLessThan(big.length / (64 * 1024));
  });

  it('a stream with bad headers is reset (REFUSED_STREAM); the session goes on', async () => {
    const { client } = await session(await echoPod());
    await client.open(1, { streamtype: 'data' });
    const rst = await client.until((f) => f.type === 'rst_stream', 'RST_STREAM');
    expect(rst).toEqual({ type: 'rst_stream', streamId: 1, status: RstStatus.REFUSED_STREAM });
    client.send({ type: 'ping', id: 1 });
    expect(await client.until((f) => f.type === 'ping', 'PING')).toEqual({ type: 'ping', id: 1 });
  });

  it('the client resetting the data stream mid-stream closes the pod connection and ends the error stream', async () => {
    const pod = await echoPod();
    const { client, session: s } = await session(pod);
    const [errorH, dataH] = pair(0);
    await client.open(1, errorH);
    await client.open(3, dataH);
    client.send({ type: 'data', streamId: 3, flags: 0, data: Buffer.from('partial') });
    await until(() => pod.open() === 1);
    client.send({ type: 'rst_stream', streamId: 3, status: RstStatus.CANCEL });
    await client.finOf(1);
    await until(() => pod.open() === 0);
    expect(s().openPodConnections).toBe(0);
  });

  it('the client going away mid-stream closes every pod connection', async () => {
    const pod = await echoPod();
    const { client, session: s } = await session(pod);
    const [errorH, dataH] = pair(0);
    await client.open(1, errorH);
    await client.open(3, dataH);
    await until(() => pod.open() === 1);
    client.socket.destroy();
    await until(() => pod.open() === 0);
    expect(s().openPodConnections).toBe(0);
  });

  it('a data stream that never comes: the error stream says so after the pair timeout', async () => {
    const { client } = await session(await echoPod(), 100);
    await client.open(1, pair(0)[0]);
    await client.finOf(1);
    expect(client.dataOf(1)).toBe('timed out waiting for streams for request 0');
  });

  it('a frame that is not SPDY/3 ends the session with GOAWAY PROTOCOL_ERROR', async () => {
    const { client } = await session(await echoPod());
    client.socket.write(Buffer.from('800200060000000400000001', 'hex'));
    expect(await client.until((f) => f.type === 'goaway', 'GOAWAY')).toMatchObject({ type: 'goaway', status: 1 });
  });
});

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in 3 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
