// Issue [4/7] item 7: `kubectl port-forward` throughput against curl straight to the pod from
// its node (target: a ratio of at least 0.8). A lean running cluster (one node, one pod); a
// bulk HTTP server in the pod's network namespace serves 100 MB (× --scale); curl downloads it
// five times each way, alternating: from the node's namespace to podIP:port, and on the host
// through stock kubectl's port-forward (WebSocket-tunnelled SPDY over the API's HTTPS). Medians.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBECTL, kubectlSkipReason } from '../../api/test-support/fake-backend.js';
import { curlSpeed, startBulkServer, startPortForward } from '../../api/test-support/port-forward-run.js';
import { dataplaneSkipReason, median, type BenchContext, type BenchResult, type BenchSuite } from '../suite.js';

const ROUNDS = 5;
const PORT = 9100;

const CLUSTER = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: portfwd-bench}
nodes: [{name: node-1}]
---
apiVersion: v1
kind: Pod
metadata: {name: bulk, namespace: default, labels: {app: bulk}}
spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080}]}]}
`;

export const portforward: BenchSuite = {
  name: 'portforward',
  async run(ctx) {
    const results: BenchResult[] = [];
    const why = dataplaneSkipReason(['ip', 'nft', 'nsenter', 'curl']) || kubectlSkipReason;
    if (why) {
      ctx.log(`skipped: ${why}`);
      return results;
    }
    const name = `knet-portfwd-${randomBytes(2).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'knet-bench-portfwd-'));
    const env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir };
    const knet = (argv: readonly string[]): string => {
      const r = spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), ...argv], { cwd: ctx.repoRoot, encoding: 'utf8', env, timeout: 120_000 });
      if (r.status !== 0) throw new Error(`knet ${argv.join(' ')}: exit ${r.status}\n${(r.stderr ?? '').slice(-1500)}`);
      return r.stdout;
    };
    const bytes = Math.max(10, Math.round(100 * ctx.scale)) * 1024 * 1024;
    writeFileSync(join(dir, 'cluster.yaml'), CLUSTER);
    try {
      knet(['up', '-f', join(dir, 'cluster.yaml'), '--name', name]);
      const ip = spawnSync(KUBECTL, ['--cache-dir', join(dir, 'cache'), 'get', 'pod', 'bulk', '-o', 'jsonpath={.status.podIP}'], { encoding: 'utf8', env }).stdout.trim();
      const podNetns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!)
        .filter((n) => n.startsWith(`knet-${name}-pod-`))
        .find((n) => spawnSync('ip', ['-n', n, '-4', 'addr'], { encoding: 'utf8' }).stdout.includes(`inet ${ip}/`));
      if (!ip || !podNetns) throw new Error(`pod bulk has no address (${ip}) or namespace`);
      const nodeNetns = `knet-${name}-node-1`;
      const bulk = await startBulkServer(podNetns, PORT, bytes);
      const pf = await startPortForward(KUBECTL, ['--cache-dir', join(dir, 'cache'), 'pod/bulk', `0:${PORT}`], env);
      try {
        const direct = (): Promise<number> => curlSpeed(`http://${ip}:${PORT}/`, nodeNetns);
        const forwarded = (): Promise<number> => curlSpeed(`http://127.0.0.1:${pf.localPort}/`);
        await direct();
        await forwarded();
        const d: number[] = [];
        const f: number[] = [];
        const daemonPid = Number(readFileSync(`/run/knet-${name}/daemon.pid`, 'utf8').split(' ')[0]);
        const cpu = { daemon: 0, kubectl: 0 };
        for (let i = 0; i < ROUNDS; i++) {
          d.push(await direct());
          const before = { daemon: cpuMs(daemonPid), kubectl: cpuMs(pf.child.pid!) };
          f.push(await forwarded());
          cpu.daemon += cpuMs(daemonPid) - before.daemon;
          cpu.kubectl += cpuMs(pf.child.pid!) - before.kubectl;
          ctx.log(`round ${i + 1}: direct ${mbps(d.at(-1)!)} MB/s, port-forward ${mbps(f.at(-1)!)} MB/s`);
        }
        const load = loadavg()[0]!.toFixed(1);
        const ratio = median(f) / median(d);
        const note = `${bytes / 1024 / 1024} MB, median of ${ROUNDS}, load average ${load}`;
        results.push({ figure: 'curl from the node to the pod', value: mbps(median(d)), unit: 'MB/s', note });
        results.push({ figure: 'curl through kubectl port-forward', value: mbps(median(f)), unit: 'MB/s', note });
        // Where a forwarded byte's CPU goes: the daemon (TLS, WebSocket, SPDY) and kubectl (the same, undone).
        const per100 = (ms: number): number => Math.round((ms / ROUNDS) * (100 * 1024 * 1024 / bytes));
        results.push({ figure: '... daemon CPU per 100 MB forwarded', value: per100(cpu.daemon), unit: 'ms', note });
        results.push({ figure: '... kubectl CPU per 100 MB forwarded', value: per100(cpu.kubectl), unit: 'ms', note });
        results.push({ figure: 'port-forward / direct throughput', value: Number(ratio.toFixed(2)), unit: '×', target: '>= 0.8', ok: ratio >= 0.8, note });
        for (const r of results) ctx.report(r);
      } finally {
        pf.stop();
        bulk.stop();
      }
    } finally {
      spawnSync(process.execPath, [join(ctx.repoRoot, 'dist/cli/main.js'), 'down', '--name', name], { encoding: 'utf8', env, timeout: 120_000 });
      rmSync(dir, { recursive: true, force: true });
    }
    return results;
  },
};

/** A process's user + system CPU time so far, in ms (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function mbps(bytesPerSecond: number): number {
  return Math.round(bytesPerSecond / 1e6);
}
