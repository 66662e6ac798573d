// The object store as stock kubectl sees it: field selectors, --chunk-size (limit/continue),
// `get -w`, `wait --for=delete|jsonpath`, `delete` waiting for the watch to see the object
// gone, and `replace` with a stale resourceVersion refused.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiListener } from '../daemon/api.js';
import { FakeBackend, KUBECTL, kubectlAgainst, kubectlSkipReason } from './test-support/fake-backend.js';

const APP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: "1"}
`;
const configMap = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {a: "${value}"}\n`;

/** kubectl running on (get -w, wait): its output as it comes, and a way to end it. */
function kubectlRunning(server: string, cacheDir: string, args: readonly string[]) {
  const child = spawn(KUBECTL, ['--server', server, '--cache-dir', cacheDir, ...args], { env: { ...process.env, KUBECONFIG: '/dev/null' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return { out: () => out, err: () => err, exited, stop: () => child.kill() };
}

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(kubectlSkipReason)('stock kubectl against the object store', () => {
  let backend: FakeBackend;
  let server: http.Server;
  let url = '';
  let cacheDir = '';
  const seen: string[] = [];

  beforeAll(async () => {
    backend = new FakeBackend('knet-store-kubectl');
    await backend.apply([{ name: 'app.yaml', text: APP }]);
    const api = apiListener(backend.asDaemon(), () => {});
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      api(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cacheDir = mkdtempSync(join(tmpdir(), 'knet-kubectl-watch-'));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const kubectl = async (args: readonly string[], stdin?: string) => {
    const k = kubectlAgainst(url);
    try {
      return await k.run(args, stdin);
    } finally {
      k.close();
    }
  };

  it('get pods --field-selector status.phase=Running: the server selects (and refuses a field it lacks)', async () => {
    const running = await kubectl(['get', 'pods', '--field-selector', 'status.phase=Running', '-o', 'name']);
    expect(running.err).toBe('');
    expect(running.out.trim().split('\n')).toHaveLength(3);
    expect(seen.some((s) => s.includes('fieldSelector=status.phase%3DRunning'))).toBe(true);
    const none = await kubectl(['get', 'pods', '--field-selector', 'status.phase!=Running']);
    expect(none.err.trim()).toBe('No resources found in default namespace.');
    const bad = await kubectl(['get', 'pods', '--field-selector', 'spec.foo=bar']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('field label not supported: spec.foo');
  });

  it('get pods --chunk-size=2: pages with limit and continue, every pod once', async () => {
    const before = seen.length;
    const r = await kubectl(['get', 'pods', '--chunk-size=2', '-o', 'name']);
    const names = r.out.trim().split('\n');
    expect(names).toHaveLength(3);
    expect(new Set(names).size).toBe(3);
    const pages = seen.slice(before).filter((s) => s.startsWith('GET /api/v1/namespaces/default/pods?'));
    expect(pages).toHaveLength(2);
    expect(pages[0]).toContain('limit=2');
    expect(pages[1]).toMatch(/limit=2&continue=|continue=.*limit=2/);
  });

  it('get -w prints the list, then a change made meanwhile', async () => {
    const w = kubectlRunning(url, cacheDir, ['get', 'configmaps', '-w', '-o', 'name']);
    try {
      await until(() => w.out().includes('configmap/cfg'));
      await backend.apply([{ name: 'new.yaml', text: configMap('added-later', '1') }]);
      await until(() => w.out().includes('configmap/added-later'));
    } finally {
      w.stop();
    }
  });

  it('wait --for=jsonpath and --for=delete: list, then watch with the name\'s field selector', async () => {
    await backend.apply([{ name: 'w.yaml', text: configMap('waited', '1') }]);
    const forValue = kubectlRunning(url, cacheDir, ['wait', '--for=jsonpath={.data.a}=2', 'configmap/waited', '--timeout=20s']);
    const forDelete = kubectlRunning(url, cacheDir, ['wait', '--for=delete', 'configmap/waited', '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 500));
    await backend.apply([{ name: 'w.yaml', text: configMap('waited', '2') }]);
    expect(await forValue.exited).toBe(0);
    expect(forValue.out()).toContain('configmap/waited condition met');
    await backend.delete([{ kind: 'ConfigMap', namespace: 'default', name: 'waited' }]);
    expect(await forDelete.exited).toBe(0);
    expect(forDelete.out()).toContain('configmap/waited condition met');
    expect(seen.some((s) => s.includes('watch=true') && s.includes('fieldSelector=metadata.name%3Dwaited'))).toBe(true);
  }, 30_000);

  it('a raw watch: ADDED for what is there, a BOOKMARK before timeoutSeconds ends it; a version ahead of the store is an ERROR event', async () => {
    const r = await kubectl(['get', '--raw', '/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=1']);
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string; resourceVersion: string } } });
    expect(events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name)).toContain('cfg');
    expect(events.at(-1)!.type).toBe('BOOKMARK');
    const ahead = await kubectl(['get', '--raw', '/api/v1/configmaps?watch=1&resourceVersion=99999999']);
    expect(JSON.parse(ahead.out)).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 504, reason: 'Timeout' } });
  });

  it('delete answers with the object and returns once the watch sees it gone', async () => {
    await backend.apply([{ name: 'd.yaml', text: configMap('doomed', '1') }]);
    const r = await kubectl(['delete', 'configmap', 'doomed']);
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe('configmap "doomed" deleted');
    expect((await kubectl(['get', 'configmap', 'doomed'])).err).toContain('configmaps "doomed" not found');
  });

  it('replace with a stale resourceVersion: 409 Conflict in the API server\'s words; with the current one it goes through', async () => {
    const read = JSON.parse((await kubectl(['get', 'configmap', 'cfg', '-o', 'json'])).out) as { data: Record<string, string>; metadata: { resourceVersion: string } };
    await backend.apply([{ name: 'c.yaml', text: configMap('cfg', 'changed') }]);
    const stale = await kubectl(['replace', '--validate=false', '-f', '-'], JSON.stringify({ ...read, data: { a: 'mine' } }));
    expect(stale.code).not.toBe(0);
    expect(stale.err).toContain('Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again');
    const fresh = JSON.parse((await kubectl(['get', 'configmap', 'cfg', '-o', 'json'])).out) as typeof read;
    const ok = await kubectl(['replace', '--validate=false', '-f', '-'], JSON.stringify({ ...fresh, data: { a: 'mine' } }));
    expect(ok.err).toBe('');
    const after = JSON.parse((await kubectl(['get', 'configmap', 'cfg', '-o', 'json'])).out) as typeof read;
    expect(after.data.a).toBe('mine');
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(fresh.metadata.resourceVersion));
    const missing = await kubectl(['replace', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nope' } }));
    expect(missing.err).toContain('configmaps "nope" not found');
  });
});
