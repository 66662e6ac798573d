import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';
import { upgradeTarget } from './upgrade.js';

describe('upgradeTarget', () => {
  it('names the pod and its subresource', () => {
    expect(upgradeTarget('/api/v1/namespaces/prod/pods/web-1/exec?command=ls&stdout=true')).toMatchObject({ namespace: 'prod', pod: 'web-1', subresource: 'exec' });
    expect(upgradeTarget('/api/v1/namespaces/prod/pods/web-1/exec')!.url.searchParams.get('command')).toBe(null);
  });
  it('is null for any other path', () => {
    expect(upgradeTarget('/api/v1/namespaces/prod/services/web/proxy')).toBe(null);
    expect(upgradeTarget('/version')).toBe(null);
  });
});

describe('an upgrade nothing serves', () => {
  let api: LoopbackApi;
  beforeAll(async () => { api = await serveFakeApi(); });
  afterAll(async () => { await api.close(); });

  it('is answered with a Status and closed, never left hanging', async () => {
    const port = Number(new URL(api.url).port);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write('GET /api/v1/namespaces/default/services/x/proxy HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      });
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });
});
