// Imperative kubectl: `kubectl create configmap/secret/deployment/namespace/service/job/cronjob/ingress`
// send protobuf (client-go's typed clients, no fallback to JSON); `kubectl run` and `expose` send
// JSON. Each stores the same object as `kubectl apply` of the YAML it would print with
// `--dry-run=client -o yaml`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

type Json = Record<string, unknown>;

/** What the two ways may differ in: the server's bookkeeping, the namespace, an allocated clusterIP. */
function comparable(o: Json): Json {
  const meta = { ...(o['metadata'] as Json) };
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'namespace']) delete meta[k];
  const annotations = { ...(meta['annotations'] as Json | undefined) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  meta['annotations'] = annotations;
  const labels = { ...(meta['labels'] as Json | undefined) };
  delete labels['kubernetes.io/metadata.name'];
  meta['labels'] = labels;
  const spec = o['spec'] && typeof o['spec'] === 'object' ? { ...(o['spec'] as Json) } : undefined;
  if (spec) { delete spec['clusterIP']; delete spec['clusterIPs']; delete spec['ports']; delete spec['nodeName']; }
  const ports = ((o['spec'] as Json | undefined)?.['ports'] as Json[] | undefined)?.map((p) => ({ ...p, nodePort: undefined }));
  return { ...o, metadata: meta, ...(spec ? { spec: { ...spec, ...(ports ? { ports } : {}) } } : {}), status: undefined };
}

describe.skipIf(kubectlSkipReason)('imperative kubectl against knet', () => {
  let api: LoopbackApi;
  let kubectl: ReturnType<typeof kubectlAgainst>;
  beforeAll(async () => {
    api = await serveFakeApi();
    kubectl = kubectlAgainst(api.url);
    expect((await kubectl.run(['create', 'namespace', 'yaml'])).code).toBe(0);
  });
  afterAll(async () => {
    kubectl.close();
    await api.close();
  });

  const get = async (resource: string, name: string, namespace: string): Promise<Json> => {
    const r = await kubectl.run(['get', resource, name, '-n', namespace, '-o', 'json']);
    expect(r.err).toBe('');
    return JSON.parse(r.out) as Json;
  };

  // [the command after `kubectl`, the resource it makes, what kubectl prints]
  const cases: readonly [string[], string, string][] = [
    [['create', 'configmap', 'x', '--from-literal=a=b', '--from-literal=c=d'], 'configmap', 'configmap/x created'],
    [['create', 'secret', 'generic', 'x', '--from-literal=user=admin', '--type=Opaque'], 'secret', 'secret/x created'],
    [['create', 'secret', 'docker-registry', 'reg', '--docker-username=u', '--docker-password=p'], 'secret', 'secret/reg created'],
    [['create', 'deployment', 'web', '--image=nginx', '--replicas=2', '--port=8080'], 'deployment', 'deployment.apps/web created'],
    [['create', 'deployment', 'idle', '--image=busybox', '--replicas=0', '--', 'sleep', '3600'], 'deployment', 'deployment.apps/idle created'],
    [['create', 'service', 'clusterip', 'db', '--tcp=5432:5432'], 'service', 'service/db created'],
    [['create', 'service', 'nodeport', 'np', '--tcp=80:8080'], 'service', 'service/np created'],
    [['create', 'job', 'once', '--image=busybox', '--', 'true'], 'job', 'job.batch/once created'],
    [['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '--', 'true'], 'cronjob', 'cronjob.batch/nightly created'],
    [['create', 'service', 'clusterip', 'headless', '--clusterip=None'], 'service', 'service/headless created'],
    [['create', 'ingress', 'shop', '--rule=shop.example.com/=web:80'], 'ingress', 'ingress.networking.k8s.io/shop created'],
    [['create', 'serviceaccount', 'robot'], 'serviceaccount', 'serviceaccount/robot created'],
    [['run', 'tmp', '--image=busybox', '--restart=Never', '--', 'sleep', '1'], 'pod', 'pod/tmp created'],
  ];

  it.each(cases)('kubectl %j stores what apply of its YAML stores', async (args, resource, printed) => {
    const name = args[args[0] === 'run' ? 1 : args[1] === 'secret' || args[1] === 'service' ? 3 : 2]!;
    const made = await kubectl.run(args);
    expect(made.err).toBe('');
    expect(made.out.trim()).toBe(printed);
    const yaml = await kubectl.run([args[0]!, '-n', 'yaml', '--dry-run=client', '-o', 'yaml', ...args.slice(1)]);
    expect(yaml.code).toBe(0);
    expect((await kubectl.run(['apply', '-n', 'yaml', '-f', '-'], yaml.out)).code).toBe(0);
    expect(comparable(await get(resource, name, 'default'))).toEqual(comparable(await get(resource, name, 'yaml')));
  }, 30_000);

  it('kubectl create namespace: the Namespace, as apply makes it', async () => {
    expect(await kubectl.run(['create', 'namespace', 'team-a'])).toMatchObject({ code: 0, out: 'namespace/team-a created\n' });
    const yaml = await kubectl.run(['create', 'namespace', 'team-b', '--dry-run=client', '-o', 'yaml']);
    expect((await kubectl.run(['apply', '-f', '-'], yaml.out)).code).toBe(0);
    const [a, b] = [await get('namespace', 'team-a', 'default'), await get('namespace', 'team-b', 'default')];
    expect(JSON.parse(JSON.stringify(comparable(a)).replaceAll('team-a', 'team-b'))).toEqual(comparable(b));
  }, 30_000);

  it('kubectl expose deployment web --port=80: a Service selecting its pods', async () => {
    expect((await kubectl.run(['expose', 'deployment', 'web', '--port=80', '--target-port=8080'])).out).toBe('service/web exposed\n');
    const svc = await get('service', 'web', 'default');
    expect(svc['spec']).toMatchObject({ selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] });
    expect((await kubectl.run(['get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[0].ports[0].port}'])).out).toBe('8080');
  }, 30_000);

  it('a kind knet has no protobuf decoder for is still a 415 in the API server\'s words', async () => {
    const res = await fetch(`${api.url}/apis/scheduling.k8s.io/v1/priorityclasses`, {
      method: 'POST', headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' }, body: Buffer.from('k8s\0'),
    });
    expect(res.status).toBe(415);
  });
});
