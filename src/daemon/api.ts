// The daemon's API on a unix socket (mode 0600: root only), with Kubernetes' REST paths:
// `/api/v1/namespaces/NS/pods[/NAME]`, `/apis/apps/v1/...`, lists as `PodList`, `?watch=1`
// streams of `{"type":"ADDED|MODIFIED|DELETED","object":...}` lines, `?labelSelector=`,
// POST/PUT/DELETE on objects, `pods/NAME/log`, errors as `Status` objects. knet's own
// endpoints live under /apis/knet.dev/v1alpha1: status, state, targets, apply, delete,
// shutdown.
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { toWire, type AnyObject } from '../cluster/wire.js';
import { logPath } from '../dataplane/runtime/spec.js';
import { matchesSelector, parseSelectorString } from '../model/labels.js';
import { MAX_DEPTH, MAX_OBJECT_BYTES, MAX_REQUEST_BYTES, measureValue } from '../model/limits.js';
import type { Daemon } from './daemon.js';
import { API_RESOURCES, findApiResource, type ApiResource } from './api-resources.js';
import { apiSocketPath, podLogDir } from './paths.js';
import { idOf, type ObjectId } from './state.js';
import { canonical } from './store-ops.js';
import { ClusterRemoving, type ChangeResult as ChangeResultLike, type Progress } from './daemon.js';
import { execTargets } from './workloads-view.js';
import { compareText } from '../model/order.js';

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
  const server = http.createServer(apiListener(daemon, onShutdown));
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

function send(res: http.ServerResponse, code: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The body as JSON, refused with 413 past `limit` bytes (counted as it arrives) and 400 when not JSON. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, 'BadRequest', `the body is not JSON: ${(e as Error).message}`);
  }
}

function tooLarge(limit: number): HttpError {
  // The API server's words; knet's apply, which carries many files, says what to do.
  const note = limit === MAX_APPLY_BODY ? ' (knet apply sends every file in one request: apply the files a few at a time)' : '';
  return new HttpError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}${note}`);
}

/** A body that must be one JSON object (`null`, a list or a string is a 400, never a crash). */
async function readObject(req: http.IncomingMessage, limit: number, what: string): Promise<Json> {
  const body = await readBody(req, limit);
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
  if (parts[0] === 'version') return send(res, 200, { gitVersion: 'v1.31.0-knet', platform: `${process.platform}/${process.arch}` });
  if (parts[0] === 'apis' && parts[1] === 'knet.dev' && parts[2] === 'v1alpha1') return knet(daemon, parts.slice(3), method, req, res, onShutdown);
  if (parts[0] === 'api' && parts.length === 1) return send(res, 200, { kind: 'APIVersions', versions: ['v1'] });
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
    return send(res, 200, {
      kind: 'APIResourceList', groupVersion: group ? `${group}/${version}` : version,
      resources: API_RESOURCES.filter((r) => r.group === group && r.version === version).map((r) => ({ name: r.plural, kind: r.kind, namespaced: r.namespaced })),
    });
  }
  // [namespaces, NS, plural, name?, sub?] | [plural, name?]
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [plural, name, sub] = rest;
  const r = findApiResource(group, version, plural!);
  if (!r) throw new HttpError(404, 'NotFound', `the server doesn't have a resource type "${plural}" in ${group ? `${group}/${version}` : version}`);
  if (namespace && !r.namespaced) throw new HttpError(404, 'NotFound', `${r.plural} are not namespaced`);

  if (sub === 'log' && r.kind === 'Pod' && method === 'GET') return podLog(daemon, namespace, name!, url, res);
  if (sub) throw new HttpError(404, 'NotFound', `no subresource ${sub} of ${r.plural}`);

  switch (method) {
    case 'GET':
      if (name) return send(res, 200, toWire(findObject(daemon, r, namespace, name)));
      if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') return watch(daemon, r, namespace, url, req, res);
      return send(res, 200, {
        apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: `${r.kind}List`,
        metadata: { resourceVersion: String(daemon.state.generation) },
        items: listObjects(daemon, r, namespace, url).map(toWire),
      });
    case 'POST':
    case 'PUT': {
      const obj = await readObject(req, MAX_OBJECT_BODY, `a ${r.kind}`);
      // JSON.parse reads any depth; what comes after (the store, JSON.stringify) recurses.
      const m = measureValue(obj, MAX_OBJECT_BODY);
      if (m.kind === 'too-deep') throw new HttpError(400, 'BadRequest', `the object nests deeper than ${MAX_DEPTH} levels, at ${m.path.slice(0, 8).join('.')}...`);
      if (m.kind === 'too-large' || m.bytes > MAX_OBJECT_BYTES) {
        const bytes = m.kind === 'ok' ? m.bytes : m.atLeast;
        throw new HttpError(413, 'RequestEntityTooLarge', `etcdserver: request is too large (the object is ${bytes} bytes as JSON; etcd stores at most ${MAX_OBJECT_BYTES})`);
      }
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
      if (method === 'POST' && daemon.state.objects.some((o) => canonical(idOf(o.value)) === canonical(id))) {
        throw new HttpError(409, 'AlreadyExists', `${r.plural} "${id.name}" already exists`);
      }
      const result = await daemon.apply([{ name: `<api ${method} ${url.pathname}>`, text: JSON.stringify(obj, null, 1) }]);
      refusedOrThrow(result);
      return send(res, method === 'POST' ? 201 : 200, toWire(findObject(daemon, r, id.namespace, id.name)));
    }
    case 'DELETE': {
      if (!name) throw new HttpError(405, 'MethodNotAllowed', 'DELETE needs an object name');
      const id: ObjectId = { kind: r.kind, namespace: r.namespaced ? namespace || 'default' : '', name };
      const obj = findObject(daemon, r, id.namespace, name);
      const result = await daemon.delete([id]);
      if (result.outcome.notFound.length > 0) throw notStored(daemon, r, obj);
      refusedOrThrow(result);
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: r.plural } });
    }
    default:
      throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported`);
  }
}

function refusedOrThrow(result: ChangeResultLike): void {
  const o = result.outcome;
  if (!o.state) {
    const errors = o.issues.filter((i) => i.severity === 'error');
    throw new HttpError(422, 'Invalid', errors.map((i) => i.message).join('; '), { issues: o.issues as unknown as Json[] } as unknown as Json);
  }
}

/** A generated object (a Deployment's pod) is not stored: its controller owns it. */
function notStored(daemon: Daemon, r: ApiResource, obj: AnyObject): HttpError {
  const gen = (obj as { generatedBy?: string }).generatedBy;
  const owner = gen || obj.meta.ownerReferences.map((o) => `${o.kind} ${obj.meta.namespace}/${o.name}`)[0] || 'the cluster';
  void daemon;
  return new HttpError(409, 'Conflict', `${r.plural} "${obj.meta.name}" is made by ${owner}: delete or change that instead`);
}

function listObjects(daemon: Daemon, r: ApiResource, namespace: string, url: URL): AnyObject[] {
  let objects = r.list(daemon.observed).filter((o) => !namespace || o.meta.namespace === namespace);
  const sel = url.searchParams.get('labelSelector');
  if (sel) {
    const parsed = parseSelectorString(sel);
    if ('error' in parsed) throw new HttpError(400, 'BadRequest', `labelSelector: ${parsed.error}`);
    objects = objects.filter((o) => matchesSelector(parsed, o.meta.labels));
  }
  return [...objects].sort((a, b) => compareText(a.meta.namespace, b.meta.namespace) || compareText(a.meta.name, b.meta.name));
}

function findObject(daemon: Daemon, r: ApiResource, namespace: string, name: string): AnyObject {
  const ns = r.namespaced ? namespace || 'default' : '';
  const o = r.list(daemon.observed).find((x) => x.meta.name === name && x.meta.namespace === ns);
  if (!o) throw new HttpError(404, 'NotFound', `${r.plural}${r.group ? `.${r.group}` : ''} "${name}" not found`, { name, group: r.group, kind: r.plural });
  return o;
}

function watch(daemon: Daemon, r: ApiResource, namespace: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
  // Headers at once: a client that watches from a resourceVersion waits for them before anything changes.
  res.flushHeaders();
  const key = (o: AnyObject) => `${o.meta.namespace}/${o.meta.name}`;
  const snapshot = (): Map<string, { json: string; wire: Json }> =>
    new Map(listObjects(daemon, r, namespace, url).map((o) => {
      const wire = toWire(o) as Json;
      return [key(o), { json: canonical(wire), wire }];
    }));
  let last = new Map<string, { json: string; wire: Json }>();
  const emit = (type: string, object: Json): void => {
    const meta = (object['metadata'] ?? {}) as Json;
    res.write(`${JSON.stringify({ type, object: { ...object, metadata: { ...meta, resourceVersion: String(daemon.state.generation) } } })}\n`);
  };
  const update = (): void => {
    const now = snapshot();
    for (const [k, v] of now) {
      const prev = last.get(k);
      if (!prev) emit('ADDED', v.wire);
      else if (prev.json !== v.json) emit('MODIFIED', v.wire);
    }
    for (const [k, v] of last) if (!now.has(k)) emit('DELETED', v.wire);
    last = now;
  };
  // Without a resourceVersion the watch starts with the current objects as ADDED events.
  if (url.searchParams.get('resourceVersion')) last = snapshot();
  else update();
  const off = daemon.onChange(update);
  const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
  const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : null;
  const done = (): void => {
    off();
    if (timer) clearTimeout(timer);
  };
  req.on('close', done);
  res.on('close', done);
}

function podLog(daemon: Daemon, namespace: string, name: string, url: URL, res: http.ServerResponse): void {
  const ns = namespace || 'default';
  const pod = daemon.cluster.pods.find((p) => p.meta.namespace === ns && p.meta.name === name);
  if (!pod) throw new HttpError(404, 'NotFound', `pods "${name}" not found`);
  const names = pod.spec.containers.map((c) => c.name);
  let container = url.searchParams.get('container') ?? '';
  if (!container) {
    if (names.length !== 1) throw new HttpError(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    container = names[0]!;
  }
  const all = [...pod.spec.initContainers, ...pod.spec.containers].map((c) => c.name);
  if (!all.includes(container)) throw new HttpError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
  const file = logPath(podLogDir(daemon.name), `${ns}/${name}`, container);
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const tail = Number(url.searchParams.get('tailLines') ?? -1);
  if (tail >= 0) {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    text = tail === 0 || lines.length === 0 ? '' : `${lines.slice(-tail).join('\n')}\n`;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
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
      const r = API_RESOURCES.find((x) => x.kind === id.kind);
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
