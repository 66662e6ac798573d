// helm 4 on a running cluster with only the kubeconfig `knet up` merged (issue 16's "a local
// chart installs, upgrades and uninstalls with helm"): install --wait until the pods answer
// their readiness probes, the chart's Service answering a pod through `knet exec ... curl`,
// upgrade --wait (a new image: the pods rolled), rollback --wait, uninstall --wait.
// Needs root (network namespaces) and helm; skipped with the reason otherwise.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, knet, skipReason } from '../daemon/test-support/running-cluster.js';
import { KUBECTL, kubectlSkipReason } from './test-support/fake-backend.js';
import { helloChart, helmSkipReason, helmWith, writeChart } from './test-support/helm-chart.js';
import { runTool } from './test-support/run-tool.js';

const reason = skipReason() || helmSkipReason || kubectlSkipReason;
if (reason) console.log(`src/api/helm-cluster.test.ts skipped: ${reason}`);

const ONE_NODE = 'apiVersion: knet.dev/v1alpha1\nkind: Cluster\nmetadata: {name: helm}\nnodes: [{name: node-1}]\n';

describe.skipIf(reason)('helm on a running cluster', () => {
  it('install --wait, the Service answers from a pod, upgrade --wait, rollback --wait, uninstall --wait', async () => {
    ensureBuilt();
    const name = `knet-helm-${randomBytes(2).toString('hex')}`;
    const home = mkdtempSync(join(tmpdir(), 'knet-helm-cluster-'));
    const kubeconfig = join(home, 'kubeconfig');
    const env = { KUBECONFIG: kubeconfig };
    const helm = helmWith(kubeconfig);
    const ok = async (args: readonly string[]): Promise<string> => {
      const r = await helm.run(args);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      return r.out;
    };
    const kubectl = async (...args: string[]): Promise<string> => {
      const r = await runTool(KUBECTL, ['--cache-dir', join(home, 'cache'), ...args], { ...process.env, KUBECONFIG: kubeconfig });
      expect(r.err).toBe('');
      return r.out;
    };
    const pods = async (): Promise<string[]> =>
      (await kubectl('get', 'pods', '-l', 'app=hello-web', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.containers[0].image} {.status.phase}{"\\n"}{end}')).split('\n').filter(Boolean);
    try {
      writeFileSync(join(home, 'cluster.yaml'), ONE_NODE);
      const chart = writeChart(join(home, 'hello'), helloChart());
      const up = knet(['up', '-f', join(home, 'cluster.yaml'), '--name', name], env);
      expect(up.err).toBe('');
      expect(up.out).toContain(`Set kubectl context to "knet-${name}"`);

      expect(await ok(['install', 'hello', chart, '--wait', '--timeout', '60s'])).toContain('STATUS: deployed\nREVISION: 1\n');
      const installed = await pods();
      expect(installed).toHaveLength(2);
      for (const p of installed) expect(p).toMatch(/ nginx:1\.27 Running$/);
      const ready = await kubectl('get', 'deployment', 'hello-web', '-o', 'jsonpath={.status.readyReplicas}/{.spec.replicas}');
      expect(ready).toBe('2/2');

      // The Service by its DNS name, from one of the chart's pods (the built-in server answers /hostname).
      const from = installed[0]!.split(' ')[0]!;
      const curl = knet(['exec', '--name', name, from, '--', 'curl', '-s', '-m', '5', 'http://hello-web.default.svc/hostname'], env);
      expect(curl.code).toBe(0);
      expect(installed.map((p) => p.split(' ')[0])).toContain(curl.out.trim());

      expect(await ok(['upgrade', 'hello', chart, '--set', 'image.tag=1.28', '--set', 'replicas=3', '--wait', '--timeout', '60s'])).toContain('REVISION: 2\n');
      const upgraded = await pods();
      expect(upgraded).toHaveLength(3);
      for (const p of upgraded) expect(p).toMatch(/ nginx:1\.28 Running$/);

      expect(await ok(['rollback', 'hello', '1', '--wait', '--timeout', '60s'])).toBe('Rollback was a success! Happy Helming!\n');
      const rolledBack = await pods();
      expect(rolledBack).toHaveLength(2);
      for (const p of rolledBack) expect(p).toMatch(/ nginx:1\.27 Running$/);
      expect((await ok(['history', 'hello'])).trimEnd().split('\n').at(-1)).toMatch(/^3\s+.*\tdeployed\s*\t.*\tRollback to 1\s*$/);

      expect(await ok(['uninstall', 'hello', '--wait', '--timeout', '60s'])).toBe('release "hello" uninstalled\n');
      expect(await kubectl('get', 'deploy,rs,pods,svc,cm,secrets', '-o', 'name')).not.toMatch(/hello/);
    } finally {
      helm.close();
      const down = knet(['down', '--name', name], env);
      rmSync(home, { recursive: true, force: true });
      expect(down.code).toBe(0);
    }
  }, 240_000);
});
