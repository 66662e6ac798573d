// Graceful termination on a running cluster, through the real command line: a deleted pod
// with a preStop sleep turns Terminating, its endpoint leaves node-1's kube-proxy rules
// while it still answers, it stops answering only after the sleep, and then it is gone and
// replaced; requests through the Service lose nothing meanwhile. Needs root, ip, nsenter,
// nft, curl; the cluster is removed in `finally`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startLoad } from '../bench/suites/termination.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');

function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (the running cluster needs network namespaces)';
  for (const tool of ['ip', 'nsenter', 'nft', 'curl']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  return '';
}
const reason = skipReason();

const MANIFEST = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: term}
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
      terminationGracePeriodSeconds: 10
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [netexec, --http-port=8080]
        ports: [{containerPort: 8080}]
        lifecycle: {preStop: {sleep: {seconds: 2}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

describe.skipIf(reason !== '')(`graceful termination on real packets${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('a preStop sleep keeps a deleted pod serving until its endpoint is out of the rules, then it stops', async () => {
    const name = `tt${randomBytes(2).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'knet-term-'));
    const env = { ...process.env, KNET_CLUSTER: name, NO_COLOR: '1' };
    const node = `knet-${name}-node-1`;
    const knet = (args: string[]): string => {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 120_000 });
      if (r.status !== 0) throw new Error(`knet ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
      return r.stdout;
    };
    const pods = (): { name: string; ip: string; terminating: boolean }[] =>
      (JSON.parse(knet(['get', 'pods', '-o', 'json'])) as { items: { metadata: { name: string; deletionTimestamp?: string }; status: { podIP: string } }[] }).items
        .map((p) => ({ name: p.metadata.name, ip: p.status.podIP, terminating: p.metadata.deletionTimestamp !== undefined }));
    const rules = (): string => spawnSync('ip', ['netns', 'exec', node, 'nft', 'list', 'table', 'ip', 'kube-proxy'], { encoding: 'utf8' }).stdout;
    const direct = (ip: string): string => spawnSync('ip', ['netns', 'exec', node, 'curl', '-s', '-m', '1', `http://${ip}:8080/hostname`], { encoding: 'utf8' }).stdout;
    const until = async (what: string, fn: () => boolean, ms = 15_000): Promise<number> => {
      const deadline = Date.now() + ms;
      while (!fn()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return Date.now();
    };
    try {
      writeFileSync(join(dir, 'web.yaml'), MANIFEST);
      knet(['up', '-f', join(dir, 'web.yaml')]);
      const ip = (JSON.parse(knet(['get', 'svc', 'web', '-o', 'json'])) as { spec: { clusterIP: string } }).spec.clusterIP;
      const [victim, other] = pods();
      const mentions = new RegExp(`${victim!.ip.replace(/\./g, '\\.')}(?!\\d)`);
      expect(rules()).toMatch(mentions);
      const load = startLoad(ROOT, name, `http://${ip}/hostname`, 100, 6);
      await new Promise((r) => setTimeout(r, 500));

      const t0 = Date.now();
      expect(knet(['delete', 'pod', victim!.name]).trim()).toBe(`pod "${victim!.name}" deleted`);
      expect(knet(['get', 'pods'])).toMatch(new RegExp(`${victim!.name}\\s+\\S+\\s+Terminating`));
      const out = await until('the endpoint to leave the rules', () => !mentions.test(rules()));
      // Still in its preStop sleep: the pod answers directly, though nothing routes to it.
      expect(direct(victim!.ip)).toBe(victim!.name);
      const stopped = await until('the pod to stop answering', () => direct(victim!.ip) !== victim!.name);
      expect(stopped - t0).toBeGreaterThanOrEqual(1_900);
      expect(stopped).toBeGreaterThan(out);
      await until('the pod to be gone and replaced', () => {
        const now = pods();
        return now.length === 2 && !now.some((p) => p.name === victim!.name) && now.some((p) => p.name === other!.name);
      });
      const r = await load;
      expect(r.sent).toBe(600);
      expect(r.lost).toEqual({ refused: 0, reset: 0, timeout: 0, error: 0, non2xx: 0 });
      expect(r.answers[victim!.name]).toBeGreaterThan(0); // it served until it was deleted
    } finally {
      spawnSync(process.execPath, [CLI, 'down', '--name', name], { env });
      rmSync(dir, { recursive: true, force: true });
    }
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`knet-${name}-`));
    expect(left).toEqual([]);
  }, 120_000);
});
