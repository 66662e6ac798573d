// Scheduling, simplified but faithful where networking cares: nodeName binds, nodeSelector
// and NoSchedule taints filter, maxPods (110) caps, and the rest is spread to the node
// with the fewest pods (lowest index on ties), so the result is deterministic.
import type { Issue } from '../model/issue.js';
import { matchesLabelMap } from '../model/labels.js';
import type { Node, Pod } from '../model/types.js';
import { issueAt, objectLabel } from './issues.js';

export const MAX_PODS_PER_NODE = 110;

export function canRunOn(pod: Pod, node: Node): boolean {
  if (node.unschedulable && !pod.spec.nodeName) return false;
  if (!matchesLabelMap(pod.spec.nodeSelector, node.meta.labels)) return false;
  for (const t of node.taints) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    const tolerated = pod.spec.tolerations.some(
      (tol) => (tol.operator === 'Exists' && (!tol.key || tol.key === t.key)) || (tol.key === t.key && tol.value === t.value),
    );
    if (!tolerated) return false;
  }
  return true;
}

/**
 * Binary min-heap over node indexes, ordered by (pod count, index). Heaps of different pod
 * kinds (plain, nodeSelector, tolerations) share the counts; a heap rebuilds itself when
 * another one has placed a pod since its last take, so its order is never stale.
 */
class LeastLoaded {
  private heap: number[] = [];
  private seen = -1;
  constructor(private readonly counts: number[], private readonly members: readonly number[], private readonly clock: { epoch: number }) {}
  private less(a: number, b: number): boolean {
    return this.counts[a]! < this.counts[b]! || (this.counts[a] === this.counts[b] && a < b);
  }
  private push(i: number): void {
    const h = this.heap;
    h.push(i);
    let k = h.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.less(h[k]!, h[p]!)) break;
      [h[k], h[p]] = [h[p]!, h[k]!];
      k = p;
    }
  }
  /** Takes the least-loaded node with room, counts the pod on it, and returns its index. */
  take(): number | undefined {
    if (this.seen !== this.clock.epoch) {
      this.heap = [];
      for (const m of this.members) this.push(m);
    }
    const h = this.heap;
    while (h.length > 0) {
      const top = h[0]!;
      if (this.counts[top]! >= MAX_PODS_PER_NODE) {
        const last = h.pop()!;
        if (h.length > 0) {
          h[0] = last;
          this.sift(0);
        }
        continue;
      }
      this.counts[top]!++;
      this.sift(0);
      this.seen = ++this.clock.epoch;
      return top;
    }
    return undefined;
  }
  private sift(k: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === k) return;
      [h[k], h[m]] = [h[m]!, h[k]!];
      k = m;
    }
  }
}

/** Returns each pod's node name ('' when it cannot be scheduled: it stays Pending). */
export function schedulePods(pods: readonly Pod[], nodes: readonly Node[], issues: Issue[]): string[] {
  const index = new Map(nodes.map((n, i) => [n.meta.name, i]));
  const counts = nodes.map(() => 0);
  const result: string[] = new Array(pods.length).fill('');
  // Bound pods first: they take their place whatever the spreading would say.
  pods.forEach((p, i) => {
    if (!p.spec.nodeName) return;
    const n = index.get(p.spec.nodeName);
    if (n === undefined) {
      issues.push(issueAt(p, ['spec', 'nodeName'], 'unknown-node', 'error',
        `pod is bound to node "${p.spec.nodeName}", which does not exist`,
        `use one of: ${nodes.slice(0, 5).map((x) => x.meta.name).join(', ')}${nodes.length > 5 ? ', ...' : ''}; or remove nodeName`));
      return;
    }
    counts[n]!++;
    result[i] = p.spec.nodeName;
  });
  const plainNodes = nodes.map((_, i) => i).filter((i) => !nodes[i]!.unschedulable && nodes[i]!.taints.every((t) => t.effect === 'PreferNoSchedule'));
  const clock = { epoch: 0 };
  const plainHeap = new LeastLoaded(counts, plainNodes, clock);
  const heaps = new Map<string, LeastLoaded>();
  pods.forEach((p, i) => {
    if (p.spec.nodeName) return;
    if (p.raw !== null && p.status.phase === 'Pending') {
      // A dump's Pending pod without a node: the cluster's scheduler did not place it; neither does knet.
      issues.push({
        ...issueAt(p, ['status', 'phase'], 'unschedulable-in-input', 'info', 'the input shows the pod Pending on no node: knet leaves it unscheduled, with no IP, as the cluster has it',
          'kubectl describe pod on the cluster says why the scheduler has not placed it (its PodScheduled condition)'),
        object: objectLabel(p),
      });
      return;
    }
    const restricted = Object.keys(p.spec.nodeSelector).length > 0 || p.spec.tolerations.length > 0;
    let heap = plainHeap;
    if (restricted) {
      const key = JSON.stringify([p.spec.nodeSelector, p.spec.tolerations]);
      heap = heaps.get(key)!;
      if (!heap) {
        heap = new LeastLoaded(counts, nodes.map((_, k) => k).filter((k) => canRunOn(p, nodes[k]!)), clock);
        heaps.set(key, heap);
      }
    }
    const n = heap.take();
    if (n === undefined) {
      const why = nodes.some((node) => canRunOn(p, node))
        ? `every eligible node already runs ${MAX_PODS_PER_NODE} pods`
        : Object.keys(p.spec.nodeSelector).length > 0
          ? `no node matches nodeSelector ${JSON.stringify(p.spec.nodeSelector)}`
          : 'every node is tainted or unschedulable';
      issues.push({
        ...issueAt(p, ['spec'], 'unschedulable', 'warning', `0/${nodes.length} nodes are available: ${why}; the pod stays Pending with no IP`,
          'add nodes (Cluster.nodes), relax the nodeSelector, or add a toleration'),
        object: objectLabel(p),
      });
      return;
    }
    result[i] = nodes[n]!.meta.name;
  });
  return result;
}
