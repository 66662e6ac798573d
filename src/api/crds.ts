// The cert-manager kinds as the cluster serves them: CustomResourceDefinitions under
// apiextensions.k8s.io/v1, with the printer columns cert-manager declares (what `kubectl get
// certificate` shows), built from the registry's entries with `crd: true` (the registry's
// customresourcedefinitions list them).
import type { AnyObject } from '../cluster/wire.js';
import type { OtherObject } from '../model/types.js';
import type { ResourceType } from './registry.js';

type Json = Record<string, unknown>;

/** One of a CRD version's `additionalPrinterColumns` (apiextensions.k8s.io/v1). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly format?: string;
  readonly description?: string;
  readonly priority?: number; // 1: only with `-o wide`
}

const AGE: PrinterColumn = {
  name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp',
  description: 'When the object was created (metadata.creationTimestamp), in RFC3339 form and UTC.',
};
const condition = (type: string, field: 'status' | 'message') => `.status.conditions[?(@.type == "${type}")].${field}`;
const READY: PrinterColumn = { name: 'Ready', type: 'string', jsonPath: condition('Ready', 'status') };
const READY_MESSAGE: PrinterColumn = { name: 'Status', type: 'string', jsonPath: condition('Ready', 'message'), priority: 1 };

/** cert-manager's columns per kind, in its order (its CRDs' `additionalPrinterColumns`). */
const PRINTER_COLUMNS: Readonly<Record<string, readonly PrinterColumn[]>> = {
  'cert-manager.io/Certificate': [
    READY,
    { name: 'Secret', type: 'string', jsonPath: '.spec.secretName' },
    { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name', priority: 1 },
    READY_MESSAGE,
    AGE,
  ],
  'cert-manager.io/CertificateRequest': [
    { name: 'Approved', type: 'string', jsonPath: condition('Approved', 'status') },
    { name: 'Denied', type: 'string', jsonPath: condition('Denied', 'status') },
    READY,
    { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name' },
    { name: 'Requester', type: 'string', jsonPath: '.spec.username' },
    READY_MESSAGE,
    AGE,
  ],
  'cert-manager.io/Issuer': [READY, READY_MESSAGE, AGE],
  'cert-manager.io/ClusterIssuer': [READY, READY_MESSAGE, AGE],
  'acme.cert-manager.io/Order': [
    { name: 'State', type: 'string', jsonPath: '.status.state' },
    { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name', priority: 1 },
    { name: 'Reason', type: 'string', jsonPath: '.status.reason', priority: 1 },
    AGE,
  ],
  'acme.cert-manager.io/Challenge': [
    { name: 'State', type: 'string', jsonPath: '.status.state' },
    { name: 'Domain', type: 'string', jsonPath: '.spec.dnsName' },
    { name: 'Reason', type: 'string', jsonPath: '.status.reason', priority: 1 },
    AGE,
  ],
};

/** The CRD's `additionalPrinterColumns` for a kind, or undefined when the kind is not a CRD knet serves. */
export function printerColumnsOf(group: string, kind: string): readonly PrinterColumn[] | undefined {
  return PRINTER_COLUMNS[`${group}/${kind}`];
}

/** `certificates.cert-manager.io`: a CRD's name, its plural and group. */
export function crdName(r: Pick<ResourceType, 'plural' | 'group'>): string {
  return `${r.plural}.${r.group}`;
}

/** The labels cert-manager's installation puts on its CRDs. */
const CRD_LABELS = { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/instance': 'cert-manager' };

/** The CustomResourceDefinition (apiextensions.k8s.io/v1) that serves a resource, as cert-manager installs it, Established. */
export function crdOf(r: ResourceType): Json {
  const names: Json = { plural: r.plural, singular: r.singular, kind: r.kind, listKind: `${r.kind}List` };
  if (r.shortNames.length) names['shortNames'] = [...r.shortNames];
  if (r.categories.length) names['categories'] = [...r.categories];
  const version: Json = {
    name: r.version, served: true, storage: true,
    // Objects are kept as written: the schema preserves every field (OpenAPI is another part's).
    schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    additionalPrinterColumns: (printerColumnsOf(r.group, r.kind) ?? [AGE]).map((c) => ({ ...c })),
  };
  if (r.subresources.includes('status')) version['subresources'] = { status: {} };
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: crdName(r), labels: { ...CRD_LABELS } },
    spec: { group: r.group, names, scope: r.namespaced ? 'Namespaced' : 'Cluster', versions: [version] },
    status: establishedStatus(names, [r.version]),
  };
}

/** What the apiextensions controllers write once a CRD's names are accepted: NamesAccepted, then Established. */
function establishedStatus(names: Json, storedVersions: readonly string[]): Json {
  const accepted = { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' };
  const established = { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' };
  return { acceptedNames: names, conditions: [accepted, established], storedVersions: [...storedVersions] };
}

const withStatus = new WeakMap<AnyObject, AnyObject>();

/**
 * A CRD the user wrote, as the API server serves it once its controllers saw it: Established,
 * its names accepted (listKind and singular defaulted), its storage version stored. A status it
 * came with (a dump of a cluster) is kept. kstatus (helm --wait) waits for Established.
 */
export function established(crd: AnyObject): AnyObject {
  const raw = (crd as OtherObject).raw?.value as Json | undefined;
  const status = raw?.['status'] as Json | undefined;
  if (!raw || Array.isArray(status?.['conditions'])) return crd;
  let out = withStatus.get(crd);
  if (!out) {
    const spec = (raw['spec'] ?? {}) as Json;
    const given = (spec['names'] ?? {}) as Json;
    const kind = typeof given['kind'] === 'string' ? given['kind'] : '';
    const names = kind ? { singular: kind.toLowerCase(), listKind: `${kind}List`, ...given } : given;
    const versions = Array.isArray(spec['versions']) ? spec['versions'] as Json[] : [];
    const stored = versions.filter((v) => v?.['storage'] === true).map((v) => String(v['name']));
    const o = crd as OtherObject;
    out = { ...o, raw: { ...o.raw!, value: { ...raw, status: establishedStatus(names, stored) } } };
    withStatus.set(crd, out);
  }
  return out;
}

/**
 * The customresourcedefinitions the cluster lists: one per CRD-served resource (`types`), then
 * those the user wrote (`written`); a written one of the same name replaces the served one.
 */
export function customResourceDefinitions(types: readonly ResourceType[], written: readonly AnyObject[]): readonly AnyObject[] {
  const names = new Set(written.map((o) => o.meta.name));
  return [...types.filter((r) => !names.has(crdName(r))).map((r) => asKept(crdOf(r))), ...written.map(established)];
}

/** A served CRD as the cluster keeps an object it does not model. */
function asKept(crd: Json): OtherObject {
  const name = (crd['metadata'] as Json)['name'] as string;
  return {
    kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1',
    meta: { name, namespace: '', labels: CRD_LABELS, annotations: {}, uid: '', creationTimestamp: '', deletionTimestamp: '', ownerReferences: [] },
    raw: { file: '', value: crd, locate: () => ({ file: '', line: 0, col: 0 }) },
  };
}
