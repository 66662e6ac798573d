// What kube-apiserver answers before an exec upgrades, over the daemon's own handler with the
// in-memory backend (no root): the pod, the query and the container checked, each refusal a
// Status on a plain HTTP answer (kubectl prints its message), never a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';
import { connectWs } from './test-support/ws-client.js';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: two, namespace: default}
spec: {containers: [{name: a, image: agnhost}, {name: b, image: agnhost}]}
`;

describe('exec refused before the upgrade', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await serveFakeApi();
    await api.backend.apply([{ name: 'pod.yaml', text: POD }]);
  });
  afterAll(async () => { await api.close(); });

  const refusal = async (path: string, protocols = ['v5.channel.k8s.io']): Promise<{ status: number; body: Record<string, unknown> }> => {
    try {
      await connectWs({ url: `${api.url}${path}`, protocols });
    } catch (e) {
      const { status, body } = e as { status: number; body: string };
      return { status, body: JSON.parse(body) as Record<string, unknown> };
    }
    throw new Error('upgraded');
  };

  it.each([
    ['a pod that does not exist -> 404', '/api/v1/namespaces/default/pods/nopod/exec?command=true&stdout=true', 404, 'NotFound', 'pods "nopod" not found'],
    ['no command -> 400', '/api/v1/namespaces/default/pods/two/exec?stdout=true&container=a', 400, 'BadRequest', 'you must specify at least 1 command'],
    ['no container named on a pod of two', '/api/v1/namespaces/default/pods/two/exec?command=true&stdout=true', 400, 'BadRequest', 'a container name must be specified for pod two, choose one of: [a b]'],
    ['a container the pod does not have', '/api/v1/namespaces/default/pods/two/exec?command=true&stdout=true&container=zz', 400, 'BadRequest', 'container zz is not valid for pod two'],
    ['a pod with no sandbox (nothing runs it here)', '/api/v1/namespaces/default/pods/two/exec?command=true&stdout=true&container=a', 400, 'BadRequest', 'unable to upgrade connection: container not found ("a")'],
    ['attach to a pod that does not exist', '/api/v1/namespaces/default/pods/nopod/attach?stdout=true', 404, 'NotFound', 'pods "nopod" not found'],
  ])('%s', async (_rule, path, status, reason, message) => {
    expect(await refusal(path)).toEqual({ status, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: status } });
  });
});
