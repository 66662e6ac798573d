// The API without root: a daemon-shaped backend that keeps the state and computes the cluster
// exactly as the daemon does (store-ops, desiredFromState), with no data plane behind it, served
// on 127.0.0.1 over plain HTTP so that stock kubectl can talk to it in tests.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../../cluster/fill-in.js';
import { apiListener } from '../../daemon/api.js';
import { apiUpgrade } from '../upgrade.js';
import type { ChangeResult, Daemon } from '../../daemon/daemon.js';
import { desiredFromState } from '../../daemon/desired.js';
import { IngressGuard } from '../../daemon/ingress-admission.js';
import { emptyState, type ClusterState, type ObjectId } from '../../daemon/state.js';
import { applyFiles, deleteIds, deleteOrphaning } from '../../daemon/controllers.js';
import { findKubectl } from './kubectl-binary.js';
import { runTool, type ToolRun } from './run-tool.js';
import { clusterEvents } from '../../cluster/events.js';
import { keptReplicaSets } from '../../daemon/revision-history.js';
import { EventLog } from '../../cluster/events-log.js';
import { eventObjects, type EventWire } from '../../model/events.js';
import { withReadiness, type ReportedPod } from '../../cluster/readiness.js';
import { advanceStatefulSets, startStatefulSets } from '../../daemon/statefulsets.js';

/** The parts of the Daemon the API reads and calls, kept in memory; nothing runs. */
export class FakeBackend {
  state: ClusterState;
  cluster: Cluster;
  readonly startedAt = Date.now();
  readonly lastReconcile = null;
  readonly ingressGuard = new IngressGuard();
  readonly plan = { pods: [], skipped: [], namespaces: [] };
  readonly runtimes = { status: () => [] };
  readonly lines: string[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(readonly name = 'knet-fake', nodes = 2) {
    this.state = emptyState(name, { nodes });
    this.cluster = desiredFromState(this.state).cluster;
  }

  log = (line: string): void => {
    this.lines.push(line);
  };

  /** The Events the change made, as the daemon records them (cluster/events.ts). */
  readonly events = new EventLog();

  private observedOf: { cluster: Cluster; reported: number; events: readonly EventWire[]; eventObjs: Cluster['others']; observed: Cluster } | null = null;
  /** What the tests made the kubelets report (`setReady`); other pods are Ready as fill-in leaves them. */
  private readonly reported = new Map<string, ReportedPod>();
  private reportedVersion = 0;

  /** The same object until the cluster, the reports or the Events change, and the same Events while none was recorded, as the daemon's. */
  get observed(): Cluster {
    const o = this.observedOf;
    const events = this.eventList();
    // The log's entries are replaced, never changed in place: the same entries, the same Events.
    const same = o !== null && o.events.length === events.length && events.every((e, i) => e === o.events[i]);
    if (same && o.cluster === this.cluster && o.reported === this.reportedVersion) return o.observed;
    const c = this.reported.size > 0 ? withReadiness(this.cluster, this.reported) : this.cluster;
    const eventObjs = same ? o.eventObjs : eventObjects(events);
    const observed = { ...c, others: [...c.others, ...eventObjs] };
    this.observedOf = { cluster: this.cluster, reported: this.reportedVersion, events, eventObjs, observed };
    return observed;
  }

  /** A kubelet's report of one pod's Ready (`ns/name`); what waits on it (a StatefulSet) moves on, as in the daemon. */
  setReady(ref: string, ready: boolean): void {
    const before = this.observed;
    this.reported.set(ref, { ready, restarts: 0 });
    this.reportedVersion++;
    this.events.record(clusterEvents(before, this.observed), new Date());
    for (const fn of this.listeners) fn();
    this.advance();
  }

  /** The StatefulSets one pod on while their pods are Ready (daemon/statefulsets.ts), each step its own change. */
  private advance(): void {
    for (let s = advanceStatefulSets(this.state, this.observed); s; s = advanceStatefulSets(this.state, this.observed)) {
      const before = this.observed;
      this.state = s.state;
      this.cluster = s.cluster;
      this.events.record(clusterEvents(before, this.observed), new Date());
      for (const fn of this.listeners) fn();
    }
  }

  eventList(): EventWire[] {
    return this.events.list();
  }

  readiness(): Record<string, never> {
    return {};
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async apply(files: readonly { name: string; text: string }[]): Promise<ChangeResult> {
    return this.adopt(applyFiles(this.state, this.cluster, files));
  }

  /** Pods go at once here (no runtime stops them): a grace period changes nothing. */
  async delete(ids: readonly ObjectId[], _opts: { gracePeriodSeconds?: number } = {}): Promise<ChangeResult> {
    // As the daemon: a ReplicaSet's pod is replaced by its ReplicaSet.
    return this.adopt(deleteIds(this.state, this.cluster, this.observed, ids));
  }

  async deleteOrphaning(ids: readonly ObjectId[], kept: readonly { name: string; text: string }[]): Promise<ChangeResult> {
    return this.adopt(deleteOrphaning(this.state, this.cluster, this.observed, ids, kept));
  }

  private adopt(outcome: ChangeResult['outcome']): ChangeResult {
    if (outcome.state && outcome.cluster && outcome.state !== this.state && outcome.leaf) {
      // Only objects nothing derives from (daemon/leaf-change.ts): no history, no Events.
      this.state = outcome.state;
      this.cluster = outcome.cluster;
      for (const fn of this.listeners) fn();
    } else if (outcome.state && outcome.cluster && outcome.state !== this.state) {
      const before = this.observed;
      // A new or scaled StatefulSet starts from the pods it runs, as in the daemon.
      const ordered = startStatefulSets(before, outcome.state, outcome.cluster) ?? { state: outcome.state, cluster: outcome.cluster };
      // Old ReplicaSets kept for `kubectl rollout history/undo`, as the daemon keeps them.
      const history = keptReplicaSets(ordered.state, before, ordered.cluster);
      this.state = history ?? ordered.state;
      // The pods kept around the stored objects (replaced names) come in here too, as in the daemon.
      this.cluster = history || (ordered.state.replaced ?? []).length > 0 ? desiredFromState(this.state).cluster : ordered.cluster;
      this.events.record(clusterEvents(before, this.observed), new Date());
      for (const fn of this.listeners) fn();
      this.advance();
    }
    return { outcome, reconcile: null };
  }

  asDaemon(): Daemon {
    return this as unknown as Daemon;
  }
}

export interface LoopbackApi {
  readonly backend: FakeBackend;
  readonly url: string;
  close(): Promise<void>;
}

/** The daemon's API handler over plain HTTP on 127.0.0.1 (a free port), backed by a FakeBackend. */
export async function serveFakeApi(backend = new FakeBackend()): Promise<LoopbackApi> {
  const server = http.createServer(apiListener(backend.asDaemon(), () => {}));
  server.on('upgrade', apiUpgrade(backend.asDaemon()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    backend,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const found = findKubectl();
/** Stock kubectl (kubectl-binary.ts), or '' (tests skip with `kubectlSkipReason`). */
export const KUBECTL = 'path' in found ? found.path : '';
export const kubectlSkipReason = 'why' in found ? found.why : '';

export type KubectlRun = ToolRun;

/**
 * Runs stock kubectl (another binary when given) against `server` with a cache directory of its
 * own (discovery is cached 6 h).
 * Asynchronous: the server under test runs in this process, so a blocking spawn would starve it.
 */
export function kubectlAgainst(server: string, kubectl = KUBECTL): { run(args: readonly string[], stdin?: string): Promise<KubectlRun>; close(): void } {
  const cacheDir = mkdtempSync(join(tmpdir(), 'knet-kubectl-cache-'));
  return {
    run: (args, stdin) => runTool(kubectl, ['--server', server, '--cache-dir', cacheDir, ...args], { ...process.env, KUBECONFIG: '/dev/null' }, stdin),
    close: () => rmSync(cacheDir, { recursive: true, force: true }),
  };
}
