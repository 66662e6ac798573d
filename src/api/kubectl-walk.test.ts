// The walk: one real `knet up -f examples/opscart`, then nothing but stock kubectl with the
// kubeconfig knet up merged, in the order a user types it (issue 15's "Done when"): the gets,
// apply with default validation, wait, scale, rollout status, label, server-side apply, an
// invalid object, a cascading delete, a watch; and knet's own `get` naming the same pods, IPs
// and nodes as kubectl's. Needs root (network namespaces) and kubectl; skipped with the reason
// otherwise. Each step is its own test on the one cluster, so a failure names the step.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, knet, skipReason } from '../daemon/test-support/running-cluster.js';
import { KUBECTL, kubectlSkipReason } from './test-support/fake-backend.js';

const reason = skipReason() || kubectlSkipReason;
if (reason) console.log(`src/api/kubectl-walk.test.ts skipped: ${reason}`);

const OPSCART = join(ROOT, 'examples/opscart');
const NAME = `knet-e2e-${randomBytes(2).toString('hex')}`;
// The walk's own kubeconfig and kubectl cache, made when the walk runs (not when it is skipped).
let HOME = '';
let KUBECONFIG = '';
let ENV: Record<string, string> = {};

interface Ran { readonly code: number; readonly out: string; readonly err: string }

/** kubectl as the user types it: the kubeconfig knet up wrote, its current context, a discovery cache of the walk's own. */
function kubectl(...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, ['--cache-dir', join(HOME, 'cache'), ...args], { env: { ...process.env, KUBECONFIG, HOME }, timeout: 120_000 },
      (error, out, err) => resolve({ code: child.exitCode ?? (error ? -1 : 0), out, err }));
    child.stdin?.end();
  });
}

/** A table's rows as records, cut at the header's column starts (cells may hold spaces: "1 (5m ago)"). */
function rows(table: string): Record<string, string>[] {
  const [header = '', ...lines] = table.split('\n').filter((l) => l.trim() !== '');
  const starts = [...header.matchAll(/(\S+(?: \S+)*)/g)].map((m) => ({ name: m[1]!, at: m.index }));
  return lines.map((line) => Object.fromEntries(starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at).trim()])));
}

/** The pods a `get pods -A -o wide` names, as "ns/name ip node" lines, sorted. */
function podPlaces(table: string): string[] {
  return rows(table).map((r) => `${r['NAMESPACE']}/${r['NAME']} ${r['IP']} ${r['NODE']}`).sort();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(reason)('the kubectl walk on a running cluster', () => {
  beforeAll(() => {
    HOME = mkdtempSync(join(tmpdir(), 'knet-e2e-'));
    KUBECONFIG = join(HOME, 'kubeconfig');
    ENV = { KUBECONFIG };
    ensureBuilt();
    const up = knet(['up', '-f', OPSCART, '--name', NAME], ENV);
    if (up.code !== 0) {
      knet(['down', '--name', NAME], ENV);
      throw new Error(`knet up failed (${up.code}): ${up.err}${up.out}`);
    }
    expect(up.out).toContain(`Set kubectl context to "knet-${NAME}"`);
  }, 180_000);

  afterAll(() => {
    try {
      expect(knet(['down', '--name', NAME], ENV).code).toBe(0);
    } finally {
      rmSync(HOME, { recursive: true, force: true });
    }
  }, 120_000);

  it('kubectl get pods -A -o wide: kube-apiserver\'s columns, every pod Running with its IP and node', async () => {
    const r = await kubectl('get', 'pods', '-A', '-o', 'wide');
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    const api = rows(r.out).filter((p) => p['NAMESPACE'] === 'production' && p['NAME']!.startsWith('api-'));
    expect(api).toHaveLength(3);
    for (const p of api) {
      expect(p).toMatchObject({ READY: '1/1', STATUS: 'Running', RESTARTS: '0', 'NOMINATED NODE': '<none>', 'READINESS GATES': '<none>' });
      expect(p['IP']).toMatch(/^10\.244\.\d+\.\d+$/);
      expect(p['NODE']).toMatch(/^node-[123]$/);
      expect(p['AGE']).toMatch(/^\d+s$/); // the store's creationTimestamp, not <unknown>
    }
  });

  it('between the faces: knet get pods -A -o wide names the same pods, IPs and nodes as kubectl', async () => {
    // ACME solver pods come and go while cert-manager issues: compare two takes close together.
    let ours: string[] = [];
    let theirs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const k = await kubectl('get', 'pods', '-A', '-o', 'wide');
      const n = knet(['get', 'pods', '-A', '-o', 'wide', '--name', NAME], ENV);
      expect(n.code).toBe(0);
      theirs = podPlaces(k.out);
      ours = podPlaces(n.out);
      if (ours.join('\n') === theirs.join('\n')) break;
      await sleep(1000);
    }
    expect(ours.length).toBeGreaterThanOrEqual(14);
    expect(ours).toEqual(theirs);
  });

  it('kubectl get endpoints api-service -n production: the ready api pods on 8080', async () => {
    const pods = rows((await kubectl('get', 'pods', '-n', 'production', '-l', 'app=api', '-o', 'wide')).out);
    const r = await kubectl('get', 'endpoints', 'api-service', '-n', 'production');
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toMatch(/^NAME\s+ENDPOINTS\s+AGE$/);
    const [row] = rows(r.out);
    expect(row!['NAME']).toBe('api-service');
    expect(row!['ENDPOINTS']!.split(',').sort()).toEqual(pods.map((p) => `${p['IP']}:8080`).sort());
  });

  it('kubectl get svc api-service -n production -o yaml: the selector, as written', async () => {
    const r = await kubectl('get', 'svc', 'api-service', '-n', 'production', '-o', 'yaml');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^ {2}selector:\n {4}app: api\n/m);
    expect(r.out).toMatch(/^ {2}clusterIP: 10\.\d+\.\d+\.\d+$/m);
    expect(r.out).toMatch(/^ {2}uid: [0-9a-f-]{36}$/m);
  });

  it('kubectl get pods -n kube-system -l k8s-app=kube-dns: the two CoreDNS pods', async () => {
    const r = await kubectl('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns');
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(rows(r.out).map((p) => `${p['NAME']!.replace(/-\w+-\w+$/, '')} ${p['READY']} ${p['STATUS']}`)).toEqual(['coredns 1/1 Running', 'coredns 1/1 Running']);
  });

  it('kubectl get ingress -n production: class, hosts, the controller\'s address, ports', async () => {
    const r = await kubectl('get', 'ingress', '-n', 'production');
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toMatch(/^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE$/);
    // cert-manager's HTTP-01 solver Ingresses (cm-acme-http-solver-*) may still be listed while it issues, as on a real cluster.
    const ingress = rows(r.out).find((row) => row['NAME'] === 'opscart-ingress');
    expect(ingress).toMatchObject({ CLASS: 'nginx', HOSTS: 'api.opscart.com,app.opscart.com', PORTS: '80, 443' });
    expect(ingress!['ADDRESS']).toMatch(/^198\.51\.100\.\d+$/);
  });

  it('kubectl get networkpolicy -n production: POD-SELECTOR as kubectl prints selectors', async () => {
    const r = await kubectl('get', 'networkpolicy', '-n', 'production');
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toMatch(/^NAME\s+POD-SELECTOR\s+AGE$/);
    const selectors = Object.fromEntries(rows(r.out).map((p) => [p['NAME'], p['POD-SELECTOR']]));
    expect(selectors).toMatchObject({ 'default-deny-all': '<none>', 'allow-frontend-to-api': 'app=api', 'allow-ingress-controller': 'app in (api,frontend)' });
  });

  it('kubectl get certificate -n production: cert-manager\'s printer columns', async () => {
    const r = await kubectl('get', 'certificate', '-n', 'production');
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toMatch(/^NAME\s+READY\s+SECRET\s+AGE$/);
    expect(rows(r.out).map((c) => `${c['NAME']} ${c['SECRET']}`)).toEqual(['api-tls-cert api-tls-cert', 'app-tls-cert app-tls-cert']);
    for (const c of rows(r.out)) expect(c['READY']).toMatch(/^(True|False)$/);
  });

  it('kubectl apply -f examples/opscart with default validation: every object unchanged or configured', async () => {
    const r = await kubectl('apply', '-f', OPSCART);
    // What knet up made lacks kubectl's last-applied-configuration: one warning each, as after `kubectl create`.
    expect(r.err.split('\n').filter((l) => l !== '' && !l.startsWith('Warning: resource '))).toEqual([]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(27);
    for (const line of lines) expect(line).toMatch(/^[a-z0-9.-]+\/[a-z0-9.-]+ (unchanged|configured)$/);
    expect(lines).toContain('deployment.apps/api configured');
    expect(lines).toContain('cluster.knet.dev/opscart configured');
    // Applied again: kubectl's last-applied-configuration now matches, nothing to do.
    const again = await kubectl('apply', '-f', OPSCART);
    expect(again.code).toBe(0);
    for (const line of again.out.trim().split('\n')) expect(line).toMatch(/ unchanged$/);
  });

  it('kubectl wait --for=condition=Available deployment/api -n production', async () => {
    const r = await kubectl('wait', '--for=condition=Available', 'deployment/api', '-n', 'production', '--timeout=30s');
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe('deployment.apps/api condition met');
  });

  it('kubectl scale deployment/api --replicas=4, then kubectl rollout status', async () => {
    const scaled = await kubectl('scale', 'deployment/api', '--replicas=4', '-n', 'production');
    expect(scaled.err).toBe('');
    expect(scaled.out.trim()).toBe('deployment.apps/api scaled');
    const status = await kubectl('rollout', 'status', 'deployment/api', '-n', 'production', '--timeout=60s');
    expect(status.err).toBe('');
    expect(status.code).toBe(0);
    expect(status.out.trim().split('\n').at(-1)).toBe('deployment "api" successfully rolled out');
    const pods = rows((await kubectl('get', 'pods', '-n', 'production', '-l', 'app=api')).out);
    expect(pods.map((p) => `${p['READY']} ${p['STATUS']}`)).toEqual(Array(4).fill('1/1 Running'));
  }, 120_000);

  it('kubectl label: the label is on the object kubectl reads back', async () => {
    const r = await kubectl('label', 'deployment/api', '-n', 'production', 'walk=e2e');
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe('deployment.apps/api labeled');
    expect((await kubectl('get', 'deployments', '-n', 'production', '-l', 'walk=e2e', '-o', 'name')).out.trim()).toBe('deployment.apps/api');
  });

  it('kubectl apply --server-side: created, its manager recorded, applied again unchanged in content', async () => {
    const file = join(HOME, 'settings.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: walk-settings\n  namespace: production\ndata:\n  mode: e2e\n');
    const r = await kubectl('apply', '--server-side', '-f', file);
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe('configmap/walk-settings serverside-applied');
    const got = await kubectl('get', 'configmap', 'walk-settings', '-n', 'production', '-o', 'jsonpath={.data.mode} {.metadata.managedFields[0].manager} {.metadata.managedFields[0].operation}');
    expect(got.out).toBe('e2e kubectl Apply');
    expect((await kubectl('apply', '--server-side', '-f', file)).code).toBe(0);
  });

  it('an invalid object: the API server\'s message, exit 1, nothing made', async () => {
    const file = join(HOME, 'bad-nodeport.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad-nodeport\n  namespace: production\nspec:\n  type: NodePort\n  selector:\n    app: api\n  ports:\n  - port: 80\n    targetPort: 8080\n    nodePort: 99999\n');
    const r = await kubectl('apply', '-f', file);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim()).toBe('The Service "bad-nodeport" is invalid: spec.ports[0].nodePort: Invalid value: 99999: provided port is not in the valid range. The range of valid ports is 30000-32767');
    const gone = await kubectl('get', 'svc', 'bad-nodeport', '-n', 'production');
    expect(gone.code).toBe(1);
    expect(gone.err.trim()).toBe('Error from server (NotFound): services "bad-nodeport" not found');
  });

  it('kubectl delete deployment cascades to its pods, and kubectl get pods -w sees them go', async () => {
    const before = rows((await kubectl('get', 'pods', '-n', 'monitoring', '-l', 'app=prometheus')).out).map((p) => p['NAME']!);
    expect(before).toHaveLength(1);
    const watch = spawn(KUBECTL, ['--cache-dir', join(HOME, 'cache'), 'get', 'pods', '-n', 'monitoring', '-w'], { env: { ...process.env, KUBECONFIG, HOME } });
    let seen = '';
    watch.stdout.on('data', (d: Buffer) => { seen += d.toString(); });
    watch.stderr.on('data', (d: Buffer) => { seen += d.toString(); });
    try {
      for (let i = 0; i < 100 && !seen.includes(before[0]!); i++) await sleep(100);
      expect(seen.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
      const r = await kubectl('delete', 'deployment', 'prometheus', '-n', 'monitoring');
      expect(r.err).toBe('');
      expect(r.out.trim()).toBe('deployment.apps "prometheus" deleted');
      for (let i = 0; i < 100 && !/Terminating/.test(seen); i++) await sleep(100);
      expect(seen).toMatch(new RegExp(`^${before[0]}\\s+\\S+\\s+Terminating\\s`, 'm'));
      let left = await kubectl('get', 'pods', '-n', 'monitoring', '-l', 'app=prometheus');
      for (let i = 0; i < 60 && left.out !== ''; i++) {
        await sleep(500);
        left = await kubectl('get', 'pods', '-n', 'monitoring', '-l', 'app=prometheus');
      }
      expect(left.out).toBe('');
      expect(left.err.trim()).toBe('No resources found in monitoring namespace.');
      expect((await kubectl('get', 'replicasets', '-n', 'monitoring', '-l', 'app=prometheus')).err.trim()).toBe('No resources found in monitoring namespace.');
    } finally {
      watch.kill();
    }
  }, 90_000);

  it('kubectl wait --for=condition=Ready certificate --all: cert-manager issued them over ACME', async () => {
    const r = await kubectl('wait', '--for=condition=Ready', 'certificate', '--all', '-n', 'production', '--timeout=90s');
    expect(r.err).toBe('');
    expect(r.out.trim().split('\n').sort()).toEqual(['certificate.cert-manager.io/api-tls-cert condition met', 'certificate.cert-manager.io/app-tls-cert condition met']);
    expect(rows((await kubectl('get', 'certificate', '-n', 'production')).out).map((c) => c['READY'])).toEqual(['True', 'True']);
  }, 120_000);
});
