// `knet up`: starts a cluster on this machine (every node and pod a network namespace) and
// returns when every pod answers. A daemon in the background holds it (src/daemon); this
// command validates the manifests, stores them, starts the daemon and prints its progress.
// After a crash, `knet up --name NAME` starts a daemon on the stored state again.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { assignmentsOf, desiredCluster } from '../daemon/desired.js';
import { runningDaemon } from '../daemon/lock.js';
import { checkName, daemonLogPath, DEFAULT_CLUSTER } from '../daemon/paths.js';
import { emptyState, loadState, NO_ASSIGNMENTS, saveState, toStoredObject, type Overrides } from '../daemon/state.js';
import { readSources } from '../model/source.js';
import { CNI_MODES, type CniMode } from '../model/types.js';
import { runApply } from './apply.js';
import { CliError, paint, reportIssues, type Io } from './output.js';
import { collect, daemonAction, requireRoot } from './source.js';

const DAEMON_MAIN = fileURLToPath(new URL('../daemon/main.js', import.meta.url));
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
  const t0 = performance.now();
  requireRoot('up');
  const name = o.name || process.env['KNET_CLUSTER'] || DEFAULT_CLUSTER;
  const bad = checkName(name);
  if (bad) throw new CliError(`error: ${bad}\n  hint: e.g. --name dev`);
  // bwrap and setpriv: every container runs in a sandbox (dataplane/runtime/sandbox.ts).
  const missing = ['ip', 'nsenter', 'nft', 'bwrap', 'setpriv'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) throw new CliError(`error: knet up needs ${missing.join(', ')} on PATH\n  hint: apt-get install iproute2 util-linux nftables bubblewrap`);
  const overrides: Overrides = {
    ...(o.nodes !== undefined ? { nodes: parseNodes(o.nodes) } : {}),
    ...(o.cni !== undefined ? { cni: o.cni } : {}),
  };

  const daemon = runningDaemon(name);
  if (daemon) {
    if (o.filename.length > 0) throw new CliError(`error: cluster ${name} is already up (daemon pid ${daemon.pid})\n  hint: knet apply -f ... changes it; knet down --name ${name} removes it`);
    io.out(`cluster ${name} is already up (daemon pid ${daemon.pid})`);
    return 0;
  }

  let state = loadState(name);
  let fresh = false;
  let t = performance.now();
  if (!state) {
    const read = readSources(o.filename);
    const desired = desiredCluster({ objects: read.objects, overrides, assignments: NO_ASSIGNMENTS });
    reportIssues(io, [...read.issues, ...desired.issues]); // errors: nothing was done
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
    if (fresh) io.err('  hint: nothing was left behind; fix the cause and run knet up again');
    else io.err(`  hint: the daemon's log is ${daemonLogPath(name)}; knet down --name ${name} removes what is left`);
    return 1;
  }
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
  io.out(`  knet get pods -A -o wide · knet exec -n NS POD -- sh · knet status · knet down${name === DEFAULT_CLUSTER ? '' : ` --name ${name}`}`);
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
  readonly nodes: number;
  readonly pods: number;
}

/** Starts the daemon in its own session and prints its progress until it says ready (or fails). */
function startDaemon(io: Io, name: string, fresh: boolean): Promise<Ready> {
  if (!existsSync(DAEMON_MAIN)) throw new CliError(`error: ${DAEMON_MAIN} is missing\n  hint: npm run build`);
  const logPath = daemonLogPath(name);
  mkdirSync(dirname(logPath), { recursive: true, mode: 0o700 });
  const logFd = openSync(logPath, 'a', 0o600);
  const logSize = readFileSync(logPath).length;
  let child;
  try {
    child = spawn(process.execPath, [DAEMON_MAIN, name, ...(fresh ? ['--fresh'] : [])], {
      detached: true, stdio: ['ignore', logFd, logFd, 'pipe'], env: { ...process.env, KNET_PROGRESS_FD: '3' },
    });
  } finally {
    closeSync(logFd);
  }
  child.unref();
  const pipe = child.stdio[3] as Readable;
  return new Promise((resolve) => {
    let done = false;
    let error = '';
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
      if (typeof m['error'] === 'string') error = m['error'];
      if ('ready' in m) return finish({ ready: m['ready'] === true, error: '', nodes: Number(m['nodes'] ?? 0), pods: Number(m['pods'] ?? 0) });
      if (typeof m['step'] === 'string') io.out(stepLine(io, m['ok'] !== false, m['step'], String(m['text'] ?? ''), Number(m['ms'] ?? 0)));
    });
    pipe.on('close', () => {
      if (error) finish({ ready: false, error, nodes: 0, pods: 0 });
    });
    child.on('exit', (code) => {
      if (error) return finish({ ready: false, error, nodes: 0, pods: 0 });
      let tail = '';
      try {
        tail = readFileSync(logPath, 'utf8').slice(logSize).trim().split('\n').slice(-5).join('\n');
      } catch {
        // removed with a fresh cluster's state
      }
      finish({ ready: false, error: `the daemon exited (${code ?? 'signal'})${tail ? `:\n${tail}` : ''}`, nodes: 0, pods: 0 });
    });
  });
}
