// The API's answers to bad requests: a Status with 400 or 413, never a 500 (no root needed:
// the listener runs on a unix socket in a temporary directory, against a daemon that must
// not be reached).
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiListener } from './api.js';
import type { Daemon } from './daemon.js';

const logged: string[] = [];
const unreachable = (): never => {
  throw new Error('the daemon was reached');
};
const daemon = {
  name: 'apitest', log: (s: string) => logged.push(s), state: { objects: [], generation: 0 },
  apply: unreachable, delete: unreachable, podHealth: unreachable,
} as unknown as Daemon;

let dir = '';
let socket = '';
let server: http.Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'knet-api-'));
  socket = join(dir, 'api.sock');
  server = http.createServer(apiListener(daemon, () => {}));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(() => {
  server.close();
  server.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

function call(method: string, path: string, body?: string | Buffer): Promise<{ code: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    // The server may answer 413 and close before the whole body is written.
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(e)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const CM = '/api/v1/namespaces/default/configmaps';
const KNET = '/apis/knet.dev/v1alpha1';
const deep = (n: number) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":{},"x":${'['.repeat(n)}${']'.repeat(n)}}`;
const sized = (bytes: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { b: 'x'.repeat(bytes) } });

describe('the API refuses bad requests with a Status, never a 500', () => {
  it.each([
    ['POST null -> 400', 'POST', CM, 'null', 400, /must be one JSON object .*not null/],
    ['POST a list -> 400', 'POST', CM, '[1,2]', 400, /not a list/],
    ['POST a string -> 400', 'POST', CM, '"x"', 400, /not a string/],
    ['POST invalid JSON -> 400', 'POST', CM, '{"a":', 400, /the body is not JSON/],
    ['PUT null -> 400', 'PUT', `${CM}/x`, 'null', 400, /must be one JSON object/],
    ['apply null -> 400', 'POST', `${KNET}/apply`, 'null', 400, /must be one JSON object/],
    ['apply a number -> 400', 'POST', `${KNET}/apply`, '7', 400, /not a number/],
    ['apply without files -> 400', 'POST', `${KNET}/apply`, '{}', 400, /apply takes/],
    ['delete null -> 400', 'POST', `${KNET}/delete`, 'null', 400, /must be one JSON object/],
    ['health null -> 400', 'POST', `${KNET}/health/default/web`, 'null', 400, /must be one JSON object/],
    ['a bad %-escape in the path -> 400', 'GET', '/api/v1/namespaces/%zz/pods', undefined, 400, /bad %-escape/],
    ['a lone % in the name -> 400', 'DELETE', `${CM}/a%`, undefined, 400, /bad %-escape/],
    ['JSON nested 600 deep -> 400', 'POST', CM, deep(600), 400, /nests deeper than 512 levels/],
    ['JSON nested 100000 deep -> 400', 'POST', CM, deep(100_000), 400, /nests deeper than 512 levels/],
    ['a 2 MiB object -> 413 (etcd)', 'POST', CM, sized(2 * 1024 * 1024), 413, /etcdserver: request is too large/],
    ['a 4 MiB request -> 413 (the API server)', 'POST', CM, sized(4 * 1024 * 1024), 413, /^Request entity too large: limit is 3145728$/],
    ['a 65 MiB apply -> 413', 'POST', `${KNET}/apply`, JSON.stringify({ files: [{ name: 'a', text: 'x'.repeat(65 * 1024 * 1024) }] }), 413, /limit is 67108864 \(knet apply sends every file in one request/],
  ])('%s', async (_name, method, path, body, code, message) => {
    const r = await call(method, path, body);
    expect(r.code).toBe(code);
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', code });
    expect(String(r.json['message'])).toMatch(message);
    expect(r.json['reason']).toBe(code === 400 ? 'BadRequest' : 'RequestEntityTooLarge');
  });

  it('nothing above reached the daemon or was logged as an internal error', () => {
    expect(logged).toEqual([]);
  });
});
