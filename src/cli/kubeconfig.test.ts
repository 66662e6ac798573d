import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { contextName, type ClusterAccess } from '../api/kubeconfig.js';
import { serveClusterHttps } from '../api/tls.js';
import { clusterAccess, setKubeconfigContext, unsetKubeconfigContext } from './kubeconfig.js';
import { main } from './main.js';

const access = (cluster: string): ClusterAccess => ({ name: contextName(cluster), server: 'https://127.0.0.1:40000', caPem: 'CA\n', clientCertPem: 'CERT\n', clientKeyPem: 'KEY\n' });
const OTHER = 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://other:6443\n  name: other\ncontexts:\n- context:\n    cluster: other\n    user: other\n  name: other\ncurrent-context: other\nkind: Config\npreferences: {}\nusers:\n- name: other\n  user:\n    token: t\n';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'knet-home-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('the kubeconfig kubectl uses', () => {
  it('no ~/.kube/config: made, mode 0600, with the context current', async () => {
    const path = await setKubeconfigContext(access('dev'), { HOME: home });
    expect(path).toBe(join(home, '.kube/config'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(parse(readFileSync(path, 'utf8'))['current-context']).toBe('knet-dev');
  });

  it('an existing file keeps its mode and other entries; down takes ours out and empties current-context', async () => {
    mkdirSync(join(home, '.kube'));
    const path = join(home, '.kube/config');
    writeFileSync(path, OTHER, { mode: 0o640 });
    await setKubeconfigContext(access('dev'), { HOME: home });
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(await unsetKubeconfigContext('dev', { HOME: home })).toEqual([path]);
    expect(readFileSync(path, 'utf8')).toBe(OTHER.replace('current-context: other', 'current-context: ""'));
    expect(await unsetKubeconfigContext('dev', { HOME: home })).toEqual([]);
  });

  it('$KUBECONFIG with several paths: merged into the first that exists, removed from every one', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((f) => join(home, f)) as [string, string, string];
    writeFileSync(b, OTHER);
    writeFileSync(c, OTHER);
    const env = { KUBECONFIG: `${a}:${b}:${c}`, HOME: home };
    expect(await setKubeconfigContext(access('dev'), env)).toBe(b);
    expect(existsSync(a)).toBe(false);
    expect(readFileSync(c, 'utf8')).toBe(OTHER);
    // Another knet's entries put into c by hand: down finds them there too.
    await setKubeconfigContext(access('dev'), { KUBECONFIG: c });
    expect(await unsetKubeconfigContext('dev', env)).toEqual([b, c]);
  });

  it('none of $KUBECONFIG\'s files exists: the last is made', async () => {
    const env = { KUBECONFIG: `${join(home, 'x')}:${join(home, 'sub/y')}` };
    expect(await setKubeconfigContext(access('dev'), env)).toBe(join(home, 'sub/y'));
  });

  it('a symlinked kubeconfig stays a symlink; its target is written', async () => {
    const target = join(home, 'real-config');
    writeFileSync(target, OTHER);
    mkdirSync(join(home, '.kube'));
    symlinkSync(target, join(home, '.kube/config'));
    await setKubeconfigContext(access('dev'), { HOME: home });
    expect(lstatSync(join(home, '.kube/config')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toContain('knet-dev');
  });

  it.skipIf(process.getuid?.() !== 0)('root writing a user\'s kubeconfig (sudo -E) leaves it, and a new ~/.kube, theirs', async () => {
    chownSync(home, 4321, 4321);
    const path = await setKubeconfigContext(access('dev'), { HOME: home });
    expect([statSync(path).uid, statSync(join(home, '.kube')).uid]).toEqual([4321, 4321]);
    await unsetKubeconfigContext('dev', { HOME: home });
    expect(statSync(path).uid).toBe(4321);
  });
});

describe.skipIf(spawnSync('sh', ['-c', 'command -v openssl']).status !== 0)('knet kubeconfig', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env['KNET_STATE_ROOT'];
    process.env['KNET_STATE_ROOT'] = join(home, 'state');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env['KNET_STATE_ROOT'];
    else process.env['KNET_STATE_ROOT'] = saved;
  });

  const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    process.exitCode = 0;
    const code = main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), color: false });
    // The action is asynchronous (daemonAction): done when it has said something.
    for (let i = 0; i < 250 && out === '' && err === ''; i++) await new Promise((r) => setTimeout(r, 20));
    const exit = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return { code: code || exit, out, err };
  };

  it('prints the cluster\'s kubeconfig: its CA and admin certificate inline, its HTTPS address', async () => {
    const api = await serveClusterHttps('kc', 'cluster.local', (_q, s) => s.end(), () => {});
    try {
      writeFileSync(join(home, 'state/kc/state.json'), '{}');
      const r = await run(['kubeconfig', '--name', 'kc']);
      expect(r.err).toBe('');
      const c = parse(r.out) as { clusters: { cluster: Record<string, string>; name: string }[]; users: { user: Record<string, string> }[]; 'current-context': string };
      expect(c['current-context']).toBe('knet-kc');
      expect(c.clusters[0]!.cluster['server']).toBe(`https://127.0.0.1:${api.port}`);
      const a = clusterAccess('kc')!;
      expect(Buffer.from(c.clusters[0]!.cluster['certificate-authority-data']!, 'base64').toString()).toBe(a.caPem);
      expect(Buffer.from(c.users[0]!.user['client-key-data']!, 'base64').toString()).toBe(a.clientKeyPem);
    } finally {
      api.close();
    }
  });

  it('a cluster that does not exist: said, exit 1', async () => {
    const r = await run(['kubeconfig', '--name', 'nope']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: no cluster nope (on this machine|that this user can read)\n/);
  });
});
