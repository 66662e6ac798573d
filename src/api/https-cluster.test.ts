// A real cluster through stock kubectl and nothing else: `knet up` merges the context into the
// kubeconfig kubectl reads, kubectl verifies the server and authenticates with the admin's
// certificate, a kubeconfig without it gets the API server's 401, a restarted daemon keeps the
// port and the CA, `knet down` takes the context out and leaves the rest of the file alone.
// Needs root (network namespaces) and kubectl; skipped with the reason otherwise.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { daemonPid, ensureBuilt, knet, skipReason } from '../daemon/test-support/running-cluster.js';
import { pkiDir } from '../daemon/paths.js';
import { KUBECTL, kubectlSkipReason } from './test-support/fake-backend.js';

const reason = skipReason() || kubectlSkipReason;
if (reason) console.log(`src/api/https-cluster.test.ts skipped: ${reason}`);

const ONE_NODE = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: tls}
nodes: [{name: node-1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080}]}]}
`;

// Someone's existing kubeconfig: it must come out of up and down as it went in (but current-context).
const THEIRS = 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://staging.example:6443\n  name: staging\ncontexts:\n- context:\n    cluster: staging\n    user: alice\n  name: staging\ncurrent-context: staging\nkind: Config\npreferences: {}\nusers:\n- name: alice\n  user:\n    token: secret\n';

describe.skipIf(reason)('a running cluster, driven by stock kubectl', () => {
  it('knet up sets the context, kubectl works with it alone, no certificate is 401, knet down removes it', async () => {
    ensureBuilt();
    const name = `knet-tls-${randomBytes(2).toString('hex')}`;
    const context = `knet-${name}`;
    const home = mkdtempSync(join(tmpdir(), 'knet-tls-home-'));
    const config = join(home, '.kube/config');
    mkdirSync(join(home, '.kube'));
    writeFileSync(config, THEIRS, { mode: 0o600 });
    writeFileSync(join(home, 'cluster.yaml'), ONE_NODE);
    const env = { HOME: home, KUBECONFIG: '' };
    const kubectl = (args: readonly string[], kubeconfig = config): { code: number; out: string; err: string } => {
      const r = spawnSync(KUBECTL, ['--cache-dir', join(home, 'cache'), ...args], {
        encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home }, input: '', timeout: 30_000,
      });
      return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
    };
    try {
      const up = knet(['up', '-f', join(home, 'cluster.yaml'), '--name', name], env);
      expect(up.err).toBe('');
      expect(up.code).toBe(0);
      expect(up.out).toContain(`Set kubectl context to "${context}"`);
      expect(up.out).toMatch(/✓ api: https:\/\/127\.0\.0\.1:\d+ /);
      const merged = parse(readFileSync(config, 'utf8')) as { 'current-context': string; clusters: { name: string; cluster: { server: string } }[] };
      expect(merged['current-context']).toBe(context);
      expect(merged.clusters.map((c) => c.name)).toEqual(['staging', context]);
      const server = merged.clusters[1]!.cluster.server;

      const version = kubectl(['get', '--raw', '/version']);
      expect(version.err).toBe('');
      expect(JSON.parse(version.out)).toHaveProperty('gitVersion');
      const pods = kubectl(['get', '--raw', '/api/v1/pods']);
      expect((JSON.parse(pods.out) as { items: { metadata: { name: string } }[] }).items.filter((p) => p.metadata.name.startsWith('web-'))).toHaveLength(2);
      // `kubectl get pods -A` maps "pods" through discovery and prints kube-apiserver's columns.
      const get = kubectl(['get', 'pods', '-A']);
      expect(get.err).toBe('');
      expect(get.out).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
      expect(get.out).toMatch(/\bweb-/);

      // The certificate taken out of the kubeconfig (a token left, or kubectl would ask for a username).
      const bare = parse(readFileSync(config, 'utf8')) as { users: { name: string; user: Record<string, string> }[] };
      bare.users.find((u) => u.name === context)!.user = { token: 'not-a-credential' };
      writeFileSync(join(home, 'bare'), stringify(bare));
      const refused = kubectl(['get', '--raw', '/api/v1/pods'], join(home, 'bare'));
      expect(refused.code).toBe(1);
      expect(refused.err.trim()).toBe('error: You must be logged in to the server (Unauthorized)');

      // A crashed daemon's successor (the supervisor starts it) listens on the same port with the same CA.
      const ca = readFileSync(join(pkiDir(name), 'ca.crt'), 'utf8');
      const pid = daemonPid(name);
      process.kill(pid, 'SIGKILL');
      let again = { code: -1, out: '', err: '' };
      for (let i = 0; i < 100 && (again.code !== 0 || daemonPid(name) === pid); i++) {
        await new Promise((r) => setTimeout(r, 200));
        again = kubectl(['get', '--raw', '/version']);
      }
      expect(again.err).toBe('');
      expect(daemonPid(name)).not.toBe(pid);
      expect(readFileSync(join(pkiDir(name), 'ca.crt'), 'utf8')).toBe(ca);
      expect((parse(readFileSync(config, 'utf8')) as typeof merged).clusters[1]!.cluster.server).toBe(server);

      // `knet kubeconfig` prints the same access.
      const printed = knet(['kubeconfig', '--name', name], env);
      expect(printed.code).toBe(0);
      writeFileSync(join(home, 'printed'), printed.out);
      expect(kubectl(['get', '--raw', '/version'], join(home, 'printed')).code).toBe(0);
    } finally {
      const down = knet(['down', '--name', name], env);
      expect(down.code).toBe(0);
      expect(existsSync(pkiDir(name))).toBe(false); // the CA and keys go with the cluster
      expect(readFileSync(config, 'utf8')).toBe(THEIRS.replace('current-context: staging', 'current-context: ""'));
      rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);
});
