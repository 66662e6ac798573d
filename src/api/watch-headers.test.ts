// A watch is answered at once: its 200 and headers go out before any event, as kube-apiserver
// sends them (clients wait for the response before they read events; a quiet watch is open, not pending).
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { serveFakeApi } from './test-support/fake-backend.js';

describe('a watch with nothing to send yet', () => {
  it('answers 200 with its headers at once', async () => {
    const api = await serveFakeApi();
    try {
      const list = await (await fetch(`${api.url}/api/v1/configmaps`)).json() as { metadata: { resourceVersion: string } };
      const started = performance.now();
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.get(`${api.url}/api/v1/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}`, (res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', () => {});
        setTimeout(() => reject(new Error('no answer within 2 s')), 2000);
      });
      expect(status).toBe(200);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await api.close();
    }
  });
});
