// Stock kubectl reading what the workload controllers write: rollout status, wait, get rs,
// describe deploy, describe pod with its Events (the daemon's API over loopback, no root).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from '../api/test-support/fake-backend.js';


const web = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "${image}", ports: [{containerPort: 80}]}]}
`;

describe.skipIf(kubectlSkipReason)('stock kubectl reads the workload controllers\' status and events', () => {
  let api: LoopbackApi;
  let k: ReturnType<typeof kubectlAgainst>;
  beforeAll(async () => {
    api = await serveFakeApi();
    await api.backend.apply([{ name: 'web.yaml', text: web('nginx:1') }]);
    k = kubectlAgainst(api.url);
  });
  afterAll(async () => {
    k.close();
    await api.close();
  });

  it('kubectl rollout status deployment/web: successfully rolled out', async () => {
    const r = await k.run(['rollout', 'status', 'deployment/web', '--timeout=20s']);
    expect(r.err).toBe('');
    expect(r.out).toBe('deployment "web" successfully rolled out\n');
  });

  it('kubectl wait --for=condition=Available deployment/web; --for=condition=Ready on its pods', async () => {
    const r = await k.run(['wait', '--for=condition=Available', 'deployment/web', '--timeout=20s']);
    expect(r.out).toBe('deployment.apps/web condition met\n');
    const pods = await k.run(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=20s']);
    expect(pods.out).toMatch(/^pod\/web-\w+-\w+ condition met\npod\/web-\w+-\w+ condition met\n$/);
  });

  it('kubectl get rs: the ReplicaSet named <deploy>-<pod-template-hash>', async () => {
    const r = await k.run(['get', 'rs', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.pod-template-hash} {.status.readyReplicas}{"\\n"}{end}']);
    const [name, hash, ready] = r.out.trim().split(' ');
    expect(name).toBe(`web-${hash}`);
    expect(ready).toBe('2');
  });

  it('kubectl describe deploy web: replicas, conditions, the new ReplicaSet and the scaling event', async () => {
    const r = await k.run(['describe', 'deploy', 'web']);
    expect(r.out).toMatch(/Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/);
    expect(r.out).toMatch(/StrategyType:\s+RollingUpdate\n/);
    expect(r.out).toMatch(/RollingUpdateStrategy:\s+25% max unavailable, 25% max surge/);
    expect(r.out).toMatch(/Available\s+True\s+MinimumReplicasAvailable/);
    expect(r.out).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
    expect(r.out).toMatch(/NewReplicaSet:\s+web-\w+ \(2\/2 replicas created\)/);
    expect(r.out).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\w+ to 2 from 0/);
  });

  it('kubectl describe pod: conditions, container state and the scheduler\'s and kubelet\'s events', async () => {
    const name = (await k.run(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).out;
    const r = await k.run(['describe', 'pod', name]);
    expect(r.out).toMatch(/QoS Class:\s+BestEffort/);
    expect(r.out).toMatch(/State:\s+Running/);
    expect(r.out).toMatch(/Ready\s+True/);
    expect(r.out).toMatch(new RegExp(`Normal\\s+Scheduled\\s+\\S+\\s+default-scheduler\\s+Successfully assigned default/${name} to `));
    expect(r.out).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container web/);
    // `kubectl wait --for=condition=Ready pod/x` reads this condition (it needs the store's field selectors to watch one pod).
    const ready = await k.run(['get', 'pod', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.containerStatuses[0].state.running}']);
    expect(ready.out).toBe('True {}');
  });

  it('a new template: revision 2 for the new ReplicaSet, kubectl rollout history lists both', async () => {
    await api.backend.apply([{ name: 'web.yaml', text: web('nginx:2') }]);
    const r = await k.run(['rollout', 'history', 'deployment/web']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  });
});
