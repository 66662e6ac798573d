// Field selectors as kube-apiserver reads them (`fieldSelector=spec.nodeName=node-1,status.phase!=Running`):
// terms `field=value`, `field==value`, `field!=value` joined by commas, over the fields each kind's
// field label conversion lets it select on (pkg/apis/core/v1 and apps/v1, batch/v1 conversions).
// Every kind has metadata.name (and metadata.namespace when namespaced); a field the kind does not
// have is refused in the API server's words. Read from wire objects; `knet get` shares it.

type Json = Record<string, unknown>;

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
    out.push({ field, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.replace(/\\(.)/g, '$1') });
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

type Getter = (o: Json) => string;

function valueAt(o: Json, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Json)[k] : undefined;
  return v;
}

/** The field's text, or the API server's default when the object leaves it out. */
const at = (path: string, fallback = ''): Getter => (o) => {
  const v = valueAt(o, path);
  return v === undefined || v === null || v === '' ? fallback : String(v);
};

const META: Readonly<Record<string, Getter>> = { 'metadata.name': at('metadata.name'), 'metadata.namespace': at('metadata.namespace') };
const CLUSTER_META: Readonly<Record<string, Getter>> = { 'metadata.name': at('metadata.name') };

/**
 * The kinds with a field label conversion of their own, which refuse other fields with
 * "field label not supported"; the rest have the metadata fields only and refuse with "is
 * not a known field selector". Defaults are the API server's (restartPolicy Always, ...).
 */
const SELECTABLE: Readonly<Record<string, Readonly<Record<string, Getter>>>> = {
  Pod: {
    ...META,
    'spec.nodeName': at('spec.nodeName'),
    'spec.restartPolicy': at('spec.restartPolicy', 'Always'),
    'spec.schedulerName': at('spec.schedulerName', 'default-scheduler'),
    'spec.serviceAccountName': at('spec.serviceAccountName', 'default'),
    'spec.hostNetwork': at('spec.hostNetwork', 'false'),
    'status.phase': at('status.phase'),
    'status.podIP': at('status.podIP'),
    'status.podIPs': (o) => {
      const ips = valueAt(o, 'status.podIPs');
      return Array.isArray(ips) ? ips.map((x) => String((x as Json)?.['ip'] ?? '')).join(',') : '';
    },
    'status.nominatedNodeName': at('status.nominatedNodeName'),
  },
  Node: { ...CLUSTER_META, 'spec.unschedulable': at('spec.unschedulable', 'false') },
  Namespace: { ...CLUSTER_META, 'status.phase': at('status.phase', 'Active') },
  Secret: { ...META, type: at('type', 'Opaque') },
  Service: { ...META, 'spec.clusterIP': at('spec.clusterIP'), 'spec.type': at('spec.type', 'ClusterIP') },
  Event: {
    ...META,
    ...Object.fromEntries(['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']
      .map((k) => [`involvedObject.${k}`, at(`involvedObject.${k}`)])),
    reason: at('reason'), reportingComponent: at('reportingComponent'), source: at('source.component'), type: at('type'),
  },
  ReplicationController: { ...META, 'status.replicas': at('status.replicas', '0') },
  ReplicaSet: { ...META, 'status.replicas': at('status.replicas', '0') },
  Job: { ...META, 'status.successful': at('status.succeeded', '0') },
};

/** The API server's refusal of a field the kind cannot select on; null when every field is known. */
export function unsupportedField(kind: string, reqs: readonly FieldRequirement[]): string | null {
  const own = SELECTABLE[kind];
  for (const r of reqs) {
    if ((own ?? META)[r.field]) continue;
    return own ? `field label not supported: ${r.field}` : `"${r.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`;
  }
  return null;
}

/** Whether a wire object of `kind` has every field the requirements ask for (unknown fields never match). */
export function matchesFieldSelector(kind: string, o: Json, reqs: readonly FieldRequirement[]): boolean {
  const fields = SELECTABLE[kind] ?? META;
  for (const r of reqs) {
    const get = fields[r.field];
    if (!get || (get(o) === r.value) !== (r.op === '=')) return false;
  }
  return true;
}
