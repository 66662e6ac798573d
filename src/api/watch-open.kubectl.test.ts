// A watch is open once its headers arrive: kube-apiserver flushes them before any event, and
// client-go waits for them before it can stop a watch. Without them, `kubectl wait --timeout`
// on a condition no event will bring hangs until the next bookmark (a minute), not the timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

describe.skipIf(kubectlSkipReason)('a watch with no event to send', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await serveFakeApi();
    await api.backend.apply([{ name: 'cm.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: quiet, namespace: default}\ndata: {a: b}\n' }]);
  });
  afterAll(async () => { await api.close(); });

  it('sends its headers at once', async () => {
    const t = performance.now();
    const res = await fetch(`${api.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${await currentVersion(api.url)}`, { signal: AbortSignal.timeout(2_000) });
    expect(res.status).toBe(200);
    expect(performance.now() - t).toBeLessThan(2_000);
    await res.body?.cancel();
  });

  it('kubectl wait --timeout=2s gives up after two seconds', async () => {
    const k = kubectlAgainst(api.url);
    const t = performance.now();
    const r = await k.run(['wait', '--for=jsonpath={.data.a}=never', 'configmap/quiet', '-n', 'default', '--timeout=2s']);
    k.close();
    expect(r.err.trim()).toBe('error: timed out waiting for the condition on configmaps/quiet');
    expect(performance.now() - t).toBeLessThan(10_000);
  }, 30_000);
});

async function currentVersion(url: string): Promise<string> {
  const list = await (await fetch(`${url}/api/v1/namespaces/default/configmaps`)).json() as { metadata: { resourceVersion: string } };
  return list.metadata.resourceVersion;
}
