// The WebSocket seam shared by exec/attach and port-forward: which subprotocol is chosen, which
// requests are not WebSocket upgrades, that the chosen name (even one `ws` would not accept
// as a token) is the one answered, that compression is never negotiated, and that a reader
// who stops reading pauses the source instead of filling memory.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { acceptWebSocket, notWebSocket, pickSubprotocol, sendPaced } from './ws-upgrade.js';

describe('the subprotocol', () => {
  it.each([
    ['kubectl 1.30+ offers v5 alone', 'v5.channel.k8s.io', 'v5.channel.k8s.io'],
    ['an older client offering v4 and below gets v4', 'v4.channel.k8s.io, v3.channel.k8s.io', 'v4.channel.k8s.io'],
    ['our preference wins over the offer order', 'v4.channel.k8s.io,v5.channel.k8s.io', 'v5.channel.k8s.io'],
    ['offers in several header lines', ['v3.channel.k8s.io', 'v4.channel.k8s.io'], 'v4.channel.k8s.io'],
    ['nothing in common', 'channel.k8s.io', null],
    ['no offer', undefined, null],
  ])('%s', (_rule, offered, chosen) => {
    expect(pickSubprotocol(offered, ['v5.channel.k8s.io', 'v4.channel.k8s.io'])).toBe(chosen);
  });

  it('SPDY, a bad key and an old version are not WebSocket upgrades', () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    expect(notWebSocket({ upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13' })).toBe('');
    expect(notWebSocket({ upgrade: 'SPDY/3.1' })).toContain('"SPDY/3.1" is not served');
    expect(notWebSocket({ upgrade: 'websocket', 'sec-websocket-key': 'short', 'sec-websocket-version': '13' })).toContain('Sec-WebSocket-Key');
    expect(notWebSocket({ upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '8' })).toContain('unsupported version');
  });
});

describe('an accepted WebSocket', () => {
  let server: http.Server | null = null;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  function serve(protocol: string, open: (ws: WebSocket) => void): Promise<string> {
    server = http.createServer();
    server.on('upgrade', (req, socket, head) => acceptWebSocket(req, socket, head, protocol, open));
    return new Promise((r) => server!.listen(0, '127.0.0.1', () => r(`ws://127.0.0.1:${(server!.address() as AddressInfo).port}/`)));
  }

  it('answers with the chosen subprotocol and no permessage-deflate, even when the client offers it', async () => {
    const url = await serve('v5.channel.k8s.io', (ws) => ws.on('message', (d: Buffer) => ws.send(Buffer.concat([Buffer.from('echo:'), d]))));
    const c = new WebSocket(url, ['v4.channel.k8s.io', 'v5.channel.k8s.io'], { perMessageDeflate: true });
    const upgrade = new Promise<http.IncomingMessage>((r) => c.on('upgrade', r));
    await new Promise((r) => c.on('open', r));
    expect(c.protocol).toBe('v5.channel.k8s.io');
    expect(c.extensions).toBe('');
    expect((await upgrade).headers['sec-websocket-extensions']).toBeUndefined();
    const reply = new Promise<Buffer>((r) => c.on('message', r));
    c.send(Buffer.from('hi'));
    expect(String(await reply)).toBe('echo:hi');
    c.close();
  });

  it("names a subprotocol that is not an RFC 7230 token (port-forward's SPDY/3.1+portforward.k8s.io)", async () => {
    const url = await serve('SPDY/3.1+portforward.k8s.io', (ws) => ws.close(1000));
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(url.replace(/^ws/, 'http'), { headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
      } });
      req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res); });
      req.on('response', (res) => reject(new Error(`HTTP ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    expect(answer.statusCode).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBe('SPDY/3.1+portforward.k8s.io');
  });

  it('a client that stops reading pauses the source; every byte arrives once it reads again', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let produced = 0;
    let pausedAt = -1;
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        produced += chunk.length;
        this.push(chunk);
      },
    });
    const url = await serve('v5.channel.k8s.io', (ws) => {
      source.on('data', (d: Buffer) => {
        sendPaced(ws, d, source);
        if (source.isPaused() && pausedAt < 0) pausedAt = produced;
      });
      source.on('end', () => ws.close(1000));
    });
    const c = new WebSocket(url, ['v5.channel.k8s.io']);
    await new Promise((r) => c.on('open', r));
    (c as unknown as { _socket: import('node:net').Socket })._socket.pause();
    await new Promise((r) => setTimeout(r, 300));
    // The kernel's buffers hold some; the rest waits in the source, not in the daemon's memory.
    expect(source.isPaused()).toBe(true);
    expect(produced).toBeLessThan(total / 2);
    expect(pausedAt).toBeGreaterThan(0);
    let received = 0;
    c.on('message', (d: Buffer) => (received += d.length));
    const closed = new Promise((r) => c.on('close', r));
    (c as unknown as { _socket: import('node:net').Socket })._socket.resume();
    await closed;
    expect(received).toBe(total);
  }, 20_000);
});
