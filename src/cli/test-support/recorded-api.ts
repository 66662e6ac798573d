// A real cluster's API as recorded: the list responses a kube-apiserver gives for the objects
// of a dump (test/fixtures/dumps, `kubectl get -A -o yaml` of real clusters), with discovery
// that lacks some groups or kinds, a 403 on some lists, small pages with `continue`, one
// expired continue token (410), and authentication by client certificate or bearer token.
// Any request but GET is recorded as a write: the live source must never send one.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parse } from 'yaml';
import { RESOURCE_TYPES as REGISTRY, type ResourceType } from '../../api/registry.js';
import { READ_ALSO } from '../live-read.js';

const RESOURCE_TYPES = [...REGISTRY, ...READ_ALSO];

export interface RecordedOptions {
  /** Plurals whose list is forbidden (403), as RBAC refuses them. */
  readonly forbid?: readonly string[];
  /** Group-versions discovery does not serve (404): no cert-manager installed. */
  readonly absent?: readonly string[];
  /** Plurals left out of their group's discovery document. */
  readonly undiscovered?: readonly string[];
  /** Objects per page, whatever limit the client asks (the server may send fewer). */
  readonly pageSize?: number;
  /** Plurals whose first continue token is answered 410 Gone (the server compacted). */
  readonly expireOnce?: readonly string[];
  /** HTTPS with this server certificate; client certificates signed by `ca` are accepted. */
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string };
  /** A bearer token that is accepted. */
  readonly token?: string;
}

export interface RecordedApi {
  readonly url: string;
  /** Every request's method and path, in order. */
  readonly requests: string[];
  /** Requests other than GET: a read-only client sends none. */
  readonly writes: string[];
  close(): Promise<void>;
}

type Wire = Record<string, unknown> & { kind: string; apiVersion: string; metadata?: { name?: string; namespace?: string } };

const gvOf = (r: ResourceType): string => (r.group ? `${r.group}/${r.version}` : r.version);

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** Serves `dumpFile`'s objects as the API would list them. */
export async function serveRecorded(dumpFile: string, o: RecordedOptions = {}): Promise<RecordedApi> {
  const items = (parse(readFileSync(dumpFile, 'utf8')) as { items: Wire[] }).items;
  const requests: string[] = [];
  const writes: string[] = [];
  const expired = new Set<string>();
  const pageSize = o.pageSize ?? 500;
  const byPath = new Map(RESOURCE_TYPES.map((r) => [`/${r.group ? 'apis' : 'api'}/${gvOf(r)}/${r.plural}`, r]));

  const answer = (req: http.IncomingMessage): [number, unknown] => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method !== 'GET') {
      writes.push(`${req.method} ${req.url}`);
      return [405, status(405, 'MethodNotAllowed', 'the recorded API is read-only')];
    }
    const client = (req.socket as TLSSocket).authorized === true;
    if ((o.tls || o.token) && !client && req.headers.authorization !== `Bearer ${o.token}`) {
      return [401, status(401, 'Unauthorized', 'Unauthorized')];
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const gv = path.startsWith('/api/') ? path.slice(5) : path.startsWith('/apis/') ? path.slice(6) : '';
    const discovered = RESOURCE_TYPES.filter((r) => gvOf(r) === gv);
    if (discovered.length > 0) {
      if (o.absent?.includes(gv)) return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
      return [200, {
        kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv,
        resources: discovered.filter((r) => !o.undiscovered?.includes(r.plural)).map((r) => ({
          name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'list', 'watch'],
        })),
      }];
    }
    const r = byPath.get(path);
    if (!r || o.absent?.includes(gvOf(r))) return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
    if (o.forbid?.includes(r.plural)) {
      return [403, status(403, 'Forbidden', `${r.plural}${r.group ? `.${r.group}` : ''} is forbidden: User "viewer" cannot list resource "${r.plural}" in API group "${r.group}" at the cluster scope`)];
    }
    const all = items.filter((i) => i.kind === r.kind && i.apiVersion === gvOf(r))
      .map(({ kind: _k, apiVersion: _a, ...rest }) => rest)
      .sort((a, b) => `${a.metadata?.namespace ?? ''}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace ?? ''}/${b.metadata?.name}`));
    const token = url.searchParams.get('continue') ?? '';
    if (token && o.expireOnce?.includes(r.plural) && !expired.has(r.plural)) {
      expired.add(r.plural);
      return [410, status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.')];
    }
    const from = token ? Number(Buffer.from(token, 'base64').toString()) : 0;
    const limit = Math.min(Number(url.searchParams.get('limit') || all.length), pageSize);
    const page = all.slice(from, from + limit);
    const next = from + limit < all.length ? Buffer.from(String(from + limit)).toString('base64') : '';
    return [200, { kind: `${r.kind}List`, apiVersion: gvOf(r), metadata: { resourceVersion: '1000', ...(next ? { continue: next } : {}) }, items: page }];
  };

  const listener: http.RequestListener = (req, res) => {
    req.resume();
    const [code, body] = answer(req);
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = o.tls
    ? https.createServer({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: true, rejectUnauthorized: false }, listener)
    : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests, writes,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
