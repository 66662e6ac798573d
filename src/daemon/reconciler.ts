// Brings the data plane to the running cluster, through the planes (planes.ts): the namespaces
// first (the runtimes let go of those about to go; endpoints leave the rules before their
// pods), then kube-proxy, the ingress controllers, NetworkPolicies, the DNS data and the
// runtimes, then probes; and after a readiness report, kube-proxy, ingress and DNS again.
// It never changes the stored state: the daemon (daemon.ts) saves it before calling here.
import type { Cluster } from '../cluster/fill-in.js';
import { withReadiness } from '../cluster/readiness.js';
import { inetNetns } from '../compile/topology-names.js';
import type { TopologyPlan } from '../compile/topology-plan.js';
import { gatedPods, type ReadinessReports } from './controllers.js';
import type { IngressGuard } from './ingress-admission.js';
import type { NetworkReport } from './network.js';
import type { Planes } from './planes.js';
import type { ProbeResult } from './probe.js';
import { INTERNET_RUNTIME, type RuntimeFailure, type RuntimePodSpec } from './runtimes.js';
import { probeTargets, runtimePods } from './workloads-view.js';

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

export const PROBE_DEADLINE_MS = 15_000;
/** How long bringing a change up waits for readiness probes to pass before it reports. */
const READINESS_WAIT_MS = 5_000;

/** What the reconciler reads from the daemon, always current (readiness reports arrive while it waits). */
export interface ClusterView {
  readonly name: string;
  readonly cluster: Cluster;
  readonly plan: TopologyPlan;
  /** The cluster with the kubelets' reports laid over it. */
  readonly observed: Cluster;
  readonly reports: ReadinessReports;
  readonly closed: boolean;
  readonly ingressGuard: IngressGuard;
  /** The internet runtime's pods (its resolver, Pebble). */
  internetPods(netns: string): RuntimePodSpec[];
}

export interface ReconcilerOptions {
  readonly log: (line: string) => void;
  /** KNET_ENDPOINT_LAG_MS: kube-proxy drops a deleted pod's endpoint this long after its runtime starts stopping it. */
  readonly endpointLagMs: number;
}

export class Reconciler {
  /** The Ready of every pod as the data plane was last synced with it. */
  private syncedReady = new Map<string, boolean | null>();

  constructor(private readonly view: ClusterView, readonly planes: Planes, private readonly options: ReconcilerOptions) {}

  /**
   * Namespaces, then runtimes, then probes. `existedBefore`: namespaces that existed before
   * (their pods were answering, only the others are probed); null probes every pod.
   * `stopping`: the change deletes pods (they stop while kube-proxy drops their endpoints).
   */
  async reconcile(existedBefore: ReadonlySet<string> | null, progress: (p: Progress) => void, stopping = false): Promise<ReconcileReport> {
    const { view, planes, options: { log } } = this;
    const start = performance.now();
    const plan = view.plan;
    const cluster = view.cluster;
    let t = performance.now();
    const diff = await planes.network.diff(plan);
    const wanted = runtimePods(cluster, plan);
    // The internet's resolver (203.0.113.53) runs in a runtime of its own, with the CoreDNS pods' data.
    wanted.set(INTERNET_RUNTIME, view.internetPods(inetNetns(view.name)));
    await this.writeDnsData();
    if (diff.rebuild) {
      log(`network: rebuilding (${diff.rebuild})`);
      await planes.runtimes.stopAll();
    } else if (diff.remove.length + diff.create.length > 0) {
      // The runtimes let go of the namespaces about to go or be made again (their sockets
      // would keep the old ones alive, and a pod's servers must open in its new namespace).
      const going = new Set([...diff.remove, ...diff.create]);
      // Pods deleted by this change are not told to stop yet: that happens below, together
      // with kube-proxy dropping their endpoints (a runtime never brings back a stopping pod).
      const keep = new Map([...wanted].map(([node, pods]) => [node, pods.filter((p) => !going.has(p.netns)).map((p) => (p.terminating ? { ...p, terminating: null } : p))]));
      await planes.runtimes.sync(keep);
    }
    if (diff.remove.length > 0 && !diff.rebuild) {
      // Endpoints leave the rules before their pods go (the kubelet kills a pod after its
      // endpoint is terminating); pods about to be made are not in the rules yet either.
      const making = new Set(diff.create);
      const notYet = plan.pods.filter((p) => making.has(p.netns)).map((p) => p.pod);
      await planes.proxy.sync(withReadiness(cluster, view.reports.without(notYet)), plan);
    }
    const network = await planes.network.apply(plan, diff);
    const nodes = cluster.nodes.length;
    const pods = plan.pods.length;
    progress({ step: 'network', ok: true, ms: performance.now() - t,
      text: `${nodes} node${nodes === 1 ? '' : 's'}, ${pods} pod${pods === 1 ? '' : 's'} (${plan.mode})${network.rebuilt ? '' : `, ${network.created} made, ${network.removed} removed`}` });
    if (network.created + network.removed > 0 || network.rebuilt) log(`network: ${network.rebuilt ? 'rebuilt' : `${network.created} made, ${network.removed} removed`} in ${network.ms} ms`);

    t = performance.now();
    if (network.rebuilt) planes.proxy.reset();
    // Pods just deleted: their runtimes start stopping them while kube-proxy drops their
    // endpoints, not after (the kubelet and kube-proxy do not wait for each other).
    const early = stopping && !network.rebuilt ? planes.runtimes.sync(wanted) : null;
    if (early && this.options.endpointLagMs > 0) await new Promise((r) => setTimeout(r, this.options.endpointLagMs));
    // Pods whose namespaces were just made join the rules once their runtime reports them
    // Ready (syncEndpoints, below), not before their servers listen: as a kubelet reports a
    // pod Ready only after its containers started.
    const made = new Set(network.rebuilt ? plan.pods.map((p) => p.netns) : diff.create);
    const notYet = plan.pods.filter((p) => made.has(p.netns)).map((p) => p.pod);
    const observed = notYet.length > 0 ? withReadiness(cluster, view.reports.without(notYet)) : view.observed;
    const proxy = await planes.proxy.sync(observed, plan);
    this.rememberSynced(observed);
    await planes.ingress.sync(observed, plan, view.ingressGuard);
    const touched = proxy.nodes.filter((n) => n.kind !== 'unchanged');
    progress({ step: 'services', ok: true, ms: performance.now() - t,
      text: `${proxy.ports} Service port${proxy.ports === 1 ? '' : 's'} on ${proxy.nodes.length} node${proxy.nodes.length === 1 ? '' : 's'} (kube-proxy ${proxy.mode})` });
    if (touched.length > 0 || proxy.routes > 0) log(`kube-proxy: ${touched.map((n) => `${n.node} ${n.kind} (${n.commands})`).join(', ') || 'rules unchanged'}${proxy.routes ? `, ${proxy.routes} fabric route${proxy.routes === 1 ? '' : 's'}` : ''} in ${Math.round(proxy.ms)} ms`);

    if (network.rebuilt) planes.policy.reset();
    const pol = await planes.policy.sync(cluster, plan);
    planes.policy.recordFlows(plan, network.rebuilt);
    const polTouched = pol.nodes.filter((n) => n.kind !== 'unchanged');
    if (polTouched.length > 0) log(`netpol: ${pol.policies} policies, ${polTouched.map((n) => `${n.node} ${n.kind} (${n.commands})`).join(', ')} in ${Math.round(pol.ms)} ms`);

    t = performance.now();
    await this.writeDnsData(); // a rebuild starts from an empty /run/knet-<name>
    const runtimeFailures = early ? await early : await planes.runtimes.sync(wanted, diff.rebuild !== null);
    const nodeRuntimes = [...wanted].filter(([node]) => node !== INTERNET_RUNTIME);
    const servers = nodeRuntimes.flatMap(([, pods]) => pods).reduce((n, p) => n + p.servers.length, 0);
    progress({ step: 'pods', ok: runtimeFailures.length === 0, ms: performance.now() - t,
      text: runtimeFailures.length === 0
        ? `${servers} server${servers === 1 ? '' : 's'} listening on ${nodeRuntimes.length} node runtime${nodeRuntimes.length === 1 ? '' : 's'}`
        : `${runtimeFailures.length} server${runtimeFailures.length === 1 ? '' : 's'} could not listen: ${runtimeFailures.slice(0, 3).map((f) => `${f.pod} ${f.protocol}/${f.port} (${f.error})`).join(', ')}` });

    t = performance.now();
    const fresh = existedBefore === null ? undefined : new Set(plan.pods.map((p) => p.netns).filter((n) => !existedBefore.has(n) || diff.remove.includes(n)));
    const targets = probeTargets(cluster, plan, fresh);
    const probes = targets.length > 0 ? await planes.probes.probe(targets, PROBE_DEADLINE_MS) : [];
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
    return { network, runtimeFailures, probes, ms: Math.round(performance.now() - start) };
  }

  /** Whether some pod's Ready differs from what the data plane was last synced with. */
  readinessMoved(observed: Cluster): boolean {
    return observed.pods.some((p) => this.syncedReady.get(`${p.meta.namespace}/${p.meta.name}`) !== p.status.ready);
  }

  /** kube-proxy's rules, the ingress controllers and the DNS data brought to the pods' Ready now. */
  async syncEndpoints(): Promise<void> {
    const { view, planes } = this;
    const t = performance.now();
    const observed = view.observed;
    const changes = observed.pods.filter((p) => this.syncedReady.get(`${p.meta.namespace}/${p.meta.name}`) !== p.status.ready && this.syncedReady.has(`${p.meta.namespace}/${p.meta.name}`));
    const proxy = await planes.proxy.sync(observed, view.plan);
    await planes.ingress.sync(observed, view.plan, view.ingressGuard);
    await this.writeDnsData();
    this.rememberSynced(observed);
    const touched = proxy.nodes.filter((n) => n.kind !== 'unchanged').length;
    if (changes.length > 0) {
      this.options.log(`readiness: ${changes.slice(0, 5).map((p) => `${p.meta.namespace}/${p.meta.name} ${p.status.ready ? 'ready' : 'not ready'}`).join(', ')}${changes.length > 5 ? `, ... (${changes.length})` : ''}; kube-proxy rules on ${touched} node${touched === 1 ? '' : 's'} in ${Math.round(performance.now() - t)} ms`);
    }
  }

  /**
   * The DNS servers' data: the running cluster as CoreDNS would watch it, rewritten when it
   * changes (or is gone); its version goes into the SPECs, so the runtimes reload it.
   */
  private async writeDnsData(): Promise<void> {
    this.planes.runtimes.setDns(await this.planes.dns.write(this.view.observed));
  }

  /** Waits (up to `ms`) for the pods with a readiness gate (those in `only`, else all) to be reported Ready. */
  private async waitForReadiness(ms: number, only?: ReadonlySet<string>): Promise<{ total: number; unready: string[]; ms: number }> {
    const t = performance.now();
    let g = gatedPods(this.view.observed, only);
    while (g.unready.length > 0 && performance.now() - t < ms && !this.view.closed) {
      await new Promise((r) => setTimeout(r, 25));
      g = gatedPods(this.view.observed, only);
    }
    return { ...g, ms: performance.now() - t };
  }

  private rememberSynced(observed: Cluster): void {
    this.syncedReady = new Map(observed.pods.map((p) => [`${p.meta.namespace}/${p.meta.name}`, p.status.ready]));
  }
}
