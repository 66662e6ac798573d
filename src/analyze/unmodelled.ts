// What knet does not know, said as unknown rather than wrong: pods that an object knet keeps
// but does not model may make (an operator's Prometheus makes a StatefulSet of its own), and
// pods that manifests leave out (a documentation snippet's Service). A dump is the cluster:
// there, a selector matching no pod is the truth.
import { isStored } from '../model/stored.js';
import { DEFAULTS_FILE } from '../cluster/defaults.js';
import type { Cluster } from '../cluster/fill-in.js';
import type { Selector } from '../model/labels.js';
import type { OtherObject, OwnerRef } from '../model/types.js';
import { compareText } from '../model/order.js';

type Labels = Readonly<Record<string, string>>;

/** API groups of Kubernetes itself: their kinds that knet does not model make no pods (RBAC, CRDs, PDBs...). */
const KUBERNETES_GROUP = /(^|\.)k8s\.io$|^(apps|batch|policy|autoscaling|extensions)$|^$/;

/** Owner kinds knet models: their pods are made (or given) already. */
const MODELLED_OWNERS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController', 'Node', 'Pod']);

/** An object knet keeps but does not model that may make pods. */
export interface PodMaker {
  readonly kind: string;
  readonly ref: string; // `ns/name`
  readonly labels: Labels;
}

/** Why the answer is unknown, in one line, and what settles it. */
export interface Unknown {
  readonly reason: string;
  readonly hint: string;
}

/**
 * Kept objects in a namespace that may make pods knet cannot see: custom resources (an
 * operator's Prometheus or Alertmanager), and the owners that objects of the namespace name
 * but knet does not model (a CronJob, an operator's resource left out of the input).
 */
export function unmodelledPodMakers(cluster: Cluster, namespace: string): readonly PodMaker[] {
  let byNamespace = MAKERS.get(cluster);
  if (!byNamespace) {
    // Indexed once per cluster: asked once per Service, policy and peer.
    byNamespace = indexMakers(cluster);
    MAKERS.set(cluster, byNamespace);
  }
  return byNamespace.get(namespace) ?? [];
}

const MAKERS = new WeakMap<Cluster, Map<string, PodMaker[]>>();

function indexMakers(cluster: Cluster): Map<string, PodMaker[]> {
  const byNamespace = new Map<string, PodMaker[]>();
  const seen = new Set<string>();
  const add = (ns: string, m: PodMaker) => {
    const key = `${m.kind}|${m.ref}`;
    if (seen.has(key)) return;
    seen.add(key);
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), m]);
  };
  for (const o of cluster.others) {
    if (o.meta.namespace && makesPods(o)) add(o.meta.namespace, { kind: o.kind, ref: `${o.meta.namespace}/${o.meta.name}`, labels: o.meta.labels });
  }
  const owned = [...cluster.services, ...cluster.workloads, ...cluster.pods, ...cluster.others];
  for (const o of owned) {
    for (const r of o.meta.ownerReferences) if (!MODELLED_OWNERS.has(r.kind)) add(o.meta.namespace, ownerMaker(o.meta.namespace, r));
  }
  return byNamespace;
}

function ownerMaker(namespace: string, r: OwnerRef): PodMaker {
  return { kind: r.kind, ref: `${namespace}/${r.name}`, labels: {} };
}

function makesPods(o: OtherObject): boolean {
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : o.apiVersion.slice(0, slash);
  return !KUBERNETES_GROUP.test(group);
}

/**
 * The makers most likely to make pods labelled `selector` first: those whose own labels
 * carry the selector's pairs (kube-prometheus labels its Prometheus as its pods), then those
 * whose kind or name the selector's values mention.
 */
export function likelyMakers(makers: readonly PodMaker[], selector: Labels): PodMaker[] {
  const values = Object.values(selector).map((v) => v.toLowerCase());
  const score = (m: PodMaker): number => {
    const name = m.ref.slice(m.ref.indexOf('/') + 1).toLowerCase();
    return Object.entries(selector).filter(([k, v]) => m.labels[k] === v).length * 4 +
      (values.some((v) => v.includes(m.kind.toLowerCase())) ? 2 : 0) + (values.includes(name) ? 1 : 0);
  };
  return makers.map((m, i) => ({ m, i, s: score(m) })).sort((a, b) => b.s - a.s || a.i - b.i).map((x) => x.m);
}

/** `Prometheus monitoring/k8s, ServiceMonitor monitoring/a and 2 more`. */
export function namedMakers(makers: readonly PodMaker[]): string {
  const named = makers.slice(0, 3).map((o) => `${o.kind} ${o.ref}`).join(', ');
  return makers.length > 3 ? `${named} and ${makers.length - 3} more` : named;
}

export function labelsText(selector: Labels): string {
  return Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
}

/**
 * Whether the input is a dump of a real cluster: its objects carry what only the API server
 * writes (model/stored.ts: uid, resourceVersion, creationTimestamp, or a status). Then it is the truth.
 */
export function inputIsDump(cluster: Cluster): boolean {
  let known = DUMP.get(cluster);
  if (known === undefined) {
    known = [...cluster.pods, ...cluster.services, ...cluster.workloads, ...cluster.namespaces].some((o) => o.raw?.file !== DEFAULTS_FILE && isStored(o.raw));
    DUMP.set(cluster, known);
  }
  return known;
}

const DUMP = new WeakMap<Cluster, boolean>();

/** A dump that holds pods of the namespace: the pods there are all there are. */
function dumpListsPods(cluster: Cluster, namespace: string): boolean {
  return inputIsDump(cluster) && cluster.podIndex.inNamespace(namespace).some((p) => p.raw !== null && p.raw.file !== DEFAULTS_FILE);
}

/**
 * Manifests that are a slice of a cluster: not a dump, and some namespace their objects use
 * has no Namespace object among them (a chart installed into an existing namespace, a
 * documentation snippet in default). Pods and namespaces they select may be elsewhere.
 */
export function inputIsSlice(cluster: Cluster): boolean {
  if (inputIsDump(cluster)) return false;
  const given = (o: { readonly raw: { readonly file: string } | null }): boolean => o.raw !== null && o.raw.file !== DEFAULTS_FILE;
  const declared = new Set(cluster.namespaces.filter(given).map((n) => n.meta.name));
  const used = [...cluster.services, ...cluster.workloads, ...cluster.networkPolicies, ...cluster.ingresses, ...cluster.pods]
    .filter(given).map((o) => o.meta.namespace);
  return used.some((ns) => ns !== '' && !declared.has(ns));
}

/**
 * A pod of the namespace whose labels come close to the selector: all pairs match but one,
 * and that one is a value a prefix or an edit or two away under the same key (app=api vs
 * app=api-server), the same value under another key, or a key the pod lacks beside other
 * pairs it has. Such a pod says the selector has a typo, not that its pods live elsewhere.
 */
export function nearMissPod(cluster: Cluster, namespace: string, selector: Labels): boolean {
  const pairs = Object.entries(selector);
  for (const p of cluster.podIndex.inNamespace(namespace)) {
    const off = pairs.filter(([k, v]) => p.meta.labels[k] !== v);
    if (off.length !== 1) continue;
    const [k, v] = off[0]!;
    const have = p.meta.labels[k];
    if (have !== undefined ? similar(have, v) : pairs.length > 1 || Object.values(p.meta.labels).includes(v)) return true;
  }
  return false;
}

function similar(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y || x.startsWith(y) || y.startsWith(x) || x.endsWith(y) || y.endsWith(x) || editDistance(x, y) <= Math.max(1, Math.floor(Math.min(x.length, y.length) / 4));
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The most likely maker when its labels carry the selector's (or it owns the object):
 * `its pods (app=x) would come from Prometheus ns/k8s, ...`; else the candidates.
 */
function makersReason(makers: readonly PodMaker[], selector: Labels, where: string, owners: readonly OwnerRef[] = []): string {
  const top = makers[0]!;
  const certain = Object.entries(selector).some(([k, v]) => top.labels[k] === v) || owners.some((r) => top.ref.endsWith(`/${r.name}`) && r.kind === top.kind);
  return certain
    ? `its pods (${labelsText(selector)}) would come from ${top.kind} ${top.ref}, which knet keeps but does not model`
    : `no pod knet knows is labelled ${labelsText(selector)}; ${namedMakers(makers)} in namespace ${where} may make them, which knet keeps but does not model`;
}

/**
 * Why the pods a selector of `namespace` stands for are unknown rather than absent, or null
 * when knet knows: some pod matches, or none does and nothing says they may exist elsewhere
 * (a dump listing the namespace's pods, or a namespace whose pods come close: a typo).
 */
export function podsUnknown(cluster: Cluster, namespace: string, selector: Labels, owners: readonly OwnerRef[] = []): Unknown | null {
  if (cluster.podIndex.select(namespace, selector).length > 0) return null;
  // A dump that lists the namespace's pods lists the operator's too, when they exist.
  if (dumpListsPods(cluster, namespace)) return null;
  const sel = labelsText(selector);
  const makers = likelyMakers([...unmodelledPodMakers(cluster, namespace), ...owners.filter((r) => !MODELLED_OWNERS.has(r.kind)).map((r) => ownerMaker(namespace, r))], selector);
  if (makers.length > 0) return { reason: makersReason(makers, selector, namespace, owners), hint: `on the cluster, kubectl get pods -n ${namespace} -l ${sel} tells` };
  if (inputIsDump(cluster) || nearMissPod(cluster, namespace, selector)) return null;
  return {
    reason: `no pod in the input matches ${sel}, and none in namespace ${namespace} comes close: the pods may be deployed from elsewhere; if none in the cluster does, connections are refused`,
    hint: `include the workload that makes the pods labelled ${sel} in the input, or check on the cluster: kubectl get pods -n ${namespace} -l ${sel}`,
  };
}

/**
 * Whether a Secret's absence is unknown rather than known: TLS Secrets are made out of band
 * (`kubectl create secret tls`), seldom in manifests, and dumps usually leave Secrets out.
 * Known missing only when the input evidently lists the namespace's Secrets: it holds other
 * kubernetes.io/tls Secrets of that namespace, or it is a dump that holds Secrets.
 */
export function secretAbsenceUnknown(cluster: Cluster, namespace: string, name: string): Unknown | null {
  const given = cluster.secrets.filter((s) => s.raw !== null);
  if (given.some((s) => s.meta.namespace === namespace && s.meta.name === name)) return null;
  const listed = given.some((s) => s.meta.namespace === namespace && s.type === 'kubernetes.io/tls') || (inputIsDump(cluster) && given.length > 0);
  if (listed) return null;
  return {
    reason: `Secret ${namespace}/${name} is not in the input; if the cluster lacks it, ingress-nginx serves its fake certificate`,
    hint: `TLS Secrets are usually created out of band: kubectl get secret -n ${namespace} ${name} tells; to include it, kubectl create secret tls ${name} -n ${namespace} --cert=... --key=... --dry-run=client -o yaml`,
  };
}

/** The TLS Secret an Ingress names for `host` that the input lacks and no Certificate writes, when its absence is unknown. */
export function unknownTlsSecret(cluster: Cluster, host: string): { readonly secret: string; readonly unknown: Unknown } | null {
  const h = host.toLowerCase();
  for (const ing of cluster.ingresses) {
    for (const t of ing.tls) {
      if (!t.secretName || !t.hosts.some((x) => x.toLowerCase() === h)) continue;
      const ns = ing.meta.namespace;
      if (cluster.certificates.some((c) => c.meta.namespace === ns && c.secretName === t.secretName)) continue;
      const unknown = secretAbsenceUnknown(cluster, ns, t.secretName);
      if (unknown) return { secret: `${ns}/${t.secretName}`, unknown: { ...unknown, reason: `${unknown.reason} for ${host}` } };
    }
  }
  return null;
}

/** Every Service whose pods are unknown (podsUnknown), as the matrix's unknown rows and columns. */
export function unknownServicePods(cluster: Cluster): { ref: string; namespace: string; service: string; reason: string }[] {
  const out = [];
  for (const svc of cluster.services) {
    if (!svc.selector || Object.keys(svc.selector).length === 0 || svc.type === 'ExternalName') continue;
    const unknown = podsUnknown(cluster, svc.meta.namespace, svc.selector, svc.meta.ownerReferences);
    const ref = `${svc.meta.namespace}/${svc.meta.name}`;
    if (unknown) out.push({ ref: `${ref}?`, namespace: svc.meta.namespace, service: ref, reason: unknown.reason });
  }
  return out.sort((a, b) => compareText(a.ref, b.ref));
}

/** The `key=value` pairs of a selector's single-value In requirements (matchLabels). */
function selectorPairs(selector: Selector): Labels {
  return Object.fromEntries(selector.requirements.filter((r) => r.operator === 'In' && r.values.length === 1).map((r) => [r.key, r.values[0]!]));
}

/**
 * Why the pods a NetworkPolicy's selector (its own, or a peer's in `namespaces`) stands for
 * are unknown though none in the input matches: an object knet does not model may make them,
 * or the manifests are a slice of a cluster and no pod of theirs comes close (no typo).
 */
export function policyPodsUnknown(cluster: Cluster, namespaces: readonly string[], selector: Selector): Unknown | null {
  const pairs = selectorPairs(selector);
  const makers = likelyMakers(namespaces.flatMap((ns) => unmodelledPodMakers(cluster, ns)), pairs);
  const where = namespaces.join(', ');
  if (makers.length > 0) {
    return {
      reason: `${makersReason(makers, pairs, where)}: which pods it selects is unknown`,
      hint: `on the cluster, kubectl get pods -n ${namespaces[0] ?? ''} -l ${selector.key} tells`,
    };
  }
  if (!inputIsSlice(cluster) || namespaces.some((ns) => nearMissPod(cluster, ns, pairs))) return null;
  return {
    reason: `no pod in the input matches ${selector.key || '{}'} in ${where}, and none there comes close: the input holds only part of the cluster, whose pods it may select`,
    hint: `include the workloads of ${where} in the input to know, or on the cluster: kubectl get pods -n ${namespaces[0] ?? ''} -l ${selector.key}`,
  };
}

/** Why no namespace matching a namespaceSelector is unknown rather than absent: manifests that are a slice of a cluster. */
export function namespacesUnknown(cluster: Cluster, selector: Selector): Unknown | null {
  if (!inputIsSlice(cluster)) return null;
  return {
    reason: `no namespace in the input is labelled ${selector.key}; the input holds only part of the cluster, whose namespaces may be`,
    hint: `on the cluster, kubectl get namespaces -l ${selector.key} tells`,
  };
}

/** A headless Service among the names a pod's resolver tried whose pods are unknown: its name may exist on the cluster. */
export function headlessPodsUnknown(cluster: Cluster, names: readonly string[]): { service: string; unknown: Unknown } | null {
  const tried = new Set(names.map((n) => n.toLowerCase().replace(/\.$/, '')));
  for (const svc of cluster.services) {
    if (!svc.headless || !svc.selector) continue;
    if (!tried.has(`${svc.meta.name}.${svc.meta.namespace}.svc.${cluster.config.clusterDomain}`.toLowerCase())) continue;
    const unknown = podsUnknown(cluster, svc.meta.namespace, svc.selector, svc.meta.ownerReferences);
    if (unknown) return { service: `${svc.meta.namespace}/${svc.meta.name}`, unknown };
  }
  return null;
}
