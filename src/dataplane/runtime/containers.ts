// Containers with a command: the command runs inside the pod's namespace through
// `ip netns exec` (so it sees the pod's /etc/netns resolv.conf and hosts) with the pod's
// hostname (a UTS namespace), in a session of its own (setsid), stdout and stderr appended
// to <logDir>/<ns>_<pod>_<container>.log. restartPolicy Always: when it exits it is started
// again after a back-off that doubles per crash up to a ceiling (kubelet's CrashLoopBackOff)
// and starts over after a long enough run. Pids are recorded in /run/knet-<cluster>/pids so
// that teardown kills them even if the runtime is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { netnsExecArgv } from '../exec.js';
import { recordPid } from '../run-state.js';
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
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

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

  constructor(
    readonly spec: CommandSpec,
    private readonly options: ContainerOptions,
  ) {
    this.log = logPath(options.logDir, options.ref, spec.container);
  }

  /** How long the current process has run (0 when none runs). */
  runningForMs(): number {
    return this.child ? Date.now() - this.startedAt : 0;
  }

  /** Same command, same environment: a SPEC reload leaves the container alone. */
  sameAs(spec: CommandSpec): boolean {
    return JSON.stringify([spec.argv, spec.env ?? {}]) === JSON.stringify([this.spec.argv, this.spec.env ?? {}]);
  }

  start(): void {
    if (this.stopped || this.child) return;
    this.timer = null;
    this.nextStart = null;
    mkdirSync(dirname(this.log), { recursive: true });
    const out = openSync(this.log, 'a');
    const [cmd, ...args] = netnsExecArgv(this.options.netns, this.spec.argv, { hostname: this.options.hostname });
    let child: ChildProcess;
    try {
      child = spawn(cmd!, args, {
        detached: true, // setsid: its own session and process group, killed as a group
        stdio: ['ignore', out, out],
        env: { PATH: process.env.PATH ?? DEFAULT_PATH, HOSTNAME: this.options.hostname, ...this.spec.env },
      });
    } finally {
      closeSync(out);
    }
    this.child = child;
    this.startedAt = Date.now();
    let resolveExit!: () => void;
    this.exited = new Promise((r) => {
      resolveExit = r;
    });
    if (child.pid !== undefined && this.options.cluster) recordPid(this.options.cluster, child.pid, this.options.netns);
    child.on('error', (e) => {
      // spawn itself failed (no `ip`?): say so in the container's log, then behave as an exit.
      try {
        const fd = openSync(this.log, 'a');
        writeSync(fd, `knet runtime: cannot start ${this.spec.container}: ${e.message}\n`);
        closeSync(fd);
      } catch {
        // nowhere to say it
      }
    });
    child.on('close', (code, signal) => {
      this.child = null;
      this.lastExitCode = code ?? 128 + (signal ? signalNumber(signal) : 0);
      resolveExit();
      if (!this.stopped) this.scheduleRestart();
      this.options.onChange();
    });
    this.options.onChange();
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
    killGroup(child.pid, 'SIGTERM');
    const killer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), this.options.stopGraceMs);
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

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
