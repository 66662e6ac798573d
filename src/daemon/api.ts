// The daemon's API on a unix socket (mode 0600: root only), with Kubernetes' REST paths:
// `/api/v1/namespaces/NS/pods[/NAME]`, `/apis/apps/v1/...`, lists as `PodList`, `?watch=1`
// streams of `{"type":"ADDED|MODIFIED|DELETED","object":...}` lines, `?labelSelector=`,
// POST/PUT/DELETE on objects, `pods/NAME/log`, errors as `Status` objects. knet's own
// endpoints live under /apis/knet.dev/v1alpha1: status, state, targets, apply, delete,
// shutdown.
import { apiUpgrade } from '../api/upgrade.js';
import { servePodLog } from '../api/logs-serve.js';
import { chmodSync, rmSync } from 'node:fs';
import http from 'node:http';
import { toWire, type AnyObject } from '../cluster/wire.js';
import { applyFiles } from './controllers.js';
import { MAX_DEPTH, MAX_OBJECT_BYTES, MAX_REQUEST_BYTES, measureValue } from '../model/limits.js';
import type { Daemon } from './daemon.js';
import { groupResource, resourceByKind, resourceFor, RESOURCE_TYPES, servesObjects, type ResourceType } from '../api/registry.js';
import { replicasOf, scaleOf, withReplicas } from '../api/scale.js';
import { invalidStatus } from '../api/invalid.js';
import { asDecodeError, checkFields, fieldValidationOf, strictProblems, warningHeader, withoutUnknownFields } from '../api/field-validation.js';
import { kindStruct } from '../api/kind-schemas.js';
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from '../api/protobuf.js';
import { parseDeleteOptions, preconditionFailure, type DeleteOptions } from '../api/delete-options.js';
import type { Issue } from '../model/issue.js';
import { aggregatedDiscovery, apiGroup, discoveryETag, apiGroupList, apiResourceList, apiVersions, discoveryContentType, negotiateDiscovery, versionInfo } from '../api/discovery.js';
import { apiSocketPath } from './paths.js';
import { idOf, type ObjectId } from './state.js';
import { canonical } from './store-ops.js';
import { apiStoreOf } from './api-store.js';
import type { WatchEvent } from '../api/object-store.js';
import { isApiError, parseListOptions, parseWatchOptions, wantsWatch, type ApiError } from '../api/list-options.js';
import { updateConflict, withoutServerFields } from '../api/server-fields.js';
import { ClusterRemoving, type ChangeResult as ChangeResultLike, type Progress } from './daemon.js';
import { execTargets } from './workloads-view.js';
import { tableOf, tableRequest, tableText, type IncludeObject } from '../api/table.js';
import { patchObject, recordWrite } from '../api/patch/index.js';
import { openApiV3Document, openApiV3Index } from '../api/openapi.js';

type Json = Record<string, unknown>;

class HttpError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details: Json = {}) {
    super(message);
  }
}

/**
 * One object per request on the Kubernetes paths: the API server's 3 MiB. knet's apply
 * carries every file of a `knet apply -f` (kubectl sends one request per object), so it
 * takes more; each object in it is still held to etcd's 1.5 MiB by the loader.
 */
const MAX_OBJECT_BODY = MAX_REQUEST_BYTES;
const MAX_APPLY_BODY = 64 * 1024 * 1024;

export function status(code: number, reason: string, message: string, details: Json = {}): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(Object.keys(details).length ? { details } : {}) };
}

export interface ApiServer {
  readonly socket: string;
  close(): void;
}

/** The API's request handler: every failure is a Status; only a bug in knet is a 500. */
export function apiListener(daemon: Daemon, onShutdown: () => void): http.RequestListener {
  return (req, res) => {
    handle(daemon, req, res, onShutdown).catch((e: unknown) => {
      const err = httpError(e);
      if (err.code === 500) daemon.log(`api: ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (res.headersSent) {
        res.end();
        return;
      }
      // A body left unread (refused before it was read) would keep the connection busy.
      if (!req.complete) res.setHeader('Connection', 'close');
      send(res, err.code, status(err.code, err.reason, err.message, err.details));
    });
  };
}

export async function serveApi(daemon: Daemon, onShutdown: () => void): Promise<ApiServer> {
  const socket = apiSocketPath(daemon.name);
  apiStoreOf(daemon); // versions every change from the start, not from the first request
  const server = http.createServer(apiListener(daemon, onShutdown));
  server.on('upgrade', apiUpgrade(daemon));
  server.keepAliveTimeout = 1000;
  rmSync(socket, { force: true }); // a crashed daemon's socket; the lock says no daemon owns it
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(socket, 0o600);
  return { socket, close: () => { server.close(); server.closeAllConnections(); } };
}

function httpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof ClusterRemoving) return new HttpError(409, 'Conflict', e.message);
  return new HttpError(500, 'InternalError', (e as Error).message);
}

/**
 * A change whose reconcile may take long, answered as JSON lines: `{"progress":{step,text,ms,ok}}`
 * as it goes, then `{"status":CODE,"body":...}` (the answer the plain request would give).
 */
async function streamChange(res: http.ServerResponse, run: (progress: (p: Progress) => void) => Promise<ChangeResultLike>, body: (r: ChangeResultLike) => Json): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-cache' });
  try {
    const result = await run((p) => res.write(`${JSON.stringify({ progress: { ...p, ms: Math.round(p.ms) } })}\n`));
    res.end(`${JSON.stringify({ status: result.outcome.state ? 200 : 422, body: body(result) })}\n`);
  } catch (e) {
    const err = httpError(e);
    res.end(`${JSON.stringify({ status: err.code, body: status(err.code, err.reason, err.message, err.details) })}\n`);
  }
}

function send(res: http.ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendText(res, code, JSON.stringify(body), contentType);
}

/** JSON already written (a Table: src/api/table.ts), encoded once. */
function sendText(res: http.ServerResponse, code: number, json: string, contentType = 'application/json'): void {
  const bytes = Buffer.from(`${json}\n`);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(bytes);
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, 'BadRequest', `the body is not JSON: ${(e as Error).message}`);
  }
}

/**
 * A DELETE's options as JSON: kubectl sends them as JSON, client-go's typed clients (helm deleting
 * its release Secrets) as a protobuf DeleteOptions.
 */
async function readDeleteOptions(req: http.IncomingMessage): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== PROTOBUF_MEDIA_TYPE) return parseBody(await readText(req, MAX_OBJECT_BODY));
  const body = await readBytes(req, MAX_OBJECT_BODY);
  if (body.length === 0) return {};
  const decoded = decodeProtobufObject(body);
  if ('error' in decoded) throw new HttpError(400, 'BadRequest', decoded.error);
  return decoded.object;
}

/** The body as text, refused with 413 past `limit` bytes (counted as it arrives). */
async function readText(req: http.IncomingMessage, limit: number): Promise<string> {
  return (await readBytes(req, limit)).toString('utf8');
}

async function readBytes(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): HttpError {
  // The API server's words; knet's apply, which carries many files, says what to do.
  const note = limit === MAX_APPLY_BODY ? ' (knet apply sends every file in one request: apply the files a few at a time)' : '';
  return new HttpError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}${note}`);
}

/** A body that must be one JSON object (`null`, a list or a string is a 400, never a crash). */
async function readObject(req: http.IncomingMessage, limit: number, what: string): Promise<Json> {
  return parseObject(await readText(req, limit), what);
}

function parseObject(text: string, what: string): Json {
  const body = parseBody(text);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'BadRequest', `the body must be one JSON object (${what}), not ${body === null ? 'null' : Array.isArray(body) ? 'a list' : `a ${typeof body}`}`);
  }
  return body as Json;
}

/** A path segment, %-decoded; a bad escape (`%zz`, `%`) is the client's error. */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, 'BadRequest', `the request path has a bad %-escape: ${JSON.stringify(s)}`);
  }
}

async function handle(daemon: Daemon, req: http.IncomingMessage, res: http.ServerResponse, onShutdown: () => void): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://knet');
  } catch {
    throw new HttpError(400, 'BadRequest', `the request path is not a URL path: ${JSON.stringify(req.url)}`);
  }
  const parts = url.pathname.split('/').filter(Boolean).map(decodeSegment);
  const method = req.method ?? 'GET';
  if (parts[0] === 'healthz' || parts[0] === 'readyz' || parts[0] === 'livez') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
    return;
  }
  if (parts[0] === 'version') return send(res, 200, versionInfo());
  // knet's own endpoints; the Cluster kind (`clusters`) and the group's resource list are the API's.
  if (parts[0] === 'apis' && parts[1] === 'knet.dev' && parts[2] === 'v1alpha1' && parts.length > 3 && parts[3] !== 'clusters') return knet(daemon, parts.slice(3), method, req, res, onShutdown);
  if ((parts[0] === 'api' || parts[0] === 'apis') && parts.length === 1) return discovery(res, parts[0], req.headers.accept, req.headers.host, req.headers['if-none-match']);
  if (parts[0] === 'apis' && parts.length === 2) {
    const g = apiGroup(parts[1]!);
    if (!g) throw new HttpError(404, 'NotFound', `the server could not find the requested resource`);
    return send(res, 200, g);
  }
  if (parts[0] === 'openapi' && parts[1] === 'v3' && method === 'GET') {
    const served = RESOURCE_TYPES.filter(servesObjects);
    if (parts.length === 2) return send(res, 200, openApiV3Index(served));
    const doc = openApiV3Document(parts.slice(2).join('/'), served);
    if (!doc) throw new HttpError(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    return send(res, 200, doc);
  }
  let group = '';
  let version = '';
  let rest: string[];
  if (parts[0] === 'api' && parts[1]) {
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts[1] && parts[2]) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    throw new HttpError(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
  }
  if (rest.length === 0) {
    const list = apiResourceList(group, version);
    if (!list) throw new HttpError(404, 'NotFound', `the server could not find the requested resource`);
    return send(res, 200, list);
  }
  // [namespaces, NS, plural, name?, sub?] | [plural, name?]
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [plural, name, sub] = rest;
  const r = servedResource(resourceFor(group, version, plural!));
  if (!r) throw new HttpError(404, 'NotFound', `the server doesn't have a resource type "${plural}" in ${group ? `${group}/${version}` : version}`);
  if (namespace && !r.namespaced) throw new HttpError(404, 'NotFound', `${r.plural} are not namespaced`);

  if (sub === 'log' && r.kind === 'Pod' && method === 'GET') return podLog(daemon, namespace, name!, url, req, res);
  if (name && sub === 'scale' && r.subresources.includes('scale')) return scaleSubresource(daemon, r, namespace, name, method, url, req, res);
  if (name && sub === 'status' && r.subresources.includes('status')) return statusSubresource(daemon, r, namespace, name, method, url, req, res);
  if (sub) throw new HttpError(404, 'NotFound', `no subresource ${sub} of ${r.plural}`);

  switch (method) {
    case 'GET': {
      // `kubectl get` asks for a Table: kube-apiserver's columns (src/api/table.ts).
      const table = asTable(req, url);
      if (name) {
        const wire = findObject(daemon, r, namespace, name);
        if (!table) return send(res, 200, wire);
        return sendText(res, 200, tableText(r.group, r.kind, [wire], { ...table, now: Date.now(), resourceVersion: String(metaOf(wire)['resourceVersion'] ?? '') }));
      }
      if (wantsWatch(url.searchParams)) return watch(daemon, r, namespace, url, req, res, table);
      const list = listObjects(daemon, r, namespace, url);
      if (!table) return send(res, 200, list);
      const meta = list['metadata'] as Json;
      return sendText(res, 200, tableText(r.group, r.kind, list['items'] as Json[], {
        ...table, now: Date.now(), resourceVersion: String(meta['resourceVersion']), ...(meta['continue'] ? { continue: String(meta['continue']) } : {}),
      }));
    }
    case 'POST':
    case 'PUT': {
      // What the server owns (uid, resourceVersion, status, ...) is never taken from the client.
      const text = await readObjectText(req, r);
      validateFields(url, text, res, r, { create: true });
      const sent = parseObject(text, `a ${r.kind}`);
      const unpruned = withoutServerFields(sent);
      refuseOversized(unpruned); // as sent: the depth and size limits hold before unknown fields are dropped
      const obj = withoutUnknownFields(unpruned, kindStruct(r.group, r.kind));
      const meta = (obj['metadata'] && typeof obj['metadata'] === 'object' ? obj['metadata'] : {}) as Json;
      if (r.namespaced && namespace) {
        if (meta['namespace'] && meta['namespace'] !== namespace) {
          throw new HttpError(400, 'BadRequest', `the namespace of the object (${String(meta['namespace'])}) does not match the namespace on the request (${namespace})`);
        }
        obj['metadata'] = { ...meta, namespace };
      }
      if (obj['kind'] !== r.kind) throw new HttpError(400, 'BadRequest', `the body's kind ${JSON.stringify(obj['kind'])} is not ${r.kind}`);
      const id = idOf(obj);
      if (method === 'PUT' && id.name !== name) throw new HttpError(400, 'BadRequest', `the name of the object (${id.name}) does not match the name on the request (${name})`);
      if (method === 'PUT') {
        const conflict = updateConflict(sent, String(metaOf(findObject(daemon, r, id.namespace, id.name))['resourceVersion'] ?? ''), r);
        if (conflict) throw fromApiError(conflict);
      }
      if (method === 'POST' && daemon.state.objects.some((o) => canonical(idOf(o.value)) === canonical(id))) {
        throw new HttpError(409, 'AlreadyExists', `${r.plural} "${id.name}" already exists`);
      }
      const before = method === 'PUT' ? liveWire(daemon, r, id.namespace, id.name) : undefined;
      const written = recordWrite(before, obj, { fieldManager: url.searchParams.get('fieldManager') ?? undefined, gvk: r, userAgent: req.headers['user-agent'] });
      return store(daemon, r, url, method === 'POST' ? 201 : 200, `<api ${method} ${url.pathname}>`, written, res);
    }
    case 'PATCH': {
      if (!name) throw new HttpError(405, 'MethodNotAllowed', 'PATCH needs an object name');
      return patch(daemon, r, namespace, name, url, req, res);
    }
    case 'DELETE': {
      // DeleteOptions from the body (kubectl's) or the query (src/api/delete-options.ts).
      const options = parseDeleteOptions(url.searchParams, await readDeleteOptions(req));
      if (isApiError(options)) throw fromApiError(options);
      if (!name) return deleteCollection(daemon, r, namespace, url, options, res);
      return send(res, 200, await deleteOne(daemon, r, namespace, name, options));
    }
    default:
      throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported`);
  }
}

function servedResource(r: ResourceType | undefined): ResourceType | undefined {
  return r && servesObjects(r) ? r : undefined;
}

/** `GET /api`, `GET /apis`: aggregated discovery when the Accept header asks for it (with its ETag: 304 when unchanged), else the legacy lists. */
function discovery(res: http.ServerResponse, root: 'api' | 'apis', accept: string | undefined, host: string | undefined, ifNoneMatch: string | undefined): void {
  const format = negotiateDiscovery(accept);
  if (format === 'not-acceptable') {
    const offered = ['application/json', discoveryContentType('v2'), discoveryContentType('v2beta1')];
    throw new HttpError(406, 'NotAcceptable', `only the following media types are accepted: ${offered.join(', ')}`);
  }
  res.setHeader('Vary', 'Accept');
  if (format === 'legacy') return send(res, 200, root === 'api' ? apiVersions(host) : apiGroupList());
  const text = JSON.stringify(aggregatedDiscovery(root, format));
  const etag = discoveryETag(text);
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'public');
  if (ifNoneMatch === etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  sendText(res, 200, text, discoveryContentType(format));
}

/** JSON.parse reads any depth; what comes after (the store, JSON.stringify) recurses. */
function refuseOversized(obj: Json): void {
  const m = measureValue(obj, MAX_OBJECT_BODY);
  if (m.kind === 'too-deep') throw new HttpError(400, 'BadRequest', `the object nests deeper than ${MAX_DEPTH} levels, at ${m.path.slice(0, 8).join('.')}...`);
  if (m.kind === 'too-large' || m.bytes > MAX_OBJECT_BYTES) {
    const bytes = m.kind === 'ok' ? m.bytes : m.atLeast;
    throw new HttpError(413, 'RequestEntityTooLarge', `etcdserver: request is too large (the object is ${bytes} bytes as JSON; etcd stores at most ${MAX_OBJECT_BYTES})`);
  }
}

/** A PATCH: the live object (as GET shows it) patched by kind of patch; server-side apply may create it. */
async function patch(daemon: Daemon, r: ResourceType, namespace: string, name: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const text = await readText(req, MAX_OBJECT_BODY);
  const contentType = String(req.headers['content-type'] ?? '');
  validateFields(url, text, res, r, { patchType: contentType });
  const ns = r.namespaced ? namespace || 'default' : '';
  const live = liveWire(daemon, r, ns, name);
  // An object a controller makes (a Deployment's pod) is its controller's; one the cluster
  // makes with no owner (the kube-system namespace) becomes the user's once patched.
  if (live && !daemon.state.objects.some((o) => canonical(idOf(o.value)) === canonical({ kind: r.kind, namespace: ns, name }))) {
    const made = clusterObject(daemon, r, ns, name);
    if (made && ((made as { generatedBy?: string }).generatedBy || made.meta.ownerReferences.length > 0)) throw notStored(daemon, r, made);
  }
  const force = url.searchParams.get('force');
  const result = patchObject(live, contentType, text, {
    fieldManager: url.searchParams.get('fieldManager') ?? undefined,
    force: force === null ? undefined : force === 'true',
    gvk: r, userAgent: req.headers['user-agent'],
  });
  // Content type first (415), then the object (404: only server-side apply creates).
  if (isApiError(result) && result.code === 404) findObject(daemon, r, ns, name);
  if (isApiError(result)) throw new HttpError(result.code, result.reason, result.message, (result.details ?? {}) as Json);
  // A patch that sets the resourceVersion makes it a precondition (kubectl's managedFields
  // migration does); an empty one, from a client that never saw one, is none.
  const versionOf = (o: Json | undefined): unknown => ((o?.['metadata'] ?? {}) as Json)['resourceVersion'];
  const sent = versionOf(result.object as Json);
  if (live && sent !== undefined && sent !== '' && sent !== versionOf(live)) {
    throw new HttpError(409, 'Conflict', `Operation cannot be fulfilled on ${r.plural}${r.group ? `.${r.group}` : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
  }
  const patched = withoutServerFields(result.object as Json);
  refuseOversized(patched); // as sent: the depth and size limits hold before unknown fields are dropped
  const obj = withoutUnknownFields(patched, kindStruct(r.group, r.kind));
  const meta = (obj['metadata'] && typeof obj['metadata'] === 'object' ? obj['metadata'] : {}) as Json;
  if (meta['name'] !== undefined && meta['name'] !== name) throw new HttpError(400, 'BadRequest', `the name of the object (${String(meta['name'])}) does not match the name on the URL (${name})`);
  obj['metadata'] = { ...meta, name, ...(r.namespaced ? { namespace: ns } : {}) };
  return store(daemon, r, url, live ? 200 : 201, `<api PATCH ${url.pathname}>`, obj, res);
}

/** The object as GET answers it (from the versioned store), or undefined. */
function liveWire(daemon: Daemon, r: ResourceType, namespace: string, name: string): Json | undefined {
  return apiStoreOf(daemon).get(r.group, r.kind, r.namespaced ? namespace || 'default' : '', name);
}

/** The object in the cluster knet computes (who made it: its owner, its generator). */
function clusterObject(daemon: Daemon, r: ResourceType, namespace: string, name: string): AnyObject | undefined {
  return r.list(daemon.observed).find((x) => x.meta.name === name && x.meta.namespace === namespace);
}

/** Stores a written object (`dryRun=All`: only answers what would be stored) and answers it as GET would. */
async function store(daemon: Daemon, r: ResourceType, url: URL, code: number, source: string, obj: Json, res: http.ServerResponse): Promise<void> {
  return send(res, code, await save(daemon, r, url, source, obj));
}

/** Stores a written object and gives it as GET will (`dryRun=All`: what would be stored). */
async function save(daemon: Daemon, r: ResourceType, url: URL, source: string, obj: Json): Promise<Json> {
  const id = idOf(obj);
  if (url.searchParams.getAll('dryRun').includes('All')) return dryRunWrite(daemon, r, source, obj);
  const result = await daemon.apply([{ name: source, text: JSON.stringify(obj, null, 1) }]);
  if (!result.outcome.state) throw invalid(r, id.name, source, result.outcome.issues);
  return findObject(daemon, r, id.namespace, id.name);
}

/** A refused write: 422 Invalid with a cause per error in the written object (else every error), src/api/invalid.ts. */
function invalid(r: ResourceType, name: string, source: string, issues: readonly Issue[]): HttpError {
  const errors = issues.filter((i) => i.severity === 'error');
  const own = errors.filter((i) => i.file === source);
  return fromApiError(invalidStatus(r.kind, r.group, name, own.length > 0 ? own : errors));
}

function refusedOrThrow(result: ChangeResultLike): void {
  const o = result.outcome;
  if (!o.state) {
    const errors = o.issues.filter((i) => i.severity === 'error');
    throw new HttpError(422, 'Invalid', errors.map((i) => i.message).join('; '), { issues: o.issues as unknown as Json[] } as unknown as Json);
  }
}

/** A generated object (a Deployment's pod) is not stored: its controller owns it. */
function notStored(daemon: Daemon, r: ResourceType, obj: AnyObject): HttpError {
  const gen = (obj as { generatedBy?: string }).generatedBy;
  const owner = gen || obj.meta.ownerReferences.map((o) => `${o.kind} ${obj.meta.namespace}/${o.name}`)[0] || 'the cluster';
  void daemon;
  return new HttpError(409, 'Conflict', `${r.plural} "${obj.meta.name}" is made by ${owner}: delete or change that instead`);
}

function fromApiError(e: ApiError): HttpError {
  return new HttpError(e.code, e.reason, e.message, e.details ?? {});
}

function metaOf(o: Json): Json {
  return (o['metadata'] ?? {}) as Json;
}

/** A list from the store: selectors, limit/continue and resourceVersion as kube-apiserver reads them. */
function listObjects(daemon: Daemon, r: ResourceType, namespace: string, url: URL): Json {
  const opts = parseListOptions(url.searchParams, r.kind, namespace);
  if (isApiError(opts)) throw fromApiError(opts);
  const result = apiStoreOf(daemon).list(r.group, r.kind, opts);
  if (isApiError(result)) throw fromApiError(result);
  return {
    apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: `${r.kind}List`,
    metadata: {
      resourceVersion: result.resourceVersion,
      ...(result.continue ? { continue: result.continue } : {}),
      ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
    },
    items: result.items,
  };
}

function findObject(daemon: Daemon, r: ResourceType, namespace: string, name: string): Json {
  const ns = r.namespaced ? namespace || 'default' : '';
  const o = apiStoreOf(daemon).get(r.group, r.kind, ns, name);
  if (!o) throw new HttpError(404, 'NotFound', `${r.plural}${r.group ? `.${r.group}` : ''} "${name}" not found`, { name, group: r.group, kind: r.plural });
  return o;
}

/** A Table request's includeObject, or null when the client wants objects; a bad includeObject is a 400. */
function asTable(req: http.IncomingMessage, url: URL): { includeObject: IncludeObject } | null {
  const t = tableRequest(req.headers.accept, url.searchParams);
  if (t && 'error' in t) throw new HttpError(400, 'BadRequest', t.error);
  return t;
}

/** The cluster's own object (for who made it), where the store's wire form is not enough. */
function findModelled(daemon: Daemon, r: ResourceType, namespace: string, name: string): AnyObject {
  const o = r.list(daemon.observed).find((x) => x.meta.name === name && x.meta.namespace === namespace);
  if (!o) throw new HttpError(404, 'NotFound', `${r.plural}${r.group ? `.${r.group}` : ''} "${name}" not found`, { name, group: r.group, kind: r.plural });
  return o;
}

/** Each event's line, written once however many watches send it (500 watches, one pod's change). */
const watchLines = new WeakMap<Json, Map<string, string>>();

function watchLine(e: WatchEvent): string {
  let lines = watchLines.get(e.object);
  if (!lines) watchLines.set(e.object, (lines = new Map()));
  let line = lines.get(e.type);
  if (line === undefined) lines.set(e.type, (line = `${JSON.stringify(e)}\n`));
  return line;
}

/** A watch from the store: one JSON event per line, until the client goes or its timeout. */
function watch(daemon: Daemon, r: ResourceType, namespace: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse, table: { includeObject: IncludeObject } | null = null): void {
  const opts = parseWatchOptions(url.searchParams, r.kind, namespace);
  if (isApiError(opts)) throw fromApiError(opts);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
  res.flushHeaders(); // the 200 at once, as kube-apiserver sends it: a quiet watch is open, not pending
  // Under `kubectl get -w` each object event is a one-row Table; only the first carries the columns.
  let columnsSent = false;
  const asTableLine = (e: WatchEvent): string => {
    if (e.type === 'BOOKMARK' || e.type === 'ERROR') return watchLine(e);
    const rv = String(metaOf(e.object)['resourceVersion'] ?? '');
    const row = tableOf(r.group, r.kind, [e.object], { ...table!, now: Date.now(), resourceVersion: rv, noHeaders: columnsSent });
    columnsSent = true;
    return `${JSON.stringify({ type: e.type, object: row })}\n`;
  };
  const w = apiStoreOf(daemon).watch(r.group, r.kind, { ...opts, onEnd: () => res.end() }, (e) => res.write(table ? asTableLine(e) : watchLine(e)));
  if (isApiError(w)) {
    res.end(`${JSON.stringify({ type: 'ERROR', object: status(w.code, w.reason, w.message) })}\n`);
    return;
  }
  req.on('close', () => w.close());
  res.on('close', () => w.close());
}

function podLog(daemon: Daemon, namespace: string, name: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  const failed = servePodLog(daemon, namespace || 'default', name, url, req, res);
  if (failed) throw fromApiError(failed);
}

async function knet(daemon: Daemon, parts: string[], method: string, req: http.IncomingMessage, res: http.ServerResponse, onShutdown: () => void): Promise<void> {
  const what = parts.join('/');
  if (method === 'GET' && what === 'status') return send(res, 200, clusterStatus(daemon));
  if (method === 'GET' && what === 'state') {
    const s = daemon.state;
    return send(res, 200, { name: s.name, generation: s.generation, overrides: s.overrides, objects: s.objects, assignments: s.assignments, retiring: s.retiring ?? [], terminating: s.terminating ?? [], replaced: s.replaced ?? [], readiness: daemon.readiness(), events: daemon.eventList() });
  }
  if (method === 'GET' && what === 'targets') return send(res, 200, execTargets(daemon.cluster, daemon.plan));
  if (parts[0] === 'health' && parts.length === 3 && (method === 'GET' || method === 'POST')) {
    const ref = `${parts[1]}/${parts[2]}`;
    let healthy: boolean | undefined;
    if (method === 'POST') {
      const body = await readObject(req, MAX_OBJECT_BODY, '{"healthy": true|false}');
      if (typeof body.healthy !== 'boolean') throw new HttpError(400, 'BadRequest', 'health takes {"healthy": true|false}');
      healthy = body.healthy;
    }
    const h = await daemon.podHealth(ref, healthy);
    if (!h) throw new HttpError(404, 'NotFound', `pods "${parts[2]}" not found in namespace ${parts[1]} (or not running)`);
    return send(res, 200, h);
  }
  if (method === 'POST' && what === 'apply') {
    const body = await readObject(req, MAX_APPLY_BODY, '{"files":[...]}');
    const files = Array.isArray(body['files']) ? body['files'] as { name?: unknown; text?: unknown }[] : null;
    if (!files || !files.every((f) => f && typeof f.name === 'string' && typeof f.text === 'string')) {
      throw new HttpError(400, 'BadRequest', 'apply takes {"files":[{"name":"...","text":"..."}]}');
    }
    const batch = files as { name: string; text: string }[];
    if (new URL(req.url ?? '/', 'http://knet').searchParams.get('progress') === '1') return streamChange(res, (p) => daemon.apply(batch, p), changeBody);
    const result = await daemon.apply(batch);
    return send(res, result.outcome.state ? 200 : 422, changeBody(result));
  }
  if (method === 'POST' && what === 'delete') {
    const body = await readObject(req, MAX_OBJECT_BODY, '{"objects":[...]}');
    const ids = Array.isArray(body['objects']) ? body['objects'] as ObjectId[] : null;
    if (!ids || !ids.every((i) => i && typeof i.kind === 'string' && typeof i.name === 'string' && typeof i.namespace === 'string')) {
      throw new HttpError(400, 'BadRequest', 'delete takes {"objects":[{"kind":"...","namespace":"...","name":"..."}]}');
    }
    const result = await daemon.delete(ids);
    const body2 = changeBody(result);
    // Objects a controller made are not stored: say who owns them.
    const owned = result.outcome.notFound.flatMap((id) => {
      const r = servedResource(resourceByKind(id.kind));
      const o = r?.list(daemon.cluster).find((x) => x.meta.name === id.name && x.meta.namespace === id.namespace);
      return o && r ? [{ ...id, message: notStored(daemon, r, o).message }] : [];
    });
    return send(res, result.outcome.state ? 200 : 422, { ...body2, owned });
  }
  if (method === 'POST' && what === 'shutdown') {
    const report = await daemon.shutdown();
    send(res, 200, { ok: true, ...report });
    onShutdown();
    return;
  }
  throw new HttpError(404, 'NotFound', `no ${method} /apis/knet.dev/v1alpha1/${what} (status, state, targets, apply, delete, shutdown)`);
}

function changeBody(result: ChangeResultLike): Json {
  const r = result.reconcile;
  return {
    ok: result.outcome.state !== null,
    generation: result.outcome.state?.generation ?? null,
    results: result.outcome.results,
    notFound: result.outcome.notFound,
    issues: result.outcome.issues,
    reconcile: r && {
      ms: r.ms, network: r.network,
      runtimeFailures: r.runtimeFailures,
      probes: { total: r.probes.length, failed: r.probes.filter((p) => !p.ok) },
    },
  };
}

export function clusterStatus(daemon: Daemon): Json {
  const c = daemon.cluster;
  const perNode = new Map<string, number>();
  for (const p of daemon.plan.pods) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
  const r = daemon.lastReconcile;
  return {
    name: daemon.name, pid: process.pid, startedAt: new Date(daemon.startedAt).toISOString(), generation: daemon.state.generation,
    cni: c.config.cni, api: apiSocketPath(daemon.name),
    nodes: c.nodes.map((n) => ({ name: n.meta.name, ip: n.internalIPs[0] ?? '', podCIDR: n.podCIDRs[0]?.text ?? '', pods: perNode.get(n.meta.name) ?? 0 })),
    pods: daemon.plan.pods.length, skipped: daemon.plan.skipped, namespaces: daemon.plan.namespaces.length,
    objects: daemon.state.objects.length,
    runtimes: daemon.runtimes.status(),
    lastReconcile: r && { ms: r.ms, probes: r.probes.length, failedProbes: r.probes.filter((p) => !p.ok) },
  };
}

/** The object as the user stored it (raw), or undefined for one the cluster or a controller makes. */
function storedValue(daemon: Daemon, r: ResourceType, namespace: string, name: string): Json | undefined {
  const id = canonical({ kind: r.kind, namespace: r.namespaced ? namespace || 'default' : '', name });
  return daemon.state.objects.find((o) => canonical(idOf(o.value)) === id)?.value as Json | undefined;
}

/**
 * `.../scale` (autoscaling/v1 Scale, src/api/scale.ts): GET reads the workload's replicas; PUT
 * (with the workload's resourceVersion as precondition) and PATCH (`kubectl scale` sends a merge
 * patch) write its spec.replicas, and its controller follows.
 */
async function scaleSubresource(daemon: Daemon, r: ResourceType, namespace: string, name: string, method: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const ns = r.namespaced ? namespace || 'default' : '';
  const live = findObject(daemon, r, ns, name);
  const current = scaleOf(live);
  if (method === 'GET') return send(res, 200, current);
  let wanted: Json;
  if (method === 'PUT') {
    wanted = await readObject(req, MAX_OBJECT_BODY, 'a Scale');
    const conflict = updateConflict({ ...wanted, metadata: { ...metaOf(wanted), name } }, String(metaOf(live)['resourceVersion'] ?? ''), r);
    if (conflict) throw fromApiError(conflict);
  } else if (method === 'PATCH') {
    const patched = patchObject(current, String(req.headers['content-type'] ?? ''), await readText(req, MAX_OBJECT_BODY), {
      gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, fieldManager: url.searchParams.get('fieldManager') ?? undefined, userAgent: req.headers['user-agent'],
    });
    if (isApiError(patched)) throw fromApiError(patched);
    wanted = patched.object as Json;
  } else {
    throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported on ${groupResource(r)}/scale`);
  }
  const replicas = replicasOf(wanted, name);
  if (isApiError(replicas)) throw fromApiError(replicas);
  const stored = storedValue(daemon, r, ns, name);
  if (!stored) throw notStored(daemon, r, findModelled(daemon, r, ns, name));
  const written = recordWrite(live, withReplicas(withoutServerFields(stored), replicas), { fieldManager: url.searchParams.get('fieldManager') ?? undefined, gvk: r, userAgent: req.headers['user-agent'], subresource: 'scale' });
  const after = await save(daemon, r, url, `<api ${method} ${url.pathname}>`, written);
  return send(res, 200, scaleOf({ ...live, ...after, metadata: { ...metaOf(live), ...metaOf(after) } }));
}

/**
 * `.../status`: GET answers the object (as kube-apiserver does). knet computes every status it
 * serves from the cluster (pods' phases, workloads' replicas, certificates' conditions), so a
 * write that would change it is refused (405); one that leaves it as it is answers the object.
 */
async function statusSubresource(daemon: Daemon, r: ResourceType, namespace: string, name: string, method: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const live = findObject(daemon, r, namespace, name);
  if (method === 'GET') return send(res, 200, live);
  let wanted: Json;
  if (method === 'PUT') wanted = await readObject(req, MAX_OBJECT_BODY, `a ${r.kind}`);
  else if (method === 'PATCH') {
    const patched = patchObject(live, String(req.headers['content-type'] ?? ''), await readText(req, MAX_OBJECT_BODY), { gvk: r, fieldManager: url.searchParams.get('fieldManager') ?? undefined, userAgent: req.headers['user-agent'] });
    if (isApiError(patched)) throw fromApiError(patched);
    wanted = patched.object as Json;
  } else throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported on ${groupResource(r)}/status`);
  if (canonical(wanted['status'] ?? {}) === canonical(live['status'] ?? {})) return send(res, 200, live);
  throw new HttpError(405, 'MethodNotAllowed', `the status of ${groupResource(r)} "${name}" is computed by knet from the running cluster and cannot be written (read it with GET)`);
}

/**
 * One DELETE: preconditions checked (409), `dryRun=All` answers without deleting, Orphan keeps
 * the dependents (orphanDependents below); Background and Foreground both delete the
 * dependents at once with their owner (knet has no finalizers to wait on).
 */
async function deleteOne(daemon: Daemon, r: ResourceType, namespace: string, name: string, options: DeleteOptions): Promise<Json> {
  const id: ObjectId = { kind: r.kind, namespace: r.namespaced ? namespace || 'default' : '', name };
  const obj = findObject(daemon, r, id.namespace, name);
  const failed = preconditionFailure(options, obj, r, name);
  if (failed) throw fromApiError(failed);
  const kept = options.propagationPolicy === 'Orphan' ? orphans(daemon, r, id) : [];
  if (options.dryRun) return obj;
  const grace = r.kind === 'Pod' && options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {};
  const result = kept.length > 0 ? await daemon.deleteOrphaning([id], kept) : await daemon.delete([id], grace);
  if (result.outcome.notFound.length > 0) throw notStored(daemon, r, findModelled(daemon, r, id.namespace, name));
  refusedOrThrow(result);
  // The object as it was deleted (or, while it terminates, as it is now), as kube-apiserver answers.
  const store = apiStoreOf(daemon);
  const now = store.deleted(r.group, r.kind, id.namespace, name) ?? store.get(r.group, r.kind, id.namespace, name);
  // Made again at once under its name (a StatefulSet's pod): the answer is the one deleted, whose uid kubectl waits on.
  return now && metaOf(now)['uid'] === metaOf(obj)['uid'] ? now : obj;
}

/** The objects whose ownerReferences name `owner` (a Deployment's ReplicaSets, a ReplicaSet's pods). */
function dependentsOf(daemon: Daemon, owner: AnyObject): AnyObject[] {
  if (!owner.meta.uid) return [];
  return RESOURCE_TYPES.flatMap((t) => t.list(daemon.observed).filter((o) => o.meta.ownerReferences.some((ref) => ref.uid === owner.meta.uid)));
}

/**
 * `--cascade=orphan`: the dependents that run (a Deployment's ReplicaSets, a ReplicaSet's or
 * StatefulSet's pods, a Job's) as the user's own objects to store in the same change, without
 * the ownerReference (a ReplicaSet keeps its pods: they stay its); the rest (a Service's
 * EndpointSlices) go with the owner, as their controller would remove them. A dependent
 * already terminating is left to finish.
 */
function orphans(daemon: Daemon, r: ResourceType, id: ObjectId): { name: string; text: string }[] {
  const owner = clusterObject(daemon, r, id.namespace, id.name);
  if (!owner) return [];
  const running = dependentsOf(daemon, owner).filter((d) => (d.kind === 'Pod' || resourceByKind(d.kind)?.inventory === 'workloads') && !d.meta.deletionTimestamp);
  return running.flatMap((d) => {
    const t = resourceByKind(d.kind);
    const wire = t && liveWire(daemon, t, d.meta.namespace, d.meta.name);
    if (!wire) return [];
    const free = withoutServerFields(wire);
    const { ownerReferences: _owners, ...meta } = metaOf(free);
    return [{ name: `<orphaned by ${groupResource(r)} ${id.namespace ? `${id.namespace}/` : ''}${id.name}>`, text: JSON.stringify({ ...free, metadata: meta }, null, 1) }];
  });
}

/**
 * DELETE on a collection (`deletecollection`): every object the label and field selectors
 * pick, deleted in one change; the answer is the list of them. Objects a controller makes
 * and knet cannot delete alone (EndpointSlices) are left, as their controller would make them again.
 */
async function deleteCollection(daemon: Daemon, r: ResourceType, namespace: string, url: URL, options: DeleteOptions, res: http.ServerResponse): Promise<void> {
  if (!r.verbs.includes('deletecollection')) throw new HttpError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const list = listObjects(daemon, r, namespace, url);
  const items = list['items'] as Json[];
  const ids = items.map((o): ObjectId => ({ kind: r.kind, namespace: r.namespaced ? String(metaOf(o)['namespace'] ?? '') : '', name: String(metaOf(o)['name'] ?? '') }));
  if (options.propagationPolicy === 'Orphan' && ids.some((id) => orphans(daemon, r, id).length > 0)) {
    throw new HttpError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Orphan": a collection is deleted with its dependents; delete the owners one by one to orphan theirs`);
  }
  if (options.dryRun || ids.length === 0) return send(res, 200, { ...list, metadata: {} });
  const result = await daemon.delete(ids, r.kind === 'Pod' && options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {});
  refusedOrThrow(result);
  const missed = new Set(result.outcome.notFound.map((id) => `${id.namespace}/${id.name}`));
  return send(res, 200, { ...list, metadata: {}, items: items.filter((o) => !missed.has(`${String(metaOf(o)['namespace'] ?? '')}/${String(metaOf(o)['name'] ?? '')}`)) });
}

/**
 * `fieldValidation` (src/api/field-validation.ts) on a written body: Strict refuses a field
 * given twice or one the kind does not have (400), Warn answers with a Warning header for each.
 * Unknown fields are checked in the kinds whose fields knet knows (src/api/kind-schemas.ts), in
 * creates, updates, merge and strategic merge patches.
 */
function validateFields(url: URL, text: string, res: http.ServerResponse, r: ResourceType, how: { create?: boolean; patchType?: string }): void {
  const mode = fieldValidationOf(url.searchParams);
  if (isApiError(mode)) throw fromApiError(mode);
  if (mode === 'Ignore') return;
  const patchType = (how.patchType ?? '').split(';')[0]!.trim();
  const schemaChecked = how.create || patchType === 'application/merge-patch+json' || patchType === 'application/strategic-merge-patch+json';
  const problems = strictProblems(text, schemaChecked ? kindStruct(r.group, r.kind) : undefined, !how.create);
  const checked = checkFields(mode, problems);
  if ('error' in checked) throw fromApiError(how.create ? asDecodeError(checked.error, r.kind, r.version) : checked.error);
  if (checked.warnings.length > 0) res.setHeader('Warning', checked.warnings.map(warningHeader));
}

/**
 * `dryRun=All` on a create, update or patch: the write checked exactly as a real one (422 when
 * refused), nothing stored; the answer is the object as it would be served (defaults and
 * allocations filled in: a Service's clusterIP), keeping the live object's uid and version.
 */
function dryRunWrite(daemon: Daemon, r: ResourceType, source: string, obj: Json): Json {
  const id = idOf(obj);
  const outcome = applyFiles(daemon.state, daemon.cluster, [{ name: source, text: JSON.stringify(obj, null, 1) }]);
  if (!outcome.state || !outcome.cluster) throw invalid(r, id.name, source, outcome.issues);
  const made = r.list(outcome.cluster).find((o) => o.meta.name === id.name && o.meta.namespace === (r.namespaced ? id.namespace : ''));
  const wire = made ? (r.wire ? r.wire(made, outcome.cluster) : toWire(made)) : obj;
  const live = liveWire(daemon, r, id.namespace, id.name);
  const kept = live ? Object.fromEntries(['uid', 'creationTimestamp', 'resourceVersion', 'generation'].flatMap((k) => (metaOf(live)[k] === undefined ? [] : [[k, metaOf(live)[k]]]))) : {};
  return { ...wire, metadata: { ...metaOf(wire), ...kept } };
}

/**
 * A created or replaced object's body as JSON text. client-go's typed clients send protobuf
 * (`kubectl create configmap`, `create deployment`, ...) and never fall back to JSON: the kinds
 * whose fields knet knows are decoded (src/api/protobuf.ts); any other encoding is a 415 in
 * kube-apiserver's words.
 */
async function readObjectText(req: http.IncomingMessage, r: ResourceType): Promise<string> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '' || type === 'application/json' || type.endsWith('+json')) return readText(req, MAX_OBJECT_BODY);
  if (type === PROTOBUF_MEDIA_TYPE && kindStruct(r.group, r.kind)) {
    const decoded = decodeProtobufObject(await readBytes(req, MAX_OBJECT_BODY));
    if ('error' in decoded) throw new HttpError(400, 'BadRequest', decoded.error);
    return JSON.stringify(decoded.object);
  }
  throw new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
}
