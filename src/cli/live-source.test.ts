// Predict on a live cluster (issue 16 item 5): knet's own API (the fake backend, loaded with
// examples/opscart, no root) read through a kubeconfig gives the same answers as -f of the
// same manifests, for every Predict command.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBackend, serveFakeApi, type LoopbackApi } from '../api/test-support/fake-backend.js';
import { knetLive, writeKubeconfig } from './test-support/live.js';

const OPSCART = join(import.meta.dirname, '../../examples/opscart');

describe('Predict through a kubeconfig against knet\'s own API', () => {
  let api: LoopbackApi;
  let dir: string;
  let kubeconfig: string;
  beforeAll(async () => {
    api = await serveFakeApi(new FakeBackend('knet-livesource', 3));
    const files = readdirSync(OPSCART).filter((f) => f.endsWith('.yaml')).sort();
    const r = await api.backend.apply(files.map((f) => ({ name: f, text: readFileSync(join(OPSCART, f), 'utf8') })));
    expect(r.outcome.issues.filter((i) => i.severity === 'error')).toEqual([]);
    dir = mkdtempSync(join(tmpdir(), 'knet-live-'));
    kubeconfig = writeKubeconfig(dir, 'config', { name: 'knet-livesource', server: api.url });
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await api.close();
  });

  const SAME: readonly (readonly string[])[] = [
    ['trace', '--from', 'production/deploy/frontend', 'http://api-service:8080/', '-o', 'json'],
    ['trace', '--from', 'production/deploy/frontend', 'http://api-service:8080/'],
    ['trace', '--from', 'external', 'http://app.opscart.com/', '-o', 'json'],
    ['trace', '--from', 'monitoring/deploy/prometheus', 'http://api-service.production:8080/metrics', '-o', 'json'],
    ['matrix', '-o', 'json'],
    ['matrix', '--port', '8080', '-o', 'json'],
    ['dns', 'kafka-0.kafka-headless.messaging.svc.cluster.local', '-o', 'json'],
    ['dns', 'api-service.production.svc.cluster.local', '-o', 'json'],
    ['route', 'https://api.opscart.com/v1', '-o', 'json'],
    ['resolv-conf', 'kafka-0', '-n', 'messaging'],
  ];
  for (const argv of SAME) {
    it(`knet ${argv.join(' ')}: the same answer as -f examples/opscart`, async () => {
      const fromFiles = await knetLive([...argv, '-f', OPSCART]);
      const live = await knetLive([...argv, '--kubeconfig', kubeconfig]);
      expect(live.err).toBe(fromFiles.err);
      expect(live.out).toBe(fromFiles.out);
      expect(live.code).toBe(fromFiles.code);
    });
  }

  // A live object has a creationTimestamp, a manifest none: AGE is the one column that differs.
  const withoutAge = (out: string): string[] => out.trimEnd().split(/\n\n+/).flatMap((table) => {
    const lines = table.split('\n');
    const at = lines[0]!.indexOf('AGE');
    if (at < 0) return lines;
    return lines.map((l) => `${l.slice(0, at)}|${l.slice(at).replace(/^\S+/, '')}`.replace(/\s+/g, ' '));
  });
  for (const what of ['pods', 'svc,ep', 'ing,netpol,ingressclass', 'deploy,rs,sts,ds', 'nodes,ns']) {
    it(`knet get ${what} -A -o wide: the same rows as -f examples/opscart, but for AGE`, async () => {
      const fromFiles = await knetLive(['get', what, '-A', '-o', 'wide', '-f', OPSCART]);
      const live = await knetLive(['get', what, '-A', '-o', 'wide', '--kubeconfig', kubeconfig]);
      expect(live.err).toBe(fromFiles.err);
      expect(fromFiles.out).toMatch(/AGE/);
      expect(withoutAge(live.out)).toEqual(withoutAge(fromFiles.out));
    });
  }

  it('the context\'s namespace is -n\'s default, as kubectl takes it', async () => {
    const inProduction = writeKubeconfig(dir, 'production', { name: 'knet-livesource', server: api.url, namespace: 'production' });
    const live = await knetLive(['get', 'pods', '-o', 'name', '--kubeconfig', inProduction]);
    const fromFiles = await knetLive(['get', 'pods', '-o', 'name', '-n', 'production', '-f', OPSCART]);
    expect(live.out).toBe(fromFiles.out);
    expect(live.out).toMatch(/^pod\/frontend-/m);
    const pod = /^pod\/(frontend-\S+)$/m.exec(live.out)![1]!;
    const byName = await knetLive(['trace', '--from', pod, 'http://api-service:8080/', '-o', 'json', '--kubeconfig', inProduction]);
    expect(byName.err).toBe('');
    expect(JSON.parse(byName.out).verdict).toBe('delivered');
    const other = await knetLive(['get', 'pods', '-o', 'name', '-n', 'messaging', '--kubeconfig', inProduction]);
    expect(other.out).toMatch(/^pod\/kafka-0$/m);
  });

  const REFUSED: [string, string[], RegExp][] = [
    ['a --kubeconfig that does not exist', ['get', 'pods', '--kubeconfig', '/nonexistent/config'], /^error: --kubeconfig \/nonexistent\/config: no such file\n {2}hint: /],
    ['-f and --context together', ['get', 'pods', '-f', OPSCART, '--context', 'knet-livesource'], /^error: -f reads manifests, --kubeconfig\/--context a live cluster: give one of them/],
    ['--name and --context together', ['trace', '--from', 'external', 'http://x/', '--name', 'a', '--context', 'knet-livesource'], /^error: --name reads a running knet cluster, --kubeconfig\/--context a kubeconfig's: give one of them\n {2}hint: a knet cluster's context is knet-NAME/],
  ];
  for (const [name, argv, err] of REFUSED) {
    it(`${name}: refused, with the fix`, async () => {
      const r = await knetLive(argv);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(err);
      expect(r.out).toBe('');
    });
  }

  it('knet diagnose: the same findings as -f, and the certificates\' status the live cluster states', async () => {
    type Finding = { code: string; severity: string; object?: string; message: string };
    const findings = async (argv: string[]): Promise<string[]> => {
      const r = await knetLive(['diagnose', '-o', 'json', ...argv]);
      const all = (JSON.parse(r.out) as { issues: Finding[] }).issues;
      return all.map((f) => `${f.severity} ${f.code} ${f.object ?? ''}: ${f.message}`).sort();
    };
    const fromFiles = await findings(['-f', OPSCART]);
    const live = await findings(['--kubeconfig', kubeconfig]);
    // The backend runs no cert-manager: its Certificates' status says not Ready, and the live
    // source believes the cluster (manifests state no status, so -f predicts issuance).
    const notReady = live.filter((f) => f.includes('certificate-not-ready'));
    expect(notReady.map((f) => f.split(':')[0])).toEqual([
      'error certificate-not-ready Certificate monitoring/metrics-tls-cert',
      'error certificate-not-ready Certificate production/api-tls-cert',
      'error certificate-not-ready Certificate production/app-tls-cert',
    ]);
    expect(live.filter((f) => !notReady.includes(f))).toEqual(fromFiles);
  });
});
