// NetworkPolicy problems: a default-deny egress that takes DNS away (checked with the
// evaluator: can each isolated pod reach a kube-dns endpoint on 53/UDP?), policies that
// select no pod, peers that match nothing, and policies the network does not enforce.
import { issueAt } from '../cluster/issues.js';
import { resolvConfOf } from '../core/dns/pod-dns.js';
import { matchesSelector, formatSelector } from '../model/labels.js';
import type { Issue } from '../model/issue.js';
import type { NetworkPolicy, Pod, PolicyPeer } from '../model/types.js';
import { blockingPolicy, dnsConnection, dnsEgressHint } from './trace-dns.js';
import { plural, podClient, podRef, type TraceContext } from './trace-context.js';
import { namespacesUnknown, policyPodsUnknown } from './unmodelled.js';

export function policyFindings(ctx: TraceContext): Issue[] {
  const out: Issue[] = [];
  const policies = ctx.cluster.networkPolicies;
  if (policies.length === 0) return out;
  if (ctx.enforcement.kind === 'not-enforced') {
    const c = ctx.cluster.config;
    out.push({
      code: 'policy-not-enforced', severity: 'warning', layer: 'policy',
      ...(c.raw ? c.raw.locate(['networking', 'cni']) : { file: '', line: 0, col: 0 }),
      object: `Cluster ${c.name}`, field: 'networking.cni',
      message: `${plural(policies.length, 'NetworkPolicy', 'NetworkPolicies')} (${policies.slice(0, 3).map((p) => `${p.meta.namespace}/${p.meta.name}`).join(', ')}${policies.length > 3 ? ', ...' : ''}), but ${ctx.enforcement.why}: every pod still reaches every pod`,
      hint: 'use a network plugin that enforces policies (calico, azure with network policy, cilium), or run a policy agent beside flannel (Canal)',
    });
  }
  for (const p of policies) {
    if (ctx.cluster.podIndex.selectBy(p.meta.namespace, p.podSelector).length === 0) {
      // cert-manager's HTTP-01 solver pods exist only while a certificate is issued:
      // a policy made for them selecting nothing now is expected, not a mistake.
      const forSolvers = p.podSelector.requirements.some((r) => r.key === SOLVER_LABEL);
      // Pods an unmodelled object makes (an operator's custom resource), or pods of a cluster
      // the manifests are only part of: unknown, a note.
      const unknown = forSolvers ? null : policyPodsUnknown(ctx.cluster, [p.meta.namespace], p.podSelector);
      out.push(issueAt(p, ['spec', 'podSelector'], 'policy-selects-no-pods', forSolvers || unknown ? 'info' : 'warning',
        forSolvers
          ? `NetworkPolicy ${p.meta.namespace}/${p.meta.name} selects no pod now: it is for cert-manager's HTTP-01 solver pods, which exist only while a certificate is being issued`
          : unknown
            ? `NetworkPolicy ${p.meta.namespace}/${p.meta.name} selects no pod knet knows (podSelector ${formatSelector(p.podSelector)}): ${unknown.reason}`
            : `NetworkPolicy ${p.meta.namespace}/${p.meta.name} selects no pod (podSelector ${formatSelector(p.podSelector)} in namespace ${p.meta.namespace}): it does nothing`,
        forSolvers
          ? 'nothing to do; it lets the ingress controller reach the solver during issuance'
          : unknown?.hint ?? `compare the podSelector with the pods' labels: kubectl get pods -n ${p.meta.namespace} --show-labels`));
    }
    out.push(...peerFindings(ctx, p));
  }
  if (ctx.enforcement.kind === 'enforced') out.push(...dnsLoss(ctx));
  return out;
}

const SOLVER_LABEL = 'acme.cert-manager.io/http01-solver';

function peerFindings(ctx: TraceContext, p: NetworkPolicy): Issue[] {
  const out: Issue[] = [];
  const check = (dir: 'ingress' | 'egress', ri: number, pi: number, peer: PolicyPeer) => {
    if (!peer.podSelector && !peer.namespaceSelector) return;
    const namespaces = peer.namespaceSelector
      ? ctx.cluster.namespaces.filter((n) => matchesSelector(peer.namespaceSelector!, n.meta.labels)).map((n) => n.meta.name)
      : [p.meta.namespace];
    const key = dir === 'ingress' ? 'from' : 'to';
    const path = ['spec', dir, ri, key, pi];
    if (peer.namespaceSelector && namespaces.length === 0) {
      const unknown = namespacesUnknown(ctx.cluster, peer.namespaceSelector);
      out.push(issueAt(p, [...path, 'namespaceSelector'], 'policy-peer-matches-nothing', unknown ? 'info' : 'warning',
        `spec.${dir}[${ri}].${key}[${pi}] of NetworkPolicy ${p.meta.namespace}/${p.meta.name}: namespaceSelector ${formatSelector(peer.namespaceSelector)} matches no namespace${unknown ? ` knet knows: ${unknown.reason}` : ', so the rule allows nothing'}`,
        unknown?.hint ?? 'every namespace has the label kubernetes.io/metadata.name: NAME; select on it, or label the namespaces'));
      return;
    }
    if (!peer.podSelector) return;
    const any = namespaces.some((ns) => ctx.cluster.podIndex.selectBy(ns, peer.podSelector!).length > 0);
    if (!any) {
      const unknown = policyPodsUnknown(ctx.cluster, namespaces, peer.podSelector);
      out.push(issueAt(p, [...path, 'podSelector'], 'policy-peer-matches-nothing', unknown ? 'info' : 'warning',
        unknown
          ? `spec.${dir}[${ri}].${key}[${pi}] of NetworkPolicy ${p.meta.namespace}/${p.meta.name}: podSelector ${formatSelector(peer.podSelector)} matches no pod knet knows in ${namespaces.join(', ')}: ${unknown.reason}`
          : `spec.${dir}[${ri}].${key}[${pi}] of NetworkPolicy ${p.meta.namespace}/${p.meta.name}: podSelector ${formatSelector(peer.podSelector)} matches no pod in ${namespaces.join(', ')}, so the rule allows nothing`,
        unknown ? unknown.hint :
        peer.namespaceSelector ? 'compare the selector with the pods\' labels' : `a podSelector alone selects pods of the policy's own namespace (${p.meta.namespace}); add a namespaceSelector for pods elsewhere`));
    }
  };
  p.ingress.forEach((r, ri) => r.peers.forEach((peer, pi) => check('ingress', ri, pi, peer)));
  p.egress.forEach((r, ri) => r.peers.forEach((peer, pi) => check('egress', ri, pi, peer)));
  return out;
}

/** Pods isolated for egress whose DNS query to kube-dns is denied, grouped by the policies isolating them. */
function dnsLoss(ctx: TraceContext): Issue[] {
  const groups = new Map<NetworkPolicy, Pod[]>();
  for (const pod of ctx.cluster.pods) {
    if (pod.spec.hostNetwork || pod.status.phase !== 'Running' || !pod.status.podIPs[0]) continue;
    const isolating = ctx.policies.isolating(pod, 'Egress');
    if (isolating.length === 0) continue;
    const server = resolvConfOf(ctx.cluster, pod).conf.nameservers[0];
    if (!server || dnsConnection(ctx, podClient(ctx, pod), server).ok) continue;
    // Name the policy that isolates without allowing anything (the default deny), else the first.
    const culprit = blockingPolicy(ctx, isolating.map((c) => c.ref))!;
    const list = groups.get(culprit);
    if (list) list.push(pod);
    else groups.set(culprit, [pod]);
  }
  const out: Issue[] = [];
  for (const [policy, pods] of groups) {
    const names = pods.map(podRef).sort();
    const dns = ctx.cluster.config.clusterDNS[0] ?? 'kube-dns';
    out.push({
      ...issueAt(policy, ['spec', 'policyTypes'], 'dns-egress-blocked', 'error',
        `NetworkPolicy ${policy.meta.namespace}/${policy.meta.name} isolates egress and no policy allows DNS: ${plural(names.length, 'pod loses', 'pods lose')} DNS (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}); their queries to kube-dns ${dns}:53/UDP are dropped`,
        dnsEgressHint(policy)),
      layer: 'dns',
    });
  }
  return out;
}
