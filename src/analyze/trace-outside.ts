// A trace to a name only the upstream DNS knows (a public name the Cluster object does not
// list): DNS is not the failing layer, the address is unknown. The packet leaves the
// cluster, so egress policy at the source decides, by port where it can: allowed to any
// address (delivered out of the cluster), denied for every outside address (failed at
// policy), or decided by an ipBlock (unknown: it depends on the address).
import { evaluateEgressToUnknownAddress, type UnknownAddressVerdict } from '../core/policy/unknown-address.js';
import { familyOf } from '../model/ip.js';
import type { Protocol } from '../model/types.js';
import { nodeAddress, podRef, type TraceClient, type TraceContext } from './trace-context.js';
import { matchLabelsText, stableLabels } from './trace-policy.js';
import type { TraceLayer, TraceStep } from './trace-types.js';

type PolicyStep = Extract<TraceStep, { layer: 'policy' }>;

export interface OutsideOutcome {
  readonly steps: readonly TraceStep[];
  readonly verdict: 'delivered' | 'failed' | 'unknown';
  readonly failedAt: TraceLayer | null;
  /** The layer whose answer is unknown: dns (a server knet does not model, or a public name from outside), policy (an ipBlock decides). */
  readonly unknownAt: TraceLayer | null;
  readonly reason: string;
  readonly hint: string | null;
}

/** Why the address is unknown, from the DNS step: the upstream's answer, or a nameserver outside the model. */
export type UnknownAnswer = { readonly kind: 'upstream' } | { readonly kind: 'foreign-server'; readonly server: string };

export function traceToUnknownAddress(
  ctx: TraceContext, client: TraceClient, host: string, port: number, protocol: Protocol, answer: UnknownAnswer,
): OutsideOutcome {
  const listIt = `list it in the Cluster object's external.records (external: {records: [{name: ${host}, a: [ADDRESS]}]}) for a definite answer`;
  if (answer.kind === 'foreign-server') {
    return {
      steps: [], verdict: 'unknown', failedAt: null, unknownAt: 'dns',
      reason: `depends on what the nameserver ${answer.server} answers for ${host}: knet does not model that server`,
      hint: null,
    };
  }
  if (client.kind === 'external') {
    return {
      steps: [], verdict: 'unknown', failedAt: null, unknownAt: 'dns',
      reason: `${host} is a public name knet does not know (not among the Cluster object's external records, and no Ingress publishes it): where it leads is outside the model`,
      hint: `if it should reach this cluster, point its DNS at the ingress controller's address; ${listIt}`,
    };
  }
  const steps: TraceStep[] = [];
  const egress = client.pod ? egressToUnknown(ctx, client, host, port, protocol) : null;
  if (egress) steps.push(egress.step);
  const leaves = leavesCluster(ctx, client);
  if (egress?.verdict.kind === 'denied' && egress.step.ok === false) {
    return { steps, verdict: 'failed', failedAt: 'policy', unknownAt: null, reason: egress.step.summary, hint: egress.step.hint };
  }
  if (leaves) steps.push(leaves);
  if (egress?.verdict.kind === 'depends' && egress.step.ok && egress.step.enforced) {
    return { steps, verdict: 'unknown', failedAt: null, unknownAt: 'policy', reason: egress.step.summary, hint: `knet does not know ${host}'s address: ${listIt}` };
  }
  const from = client.node ? ` from node ${client.node}` : '';
  return {
    steps, verdict: 'delivered', failedAt: null, unknownAt: null,
    reason: `leaves the cluster${from} for ${host}:${port}/${protocol} (resolved upstream, address unknown to knet): nothing in the cluster stops it`,
    hint: steps.map((s) => s.warning).find((w): w is string => w !== null) ?? null,
  };
}

function egressToUnknown(ctx: TraceContext, client: TraceClient, host: string, port: number, protocol: Protocol): { step: PolicyStep; verdict: UnknownAddressVerdict } {
  const pod = client.pod!;
  const families = pod.status.podIPs.length ? [...new Set(pod.status.podIPs.map(familyOf))] : [4 as const];
  const v = evaluateEgressToUnknownAddress(ctx.policies, pod, { port, protocol }, families);
  const enforced = ctx.enforcement.kind === 'enforced';
  const ref = podRef(pod);
  const what = `${ref} -> ${host} (address unknown) ${port}/${protocol}`;
  const base = { layer: 'policy' as const, direction: 'egress' as const, pod: ref, enforced, policy: null, isolatedBy: [] as string[], details: [what], warning: null, hint: null };
  const notEnforced = enforced ? '' : `, though ${ctx.enforcement.cni} enforces nothing`;
  switch (v.kind) {
    case 'not-isolated':
      return { verdict: v, step: { ...base, ok: true, verdict: 'not-isolated', summary: `egress open: no NetworkPolicy selects ${ref} for egress` } };
    case 'allowed':
      return {
        verdict: v,
        step: {
          ...base, ok: true, verdict: 'allowed', policy: v.by,
          summary: `egress allowed by NetworkPolicy ${v.by} (spec.egress[${v.rule}]) to ${v.publicOnly ? 'every public address' : 'any address'} on ${port}/${protocol}, whatever ${host} resolves to${notEnforced}`,
          details: v.publicOnly ? [what, `the rule excepts only private and special ranges: a public name's address is allowed unless its DNS hands out such an address`] : [what],
        },
      };
    case 'depends': {
      const blocks = v.blocks.map((b) => `${b.block} (${b.by} spec.egress[${b.rule}])`).join(', ');
      const summary = `depends on the address ${host} resolves to: ${ref} is isolated for egress by ${v.isolatedBy.join(', ')}, which allow ${port}/${protocol} only to ${blocks}`;
      return {
        verdict: v,
        step: {
          ...base, ok: true, verdict: 'unknown', isolatedBy: v.isolatedBy, summary: enforced ? summary : `egress not enforced: ${ctx.enforcement.cni} implements no NetworkPolicy`,
          details: enforced ? [what] : [what, `if enforced: ${summary}`],
          warning: enforced ? null : `if enforced, it would depend on the address ${host} resolves to`,
        },
      };
    }
    case 'denied': {
      const denial = `${ref} is isolated for egress by ${v.isolatedBy.join(', ')}, and no egress rule of theirs allows an address outside the cluster on ${port}/${protocol}`;
      const rule = `egress: [{to: [{ipBlock: {cidr: ${families.includes(6) && !families.includes(4) ? '::/0' : '0.0.0.0/0'}}}], ports: [{protocol: ${protocol}, port: ${port}}]}]`;
      if (!enforced) {
        return {
          verdict: v,
          step: { ...base, ok: true, verdict: 'denied', isolatedBy: v.isolatedBy, summary: `egress not enforced: ${ctx.enforcement.cni} implements no NetworkPolicy`, details: [what, `if enforced: ${denial}`], warning: `the policies would deny this: ${denial}; they do nothing with ${ctx.enforcement.cni}` },
        };
      }
      return {
        verdict: v,
        step: {
          ...base, ok: false, verdict: 'denied', isolatedBy: v.isolatedBy, summary: `egress denied: ${denial}`,
          hint: `allow it in a NetworkPolicy of namespace ${pod.meta.namespace} selecting ${matchLabelsText(stableLabels(pod.meta.labels))}: ${rule} (narrow the cidr to ${host}'s addresses if you know them)`,
        },
      };
    }
  }
}

function leavesCluster(ctx: TraceContext, client: TraceClient): TraceStep | null {
  if (client.node === null) return null;
  const onPodNetwork = client.pod !== null && !client.pod.spec.hostNetwork;
  return {
    layer: 'pod-network', ok: true, from: client.node, to: 'outside', path: 'leaves-cluster', mode: 'routed', nat: onPodNetwork,
    summary: onPodNetwork
      ? `leaves the cluster from node ${client.node}: source NAT to the node's address ${nodeAddress(ctx, client.node) ?? ''} (pod addresses are not routed outside)`
      : `leaves the cluster from node ${client.node}`,
    details: [], warning: null, hint: null,
  };
}
