// Fake data planes for the daemon, without root: an in-memory "kernel" of namespaces that the
// network plane diffs and changes as network.ts does (fingerprints of the plan, rebuild when
// the fabric or a node differs), and planes that record what they were asked in one journal,
// with the state saves, so a test reads what the reconciler did and in which order.
import type { Cluster } from '../../cluster/fill-in.js';
import type { TopologyPlan } from '../../compile/topology-plan.js';
import { dnsSnapshot } from '../../dataplane/dns/snapshot.js';
import type { KubeProxyReport } from '../../dataplane/nft-kube-proxy.js';
import type { NetpolReport } from '../../dataplane/netpol-sync.js';
import type { Readiness } from '../../dataplane/runtime/runtime.js';
import { fingerprints, type NetworkDiff, type NetworkReport } from '../network.js';
import type { DnsData, PlaneFactory, PlaneHooks, Planes } from '../planes.js';
import type { ProbeResult, ProbeTarget } from '../probe.js';
import type { RuntimeFailure, RuntimePodSpec } from '../runtimes.js';
import { fileStateStore, type ClusterState, type StateStore } from '../state.js';

/** The endpoints kube-proxy was given for one Service: `ns/name` -> `ip ready|not-ready|terminating` lines. */
export type EndpointView = Record<string, string[]>;

export class FakePlanes {
  /** Every call, in order: `state.save 3`, `network.apply +ns-a -ns-b`, `proxy.sync`, `runtimes.sync node-1` ... */
  readonly journal: string[] = [];
  /** The namespaces that exist, with the fingerprint each was made from. */
  readonly namespaces = new Map<string, string>();
  /** Each kube-proxy sync: the endpoints of every Service it was given. */
  readonly proxySyncs: EndpointView[] = [];
  /** Each DNS data version written (only when it changed). */
  readonly dnsWrites: { version: string; services: string[] }[] = [];
  /** Each runtime sync: node -> the pods its SPEC names (`ns/name`, `ns/name (terminating)`). */
  readonly runtimeSyncs: Map<string, string[]>[] = [];
  /** The last SPEC each runtime was given. */
  readonly specs = new Map<string, readonly RuntimePodSpec[]>();
  /** The pods each runtime reports (a real runtime's status): whole, per node, after every change. */
  readonly reported = new Map<string, Readiness>();
  /** Whether a pod a runtime starts is reported Ready (its probes pass at once); false: it waits for `report`. */
  startReady = true;
  /** The pods each probe round was asked for. */
  readonly probed: string[][] = [];
  private hooks: PlaneHooks | null = null;
  private dnsVersion = '';

  /** Pass as DaemonOptions.planes. */
  readonly factory: PlaneFactory = (_name, hooks) => {
    this.hooks = hooks;
    return this.planes();
  };

  /** A state store in `dir` (a temporary directory) that journals its saves. */
  store(cluster: string, dir: string): StateStore {
    const files = fileStateStore(cluster, dir);
    return {
      path: files.path,
      load: () => files.load(),
      save: async (state: ClusterState) => {
        this.journal.push(`state.save ${state.generation}`);
        await files.save(state);
      },
      remove: async () => {
        this.journal.push('state.remove');
        await files.remove();
      },
    };
  }

  /** Pods of a node change their status (probes pass or fail, containers exit): the runtime reports the node's pods. */
  report(node: string, changes: Readiness): void {
    this.reported.set(node, { ...this.reported.get(node), ...changes });
    this.send(node);
  }

  /** The runtime's report (the kubelet's status update) arriving at the daemon, as a socket's would: later. */
  private send(node: string): void {
    const readiness = { ...this.reported.get(node) };
    setImmediate(() => this.hooks?.onReadiness(node, readiness));
  }

  /** The journal entries of one plane (`network`, `proxy`, `dns`, `runtimes`, ...). */
  calls(plane: string): string[] {
    return this.journal.filter((l) => l.startsWith(`${plane}.`));
  }

  /** The endpoints kube-proxy was last given. */
  lastEndpoints(): EndpointView {
    return this.proxySyncs.at(-1) ?? {};
  }

  private planes(): Planes {
    const log = (l: string): void => void this.journal.push(l);
    return {
      network: {
        namespaces: async () => [...this.namespaces.keys()],
        diff: async (plan) => this.diff(plan),
        apply: async (plan, diff) => this.apply(plan, diff),
        teardown: async () => {
          log('network.teardown');
          const namespaces = this.namespaces.size;
          this.namespaces.clear();
          return { namespaces, killed: 0 };
        },
      },
      proxy: {
        sync: async (cluster, plan) => {
          log('proxy.sync');
          this.proxySyncs.push(endpointsOf(cluster));
          return proxyReport(cluster, plan);
        },
        reset: () => log('proxy.reset'),
      },
      policy: {
        sync: async (cluster, plan) => {
          log(`policy.sync ${cluster.networkPolicies.length}`);
          return policyReport(cluster);
        },
        reset: () => log('policy.reset'),
        recordFlows: () => {},
        stop: () => log('policy.stop'),
      },
      dns: {
        write: async (observed) => this.writeDns(observed),
      },
      runtimes: {
        adopt: () => [],
        setDns: () => {},
        sync: async (pods, force) => this.syncRuntimes(pods, force === true),
        dead: () => [],
        forget: () => {},
        status: () => Object.fromEntries([...this.specs.keys()].map((node) => [node, { pid: 0, alive: true }])),
        stopAll: async (final) => {
          log(`runtimes.stopAll${final ? ' final' : ''}`);
          this.specs.clear();
          this.reported.clear();
        },
        control: async () => ({ ok: false, error: 'a fake runtime' }),
      },
      ingress: {
        sync: async () => log('ingress.sync'),
        inputs: async (cluster) => ({ fakeCertificate: '', resolvers: cluster.config.clusterDNS.slice(0, 1) }),
      },
      probes: {
        probe: async (targets: readonly ProbeTarget[]): Promise<ProbeResult[]> => {
          log(`probes.probe ${targets.length}`);
          this.probed.push([...new Set(targets.map((t) => t.pod))].sort());
          return targets.map((t) => ({ ...t, ok: true, error: '', attempts: 1 }));
        },
      },
    };
  }

  /** As diffNetwork: a missing or different fabric or node rebuilds; pods one by one. */
  private diff(plan: TopologyPlan): NetworkDiff {
    const existing = [...this.namespaces.keys()];
    const fp = fingerprints(plan);
    const none = { existing, remove: [], create: [], strayLinks: [] };
    if (existing.length === 0) return { ...none, rebuild: 'nothing exists yet' };
    for (const [ns, f] of Object.entries(fp.infra)) {
      if (this.namespaces.get(ns) !== f) return { ...none, rebuild: `${ns} differs` };
    }
    const remove = existing.filter((n) => n.includes('-pod-') && this.namespaces.get(n) !== fp.pods[n]);
    const removing = new Set(remove);
    const create = Object.keys(fp.pods).filter((n) => !this.namespaces.has(n) || removing.has(n));
    return { rebuild: null, existing, remove, create, strayLinks: [] };
  }

  private apply(plan: TopologyPlan, diff: NetworkDiff): NetworkReport {
    const fp = fingerprints(plan);
    const all = { ...fp.infra, ...fp.pods };
    if (diff.rebuild) {
      this.journal.push(`network.rebuild ${plan.namespaces.length}`);
      this.namespaces.clear();
      for (const [ns, f] of Object.entries(all)) this.namespaces.set(ns, f);
      return { rebuilt: true, created: plan.namespaces.length, removed: diff.existing.length, ms: 0 };
    }
    if (diff.remove.length + diff.create.length > 0) this.journal.push(`network.apply ${[...diff.create.map((n) => `+${n}`), ...diff.remove.map((n) => `-${n}`)].join(' ')}`);
    for (const ns of diff.remove) this.namespaces.delete(ns);
    for (const ns of diff.create) this.namespaces.set(ns, all[ns]!);
    return { rebuilt: false, created: diff.create.length, removed: diff.remove.length, ms: 0 };
  }

  private async writeDns(observed: Cluster): Promise<DnsData> {
    const snap = dnsSnapshot(observed);
    if (snap.version !== this.dnsVersion) {
      this.journal.push(`dns.write ${snap.version}`);
      this.dnsWrites.push({ version: snap.version, services: observed.services.map((s) => `${s.meta.namespace}/${s.meta.name}`).sort() });
      this.dnsVersion = snap.version;
    }
    return { data: '<fake dns.json>', version: snap.version };
  }

  private syncRuntimes(pods: ReadonlyMap<string, readonly RuntimePodSpec[]>, force: boolean): RuntimeFailure[] {
    const seen = new Map<string, string[]>();
    for (const [node, list] of pods) {
      const refs = list.map((p) => (p.terminating ? `${p.ref} (terminating)` : p.ref));
      seen.set(node, refs);
      const before = this.specs.get(node);
      if (before && JSON.stringify(before) === JSON.stringify(list) && !force) continue;
      this.journal.push(`runtimes.${before ? 'reload' : 'start'} ${node}: ${refs.join(', ')}`);
      this.specs.set(node, list);
      const was = this.reported.get(node) ?? {};
      this.reported.set(node, Object.fromEntries(list.map((p) => [p.ref, was[p.ref] ?? { ready: this.startReady, restarts: 0 }])));
      this.send(node);
    }
    for (const node of [...this.specs.keys()]) {
      if (pods.has(node)) continue;
      this.journal.push(`runtimes.stop ${node}`);
      this.specs.delete(node);
      this.reported.delete(node);
    }
    this.runtimeSyncs.push(seen);
    return [];
  }
}

/** Each Service's endpoints as kube-proxy reads them from the EndpointSlices. */
function endpointsOf(cluster: Cluster): EndpointView {
  const out: EndpointView = {};
  for (const slice of cluster.endpointSlices) {
    const key = `${slice.meta.namespace}/${slice.serviceName}`;
    const lines = slice.endpoints.map((e) => `${e.addresses.join(',')} ${e.conditions.terminating ? 'terminating' : e.conditions.ready ? 'ready' : 'not-ready'}`);
    out[key] = [...(out[key] ?? []), ...lines].sort();
  }
  return out;
}

function proxyReport(cluster: Cluster, plan: TopologyPlan): KubeProxyReport {
  const nodes = plan.namespaces.filter((n) => n.role === 'node');
  return {
    mode: cluster.config.proxyMode, ports: cluster.services.reduce((n, s) => n + s.ports.length, 0), routes: 0, ms: 0,
    nodes: nodes.map((n) => ({ node: n.name, netns: n.name, kind: 'unchanged', commands: 0, ms: 0 })),
  };
}

function policyReport(cluster: Cluster): NetpolReport {
  return { enforced: true, policies: cluster.networkPolicies.length, nodes: [], compileMs: 0, ms: 0 };
}
