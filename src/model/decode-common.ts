// Decoding shared by every kind: object metadata, label selectors, protocols, IPs and CIDRs.
import type { Decoder } from './decoder.js';
import { parseCidr, parseIP, type Cidr, type IP } from './ip.js';
import { selectorFrom, type Requirement, type Selector, type SelectorOperator } from './labels.js';
import { dns1123Subdomain, labelValue, qualifiedName } from './names.js';
import type { FieldPath } from './source.js';
import type { Meta, OwnerRef, Protocol } from './types.js';
import { PROTOCOLS } from './types.js';
import { objectUid } from './uid.js';

export type NameRule = (name: string) => string[];

export function decodeMeta(d: Decoder, namespaced: boolean, nameRule: NameRule = dns1123Subdomain): Meta {
  const name = d.str(['metadata', 'name']);
  const generateName = d.str(['metadata', 'generateName']);
  if (!name && !generateName) {
    d.required(['metadata', 'name'], 'every object needs metadata.name');
  } else if (name) {
    for (const e of nameRule(name)) d.invalid(['metadata', 'name'], name, e, nameHint(name));
  }
  const namespace = namespaced ? d.str(['metadata', 'namespace']) || 'default' : '';
  if (namespaced && d.has(['metadata', 'namespace'])) {
    for (const e of dns1123LabelOrEmpty(namespace)) {
      d.invalid(['metadata', 'namespace'], namespace, e, nameHint(namespace));
    }
  }
  const labels = d.strMap(['metadata', 'labels']);
  for (const [k, v] of Object.entries(labels)) {
    for (const e of qualifiedName(k)) d.invalid(['metadata', 'labels', k], k, e);
    for (const e of labelValue(v)) d.invalid(['metadata', 'labels', k], v, e, 'label values are at most 63 characters of [A-Za-z0-9-_.]');
  }
  const ownerRefs: OwnerRef[] = [];
  const nOwners = d.len(['metadata', 'ownerReferences']);
  for (let i = 0; i < nOwners; i++) {
    const p: FieldPath = ['metadata', 'ownerReferences', i];
    ownerRefs.push({
      kind: d.str([...p, 'kind']),
      name: d.str([...p, 'name']),
      uid: d.str([...p, 'uid']),
      controller: d.bool([...p, 'controller']) ?? false,
    });
  }
  return {
    name: name || generateName,
    namespace,
    labels,
    annotations: d.strMap(['metadata', 'annotations']),
    // The API server gives every object a uid on create; one the input states is kept.
    uid: d.str(['metadata', 'uid']) || objectUid(d.str(['kind']), namespace, name || generateName),
    creationTimestamp: d.str(['metadata', 'creationTimestamp']),
    deletionTimestamp: d.str(['metadata', 'deletionTimestamp']),
    ownerReferences: ownerRefs,
  };
}

function dns1123LabelOrEmpty(v: string): string[] {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && v.length <= 63
    ? []
    : ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"];
}

export function nameHint(name: string): string {
  const fixed = name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return fixed && fixed !== name ? `try "${fixed}"` : 'use lowercase letters, digits and "-"';
}

const LABEL_KEY_HINT = 'label keys are [prefix/]name: the name at most 63 characters of [A-Za-z0-9-_.], starting and ending with a letter or digit';
const LABEL_VALUE_HINT = 'label values are at most 63 characters of [A-Za-z0-9-_.], starting and ending with a letter or digit';

/** A map of labels (a Service's selector, a selector's matchLabels): ValidateLabels. */
export function validateLabelMap(d: Decoder, path: FieldPath, labels: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(labels)) {
    for (const e of qualifiedName(k)) d.invalid([...path, k], k, e, LABEL_KEY_HINT);
    for (const e of labelValue(v)) d.invalid([...path, k], v, e, LABEL_VALUE_HINT);
  }
}

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** metav1.LabelSelector; returns null when the field is absent. */
export function decodeSelector(d: Decoder, path: FieldPath): Selector | null {
  if (!d.has(path)) return null;
  if (!d.obj(path)) return null;
  const matchLabels = d.strMap([...path, 'matchLabels']);
  validateLabelMap(d, [...path, 'matchLabels'], matchLabels);
  const exprs: Requirement[] = [];
  const n = d.len([...path, 'matchExpressions']);
  for (let i = 0; i < n; i++) {
    const p: FieldPath = [...path, 'matchExpressions', i];
    const key = d.str([...p, 'key']);
    if (!key) d.required([...p, 'key']);
    else for (const e of qualifiedName(key)) d.invalid([...p, 'key'], key, e, LABEL_KEY_HINT);
    const op = d.str([...p, 'operator']);
    const values = d.strList([...p, 'values']);
    if (!OPERATORS.includes(op as SelectorOperator)) {
      if (!op) d.required([...p, 'operator'], 'use In, NotIn, Exists or DoesNotExist');
      else d.unsupported([...p, 'operator'], op, OPERATORS);
      continue;
    }
    if (op === 'In' || op === 'NotIn') {
      values.forEach((v, j) => {
        for (const e of labelValue(v)) d.invalid([...p, 'values', j], v, e, LABEL_VALUE_HINT);
      });
    }
    if ((op === 'In' || op === 'NotIn') && values.length === 0) {
      d.required([...p, 'values'], `operator ${op} needs at least one value`);
    }
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
      d.report([...p, 'values'], 'forbidden', `Forbidden: may not be specified when \`operator\` is '${op}'`,
        'remove values, or use In/NotIn');
    }
    exprs.push({ key, operator: op as SelectorOperator, values });
  }
  return selectorFrom(matchLabels, exprs);
}

export function decodeProtocol(d: Decoder, path: FieldPath): Protocol {
  const p = d.str(path, 'TCP');
  if (PROTOCOLS.includes(p as Protocol)) return p as Protocol;
  d.unsupported(path, p, PROTOCOLS, p.toUpperCase() !== p && PROTOCOLS.includes(p.toUpperCase() as Protocol)
    ? `protocols are upper case: ${p.toUpperCase()}`
    : undefined);
  return 'TCP';
}

export function decodeIP(d: Decoder, path: FieldPath, what = 'must be a valid IP address'): IP | undefined {
  const s = d.str(path);
  if (!s) return undefined;
  const ip = parseIP(s);
  if (!ip) d.invalid(path, s, `${what}, (e.g. 10.9.8.7 or 2001:db8::ffff)`);
  return ip;
}

export function decodeCidr(d: Decoder, path: FieldPath): Cidr | undefined {
  const s = d.str(path);
  if (!s) return undefined;
  const c = parseCidr(s);
  if (!c) {
    d.invalid(path, s, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      s.includes('/') ? undefined : `add a prefix length, e.g. ${s}/32`);
  }
  return c;
}
