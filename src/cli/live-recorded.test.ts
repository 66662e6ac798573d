// Predict through a kubeconfig against recorded API responses of real clusters' shapes (the dumps
// of test/fixtures/dumps served as a kube-apiserver lists them): the same answers as -f of the
// dump; discovery without a group, a 403, pages with continue and an expired continue token are
// taken in stride; client certificates, tokens and exec plugins authenticate; and nothing but
// GET is ever sent.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureClusterPki, type ClusterPki } from '../api/pki.js';
import { serveRecorded, type RecordedApi } from './test-support/recorded-api.js';
import { knetLive, writeKubeconfig } from './test-support/live.js';

const DUMPS = join(import.meta.dirname, '../../test/fixtures/dumps');
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** The table without its AGE column: a live list and a dump of it are seconds apart. */
function withoutAge(out: string): string[] {
  return out.trimEnd().split(/\n\n+/).flatMap((table) => {
    const lines = table.split('\n');
    const at = lines[0]!.indexOf('AGE');
    if (at < 0) return lines;
    return lines.map((l) => `${l.slice(0, at)}|${l.slice(at).replace(/^\S+/, '')}`.replace(/\s+/g, ' '));
  });
}

let dir: string;
let pki: ClusterPki;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'knet-live-recorded-'));
  pki = (await ensureClusterPki(join(dir, 'pki'), 'cluster.local')).pki;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['calico', 'aws-vpc-cni', 'dual-stack'])('a %s cluster, read over HTTPS with a client certificate', (name) => {
  const dump = join(DUMPS, `${name}.yaml`);
  let api: RecordedApi;
  let kubeconfig: string;
  beforeAll(async () => {
    api = await serveRecorded(dump, {
      tls: { ca: pki.ca.certPem, cert: pki.server.certPem, key: pki.server.keyPem },
      forbid: ['secrets'], absent: ['cert-manager.io/v1'], undiscovered: ['ingressclasses'], pageSize: 3, expireOnce: ['pods'],
    });
    kubeconfig = writeKubeconfig(dir, `${name}.kubeconfig`, {
      name: `${name}-admin`, server: api.url,
      cluster: { 'certificate-authority-data': b64(pki.ca.certPem) },
      user: { 'client-certificate-data': b64(pki.admin.certPem), 'client-key-data': b64(pki.admin.keyPem) },
    });
  });
  afterAll(() => api.close());

  it('get pods,svc,endpointslices,netpol -A -o wide: the dump\'s rows', async () => {
    const argv = ['get', 'pods,svc,endpointslices,netpol,deploy,ds,nodes', '-A', '-o', 'wide'];
    const fromDump = await knetLive([...argv, '-f', dump]);
    const live = await knetLive([...argv, '--kubeconfig', kubeconfig]);
    expect(live.code, live.err).toBe(0);
    expect(withoutAge(live.out)).toEqual(withoutAge(fromDump.out));
    // The 403 is said, once, in the API server's words; the groups not served are quiet notes.
    expect(live.err).toMatch(/cannot list secrets: secrets is forbidden: User "viewer" cannot list resource "secrets"/);
    expect(live.err).not.toMatch(/cert-manager/);
  });

  it('trace, matrix and dns: the same JSON as -f of the dump', async () => {
    const pods = (await knetLive(['get', 'pods', '-A', '-o', 'name', '-f', dump])).out.trim().split('\n');
    expect(pods.length).toBeGreaterThan(3);
    const first = (await knetLive(['get', 'pods', '-A', '-f', dump])).out.split('\n')[1]!.split(/\s+/);
    const from = `${first[0]}/${first[1]}`;
    for (const argv of [
      ['trace', '--from', from, 'http://kubernetes.default:443/', '-o', 'json'],
      ['trace', '--from', from, 'https://api.github.com/', '-o', 'json'],
      ['matrix', '--port', '8080', '-o', 'json'],
      ['dns', 'kubernetes.default.svc.cluster.local', '--from', from, '-o', 'json'],
    ]) {
      const fromDump = await knetLive([...argv, '-f', dump]);
      const live = await knetLive([...argv, '--kubeconfig', kubeconfig]);
      expect([argv.join(' '), live.out]).toEqual([argv.join(' '), fromDump.out]);
      expect(live.code).toBe(fromDump.code);
    }
  });

  it('diagnose: the same findings as -f of the dump, and the notes of what could not be read', async () => {
    type Finding = { code: string; severity: string; object: string | null; message: string; hint: string | null };
    const findings = async (argv: string[]): Promise<string[]> => {
      const r = await knetLive(['diagnose', '-o', 'json', ...argv]);
      return (JSON.parse(r.out) as { issues: Finding[] }).issues.map((f) => `${f.severity} ${f.code} ${f.object ?? ''}: ${f.message} (${f.hint})`).sort();
    };
    const fromDump = await findings(['-f', dump]);
    const live = await findings(['--kubeconfig', kubeconfig]);
    // Positions differ (file:line against the list read); the findings do not.
    expect(live.filter((f) => !/ live-/.test(f))).toEqual(fromDump);
    expect(live.filter((f) => / live-/.test(f)).map((f) => f.split(':')[0])).toEqual([
      'info live-not-served ', 'info live-not-served ', 'warning live-forbidden ',
    ]);
  });

  it('pages: every list asked with limit, pods followed through continue, the expired token listed again', () => {
    const pods = api.requests.filter((r) => r.startsWith('GET /api/v1/pods?'));
    expect(pods.every((r) => r.includes('limit=500'))).toBe(true);
    expect(pods.filter((r) => r.includes('continue=')).length).toBeGreaterThan(2);
  });

  it('read-only: the server saw GETs only', () => {
    expect(api.requests.length).toBeGreaterThan(20);
    expect(api.writes).toEqual([]);
  });
});

describe('authentication', () => {
  const dump = join(DUMPS, 'calico.yaml');
  let api: RecordedApi;
  beforeAll(async () => {
    api = await serveRecorded(dump, { tls: { ca: pki.ca.certPem, cert: pki.server.certPem, key: pki.server.keyPem }, token: 'sesame-42' });
    writeFileSync(join(dir, 'ca.crt'), pki.ca.certPem);
    writeFileSync(join(dir, 'token'), 'sesame-42\n');
  });
  afterAll(() => api.close());

  const podsVia = async (user: Record<string, unknown>, file: string, cluster: Record<string, unknown> = { 'certificate-authority': 'ca.crt' }) => {
    const kubeconfig = writeKubeconfig(dir, file, { name: 'prod', server: api.url, cluster, user });
    return knetLive(['get', 'pods', '-n', 'kube-system', '-o', 'name', '--kubeconfig', kubeconfig]);
  };

  it('a bearer token from tokenFile, the CA from a file, both relative to the kubeconfig', async () => {
    const r = await podsVia({ tokenFile: 'token' }, 'token.kubeconfig');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^pod\/calico-node-/m);
  });

  it('a wrong token: Unauthorized, with the fix', async () => {
    const r = await podsVia({ token: 'wrong' }, 'wrong.kubeconfig');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/context "prod" \(https:\/\/127\.0\.0\.1:\d+\): Unauthorized/);
    expect(r.err).toMatch(/hint: .*renew them/);
  });

  it('a server certificate the CA did not sign: refused, with the fix', async () => {
    const other = (await ensureClusterPki(join(dir, 'other-pki'), 'cluster.local')).pki;
    const r = await podsVia({ token: 'sesame-42' }, 'other-ca.kubeconfig', { 'certificate-authority-data': b64(other.ca.certPem) });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+ \(context "prod"\)/);
    expect(r.err).toMatch(/hint: the server's certificate is not signed by the kubeconfig's certificate-authority/);
  });

  it('insecure-skip-tls-verify: no CA, the server\'s certificate not checked, as kubectl does', async () => {
    const r = await podsVia({ token: 'sesame-42' }, 'insecure.kubeconfig', { 'insecure-skip-tls-verify': true });
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^pod\/calico-node-/m);
  });

  it('a CA file that is not there: the field, the path and the fix', async () => {
    const r = await podsVia({ token: 'sesame-42' }, 'no-ca.kubeconfig', { 'certificate-authority': 'missing/ca.crt' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/context "prod": clusters\[\]\.cluster\.certificate-authority \S+\/missing\/ca\.crt: ENOENT\n {2}hint: fix the path \(relative paths are relative to the kubeconfig's directory\)/);
  });

  it('an exec plugin (v1): run once per command however many lists, its token used', async () => {
    const plugin = join(dir, 'token-plugin.mjs');
    const count = join(dir, 'token-plugin.count');
    writeFileSync(count, '');
    writeFileSync(plugin, `#!${process.execPath}
import { appendFileSync } from 'node:fs';
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
appendFileSync(${JSON.stringify(count)}, info.spec.interactive + ' ' + process.env.REGION + '\\n');
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential',
  status: { token: 'sesame-42', expirationTimestamp: new Date(Date.now() + 3600e3).toISOString() } }));
`);
    chmodSync(plugin, 0o755);
    const r = await podsVia({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './token-plugin.mjs', args: [], env: [{ name: 'REGION', value: 'eu-west-1' }], interactiveMode: 'Never' } }, 'exec.kubeconfig');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^pod\/calico-node-/m);
    expect(readFileSync(count, 'utf8')).toBe('false eu-west-1\n');
  });

  it('an exec plugin (v1beta1) that gives a client certificate', async () => {
    const plugin = join(dir, 'cert-plugin.mjs');
    writeFileSync(plugin, `#!${process.execPath}
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential',
  status: { clientCertificateData: ${JSON.stringify(pki.admin.certPem)}, clientKeyData: ${JSON.stringify(pki.admin.keyPem)} } }));
`);
    chmodSync(plugin, 0o755);
    const r = await podsVia({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: plugin } }, 'exec-cert.kubeconfig');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^pod\/calico-node-/m);
  });

  it('an exec plugin that is not installed: its installHint', async () => {
    const r = await podsVia({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'knet-no-such-plugin', installHint: 'brew install knet-no-such-plugin' } }, 'missing.kubeconfig');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/user "prod": exec plugin knet-no-such-plugin: not found\n {2}hint: brew install knet-no-such-plugin/);
  });

  it('read-only: no request but GET', () => {
    expect(api.writes).toEqual([]);
  });
});
