// Turns raw objects into the Inventory: routes each by apiVersion and kind (the resource
// registry, src/api/registry.ts, says which kinds are modelled and where they go) to its
// decoder, finds duplicates, keeps unknown kinds with a note. Never throws on input.
// Partial input (every Predict command) is taken as `kubectl apply -f` takes it: each
// object the API server would refuse is left out, the same object twice leaves the later.
import { decodeClusterConfig, decodeCertificate, decodeConfigMap, decodeIssuer, decodeNamespace, decodeNode, decodeSecret, DEFAULT_CONFIG } from './decode-misc.js';
import { decodeIngress, decodeIngressClass } from './decode-ingress.js';
import { decodeNetworkPolicy } from './decode-network-policy.js';
import { decodePod, decodeWorkload, isWorkloadKind } from './decode-pod.js';
import { isClusterScopedKind, resourceByKind, type InventorySlot, type ResourceType } from '../api/registry.js';
import { decodeEndpointSlice, decodeEndpoints, decodeService } from './decode-service.js';
import { decodeMeta } from './decode-common.js';
import { Decoder } from './decoder.js';
import { hasErrors, sortIssues, type Issue } from './issue.js';
import { readSources, type RawObject } from './source.js';
import type { ClusterConfig, Inventory, KnownObject, OtherObject } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

/** Groups that once served a modelled kind, still read as today's (extensions/v1beta1 Ingress). */
const FORMER_GROUPS: Readonly<Record<string, string>> = { 'extensions/Ingress': 'networking.k8s.io' };

/** The registry's type for a kind knet models, when the apiVersion's group serves it. */
function modelledType(kind: string, group: string): (ResourceType & { inventory: InventorySlot }) | undefined {
  const r = resourceByKind(kind, FORMER_GROUPS[`${group}/${kind}`] ?? group);
  return r?.inventory ? (r as ResourceType & { inventory: InventorySlot }) : undefined;
}

/** Each Inventory list's decoder; the registry's `inventory` slot picks the list for a kind. */
const DECODERS: { readonly [S in InventorySlot]: (d: Decoder, kind: string) => KnownObject } = {
  namespaces: decodeNamespace, nodes: decodeNode, pods: decodePod, services: decodeService, endpoints: decodeEndpoints,
  endpointSlices: decodeEndpointSlice, secrets: decodeSecret, configMaps: decodeConfigMap, ingresses: decodeIngress,
  ingressClasses: decodeIngressClass, networkPolicies: decodeNetworkPolicy, certificates: decodeCertificate,
  workloads: (d, kind) => {
    if (!isWorkloadKind(kind)) throw new Error(`registry: ${kind} is not a workload kind`);
    return decodeWorkload(d, kind);
  },
  issuers: (d, kind) => decodeIssuer(d, kind === 'ClusterIssuer' ? 'ClusterIssuer' : 'Issuer'),
};

export interface LoadOptions {
  /**
   * `partial` (every Predict command), as `kubectl apply -f` takes its input: an object with an
   * error (what the API server would refuse) is left out, the rest is kept; the same object
   * (kind, namespace, name) twice leaves the later, as applying both would, with a warning
   * naming both places. `all-or-nothing` (`knet apply`, `knet up`): every object is kept with its
   * errors and a duplicate is an error; the caller refuses the whole batch on any error.
   */
  readonly mode?: 'partial' | 'all-or-nothing';
  /** `kubectl apply -n NS`: namespaced objects that state no namespace go to NS (else `default`). */
  readonly namespace?: string;
}

export interface Decoded {
  readonly inventory: Inventory;
  readonly issues: Issue[];
  /**
   * `Kind ns/name` of each object left out, in input order (all-or-nothing leaves out only
   * what cannot be kept at all: no apiVersion or kind, a second Cluster object).
   */
  readonly refused: string[];
}

/** Reads and decodes manifests; partial by default (the Predict commands'). */
export function loadInventory(paths: readonly string[], readStdin?: () => string, options: LoadOptions = {}): Decoded {
  const read = readSources(paths, readStdin);
  const decoded = decodeObjects(read.objects, { mode: 'partial', ...options });
  return { ...decoded, issues: sortIssues([...read.issues, ...decoded.issues]) };
}

export function emptyInventory(config: ClusterConfig = DEFAULT_CONFIG): Mutable<Inventory> {
  return {
    config, namespaces: [], nodes: [], pods: [], workloads: [], services: [], endpointSlices: [], endpoints: [],
    ingresses: [], ingressClasses: [], networkPolicies: [], secrets: [], configMaps: [], issuers: [], certificates: [], others: [],
  };
}

/** Decodes raw objects; all-or-nothing by default (the running cluster's store). */
export function decodeObjects(objects: readonly RawObject[], options: LoadOptions = {}): Decoded {
  const partial = options.mode === 'partial';
  const issues: Issue[] = [];
  const inv = emptyInventory();
  const slots: ({ slot: InventorySlot; obj: KnownObject } | null)[] = [];
  const seen = new Map<string, { raw: RawObject; slot: number }>();
  const refused: string[] = [];
  const unknownKinds = new Map<string, { kind: string; count: number; first: RawObject }>();
  let configSeen: RawObject | null = null;

  for (const given of objects) {
    const kind = typeof given.value['kind'] === 'string' ? given.value['kind'] : '';
    const namespaced = !isClusterScopedKind(kind);
    const raw = namespaced && options.namespace ? inNamespace(given, options.namespace) : given;
    const v = raw.value;
    const apiVersion = typeof v['apiVersion'] === 'string' ? v['apiVersion'] : '';
    const metadata = (typeof v['metadata'] === 'object' && v['metadata'] !== null ? v['metadata'] : {}) as Record<string, unknown>;
    const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
    const ns = namespaced ? (typeof metadata['namespace'] === 'string' && metadata['namespace'] ? metadata['namespace'] : 'default') : '';
    const label = `${kind || 'object'} ${ns ? `${ns}/` : ''}${name || '<unnamed>'}`;
    const d = new Decoder(raw, label, issues);
    const issuesBefore = issues.length;

    if (!apiVersion || !kind) {
      if (!apiVersion) d.required(['apiVersion'], 'e.g. apiVersion: v1 (Service), apps/v1 (Deployment), networking.k8s.io/v1 (Ingress)');
      if (!kind) d.required(['kind'], 'e.g. kind: Deployment');
      refused.push(label);
      continue;
    }
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const isConfig = kind === 'Cluster' && group === 'knet.dev';
    const type = isConfig ? undefined : modelledType(kind, group);
    if (!isConfig && !type) {
      const key = `${kind} (${apiVersion})`;
      const u = unknownKinds.get(key);
      if (u) u.count++;
      else unknownKinds.set(key, { kind, count: 1, first: raw });
      const other: OtherObject = { kind, apiVersion, meta: decodeMeta(new Decoder(raw, label, []), namespaced), raw };
      inv.others.push(other);
      continue;
    }
    if (!type) {
      if (configSeen) {
        d.report([], 'duplicate-object', `a second Cluster object (the first is at ${where(configSeen)})`, 'keep one knet.dev/v1alpha1 Cluster object');
        refused.push(label);
        continue;
      }
      configSeen = raw;
      inv.config = decodeClusterConfig(d);
      inv.clusterObject = { kind, apiVersion, meta: decodeMeta(new Decoder(raw, label, []), false), raw };
      continue;
    }
    const key = `${kind}|${ns}|${name}`;
    const prev = name ? seen.get(key) : undefined;
    if (prev && !partial) {
      d.report(['metadata', 'name'], 'duplicate-object', `${label} is defined twice; the first is at ${where(prev.raw)}`,
        'remove one of them, or give them different names or namespaces');
      continue;
    }
    const obj = { slot: type.inventory, obj: DECODERS[type.inventory](d, kind) };
    if (partial && hasErrors(issues.slice(issuesBefore))) {
      // The API server refuses the create (or, for a second copy, the update): what was there stays.
      refused.push(label);
      continue;
    }
    if (prev) {
      d.report(['metadata', 'name'], 'duplicate-object', `${label} is defined twice: this one, applied later, replaces the one at ${where(prev.raw)}, as kubectl apply leaves it`,
        'remove one of them, or give them different names or namespaces', 'warning');
      slots[prev.slot] = obj;
      seen.set(key, { raw, slot: prev.slot });
      continue;
    }
    if (name) seen.set(key, { raw, slot: slots.length });
    slots.push(obj);
  }
  for (const s of slots) if (s) (inv[s.slot] as KnownObject[]).push(s.obj);

  const kept = keptNotModelled(unknownKinds);
  if (kept) issues.push(kept);
  return { inventory: inv, issues, refused };
}

/** The object as `kubectl apply -n NS` sends it: without a namespace of its own, in NS. */
function inNamespace(raw: RawObject, namespace: string): RawObject {
  const meta = raw.value['metadata'];
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return raw; // decoding reports it
  const stated = (meta as Record<string, unknown>)['namespace'];
  if (stated !== undefined && stated !== null && stated !== '') return raw;
  return { ...raw, value: { ...raw.value, metadata: { ...meta, namespace } } };
}

/**
 * One note for every kind knet keeps but does not model, a count each, most first
 * (`kept, not modelled: 13 ServiceMonitor, 8 PrometheusRule, 1 Prometheus`), at the first such
 * object. An answer that depends on one of them says so where it does.
 */
function keptNotModelled(kinds: ReadonlyMap<string, { readonly kind: string; readonly count: number; readonly first: RawObject }>): Issue | null {
  const all = [...kinds.entries()];
  if (all.length === 0) return null;
  const first = all[0]![1].first;
  const shared = (kind: string) => all.filter(([, u]) => u.kind === kind).length > 1;
  const counts = all.sort(([, a], [, b]) => b.count - a.count).map(([key, u]) => `${u.count} ${shared(u.kind) ? key : u.kind}`);
  return {
    code: 'unknown-kind', severity: 'info', ...first.locate(['kind']),
    message: `kept, not modelled: ${counts.join(', ')}`,
    hint: 'knet get lists them; they do not change predictions, except where an answer says it depends on them (pods an operator makes from a custom resource are unknown)',
  };
}

function where(raw: RawObject): string {
  const p = raw.locate([]);
  return `${p.file}:${p.line}`;
}
