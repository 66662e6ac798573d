// `knet up`: starts a cluster on this machine (every node and pod a network namespace) and
// returns when every pod answers. A daemon in the background holds it (src/daemon); this
// command validates the manifests, stores them, starts the daemon under its supervisor
// (which starts it again after a crash) and prints its progress. One `knet up` per cluster
// at a time (the operation lock: a second one waits and then finds the cluster up). After
// a stop, `knet up --name NAME` starts a daemon on the stored state again.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { assignmentsOf, desiredCluster } from '../daemon/desired.js';
import { isAlive, runningDaemon, runningSupervisor, type PidRecord } from '../daemon/lock.js';
import { checkName, daemonLogPath, DEFAULT_CLUSTER } from '../daemon/paths.js';
import { emptyState, loadState, NO_ASSIGNMENTS, saveState, toStoredObject, type Overrides } from '../daemon/state.js';
import { readSources } from '../model/source.js';
import { CNI_MODES, type CniMode } from '../model/types.js';
import type { Cluster } from '../cluster/fill-in.js';
import { admitIngresses, hasController } from '../dataplane/ingress/admission.js';
import { fakeCertificatePem } from '../dataplane/ingress/self-signed.js';
import type { Issue } from '../model/issue.js';
import { runApply } from './apply.js';
import { announceContext } from './kubeconfig.js';
import { CliError, paint, reportIssues, type Io } from './output.js';
import { collect, daemonAction, namedCluster, requireRoot, withClusterLock } from './source.js';

const SUPERVISOR_MAIN = fileURLToPath(new URL('../daemon/supervisor.js', import.meta.url));
const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const BOLD = '\x1b[1m';

interface UpOptions {
  filename: string[];
  name?: string;
  nodes?: string;
  cni?: CniMode;
}

export function registerUp(program: Command, io: Io): void {
  program
    .command('up')
    .description('start the cluster on this machine (every node and pod a network namespace, real packets); returns when every pod answers')
    .option('-f, --filename <path>', 'manifests: a file, a directory (recursive) or - for stdin; repeatable', collect, [])
    .option('--name <name>', `the cluster's name: short, lowercase (default: $KNET_CLUSTER, else ${DEFAULT_CLUSTER})`)
    .option('--nodes <n>', 'how many nodes, when the manifests do not name them (default 3)')
    .addOption(new Option('--cni <mode>', 'the pod network: calico (routed), flannel (VXLAN), azure (VNet), kubenet (bridge)').choices([...CNI_MODES]))
    .action(daemonAction(io, (o: UpOptions) => runUp(io, o)));
}

/** One line per step: `✓ network: 3 nodes, 14 pods (0.4 s)`. */
export function stepLine(io: Io, ok: boolean, step: string, text: string, ms: number): string {
  const mark = ok ? paint(io, GREEN, '✓') : paint(io, RED, '✗');
  return `${mark} ${step}: ${text} (${(ms / 1000).toFixed(1)} s)`;
}

export async function runUp(io: Io, o: UpOptions): Promise<number> {
  requireRoot('up');
  const name = namedCluster(o.name) ?? DEFAULT_CLUSTER;
  const bad = checkName(name);
  if (bad) throw new CliError(`error: ${bad}\n  hint: e.g. --name dev`);
  return withClusterLock(io, name, 'knet up', (waitedFor) => upLocked(io, name, o, waitedFor));
}

async function upLocked(io: Io, name: string, o: UpOptions, waitedFor: PidRecord | null): Promise<number> {
  const t0 = performance.now();
  // bwrap and setpriv: every container runs in a sandbox (dataplane/runtime/sandbox.ts).
  const missing = ['ip', 'nsenter', 'nft', 'bwrap', 'setpriv'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) throw new CliError(`error: knet up needs ${missing.join(', ')} on PATH\n  hint: apt-get install iproute2 util-linux nftables bubblewrap`);
  const overrides: Overrides = {
    ...(o.nodes !== undefined ? { nodes: parseNodes(o.nodes) } : {}),
    ...(o.cni !== undefined ? { cni: o.cni } : {}),
  };

  await stopIdleSupervisor(name);
  const daemon = runningDaemon(name);
  if (daemon) {
    if (o.filename.length > 0) {
      const by = waitedFor?.what === 'knet up' ? `: the other knet up (pid ${waitedFor.pid}) brought it up first; these manifests were not applied` : '';
      throw new CliError(`error: cluster ${name} is already up (daemon pid ${daemon.pid})${by}\n  hint: knet apply -f ... changes it; knet down --name ${name} removes it`);
    }
    io.out(`cluster ${name} is already up (daemon pid ${daemon.pid})`);
    if (!runningSupervisor(name)) {
      const sup = spawnSupervisor(name, ['--adopt'], 'ignore');
      io.out(`  its supervisor was gone: a new one (pid ${sup.pid}) starts a new daemon if this one crashes`);
    }
    await announceContext(io, name); // again: the port may have moved, or the context been removed
    return 0;
  }

  let state = loadState(name);
  let fresh = false;
  let t = performance.now();
  if (!state) {
    const read = readSources(o.filename);
    const desired = desiredCluster({ objects: read.objects, overrides, assignments: NO_ASSIGNMENTS });
    reportIssues(io, [...read.issues, ...desired.issues]); // errors: nothing was done
    reportIssues(io, await admitAtUp(desired.cluster)); // ingress-nginx's webhook: every Ingress is new
    state = { ...emptyState(name, overrides), objects: read.objects.map(toStoredObject), assignments: assignmentsOf(desired.cluster) };
    await saveState(state);
    fresh = true;
    const c = desired.cluster;
    io.out(stepLine(io, true, 'manifests', `${read.objects.length} object${read.objects.length === 1 ? '' : 's'}, ${c.pods.length} pods on ${c.nodes.length} nodes (${c.config.cni})`, performance.now() - t));
  } else {
    for (const [k, v] of Object.entries(overrides)) {
      const stored = (state.overrides as Record<string, unknown>)[k];
      if (stored !== v) throw new CliError(`error: cluster ${name} was started with --${k} ${String(stored ?? '(default)')}; it cannot change while it exists\n  hint: knet down --name ${name}, then knet up with the new settings`);
    }
    io.out(stepLine(io, true, 'state', `${state.objects.length} stored object${state.objects.length === 1 ? '' : 's'} (generation ${state.generation}), reconciling with what is left`, performance.now() - t));
  }

  t = performance.now();
  const ready = await startDaemon(io, name, fresh);
  if (ready.error) {
    io.err(paint(io, RED, `error: cluster ${name} did not come up: ${ready.error}`));
    if (fresh && !ready.crashed) io.err('  hint: nothing was left behind; fix the cause and run knet up again');
    else io.err(`  hint: the daemon's log is ${daemonLogPath(name)}; knet down --name ${name} removes what is left`);
    return 1;
  }
  await announceContext(io, name);
  if (!fresh && o.filename.length > 0) {
    const code = await runApply(io, name, o.filename);
    if (code !== 0) return code;
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (!ready.ready) {
    io.err(paint(io, RED, `cluster ${name} is up in ${secs} s, but not every pod answers`));
    io.err(`  hint: knet status --name ${name}; knet logs POD; the daemon's log is ${daemonLogPath(name)}`);
    return 1;
  }
  io.out(paint(io, BOLD, `cluster ${name} is up in ${secs} s: ${ready.nodes} nodes, ${ready.pods} pods`));
  io.out(`  kubectl get pods -A -o wide · knet exec -n NS POD -- sh · knet status · knet down${name === DEFAULT_CLUSTER ? '' : ` --name ${name}`}`);
  return 0;
}

function parseNodes(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 5000) throw new CliError(`error: --nodes ${v}: a whole number from 1 to 5000`);
  return n;
}

interface Ready {
  readonly ready: boolean;
  readonly error: string;
  /** The daemon died (a signal, an unexpected exit) rather than reporting an error: what it made is left. */
  readonly crashed?: boolean;
  readonly nodes: number;
  readonly pods: number;
}

/**
 * A supervisor whose daemon is gone (a crash loop in back-off) is stopped: this `knet up`
 * starts a daemon now, under a new supervisor, and shows its progress.
 */
async function stopIdleSupervisor(name: string): Promise<void> {
  const sup = runningSupervisor(name);
  if (!sup || runningDaemon(name)) return;
  try {
    process.kill(sup.pid, 'SIGTERM');
  } catch {
    return; // gone
  }
  const deadline = Date.now() + 3000;
  while (isAlive(sup.pid, sup.startTime) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** The supervisor in its own session, its output to the daemon's log; `progress`: a pipe on fd 3 for the first bring-up's lines. */
function spawnSupervisor(name: string, args: readonly string[], progress: 'pipe' | 'ignore'): ChildProcess {
  if (!existsSync(SUPERVISOR_MAIN)) throw new CliError(`error: ${SUPERVISOR_MAIN} is missing\n  hint: npm run build`);
  const logPath = daemonLogPath(name);
  mkdirSync(dirname(logPath), { recursive: true, mode: 0o700 });
  const logFd = openSync(logPath, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [SUPERVISOR_MAIN, name, ...args], {
      detached: true, stdio: ['ignore', logFd, logFd, progress], env: { ...process.env, ...(progress === 'pipe' ? { KNET_PROGRESS_FD: '3' } : {}) },
    });
    child.unref();
    return child;
  } finally {
    closeSync(logFd);
  }
}

/** Starts the daemon's supervisor in its own session and prints its progress until it says ready (or fails). */
function startDaemon(io: Io, name: string, fresh: boolean): Promise<Ready> {
  const logPath = daemonLogPath(name);
  const logSize = existsSync(logPath) ? readFileSync(logPath).length : 0;
  const child = spawnSupervisor(name, fresh ? ['--fresh'] : [], 'pipe');
  const pipe = child.stdio[3] as Readable;
  return new Promise((resolve) => {
    let done = false;
    let error = '';
    let crashed = false;
    const finish = (r: Ready): void => {
      if (done) return;
      done = true;
      pipe.destroy();
      resolve(r);
    };
    createInterface({ input: pipe, crlfDelay: Infinity }).on('line', (line) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      // After an error the daemon cleans up, then closes the pipe: wait for that.
      if (typeof m['error'] === 'string') {
        error = m['error'];
        crashed = m['crashed'] === true;
      }
      if ('ready' in m) return finish({ ready: m['ready'] === true, error: '', nodes: Number(m['nodes'] ?? 0), pods: Number(m['pods'] ?? 0) });
      if (typeof m['step'] === 'string') io.out(stepLine(io, m['ok'] !== false, m['step'], String(m['text'] ?? ''), Number(m['ms'] ?? 0)));
    });
    pipe.on('close', () => {
      if (error) finish({ ready: false, error, crashed, nodes: 0, pods: 0 });
    });
    child.on('exit', (code) => {
      if (error) return finish({ ready: false, error, crashed, nodes: 0, pods: 0 });
      let tail = '';
      try {
        tail = readFileSync(logPath, 'utf8').slice(logSize).trim().split('\n').slice(-5).join('\n');
      } catch {
        // removed with a fresh cluster's state
      }
      finish({ ready: false, error: `its supervisor exited (${code ?? 'signal'})${tail ? `:\n${tail}` : ''}`, crashed: true, nodes: 0, pods: 0 });
    });
  });
}

/** The Ingresses of a new cluster, through the webhook as `knet apply` puts them (when nginx is installed: the controller pods need it anyway). */
async function admitAtUp(cluster: Cluster): Promise<readonly Issue[]> {
  if (cluster.ingresses.length === 0 || !hasController(cluster) || spawnSync('sh', ['-c', 'command -v nginx']).status !== 0) return [];
  const changed = new Set(cluster.ingresses.map((i) => `${i.meta.namespace}/${i.meta.name}`));
  const inputs = { fakeCertificate: await fakeCertificatePem(), resolvers: cluster.config.clusterDNS.slice(0, 1) };
  return (await admitIngresses(cluster, changed, inputs)).refused;
}
