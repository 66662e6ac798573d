import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../cluster/fill-in.js';
import { kubectlOnPath, runTourSteps } from './run-tour.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const hasIp = spawnSync('sh', ['-c', 'command -v ip && command -v nsenter']).status === 0;

describe('the Run tour', () => {
  it('crosses nodes: the frontend pod and the api pod it asks are on different nodes', () => {
    const { cluster } = loadCluster(['examples/opscart']);
    const steps = runTourSteps(cluster, 'examples/opscart');
    expect(steps[0]!.argv).toEqual(['up', '-f', 'examples/opscart']);
    const cross = steps.find((s) => s.title.startsWith('Pod to pod across nodes'))!;
    const [, fromNode, toNode] = cross.title.match(/\((node-\d) -> (node-\d)\)/)!;
    expect(fromNode).not.toBe(toNode);
  });

  it('a kubectl user\'s habits run as kubectl against the cluster\'s context when kubectl is at hand, as knet otherwise', () => {
    const { cluster } = loadCluster(['examples/opscart']);
    const shown = (steps: ReturnType<typeof runTourSteps>): string[] => steps.map((s) => [s.program ?? 'knet', ...s.argv].join(' '));
    const withKubectl = shown(runTourSteps(cluster, 'examples/opscart', { cluster: 'demo' }));
    const without = shown(runTourSteps(cluster, 'examples/opscart'));
    const habits = ['get pods -A -o wide', 'get endpoints -n production api-service', 'get certificate -A'];
    for (const h of habits) {
      expect(withKubectl).toContain(`kubectl --context knet-demo ${h}`);
      expect(without).toContain(`knet ${h}`);
    }
    expect(withKubectl.filter((s) => s.startsWith('kubectl --context knet-demo wait -n production pod/api-'))).toHaveLength(2);
    expect(without.filter((s) => s.startsWith('knet wait -n production pod/api-'))).toHaveLength(2);
    // What only knet does stays knet: up, exec, health, matrix --probe.
    expect(withKubectl.filter((s) => s.startsWith('kubectl'))).toHaveLength(5);
    expect(withKubectl[0]).toBe('knet up -f examples/opscart');
  });

  it('finds kubectl as a shell would: $KNET_KUBECTL, else the first on PATH, else none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'knet-tour-path-'));
    try {
      for (const d of ['a', 'b']) {
        mkdirSync(join(dir, d));
        writeFileSync(join(dir, d, 'kubectl'), '', { mode: 0o755 });
      }
      expect(kubectlOnPath({ PATH: `${join(dir, 'none')}:${join(dir, 'b')}:${join(dir, 'a')}` })).toBe(join(dir, 'b', 'kubectl'));
      expect(kubectlOnPath({ PATH: join(dir, 'none') })).toBeUndefined();
      expect(kubectlOnPath({ PATH: join(dir, 'b'), KNET_KUBECTL: join(dir, 'a', 'kubectl') })).toBe(join(dir, 'a', 'kubectl'));
      expect(kubectlOnPath({ PATH: join(dir, 'b'), KNET_KUBECTL: join(dir, 'gone') })).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The README's first command as root: bring opscart up and walk it on real packets.
  it.skipIf(!isRoot || !hasIp)('runs as root on a real cluster and every step succeeds (root)', () => {
    const name = `tt${Math.random().toString(36).slice(2, 6)}`;
    const cli = 'dist/cli/main.js';
    // knet up merges its context into $KUBECONFIG: a file of the test's own, not root's ~/.kube/config.
    const home = mkdtempSync(join(tmpdir(), 'knet-tour-'));
    const env = { ...process.env, KUBECONFIG: join(home, 'kubeconfig') };
    try {
      const r = spawnSync(process.execPath, [cli, 'tour', '--name', name], { encoding: 'utf8', timeout: 120_000, env });
      expect(r.stderr).not.toMatch(/failed/);
      expect(r.status).toBe(0);
      // The api pod saw the frontend pod's own address: no NAT between pods.
      const clientIp = r.stdout.match(/clientip\n(10\.244\.\d+\.\d+):\d+/);
      expect(clientIp, r.stdout.slice(0, 3000)).not.toBeNull();
      expect(r.stdout).toMatch(/Pod to pod across nodes/);
      // With kubectl on the machine, kubectl's habits ran as kubectl with the context knet up set.
      if (kubectlOnPath()) expect(r.stdout).toContain(`$ kubectl --context knet-${name} get pods -A -o wide\nNAMESPACE `);
    } finally {
      spawnSync(process.execPath, [cli, 'down', '--name', name], { encoding: 'utf8', timeout: 60_000, env });
      rmSync(home, { recursive: true, force: true });
    }
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`knet-${name}-`));
    expect(left).toEqual([]);
  });
});
