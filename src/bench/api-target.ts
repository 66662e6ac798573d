// Where `npm run bench -- api` sends its requests: a running knet cluster over its HTTPS listener
// and the kubeconfig `knet up` wrote (root), or the daemon's API handler on loopback with the
// in-memory FakeBackend (no data plane). Both give stock kubectl and plain HTTP clients.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FakeBackend, KUBECTL, serveFakeApi, type LoopbackApi } from '../api/test-support/fake-backend.js';

export interface Run {
  readonly code: number;
  readonly ms: number;
  readonly out: string;
  readonly err: string;
}

export interface Answer {
  readonly code: number;
  readonly body: string;
}

export interface Stream {
  close(): void;
}

export interface ApiTarget {
  /** Said beside every figure: which server answered. */
  readonly where: string;
  readonly cluster: boolean;
  /** Stock kubectl as a user runs it (`bin`: another kubectl, the same way). */
  kubectl(args: readonly string[], bin?: string): Promise<Run>;
  /** Where the API listens and with which TLS client options: a proxy in front of it can record kubectl's answers. */
  readonly client: Client;
  request(method: string, path: string, body?: string, contentType?: string): Promise<Answer>;
  /** A watch: `onLine` per JSON line, as it arrives (its own connection). */
  stream(path: string, onLine: (line: string) => void): Promise<Stream>;
  /** The bench process's own backend (loopback only): the API's share measured in-process. */
  readonly backend?: FakeBackend;
  close(): Promise<void>;
}

/** A merge patch that must succeed. */
export async function patchJson(t: ApiTarget, path: string, patch: unknown): Promise<void> {
  const a = await t.request('PATCH', path, JSON.stringify(patch), 'application/merge-patch+json');
  if (a.code !== 200) throw new Error(`PATCH ${path}: ${a.code} ${a.body.slice(0, 300)}`);
}

/** Stock kubectl, asynchronous (the loopback server runs in this process), timed as a whole command. */
export function runKubectl(args: readonly string[], env: NodeJS.ProcessEnv, bin = KUBECTL): Promise<Run> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(bin, args, { env, timeout: 120_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, ms: performance.now() - t, out, err }));
    child.stdin.end('');
  });
}

export interface Client {
  readonly base: URL;
  readonly tls: https.RequestOptions | null;
}

function send(c: Client, agent: http.Agent, method: string, path: string, body?: string, contentType = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const opts: https.RequestOptions = {
      ...(c.tls ?? {}), agent, method, host: c.base.hostname, port: c.base.port, path,
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } : {}) },
    };
    const req = (c.tls ? https.request : http.request)(opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text }));
    });
    req.setTimeout(300_000, () => req.destroy(new Error(`${method} ${path}: no answer in 300 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

function openStream(c: Client, path: string, onLine: (line: string) => void): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const opts: https.RequestOptions = { ...(c.tls ?? {}), agent: false, host: c.base.hostname, port: c.base.port, path, headers: { Accept: 'application/json' } };
    const req = (c.tls ? https.get : http.get)(opts, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch ${path}: ${res.statusCode}`));
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        rest += d;
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          onLine(rest.slice(0, nl));
          rest = rest.slice(nl + 1);
        }
      });
      res.on('error', () => {});
      resolve({ close: () => req.destroy() });
    });
    req.on('error', (e) => reject(e));
  });
}

function keepAliveAgent(tls: boolean): http.Agent {
  return tls ? new https.Agent({ keepAlive: true, maxSockets: 8 }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
}

/** The running cluster `knet-bench-api-*`: `knet up` with the `manifests` (files or directories), a kubeconfig of its own, `knet down` on close. */
export async function runningCluster(repoRoot: string, manifests: readonly string[], log: (line: string) => void): Promise<ApiTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'knet-bench-api-'));
  const name = `knet-bench-api-${randomBytes(2).toString('hex')}`;
  const env = { ...process.env, KUBECONFIG: join(dir, 'config'), NO_COLOR: '1' };
  const knet = (args: readonly string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/cli/main.js'), ...args], { cwd: repoRoot, encoding: 'utf8', env, timeout: 600_000 });
  const down = (): void => {
    knet(['down', '--name', name]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const files = manifests.flatMap((m) => ['-f', m]);
    log(`knet up ${files.join(' ')} --name ${name}`);
    const up = knet(['up', ...files, '--name', name]);
    if (up.status !== 0) throw new Error(`knet up: exit ${up.status}\n${(up.stderr ?? '').slice(-1500)}`);
    const config = parse(knet(['kubeconfig', '--name', name]).stdout) as KubeConfig;
    const cl = config.clusters[0]!.cluster;
    const user = config.users[0]!.user;
    const b64 = (s: string) => Buffer.from(s, 'base64');
    const c: Client = {
      base: new URL(cl.server),
      tls: { ca: b64(cl['certificate-authority-data']), cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']) },
    };
    const agent = keepAliveAgent(true);
    const cache = join(dir, 'cache');
    return {
      where: `a running cluster (${name}) over HTTPS with the kubeconfig knet up wrote`, cluster: true,
      kubectl: (args, bin) => runKubectl(['--cache-dir', cache, ...args], env, bin), client: c,
      request: (method, path, body, type) => send(c, agent, method, path, body, type),
      stream: (path, onLine) => openStream(c, path, onLine),
      close: async () => {
        agent.destroy();
        down();
      },
    };
  } catch (e) {
    down();
    throw e;
  }
}

interface KubeConfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

/** The daemon's API handler on 127.0.0.1 over HTTP, backed in memory: no data plane, no root. */
export async function loopbackApi(nodes: number): Promise<ApiTarget> {
  const api: LoopbackApi = await serveFakeApi(new FakeBackend('knet-bench-api', nodes));
  const cache = mkdtempSync(join(tmpdir(), 'knet-bench-api-cache-'));
  const c: Client = { base: new URL(api.url), tls: null };
  const agent = keepAliveAgent(false);
  const env = { ...process.env, KUBECONFIG: '/dev/null' };
  return {
    where: 'the API handler on loopback with the in-memory FakeBackend (no data plane)', cluster: false, backend: api.backend,
    kubectl: (args, bin) => runKubectl(['--server', api.url, '--cache-dir', cache, ...args], env, bin), client: c,
    request: (method, path, body, type) => send(c, agent, method, path, body, type),
    stream: (path, onLine) => openStream(c, path, onLine),
    close: async () => {
      agent.destroy();
      await api.close();
      rmSync(cache, { recursive: true, force: true });
    },
  };
}
