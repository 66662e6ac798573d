// The running cluster: holds the desired state (stored objects, assignments), computes the
// cluster and its topology plan from it, and reconciles the data plane with them: the
// namespaces (network.ts), the per-node runtimes (runtimes.ts), then probes the pods.
// Every change goes through one queue, so the API's requests, the periodic check and
// shutdown never interleave. The state is persisted before the data plane is touched:
// after a crash the next daemon reconciles to it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ACME_SERVER_ADDRESS, LETS_ENCRYPT_HOSTS } from '../core/certs/acme-server.js';
import { preparePebble, type PebbleSetup } from '../dataplane/acme/pebble.js';
import { INTERNET_DNS_ADDRESS } from '../dataplane/dns/internet-dns.js';
import { runDir } from '../dataplane/run-state.js';
import { CertManagerController } from './cert-manager.js';
import { daemonCertManagerHost } from './cert-manager-host.js';
import { rm } from 'node:fs/promises';
import type { Cluster } from '../cluster/fill-in.js';
import { hasReadinessGate, withReadiness, type ReportedPod } from '../cluster/readiness.js';
import { deploymentOf, podsToRetire, RETIRING_ANNOTATION, rolloutStep } from '../cluster/rollout.js';
import { keptReplicaSets } from './revision-history.js';
import { clusterEvents } from '../cluster/events.js';
import { EventLog } from '../cluster/events-log.js';
import { eventObjects, type EventWire } from '../model/events.js';
import { compareText } from '../model/order.js';
import { toWire } from '../cluster/wire.js';
import type { Pod } from '../model/types.js';
import type { PodStatus as RuntimePodStatus, Readiness, RuntimeStatus } from '../dataplane/runtime/runtime.js';
import { planTopology } from '../compile/topology.js';
import type { TopologyPlan } from '../compile/topology-plan.js';
import { resolvConfOf } from '../core/dns/pod-dns.js';
import { renderResolvConf } from '../core/dns/resolv-conf.js';
import { inetNetns } from '../compile/topology-names.js';
import { dnsSnapshot } from '../dataplane/dns/snapshot.js';
import { KubeProxySyncer } from '../dataplane/nft-kube-proxy.js';
import { FlowRecorder } from '../dataplane/netpol-flows.js';
import { NetpolSyncer } from '../dataplane/netpol-sync.js';
import { teardownCluster } from '../dataplane/teardown.js';
import { writeFileAtomic } from './atomic-file.js';
import { hasErrors, sortIssues, type Issue } from '../model/issue.js';
import { parseText } from '../model/source.js';
import { assignmentsOf, desiredFromState } from './desired.js';
import { withStaticNeighbours } from './static-neighbours.js';
import { applyNetwork, clusterNamespaces, diffNetwork, type NetworkReport } from './network.js';
import { caBundlePath, dnsDataPath, stateDir } from './paths.js';
import { probeAll, type ProbeResult } from './probe.js';
import { internetDnsPod, INTERNET_RUNTIME, RuntimeSupervisor, type RuntimeFailure, type RuntimePodSpec } from './runtimes.js';
import { loadState, saveState, type ClusterState, type ObjectId, type StoredObject } from './state.js';
import { applyObjects, canonical, deleteObjects, type StoreOutcome } from './store-ops.js';
import { probeTargets, runtimePods } from './workloads-view.js';
import { configInputs, syncIngressControllers } from './ingress-controller.js';
import { IngressGuard } from './ingress-admission.js';
import { deleteReplicaSetPods, endpointLag, overdueTerminating, terminatingRefs, withoutTerminated, withTerminating } from './termination.js';

/** A step of bringing the cluster to its state, as `knet up` prints it. */
export interface Progress {
  readonly step: string;
  readonly text: string;
  readonly ms: number;
  readonly ok: boolean;
}

export interface ReconcileReport {
  readonly network: NetworkReport;
  readonly runtimeFailures: readonly RuntimeFailure[];
  readonly probes: readonly ProbeResult[];
  readonly ms: number;
}

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

export const PROBE_DEADLINE_MS = 15_000;
/** How long bringing a change up waits for readiness probes to pass before it reports. */
const READINESS_WAIT_MS = 5_000;
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
  readonly runtimes: RuntimeSupervisor;
  /** kube-proxy on every node: remembers what it wrote, so a change sends only what differs. */
  readonly kubeProxy = new KubeProxySyncer();
  /** NetworkPolicies in every node (inet knet-netpol), and the flow recorder behind `knet flows`. */
  readonly netpol = new NetpolSyncer();
  readonly flows: FlowRecorder;
  private dnsVersion = '';
  /** Each pod's Ready and restarts as its node's runtime (the kubelet) reports them. */
  private readonly reported = new Map<string, ReportedPod>();
  private readonly reportedBy = new Map<string, readonly string[]>();
  private observedOf: { cluster: Cluster; version: number; events: number; observed: Cluster } | null = null;
  /** The core/v1 Events the controllers and kubelets record (cluster/events.ts), served with the objects. */
  readonly events = new EventLog();
  private eventsVersion = 0;
  private reportVersion = 0;
  /** The Ready of every pod as the data plane was last synced with it. */
  private syncedReady = new Map<string, boolean | null>();
  private readinessQueued = false;
  /** Terminating pods queued to leave. */
  private readonly finishing = new Set<string>();
  /** KNET_ENDPOINT_LAG_MS: kube-proxy drops a deleted pod's endpoint this long after its runtime starts stopping it. */
  private readonly endpointLagMs: number;
  /** Pebble on the internet side (null when Debian's pebble is not installed). */
  private pebble: PebbleSetup | null = null;
  private certManager: CertManagerController | null = null;
  /** Ingress admission (the webhook) and the controllers' guard against a configuration nginx refuses. */
  readonly ingressGuard = new IngressGuard();

  private constructor(readonly name: string, state: ClusterState, readonly log: (line: string) => void) {
    this.state = state;
    const { cluster } = desiredFromState(state);
    this.cluster = cluster;
    this.plan = planFor(cluster, name);
    this.runtimes = new RuntimeSupervisor(name, log, () => setTimeout(() => this.kick(), 1000).unref(), (node, r) => this.onReadiness(node, r));
    this.flows = new FlowRecorder(name, log);
    const lag = endpointLag(process.env);
    this.endpointLagMs = 'ms' in lag ? lag.ms : 0;
    if ('error' in lag) log(lag.error);
    else if (lag.ms > 0) log(`kube-proxy drops a deleted pod's endpoint ${lag.ms} ms after its runtime starts stopping it (KNET_ENDPOINT_LAG_MS)`);
  }

  /** Loads the stored state; the caller then runs `bringUp`. */
  static load(name: string, log: (line: string) => void): Daemon {
    const state = loadState(name);
    if (!state) throw new Error(`cluster ${name} has no state (${stateDir(name)}/state.json): start it with knet up`);
    const d = new Daemon(name, state, log);
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
        await saveState(this.state);
      }
      const adopted = this.runtimes.adopt();
      if (adopted.length > 0) this.log(`adopted the runtimes of ${adopted.join(', ')}`);
      await this.preparePebble();
      const report = await this.reconcile(null, progress);
      this.timer = setInterval(() => this.kick(), CHECK_EVERY_MS);
      this.timer.unref();
      this.startCertManager();
      return report;
    });
  }

  /** `knet apply`: files as the user has them (name + text), refused whole on any error. */
  apply(files: readonly { name: string; text: string }[], progress: (p: Progress) => void = () => {}): Promise<ChangeResult> {
    return this.change(progress, async () => {
      const objects = [];
      const issues: Issue[] = [];
      for (const f of files) {
        const r = parseText(f.name, f.text);
        objects.push(...r.objects);
        issues.push(...r.issues);
      }
      return this.admitIngresses(applyObjects(this.state, this.cluster, objects, issues));
    });
  }

  /** ingress-nginx's validating webhook: a new or changed Ingress nginx refuses refuses the whole request. */
  private async admitIngresses(outcome: StoreOutcome): Promise<StoreOutcome> {
    if (!outcome.state || !outcome.cluster) return outcome;
    const changed = new Set(outcome.results.filter((r) => r.id.kind === 'Ingress' && r.action !== 'unchanged').map((r) => `${r.id.namespace}/${r.id.name}`));
    if (changed.size === 0) return outcome;
    const candidate = withReadiness(outcome.cluster, this.reported);
    const refused = await this.ingressGuard.admit(candidate, changed, await configInputs(candidate, this.name), this.log);
    return refused.length === 0 ? outcome : { ...outcome, state: null, cluster: null, issues: sortIssues([...outcome.issues, ...refused]) };
  }

  delete(ids: readonly ObjectId[]): Promise<ChangeResult> {
    return this.change(() => {}, async () => {
      // A Deployment's pods are not stored: deleting one makes its ReplicaSet replace it.
      const owned = deleteReplicaSetPods(this.state, this.observed, ids);
      const outcome = deleteObjects(owned.state, this.cluster, owned.rest);
      return owned.results.length === 0 ? outcome : { ...outcome, results: [...owned.results, ...outcome.results] };
    });
  }

  /** A change in the queue; refused when `knet down` came first (asked for before, or run before it). */
  private change(progress: (p: Progress) => void, outcome: () => Promise<StoreOutcome>): Promise<ChangeResult> {
    if (this.removing) return Promise.reject(new ClusterRemoving(this.name));
    return this.serial(async () => {
      if (this.removing) throw new ClusterRemoving(this.name);
      return this.applyOutcome(await outcome(), progress);
    });
  }

  /** Tears the whole cluster down and removes its state; the daemon exits afterwards. */
  shutdown(): Promise<{ namespaces: number; killed: number }> {
    this.removing = true;
    return this.serial(async () => {
      this.closed = true;
      this.certManager?.stop();
      if (this.timer) clearInterval(this.timer);
      this.flows.stop();
      await this.runtimes.stopAll(true);
      const report = await teardownCluster(this.name);
      await rm(stateDir(this.name), { recursive: true, force: true });
      return { namespaces: report.namespaces.length, killed: report.killed.length };
    });
  }

  /** Stops the loops without touching the cluster (SIGTERM: the next daemon adopts it). */
  stop(): void {
    this.certManager?.stop();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.flows.stop();
  }

  /**
   * The cluster as it runs: the desired one with each pod's Ready and restarts as the
   * kubelets report them, and the EndpointSlices that follows (what `knet get` shows and
   * kube-proxy, DNS and the ingress controllers serve).
   */
  get observed(): Cluster {
    const o = this.observedOf;
    if (o && o.cluster === this.cluster && o.version === this.reportVersion && o.events === this.eventsVersion) return o.observed;
    const ready = o && o.cluster === this.cluster && o.version === this.reportVersion ? o.observed : withReadiness(this.cluster, this.reported);
    const observed = { ...ready, others: [...ready.others.filter((x) => x.kind !== 'Event'), ...eventObjects(this.eventList())] };
    this.observedOf = { cluster: this.cluster, version: this.reportVersion, events: this.eventsVersion, observed };
    return observed;
  }

  /** Every Event, the controllers' and the ingress controllers', least recently seen first. */
  eventList(): EventWire[] {
    return [...this.events.list(), ...this.ingressGuard.events()].sort((a, b) => compareText(a.lastTimestamp, b.lastTimestamp));
  }

  /** Records the Events the change from `before` to the observed cluster now makes (cluster/events.ts). */
  private recordEvents(before: Cluster): void {
    const drafts = clusterEvents(before, this.observed);
    if (drafts.length === 0) return;
    this.events.record(drafts, new Date());
    this.eventsVersion++;
  }

  /**
   * Pebble, Let's Encrypt's test ACME server, for the internet side: its certificate from
   * knet's internet CA for Let's Encrypt's names; it runs in the internet runtime.
   */
  private async preparePebble(): Promise<void> {
    if (spawnSync('sh', ['-c', 'command -v pebble']).status !== 0) {
      this.log('acme: Debian\'s pebble is not installed (apt-get install pebble): ACME issuers will not issue; SelfSigned and CA issuers do');
      return;
    }
    try {
      this.pebble = await preparePebble({ dir: internetDir(this.name), address: ACME_SERVER_ADDRESS, dnsServer: `${INTERNET_DNS_ADDRESS}:53`, names: [...LETS_ENCRYPT_HOSTS] });
    } catch (e) {
      this.log(`acme: cannot prepare Pebble: ${(e as Error).message}`);
    }
  }

  /**
   * cert-manager: a pass on every change and every few seconds; then the CA bundle internet
   * clients trust (knet's internet CA and Pebble's issuing root) is written for `knet exec internet`.
   */
  private startCertManager(): void {
    if (this.closed) return;
    const host = daemonCertManagerHost(this, join(internetDir(this.name), 'internet-ca.pem'));
    this.certManager = new CertManagerController(host);
    this.certManager.start();
    this.onChange(() => this.certManager?.kick());
    if (!this.pebble) return;
    const internetCaPem = this.pebble.ca.certPem;
    void (async () => {
      for (let i = 0; i < 100 && !this.closed; i++) {
        const root = await host.acmeRoot();
        if (root) {
          await writeFileAtomic(caBundlePath(this.name), `${internetCaPem.trim()}\n${root.trim()}\n`);
          this.log(`acme: internet clients trust ${caBundlePath(this.name)} (knet's internet CA and Pebble's root)`);
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      this.log('acme: Pebble did not give its root: no CA bundle for internet clients');
    })();
  }

  /** What the kubelets reported, per pod (for readers that fill the cluster in themselves). */
  readiness(): Record<string, ReportedPod> {
    return Object.fromEntries(this.reported);
  }

  /** A runtime's report: when some pod's Ready moved, the Services' rules follow at once. */
  private onReadiness(node: string, readiness: Readiness): void {
    if (this.closed) return;
    const before = this.observed;
    for (const ref of this.reportedBy.get(node) ?? []) if (!(ref in readiness)) this.reported.delete(ref);
    this.reportedBy.set(node, Object.keys(readiness));
    for (const [ref, r] of Object.entries(readiness)) this.reported.set(ref, { ready: r.ready, restarts: r.restarts });
    const terminated = Object.entries(readiness).filter(([, r]) => r.terminated === true).map(([ref]) => ref);
    if (terminated.length > 0) this.finishTermination(terminated, 'its containers are gone');
    this.reportVersion++;
    this.recordEvents(before);
    for (const fn of this.listeners) fn();
    const moved = this.observed.pods.some((p) => this.syncedReady.get(`${p.meta.namespace}/${p.meta.name}`) !== p.status.ready);
    if (!moved || this.readinessQueued) return;
    this.readinessQueued = true;
    this.serial(async () => {
      this.readinessQueued = false;
      if (this.closed) return;
      await this.syncEndpoints();
      await this.advanceRollouts();
    }).catch((e: unknown) => this.log(`readiness sync failed: ${(e as Error).message}`));
  }

  /** kube-proxy's rules and the DNS data brought to the pods' Ready now. */
  private async syncEndpoints(): Promise<void> {
    const t = performance.now();
    const observed = this.observed;
    const changes = observed.pods.filter((p) => this.syncedReady.get(`${p.meta.namespace}/${p.meta.name}`) !== p.status.ready && this.syncedReady.has(`${p.meta.namespace}/${p.meta.name}`));
    const proxy = await this.kubeProxy.sync(observed, this.plan);
    await syncIngressControllers(observed, this.plan, this.name, this.log, this.ingressGuard);
    await this.writeDnsData();
    this.rememberSynced(observed);
    const touched = proxy.nodes.filter((n) => n.kind !== 'unchanged').length;
    if (changes.length > 0) {
      this.log(`readiness: ${changes.slice(0, 5).map((p) => `${p.meta.namespace}/${p.meta.name} ${p.status.ready ? 'ready' : 'not ready'}`).join(', ')}${changes.length > 5 ? `, ... (${changes.length})` : ''}; kube-proxy rules on ${touched} node${touched === 1 ? '' : 's'} in ${Math.round(performance.now() - t)} ms`);
    }
  }

  /** Waits (up to `ms`) for the pods with a readiness gate (those in `only`, else all) to be reported Ready. */
  private async waitForReadiness(ms: number, only?: ReadonlySet<string>): Promise<{ total: number; unready: string[]; ms: number }> {
    const t = performance.now();
    const gated = (): { total: number; unready: string[] } => {
      const pods = this.observed.pods.filter((p) => p.status.phase === 'Running' && !p.spec.hostNetwork && hasReadinessGate(p) && !p.meta.deletionTimestamp
        && (!only || only.has(`${p.meta.namespace}/${p.meta.name}`)));
      return { total: pods.length, unready: pods.filter((p) => p.status.ready !== true).map((p) => `${p.meta.namespace}/${p.meta.name}`) };
    };
    let g = gated();
    while (g.unready.length > 0 && performance.now() - t < ms && !this.closed) {
      await new Promise((r) => setTimeout(r, 25));
      g = gated();
    }
    return { ...g, ms: performance.now() - t };
  }

  private rememberSynced(observed: Cluster): void {
    this.syncedReady = new Map(observed.pods.map((p) => [`${p.meta.namespace}/${p.meta.name}`, p.status.ready]));
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

  private async applyOutcome(outcome: StoreOutcome, progress: (p: Progress) => void): Promise<ChangeResult> {
    if (!outcome.state || !outcome.cluster || outcome.state === this.state) return { outcome, reconcile: null };
    let state = outcome.state;
    let cluster = outcome.cluster;
    // A Deployment whose template changed: its old pods keep serving until new ones are Ready.
    const retire = podsToRetire(this.observed, cluster);
    if (retire.length > 0) {
      const kept = (this.state.retiring ?? []).filter((o) => cluster.pods.every((p) => !sameObject(o, p)));
      const before = this.observed.workloads;
      const deployments = retire.map((p) => deploymentOf(p, before) ?? '');
      // The new pods' addresses are handed out again around the old ones that stay.
      const pods = Object.fromEntries(Object.entries(state.assignments.pods).filter(([ref]) => ref in this.state.assignments.pods));
      state = { ...state, retiring: [...kept, ...retire.map((p, i) => retiringObject(p, deployments[i]!))], assignments: { ...state.assignments, pods } };
      cluster = desiredFromState(state).cluster;
      state = { ...state, assignments: assignmentsOf(cluster) };
      this.log(`rollout: ${retire.length} old pod${retire.length === 1 ? '' : 's'} keep serving until the new ones are Ready (${[...new Set(deployments)].join(', ')})`);
    }
    // Old ReplicaSets stay, scaled to 0, for `kubectl rollout history` and `undo` (cluster/replicaset-history.ts).
    const history = keptReplicaSets(state, this.observed, cluster);
    if (history) {
      state = history;
      cluster = desiredFromState(state).cluster;
    }
    const result = { outcome, reconcile: await this.adoptState(state, cluster, progress) };
    await this.advanceRollouts();
    return result;
  }

  /**
   * Makes a new state the daemon's: stored first, then the data plane brought to it. Pods it
   * removes terminate first (daemon/termination.ts): their endpoints turn terminating while
   * their runtimes stop them, at the same time, as the endpoint controllers and the kubelet do.
   */
  private async adoptState(next: ClusterState, nextCluster: Cluster, progress: (p: Progress) => void = () => {}): Promise<ReconcileReport> {
    const { state, cluster, going } = withTerminating(this.state, this.observed, next, nextCluster, Date.now());
    if (going.length > 0) this.log(`terminating: ${going.map((p) => `${p.meta.namespace}/${p.meta.name}`).join(', ')}`);
    await saveState(state);
    const was = this.observed;
    this.state = state;
    this.cluster = cluster;
    this.recordEvents(was);
    this.plan = planFor(cluster, this.name);
    for (const fn of this.listeners) fn();
    const before = new Set(await clusterNamespaces(this.name));
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
    }).catch((e: unknown) => this.log(`termination failed: ${(e as Error).message}`));
  }

  /** Retires the old pods the pods' Ready now allows (cluster/rollout.ts); called in the queue. */
  private async advanceRollouts(): Promise<void> {
    const retiring = this.state.retiring ?? [];
    if (retiring.length === 0) return;
    const refs = new Set(retiring.map(objectRef));
    const step = rolloutStep(this.observed, refs);
    if (step.retire.length === 0) return;
    const going = new Set(step.retire);
    const state = { ...this.state, generation: this.state.generation + 1, retiring: retiring.filter((o) => !going.has(objectRef(o))) };
    this.log(`rollout: ${step.retire.join(', ')} retired${step.progress.length ? `; ${step.progress.join('; ')}` : ''}`);
    // The new ReplicaSet grows as old pods go (maxSurge); the new pods get addresses around the terminating ones.
    await this.adoptState(state, desiredFromState(state).cluster);
  }

  /**
   * Namespaces, then runtimes, then probes. `probeOnly`: namespaces that existed before (their
   * pods were answering); null probes every pod.
   */
  private async reconcile(existedBefore: ReadonlySet<string> | null, progress: (p: Progress) => void, stopping = false): Promise<ReconcileReport> {
    // Until a reconcile finishes, the periodic check tries again (a failed command, a runtime
    // that would not start): the stored state is what the data plane must reach.
    this.dirty = true;
    const report = await this.reconcileOnce(existedBefore, progress, stopping);
    this.dirty = false;
    return report;
  }

  private async reconcileOnce(existedBefore: ReadonlySet<string> | null, progress: (p: Progress) => void, stopping = false): Promise<ReconcileReport> {
    const start = performance.now();
    const plan = this.plan;
    let t = performance.now();
    const diff = await diffNetwork(plan);
    const wanted = runtimePods(this.cluster, plan);
    // The internet's resolver (203.0.113.53) runs in a runtime of its own, with the CoreDNS pods' data.
    wanted.set(INTERNET_RUNTIME, [internetDnsPod(inetNetns(this.name)), ...(this.pebble ? [pebblePod(inetNetns(this.name), this.pebble)] : [])]);
    await this.writeDnsData();
    if (diff.rebuild) {
      this.log(`network: rebuilding (${diff.rebuild})`);
      await this.runtimes.stopAll();
    } else if (diff.remove.length + diff.create.length > 0) {
      // The runtimes let go of the namespaces about to go or be made again (their sockets
      // would keep the old ones alive, and a pod's servers must open in its new namespace).
      const going = new Set([...diff.remove, ...diff.create]);
      // Pods deleted by this change are not told to stop yet: that happens below, together
      // with kube-proxy dropping their endpoints (a runtime never brings back a stopping pod).
      const keep = new Map([...wanted].map(([node, pods]) => [node, pods.filter((p) => !going.has(p.netns)).map((p) => (p.terminating ? { ...p, terminating: null } : p))]));
      await this.runtimes.sync(keep);
    }
    if (diff.remove.length > 0 && !diff.rebuild) {
      // Endpoints leave the rules before their pods go (the kubelet kills a pod after its
      // endpoint is terminating); pods about to be made are not in the rules yet either.
      const making = new Set(diff.create);
      const notYet = plan.pods.filter((p) => making.has(p.netns)).map((p): [string, ReportedPod] => [p.pod, { ready: false, restarts: 0 }]);
      await this.kubeProxy.sync(withReadiness(this.cluster, new Map([...this.reported, ...notYet])), plan);
    }
    const network = await applyNetwork(plan, diff);
    const nodes = this.cluster.nodes.length;
    const pods = plan.pods.length;
    progress({ step: 'network', ok: true, ms: performance.now() - t,
      text: `${nodes} node${nodes === 1 ? '' : 's'}, ${pods} pod${pods === 1 ? '' : 's'} (${plan.mode})${network.rebuilt ? '' : `, ${network.created} made, ${network.removed} removed`}` });
    if (network.created + network.removed > 0 || network.rebuilt) this.log(`network: ${network.rebuilt ? 'rebuilt' : `${network.created} made, ${network.removed} removed`} in ${network.ms} ms`);

    t = performance.now();
    if (network.rebuilt) this.kubeProxy.reset();
    // Pods just deleted: their runtimes start stopping them while kube-proxy drops their
    // endpoints, not after (the kubelet and kube-proxy do not wait for each other).
    const early = stopping && !network.rebuilt ? this.runtimes.sync(wanted) : null;
    if (early && this.endpointLagMs > 0) await new Promise((r) => setTimeout(r, this.endpointLagMs));
    // Pods whose namespaces were just made join the rules once their runtime reports them
    // Ready (syncEndpoints, below), not before their servers listen: as a kubelet reports a
    // pod Ready only after its containers started.
    const made = new Set(network.rebuilt ? plan.pods.map((p) => p.netns) : diff.create);
    const notYet = plan.pods.filter((p) => made.has(p.netns)).map((p): [string, ReportedPod] => [p.pod, { ready: false, restarts: 0 }]);
    const observed = notYet.length > 0 ? withReadiness(this.cluster, new Map([...this.reported, ...notYet])) : this.observed;
    const proxy = await this.kubeProxy.sync(observed, plan);
    this.rememberSynced(observed);
    await syncIngressControllers(observed, plan, this.name, this.log, this.ingressGuard);
    const touched = proxy.nodes.filter((n) => n.kind !== 'unchanged');
    progress({ step: 'services', ok: true, ms: performance.now() - t,
      text: `${proxy.ports} Service port${proxy.ports === 1 ? '' : 's'} on ${proxy.nodes.length} node${proxy.nodes.length === 1 ? '' : 's'} (kube-proxy ${proxy.mode})` });
    if (touched.length > 0 || proxy.routes > 0) this.log(`kube-proxy: ${touched.map((n) => `${n.node} ${n.kind} (${n.commands})`).join(', ') || 'rules unchanged'}${proxy.routes ? `, ${proxy.routes} fabric route${proxy.routes === 1 ? '' : 's'}` : ''} in ${Math.round(proxy.ms)} ms`);

    if (network.rebuilt) this.netpol.reset();
    const pol = await this.netpol.sync(this.cluster, plan);
    this.flows.update(plan, network.rebuilt);
    const polTouched = pol.nodes.filter((n) => n.kind !== 'unchanged');
    if (polTouched.length > 0) this.log(`netpol: ${pol.policies} policies, ${polTouched.map((n) => `${n.node} ${n.kind} (${n.commands})`).join(', ')} in ${Math.round(pol.ms)} ms`);

    t = performance.now();
    await this.writeDnsData(); // a rebuild starts from an empty /run/knet-<name>
    const runtimeFailures = early ? await early : await this.runtimes.sync(wanted, diff.rebuild !== null);
    const nodeRuntimes = [...wanted].filter(([node]) => node !== INTERNET_RUNTIME);
    const servers = nodeRuntimes.flatMap(([, pods]) => pods).reduce((n, p) => n + p.servers.length, 0);
    progress({ step: 'pods', ok: runtimeFailures.length === 0, ms: performance.now() - t,
      text: runtimeFailures.length === 0
        ? `${servers} server${servers === 1 ? '' : 's'} listening on ${nodeRuntimes.length} node runtime${nodeRuntimes.length === 1 ? '' : 's'}`
        : `${runtimeFailures.length} server${runtimeFailures.length === 1 ? '' : 's'} could not listen: ${runtimeFailures.slice(0, 3).map((f) => `${f.pod} ${f.protocol}/${f.port} (${f.error})`).join(', ')}` });

    t = performance.now();
    const fresh = existedBefore === null ? undefined : new Set(plan.pods.map((p) => p.netns).filter((n) => !existedBefore.has(n) || diff.remove.includes(n)));
    const targets = probeTargets(this.cluster, plan, fresh);
    const probes = targets.length > 0 ? await probeAll(targets, PROBE_DEADLINE_MS) : [];
    const failed = probes.filter((p) => !p.ok);
    const probedPods = new Set(probes.map((p) => p.pod)).size;
    progress({ step: 'ready', ok: failed.length === 0, ms: performance.now() - t,
      text: failed.length === 0
        ? `${probedPods} pod${probedPods === 1 ? '' : 's'} answer on ${probes.length} port${probes.length === 1 ? '' : 's'}`
        : `${new Set(failed.map((f) => f.pod)).size} of ${probedPods} pods do not answer: ${failed.slice(0, 3).map((f) => `${f.pod} ${f.ip}:${f.port} (${f.error})`).join(', ')}${failed.length > 3 ? ', ...' : ''}` });
    // Pods with a readiness or startup probe join their Services once the probe passes.
    const freshPods = fresh && new Set(plan.pods.filter((p) => fresh.has(p.netns)).map((p) => p.pod));
    const gated = await this.waitForReadiness(READINESS_WAIT_MS, freshPods);
    if (gated.total > 0) {
      progress({ step: 'probes', ok: gated.unready.length === 0, ms: gated.ms,
        text: gated.unready.length === 0
          ? `${gated.total} pod${gated.total === 1 ? '' : 's'} with readiness probes Ready`
          : `${gated.unready.length} of ${gated.total} pods with readiness probes not Ready yet: ${gated.unready.slice(0, 3).join(', ')}${gated.unready.length > 3 ? ', ...' : ''}` });
    }
    await this.syncEndpoints();
    const report: ReconcileReport = { network, runtimeFailures, probes, ms: Math.round(performance.now() - start) };
    this.lastReconcile = report;
    return report;
  }

  /**
   * The DNS servers' data: the running cluster as CoreDNS would watch it, rewritten when it
   * changes (or is gone); its version goes into the SPECs, so the runtimes reload it.
   */
  private async writeDnsData(): Promise<void> {
    const snap = dnsSnapshot(this.observed);
    const path = dnsDataPath(this.name);
    if (snap.version !== this.dnsVersion || !existsSync(path)) {
      await writeFileAtomic(path, snap.text);
      this.dnsVersion = snap.version;
    }
    this.runtimes.setDns({ data: path, version: snap.version });
  }

  /** The periodic check: dead runtimes are started again, missing or stray namespaces reconciled. */
  private kick(): void {
    if (this.closed) return;
    this.serial(async () => {
      if (this.closed) return;
      const dead = this.runtimes.dead();
      for (const node of dead) this.runtimes.forget(node);
      const overdue = overdueTerminating(this.cluster, Date.now());
      if (overdue.length > 0) this.finishTermination(overdue, 'its node did not report it gone in time');
      const have = new Set(await clusterNamespaces(this.name));
      const want = this.plan.namespaces.map((n) => n.name);
      const drift = want.some((n) => !have.has(n)) || have.size !== want.length;
      if (!drift && dead.length === 0 && !this.dirty) return;
      this.log(`check: ${dead.length ? `runtimes of ${dead.join(', ')} gone; ` : ''}${drift ? 'namespaces differ from the plan; ' : ''}${this.dirty ? 'the last reconcile did not finish' : ''}`);
      await this.reconcile(have, () => {});
    }).catch((e: unknown) => this.log(`check failed: ${(e as Error).message}`));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** A retiring pod as stored: its wire form as it runs (node, IP), marked with its Deployment. */
function retiringObject(pod: Pod, deployment: string): StoredObject {
  const wire = toWire(pod) as Record<string, unknown>;
  const meta = (wire['metadata'] ?? {}) as Record<string, unknown>;
  const annotations = { ...(meta['annotations'] as Record<string, string> | undefined), [RETIRING_ANNOTATION]: deployment };
  return { file: '<rolling update>', line: 0, col: 0, value: { ...wire, metadata: { ...meta, annotations } } };
}

function objectRef(o: StoredObject): string {
  const meta = (o.value['metadata'] ?? {}) as Record<string, unknown>;
  return `${String(meta['namespace'] ?? 'default')}/${String(meta['name'] ?? '')}`;
}

function sameObject(o: StoredObject, p: Pod): boolean {
  return objectRef(o) === `${p.meta.namespace}/${p.meta.name}`;
}

/** Where Pebble's files and the internet clients' CA bundle live. */
export function internetDir(cluster: string): string {
  return join(runDir(cluster), 'internet');
}

/**
 * Pebble as a command of the internet runtime (restarted with back-off, logged like a
 * container, in a cgroup). It is knet's own internet, not a cluster pod: it runs on the host
 * in the internet's namespace, outside a sandbox (its files are root's, under /run/knet-<c>).
 */
function pebblePod(netns: string, setup: PebbleSetup): RuntimePodSpec {
  return { ref: 'knet_internet/acme', netns, hostname: 'acme', servers: [], commands: [{ container: 'pebble', argv: [...setup.argv], unsandboxed: true }], healthy: true };
}

function planFor(cluster: Cluster, name: string): TopologyPlan {
  return withStaticNeighbours(planTopology(cluster, name, { resolvConf: (pod) => renderResolvConf(resolvConfOf(cluster, pod).conf) }));
}
