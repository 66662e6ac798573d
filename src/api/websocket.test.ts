// The WebSocket layer kubectl's exec and attach ride on: RFC 6455's handshake and framing,
// and a connection that answers pings, echoes a close and survives a peer that vanishes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptKey, encodeFrame, FrameReader, handshake, MessageAssembler, OPCODE, pickSubprotocol, ProtocolError, WebSocketConnection } from './websocket.js';
import { connectWs } from './test-support/ws-client.js';

const MASK = Buffer.from([1, 2, 3, 4]);

describe('handshake', () => {
  it("Sec-WebSocket-Accept is RFC 6455's own example", () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it.each([
    ['kubectl 1.30+ offers v5 alone', 'v5.channel.k8s.io', 'v5.channel.k8s.io'],
    ['an older client offering v4 and below gets v4', 'v4.channel.k8s.io, v3.channel.k8s.io', 'v4.channel.k8s.io'],
    ['our preference wins over the offer order', 'v4.channel.k8s.io,v5.channel.k8s.io', 'v5.channel.k8s.io'],
    ['nothing in common', 'channel.k8s.io', null],
    ['no offer', undefined, null],
  ])('%s', (_rule, offered, chosen) => {
    expect(pickSubprotocol(offered, ['v5.channel.k8s.io', 'v4.channel.k8s.io'])).toBe(chosen);
  });

  it('a 101 with the accept key and the chosen protocol; SPDY and bad keys refused', () => {
    const ok = handshake({ upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' }, 'v5.channel.k8s.io');
    expect(ok).toEqual({ kind: 'accept', response: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n' });
    expect(handshake({ upgrade: 'SPDY/3.1' }, null)).toMatchObject({ kind: 'refuse', message: expect.stringContaining('"SPDY/3.1" is not served') });
    expect(handshake({ upgrade: 'websocket', 'sec-websocket-key': 'short', 'sec-websocket-version': '13' }, null).kind).toBe('refuse');
    expect(handshake({ upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '8' }, null).kind).toBe('refuse');
  });
});

describe('frames', () => {
  it.each([0, 1, 125, 126, 65535, 65536, 200_000])('a masked %i-byte frame read back byte by byte and whole', (n) => {
    const payload = Buffer.from(Uint8Array.from({ length: n }, (_, i) => i % 251));
    const wire = encodeFrame(OPCODE.binary, payload, { mask: MASK });
    const whole = new FrameReader(true).push(wire);
    expect(whole).toHaveLength(1);
    expect(whole[0]!.payload.equals(payload)).toBe(true);
    if (n <= 126) {
      const r = new FrameReader(true);
      const frames = [...wire].flatMap((b) => r.push(Buffer.from([b])));
      expect(frames.map((f) => f.payload.equals(payload))).toEqual([true]);
    }
  });

  it('two frames in one chunk; a frame split across chunks waits for its end', () => {
    const r = new FrameReader(true);
    const a = encodeFrame(OPCODE.binary, Buffer.from('\x01one'), { mask: MASK });
    const b = encodeFrame(OPCODE.binary, Buffer.from('\x02two'), { mask: MASK });
    const both = Buffer.concat([a, b]);
    expect(r.push(both.subarray(0, a.length + 3)).map((f) => f.payload.toString())).toEqual(['\x01one']);
    expect(r.push(both.subarray(a.length + 3)).map((f) => f.payload.toString())).toEqual(['\x02two']);
  });

  it("a client's unmasked frame is a protocol error (1002); reserved bits too", () => {
    expect(() => new FrameReader(true).push(encodeFrame(OPCODE.binary, Buffer.from('x')))).toThrow(ProtocolError);
    const rsv = encodeFrame(OPCODE.binary, Buffer.from('x'), { mask: MASK });
    rsv[0]! |= 0x40;
    expect(() => new FrameReader(true).push(rsv)).toThrow('reserved bits set');
  });

  it('a fragmented message is one message; a ping between its fragments comes through at once', () => {
    const m = new MessageAssembler();
    expect(m.add({ fin: false, opcode: OPCODE.binary, payload: Buffer.from('\x00he') })).toBeNull();
    expect(m.add({ fin: true, opcode: OPCODE.ping, payload: Buffer.from('p') })).toEqual({ opcode: OPCODE.ping, data: Buffer.from('p') });
    expect(m.add({ fin: true, opcode: OPCODE.continuation, payload: Buffer.from('llo') })).toEqual({ opcode: OPCODE.binary, data: Buffer.from('\x00hello') });
    expect(() => m.add({ fin: true, opcode: OPCODE.continuation, payload: Buffer.from('x') })).toThrow('continuation without a message');
    expect(() => m.add({ fin: false, opcode: OPCODE.ping, payload: Buffer.alloc(0) })).toThrow('bad control frame');
  });
});

describe('a connection over an upgraded socket', () => {
  let server: http.Server | null = null;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  function echoServer(onClose: () => void = () => {}): Promise<string> {
    server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      const hs = handshake(req.headers, 'v5.channel.k8s.io');
      if (hs.kind !== 'accept') return socket.destroy();
      socket.write(hs.response);
      const ws: WebSocketConnection = new WebSocketConnection(socket, head, { message: (d) => ws.send(Buffer.concat([Buffer.from('echo:'), d])), close: onClose });
    });
    return new Promise((r) => server!.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/`)));
  }

  it('echoes messages, answers a ping with a pong, and ends on a close from the client', async () => {
    const url = await echoServer();
    const c = await connectWs({ url, protocols: ['v5.channel.k8s.io'] });
    expect(c.protocol).toBe('v5.channel.k8s.io');
    const pongs: Buffer[] = [];
    const reader = new FrameReader(false);
    c.socket.on('data', (d: Buffer) => pongs.push(...reader.push(d).filter((f) => f.opcode === OPCODE.pong).map((f) => f.payload)));
    c.sendRaw(encodeFrame(OPCODE.ping, Buffer.from('hb'), { mask: MASK }));
    c.send(Buffer.from('hi'));
    await new Promise((r) => setTimeout(r, 50));
    expect(c.messages.map(String)).toEqual(['echo:hi']);
    expect(pongs.map(String)).toEqual(['hb']);
    c.close(1000);
    expect((await c.closed).code).toBe(1000);
  });

  it('a client that vanishes mid-stream closes the connection once, and the server lives on', async () => {
    let closes = 0;
    const url = await echoServer(() => closes++);
    const c = await connectWs({ url, protocols: ['v5.channel.k8s.io'] });
    c.sendRaw(encodeFrame(OPCODE.binary, Buffer.from('half a frame'), { mask: MASK }).subarray(0, 5));
    c.socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(closes).toBe(1);
    const again = await connectWs({ url, protocols: ['v5.channel.k8s.io'] });
    again.send(Buffer.from('still here'));
    await new Promise((r) => setTimeout(r, 50));
    expect(again.messages.map(String)).toEqual(['echo:still here']);
    again.socket.destroy();
  });
});
