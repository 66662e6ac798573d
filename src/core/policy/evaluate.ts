// The NetworkPolicy v1 decision for one connection: which policies select each end, whether
// they isolate it for the direction, and which rule (if any) allows the traffic. Allowed
// traffic is the union of every rule of every selecting policy; there is no deny rule.
import { matchesSelector } from '../../model/labels.js';
import type { NetworkPolicy, Pod } from '../../model/types.js';
import { compilePolicy, type CompiledPolicy } from './compile.js';
import { rulePeersMatch, rulePortsMatch } from './match.js';
import { destinationPod, type Peer } from './peer.js';
import type { FlowVerdict, PolicyDirection, Traffic, Verdict } from './verdict.js';
import { compareText } from '../../model/order.js';

const NOT_ISOLATED: Verdict = { kind: 'not-isolated' };

/** Policies compiled once, by namespace, in a stable order (name), so verdicts are deterministic. */
export class PolicyIndex {
  readonly policies: readonly CompiledPolicy[];
  private readonly byNamespace = new Map<string, CompiledPolicy[]>();

  constructor(policies: readonly NetworkPolicy[]) {
    this.policies = policies.map(compilePolicy).sort((a, b) => compareText(a.ref, b.ref));
    for (const p of this.policies) {
      const list = this.byNamespace.get(p.namespace);
      if (list) list.push(p);
      else this.byNamespace.set(p.namespace, [p]);
    }
  }

  inNamespace(ns: string): readonly CompiledPolicy[] {
    return this.byNamespace.get(ns) ?? [];
  }

  namespacesWithPolicies(): IterableIterator<string> {
    return this.byNamespace.keys();
  }

  /**
   * The policies that isolate a pod for a direction: those of its namespace whose
   * podSelector matches it and whose policyTypes list the direction. A policy never
   * reaches outside its namespace; hostNetwork pods are never selected.
   */
  isolating(pod: Pod, direction: PolicyDirection): CompiledPolicy[] {
    if (pod.spec.hostNetwork) return [];
    const out: CompiledPolicy[] = [];
    for (const p of this.inNamespace(pod.meta.namespace)) {
      if (p.isolates[direction] && matchesSelector(p.podSelector, pod.meta.labels)) out.push(p);
    }
    return out;
  }
}

/**
 * The verdict for one direction at one pod: `subject` is the destination for Ingress and
 * the source for Egress; `other` is the far end; named ports resolve on `destination`.
 */
export function evaluateDirection(
  index: PolicyIndex, direction: PolicyDirection, subject: Pod, other: Peer, traffic: Traffic, destination: Pod | null,
): Verdict {
  const isolating = index.isolating(subject, direction);
  if (isolating.length === 0) return NOT_ISOLATED;
  for (const p of isolating) {
    const rules = direction === 'Ingress' ? p.ingress : p.egress;
    for (const r of rules) {
      if (rulePeersMatch(r, p.namespace, other) && rulePortsMatch(r, traffic, destination)) {
        return { kind: 'allowed', by: p.ref, rule: r.index };
      }
    }
  }
  return { kind: 'denied', isolatedBy: isolating.map((p) => p.ref) };
}

export function evaluateIngress(index: PolicyIndex, destination: Pod, source: Peer, traffic: Traffic): Verdict {
  return evaluateDirection(index, 'Ingress', destination, source, traffic, destination);
}

export function evaluateEgress(index: PolicyIndex, source: Pod, destination: Peer, traffic: Traffic): Verdict {
  return evaluateDirection(index, 'Egress', source, destination, traffic, destinationPod(destination));
}

/**
 * A connection from `source` to `destination`: egress is decided at the source pod,
 * ingress at the destination pod, and both must allow. Nodes, hostNetwork pods and
 * outside addresses are not policed at their own end.
 */
export function evaluateFlow(index: PolicyIndex, source: Peer, destination: Peer, traffic: Traffic): FlowVerdict {
  const egress = source.kind === 'pod' ? evaluateEgress(index, source.pod, destination, traffic) : NOT_ISOLATED;
  const ingress = destination.kind === 'pod' ? evaluateIngress(index, destination.pod, source, traffic) : NOT_ISOLATED;
  if (source.kind !== 'external' && destination.kind !== 'external' && source.pod && source.pod === destination.pod) {
    return { kind: 'exempt', reason: 'same-pod', egress, ingress };
  }
  if (sameNode(source, destination)) return { kind: 'exempt', reason: 'own-node', egress, ingress };
  const allowed = egress.kind !== 'denied' && ingress.kind !== 'denied';
  return { kind: allowed ? 'allowed' : 'denied', egress, ingress };
}

/** A node (or hostNetwork pod) and a pod running on that node. */
function sameNode(a: Peer, b: Peer): boolean {
  const nodeOf = (p: Peer): string => (p.kind === 'pod' ? p.pod.spec.nodeName : '');
  if (a.kind === 'host' && b.kind === 'pod') return a.node !== '' && a.node === nodeOf(b);
  if (b.kind === 'host' && a.kind === 'pod') return b.node !== '' && b.node === nodeOf(a);
  return false;
}
