// kubectl's --field-selector: `field=value`, `field==value`, `field!=value`, joined by commas,
// over the fields the API server lets each kind select on (the field label conversions of
// pkg/apis/core/v1 and of apps/v1, batch/v1); every kind has metadata.name and
// metadata.namespace. A field the kind does not have is refused in the API server's words.
import type { Cluster } from '../cluster/fill-in.js';
import { toWire, type AnyObject } from '../cluster/wire.js';
import type { Pod } from '../model/types.js';

export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

/** fields.ParseSelector: terms split at unescaped commas; `\` escapes `,`, `=`, `!` and itself. */
export function parseFieldSelector(text: string): FieldRequirement[] | { error: string } {
  const out: FieldRequirement[] = [];
  for (const term of splitTerms(text)) {
    if (term === '') continue;
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    const field = m?.[1]?.trim() ?? '';
    if (!m || !field) return { error: `invalid selector: '${text}'; can't understand '${term}'` };
    out.push({ field, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!) });
  }
  return out;
}

function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) { cur += c + text[++i]; continue; }
    if (c === ',') { terms.push(cur); cur = ''; continue; }
    cur += c;
  }
  terms.push(cur);
  return terms;
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

type Getter = (o: AnyObject, c: Cluster) => string;
type Json = Record<string, unknown>;

function wireAt(o: AnyObject, path: string, fallback: string): string {
  let v: unknown = toWire(o);
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Json)[k] : undefined;
  return v === undefined || v === null || v === '' ? fallback : String(v);
}

const name: Getter = (o) => o.meta.name;
const namespace: Getter = (o) => o.meta.namespace;
const at = (path: string, fallback = ''): Getter => (o) => wireAt(o, path, fallback);
const podsOf = (o: AnyObject, c: Cluster) => c.podIndex.inNamespace(o.meta.namespace)
  .filter((p: Pod) => p.meta.ownerReferences.some((r) => r.kind === o.kind && r.name === o.meta.name)).length;

/**
 * The kinds with their own field label conversion, which refuse others with "field label
 * not supported"; the rest have only the two metadata fields and refuse with "is not a
 * known field selector". Defaults are the API server's (restartPolicy Always, ...).
 */
const SELECTABLE: Readonly<Record<string, Readonly<Record<string, Getter>>>> = {
  Pod: {
    'metadata.name': name, 'metadata.namespace': namespace,
    'spec.nodeName': (o) => (o as Pod).spec.nodeName,
    'spec.restartPolicy': at('spec.restartPolicy', 'Always'),
    'spec.schedulerName': at('spec.schedulerName', 'default-scheduler'),
    'spec.serviceAccountName': at('spec.serviceAccountName', 'default'),
    'spec.hostNetwork': (o) => String((o as Pod).spec.hostNetwork),
    'status.phase': (o) => (o as Pod).status.phase,
    'status.podIP': (o) => (o as Pod).status.podIPs[0] ?? '',
    'status.podIPs': (o) => (o as Pod).status.podIPs.join(','),
    'status.nominatedNodeName': at('status.nominatedNodeName'),
  },
  Node: { 'metadata.name': name, 'spec.unschedulable': at('spec.unschedulable', 'false') },
  Namespace: { 'metadata.name': name, 'status.phase': at('status.phase', 'Active') },
  Secret: { 'metadata.name': name, 'metadata.namespace': namespace, type: at('type', 'Opaque') },
  Service: { 'metadata.name': name, 'metadata.namespace': namespace, 'spec.clusterIP': at('spec.clusterIP'), 'spec.type': at('spec.type', 'ClusterIP') },
  Event: {
    'metadata.name': name, 'metadata.namespace': namespace,
    ...Object.fromEntries(['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']
      .map((k) => [`involvedObject.${k}`, at(`involvedObject.${k}`)])),
    reason: at('reason'), reportingComponent: at('reportingComponent'), source: at('source.component'), type: at('type'),
  },
  ReplicationController: { 'metadata.name': name, 'metadata.namespace': namespace, 'status.replicas': at('status.replicas', '0') },
  ReplicaSet: { 'metadata.name': name, 'metadata.namespace': namespace, 'status.replicas': (o, c) => String(podsOf(o, c)) },
  Job: { 'metadata.name': name, 'metadata.namespace': namespace, 'status.successful': at('status.succeeded', '0') },
};

const GENERIC: Readonly<Record<string, Getter>> = { 'metadata.name': name, 'metadata.namespace': namespace };

/** The API server's refusal of a field the kind cannot select on; null when every field is known. */
export function unsupportedField(kind: string, reqs: readonly FieldRequirement[]): string | null {
  const own = SELECTABLE[kind];
  for (const r of reqs) {
    if ((own ?? GENERIC)[r.field]) continue;
    return own ? `field label not supported: ${r.field}` : `"${r.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`;
  }
  return null;
}

/** `kind` is the resource's (`get endpoints` lists Services, selectable as Endpoints). */
export function matchesFields(kind: string, o: AnyObject, c: Cluster, reqs: readonly FieldRequirement[]): boolean {
  const fields = SELECTABLE[kind] ?? GENERIC;
  return reqs.every((r) => {
    const get = fields[r.field];
    if (!get) return false;
    return (get(o, c) === r.value) === (r.op === '=');
  });
}

