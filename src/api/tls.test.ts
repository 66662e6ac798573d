import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { contextName, standaloneKubeconfig } from './kubeconfig.js';
import { ADMIN_GROUP, ADMIN_USER, apiServerNames, ensureClusterPki, sansOf, type ClusterPki } from './pki.js';
import { FakeBackend, KUBECTL, kubectlSkipReason } from './test-support/fake-backend.js';
import { readHttpsPort, serveClusterHttps, serveHttps, type HttpsApi } from './tls.js';
import { apiListener } from '../daemon/api.js';
import { httpsEndpointPath, pkiDir } from '../daemon/paths.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const opensslSkip = spawnSync('sh', ['-c', 'command -v openssl']).status === 0 ? '' : 'no openssl';

let dir: string;
let pki: ClusterPki;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'knet-pki-'));
  if (!opensslSkip) pki = (await ensureClusterPki(join(dir, 'pki'), 'cluster.local')).pki;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(opensslSkip)('the cluster PKI', () => {
  it('both leaves verify against the cluster CA (openssl verify)', () => {
    const out = execFileSync('openssl', ['verify', '-CAfile', 'ca.crt', 'apiserver.crt', 'admin.crt'], { cwd: join(dir, 'pki'), encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(['apiserver.crt: OK', 'admin.crt: OK']);
  });

  it('the server certificate: the loopback and kubernetes Service names, serverAuth only, not a CA', () => {
    const c = new X509Certificate(pki.server.certPem);
    expect(sansOf(c)).toEqual(['127.0.0.1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost']);
    expect(c.keyUsage).toEqual([SERVER_AUTH]);
    expect(c.ca).toBe(false);
  });

  it('the admin certificate: CN=kubernetes-admin, O=system:masters, clientAuth only', () => {
    const c = new X509Certificate(pki.admin.certPem);
    expect(c.subject.split('\n')).toEqual([`O=${ADMIN_GROUP}`, `CN=${ADMIN_USER}`]);
    expect(c.keyUsage).toEqual([CLIENT_AUTH]);
    expect(c.ca).toBe(false);
    expect(new X509Certificate(pki.ca.certPem).ca).toBe(true);
  });

  it('private keys are 0600, certificates 0644', () => {
    for (const f of ['ca', 'apiserver', 'admin']) {
      expect(statSync(join(dir, 'pki', `${f}.key`)).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'pki', `${f}.crt`)).mode & 0o777).toBe(0o644);
    }
  });

  it('a restart reuses everything; a missing part is made again from the same CA', async () => {
    const again = await ensureClusterPki(join(dir, 'pki'), 'cluster.local');
    expect(again.made).toEqual([]);
    expect(again.pki).toEqual(pki);
    const copy = mkdtempSync(join(tmpdir(), 'knet-pki-copy-'));
    try {
      for (const f of ['ca', 'apiserver', 'admin']) for (const e of ['crt', 'key']) writeFileSync(join(copy, `${f}.${e}`), readFileSync(join(dir, 'pki', `${f}.${e}`)));
      unlinkSync(join(copy, 'admin.crt'));
      const fixed = await ensureClusterPki(copy, 'cluster.local');
      expect(fixed.made).toEqual(['admin']);
      expect(fixed.pki.ca).toEqual(pki.ca);
      // A key that is not the certificate's (a crash between the two writes) is a missing part too.
      writeFileSync(join(copy, 'apiserver.key'), pki.admin.keyPem);
      expect((await ensureClusterPki(copy, 'cluster.local')).made).toEqual(['server']);
      // Another cluster domain: another server name.
      const other = await ensureClusterPki(copy, 'example.internal');
      expect(other.made).toEqual(['server']);
      expect(sansOf(new X509Certificate(other.pki.server.certPem))).toContain('kubernetes.default.svc.example.internal');
      // Leaves near their end (a year) are renewed; a CA near its own (ten years) takes everything.
      expect((await ensureClusterPki(copy, 'example.internal', Date.now() + 365 * 86400_000)).made).toEqual(['server', 'admin']);
      expect((await ensureClusterPki(copy, 'example.internal', Date.now() + 3650 * 86400_000)).made).toEqual(['ca', 'server', 'admin']);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('the names are the ones kube-apiserver serves', () => {
    expect(apiServerNames('c.local')).toEqual(['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.c.local']);
  });
});

interface Answer {
  readonly code: number;
  readonly body: string;
}

function get(api: HttpsApi, path: string, client: { certPem: string; keyPem: string } | null, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: api.port, path, ca: pki.ca.certPem, servername: 'localhost', headers, agent: false,
      ...(client ? { cert: client.certPem, key: client.keyPem } : {}) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const hello: http.RequestListener = (_req, res) => res.end('hello');

describe.skipIf(opensslSkip)('the HTTPS listener', () => {
  let api: HttpsApi;
  let foreign: ClusterPki;
  beforeAll(async () => {
    api = await serveHttps(hello, { pki, port: 0, upgrade: (_req, socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n') });
    foreign = (await ensureClusterPki(join(dir, 'foreign'), 'cluster.local')).pki;
  });
  afterAll(() => api.close());

  it('the admin certificate is let through to the handler', async () => {
    expect(await get(api, '/version', pki.admin)).toEqual({ code: 200, body: 'hello' });
  });

  it('no client certificate: 401 with the API server\'s Status', async () => {
    const r = await get(api, '/api/v1/pods', null);
    expect(r.code).toBe(401);
    expect(JSON.parse(r.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  });

  it('a certificate another CA signed: 401', async () => {
    expect((await get(api, '/version', foreign.admin)).code).toBe(401);
  });

  it('the server\'s own certificate (serverAuth, not clientAuth): 401', async () => {
    expect((await get(api, '/version', pki.server)).code).toBe(401);
  });

  it('an Upgrade without a client certificate is refused before the upgrade handler; with one it reaches it', async () => {
    const upgrade = (client: ClusterPki['admin'] | null): Promise<number> => new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: api.port, path: '/api/v1/namespaces/default/pods/p/exec', ca: pki.ca.certPem, servername: 'localhost', agent: false,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket' }, ...(client ? { cert: client.certPem, key: client.keyPem } : {}) });
      req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0); });
      req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end();
    });
    expect(await upgrade(null)).toBe(401);
    expect(await upgrade(pki.admin)).toBe(101);
  });

  it('the port wanted is taken: another free one', async () => {
    const taken = await serveHttps(hello, { pki, port: api.port });
    try {
      expect(taken.port).not.toBe(api.port);
      expect(taken.port).toBeGreaterThan(0);
    } finally {
      taken.close();
    }
  });

  it('a client offering h2 and HTTP/1.1 (as Go\'s does) is answered in HTTP/1.1', async () => {
    const alpn = await new Promise<string | false | null>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: api.port, ca: pki.ca.certPem, servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'],
        cert: pki.admin.certPem, key: pki.admin.keyPem }, () => {
        resolve(socket.alpnProtocol);
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(alpn).toBe('http/1.1');
  });

  it('only on 127.0.0.1', () => {
    expect((api.server.address() as net.AddressInfo).address).toBe('127.0.0.1');
  });
});

describe.skipIf(opensslSkip)('the daemon\'s listener across restarts', () => {
  it('the first start records the port; the next one takes the same port and the same CA', async () => {
    const root = mkdtempSync(join(tmpdir(), 'knet-state-'));
    const saved = process.env['KNET_STATE_ROOT'];
    process.env['KNET_STATE_ROOT'] = root;
    const lines: string[] = [];
    try {
      const first = await serveClusterHttps('tlsx', 'cluster.local', hello, (l) => lines.push(l));
      const ca = readFileSync(join(pkiDir('tlsx'), 'ca.crt'), 'utf8');
      expect(readHttpsPort('tlsx')).toBe(first.port);
      expect(JSON.parse(readFileSync(httpsEndpointPath('tlsx'), 'utf8'))).toEqual({ port: first.port });
      first.close();
      await new Promise((r) => setTimeout(r, 50));
      const second = await serveClusterHttps('tlsx', 'cluster.local', hello, (l) => lines.push(l));
      expect(second.port).toBe(first.port);
      expect(readFileSync(join(pkiDir('tlsx'), 'ca.crt'), 'utf8')).toBe(ca);
      // The port taken by someone else meanwhile: a new one, recorded, and the log says so.
      const third = await serveClusterHttps('tlsx', 'cluster.local', hello, (l) => lines.push(l));
      expect(third.port).not.toBe(second.port);
      expect(readHttpsPort('tlsx')).toBe(third.port);
      expect(lines.at(-1)).toBe(`api: port ${second.port} is taken; listening on ${third.port} (knet up --name tlsx updates the kubeconfig)`);
      second.close();
      third.close();
      expect(lines[0]).toMatch(/^api: made the ca, server, admin certificates in /);
    } finally {
      if (saved === undefined) delete process.env['KNET_STATE_ROOT'];
      else process.env['KNET_STATE_ROOT'] = saved;
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(opensslSkip || kubectlSkipReason)('stock kubectl over HTTPS with the cluster\'s kubeconfig', () => {
  let api: HttpsApi;
  let kubeDir: string;
  const backend = new FakeBackend('tls-kubectl');
  beforeAll(async () => {
    api = await serveHttps(apiListener(backend.asDaemon(), () => {}), { pki, port: 0 });
    await backend.apply([{ name: 'web.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default, labels: {app: web}}\nspec: {containers: [{name: c, image: nginx}]}\n' }]);
    kubeDir = mkdtempSync(join(tmpdir(), 'knet-kubeconfig-'));
  });
  afterAll(() => {
    api.close();
    rmSync(kubeDir, { recursive: true, force: true });
  });

  /** kubectl with only this kubeconfig (asynchronous: the server runs in this process). */
  const run = (config: string, args: readonly string[]): Promise<{ code: number; out: string; err: string }> => {
    const path = join(kubeDir, `config-${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, config, { mode: 0o600 });
    return new Promise((resolve) => {
      const child = spawn(KUBECTL, ['--kubeconfig', path, '--cache-dir', join(kubeDir, 'cache'), ...args], { env: { ...process.env, KUBECONFIG: '' }, timeout: 30_000 });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
      child.stdin.end(); // a user without credentials: kubectl would ask for a username on an open stdin
    });
  };

  const config = (): string => standaloneKubeconfig({
    name: contextName('tls-kubectl'), server: api.url, caPem: pki.ca.certPem, clientCertPem: pki.admin.certPem, clientKeyPem: pki.admin.keyPem,
  });

  it('kubectl get --raw /version verifies the server and authenticates', async () => {
    const r = await run(config(), ['get', '--raw', '/version']);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toHaveProperty('gitVersion');
  });

  it('kubectl get pods -A (discovery, then a Table)', async () => {
    const r = await run(config(), ['get', 'pods', '-A']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/\bweb\b/);
  });

  // With no credentials at all kubectl asks for a username on stdin; a token it has, as a user whose certificate was removed would.
  it('the client certificate removed (a token instead): "You must be logged in to the server (Unauthorized)"', async () => {
    const c = parse(config()) as { users: { user: Record<string, string> }[] };
    c.users[0]!.user = { token: 'not-a-credential' };
    const r = await run(stringify(c), ['get', '--raw', '/version']);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe('error: You must be logged in to the server (Unauthorized)');
  });

  it('a client certificate another CA signed: Unauthorized', async () => {
    const foreign = (await ensureClusterPki(join(dir, 'foreign-kubectl'), 'cluster.local')).pki;
    const c = parse(config()) as { users: { user: Record<string, string> }[] };
    c.users[0]!.user = { 'client-certificate-data': Buffer.from(foreign.admin.certPem).toString('base64'), 'client-key-data': Buffer.from(foreign.admin.keyPem).toString('base64') };
    const raw = await run(stringify(c), ['get', '--raw', '/api/v1/pods']);
    expect(raw.code).toBe(1);
    expect(raw.err.trim()).toBe('error: You must be logged in to the server (Unauthorized)');
    // Through discovery too, as kubectl words a real API server's 401.
    const get = await run(stringify(c), ['get', 'pods', '-A']);
    expect(get.code).toBe(1);
    expect(get.err.trim().split('\n').at(-1)).toBe('error: You must be logged in to the server (Unauthorized)');
  });
});

