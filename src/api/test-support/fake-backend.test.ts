import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from './fake-backend.js';
describe.skipIf(kubectlSkipReason)('the fake backend, served on loopback', () => {
  let api: LoopbackApi;
  beforeAll(async () => { api = await serveFakeApi(); await api.backend.apply([{ name: 'x.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n' }]); });
  afterAll(async () => { await api.close(); });
  it('answers kubectl', async () => {
    const k = kubectlAgainst(api.url);
    const r = await k.run(['get', '--raw', '/api/v1/services']);
    k.close();
    expect(r.out).toContain('"web"');
  });
});
