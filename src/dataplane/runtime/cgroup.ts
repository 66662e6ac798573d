// A cgroup per pod, `knet-<cluster>/<ns>_<pod>`, in every hierarchy the host has: on a
// cgroup v2 host the unified tree (membership, cgroup.kill, memory.max, cpu.max); on a v1 or
// hybrid host the v1 memory, cpu, pids and freezer controllers (limits) and the unified tree
// when mounted (membership and cgroup.kill). Every process of a pod is found through it and
// killed through it, whoever started it; teardown removes the trees.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';

export interface Hierarchy {
  /** Mount point of the hierarchy. */
  readonly root: string;
  /** 'v2' for the unified hierarchy, else the v1 controller. */
  readonly kind: 'v2' | 'memory' | 'cpu' | 'pids' | 'freezer';
}

/** The hierarchies of this host, from /proc/self/mounts. */
export function hierarchies(mounts = readMounts()): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of mounts.split('\n')) {
    const [, dir, type, opts] = line.split(' ');
    if (!dir || !type) continue;
    if (type === 'cgroup2') out.push({ root: dir, kind: 'v2' });
    else if (type === 'cgroup') {
      const o = new Set((opts ?? '').split(','));
      for (const kind of ['memory', 'cpu', 'pids', 'freezer'] as const) if (o.has(kind)) out.push({ root: dir, kind });
    }
  }
  // One mount per kind (the first: bind mounts of the same hierarchy come later).
  return out.filter((h, i) => out.findIndex((x) => x.kind === h.kind) === i);
}

function readMounts(): string {
  try {
    return readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return '';
  }
}

export interface PodLimits {
  readonly memoryBytes: number | null;
  /** CPU in millicores (1000 = one CPU). */
  readonly cpuMilli: number | null;
}

const CPU_PERIOD_US = 100_000;

/** The files a hierarchy's limits are written to, as data (tested without root). */
export function limitWrites(h: Hierarchy, limits: PodLimits, v2Controllers: ReadonlySet<string>): [file: string, value: string][] {
  const out: [string, string][] = [];
  const quota = limits.cpuMilli === null ? null : Math.max(1000, Math.round((limits.cpuMilli * CPU_PERIOD_US) / 1000));
  switch (h.kind) {
    case 'v2':
      if (v2Controllers.has('memory')) out.push(['memory.max', limits.memoryBytes === null ? 'max' : String(limits.memoryBytes)]);
      if (v2Controllers.has('memory') && limits.memoryBytes !== null) out.push(['memory.swap.max', '0']);
      if (v2Controllers.has('cpu')) out.push(['cpu.max', `${quota ?? 'max'} ${CPU_PERIOD_US}`]);
      break;
    case 'memory':
      out.push(['memory.limit_in_bytes', limits.memoryBytes === null ? '-1' : String(limits.memoryBytes)]);
      break;
    case 'cpu':
      out.push(['cpu.cfs_period_us', String(CPU_PERIOD_US)], ['cpu.cfs_quota_us', quota === null ? '-1' : String(quota)]);
      break;
    case 'pids':
    case 'freezer':
      break;
  }
  return out;
}

/** The controllers a v2 tree offers its children (memory, cpu: what a pure v2 host has). */
function v2Available(root: string): Set<string> {
  try {
    return new Set(readFileSync(`${root}/cgroup.controllers`, 'utf8').trim().split(/\s+/).filter(Boolean));
  } catch {
    return new Set();
  }
}

export class PodCgroup {
  private readonly hs: readonly Hierarchy[];

  constructor(
    readonly cluster: string,
    /** `<ns>_<pod>` */
    readonly name: string,
    hs: readonly Hierarchy[] = hierarchies(),
  ) {
    this.hs = hs;
  }

  private dir(h: Hierarchy): string {
    return `${h.root}/knet-${this.cluster}/${this.name}`;
  }

  /** The cgroup.procs files a new process of the pod writes its pid into. */
  procsFiles(): string[] {
    return this.hs.map((h) => `${this.dir(h)}/cgroup.procs`);
  }

  /** Makes the pod's cgroups (idempotent) and applies its limits; returns what could not be set. */
  create(limits: PodLimits): string[] {
    const problems: string[] = [];
    for (const h of this.hs) {
      const parent = `${h.root}/knet-${this.cluster}`;
      try {
        mkdirSync(this.dir(h), { recursive: true });
      } catch (e) {
        problems.push(`${this.dir(h)}: ${(e as Error).message}`);
        continue;
      }
      let controllers = new Set<string>();
      if (h.kind === 'v2') {
        // Pure v2: controllers must be enabled down the path (root -> knet-<c> -> pod).
        const wanted = [...v2Available(h.root)].filter((c) => c === 'memory' || c === 'cpu' || c === 'pids');
        for (const dir of [h.root, parent]) {
          for (const c of wanted) {
            try {
              writeFileSync(`${dir}/cgroup.subtree_control`, `+${c}`);
            } catch {
              // not delegated here: the limit is skipped, membership still works
            }
          }
        }
        controllers = v2Available(this.dir(h));
      }
      for (const [file, value] of limitWrites(h, limits, controllers)) {
        try {
          writeFileSync(`${this.dir(h)}/${file}`, value);
        } catch (e) {
          problems.push(`${this.dir(h)}/${file}=${value}: ${(e as Error).message}`);
        }
      }
    }
    return problems;
  }

  /** Host pids in the pod's cgroups. */
  pids(): number[] {
    const out = new Set<number>();
    for (const h of this.hs) for (const p of readProcs(this.dir(h))) out.add(p);
    return [...out];
  }

  /** Kills every process of the pod (cgroup.kill where the kernel has it, else SIGKILL per pid) and waits until none is left. */
  async killAll(timeoutMs = 3000): Promise<number[]> {
    return killCgroupDirs(this.hs.map((h) => this.dir(h)), timeoutMs);
  }

  /** Kills what is left and removes the pod's cgroups. */
  async remove(): Promise<void> {
    await this.killAll();
    for (const h of this.hs) rmdirQuiet(this.dir(h));
  }
}

function readProcs(dir: string): number[] {
  try {
    return readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

async function killCgroupDirs(dirs: readonly string[], timeoutMs: number): Promise<number[]> {
  const killed = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = new Set(dirs.flatMap(readProcs));
    if (pids.size === 0) return [...killed];
    for (const dir of dirs) {
      if (existsSync(`${dir}/cgroup.kill`)) {
        try {
          writeFileSync(`${dir}/cgroup.kill`, '1');
        } catch {
          // an old kernel: the per-pid kill below does it
        }
      }
    }
    for (const pid of pids) {
      killed.add(pid);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (Date.now() > deadline) return [...killed];
    await new Promise((r) => setTimeout(r, 10));
  }
}

function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // gone, or a process still in it (reported by the caller's pids())
  }
}

/** Teardown: kills every process in the cluster's pod cgroups and removes `knet-<cluster>` from each hierarchy. */
export async function removeClusterCgroups(cluster: string, hs: readonly Hierarchy[] = hierarchies()): Promise<number[]> {
  const dirs: string[] = [];
  for (const h of hs) {
    const top = `${h.root}/knet-${cluster}`;
    let children: string[] = [];
    try {
      children = readdirSync(top, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${top}/${e.name}`);
    } catch {
      continue;
    }
    dirs.push(...children, top);
  }
  const killed = await killCgroupDirs(dirs, 3000);
  for (const d of dirs) rmdirQuiet(d); // children first: they come before their parent
  return killed;
}
