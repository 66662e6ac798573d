// The data plane as the reconciler sees it: a few small interfaces (namespaces, kube-proxy,
// NetworkPolicies, the DNS data, the runtimes, the ingress controllers, the probes), each with
// the one real implementation that changes the kernel and starts processes, and fakes that
// record what they were asked (test-support/fake-planes.ts), so reconcile is tested without root.
import { existsSync } from 'node:fs';
import type { Cluster } from '../cluster/fill-in.js';
import type { TopologyPlan } from '../compile/topology-plan.js';
import { dnsSnapshot } from '../dataplane/dns/snapshot.js';
import type { ConfigInputs } from '../dataplane/ingress/admission.js';
import { KubeProxySyncer, type KubeProxyReport } from '../dataplane/nft-kube-proxy.js';
import { FlowRecorder } from '../dataplane/netpol-flows.js';
import { NetpolSyncer, type NetpolReport } from '../dataplane/netpol-sync.js';
import type { Readiness } from '../dataplane/runtime/runtime.js';
import { teardownCluster } from '../dataplane/teardown.js';
import { writeFileAtomic } from './atomic-file.js';
import type { IngressGuard } from './ingress-admission.js';
import { configInputs, syncIngressControllers } from './ingress-controller.js';
import { applyNetwork, clusterNamespaces, diffNetwork, type NetworkDiff, type NetworkReport } from './network.js';
import { dnsDataPath } from './paths.js';
import { probeAll, type ProbeResult, type ProbeTarget } from './probe.js';
import { RuntimeSupervisor, type RuntimeFailure, type RuntimePodSpec } from './runtimes.js';

/** The cluster's network namespaces (network.ts). */
export interface NetworkPlane {
  /** The cluster's namespaces as they exist now. */
  namespaces(): Promise<string[]>;
  diff(plan: TopologyPlan): Promise<NetworkDiff>;
  apply(plan: TopologyPlan, diff: NetworkDiff): Promise<NetworkReport>;
  /** `knet down`: every recorded process killed, every namespace and run file removed. */
  teardown(): Promise<{ namespaces: number; killed: number }>;
}

/** kube-proxy on every node: remembers what it wrote, so a change sends only what differs. */
export interface ProxyPlane {
  sync(cluster: Cluster, plan: TopologyPlan): Promise<KubeProxyReport>;
  /** Forgets what it wrote (the namespaces were made again). */
  reset(): void;
}

/** NetworkPolicies in every node, and the flow recorder behind `knet flows`. */
export interface PolicyPlane {
  sync(cluster: Cluster, plan: TopologyPlan): Promise<NetpolReport>;
  reset(): void;
  recordFlows(plan: TopologyPlan, restart: boolean): void;
  stop(): void;
}

/** Where the DNS servers' data is, and its version (named in the SPECs of the runtimes that serve DNS). */
export interface DnsData {
  readonly data: string;
  readonly version: string;
}

/** What the DNS servers answer from: the running cluster as CoreDNS would watch it. */
export interface DnsPlane {
  /** Writes the data when it changed (or is gone). */
  write(observed: Cluster): Promise<DnsData>;
}

/** One runtime per node (the kubelet and the containers): RuntimeSupervisor. */
export interface RuntimePlane {
  adopt(): string[];
  setDns(dns: DnsData): void;
  sync(pods: ReadonlyMap<string, readonly RuntimePodSpec[]>, force?: boolean): Promise<RuntimeFailure[]>;
  dead(): string[];
  forget(node: string): void;
  status(): Record<string, { pid: number; alive: boolean }>;
  stopAll(final?: boolean): Promise<void>;
  control(node: string, request: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** The ingress-nginx controllers' configuration (ingress-controller.ts). */
export interface IngressPlane {
  sync(observed: Cluster, plan: TopologyPlan, guard: IngressGuard): Promise<void>;
  /** What the configuration is compiled with besides the cluster (for admission). */
  inputs(cluster: Cluster): Promise<ConfigInputs>;
}

/** TCP connections to the pods' ports from their nodes. */
export interface ProbePlane {
  probe(targets: readonly ProbeTarget[], deadlineMs: number): Promise<ProbeResult[]>;
}

export interface Planes {
  readonly network: NetworkPlane;
  readonly proxy: ProxyPlane;
  readonly policy: PolicyPlane;
  readonly dns: DnsPlane;
  readonly runtimes: RuntimePlane;
  readonly ingress: IngressPlane;
  readonly probes: ProbePlane;
}

/** What the planes tell the daemon: a runtime exited, a runtime reported its pods' Ready. */
export interface PlaneHooks {
  readonly log: (line: string) => void;
  readonly onRuntimeExit: (node: string) => void;
  readonly onReadiness: (node: string, readiness: Readiness) => void;
}

export type PlaneFactory = (cluster: string, hooks: PlaneHooks) => Planes;

/** The real data plane of cluster `name` (root). */
export const realPlanes: PlaneFactory = (name, hooks) => {
  const kubeProxy = new KubeProxySyncer();
  const netpol = new NetpolSyncer();
  const flows = new FlowRecorder(name, hooks.log);
  return {
    network: {
      namespaces: () => clusterNamespaces(name),
      diff: diffNetwork,
      apply: applyNetwork,
      teardown: async () => {
        const report = await teardownCluster(name);
        return { namespaces: report.namespaces.length, killed: report.killed.length };
      },
    },
    proxy: kubeProxy,
    policy: {
      sync: (cluster, plan) => netpol.sync(cluster, plan),
      reset: () => netpol.reset(),
      recordFlows: (plan, restart) => flows.update(plan, restart),
      stop: () => flows.stop(),
    },
    dns: new DnsDataFile(dnsDataPath(name)),
    runtimes: new RuntimeSupervisor(name, hooks.log, hooks.onRuntimeExit, hooks.onReadiness),
    ingress: {
      sync: (observed, plan, guard) => syncIngressControllers(observed, plan, name, hooks.log, guard),
      inputs: (cluster) => configInputs(cluster, name),
    },
    probes: { probe: (targets, deadlineMs) => probeAll(targets, deadlineMs) },
  };
};

/** The DNS data file (/run/knet-<name>/dns.json), written atomically when its version moves or it is gone. */
class DnsDataFile implements DnsPlane {
  private version = '';

  constructor(private readonly path: string) {}

  async write(observed: Cluster): Promise<DnsData> {
    const snap = dnsSnapshot(observed);
    if (snap.version !== this.version || !existsSync(this.path)) {
      await writeFileAtomic(this.path, snap.text);
      this.version = snap.version;
    }
    return { data: this.path, version: snap.version };
  }
}
