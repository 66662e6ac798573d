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

describe('the fake backend\'s observed cluster, as the daemon\'s', () => {
  it('is the same object until the cluster or its Events change (the API store syncs only then)', async () => {
    const { FakeBackend } = await import('./fake-backend.js');
    const b = new FakeBackend('knet-fake-observed');
    const first = b.observed;
    expect(b.observed).toBe(first);
    await b.apply([{ name: 'x.yaml', text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx}]}\n' }]);
    const changed = b.observed;
    expect(changed).not.toBe(first);
    expect(changed.pods.filter((p) => p.meta.name.startsWith('web-'))).toHaveLength(1);
    expect(b.observed).toBe(changed);
    b.events.record([{ involved: { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'web', uid: '' }, type: 'Normal', reason: 'Pulled', message: 'pulled', component: 'kubelet' }], new Date());
    const withEvent = b.observed;
    expect(withEvent).not.toBe(changed);
    expect(withEvent.others.filter((o) => o.kind === 'Event').length).toBe(changed.others.filter((o) => o.kind === 'Event').length + 1);
  });
});
