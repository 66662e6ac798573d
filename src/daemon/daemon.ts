// The running cluster's coordinator: holds the desired state (stored objects, assignments),
// the cluster and topology plan computed from it, and the kubelets' readiness reports; every
// change goes through one queue, so the API's requests, readiness, the periodic check and
// shutdown never interleave. The controllers (controllers.ts, termination.ts) decide what a
// change stores; the state is saved before the data plane is touched (reconciler.ts, through
// planes.ts), so after a crash the next daemon reconciles to it.
import type { Cluster } from '../cluster/fill-in.js';
import { withReadiness, type ReportedPod } from '../cluster/readiness.js';
import { clusterEvents } from '../cluster/events.js';
import { EventLog } from '../cluster/events-log.js';
import { ProbeFailureCounts } from '../cluster/probe-failures.js';
import type { ProbeFailure } from '../cluster/events.js';
import { eventObjects, type EventWire } from '../model/events.js';
import { compareText } from '../model/order.js';
import { keptReplicaSets } from './revision-history.js';
import type { TopologyPlan } from '../compile/topology-plan.js';
import type { PodStatus as RuntimePodStatus, Readiness, RuntimeStatus } from '../dataplane/runtime/runtime.js';
import { hasErrors, sortIssues } from '../model/issue.js';
import { daemonCertManagerHost } from './cert-manager-host.js';
import { advanceRollouts, applyFiles, deleteIds, deleteOrphaning, planFor, ReadinessReports, startRollouts } from './controllers.js';
import { assignmentsOf, desiredFromState } from './desired.js';
import { IngressGuard } from './ingress-admission.js';
import { onlyLeavesDiffer } from './leaf-change.js';
import { InternetSide } from './internet.js';
import { realPlanes, type PlaneFactory, type Planes, type RuntimePlane } from './planes.js';
import { Reconciler, type Progress, type ReconcileReport } from './reconciler.js';
import { fileStateStore, type ClusterState, type ObjectId, type StateStore } from './state.js';
import { canonical, type StoreOutcome } from './store-ops.js';
import { advanceStatefulSets, startStatefulSets } from './statefulsets.js';
import { endpointLag, overdueTerminating, terminatingRefs, withoutTerminated, withTerminating, type GraceFor } from './termination.js';

export { internetDir } from './internet.js';
export { PROBE_DEADLINE_MS, type Progress, type ReconcileReport } from './reconciler.js';

export interface PodHealth {
  readonly pod: string;
  readonly node: string;
  /** The built-in responder's health flag: its /healthz and probed paths answer 503 when false. */
  readonly healthy: boolean;
  readonly ready: boolean;
  readonly restarts: number;
  readonly probes: RuntimePodStatus['probes'];
  readonly events: readonly string[];
  /** A deleted pod: its containers are stopping (preStop, SIGTERM), or all gone. */
  readonly termination?: 'stopping' | 'terminated';
}

export interface ChangeResult {
  readonly outcome: StoreOutcome;
  readonly reconcile: ReconcileReport | null;
}

/** A change asked for while (or after) `knet down` removes the cluster: refused, never queued behind it. */
export class ClusterRemoving extends Error {
  constructor(cluster: string) {
    super(`cluster ${cluster} is being removed (knet down): the change was not made`);
  }
}

/** What a daemon runs on; the defaults are the real ones. Tests give fakes and a temporary state directory. */
export interface DaemonOptions {
  readonly planes?: PlaneFactory;
  readonly store?: StateStore;
  /** false: no Pebble, no cert-manager (the internet's resolver still runs). */
  readonly internet?: boolean;
  /** Read for KNET_ENDPOINT_LAG_MS; process.env by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const CHECK_EVERY_MS = 5_000;

export class Daemon {
  state: ClusterState;
  cluster: Cluster;
  plan: TopologyPlan;
  readonly startedAt = Date.now();
  lastReconcile: ReconcileReport | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** `knet down` was asked for: every later change is refused. */
  private removing = false;
  private dirty = false;
  private readonly listeners = new Set<() => void>();
  /** The data plane: namespaces, kube-proxy, policies, DNS data, runtimes, ingress, probes. */
  readonly planes: Planes;
  readonly runtimes: RuntimePlane;
  private readonly reconciler: Reconciler;
  /** Each pod's Ready and restarts as its node's runtime (the kubelet) reports them. */
  private readonly reports = new ReadinessReports();
  /** The core/v1 Events the controllers and kubelets record (cluster/events.ts), served with the objects. */
  readonly events = new EventLog();
  /** The runtimes' failed probe checks counted so far: each new one is an Unhealthy event. */
  private readonly probeFailures = new ProbeFailureCounts();
  private eventsVersion = 0;
  private observedOf: { ready: Cluster; events: number; guard: readonly EventWire[]; eventObjs: Cluster['others']; observed: Cluster } | null = null;
  private readinessQueued = false;
  /** Terminating pods queued to leave. */
  private readonly finishing = new Set<string>();
  private readonly internet: InternetSide;
  /** Ingress admission (the webhook) and the controllers' guard against a configuration nginx refuses. */
  readonly ingressGuard = new IngressGuard();

  private constructor(readonly name: string, state: ClusterState, readonly log: (line: string) => void, private readonly store: StateStore, options: DaemonOptions) {
    this.state = state;
    const { cluster } = desiredFromState(state);
    this.cluster = cluster;
    this.plan = planFor(cluster, name);
    this.planes = (options.planes ?? realPlanes)(name, {
      log,
      onRuntimeExit: () => setTimeout(() => this.kick(), 1000).unref(),
      onReadiness: (node, r) => this.onReadiness(node, r),
    });
    this.runtimes = this.planes.runtimes;
    this.internet = new InternetSide(name, log, options.internet ?? true);
    const lag = endpointLag(options.env ?? process.env);
    const endpointLagMs = 'ms' in lag ? lag.ms : 0;
    if ('error' in lag) log(lag.error);
    else if (lag.ms > 0) log(`kube-proxy drops a deleted pod's endpoint ${lag.ms} ms after its runtime starts stopping it (KNET_ENDPOINT_LAG_MS)`);
    const self = this;
    this.reconciler = new Reconciler({
      name,
      get cluster() { return self.cluster; },
      get plan() { return self.plan; },
      get observed() { return self.observed; },
      get closed() { return self.closed; },
      reports: this.reports,
      ingressGuard: this.ingressGuard,
      internetPods: (netns) => this.internet.pods(netns),
    }, this.planes, { log, endpointLagMs });
  }

  /** Loads the stored state; the caller then runs `bringUp`. */
  static load(name: string, log: (line: string) => void, options: DaemonOptions = {}): Daemon {
    const store = options.store ?? fileStateStore(name);
    const state = store.load();
    if (!state) throw new Error(`cluster ${name} has no state (${store.path}): start it with knet up`);
    const d = new Daemon(name, state, log, store, options);
    const issues = desiredFromState(state).issues;
    if (hasErrors(issues)) throw new Error(`the stored state of ${name} does not make a cluster: ${issues.find((i) => i.severity === 'error')!.message}`);
    return d;
  }

  /** First reconcile after start (fresh, or after a crash): everything, every pod probed. */
  async bringUp(progress: (p: Progress) => void): Promise<ReconcileReport> {
    return this.serial(async () => {
      const assigned = assignmentsOf(this.cluster);
      if (canonical(assigned) !== canonical(this.state.assignments)) {
        this.state = { ...this.state, assignments: assigned };
        await this.store.save(this.state);
      }
      const adopted = this.runtimes.adopt();
      if (adopted.length > 0) this.log(`adopted the runtimes of ${adopted.join(', ')}`);
      await this.internet.prepare();
      const report = await this.reconcile(null, progress);
      this.timer = setInterval(() => this.kick(), CHECK_EVERY_MS);
      this.timer.unref();
      this.startCertManager();
      return report;
    });
  }

  /** `knet apply`: files as the user has them (name + text), refused whole on any error. */
  apply(files: readonly { name: string; text: string }[], progress: (p: Progress) => void = () => {}): Promise<ChangeResult> {
    return this.change(progress, () => this.admitIngresses(applyFiles(this.state, this.cluster, files)));
  }

  /** ingress-nginx's validating webhook: a new or changed Ingress nginx refuses refuses the whole request. */
  private async admitIngresses(outcome: StoreOutcome): Promise<StoreOutcome> {
    if (!outcome.state || !outcome.cluster) return outcome;
    const changed = new Set(outcome.results.filter((r) => r.id.kind === 'Ingress' && r.action !== 'unchanged').map((r) => `${r.id.namespace}/${r.id.name}`));
    if (changed.size === 0) return outcome;
    const candidate = withReadiness(outcome.cluster, this.reports.pods);
    const refused = await this.ingressGuard.admit(candidate, changed, await this.planes.ingress.inputs(candidate), this.log);
    return refused.length === 0 ? outcome : { ...outcome, state: null, cluster: null, issues: sortIssues([...outcome.issues, ...refused]) };
  }

  /** `gracePeriodSeconds`: the DeleteOptions' grace period for the pods in `ids` (0: stopped at once). */
  delete(ids: readonly ObjectId[], opts: { gracePeriodSeconds?: number } = {}): Promise<ChangeResult> {
    // A Deployment's pods are not stored: deleting one makes its ReplicaSet replace it.
    const named = new Set(ids.filter((i) => i.kind === 'Pod').map((i) => `${i.namespace}/${i.name}`));
    const grace = opts.gracePeriodSeconds;
    const graceFor = grace === undefined || grace < 0 ? undefined : (ref: string) => (named.has(ref) ? grace : undefined);
    return this.change(() => {}, async () => deleteIds(this.state, this.cluster, this.observed, ids), graceFor);
  }

  /** `delete --cascade=orphan`: the owners go, their dependents (`kept`) are stored as they are, in one change. */
  deleteOrphaning(ids: readonly ObjectId[], kept: readonly { name: string; text: string }[]): Promise<ChangeResult> {
    return this.change(() => {}, async () => deleteOrphaning(this.state, this.cluster, this.observed, ids, kept));
  }

  /** A change in the queue; refused when `knet down` came first (asked for before, or run before it). */
  private change(progress: (p: Progress) => void, outcome: () => Promise<StoreOutcome>, graceFor?: GraceFor): Promise<ChangeResult> {
    if (this.removing) return Promise.reject(new ClusterRemoving(this.name));
    return this.serial(async () => {
      if (this.removing) throw new ClusterRemoving(this.name);
      return this.applyOutcome(await outcome(), progress, graceFor);
    });
  }

  /** Tears the whole cluster down and removes its state; the daemon exits afterwards. */
  shutdown(): Promise<{ namespaces: number; killed: number }> {
    this.removing = true;
    return this.serial(async () => {
      this.closed = true;
      this.internet.stop();
      if (this.timer) clearInterval(this.timer);
      this.planes.policy.stop();
      await this.runtimes.stopAll(true);
      const report = await this.planes.network.teardown();
      await this.store.remove();
      return report;
    });
  }

  /** Stops the loops without touching the cluster (SIGTERM: the next daemon adopts it). */
  stop(): void {
    this.internet.stop();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.planes.policy.stop();
  }

  /**
   * The cluster as it runs: the desired one with each pod's Ready and restarts as the
   * kubelets report them, and the EndpointSlices that follows (what `knet get` shows and
   * kube-proxy, DNS and the ingress controllers serve).
   */
  get observed(): Cluster {
    const ready = this.reports.over(this.cluster);
    const o = this.observedOf;
    // The Events as objects, made again only when one was recorded, by the controllers or by the
    // ingress controllers' guard (unchanged, the API's store skips them).
    const guard = this.ingressGuard.events();
    const same = o && o.events === this.eventsVersion && o.guard.length === guard.length && guard.every((e, i) => e === o.guard[i]);
    if (o && same && o.ready === ready) return o.observed;
    const eventObjs = same ? o.eventObjs : eventObjects(this.eventList());
    const observed = { ...ready, others: [...ready.others.filter((x) => x.kind !== 'Event'), ...eventObjs] };
    this.observedOf = { ready, events: this.eventsVersion, guard, eventObjs, observed };
    return observed;
  }

  /** Every Event, the controllers' and the ingress controllers', least recently seen first. */
  eventList(): EventWire[] {
    return [...this.events.list(), ...this.ingressGuard.events()].sort((a, b) => compareText(a.lastTimestamp, b.lastTimestamp));
  }

  /** Records the Events the change from `before` to the observed cluster now makes (cluster/events.ts). */
  private recordEvents(before: Cluster, probes: readonly ProbeFailure[] = []): void {
    const drafts = clusterEvents(before, this.observed, probes);
    if (drafts.length === 0) return;
    this.events.record(drafts, new Date());
    this.eventsVersion++;
  }

  /** cert-manager (internet.ts), with a pass on every change. */
  private startCertManager(): void {
    if (this.closed) return;
    this.internet.start((caFile) => daemonCertManagerHost(this, caFile));
    this.onChange(() => this.internet.kick());
  }

  /** What the kubelets reported, per pod (for readers that fill the cluster in themselves). */
  readiness(): Record<string, ReportedPod> {
    return Object.fromEntries(this.reports.pods);
  }

  /** A runtime's report: when some pod's Ready moved, the Services' rules follow at once. */
  private onReadiness(node: string, readiness: Readiness): void {
    if (this.closed) return;
    const before = this.observed;
    const terminated = this.reports.record(node, readiness);
    if (terminated.length > 0) this.finishTermination(terminated, 'its containers are gone');
    this.recordEvents(before, this.probeFailures.record(node, readiness));
    for (const fn of this.listeners) fn();
    if (!this.reconciler.readinessMoved(this.observed) || this.readinessQueued) return;
    this.readinessQueued = true;
    this.serial(async () => {
      this.readinessQueued = false;
      if (this.closed) return;
      await this.reconciler.syncEndpoints();
      await this.advanceRollouts();
    }).catch((e: unknown) => this.log(`readiness sync failed: ${(e as Error).message}`));
  }

  /**
   * A pod's health as its node's runtime sees it (probes, results, events), after making
   * its built-in responder healthy or not when `healthy` is given (its probes then fail
   * or pass, as a sick or recovered process's would).
   */
  async podHealth(ref: string, healthy?: boolean): Promise<PodHealth | null> {
    const place = this.plan.pods.find((p) => p.pod === ref);
    if (!place) return null;
    if (healthy !== undefined) {
      const r = await this.runtimes.control(place.node, { op: 'set-healthy', pod: ref, healthy });
      if (r['ok'] !== true) throw new Error(String(r['error'] ?? 'the runtime refused'));
    }
    const st = await this.runtimes.control(place.node, { op: 'status' });
    const pod = (st['status'] as RuntimeStatus | undefined)?.pods[ref];
    if (!pod) return null;
    // Ready and restarts as every other reader sees them (knet get pods, the API, kube-proxy):
    // the kubelet's reports laid over the cluster, one source of truth; the probes' detail
    // comes from the runtime itself.
    const seen = this.observed.pods.find((p) => `${p.meta.namespace}/${p.meta.name}` === ref);
    return {
      pod: ref, node: place.node, healthy: pod.healthy, ready: seen?.status.ready === true, restarts: seen?.status.restarts ?? 0,
      probes: pod.probes, events: pod.events, ...(pod.termination ? { termination: pod.termination } : {}),
    };
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private async applyOutcome(outcome: StoreOutcome, progress: (p: Progress) => void, graceFor?: GraceFor): Promise<ChangeResult> {
    if (!outcome.state || !outcome.cluster || outcome.state === this.state) return { outcome, reconcile: null };
    // Only objects nothing derives from (a ConfigMap): no pod, rollout or history changes.
    if (outcome.leaf) return { outcome, reconcile: await this.adoptState(outcome.state, outcome.cluster, progress, graceFor, true) };
    // A Deployment whose template changed: its old pods keep serving until new ones are Ready.
    const rollout0 = startRollouts(this.state, this.observed, outcome.state, outcome.cluster);
    if (rollout0.message) this.log(rollout0.message);
    // A new or scaled StatefulSet starts from the pods it runs, one ordinal at a time (statefulsets.ts).
    const ordered = startStatefulSets(this.observed, rollout0.state, rollout0.cluster);
    if (ordered) this.log(ordered.message);
    const rollout = ordered ?? rollout0;
    // Old ReplicaSets stay, scaled to 0, for `kubectl rollout history` and `undo` (cluster/replicaset-history.ts).
    const history = keptReplicaSets(rollout.state, this.observed, rollout.cluster);
    const next = history ? { state: history, cluster: desiredFromState(history).cluster } : rollout;
    const result = { outcome, reconcile: await this.adoptState(next.state, next.cluster, progress, graceFor) };
    await this.advanceRollouts();
    return result;
  }

  /**
   * Makes a new state the daemon's: stored first, then the data plane brought to it. Pods it
   * removes terminate first (daemon/termination.ts): their endpoints turn terminating while
   * their runtimes stop them, at the same time, as the endpoint controllers and the kubelet do.
   */
  private async adoptState(next: ClusterState, nextCluster: Cluster, progress: (p: Progress) => void = () => {}, graceFor?: GraceFor, leaf = false): Promise<ReconcileReport> {
    // A leaf change (store-ops.ts `leaf`) removes no pod: nothing starts terminating.
    const { state, cluster, going } = leaf ? { state: next, cluster: nextCluster, going: [] } : withTerminating(this.state, this.observed, next, nextCluster, Date.now(), graceFor);
    if (going.length > 0) this.log(`terminating: ${going.map((p) => `${p.meta.namespace}/${p.meta.name}`).join(', ')}`);
    await this.store.save(state);
    const was = this.observed;
    const derived = !onlyLeavesDiffer(this.cluster, cluster);
    this.state = state;
    this.cluster = cluster;
    // Events and the topology come from pods, workloads, Services, nodes: none moved when only leaves did.
    if (derived) this.recordEvents(was);
    if (derived) this.plan = planFor(cluster, this.name);
    for (const fn of this.listeners) fn();
    const before = new Set(await this.planes.network.namespaces());
    return this.reconcile(before, progress, going.length > 0);
  }

  /** Terminating pods whose containers are gone (or whose node never said so in time) leave. */
  private finishTermination(refs: readonly string[], why: string): void {
    const fresh = refs.filter((r) => !this.finishing.has(r));
    if (fresh.length === 0) return;
    for (const r of fresh) this.finishing.add(r);
    this.serial(async () => {
      const now = terminatingRefs(this.state);
      const done = new Set(fresh.filter((r) => now.has(r)));
      for (const r of fresh) this.finishing.delete(r);
      if (done.size === 0 || this.closed) return;
      this.log(`terminated: ${[...done].join(', ')} (${why})`);
      const state = withoutTerminated(this.state, done);
      await this.adoptState(state, desiredFromState(state).cluster);
      await this.advanceRollouts(); // a StatefulSet waits for a pod to be gone
    }).catch((e: unknown) => this.log(`termination failed: ${(e as Error).message}`));
  }

  /** Retires the old pods the pods' Ready now allows (controllers.ts); called in the queue. */
  private async advanceRollouts(): Promise<void> {
    const step = advanceRollouts(this.state, this.observed);
    if (step) {
      this.log(step.message);
      await this.adoptState(step.state, desiredFromState(step.state).cluster);
    }
    // StatefulSets, one pod at a time: each step is the controller's own pass, queued behind this change.
    if (advanceStatefulSets(this.state, this.observed)) this.serial(() => this.stepStatefulSets()).catch((e: unknown) => this.log(`statefulset step failed: ${(e as Error).message}`));
  }

  /** One StatefulSet step (statefulsets.ts) and, when it moved, the next one queued. */
  private async stepStatefulSets(): Promise<void> {
    const step = this.closed ? null : advanceStatefulSets(this.state, this.observed);
    if (!step) return;
    this.log(step.message);
    await this.adoptState(step.state, step.cluster);
    this.serial(() => this.stepStatefulSets()).catch((e: unknown) => this.log(`statefulset step failed: ${(e as Error).message}`));
  }

  /** Until a reconcile finishes, the periodic check tries again (a failed command, a runtime that would not start). */
  private async reconcile(existedBefore: ReadonlySet<string> | null, progress: (p: Progress) => void, stopping = false): Promise<ReconcileReport> {
    this.dirty = true;
    const report = await this.reconciler.reconcile(existedBefore, progress, stopping);
    this.lastReconcile = report;
    this.dirty = false;
    return report;
  }

  /** The periodic check: dead runtimes are started again, missing or stray namespaces reconciled. */
  kick(): void {
    if (this.closed) return;
    this.serial(async () => {
      if (this.closed) return;
      const dead = this.runtimes.dead();
      for (const node of dead) this.runtimes.forget(node);
      const overdue = overdueTerminating(this.cluster, Date.now());
      if (overdue.length > 0) this.finishTermination(overdue, 'its node did not report it gone in time');
      const have = new Set(await this.planes.network.namespaces());
      const want = this.plan.namespaces.map((n) => n.name);
      const drift = want.some((n) => !have.has(n)) || have.size !== want.length;
      if (!drift && dead.length === 0 && !this.dirty) return;
      this.log(`check: ${dead.length ? `runtimes of ${dead.join(', ')} gone; ` : ''}${drift ? 'namespaces differ from the plan; ' : ''}${this.dirty ? 'the last reconcile did not finish' : ''}`);
      await this.reconcile(have, () => {});
    }).catch((e: unknown) => this.log(`check failed: ${(e as Error).message}`));
  }

  /** Runs `fn` after every change queued before it: the one queue. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
