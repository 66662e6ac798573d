// Issue 13 item 5: the daemon's supervisor. A small running cluster (1 node, 3 pods); each
// round kills the daemon with SIGKILL and times how long until a new daemon answers
// GET /api/v1/pods with every pod (target <= 1 s). Rounds are STABLE_MS apart, so each kill
// is a crash of a daemon that ran long enough to count as stable: closer kills are a crash
// loop, which the supervisor backs off on purpose (0.5 s, 1 s, 2 s, ...). Then `knet up && knet down` of a fresh cluster, round after
// round, timed, each round checked to leave no namespace and no run directory. Root only.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STABLE_MS } from '../../daemon/restart-policy.js';
import { checkChild, dataplaneSkipReason, median, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const KILL_ROUNDS = 5;
const UP_DOWN_ROUNDS = 5;
/** A daemon that ran this long is stable (its crash restarts at once) and has its warm spare. */
const BETWEEN_KILLS_MS = STABLE_MS + 500;

const MANIFEST = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: supervisor}
nodes: [{name: node-1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        ports: [{containerPort: 8080}]
`;

function podNames(sock: string): Promise<string[] | null> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: sock, path: '/api/v1/pods', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(null);
        try {
          const items = (JSON.parse(body) as { items: { metadata: { name: string } }[] }).items;
          resolve(items.map((p) => p.metadata.name).sort());
        } catch {
          resolve(null);
        }
      });
    });
    req.on('error', () => resolve(null)); // no daemon listening yet
  });
}

const daemonPid = (cluster: string): number => Number(readFileSync(`/run/knet-${cluster}/daemon.pid`, 'utf8').split(' ')[0]);
const leftNamespaces = (cluster: string): number =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`knet-${cluster}-`)).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const supervisor: BenchSuite = {
  name: 'supervisor',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const skip = dataplaneSkipReason(['ip', 'nft', 'nsenter', 'bwrap']);
    if (skip) {
      ctx.log(`[supervisor] skipped: ${skip}`);
      return [];
    }
    const cli = join(ctx.repoRoot, 'dist', 'cli', 'main.js');
    const knet = (args: readonly string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
    const dir = mkdtempSync(join(tmpdir(), 'knet-bench-supervisor-'));
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, MANIFEST);
    const results: BenchResult[] = [];
    const push = (r: BenchResult) => {
      results.push(r);
      ctx.report(r);
    };
    const cluster = `sb${randomBytes(2).toString('hex')}`;
    try {
      checkChild('knet up', knet(['up', '-f', file, '--name', cluster]));
      const sock = `/run/knet-${cluster}/api.sock`;
      const before = await podNames(sock);
      if (!before || before.length === 0) throw new Error('the cluster serves no pods after knet up');
      const restarts: number[] = [];
      for (let round = 0; round < KILL_ROUNDS; round++) {
        await sleep(BETWEEN_KILLS_MS);
        const old = daemonPid(cluster);
        const t = performance.now();
        process.kill(old, 'SIGKILL');
        let served: string[] | null = null;
        while (performance.now() - t < 10_000) {
          served = existsSync(sock) && daemonPid(cluster) !== old ? await podNames(sock) : null;
          if (served) break;
          await sleep(5);
        }
        const ms = performance.now() - t;
        if (!served) throw new Error(`round ${round + 1}: no daemon answered within 10 s of kill -9`);
        if (served.join(',') !== before.join(',')) throw new Error(`round ${round + 1}: the new daemon serves other pods (${served.join(', ')})`);
        restarts.push(ms);
        ctx.log(`[supervisor] kill -9 round ${round + 1}: every pod served again after ${Math.round(ms)} ms`);
      }
      const worst = Math.max(...restarts);
      push({ figure: `kill -9 of the daemon until every pod is served again (${before.length} pods, median of ${KILL_ROUNDS})`, value: Math.round(median(restarts)), unit: 'ms', target: '<= 1000 ms', ok: worst <= 1000, note: `worst ${Math.round(worst)} ms` });
    } finally {
      knet(['down', '--name', cluster]);
    }

    const rounds: number[] = [];
    let left = 0;
    for (let round = 0; round < UP_DOWN_ROUNDS; round++) {
      const c = `sb${randomBytes(2).toString('hex')}`;
      const t = performance.now();
      try {
        checkChild(`knet up (round ${round + 1})`, knet(['up', '-f', file, '--name', c]));
      } finally {
        checkChild(`knet down (round ${round + 1})`, knet(['down', '--name', c]));
      }
      rounds.push(performance.now() - t);
      left += leftNamespaces(c) + (existsSync(`/run/knet-${c}`) ? 1 : 0);
    }
    push({ figure: `knet up && knet down, 1 node, 3 pods (median of ${UP_DOWN_ROUNDS})`, value: Math.round(median(rounds)), unit: 'ms', note: `worst ${Math.round(Math.max(...rounds))} ms` });
    push({ figure: `namespaces and run directories left after ${UP_DOWN_ROUNDS} rounds`, value: left, unit: 'items', target: '= 0', ok: left === 0 });
    rmSync(dir, { recursive: true, force: true });
    return results;
  },
};
