// What `knet trace` answers: one connection followed layer by layer, each step saying
// what was checked and what decided it, ending in `delivered`, `failed` at one layer
// with the reason and the fix, or `unknown` where the answer depends on what knet does
// not model or the input leaves out. Steps are plain data: the JSON output is the steps as-is.
import type { Protocol } from '../model/types.js';

/** The layers a trace can fail at (`failedAt`). */
export type TraceLayer = 'dns' | 'policy' | 'service' | 'pod-network' | 'container' | 'ingress' | 'tls';

export interface StepBase {
  readonly ok: boolean;
  /** What was checked and what decided it, in one line. */
  readonly summary: string;
  /** The evidence, one fact a line (queries, kube-proxy's reasons, rules). */
  readonly details: readonly string[];
  /** Something worth reading although the step passed (a policy not enforced, some endpoints failing). */
  readonly warning: string | null;
  /** The fix, when the step failed. */
  readonly hint: string | null;
  /**
   * Set when knet cannot tell: what decides is not modelled or not in the input (pods an
   * operator makes from a custom resource, a Secret made out of band). With ok false the
   * trace stops there; with ok true it goes on as if it were there, and ends unknown.
   */
  readonly unknown?: true;
}

export interface DnsQueryLine {
  readonly name: string;
  readonly type: string;
  readonly rcode: string;
}

export type TraceStep =
  | (StepBase & {
    readonly layer: 'dns';
    readonly name: string;
    readonly server: string;
    readonly queries: readonly DnsQueryLine[];
    readonly addresses: readonly string[];
  })
  | (StepBase & {
    readonly layer: 'policy';
    readonly direction: 'egress' | 'ingress';
    readonly pod: string; // the pod whose policies decide: the source for egress, the destination for ingress
    readonly enforced: boolean;
    readonly verdict: 'allowed' | 'denied' | 'not-isolated' | 'exempt' | 'unknown'; // unknown: an ipBlock decides, by an address knet does not know
    readonly policy: string | null; // the allowing policy, when one did
    readonly isolatedBy: readonly string[];
  })
  | (StepBase & {
    readonly layer: 'service';
    readonly service: string | null; // `ns/name`
    readonly verdict: 'dnat' | 'reject' | 'drop' | 'none' | 'unknown'; // unknown: whether it has endpoints
    readonly via: string | null; // ClusterIP, NodePort, LoadBalancer, externalIP, ingress-nginx
    readonly node: string | null; // the node whose rules decided
    readonly endpoints: readonly string[]; // `ip:port` candidates
    readonly masquerade: boolean;
    readonly sessionAffinity: { readonly timeoutSeconds: number } | null;
  })
  | (StepBase & {
    readonly layer: 'pod-network';
    readonly from: string; // node name, or 'outside'
    readonly to: string; // node name, or 'outside'
    readonly path: 'same-node' | 'cross-node' | 'leaves-cluster' | 'none';
    readonly mode: 'bridge' | 'routed' | 'overlay' | 'vnet';
    readonly nat: boolean;
  })
  | (StepBase & {
    readonly layer: 'container';
    readonly pod: string;
    readonly port: number;
    readonly protocol: Protocol;
    readonly container: string | null; // the container declaring the port
  })
  | (StepBase & {
    readonly layer: 'ingress';
    readonly ingress: string | null;
    readonly host: string;
    readonly path: string;
    readonly status: number | null; // null: ssl-passthrough, the backend answers
    readonly backend: string | null; // `ns/service:port`
  })
  | (StepBase & {
    readonly layer: 'tls';
    readonly sni: string | null;
    readonly secret: string | null;
    readonly certificate: string | null; // the cert-manager Certificate that writes the Secret
  });

export interface Delivery {
  readonly pod: string | null; // `ns/name`; null outside the cluster or on a node
  readonly node: string | null;
  readonly ip: string;
  readonly port: number;
}

export interface Trace {
  readonly from: string;
  readonly fromAddress: string;
  readonly fromNode: string | null;
  readonly target: string;
  readonly protocol: Protocol;
  /** unknown: the answer depends on what knet does not model or the input leaves out (the reason says what: an address only the upstream DNS knows, another controller's Ingress class, pods an operator makes). */
  readonly verdict: 'delivered' | 'failed' | 'unknown';
  readonly failedAt: TraceLayer | null;
  /** The layer whose answer is unknown (verdict unknown). */
  readonly unknownAt: TraceLayer | null;
  /** One line: where it arrived, or why it did not. */
  readonly reason: string;
  readonly hint: string | null;
  readonly delivered: Delivery | null;
  readonly steps: readonly TraceStep[];
}

/** Why a trace stopped: the failing step's layer, reason and fix. */
export interface Failure {
  readonly layer: TraceLayer;
  readonly reason: string;
  readonly hint: string;
  /** The trace stops because knet cannot tell, not because it fails. */
  readonly unknown?: true;
}

export function failedStep<T extends TraceStep>(step: T): Failure | null {
  if (step.ok) return null;
  return { layer: step.layer, reason: step.summary, hint: step.hint ?? '', ...(step.unknown ? { unknown: true as const } : {}) };
}
