// kube-proxy for a running cluster: on every sync, each node's table is compiled from the
// core's index (compile/kube-proxy-*) and brought there with one atomic transaction per
// node, in parallel: the first sync of a node replaces its table whole, later ones send
// only what changed against the table the previous sync wrote (kept in memory, as
// kube-proxy does; the kernel's table is never listed). iptables mode restores the KUBE-*
// chains with iptables-restore when a node's rules changed. The fabric's routes for
// LoadBalancer IPs follow (compile/kube-proxy-lb-routes). A failed node is forgotten, so
// the next sync replaces its table whole. As kube-proxy does, chains a partial sync no
// longer needs are flushed at once and deleted a second later, in a transaction of their
// own: nft reads the whole table before a delete, and an endpoint change should not wait
// for that.
import type { Cluster } from '../cluster/fill-in.js';
import { kubeProxyIptables } from '../compile/kube-proxy-iptables.js';
import { loadBalancerRouteLines, loadBalancerRoutes } from '../compile/kube-proxy-lb-routes.js';
import { assembleTable, diffKubeProxy, KUBE_PROXY_TABLE, kubeProxyState, staleChains, type FragmentCache, type KubeProxyState } from '../compile/kube-proxy-nft.js';
import { programNode, proxiedPorts } from '../compile/kube-proxy-program.js';
import { deleteChains, fullSync } from '../compile/nft-diff.js';
import type { NftTransaction } from '../compile/nft-model.js';
import type { TopologyPlan } from '../compile/topology-plan.js';
import { buildProxyIndex } from '../core/service/proxy-index.js';
import type { ProxyMode } from '../model/types.js';
import { iptablesRestore, nftApply } from './nft.js';
import { runInNetns } from './run.js';

export type KubeProxyInput = Pick<Cluster, 'config' | 'nodes' | 'services' | 'endpointSlices'>;

export interface NodeSync {
  readonly node: string;
  readonly netns: string;
  readonly kind: 'full' | 'partial' | 'unchanged';
  /** nft commands (or iptables-restore lines) sent. */
  readonly commands: number;
  readonly ms: number;
}

export interface KubeProxyReport {
  readonly mode: ProxyMode;
  readonly ports: number; // Service ports proxied
  readonly nodes: readonly NodeSync[];
  readonly routes: number; // fabric route lines changed
  readonly ms: number;
}

/** How long a flushed chain waits before it is deleted (kube-proxy: at least a second). */
export const STALE_CHAIN_DELAY_MS = 1000;

export class KubeProxySyncer {
  private readonly tables = new Map<string, KubeProxyState>();
  /** Per node: each Service port's compiled share, reused while what it is made from is unchanged. */
  private readonly fragments = new Map<string, FragmentCache>();
  private readonly restored = new Map<string, string>();
  /** Per node namespace: chains flushed by a partial sync, to delete later (name -> when flushed). */
  private readonly stale = new Map<string, Map<string, number>>();
  private routes: Map<string, string> | null = null;
  /** Syncs and stale-chain deletions run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  /** Forget what was written (the namespaces were made again): the next sync is full. */
  reset(): void {
    this.tables.clear();
    this.fragments.clear();
    this.restored.clear();
    this.stale.clear();
    this.routes = null;
  }

  sync(cluster: KubeProxyInput, plan: TopologyPlan): Promise<KubeProxyReport> {
    return this.serially(() => this.syncNow(cluster, plan));
  }

  /** Chains left flushed by partial syncs, per node namespace (for tests and the bench). */
  staleChains(netns: string): string[] {
    return [...(this.stale.get(netns)?.keys() ?? [])].sort();
  }

  /**
   * Deletes the chains partial syncs left flushed, now (`olderThanMs` 0) or those flushed
   * at least that long ago; one transaction per node. A node whose deletion fails is
   * forgotten, so its next sync replaces the table whole.
   */
  deleteStaleChains(olderThanMs = 0): Promise<number> {
    return this.serially(async () => {
      const now = performance.now();
      let deleted = 0;
      await Promise.all([...this.stale].map(async ([netns, chains]) => {
        const due = [...chains].filter(([, at]) => now - at >= olderThanMs).map(([n]) => n);
        if (due.length === 0) return;
        for (const n of due) chains.delete(n);
        try {
          await nftApply(netns, deleteChains('ip', KUBE_PROXY_TABLE, due).render());
          deleted += due.length;
        } catch {
          this.tables.delete(netns);
          this.stale.delete(netns);
        }
      }));
      this.schedule();
      return deleted;
    });
  }

  /** Stops the deletion timer (the chains stay flushed; a later full sync removes them). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** A deletion pass a second after the oldest flushed chain, unless one is due already. */
  private schedule(): void {
    if (this.timer) return;
    let oldest = Infinity;
    for (const chains of this.stale.values()) for (const at of chains.values()) oldest = Math.min(oldest, at);
    if (oldest === Infinity) return;
    const wait = Math.max(0, oldest + STALE_CHAIN_DELAY_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.deleteStaleChains(STALE_CHAIN_DELAY_MS);
    }, wait);
    this.timer.unref();
  }

  private async syncNow(cluster: KubeProxyInput, plan: TopologyPlan): Promise<KubeProxyReport> {
    const start = performance.now();
    const mode = cluster.config.proxyMode;
    const index = buildProxyIndex(cluster);
    const ports = proxiedPorts(index);
    const nodes = plan.namespaces.filter((ns) => ns.role === 'node');
    const live = new Set(nodes.map((n) => n.name));
    for (const k of [...this.tables.keys(), ...this.restored.keys(), ...this.fragments.keys(), ...this.stale.keys()]) {
      if (!live.has(k)) { this.tables.delete(k); this.restored.delete(k); this.fragments.delete(k); this.stale.delete(k); }
    }

    const results = await Promise.allSettled(nodes.map(async (ns): Promise<NodeSync> => {
      const t = performance.now();
      const program = programNode(index, ns.owner, ports);
      if (mode === 'iptables') {
        const text = kubeProxyIptables(program);
        if (this.restored.get(ns.name) === text) return { node: ns.owner, netns: ns.name, kind: 'unchanged', commands: 0, ms: 0 };
        const first = !this.restored.has(ns.name);
        this.restored.delete(ns.name);
        await iptablesRestore(ns.name, text);
        this.restored.set(ns.name, text);
        return { node: ns.owner, netns: ns.name, kind: first ? 'full' : 'partial', commands: text.split('\n').length - 1, ms: performance.now() - t };
      }
      let cache = this.fragments.get(ns.name);
      if (!cache) this.fragments.set(ns.name, (cache = new Map()));
      const table = kubeProxyState(program, cache);
      const prev = this.tables.get(ns.name);
      const tx = prev ? diffKubeProxy(prev, table) : fullSync(assembleTable(table.fixed, table.fragments.values()));
      if (tx.size === 0) return { node: ns.owner, netns: ns.name, kind: 'unchanged', commands: 0, ms: 0 };
      this.tables.delete(ns.name); // until it is known to be applied
      await nftApply(ns.name, tx.render());
      this.tables.set(ns.name, table);
      this.noteStale(ns.name, prev ? staleChains(prev, table) : null, tx);
      return { node: ns.owner, netns: ns.name, kind: prev ? 'partial' : 'full', commands: tx.size, ms: performance.now() - t };
    }));
    this.schedule();
    const routes = await this.syncRoutes(index, plan, cluster.config.loadBalancerPool.text);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return {
      mode, ports: ports.length, routes,
      nodes: results.map((r) => (r as PromiseFulfilledResult<NodeSync>).value),
      ms: performance.now() - start,
    };
  }

  /**
   * After a sync of `netns`: a full sync leaves no stale chain; a partial one adds those it
   * flushed, and takes back those it declared again (a Service or endpoint that returned).
   */
  private noteStale(netns: string, flushed: readonly string[] | null, tx: NftTransaction): void {
    if (flushed === null) {
      this.stale.delete(netns);
      return;
    }
    let chains = this.stale.get(netns);
    if (!chains) this.stale.set(netns, (chains = new Map()));
    for (const c of tx.commands) if (c.kind === 'chain' && c.verb === 'add') chains.delete(c.name);
    const now = performance.now();
    for (const n of flushed) chains.set(n, now);
    if (chains.size === 0) this.stale.delete(netns);
  }

  /** The fabric's routes for LoadBalancer IPs: replaced when they change, removed when they go. */
  private async syncRoutes(index: ReturnType<typeof buildProxyIndex>, plan: TopologyPlan, pool: string): Promise<number> {
    const fabric = plan.namespaces.find((ns) => ns.role === 'fabric');
    if (!fabric) return 0;
    const want = new Map<string, string>();
    const routes = loadBalancerRoutes(index);
    const lines = loadBalancerRouteLines(routes, 'br-nodes');
    routes.forEach((r, i) => want.set(r.vip, lines[i]!));
    let have = this.routes;
    if (have === null) {
      // After a restart: the routes an earlier daemon left in the pool, to delete what is not wanted.
      const r = await runInNetns(fabric.name, 'ip', ['-4', '-o', 'route', 'show', 'root', pool], { allowFailure: true });
      have = new Map();
      for (const line of r.stdout.split('\n')) {
        const m = /^(?:blackhole\s+)?(\d+\.\d+\.\d+\.\d+)(?:\/32)?\s/.exec(line.trim());
        if (m) have.set(m[1]!, '?');
      }
    }
    const batch: string[] = [];
    for (const [vip, line] of want) if (have.get(vip) !== line) batch.push(line);
    for (const vip of have.keys()) if (!want.has(vip)) batch.push(`route del ${vip}/32`);
    this.routes = null;
    if (batch.length > 0) await runInNetns(fabric.name, 'ip', ['-b', '-'], { input: `${batch.join('\n')}\n` });
    this.routes = want;
    return batch.length;
  }
}
