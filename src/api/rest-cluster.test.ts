// The REST semantics on a running cluster, through stock kubectl over HTTPS (the context `knet
// up` merges): scale, a forced delete with grace period 0 (a pod whose preStop would hold it
// 20 s goes at once), and --cascade=orphan (the pods keep running, same addresses). Needs root
// and kubectl; the cluster is removed in `finally`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, knet, skipReason } from '../daemon/test-support/running-cluster.js';
import { KUBECTL, kubectlSkipReason } from './test-support/fake-backend.js';

const reason = skipReason() || kubectlSkipReason;

const MANIFEST = (name: string) => `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: ${name}}
nodes: [{name: node-1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: c
        image: agnhost
        ports: [{containerPort: 8080}]
        lifecycle: {preStop: {sleep: {seconds: 20}}}
`;

describe.skipIf(reason)(`REST semantics on a running cluster${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('kubectl scale, delete --grace-period=0 --force, delete --cascade=orphan', async () => {
    ensureBuilt();
    const name = `knet-rest-${randomBytes(2).toString('hex')}`;
    const home = mkdtempSync(join(tmpdir(), 'knet-rest-'));
    const kubeconfig = join(home, 'config');
    writeFileSync(join(home, 'cluster.yaml'), MANIFEST(name));
    const env = { HOME: home, KUBECONFIG: kubeconfig };
    const kubectl = (...args: string[]) => {
      const r = spawnSync(KUBECTL, ['--cache-dir', join(home, 'cache'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, input: '', timeout: 60_000 });
      return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
    };
    // Every web pod Ready, polled (kubectl wait is the walk test's; one pod at a time here).
    const allReady = async (n: number) => {
      for (let i = 0; i < 300; i++) {
        const ready = kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{.metadata.deletionTimestamp}{"\\n"}{end}').out.trim().split('\n').filter(Boolean);
        if (ready.length === n && ready.every((r) => r.trim() === 'True')) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`the web pods were not all Ready: ${kubectl('get', 'pods', '-o', 'wide').out}`);
    };
    const pods = () => kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.podIP} {.metadata.deletionTimestamp}{"\\n"}{end}').out.trim().split('\n').filter(Boolean);
    try {
      const up = knet(['up', '-f', join(home, 'cluster.yaml'), '--name', name], env);
      expect(up, up.err).toMatchObject({ code: 0 });
      expect(kubectl('scale', 'deploy/web', '--replicas=3')).toMatchObject({ code: 0, out: 'deployment.apps/web scaled\n' });
      await allReady(3);

      // Its preStop would keep it 20 s; grace period 0 kills it at once.
      const victim = pods()[0]!.split(' ')[0]!;
      const started = Date.now();
      const forced = kubectl('delete', 'pod', victim, '--grace-period=0', '--force');
      expect(forced, forced.err).toMatchObject({ code: 0 });
      expect(forced.out).toBe(`pod "${victim}" force deleted\n`);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(pods().some((p) => p.startsWith(`${victim} `))).toBe(false);
      await allReady(3);

      // Orphaned: the Deployment goes, its ReplicaSet and pods stay where they run.
      const before = pods();
      expect(before).toHaveLength(3);
      expect(kubectl('delete', 'deploy', 'web', '--cascade=orphan')).toMatchObject({ code: 0, out: 'deployment.apps "web" deleted\n' });
      expect(kubectl('get', 'deploy').err).toBe('No resources found in default namespace.\n');
      expect(kubectl('get', 'rs', '-l', 'app=web', '-o', 'name').out).toMatch(/^replicaset\.apps\/web-/);
      await new Promise((r) => setTimeout(r, 1000));
      expect(pods()).toEqual(before);
      await allReady(3);
    } finally {
      const down = knet(['down', '--name', name], env);
      expect(down, down.err).toMatchObject({ code: 0 });
      rmSync(home, { recursive: true, force: true });
    }
  }, 240_000);
});
