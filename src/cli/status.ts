// `knet status`: the clusters on this machine, running or left by a crash; with --name,
// one cluster's nodes, runtimes and last reconcile.
import { Option, type Command } from 'commander';
import { knownClusters, request } from '../daemon/client.js';
import { runningDaemon, runningSupervisor } from '../daemon/lock.js';
import { apiSocketPath } from '../daemon/paths.js';
import { loadState } from '../daemon/state.js';
import { CliError, toJson, type Io } from './output.js';
import { renderTable } from './tables.js';
import { daemonAction, namedCluster, requireRoot, withCluster } from './source.js';

interface StatusBody {
  readonly name: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly generation: number;
  readonly cni: string;
  readonly api: string;
  readonly nodes: readonly { name: string; ip: string; podCIDR: string; pods: number }[];
  readonly pods: number;
  readonly namespaces: number;
  readonly objects: number;
  readonly skipped: readonly { pod: string; reason: string }[];
  readonly runtimes: Readonly<Record<string, { pid: number; alive: boolean }>>;
  readonly lastReconcile: null | { ms: number; probes: number; failedProbes: readonly { pod: string; ip: string; port: number; error: string }[] };
}

export function registerStatus(program: Command, io: Io): void {
  withCluster(program
    .command('status')
    .description('the clusters on this machine (running, or left by a crash); with --name, one cluster in detail'))
    .addOption(new Option('-o, --output <format>', 'output format: json').default(''))
    .action(daemonAction(io, async (o: { name?: string; output: string }) => {
      requireRoot('status');
      if (o.output !== '' && o.output !== 'json') throw new CliError(`error: unknown output format "${o.output}": use -o json`);
      const name = o.name === undefined ? null : namedCluster(o.name); // `--name ''` is an error
      return name ? detail(io, name, o.output === 'json') : overview(io, o.output === 'json');
    }));
}

async function fetchStatus(name: string): Promise<StatusBody | null> {
  if (!runningDaemon(name) && !runningSupervisor(name)) return null;
  try {
    const res = await request<StatusBody>(name, 'GET', '/apis/knet.dev/v1alpha1/status', undefined, 5000);
    return res.status === 200 ? res.body : null;
  } catch {
    return null;
  }
}

async function overview(io: Io, json: boolean): Promise<number> {
  const names = knownClusters();
  const rows = await Promise.all(names.map(async (name) => {
    const s = await fetchStatus(name);
    const stored = s ? null : safeState(name);
    return { name, s, stored };
  }));
  if (json) {
    io.out(toJson({ clusters: rows.map((r) => (r.s ? { status: 'Running', ...r.s } : { name: r.name, status: r.stored ? 'Stopped' : 'Leftovers' })) }));
    return 0;
  }
  if (rows.length === 0) {
    io.err('No clusters. knet up -f DIR starts one.');
    return 0;
  }
  const now = Date.now();
  io.out(renderTable({
    headers: ['NAME', 'STATUS', 'NODES', 'PODS', 'CNI', 'AGE', 'API'],
    rows: rows.map(({ name, s, stored }) => s
      ? [name, 'Running', String(s.nodes.length), String(s.pods), s.cni, age(now - Date.parse(s.startedAt)), s.api]
      : [name, stored ? 'Stopped' : 'Leftovers', '-', '-', '-', '-', stored ? `knet up --name ${name} restores it` : `knet down --name ${name} removes them`]),
  }));
  return 0;
}

async function detail(io: Io, name: string, json: boolean): Promise<number> {
  const s = await fetchStatus(name);
  if (!s) {
    const stored = safeState(name);
    if (json) {
      io.out(toJson({ name, status: stored ? 'Stopped' : 'Unknown', objects: stored?.objects.length ?? 0 }));
      return stored ? 0 : 1;
    }
    if (!stored) throw new CliError(`error: no cluster ${name}\n  hint: knet status lists the clusters`);
    io.out(`cluster ${name}: Stopped (its daemon is gone; ${stored.objects.length} objects stored)`);
    io.out(`  knet up --name ${name} restores it · knet down --name ${name} removes it`);
    return 0;
  }
  if (json) {
    io.out(toJson({ status: 'Running', ...s, supervisor: runningSupervisor(name)?.pid ?? null }));
    return 0;
  }
  const sup = runningSupervisor(name);
  io.out(`cluster ${s.name}: Running, daemon pid ${s.pid} (${sup ? `supervisor pid ${sup.pid}` : 'no supervisor: not restarted after a crash'}), up ${age(Date.now() - Date.parse(s.startedAt))}, generation ${s.generation}`);
  io.out(`api: ${apiSocketPath(name)}   cni: ${s.cni}   objects: ${s.objects}   pods: ${s.pods}   namespaces: ${s.namespaces}`);
  io.out('');
  io.out(renderTable({
    headers: ['NODE', 'INTERNAL-IP', 'POD-CIDR', 'PODS', 'RUNTIME'],
    rows: s.nodes.map((n) => {
      const r = s.runtimes[n.name];
      return [n.name, n.ip, n.podCIDR || '<none>', String(n.pods), r ? `${r.alive ? 'running' : 'gone'} (pid ${r.pid})` : '-'];
    }),
  }));
  const r = s.lastReconcile;
  if (r) {
    io.out('');
    io.out(`last reconcile: ${(r.ms / 1000).toFixed(1)} s, ${r.probes - r.failedProbes.length}/${r.probes} probes answered`);
    for (const f of r.failedProbes) io.out(`  ${f.pod} ${f.ip}:${f.port}: ${f.error}`);
  }
  for (const k of s.skipped) io.out(`not running: ${k.pod}: ${k.reason}`);
  return 0;
}

function safeState(name: string): ReturnType<typeof loadState> {
  try {
    return loadState(name);
  } catch {
    return null;
  }
}

function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`;
}
