// Issue 13 item 4: what graceful termination costs. A cluster of two nodes runs a Deployment
// of 3 behind a Service; a client on node-1 opens ~350 new connections a second to the
// Service's ClusterIP for a bounded time (termination-client.ts) while (a) the Deployment
// scales 3 -> 1, (b) it rolls out a new template, (c) `knet delete pod` deletes one replica;
// once with no preStop hook and once with `preStop: {sleep: {seconds: 3}}`. Each case reports
// requests sent and lost (refused, reset, timeout, other errors, non-2xx). Then both again
// with KNET_ENDPOINT_LAG_MS=1000: kube-proxy drops the endpoint 1 s after the runtime starts
// stopping the pod, a model of a real cluster's watch and sync delays (knet's own rule update
// is as fast as the runtime's SIGTERM). Root only.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadReport } from '../termination-client.js';
import { dataplaneSkipReason, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const RATE = 350;
const SECONDS = 8;
/** The action starts this long after the load does. */
const LEAD_MS = 1_000;

export function terminationManifest(o: { preStop: boolean; replicas: number; version: string }): string {
  return `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: termination}
nodes: [{name: node-1}, {name: node-2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: ${o.replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {version: "${o.version}"}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [netexec, --http-port=8080]
        ports: [{containerPort: 8080}]${o.preStop ? `
        lifecycle:
          preStop:
            sleep: {seconds: 3}` : ''}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;
}

interface PodItem {
  readonly metadata: { readonly name: string; readonly deletionTimestamp?: string };
  readonly status: { readonly conditions?: readonly { type: string; status: string }[] };
}

const LAG_MS = 1_000;

function knet(ctx: BenchContext, name: string, argv: readonly string[], lagMs = 0): string {
  const r = spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), ...argv], {
    cwd: ctx.repoRoot, encoding: 'utf8', timeout: 120_000, env: { ...process.env, KNET_CLUSTER: name, NO_COLOR: '1', KNET_ENDPOINT_LAG_MS: String(lagMs) },
  });
  if (r.status !== 0) throw new Error(`knet ${argv.join(' ')}: exit ${r.status}\n${(r.stderr ?? '').slice(-1500)}`);
  return r.stdout;
}

/** Runs the load client in node-1's namespace; resolves to its report. */
export function startLoad(repoRoot: string, cluster: string, url: string, rate: number, seconds: number): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', `knet-${cluster}-node-1`, process.execPath, join(repoRoot, 'dist/bench/termination-client.js'), url, String(rate), String(seconds)]);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load client: exit ${code}\n${err.slice(-1000)}`));
      try {
        resolve(JSON.parse(out) as LoadReport);
      } catch {
        reject(new Error(`load client printed no report: ${out.slice(0, 200)} ${err.slice(-500)}`));
      }
    });
  });
}

async function settled(ctx: BenchContext, name: string, replicas: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pods = (JSON.parse(knet(ctx, name, ['get', 'pods', '-o', 'json'])) as { items: PodItem[] }).items;
    const ready = pods.filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    if (pods.length === replicas && ready.length === replicas) return;
    if (Date.now() > deadline) throw new Error(`the Deployment did not settle at ${replicas} Ready pods: ${pods.map((p) => p.metadata.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Case = 'scale-down 3->1' | 'rollout' | 'delete pod';

export const termination: BenchSuite = {
  name: 'termination',
  async run(ctx) {
    const results: BenchResult[] = [];
    const why = dataplaneSkipReason();
    if (why) {
      ctx.log(`skipped: ${why}`);
      return results;
    }
    for (const [preStop, lag] of [[false, 0], [true, 0], [false, LAG_MS], [true, LAG_MS]] as const) {
      const name = `tb${randomBytes(2).toString('hex')}`;
      const dir = mkdtempSync(join(tmpdir(), 'knet-bench-'));
      const file = (replicas: number, version: string): string => {
        const f = join(dir, `web-${replicas}-${version}.yaml`);
        writeFileSync(f, terminationManifest({ preStop, replicas, version }));
        return f;
      };
      try {
        knet(ctx, name, ['up', '-f', file(3, '1')], lag);
        const ip = (JSON.parse(knet(ctx, name, ['get', 'svc', 'web', '-o', 'json'])) as { spec: { clusterIP: string } }).spec.clusterIP;
        const url = `http://${ip}/hostname`;
        const measure = async (what: Case, action: () => void): Promise<void> => {
          const variant = `${preStop ? 'preStop sleep 3 s' : 'no preStop'}${lag ? `, rules ${lag / 1000} s behind` : ''}`;
          ctx.log(`${variant}: ${what}`);
          const load = startLoad(ctx.repoRoot, name, url, RATE, SECONDS);
          await new Promise((r) => setTimeout(r, LEAD_MS));
          action();
          const r = await load;
          const lost = r.sent - r.ok;
          const kinds = Object.entries(r.lost).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
          const res: BenchResult = {
            figure: `${what}, ${variant}: lost of ${r.sent} (${RATE}/s)`,
            value: lost, unit: 'requests',
            ...(preStop ? { target: '= 0', ok: lost === 0 } : {}),
            note: `${r.ok} answered${kinds ? `; ${kinds}` : ''}${r.lostAt.length ? `; lost at ${r.lostAt[0]}-${r.lostAt.at(-1)} ms (action at ${LEAD_MS} ms)` : ''}`,
          };
          ctx.report(res);
          results.push(res);
        };
        await settled(ctx, name, 3);
        await measure('scale-down 3->1', () => knet(ctx, name, ['apply', '-f', file(1, '1')]));
        knet(ctx, name, ['apply', '-f', file(3, '1')]);
        await settled(ctx, name, 3);
        await measure('rollout', () => knet(ctx, name, ['apply', '-f', file(3, '2')]));
        await settled(ctx, name, 3);
        const victim = (JSON.parse(knet(ctx, name, ['get', 'pods', '-o', 'json'])) as { items: PodItem[] }).items[0]!.metadata.name;
        await measure('delete pod', () => knet(ctx, name, ['delete', 'pod', victim]));
        await settled(ctx, name, 3);
      } finally {
        spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), 'down', '--name', name], { cwd: ctx.repoRoot });
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return results;
  },
};
