// The raw baseline's replay gives kubectl the recorded bytes and headers, and nothing it did not record.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingProxy, serveReplay, type Recorded } from './replay-server.js';

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(url: string, path: string, tls: https.RequestOptions = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? https : http).request({ ...tls, host: u.hostname, port: u.port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('recording and replaying an API server\'s answers', () => {
  let origin: http.Server;
  let originUrl = '';
  let served = 0;

  beforeAll(async () => {
    origin = http.createServer((req, res) => {
      served++;
      if (req.url === '/api/v1/pods?limit=500') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Vary': 'Accept' });
        res.end('{"kind":"Table","rows":[]}\n');
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"kind":"Status","code":404}\n');
      }
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => origin.close(() => r())));

  async function record(): Promise<ReadonlyMap<string, Recorded>> {
    const proxy = await recordingProxy({ base: new URL(originUrl), tls: null });
    try {
      const through = await get(proxy.url, '/api/v1/pods?limit=500');
      expect(through.body).toBe('{"kind":"Table","rows":[]}\n');
      expect((await get(proxy.url, '/apis/nothing')).status).toBe(404);
      return proxy.recorded;
    } finally {
      await proxy.close();
    }
  }

  it('the proxy passes answers through and keeps each by its exact path and query, without per-connection headers', async () => {
    const recorded = await record();
    expect([...recorded.keys()]).toEqual(['/api/v1/pods?limit=500', '/apis/nothing']);
    const list = recorded.get('/api/v1/pods?limit=500')!;
    expect(list.status).toBe(200);
    expect(list.body.toString()).toBe('{"kind":"Table","rows":[]}\n');
    expect(list.headers).toEqual({ 'content-type': 'application/json', vary: 'Accept' });
  });

  it('the replay answers the same bytes and headers without the origin; an unrecorded request is a miss', async () => {
    const recorded = await record();
    const before = served;
    const replay = await serveReplay(recorded, false);
    try {
      const again = await get(replay.url, '/api/v1/pods?limit=500');
      expect(again).toMatchObject({ status: 200, body: '{"kind":"Table","rows":[]}\n' });
      expect(again.headers['content-type']).toBe('application/json');
      expect(again.headers['vary']).toBe('Accept');
      expect(again.headers['content-length']).toBe('27');
      expect((await get(replay.url, '/api/v1/pods?limit=1')).status).toBe(404);
      expect(replay.misses).toEqual(['GET /api/v1/pods?limit=1']);
      expect(served).toBe(before);
      expect(replay.flags).toEqual(['--server', replay.url]);
    } finally {
      await replay.close();
    }
  });

  it('over TLS: a CA kubectl is told to trust, and a client certificate it can present', async () => {
    const replay = await serveReplay(await record(), true);
    try {
      expect(replay.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const flag = (name: string) => readFileSync(replay.flags[replay.flags.indexOf(name) + 1]!);
      const got = await get(replay.url, '/api/v1/pods?limit=500', { ca: flag('--certificate-authority'), cert: flag('--client-certificate'), key: flag('--client-key') });
      expect(got).toMatchObject({ status: 200, body: '{"kind":"Table","rows":[]}\n' });
      // A TLS origin (a running cluster's listener): the proxy presents the client certificate.
      const proxy = await recordingProxy({ base: new URL(replay.url), tls: { ca: flag('--certificate-authority'), cert: flag('--client-certificate'), key: flag('--client-key') } });
      try {
        expect((await get(proxy.url, '/api/v1/pods?limit=500')).body).toBe('{"kind":"Table","rows":[]}\n');
        expect([...proxy.recorded.keys()]).toEqual(['/api/v1/pods?limit=500']);
      } finally {
        await proxy.close();
      }
    } finally {
      await replay.close();
    }
  });
});
