// Stock kubectl against the daemon's API handler (a FakeBackend with examples/opscart applied):
// `kubectl get` prints kube-apiserver's columns, because the server answers its Table requests.
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBackend, kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';


/** The opscart example without its cluster file (the fake's three nodes stand for it). */
function opscart(): { name: string; text: string }[] {
  return readdirSync('examples/opscart').filter((f) => f.endsWith('.yaml') && !f.startsWith('00-'))
    .map((f) => ({ name: f, text: readFileSync(`examples/opscart/${f}`, 'utf8') }));
}

/** A printed table's lines as their cells (kubectl separates columns by 2+ spaces). */
function rows(out: string): string[][] {
  return out.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/));
}

/** Kinds other parts add to the API (Endpoints, Events): their tests run once the server lists them. */
const SERVED = new Set<string>();

describe.skipIf(kubectlSkipReason)('kubectl get prints kube-apiserver\'s columns', () => {
  let api: LoopbackApi;
  let kubectl: ReturnType<typeof kubectlAgainst>;
  const get = async (...args: string[]) => {
    const r = await kubectl.run(['get', ...args]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return r.out;
  };

  beforeAll(async () => {
    api = await serveFakeApi(new FakeBackend('knet-tables', 3));
    const applied = await api.backend.apply(opscart());
    expect(applied.outcome.issues.filter((i) => i.severity === 'error')).toEqual([]);
    kubectl = kubectlAgainst(api.url);
    for (const path of ['/api/v1/endpoints', '/api/v1/events']) {
      if ((await fetch(`${api.url}${path}`)).ok) SERVED.add(path.split('/').pop()!);
    }
  });
  afterAll(async () => {
    kubectl.close();
    await api.close();
  });

  it('get pods -A: NAMESPACE (added by kubectl from each row\'s metadata) NAME READY STATUS RESTARTS AGE', async () => {
    const t = rows(await get('pods', '-A'));
    expect(t[0]).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const api5 = t.filter((r) => r[0] === 'production' && r[1]!.startsWith('api-'));
    expect(api5).toHaveLength(3);
    expect(api5[0]!.slice(2, 5)).toEqual(['1/1', 'Running', '0']);
  });

  it('get pods -o wide adds IP, NODE, NOMINATED NODE, READINESS GATES', async () => {
    const t = rows(await get('pods', '-n', 'messaging', '-o', 'wide'));
    expect(t[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    expect(t.slice(1).map((r) => r[0])).toEqual(['kafka-0', 'kafka-1', 'kafka-2']);
    for (const r of t.slice(1)) {
      expect(r[5]).toMatch(/^10\.244\.\d+\.\d+$/);
      expect(r[6]).toMatch(/^node-\d$/);
      expect(r.slice(7)).toEqual(['<none>', '<none>']);
    }
  });

  it('get pods --show-labels and -l: labels from each row\'s metadata, the selector applied by the server', async () => {
    const t = rows(await get('pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '--show-labels'));
    expect(t[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'LABELS']);
    expect(t.slice(1).map((r) => r[0])).toEqual([expect.stringMatching(/^coredns-/), expect.stringMatching(/^coredns-/)]);
    expect(t[1]![5]).toMatch(/k8s-app=kube-dns/);
  });

  it('--sort-by asks for whole objects in the rows (includeObject=Object) and sorts by them', async () => {
    const t = rows(await get('pods', '-A', '--sort-by=.metadata.name'));
    const names = t.slice(1).map((r) => r[1]!);
    expect(names.length).toBeGreaterThan(5);
    expect(names[0]).toMatch(/^api-/); // before the list's own order (by namespace): ingress-nginx first
    expect(names).toEqual([...names].sort());
  });

  it('get svc,ing,netpol -n production: each kind its own columns', async () => {
    const out = await get(`svc,${SERVED.has('endpoints') ? 'ep,' : ''}ing,netpol`, '-n', 'production');
    const t = rows(out);
    expect(t[0]).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(t.find((r) => r[0] === 'service/api-service')).toEqual(['service/api-service', 'ClusterIP', expect.stringMatching(/^10\.\d+\.\d+\.\d+$/), '<none>', '8080/TCP', expect.any(String)]);
    expect(t.find((r) => r[0] === 'service/orders-db')!.slice(1, 5)).toEqual(['ExternalName', '<none>', 'db.external.com', '5432/TCP']);
    expect(t).toContainEqual(['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
    expect(t.find((r) => r[0] === 'ingress.networking.k8s.io/opscart-ingress')!.slice(1, 3)).toEqual(['nginx', 'api.opscart.com,app.opscart.com']);
    expect(out).toMatch(/opscart-ingress .* 80, 443 /);
    expect(t).toContainEqual(['NAME', 'POD-SELECTOR', 'AGE']);
    expect(t.find((r) => r[0] === 'networkpolicy.networking.k8s.io/default-deny-all')![1]).toBe('<none>');
    expect(t.find((r) => r[0] === 'networkpolicy.networking.k8s.io/allow-ingress-controller')![1]).toBe('app in (api,frontend)');
    if (SERVED.has('endpoints')) expect(t).toContainEqual(['NAME', 'ENDPOINTS', 'AGE']);
  });

  it('get svc -o wide adds SELECTOR; one object by name gets the same columns', async () => {
    const t = rows(await get('svc', 'api-service', '-n', 'production', '-o', 'wide'));
    expect(t).toHaveLength(2);
    expect(t[0]).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
    expect(t[1]![6]).toBe('app=api');
  });

  it('get nodes: STATUS ROLES AGE VERSION; -o wide the addresses and node info', async () => {
    const t = rows(await get('nodes', '-o', 'wide'));
    expect(t[0]).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    expect(t.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([['node-1', 'Ready', '<none>'], ['node-2', 'Ready', '<none>'], ['node-3', 'Ready', '<none>']]);
  });

  it('get deploy,rs -o wide: READY UP-TO-DATE AVAILABLE, DESIRED CURRENT READY, with CONTAINERS IMAGES SELECTOR', async () => {
    const t = rows(await get('deploy,rs', '-n', 'production', '-o', 'wide'));
    expect(t[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(t.find((r) => r[0] === 'deployment.apps/api')!.slice(5)).toEqual(['api', 'registry.k8s.io/e2e-test-images/agnhost:2.53', 'app=api']);
    expect(t).toContainEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(t.find((r) => r[0]!.startsWith('replicaset.apps/api-'))![7]).toMatch(/^app=api,pod-template-hash=\w+$/);
  });

  it('get events: LAST SEEN TYPE REASON OBJECT MESSAGE', async () => {
    const event = ['apiVersion: v1', 'kind: Event', 'metadata: {name: api.1, namespace: production}',
      'involvedObject: {kind: Pod, name: api-0, namespace: production}', 'reason: Unhealthy', 'type: Warning',
      'message: "Readiness probe failed: HTTP probe failed with statuscode: 503"', 'lastTimestamp: "2026-01-01T00:00:00Z"'].join('\n');
    await api.backend.apply([{ name: 'event.yaml', text: event }]);
    const t = rows(await get('events', '-A'));
    expect(t[0]).toEqual(['NAMESPACE', 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(t.find((r) => r[3] === 'Unhealthy')!.slice(2)).toEqual(['Warning', 'Unhealthy', 'pod/api-0', 'Readiness probe failed: HTTP probe failed with statuscode: 503']);
  });

  it('get certificate: the CRD\'s printer columns (READY by a JSONPath filter), ISSUER and STATUS with -o wide', async () => {
    const t = rows(await get('certificate', '-n', 'production'));
    expect(t[0]).toEqual(['NAME', 'READY', 'SECRET', 'AGE']);
    expect(t.find((r) => r[0] === 'api-tls-cert')!.slice(1, 3)).toEqual(['False', 'api-tls-cert']);
    const wide = rows(await get('certificate', 'api-tls-cert', '-n', 'production', '-o', 'wide'));
    expect(wide[0]).toEqual(['NAME', 'READY', 'SECRET', 'ISSUER', 'STATUS', 'AGE']);
    expect(wide[1]![3]).toBe('letsencrypt-prod');
  });

  it('-o yaml still gets the objects, not a Table', async () => {
    const out = await get('svc', 'api-service', '-n', 'production', '-o', 'yaml');
    expect(out).toMatch(/^kind: Service$/m);
    expect(out).not.toMatch(/Table/);
  });

  it('get -w: each change is a one-row Table, printed under the same header', async () => {
    const watching = kubectl.run(['get', 'svc', '-n', 'production', '-w', '--request-timeout=4s']);
    await new Promise((r) => setTimeout(r, 1500));
    await api.backend.apply([{ name: 'w.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: late, namespace: production}\nspec: {type: NodePort, selector: {app: api}, ports: [{port: 80}]}\n' }]);
    const r = await watching;
    const t = rows(r.out);
    expect(t.filter((x) => x[0] === 'NAME')).toHaveLength(1);
    const late = t.find((x) => x[0] === 'late');
    expect(late?.slice(1, 2)).toEqual(['NodePort']);
    expect(late?.[4]).toMatch(/^80:3\d{4}\/TCP$/);
  }, 20_000);
});
