// `knet matrix`: pod-to-pod reachability for one port and protocol, to each destination
// pod's IP. Computed over classes of pods no policy can tell apart, expanded to pods only
// when a cell is read. Says when the network does not enforce policies at all, and adds
// unknown rows for pods knet cannot list (a Service's pods an operator would make).
import type { CniMode, Namespace, NetworkPolicy, Pod, Protocol } from '../model/types.js';
import { policyEnforcement, type Enforcement } from '../core/policy/enforcement.js';
import { PolicyIndex } from '../core/policy/evaluate.js';
import { namespaceLabelMap } from '../core/policy/peer.js';
import type { Traffic } from '../core/policy/verdict.js';
import { computeClassMatrix, type ClassMatrix } from './class-matrix.js';
import { classifyPods, type Classification } from './pod-classes.js';
import { compareText } from '../model/order.js';

/** What the matrix reads from a cluster (a filled-in `Cluster` has all of it). */
export interface MatrixInput {
  readonly config: { readonly cni: CniMode };
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly networkPolicies: readonly NetworkPolicy[];
}

export interface MatrixOptions {
  readonly port: number;
  readonly protocol: Protocol;
  readonly namespace?: string; // only pods of this namespace, as sources and destinations
  readonly assumeEnforced?: boolean; // evaluate the policies even where the network ignores them
  readonly unknownPods?: readonly UnknownPods[]; // pods knet cannot list: cells to and from them are unknown
}

/**
 * Pods knet cannot list, standing in for the pods of a Service whose selector matches no pod
 * knet knows while something it does not model (or the input leaves out) may make them.
 */
export interface UnknownPods {
  readonly ref: string; // `ns/service?`, the row and column label
  readonly namespace: string;
  readonly service: string; // `ns/name`
  readonly reason: string;
}

export interface PodMatrix {
  readonly traffic: Traffic;
  readonly enforcement: Enforcement;
  /** Whether cells reflect the policies: enforced by the network, or assumed to be. */
  readonly policiesApplied: boolean;
  readonly policyCount: number;
  readonly pods: readonly Pod[];
  readonly refs: readonly string[];
  readonly classCount: number;
  /** Extra rows and columns after the pods', every cell of them unknown. */
  readonly unknownPods: readonly UnknownPods[];
  allowed(from: number, to: number): boolean;
}

/** Pods that hold an address: running pods with a pod IP (or their node's, for hostNetwork). */
export function matrixPods(pods: readonly Pod[], namespace?: string): Pod[] {
  return pods
    .filter((p) => p.status.podIPs.length > 0 && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed')
    .filter((p) => !namespace || p.meta.namespace === namespace)
    .sort((a, b) => compareText(a.meta.namespace, b.meta.namespace) || compareText(a.meta.name, b.meta.name));
}

export function buildMatrix(input: MatrixInput, opts: MatrixOptions): PodMatrix {
  const traffic: Traffic = { port: opts.port, protocol: opts.protocol };
  const enforcement = policyEnforcement(input.config.cni);
  const policiesApplied = enforcement.kind === 'enforced' || opts.assumeEnforced === true;
  const pods = matrixPods(input.pods, opts.namespace);
  const refs = pods.map((p) => `${p.meta.namespace}/${p.meta.name}`);
  const unknownPods = (opts.unknownPods ?? []).filter((u) => !opts.namespace || u.namespace === opts.namespace);
  const base = { traffic, enforcement, policiesApplied, policyCount: input.networkPolicies.length, pods, refs, unknownPods };
  if (!policiesApplied) return { ...base, classCount: 1, allowed: () => true };

  const index = new PolicyIndex(input.networkPolicies);
  const labels = namespaceLabelMap(input.namespaces);
  const classes = classifyPods(pods, labels, index, traffic);
  const matrix = computeClassMatrix(classes, index, traffic);
  return { ...base, classCount: classes.classes.length, allowed: cellReader(pods, classes, matrix) };
}

/**
 * Cells from class rows, with the two exemptions no policy can override: a pod reaching
 * itself, and a hostNetwork pod (its node) talking to a pod on the same node.
 */
function cellReader(pods: readonly Pod[], cls: Classification, m: ClassMatrix): (from: number, to: number) => boolean {
  return (from, to) => {
    if (from === to) return true;
    const a = pods[from]!;
    const b = pods[to]!;
    if (a.spec.hostNetwork !== b.spec.hostNetwork && a.spec.nodeName !== '' && a.spec.nodeName === b.spec.nodeName) return true;
    return m.rows[cls.classOf[from]!]!.has(cls.classOf[to]!);
  };
}
