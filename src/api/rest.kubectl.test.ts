// Stock kubectl against the daemon's API handler (a FakeBackend with examples/opscart applied):
// Endpoints served, the scale and status subresources, DeleteOptions and deletecollection,
// fieldValidation, 422 Invalid with causes, and dryRun=All, as kube-apiserver answers them.
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBackend, kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

function opscart(): { name: string; text: string }[] {
  return readdirSync('examples/opscart').filter((f) => f.endsWith('.yaml') && !f.startsWith('00-'))
    .map((f) => ({ name: f, text: readFileSync(`examples/opscart/${f}`, 'utf8') }));
}

const BAD_SERVICE = `apiVersion: v1
kind: Service
metadata: {name: bad, namespace: production}
spec:
  type: NodePort
  selector: {app: api}
  ports: [{port: 80, nodePort: 99999}]
`;
const GOOD_SERVICE = BAD_SERVICE.replace('name: bad', 'name: fresh').replace(', nodePort: 99999', '');

describe.skipIf(kubectlSkipReason)('REST semantics, driven by stock kubectl', () => {
  let api: LoopbackApi;
  let kubectl: ReturnType<typeof kubectlAgainst>;
  const run = (...args: string[]) => kubectl.run(args);
  const ok = async (...args: string[]) => {
    const r = await kubectl.run(args);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return r.out;
  };
  const apiPods = async () => (await ok('get', 'pods', '-n', 'production', '-l', 'app=api', '-o', 'name')).trim().split('\n').filter(Boolean);
  const raw = (path: string, init: RequestInit = {}) => fetch(`${api.url}${path}`, init);

  beforeAll(async () => {
    api = await serveFakeApi(new FakeBackend('knet-rest', 3));
    const applied = await api.backend.apply(opscart());
    expect(applied.outcome.issues.filter((i) => i.severity === 'error')).toEqual([]);
    kubectl = kubectlAgainst(api.url);
  });
  afterAll(async () => {
    kubectl.close();
    await api.close();
  });

  it('get endpoints api-service: NAME ENDPOINTS AGE with the ready pods\' IP:port, no deprecation warning (1.32)', async () => {
    const r = await run('get', 'endpoints', 'api-service', '-n', 'production');
    expect(r.err).toBe('');
    const [head, row] = r.out.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));
    expect(head).toEqual(['NAME', 'ENDPOINTS', 'AGE']);
    const podIps = (await ok('get', 'pods', '-n', 'production', '-l', 'app=api', '-o', 'jsonpath={.items[*].status.podIP}')).split(' ').sort();
    expect(row![1]!.split(',').sort()).toEqual(podIps.map((ip) => `${ip}:8080`));
  });

  it('an Endpoints object as the endpoints controller writes it: targetRef to the pod, nodeName, ports', async () => {
    const ep = JSON.parse(await ok('get', 'ep', 'api-service', '-n', 'production', '-o', 'json')) as { kind: string; subsets: { addresses: { ip: string; nodeName: string; targetRef: { kind: string; name: string } }[]; ports: unknown[] }[] };
    expect(ep.kind).toBe('Endpoints');
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const pods = await apiPods();
    expect(ep.subsets[0]!.addresses.map((a) => `pod/${a.targetRef.name}`).sort()).toEqual(pods.sort());
    for (const a of ep.subsets[0]!.addresses) expect(a.nodeName).toMatch(/^node-\d$/);
    expect(await ok('get', 'ep', '-A', '-o', 'name')).toContain('endpoints/kafka-headless');
  });

  it('kubectl scale: the Deployment\'s replicas change through .../scale and the pods follow; --current-replicas is a precondition', async () => {
    expect(await ok('scale', 'deploy/api', '-n', 'production', '--replicas=4')).toBe('deployment.apps/api scaled\n');
    expect(await apiPods()).toHaveLength(4);
    const scale = await (await raw('/apis/apps/v1/namespaces/production/deployments/api/scale')).json() as Record<string, unknown>;
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 4 }, status: { selector: 'app=api' } });
    const refused = await run('scale', 'deploy/api', '-n', 'production', '--replicas=2', '--current-replicas=3');
    expect(refused.err).toContain('Expected replicas to be 3, was 4');
    expect(await ok('scale', 'deploy/api', '-n', 'production', '--replicas=3', '--current-replicas=4')).toBe('deployment.apps/api scaled\n');
    expect(await apiPods()).toHaveLength(3);
    expect(await ok('scale', 'deploy/api', '-n', 'production', '--replicas=1', '--dry-run=server')).toBe('deployment.apps/api scaled (server dry run)\n');
    expect(await apiPods()).toHaveLength(3);
    expect(await ok('scale', 'statefulset/kafka', '-n', 'messaging', '--replicas=2')).toBe('statefulset.apps/kafka scaled\n');
    expect(await ok('get', 'pods', '-n', 'messaging', '-o', 'name')).toBe('pod/kafka-0\npod/kafka-1\n');
  });

  it('PUT of a Scale with an old resourceVersion is a 409; a negative replicas a 422 on Scale.autoscaling', async () => {
    const path = '/apis/apps/v1/namespaces/production/deployments/frontend/scale';
    const put = (body: unknown) => raw(path, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const stale = await put({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'frontend', namespace: 'production', resourceVersion: '1' }, spec: { replicas: 2 } });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { message: string }).message).toBe('Operation cannot be fulfilled on deployments.apps "frontend": the object has been modified; please apply your changes to the latest version and try again');
    const negative = await put({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'frontend' }, spec: { replicas: -1 } });
    expect(negative.status).toBe(422);
    expect(((await negative.json()) as { message: string }).message).toBe('Scale.autoscaling "frontend" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });

  it('status subresource: GET answers the object; a write that would change knet\'s computed status is a 405', async () => {
    const got = await (await raw('/apis/apps/v1/namespaces/production/deployments/api/status')).json() as { kind: string };
    expect(got.kind).toBe('Deployment');
    const patched = await raw('/api/v1/namespaces/production/services/api-service/status', {
      method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } }),
    });
    expect(patched.status).toBe(405);
  });

  it('an invalid object: kubectl apply and create print the API server\'s message, and nothing changes', async () => {
    const expected = 'The Service "bad" is invalid: spec.ports[0].nodePort: Invalid value: 99999: provided port is not in the valid range. The range of valid ports is 30000-32767\n';
    for (const verb of ['apply', 'create']) {
      const r = await kubectl.run([verb, '-f', '-'], BAD_SERVICE);
      expect(r.code).toBe(1);
      expect(r.err).toBe(expected);
    }
    expect((await run('get', 'svc', 'bad', '-n', 'production')).err).toBe('Error from server (NotFound): services "bad" not found\n');
    const body = await (await raw('/api/v1/namespaces/production/services', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad' }, spec: { type: 'NodePort', selector: { app: 'api' }, ports: [{ port: 80, nodePort: 99999 }] } }) })).json() as Record<string, unknown>;
    expect(body).toMatchObject({ code: 422, reason: 'Invalid', details: { name: 'bad', kind: 'Service', causes: [{ reason: 'FieldValueInvalid', field: 'spec.ports[0].nodePort' }] } });
  });

  it('apply --dry-run=server answers what would be stored (a clusterIP allocated) and stores nothing; an invalid one is refused', async () => {
    expect(await kubectl.run(['apply', '--dry-run=server', '-f', '-', '-o', 'jsonpath={.spec.clusterIP}'], GOOD_SERVICE)).toMatchObject({ code: 0, out: expect.stringMatching(/^10\.\d+\.\d+\.\d+$/) });
    expect((await run('get', 'svc', 'fresh', '-n', 'production')).code).toBe(1);
    expect((await kubectl.run(['apply', '--dry-run=server', '-f', '-'], BAD_SERVICE)).err).toContain('The Service "bad" is invalid');
    expect(await ok('delete', 'deploy', 'frontend', '-n', 'production', '--dry-run=server')).toBe('deployment.apps "frontend" deleted (server dry run)\n');
    expect(await ok('get', 'deploy', 'frontend', '-n', 'production', '-o', 'name')).toBe('deployment.apps/frontend\n');
  });

  it('fieldValidation: Strict refuses a field given twice, Warn answers a 299 Warning, Ignore neither', async () => {
    const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice","name":"twice"},"data":{"a":"1"}}';
    const post = (mode: string) => raw(`/api/v1/namespaces/production/configmaps?fieldValidation=${mode}&dryRun=All`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const strict = await post('Strict');
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as { message: string }).message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.name"');
    const warn = await post('Warn');
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toBe('299 - "duplicate field \\"metadata.name\\""');
    const ignore = await post('Ignore');
    expect(ignore.status).toBe(201);
    expect(ignore.headers.get('warning')).toBeNull();
    expect((await post('Loose')).status).toBe(400);
  });

  it('DELETE preconditions: another uid or resourceVersion is a 409 and the object stays', async () => {
    const del = (preconditions: unknown) => raw('/api/v1/namespaces/production/services/api-service', {
      method: 'DELETE', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions }),
    });
    const byUid = await del({ uid: 'not-the-uid' });
    expect(byUid.status).toBe(409);
    expect(((await byUid.json()) as { message: string }).message).toMatch(/^Operation cannot be fulfilled on services "api-service": Precondition failed: UID in precondition: not-the-uid, UID in object meta: [0-9a-f-]{36}$/);
    expect((await del({ resourceVersion: '1' })).status).toBe(409);
    expect(await ok('get', 'svc', 'api-service', '-n', 'production', '-o', 'name')).toBe('service/api-service\n');
  });

  it('--cascade=orphan: the Deployment goes, its ReplicaSet and pods stay (same names, nodes, IPs); a StatefulSet\'s pods stay without an owner', async () => {
    const wide = async (ns: string, l: string) => (await ok('get', 'pods', '-n', ns, '-l', l, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP}{"\\n"}{end}')).trim().split('\n').sort();
    const before = await wide('production', 'app=frontend');
    expect(before).toHaveLength(3);
    expect(await ok('delete', 'deploy', 'frontend', '-n', 'production', '--cascade=orphan')).toBe('deployment.apps "frontend" deleted\n');
    expect((await run('get', 'deploy', 'frontend', '-n', 'production')).code).toBe(1);
    const rs = JSON.parse(await ok('get', 'rs', '-n', 'production', '-l', 'app=frontend', '-o', 'json')) as { items: { metadata: { ownerReferences?: unknown } }[] };
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0]!.metadata.ownerReferences).toBeUndefined();
    expect(await wide('production', 'app=frontend')).toEqual(before);
    const kafka = await wide('messaging', 'app=kafka');
    expect(await ok('delete', 'sts', 'kafka', '-n', 'messaging', '--cascade=orphan')).toBe('statefulset.apps "kafka" deleted\n');
    expect(await wide('messaging', 'app=kafka')).toEqual(kafka);
    expect(await ok('get', 'pod', 'kafka-0', '-n', 'messaging', '-o', 'jsonpath={.metadata.ownerReferences}')).toBe('');
    // --cascade=foreground: the orphaned ReplicaSet and its pods go together.
    expect(await ok('delete', 'rs', '-n', 'production', '-l', 'app=frontend', '--cascade=foreground')).toMatch(/^replicaset\.apps "frontend-[a-z0-9]+" deleted\n$/);
    expect(await wide('production', 'app=frontend')).toEqual(['']);
  });

  it('delete pods --all: each ReplicaSet pod goes (kubectl waits for it on a watch) and its ReplicaSet makes a new one', async () => {
    const before = await apiPods();
    const out = await ok('delete', 'pods', '-n', 'production', '-l', 'app=api');
    expect(out.trim().split('\n').sort()).toEqual(before.map((p) => `pod "${p.slice('pod/'.length)}" deleted`).sort());
    const after = await apiPods();
    expect(after).toHaveLength(before.length);
    expect(after.filter((p) => before.includes(p))).toEqual([]);
  });

  it('deletecollection: DELETE on a collection with a label selector deletes what it picks and answers the list', async () => {
    const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: production}\ndata: {a: "1"}\n`;
    expect((await kubectl.run(['apply', '-f', '-'], `${cm('one')}---\n${cm('two')}---\n${cm('three')}`)).code).toBe(0);
    await ok('label', 'configmap', 'one', 'two', '-n', 'production', 'sweep=yes');
    const r = await raw('/api/v1/namespaces/production/configmaps?labelSelector=sweep%3Dyes', { method: 'DELETE' });
    expect(r.status).toBe(200);
    const list = await r.json() as { kind: string; items: { metadata: { name: string } }[] };
    expect(list.kind).toBe('ConfigMapList');
    expect(list.items.map((i) => i.metadata.name)).toEqual(['one', 'two']);
    expect((await run('get', 'cm', '-n', 'production', '-l', 'sweep=yes')).err).toBe('No resources found in production namespace.\n');
    expect(await ok('get', 'cm', 'three', '-n', 'production', '-o', 'name')).toBe('configmap/three\n');
    expect(await ok('delete', 'cm', '-n', 'production', '-l', 'app!=x', '--field-selector', 'metadata.name=three')).toBe('configmap "three" deleted\n');
    expect((await raw('/api/v1/namespaces', { method: 'DELETE' })).status).toBe(405);
  });

  it('delete pod --grace-period=0 --force: kubectl\'s warning, and the pod is gone', async () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: lone, namespace: production}\nspec: {containers: [{name: c, image: agnhost}]}\n';
    expect((await kubectl.run(['apply', '-f', '-'], pod)).code).toBe(0);
    const r = await run('delete', 'pod', 'lone', '-n', 'production', '--grace-period=0', '--force');
    expect(r.code).toBe(0);
    expect(r.out).toBe('pod "lone" force deleted\n');
    expect((await run('get', 'pod', 'lone', '-n', 'production')).code).toBe(1);
  });

  it('delete deploy api: returns once its pods are gone from the API', async () => {
    expect(await ok('delete', 'deploy', 'api', '-n', 'production')).toBe('deployment.apps "api" deleted\n');
    expect(await apiPods()).toEqual([]);
    expect(await ok('get', 'rs', '-n', 'production', '-o', 'name')).not.toContain('api-');
    expect(JSON.parse(await ok('get', 'ep', 'api-service', '-n', 'production', '-o', 'json')).subsets).toBeUndefined();
  });
});
