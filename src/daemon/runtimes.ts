// Keeps one pod runtime per node running with the SPEC the cluster asks for
// (dataplane/runtime: `node runtime/main.js SPEC.json`). A SPEC change is applied through the
// runtime's control socket (`reload`), which answers once every server listens; a runtime
// that died is started again. Runtimes outlive a crashed daemon: the next daemon adopts
// them (their pid and start time are in runtimes.json) instead of restarting every pod.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processStartTime, recordPid } from '../dataplane/run-state.js';
import { writeFileAtomic } from './atomic-file.js';
import { runtimeSpecPath, runtimesPath, podLogDir, daemonLogPath } from './paths.js';
import { runDir } from '../dataplane/run-state.js';
import type { Readiness } from '../dataplane/runtime/runtime.js';
import type { CommandSpec, PreStopHook, ProbeSpec, TerminatingSpec, VolumeSpec } from '../dataplane/runtime/spec.js';

export interface RuntimePodSpec {
  readonly ref: string;
  readonly netns: string;
  readonly hostname: string;
  /** `kind` absent: the netexec responder; `dns`/`internet-dns` log to the container `log`. */
  readonly servers: readonly { readonly protocol: 'TCP' | 'UDP'; readonly port: number; readonly kind?: 'dns' | 'internet-dns'; readonly log?: string; readonly container?: string }[];
  /** Containers with a command, each run in its sandbox with what its spec gives it (daemon/container-run.ts). */
  readonly commands: readonly CommandSpec[];
  readonly healthy: boolean;
  readonly probes?: readonly ProbeSpec[];
  /** The node's namespace, where httpGet and tcpSocket probes (and httpGet preStop hooks) start. */
  readonly probeFrom?: string | null;
  readonly volumes?: readonly VolumeSpec[];
  readonly limits?: { readonly memoryBytes: number | null; readonly cpuMilli: number | null };
  readonly fsGroup?: number | null;
  /** Host uid of the pod's container root (dataplane/runtime/sandbox.ts uidBaseFor). */
  readonly uidBase?: number;
  readonly preStop?: readonly { readonly container: string; readonly hook: PreStopHook }[];
  /** The pod is deleted: its containers stop (dataplane/runtime/lifecycle.ts). */
  readonly terminating?: TerminatingSpec | null;
}

export interface RuntimeFailure {
  readonly node: string;
  readonly pod: string;
  readonly protocol: string;
  readonly port: number;
  readonly error: string;
}

interface Tracked {
  pid: number;
  startTime: string;
  child: ChildProcess | null; // null when adopted from an earlier daemon
  spec: string; // the SPEC text last applied
}

export const RUNTIME_MAIN = fileURLToPath(new URL('../dataplane/runtime/main.js', import.meta.url));

/**
 * The runtime that serves the internet's resolver (203.0.113.53 in knet-<c>-inet) is keyed
 * like a node's; '_' cannot be in a Kubernetes node name, so it never meets one.
 */
export const INTERNET_RUNTIME = 'knet_internet';

/** The internet's resolver as a runtime pod: DNS over UDP and TCP on port 53, its query log in logs/. */
export function internetDnsPod(inetNetns: string): RuntimePodSpec {
  return {
    ref: 'knet_internet/dns', netns: inetNetns, hostname: 'dns', commands: [], healthy: true,
    servers: [{ protocol: 'UDP', port: 53, kind: 'internet-dns', log: 'dns' }, { protocol: 'TCP', port: 53, kind: 'internet-dns', log: 'dns' }],
  };
}

const ANSWER_TIMEOUT_MS = 20_000;

export class RuntimeSupervisor {
  private readonly tracked = new Map<string, Tracked>();
  private readonly watches = new Map<string, net.Socket>();
  private stopping = false;
  private dns: { readonly data: string; readonly version: string } | null = null;

  constructor(
    private readonly cluster: string,
    private readonly log: (line: string) => void,
    private readonly onExit: (node: string) => void = () => {},
    /** Each runtime's pods' Ready and restarts, whenever they move (the kubelet's status updates). */
    private readonly onReadiness: (node: string, readiness: Readiness) => void = () => {},
  ) {}

  /** Adopts the runtimes an earlier daemon started that are still the processes it started. */
  adopt(): string[] {
    const path = runtimesPath(this.cluster);
    if (!existsSync(path)) return [];
    let recorded: Record<string, { pid: number; startTime: string }>;
    try {
      recorded = JSON.parse(readFileSync(path, 'utf8')) as typeof recorded;
    } catch {
      return [];
    }
    const adopted: string[] = [];
    for (const [node, r] of Object.entries(recorded)) {
      if (processStartTime(r.pid) !== r.startTime) continue;
      this.tracked.set(node, { pid: r.pid, startTime: r.startTime, child: null, spec: '' });
      this.watch(node);
      adopted.push(node);
    }
    return adopted;
  }

  /** The DNS data file and its version, named in the SPEC of every runtime that serves DNS. */
  setDns(dns: { readonly data: string; readonly version: string }): void {
    this.dns = dns;
  }

  /**
   * Brings every node's runtime to its SPEC: unchanged ones are left alone, changed ones
   * reloaded, missing ones started; runtimes of nodes not listed are stopped.
   * Resolves to the servers that could not listen.
   */
  async sync(pods: ReadonlyMap<string, readonly RuntimePodSpec[]>, force = false): Promise<RuntimeFailure[]> {
    const failures: RuntimeFailure[] = [];
    await Promise.all([...pods].map(async ([node, list]) => {
      const servesDns = list.some((p) => p.servers.some((s) => s.kind !== undefined));
      const dns = servesDns && this.dns ? { dns: this.dns } : {};
      const text = `${JSON.stringify({ node, cluster: this.cluster, logDir: podLogDir(this.cluster), ...dns, pods: list }, null, 1)}\n`;
      const t = this.tracked.get(node);
      if (t && this.alive(t) && t.spec === text && !force) return;
      await writeFileAtomic(runtimeSpecPath(this.cluster, node), text);
      let answer: Record<string, unknown> | null = null;
      if (t && this.alive(t)) {
        answer = await this.control(node, { op: 'reload' }).catch((e: unknown) => {
          this.log(`runtime ${node}: reload failed (${(e as Error).message}); restarting it`);
          this.kill(node);
          return null;
        });
      }
      if (!answer) answer = await this.start(node);
      this.tracked.get(node)!.spec = text;
      this.watch(node);
      const failed = Array.isArray(answer['failed']) ? answer['failed'] as Record<string, unknown>[] : [];
      for (const f of failed) {
        failures.push({ node, pod: String(f['pod']), protocol: String(f['protocol']), port: Number(f['port']), error: String(f['error']) });
      }
      if (answer['ok'] === false) throw new Error(`runtime ${node}: ${String(answer['error'])}`);
    }));
    for (const node of [...this.tracked.keys()]) if (!pods.has(node)) await this.stop(node);
    await this.persist();
    return failures;
  }

  /** Nodes whose runtime is gone (checked by pid: adopted runtimes are not our children). */
  dead(): string[] {
    return [...this.tracked].filter(([, t]) => !this.alive(t)).map(([node]) => node);
  }

  /** Forgets a dead runtime so that the next sync starts it again. */
  forget(node: string): void {
    this.tracked.delete(node);
    this.unwatch(node);
  }

  status(): Record<string, { pid: number; alive: boolean }> {
    return Object.fromEntries([...this.tracked].map(([node, t]) => [node, { pid: t.pid, alive: this.alive(t) }]));
  }

  /** Stops every runtime; `final`: for good (no more restarts are logged). */
  async stopAll(final = false): Promise<void> {
    if (final) this.stopping = true;
    await Promise.all([...this.tracked.keys()].map((n) => this.stop(n)));
    await this.persist().catch(() => {});
  }

  private alive(t: Tracked): boolean {
    return processStartTime(t.pid) === t.startTime && !isZombie(t.pid);
  }

  private async start(node: string): Promise<Record<string, unknown>> {
    mkdirSync(dirname(daemonLogPath(this.cluster)), { recursive: true });
    // stderr to a file of its own: it must keep working when this daemon is gone.
    const errFd = openSync(`${dirname(daemonLogPath(this.cluster))}/runtime-${node}.log`, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [RUNTIME_MAIN, runtimeSpecPath(this.cluster, node)], { detached: true, stdio: ['ignore', 'pipe', errFd] });
    } finally {
      closeSync(errFd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error(`runtime ${node}: could not start ${process.execPath} ${RUNTIME_MAIN}`);
    recordPid(this.cluster, pid, 'root');
    const t: Tracked = { pid, startTime: processStartTime(pid) ?? '', child, spec: '' };
    this.tracked.set(node, t);
    child.unref();
    child.on('exit', (code, signal) => {
      if (this.tracked.get(node) !== t) return;
      if (!this.stopping) this.log(`runtime ${node} (pid ${pid}) exited ${code ?? signal}`);
      if (!this.stopping) this.onExit(node);
    });
    const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runtime ${node}: no answer in ${ANSWER_TIMEOUT_MS / 1000} s (log: ${dirname(daemonLogPath(this.cluster))}/runtime-${node}.log)`)), ANSWER_TIMEOUT_MS);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`runtime ${node} exited ${code} before it was ready (log: ${dirname(daemonLogPath(this.cluster))}/runtime-${node}.log)`));
      });
      lines.on('line', (line) => {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        if (!('ready' in msg)) return;
        clearTimeout(timer);
        resolve({ ok: true, ...msg });
      });
    });
  }

  /**
   * Keeps a `watch` connection to the node's runtime: it sends its pods' readiness at once
   * and again whenever it moves. A dropped connection is made again while the runtime lives.
   */
  private watch(node: string): void {
    if (this.watches.has(node) || this.stopping) return;
    const sock = net.connect(`${runDir(this.cluster)}/runtime-${node}.sock`);
    this.watches.set(node, sock);
    sock.setEncoding('utf8');
    let buf = '';
    sock.on('connect', () => sock.write(`${JSON.stringify({ op: 'watch' })}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const msg = JSON.parse(line) as { readiness?: Readiness };
          if (msg.readiness) this.onReadiness(node, msg.readiness);
        } catch {
          // not a line of ours
        }
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.watches.get(node) !== sock) return;
      this.watches.delete(node);
      const t = this.tracked.get(node);
      if (t && !this.stopping) setTimeout(() => { if (this.tracked.get(node) === t && this.alive(t)) this.watch(node); }, 200).unref();
    });
  }

  private unwatch(node: string): void {
    const sock = this.watches.get(node);
    this.watches.delete(node);
    sock?.destroy();
  }

  /** One request on the runtime's control socket, one JSON answer. */
  control(node: string, request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const path = `${runDir(this.cluster)}/runtime-${node}.sock`;
    return new Promise((resolve, reject) => {
      const sock = net.connect(path);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`no answer from ${path} in ${ANSWER_TIMEOUT_MS / 1000} s`));
      }, ANSWER_TIMEOUT_MS);
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.write(`${JSON.stringify(request)}\n`));
      sock.on('data', (d: string) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        clearTimeout(timer);
        sock.end();
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        } catch (e) {
          reject(e as Error);
        }
      });
      sock.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private kill(node: string): void {
    const t = this.tracked.get(node);
    this.tracked.delete(node);
    this.unwatch(node);
    if (t && this.alive(t)) {
      try {
        process.kill(t.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  /** SIGTERM (the runtime stops its servers and containers), SIGKILL after 3 s. */
  private async stop(node: string): Promise<void> {
    const t = this.tracked.get(node);
    this.tracked.delete(node);
    this.unwatch(node);
    if (!t || !this.alive(t)) return;
    try {
      process.kill(t.pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + 3000;
    while (this.alive(t) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (this.alive(t)) {
      try {
        process.kill(t.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  private async persist(): Promise<void> {
    const out: Record<string, { pid: number; startTime: string }> = {};
    for (const [node, t] of this.tracked) out[node] = { pid: t.pid, startTime: t.startTime };
    await writeFileAtomic(runtimesPath(this.cluster), `${JSON.stringify(out)}\n`);
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}
