// `kubectl port-forward` against a running cluster, with stock kubectl and nothing else:
// pod/X, svc/X (kubectl resolves the Service to a pod and its targetPort) and deploy/X answer
// on the host's loopback, over the WebSocket tunnel and over the raw SPDY fallback; a port
// nothing listens on gets the kubelet's words and kubectl exits as on a real cluster; a client
// killed mid-download closes the pod's side and the daemon keeps serving.
// Needs root (network namespaces) and kubectl; skipped with the reason otherwise.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonPid, ensureBuilt, knet, skipReason } from '../daemon/test-support/running-cluster.js';
import { KUBECTL, kubectlSkipReason } from './test-support/fake-backend.js';
import { curlSpeed, startBulkServer, startPortForward } from './test-support/port-forward-run.js';

const reason = skipReason() || kubectlSkipReason;
if (reason) console.log(`src/api/portforward.kubectl.test.ts skipped: ${reason}`);

const CLUSTER = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: portfwd}
nodes: [{name: node-1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: api-service, namespace: default}
spec:
  selector: {app: api}
  ports: [{port: 8080, targetPort: 8080}]
`;

const get = (port: number, path: string): Promise<string> => new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
    let body = '';
    res.on('data', (c: Buffer) => { body += String(c); });
    res.on('end', () => resolve(body));
  }).on('error', reject);
});

/** The network namespace of this cluster holding `ip`. */
function netnsWithIp(cluster: string, ip: string): string {
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`knet-${cluster}-pod-`));
  const found = names.find((n) => spawnSync('ip', ['-n', n, '-4', 'addr'], { encoding: 'utf8' }).stdout.includes(`inet ${ip}/`));
  if (!found) throw new Error(`no namespace of ${cluster} holds ${ip}`);
  return found;
}

describe.skipIf(reason)('kubectl port-forward on a running cluster', () => {
  it('pod/, svc/ and deploy/ answer on loopback; refused ports and dropped clients end cleanly', async () => {
    ensureBuilt();
    const name = `knet-portfwd-${randomBytes(2).toString('hex')}`;
    const home = mkdtempSync(join(tmpdir(), 'knet-portfwd-home-'));
    const config = join(home, 'kubeconfig');
    writeFileSync(join(home, 'cluster.yaml'), CLUSTER);
    const env = { ...process.env, KUBECONFIG: config, HOME: home };
    const kubectl = (args: readonly string[]): { code: number; out: string; err: string } => {
      const r = spawnSync(KUBECTL, ['--cache-dir', join(home, 'cache'), ...args], { encoding: 'utf8', env, input: '', timeout: 30_000 });
      return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
    };
    const forward = (args: readonly string[], extra: NodeJS.ProcessEnv = {}) => startPortForward(KUBECTL, ['--cache-dir', join(home, 'cache'), ...args], { ...env, ...extra });
    try {
      const up = knet(['up', '-f', join(home, 'cluster.yaml'), '--name', name], { KUBECONFIG: config, HOME: home });
      expect(up.code, up.err).toBe(0);
      const pod = kubectl(['get', 'pods', '-l', 'app=api', '-o', 'jsonpath={.items[0].metadata.name} {.items[0].status.podIP}']).out.split(' ');
      const [podName, podIp] = [pod[0]!, pod[1]!];
      const daemon = daemonPid(name);

      // pod/X over the WebSocket tunnel (kubectl's first choice), then over raw SPDY.
      for (const extra of [{}, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }]) {
        const pf = await forward([`pod/${podName}`, '0:8080'], extra);
        try {
          expect(pf.out()).toMatch(/^Forwarding from 127\.0\.0\.1:\d+ -> 8080$/m);
          expect(await get(pf.localPort, '/hostname')).toBe(podName);
          expect(await get(pf.localPort, '/echo?msg=again')).toBe('again');
        } finally {
          pf.stop();
        }
      }

      // svc/X and deploy/X: kubectl picks the pod; the Service's targetPort is the pod's port.
      for (const target of ['svc/api-service', 'deploy/api']) {
        const pf = await forward([target, '0:8080']);
        try {
          expect(await get(pf.localPort, '/hostname')).toBe(podName);
        } finally {
          pf.stop();
        }
      }

      // A port nothing listens on: the kubelet's words on the error stream; kubectl logs them,
      // drops the connection and exits 1 ("lost connection to pod"), as on a real cluster.
      const refused = await forward([`pod/${podName}`, '0:9999']);
      await expect(get(refused.localPort, '/')).rejects.toThrow();
      expect(await refused.exited).toBe(1);
      expect(refused.err()).toContain(`an error occurred forwarding ${refused.localPort} -> 9999: error forwarding port 9999 to pod default/${podName}, uid : failed to execute portforward in network namespace`);
      expect(refused.err()).toContain('dial tcp4 127.0.0.1:9999: connect: connection refused');
      expect(refused.err()).toContain('error: lost connection to pod');

      // A pod that does not exist: kubectl's own GET says so.
      const missing = kubectl(['port-forward', 'pod/nope', '0:80']);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('pods "nope" not found');

      // Dropped mid-download: curl killed, then kubectl killed; the pod's side closes each time.
      const netns = netnsWithIp(name, podIp);
      const bulk = await startBulkServer(netns, 9100, 2 * 1024 * 1024 * 1024);
      try {
        const pf = await forward([`pod/${podName}`, '0:9100']);
        for (const victim of ['curl', 'kubectl'] as const) {
          const opened = bulk.lines.filter((l) => l === 'open').length;
          const download = curlSpeed(`http://127.0.0.1:${pf.localPort}/`).catch((e: Error) => e);
          await until(() => bulk.lines.filter((l) => l === 'open').length > opened, 'the pod saw the connection');
          await new Promise((r) => setTimeout(r, 300));
          if (victim === 'curl') spawnSync('pkill', ['-KILL', '-f', `^curl .*127.0.0.1:${pf.localPort}/`]);
          else pf.child.kill('SIGKILL');
          expect(await download).toBeInstanceOf(Error);
          await until(() => bulk.lines.filter((l) => l === 'close').length === opened + 1, `the pod's side closed after ${victim} died`);
        }
      } finally {
        bulk.stop();
      }
      expect(daemonPid(name)).toBe(daemon);
      expect(kubectl(['get', 'pods', '-l', 'app=api', '-o', 'name']).out.trim()).toBe(`pod/${podName}`);
    } finally {
      knet(['down', '--name', name], { KUBECONFIG: config, HOME: home });
      rmSync(home, { recursive: true, force: true });
    }
  }, 300_000); // ensureBuilt() may compile first
});

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
