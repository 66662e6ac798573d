// `kubectl knet ...`: the package's `kubectl-knet` (the same bin.cjs as `knet`) on PATH is a
// kubectl plugin, as krew's are; kubectl hands it no flags, so it reads $KUBECONFIG itself and
// answers from the live cluster as `knet ... -f` does from the manifests. Needs the build
// (dist/cli/bin.cjs) and stock kubectl; skipped with the reason otherwise.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBackend, KUBECTL, kubectlSkipReason, serveFakeApi, type LoopbackApi } from '../api/test-support/fake-backend.js';
import { knetLive, writeKubeconfig } from './test-support/live.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'dist/cli/bin.cjs');
const OPSCART = join(ROOT, 'examples/opscart');
const reason = kubectlSkipReason || (existsSync(BIN) ? '' : 'dist/cli/bin.cjs is not built (npm run build)');

describe.skipIf(reason)('kubectl knet, the plugin', () => {
  let api: LoopbackApi;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    api = await serveFakeApi(new FakeBackend('knet-livesource-plugin', 3));
    const files = readdirSync(OPSCART).filter((f) => f.endsWith('.yaml')).sort();
    await api.backend.apply(files.map((f) => ({ name: f, text: readFileSync(join(OPSCART, f), 'utf8') })));
    dir = mkdtempSync(join(tmpdir(), 'knet-plugin-'));
    symlinkSync(BIN, join(dir, 'kubectl-knet'));
    const kubeconfig = writeKubeconfig(dir, 'config', { name: 'knet-livesource-plugin', server: api.url });
    env = { ...process.env, PATH: `${dir}:${process.env['PATH']}`, KUBECONFIG: kubeconfig, HOME: dir, NO_COLOR: '1' };
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await api.close();
  });

  const kubectl = (...args: string[]): Promise<{ code: number; out: string; err: string }> => new Promise((resolve) => {
    const child = execFile(KUBECTL, args, { env, timeout: 60_000 }, (error, out, err) => resolve({ code: child.exitCode ?? (error ? -1 : 0), out, err }));
  });

  it('kubectl plugin list finds it on PATH', async () => {
    const r = await kubectl('plugin', 'list');
    expect(r.out).toContain(join(dir, 'kubectl-knet'));
  });

  it('kubectl knet trace: the live cluster\'s answer, the same as knet trace -f', async () => {
    const argv = ['trace', '--from', 'production/deploy/frontend', 'http://api-service:8080/', '-o', 'json'];
    const plugin = await kubectl('knet', ...argv);
    const fromFiles = await knetLive([...argv, '-f', OPSCART]);
    expect(plugin.err).toBe('');
    expect(plugin.code).toBe(0);
    expect(JSON.parse(plugin.out)).toEqual(JSON.parse(fromFiles.out));
    expect(JSON.parse(plugin.out).verdict).toBe('delivered');
  });

  it('kubectl knet matrix --context NAME: the context given after knet, as kubectl passes plugins no flags', async () => {
    const plugin = await kubectl('knet', 'matrix', '--port', '8080', '-o', 'json', '--context', 'knet-livesource-plugin');
    const fromFiles = await knetLive(['matrix', '--port', '8080', '-o', 'json', '-f', OPSCART]);
    expect(plugin.code, plugin.err).toBe(0);
    expect(plugin.out.trim()).toBe(fromFiles.out.trim());
    const wrong = await kubectl('knet', 'matrix', '--context', 'nope');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/context "nope" does not exist in .*config\n {2}hint: contexts there: knet-livesource-plugin/);
  });
});
