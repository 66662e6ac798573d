// Containers with a command, each in a sandbox (sandbox.ts): bubblewrap inside the pod's
// network namespace, its own mount, PID, IPC and UTS namespaces, a user namespace whose root
// is an unprivileged host uid, the capabilities its securityContext allows, the pod's cgroup.
// stdout and stderr are appended to <logDir>/<ns>_<pod>_<container>.log. restartPolicy
// Always: when it exits it is started again after a back-off that doubles per crash up to a
// ceiling (kubelet's CrashLoopBackOff) and starts over after a long enough run. Pids are
// recorded in /run/knet-<cluster>/pids so that teardown kills them even if the runtime is gone;
// bwrap dies with the runtime (--die-with-parent), and with it every process of its PID namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fchmodSync, mkdirSync, openSync, readFileSync, readlinkSync, writeFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { recordPid } from '../run-state.js';
import { netnsExecArgv } from '../exec.js';
import { CONTAINER_PATH, IDS_PER_POD, bwrapArgs, envFileText, hostLaunchArgv, launchArgv, FD, type SandboxPlan } from './sandbox.js';
import { logPath, type BackoffSpec, type CommandSpec } from './spec.js';

export interface ContainerStatus {
  readonly name: string;
  /** running; waiting (CrashLoopBackOff, until the next start); stopped (removed from the SPEC). */
  readonly state: 'running' | 'waiting' | 'stopped';
  readonly pid: number | null;
  readonly restarts: number;
  /** Exit code (128+n for signal n) of the last run, null before the first exit. */
  readonly lastExitCode: number | null;
  /** When waiting: when the next start is due (ISO time). */
  readonly nextStart: string | null;
  readonly log: string;
  /** Why it is not running when it cannot start at all (CreateContainerConfigError, runAsNonRoot). */
  readonly reason?: string;
}

export interface ContainerOptions {
  readonly ref: string;
  readonly netns: string;
  readonly hostname: string;
  readonly logDir: string;
  readonly cluster: string | null;
  readonly backoff: BackoffSpec;
  readonly stopGraceMs: number;
  /** Called whenever the status changes (started, exited, stopped). */
  readonly onChange: () => void;
  /** The pod's cgroup.procs files (for a command that runs outside a sandbox). */
  readonly cgroupProcs: () => readonly string[];
  /** The sandbox for the next start (volumes and files are made by then), or why it cannot start. */
  readonly sandbox: () => { kind: 'ok'; plan: SandboxPlan } | { kind: 'refused'; reason: string };
}

/** How long bwrap may take to report its user namespace. */
const SANDBOX_START_MS = 10_000;

export class Container {
  readonly log: string;
  private child: ChildProcess | null = null;
  private restarts = 0;
  private lastExitCode: number | null = null;
  private startedAt = 0;
  private delayMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private nextStart: number | null = null;
  private stopped = false;
  private exited: Promise<void> = Promise.resolve();
  private refused: string | null = null;
  /** Host pid of the sandbox's first process (its PID namespace's init), once bwrap reported it. */
  private sandboxPid: number | null = null;
  private plan: SandboxPlan | null = null;
  /** When the command itself started (the sandbox set up, its program exec'd): what probes wait on. */
  private runningSince: number | null = null;

  constructor(
    readonly spec: CommandSpec,
    private readonly options: ContainerOptions,
  ) {
    this.log = logPath(options.logDir, options.ref, spec.container);
  }

  /** How long the current process has run (0 when none runs). */
  runningForMs(): number {
    return this.child && this.runningSince !== null ? Date.now() - this.runningSince : 0;
  }

  /** Same command, environment, user, mounts...: a SPEC reload leaves the container alone. */
  sameAs(spec: CommandSpec): boolean {
    return JSON.stringify(spec) === JSON.stringify(this.spec);
  }

  /** Where an exec probe enters: the sandbox's init pid and its user and capabilities; null when not running. */
  execTarget(): { pid: number; plan: SandboxPlan } | null {
    return this.child && this.sandboxPid !== null && this.plan ? { pid: this.sandboxPid, plan: this.plan } : null;
  }

  start(): void {
    if (this.stopped || this.child) return;
    this.timer = null;
    this.nextStart = null;
    mkdirSync(dirname(this.log), { recursive: true });
    if (this.spec.unsandboxed) {
      this.startOnHost();
      return;
    }
    let decided: ReturnType<ContainerOptions['sandbox']>;
    try {
      decided = this.spec.error !== undefined ? { kind: 'refused', reason: this.spec.error } : this.options.sandbox();
    } catch (e) {
      decided = { kind: 'refused', reason: `cannot prepare the sandbox: ${(e as Error).message}` };
    }
    if (decided.kind === 'refused') {
      // The kubelet's CreateContainerConfigError: nothing runs until the SPEC changes.
      this.refused = decided.reason;
      this.say(`knet runtime: cannot start ${this.spec.container}: ${decided.reason}`);
      this.options.onChange();
      return;
    }
    this.refused = null;
    const plan = decided.plan;
    this.plan = plan;
    const out = openSync(this.log, 'a');
    // Programs reopen /dev/stdout (nginx's access_log): any user of the sandbox may write
    // the log through the fd it holds; nobody else reaches the file (its directory is root's).
    fchmodSync(out, 0o622);
    let child: ChildProcess;
    let ready: Promise<number | null>;
    try {
      ({ child, ready } = spawnSandbox(plan, this.spec.argv, out, (line) => this.say(line)));
    } finally {
      closeSync(out);
    }
    this.track(child);
    this.runningSince = null;
    void ready.then(async (pid) => {
      if (this.child !== child) return;
      this.sandboxPid = pid;
      if (pid !== null) await commandStarted(pid);
      if (this.child === child) this.runningSince = Date.now();
    });
  }

  /** From a spawned launch on: pid records, exit, restart. */
  private track(child: ChildProcess): void {
    this.child = child;
    this.sandboxPid = null;
    this.startedAt = Date.now();
    let resolveExit!: () => void;
    this.exited = new Promise((r) => {
      resolveExit = r;
    });
    if (child.pid !== undefined && this.options.cluster) recordPid(this.options.cluster, child.pid, this.options.netns);
    child.on('error', (e) => {
      // spawn itself failed: say so in the container's log, then behave as an exit.
      this.say(`knet runtime: cannot start ${this.spec.container}: ${e.message}`);
    });
    child.on('close', (code, signal) => {
      this.child = null;
      this.sandboxPid = null;
      this.lastExitCode = code ?? 128 + (signal ? signalNumber(signal) : 0);
      resolveExit();
      if (!this.stopped) this.scheduleRestart();
      this.options.onChange();
    });
    this.options.onChange();
  }

  /** knet's own internet programs (spec `unsandboxed`): in the pod's namespace and cgroup, as root. */
  private startOnHost(): void {
    const out = openSync(this.log, 'a');
    let child: ChildProcess;
    try {
      const [cmd, ...args] = hostLaunchArgv(this.options.cgroupProcs(), netnsExecArgv(this.options.netns, this.spec.argv, { hostname: this.options.hostname }));
      child = spawn(cmd!, args, { detached: true, stdio: ['ignore', out, out], env: { PATH: CONTAINER_PATH, HOSTNAME: this.options.hostname, ...this.spec.env } });
    } finally {
      closeSync(out);
    }
    this.track(child);
    this.runningSince = Date.now();
  }

  private say(line: string): void {
    try {
      const fd = openSync(this.log, 'a');
      writeSync(fd, `${line}\n`);
      closeSync(fd);
    } catch {
      // nowhere to say it
    }
  }

  private scheduleRestart(): void {
    const b = this.options.backoff;
    const ranMs = Date.now() - this.startedAt;
    this.delayMs = this.delayMs === 0 || ranMs >= b.resetAfterMs ? b.initialMs : Math.min(this.delayMs * 2, b.maxMs);
    this.delayMs = Math.min(this.delayMs, b.maxMs);
    this.restarts++;
    this.nextStart = Date.now() + this.delayMs;
    this.timer = setTimeout(() => this.start(), this.delayMs);
  }

  /**
   * Kills the running process as the kubelet does after a failed liveness probe (SIGTERM,
   * SIGKILL after the grace period); it starts again after its back-off.
   */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    // SIGTERM to the container's command (the child of the sandbox's init); the whole
    // PID namespace goes when its init is killed after the grace period.
    const init = this.sandboxPid;
    const main = init === null ? [] : childrenOf(init);
    if (main.length === 0) killGroup(child.pid, 'SIGTERM');
    for (const pid of main) killPid(pid, 'SIGTERM');
    const killer = setTimeout(() => {
      if (init !== null) killPid(init, 'SIGKILL');
      killGroup(child.pid!, 'SIGKILL');
    }, this.options.stopGraceMs);
    await this.exited;
    clearTimeout(killer);
  }

  /**
   * SIGTERM for good (no restart after it exits); resolves when it has exited. The pod's
   * stop sequence (lifecycle.ts) decides when SIGKILL follows (`forceKill`).
   */
  terminate(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextStart = null;
    const child = this.child;
    if (!child || child.pid === undefined) return Promise.resolve();
    killGroup(child.pid, 'SIGTERM');
    return this.exited;
  }

  /** SIGKILL to its process group. */
  forceKill(): void {
    if (this.child?.pid !== undefined) killGroup(this.child.pid, 'SIGKILL');
  }

  /** Stops for good: SIGTERM to its process group, SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextStart = null;
    await this.kill();
  }

  status(): ContainerStatus {
    return {
      name: this.spec.container,
      state: this.child ? 'running' : this.stopped ? 'stopped' : 'waiting',
      pid: this.child?.pid ?? null,
      restarts: this.restarts,
      lastExitCode: this.lastExitCode,
      nextStart: this.nextStart === null ? null : new Date(this.nextStart).toISOString(),
      log: this.log,
      ...(this.refused !== null && !this.child ? { reason: this.refused } : {}),
    };
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // gone already
  }
}

/**
 * Starts `argv` in the sandbox `plan`. bwrap reports the pid of its child in the new user
 * namespace on fd 4 and waits on fd 3: the runtime (root) writes the id maps (container
 * 0..65535 -> host uidBase..) and lets it go. `ready` resolves to that pid (the sandbox's
 * init), or null if the sandbox never came up (then the launch is killed and `say` says why).
 */
export function spawnSandbox(plan: SandboxPlan, argv: readonly string[], out: number | 'pipe' | 'ignore', say: (line: string) => void): { child: ChildProcess; ready: Promise<number | null> } {
  const [cmd, ...args] = launchArgv(plan, argv);
  const child = spawn(cmd!, args, {
    detached: true, // setsid: its own session and process group
    stdio: ['ignore', out, out, 'pipe', 'pipe', 'pipe', 'pipe'],
    env: {}, // the host-side tools get nothing of the container's environment
  });
  const fd = (n: number): Readable & Writable => child.stdio[n] as unknown as Readable & Writable;
  for (const n of [FD.block, FD.info, FD.args, FD.envFile]) fd(n)?.on('error', () => undefined);
  if (child.pid === undefined) return { child, ready: Promise.resolve(null) };
  fd(FD.args).end(`${bwrapArgs(plan).join('\0')}\0`);
  fd(FD.envFile).end(envFileText(plan.env));
  const info = fd(FD.info);
  const block = fd(FD.block);
  const ready = new Promise<number | null>((resolve) => {
    let text = '';
    let done = false;
    const fail = (why: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      say(`knet runtime: cannot start the sandbox: ${why}`);
      killGroup(child.pid!, 'SIGKILL');
      resolve(null);
    };
    const timer = setTimeout(() => fail('bwrap did not report its sandbox in time'), SANDBOX_START_MS);
    info.setEncoding('utf8');
    info.on('data', (d: string) => {
      if (done) return;
      text += d;
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (!m) return;
      const pid = Number(m[1]);
      try {
        writeFileSync(`/proc/${pid}/uid_map`, `0 ${plan.uidBase} ${IDS_PER_POD}\n`);
        writeFileSync(`/proc/${pid}/gid_map`, `0 ${plan.uidBase} ${IDS_PER_POD}\n`);
      } catch (e) {
        fail(`cannot map the user namespace of pid ${pid}: ${(e as Error).message}`);
        return;
      }
      done = true;
      clearTimeout(timer);
      block.end('1');
      resolve(pid);
    });
    info.on('end', () => fail('bwrap exited before its sandbox was ready'));
    child.on('close', () => fail('the launch exited before its sandbox was ready'));
  });
  return { child, ready };
}

/** Until the sandbox's init has a child that is the command (no longer bwrap or setpriv); at most 2 s. */
async function commandStarted(init: number): Promise<void> {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    for (const c of childrenOf(init)) {
      try {
        const exe = readlinkSync(`/proc/${c}/exe`);
        if (!exe.endsWith('/bwrap') && !exe.endsWith('/setpriv')) return;
      } catch {
        // exited or exec'ing
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function killPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
