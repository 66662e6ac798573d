// How many connections one pod's built-in servers may hold open at once: one runtime
// serves every pod of a node in one process, so without a per-pod bound a pod flooded
// with connections would take the file descriptors the node's probes and other pods need.
// A connection past the bound is reset at once, as a container at its `nofile` limit
// would fail to accept it.
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { MAX_PODS_PER_NODE } from '../../cluster/schedule.js';

/** Descriptors kept back for the runtime itself: probes, the control socket, logs, DNS data. */
export const RESERVED_FDS = 512;
/** A container's usual soft `nofile` limit: no pod gets more than this. */
export const MAX_PER_POD = 1024;
const MIN_PER_POD = 16;

/** The per-pod bound for a process allowed `fdLimit` descriptors: a full node's pods all at their bound still leave the reserve. */
export function perPodLimit(fdLimit: number, pods = MAX_PODS_PER_NODE): number {
  const share = Math.floor((fdLimit - RESERVED_FDS) / Math.max(1, pods));
  return Math.max(MIN_PER_POD, Math.min(MAX_PER_POD, share));
}

/** This process's soft RLIMIT_NOFILE (Node raises it to the hard limit at start). */
export function processFdLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.trim().split(/\s+/)[3];
    return soft === undefined || soft === 'unlimited' ? 1 << 20 : Number(soft);
  } catch {
    return 1024; // no /proc: assume the common default
  }
}

/** Open connections of one pod, over all its TCP servers. */
export class ConnectionBudget {
  private open = 0;
  private refused = 0;
  constructor(readonly limit: number, private readonly pod: string, private readonly warn: (line: string) => void) {}

  get inUse(): number {
    return this.open;
  }

  /** Takes one for `socket` (given back when it closes), or resets it when the pod is at its bound. */
  admit(socket: net.Socket): boolean {
    if (this.open >= this.limit) {
      // Said on the first refusal of a burst and every 1,000th after, not per connection.
      if (this.refused++ % 1000 === 0) {
        this.warn(`knet runtime: ${this.pod}: ${this.refused} connection(s) reset: the pod holds ${this.open}, its limit (knet's per-pod bound)`);
      }
      socket.resetAndDestroy();
      return false;
    }
    this.open++;
    if (this.open < this.limit) this.refused = 0;
    socket.once('close', () => {
      this.open--;
    });
    return true;
  }
}

const budgets = new WeakMap<object, ConnectionBudget>();

/** The budget of the pod `owner` stands for (its PodContext), made at its first server. */
export function budgetOf(owner: object, ref: string, limit: number, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): ConnectionBudget {
  let b = budgets.get(owner);
  if (!b) {
    b = new ConnectionBudget(limit, ref, warn);
    budgets.set(owner, b);
  }
  return b;
}

/** Holds `server`'s connections to the pod's budget. */
export function limitConnections(server: net.Server, budget: ConnectionBudget): void {
  server.on('connection', (socket: net.Socket) => {
    budget.admit(socket);
  });
}
