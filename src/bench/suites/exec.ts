// Issue 16's exec figure on a running cluster (root): `kubectl exec POD -- true` round trip,
// median of 20, each a new kubectl process as a user types it, beside `knet exec POD -- true`
// and the bare `ip netns exec <netns> true` under both; and the API's own share, the
// WebSocket from upgrade request to the exit Status, measured with an in-process client.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { connectWs } from '../../api/test-support/ws-client.js';
import { KUBECTL } from '../../api/test-support/fake-backend.js';
import { checkChild, dataplaneSkipReason, median, type BenchResult, type BenchSuite } from '../suite.js';

const ROUNDS = 20;

const CLUSTER = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: exec-bench}
nodes: [{name: node-1}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080}]}]}
`;

interface KubeConfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

function timed(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env, timeout: 30_000 });
  const ms = performance.now() - t;
  checkChild(argv.slice(0, 3).join(' '), r);
  return ms;
}

export const exec: BenchSuite = {
  name: 'exec',
  async run(ctx) {
    const results: BenchResult[] = [];
    const why = dataplaneSkipReason() || (KUBECTL ? '' : 'no kubectl');
    if (why) {
      ctx.log(`skipped: ${why}`);
      return results;
    }
    const dir = mkdtempSync(join(tmpdir(), 'knet-bench-exec-'));
    const name = `knet-exec-b${randomBytes(2).toString('hex')}`;
    const env = { ...process.env, KUBECONFIG: join(dir, 'config'), NO_COLOR: '1' };
    const cli = join(ctx.repoRoot, 'dist/cli/main.js');
    const knet = (args: readonly string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: ctx.repoRoot, encoding: 'utf8', env, timeout: 120_000 });
    try {
      writeFileSync(join(dir, 'cluster.yaml'), CLUSTER);
      checkChild('knet up', knet(['up', '-f', join(dir, 'cluster.yaml'), '--name', name]));
      // Any pod's namespace will do for the floor: `true` does the same work in each.
      const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout
        .split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`knet-${name}-pod-`));
      const kubectl = [KUBECTL, '--cache-dir', join(dir, 'cache'), 'exec', 'web', '--', 'true'];
      const knetExec = [process.execPath, cli, 'exec', '--name', name, 'web', '--', 'true'];
      const config = parse(knet(['kubeconfig', '--name', name]).stdout) as KubeConfig;
      const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
      const tls = { ca: b64(config.clusters[0]!.cluster['certificate-authority-data']), cert: b64(config.users[0]!.user['client-certificate-data']), key: b64(config.users[0]!.user['client-key-data']) };
      const url = `${config.clusters[0]!.cluster.server}/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true&stderr=true`;
      const apiShare = async (): Promise<number> => {
        const t = performance.now();
        const c = await connectWs({ url, protocols: ['v5.channel.k8s.io'], tls });
        await c.closed;
        const status = c.messages.find((m) => m[0] === 3);
        if (!status || !status.subarray(1).toString().includes('Success')) throw new Error(`exec over WebSocket: no Success status (${c.messages.map(String).join(' | ')})`);
        return performance.now() - t;
      };
      const floor = [KUBECTL, '--cache-dir', join(dir, 'cache'), 'get', '--raw', '/version'];
      const samples = { kubectl: [] as number[], floor: [] as number[], knet: [] as number[], netns: [] as number[], api: [] as number[] };
      for (let i = 0; i < 2; i++) {
        timed(kubectl, env);
        await apiShare();
      }
      for (let i = 0; i < ROUNDS; i++) {
        samples.kubectl.push(timed(kubectl, env));
        samples.floor.push(timed(floor, env));
        samples.knet.push(timed(knetExec, env));
        if (netns[0]) samples.netns.push(timed(['ip', 'netns', 'exec', netns[0], 'true'], env));
        samples.api.push(await apiShare());
      }
      const load = loadavg().map((l) => l.toFixed(2)).join(' ');
      const version = spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' }).stdout.split('\n')[0]!.replace('Client Version: ', '');
      const rows: BenchResult[] = [
        { figure: `kubectl exec POD -- true (stock kubectl ${version}, HTTPS, WebSocket v5)`, value: median(samples.kubectl), unit: 'ms', target: '<= 100 ms', ok: median(samples.kubectl) <= 100, note: `median of ${ROUNDS}; load ${load}` },
        { figure: "  kubectl get --raw /version (kubectl's floor: start, TLS, one GET)", value: median(samples.floor), unit: 'ms', note: `median of ${ROUNDS}` },
        { figure: "  the API's share: upgrade request -> exit Status (in-process client)", value: median(samples.api), unit: 'ms', note: `median of ${ROUNDS}; TLS handshake included` },
        { figure: '  knet exec POD -- true (knet CLI, root)', value: median(samples.knet), unit: 'ms', note: `median of ${ROUNDS}` },
        { figure: '  ip netns exec <netns> true (the floor under both)', value: median(samples.netns), unit: 'ms', note: `median of ${samples.netns.length}` },
      ];
      for (const r of rows) {
        ctx.report(r);
        results.push(r);
      }
    } finally {
      knet(['down', '--name', name]);
      rmSync(dir, { recursive: true, force: true });
    }
    return results;
  },
};
