// OpenAPI v3 as kube-apiserver publishes it, generated from the resource registry and the
// merge-key table: `/openapi/v3` lists one document per group-version (with a `?hash=` that
// changes with its content); each document has the REST operations of its kinds (PATCH tagged
// `x-kubernetes-group-version-kind` and taking `fieldValidation`, which kubectl's default
// `--validate=strict` looks for) and the kinds' schemas with the patch extensions.
import { createHash } from 'node:crypto';
import { STRUCTS, kindSchema, type FieldSchema } from './merge-keys.js';

type Json = Record<string, unknown>;
export type OpenApiResource = { readonly group: string; readonly version: string; readonly kind: string; readonly plural: string; readonly namespaced: boolean };

/** `api/v1`, `apis/apps/v1`: the index's keys, and the document paths under /openapi/v3/. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/**
 * The documents are pure functions of the served resources, which do not change while the
 * daemon runs: each is built once (the index hashes every document: 60 ms a request, and
 * kubectl apply reads it on every run), then answered from here.
 */
const built = new Map<string, Json | undefined>();

function once(what: string, resources: readonly OpenApiResource[], make: () => Json | undefined): Json | undefined {
  const key = `${what}\n${resources.map((r) => `${r.group}/${r.version}/${r.kind}/${r.plural}/${r.namespaced}`).join(',')}`;
  if (!built.has(key)) {
    if (built.size > 256) built.clear();
    built.set(key, make());
  }
  return built.get(key);
}

export function openApiV3Index(resources: readonly OpenApiResource[]): Json {
  return once('', resources, () => buildIndex(resources))!;
}

function buildIndex(resources: readonly OpenApiResource[]): Json {
  const gvs = [...new Set(resources.map((r) => groupVersionPath(r.group, r.version)))].sort();
  const paths: Json = {};
  for (const gv of gvs) {
    const doc = openApiV3Document(gv, resources);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return { paths };
}

const PACKAGE: Readonly<Record<string, string>> = {
  ObjectMeta: 'io.k8s.apimachinery.pkg.apis.meta.v1', OwnerReference: 'io.k8s.apimachinery.pkg.apis.meta.v1', Condition: 'io.k8s.apimachinery.pkg.apis.meta.v1',
  DeploymentSpec: 'io.k8s.api.apps.v1', DeploymentStrategy: 'io.k8s.api.apps.v1', ReplicaSetSpec: 'io.k8s.api.apps.v1', StatefulSetSpec: 'io.k8s.api.apps.v1',
  DaemonSetSpec: 'io.k8s.api.apps.v1', WorkloadStatus: 'io.k8s.api.apps.v1', JobSpec: 'io.k8s.api.batch.v1', CronJobSpec: 'io.k8s.api.batch.v1',
  JobTemplateSpec: 'io.k8s.api.batch.v1', NetworkPolicySpec: 'io.k8s.api.networking.v1', IngressSpec: 'io.k8s.api.networking.v1',
};

const structName = (s: string): string => `${PACKAGE[s] ?? 'io.k8s.api.core.v1'}.${s}`;
const ref = (name: string): Json => ({ allOf: [{ $ref: `#/components/schemas/${name}` }] });

/** A kind's schema name, kube-apiserver's way: `io.k8s.api.apps.v1.Deployment`, `io.cert-manager.v1.Certificate`. */
export function kindSchemaName(group: string, version: string, kind: string): string {
  if (group === '') return `io.k8s.api.core.${version}.${kind}`;
  if (!group.includes('.')) return `io.k8s.api.${group}.${version}.${kind}`;
  if (group.endsWith('.k8s.io')) return `io.k8s.api.${group.slice(0, -'.k8s.io'.length)}.${version}.${kind}`;
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

function fieldSchema(f: FieldSchema, used: Set<string>): Json {
  switch (f.kind) {
    case 'struct':
      used.add(f.type);
      return { ...ref(structName(f.type)), ...(f.retainKeys ? { 'x-kubernetes-patch-strategy': 'retainKeys' } : {}) };
    case 'map':
      return { type: 'object', additionalProperties: { type: 'string' }, ...(f.atomic ? { 'x-kubernetes-map-type': 'atomic' } : {}) };
    case 'atomic':
      return { 'x-kubernetes-map-type': 'atomic', 'x-kubernetes-list-type': 'atomic' };
    case 'list': {
      if (f.items !== 'scalar') used.add(f.items);
      return {
        type: 'array', items: f.items === 'scalar' ? { type: 'string' } : ref(structName(f.items)),
        'x-kubernetes-list-type': f.mapKeys.length > 0 ? 'map' : 'set',
        ...(f.mapKeys.length > 0 ? { 'x-kubernetes-list-map-keys': f.mapKeys } : {}),
        ...(f.mergeKey ? { 'x-kubernetes-patch-merge-key': f.mergeKey } : {}),
        'x-kubernetes-patch-strategy': f.strategy,
      };
    }
  }
}

function objectSchema(fields: Readonly<Record<string, FieldSchema>>, used: Set<string>): Json {
  return { type: 'object', properties: Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, fieldSchema(f, used)])) };
}

const param = (name: string, where: 'query' | 'path', description: string): Json =>
  ({ name, in: where, description, ...(where === 'path' ? { required: true } : {}), schema: { type: 'string', uniqueItems: true } });

const WRITE_PARAMS = [
  param('dryRun', 'query', 'When present, the changes are checked but not stored. "All": every stage of the dry run.'),
  param('fieldManager', 'query', 'The name of the actor making the change, for managedFields.'),
  param('fieldValidation', 'query', 'Ignore, Warn or Strict: what to do with unknown or duplicate fields.'),
];

/**
 * The patch types the PATCH operation lists. Strategic merge is left out on purpose: kubectl
 * then computes its strategic merge patches from its own compiled-in types, which know every
 * field, rather than from these schemas, which describe only the fields that merge by key (a
 * field missing from a v3 schema makes kubectl's computation fail). The server accepts it.
 */
const PATCH_BODY_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

function operations(r: OpenApiResource, schema: string): { item: Json; collection: Json } {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const body = (types: readonly string[]): Json => ({ content: Object.fromEntries(types.map((t) => [t, { schema: t.includes('patch') ? { type: 'object' } : ref(schema) }])) });
  const ok = { '200': { description: 'OK', content: { 'application/json': { schema: ref(schema) } } } };
  const op = (action: string, verb: string, extra: Json = {}): Json =>
    ({ operationId: `${verb}${r.kind}`, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, responses: ok, ...extra });
  return {
    item: {
      get: op('get', 'read'),
      put: op('put', 'replace', { parameters: WRITE_PARAMS, requestBody: body(['application/json']) }),
      patch: op('patch', 'patch', { parameters: [...WRITE_PARAMS, param('force', 'query', 'Apply patches only: take the fields other managers own.')], requestBody: body(PATCH_BODY_TYPES) }),
      delete: op('delete', 'delete', { parameters: [param('dryRun', 'query', 'When present, nothing is deleted.')] }),
    },
    collection: { get: op('list', 'list'), post: op('post', 'create', { parameters: WRITE_PARAMS, requestBody: body(['application/json']) }) },
  };
}

/** The document of one group-version (`api/v1`, `apis/apps/v1`), or undefined when the server has none. */
export function openApiV3Document(groupVersion: string, resources: readonly OpenApiResource[]): Json | undefined {
  return once(groupVersion, resources, () => buildDocument(groupVersion, resources));
}

function buildDocument(groupVersion: string, resources: readonly OpenApiResource[]): Json | undefined {
  const ofGv = resources.filter((r) => groupVersionPath(r.group, r.version) === groupVersion);
  if (ofGv.length === 0) return undefined;
  const paths: Json = {};
  const schemas: Json = {};
  const used = new Set<string>(['ObjectMeta']);
  for (const r of ofGv) {
    const name = kindSchemaName(r.group, r.version, r.kind);
    const base = `/${groupVersion}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    const nsParam = r.namespaced ? [param('namespace', 'path', 'object name and auth scope, such as for teams and projects')] : [];
    const ops = operations(r, name);
    paths[base] = { ...ops.collection, parameters: nsParam };
    paths[`${base}/{name}`] = { ...ops.item, parameters: [param('name', 'path', `name of the ${r.kind}`), ...nsParam] };
    const { fields } = kindSchema(r.group, r.kind);
    schemas[name] = {
      ...objectSchema({ ...fields }, used),
      'x-kubernetes-group-version-kind': [{ group: r.group, kind: r.kind, version: r.version }],
    };
    (schemas[name] as { properties: Json }).properties['apiVersion'] = { type: 'string' };
    (schemas[name] as { properties: Json }).properties['kind'] = { type: 'string' };
  }
  // Struct schemas, and those they reach.
  const done = new Set<string>();
  for (let more = true; more;) {
    more = false;
    for (const s of [...used]) {
      if (done.has(s)) continue;
      done.add(s);
      more = true;
      schemas[structName(s)] = objectSchema(STRUCTS[s] ?? {}, used);
    }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}
