// Readiness on a running cluster, through the real command line and daemon: a pod made
// unhealthy (`knet health`) fails its readiness probe, leaves its Service's endpoints and
// stops getting traffic; made healthy it comes back; a failing liveness probe restarts it
// (RESTARTS counts); a Deployment rollout keeps the old pods serving until the new ones are
// Ready, and with a preStop sleep the old ones keep serving until their endpoints have left
// the rules: no request lost. (Without one, a request can meet an old pod that stopped
// listening before every node dropped it: `npm run bench -- termination` measures that.)
// Needs root, ip, nsenter, nft, curl; the cluster is removed
// in `finally`.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');

function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (the running cluster needs network namespaces)';
  for (const tool of ['ip', 'nsenter', 'nft', 'curl']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  return '';
}
const reason = skipReason();

const manifest = (version: string): string => `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: ready}
nodes: [{name: node-1}, {name: node-2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {version: "${version}"}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [netexec, --http-port=8080]
        ports: [{containerPort: 8080}]
        lifecycle: {preStop: {sleep: {seconds: 1}}}
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          initialDelaySeconds: 1
          periodSeconds: 1
          failureThreshold: 1
        livenessProbe:
          httpGet: {path: /livez, port: 8080}
          periodSeconds: 1
          failureThreshold: 4
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

describe.skipIf(reason !== '')(`readiness on real packets${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('an unready pod leaves the Service and comes back; liveness restarts; a rollout loses no request', async () => {
    const name = `rd${randomBytes(2).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'knet-ready-'));
    const env = { ...process.env, KNET_CLUSTER: name, NO_COLOR: '1' };
    const knet = (args: string[]): string => {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 120_000 });
      if (r.status !== 0) throw new Error(`knet ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
      return r.stdout;
    };
    const pods = (): { name: string; ready: boolean }[] =>
      (JSON.parse(knet(['get', 'pods', '-o', 'json'])) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }).items
        .map((p) => ({ name: p.metadata.name, ready: p.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True') }));
    const endpoints = (): string => knet(['get', 'endpoints', 'web']);
    const until = async (what: string, fn: () => boolean, ms = 15_000): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!fn()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    /** `n` requests from node-1 to the Service's ClusterIP: which pods answered (FAIL for errors). */
    const hits = (ip: string, n: number): string[] => {
      const r = spawnSync('ip', ['netns', 'exec', `knet-${name}-node-1`, 'sh', '-c',
        `for i in $(seq ${n}); do curl -s -m 2 http://${ip}/hostname || printf FAIL; echo; done`], { encoding: 'utf8' });
      return r.stdout.trim().split('\n');
    };
    try {
      writeFileSync(join(dir, 'v1.yaml'), manifest('1'));
      writeFileSync(join(dir, 'v2.yaml'), manifest('2'));
      knet(['up', '-f', join(dir, 'v1.yaml')]);
      const ip = (JSON.parse(knet(['get', 'svc', 'web', '-o', 'json'])) as { spec: { clusterIP: string } }).spec.clusterIP;
      const all = pods().map((p) => p.name).sort();
      expect(all).toHaveLength(3);
      expect(pods().every((p) => p.ready)).toBe(true);
      expect(new Set(hits(ip, 30))).toEqual(new Set(all)); // every ready replica over time

      // Pod C fails its readiness probe: out of the endpoints, no more traffic.
      const c = all[2]!;
      expect(knet(['health', c, 'unhealthy'])).toContain('made unhealthy');
      await until('pod C unready', () => pods().find((p) => p.name === c)?.ready === false);
      await until('pod C out of the endpoints', () => endpoints().split(',').length === 2);
      const without = hits(ip, 30);
      expect(without).not.toContain(c);
      expect(without).not.toContain('FAIL');
      expect(knet(['health', c])).toContain('HTTP probe failed with statuscode: 503');
      // Healthy again: back in the endpoints and answering.
      knet(['health', c, 'healthy']);
      await until('pod C ready', () => pods().find((p) => p.name === c)?.ready === true);
      await until('pod C answering', () => hits(ip, 20).includes(c));

      // Liveness (/livez, also a probed path): unhealthy for 4 periods restarts the responder.
      knet(['health', all[0]!, 'unhealthy']);
      await until('a restart', () => /Restarts:\s+[1-9]/.test(knet(['health', all[0]!])));
      // The new process is healthy: Ready again once its readiness probe passes, RESTARTS counted.
      await until('the restarted pod ready', () => new RegExp(`${all[0]}\\s+1/1\\s+Running\\s+[1-9]`).test(knet(['get', 'pods'])));

      // Rollout: a changed template; old pods serve until the new ones are Ready, then turn
      // Terminating and keep serving through their preStop sleep while they leave the rules.
      const load = spawn('ip', ['netns', 'exec', `knet-${name}-node-1`, 'sh', '-c',
        `for i in $(seq 60); do curl -s -m 2 http://${ip}/hostname || printf FAIL; echo; sleep 0.05; done`]);
      let out = '';
      load.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
      const during = new Promise<string[]>((resolve) => load.on('close', () => resolve(out.trim().split('\n'))));
      await new Promise((r) => setTimeout(r, 300));
      knet(['apply', '-f', join(dir, 'v2.yaml')]);
      const answered = await during;
      expect(answered.some((a) => all.includes(a))).toBe(true); // old pods served while the new ones started
      await until('only new pods', () => pods().every((p) => !all.includes(p.name)) && pods().length === 3);
      expect(answered.filter((a) => a === 'FAIL')).toEqual([]);
      const after = new Set(hits(ip, 30));
      expect([...after].some((p) => all.includes(p))).toBe(false);
    } finally {
      spawnSync(process.execPath, [CLI, 'down', '--name', name], { env });
      rmSync(dir, { recursive: true, force: true });
    }
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`knet-${name}-`));
    expect(left).toEqual([]);
  }, 180_000);
});
