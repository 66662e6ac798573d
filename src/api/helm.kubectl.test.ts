// helm 4 against the daemon's API handler (a FakeBackend, no root): a chart from a local
// directory installed, listed, upgraded, rolled back and uninstalled; --wait (kstatus over
// streaming-list watches); a chart the API server refuses; `helm template | kubectl apply`.
// helm keeps each release in a Secret (sent as protobuf by client-go's typed client) and
// applies the chart's objects with server-side apply (fieldManager=helm).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlSkipReason } from './test-support/fake-backend.js';
import { helloChart, helmOnFakeApi, helmSkipReason, writeChart, type HelmOnFakeApi } from './test-support/helm-chart.js';

type Json = Record<string, unknown>;

const BAD_SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-bad
spec:
  type: NodePort
  selector: {app: x}
  ports: [{port: 80, nodePort: 99999}]
`;

describe.skipIf(helmSkipReason || kubectlSkipReason)('helm against the API (fake backend)', () => {
  let on: HelmOnFakeApi;
  let chart: string;

  const helmOk = async (...args: string[]): Promise<string> => {
    const r = await on.helm.run(args);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return r.out;
  };
  const kubectlOk = async (args: readonly string[], stdin?: string): Promise<string> => {
    const r = await on.kubectl.run(args, stdin);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return r.out;
  };
  const json = async (...args: string[]): Promise<Json> => JSON.parse(await kubectlOk([...args, '-o', 'json'])) as Json;
  const names = async (what: string, selector?: string): Promise<string[]> =>
    (await kubectlOk(['get', what, '-o', 'name', ...(selector ? ['-l', selector] : [])])).split('\n').filter(Boolean).sort();
  /** The release Secrets' labels, version by version: what `helm history` reads. */
  const releases = async (name: string): Promise<string[]> => {
    const list = await json('get', 'secrets', '-l', `owner=helm,name=${name}`);
    return (list['items'] as Json[]).map((s) => {
      const m = s['metadata'] as { name: string; labels: Record<string, string> };
      return `${m.name} ${m.labels['status']} v${m.labels['version']} ${String(s['type'])}`;
    }).sort();
  };
  const deployment = async (name: string): Promise<{ replicas: number; image: string; status: Json; generation: number }> => {
    const d = await json('get', 'deployment', name) as { metadata: { generation: number }; spec: { replicas: number; template: { spec: { containers: { image: string }[] } } }; status: Json };
    return { replicas: d.spec.replicas, image: d.spec.template.spec.containers[0]!.image, status: d.status, generation: d.metadata.generation };
  };
  const podImages = async (app: string): Promise<string[]> =>
    (await kubectlOk(['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={.items[*].spec.containers[0].image}'])).split(' ').filter(Boolean);

  beforeAll(async () => {
    on = await helmOnFakeApi('knet-helm', 2);
    chart = writeChart(join(on.dir, 'hello'), helloChart());
  });
  afterAll(() => on?.close());

  it('helm install: the objects made, NOTES.txt printed, the release kept in a Secret labelled owner=helm', async () => {
    const out = await helmOk('install', 'demo', chart);
    expect(out).toMatch(/^NAME: demo\n/);
    expect(out).toContain('STATUS: deployed\nREVISION: 1\n');
    expect(out).toContain('NOTES:\ndemo answers on http://demo-web.default.svc\n');
    expect(await names('deploy,svc,cm')).toEqual(expect.arrayContaining(['configmap/demo-config', 'deployment.apps/demo-web', 'service/demo-web']));
    expect(await names('pods', 'app=demo-web')).toHaveLength(2);
    expect(await releases('demo')).toEqual(['sh.helm.release.v1.demo.v1 deployed v1 helm.sh/release.v1']);
    const cm = await json('get', 'configmap', 'demo-config', '--show-managed-fields') as { data: Json; metadata: { labels: Json; annotations: Json; managedFields: { manager: string; operation: string }[] } };
    expect(cm.data).toEqual({ greeting: 'hello from demo, revision 1' });
    expect(cm.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'Helm' });
    expect(cm.metadata.annotations).toEqual({ 'meta.helm.sh/release-name': 'demo', 'meta.helm.sh/release-namespace': 'default' });
    expect(cm.metadata.managedFields.map((f) => `${f.manager} ${f.operation}`)).toEqual(['helm Apply']);
  });

  it('helm list, status (the objects as tables), get manifest', async () => {
    const list = (await helmOk('list')).split('\n');
    expect(list[0]!.split('\t').map((c) => c.trim())).toEqual(['NAME', 'NAMESPACE', 'REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION']);
    expect(list[1]!.split('\t').map((c) => c.trim())).toEqual(['demo', 'default', '1', expect.any(String), 'deployed', 'hello-0.1.0', '1.0']);
    const status = await helmOk('status', 'demo');
    expect(status).toContain('STATUS: deployed');
    expect(status).toMatch(/==> v1\/Deployment\nNAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndemo-web\s+2\/2\s+2\s+2\s/);
    expect(status).toMatch(/==> v1\/Pod\(related\)\nNAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\ndemo-web-\S+\s+1\/1\s+Running\s/);
    const manifest = await helmOk('get', 'manifest', 'demo');
    expect(manifest).toContain('# Source: hello/templates/deployment.yaml\n');
    expect(manifest).toContain('  replicas: 2\n');
  });

  it('helm upgrade --set replicas=3: the pods follow; history has revision 1 superseded and 2 deployed', async () => {
    expect(await helmOk('upgrade', 'demo', chart, '--set', 'replicas=3')).toContain('STATUS: deployed\nREVISION: 2\n');
    expect(await names('pods', 'app=demo-web')).toHaveLength(3);
    expect((await deployment('demo-web')).replicas).toBe(3);
    expect(await releases('demo')).toEqual([
      'sh.helm.release.v1.demo.v1 superseded v1 helm.sh/release.v1',
      'sh.helm.release.v1.demo.v2 deployed v2 helm.sh/release.v1',
    ]);
    const history = (await helmOk('history', 'demo')).trimEnd().split('\n').map((l) => l.split('\t').map((c) => c.trim()));
    expect(history.map((row) => [row[0], row[2], row[5]])).toEqual([['REVISION', 'STATUS', 'DESCRIPTION'], ['1', 'superseded', 'Install complete'], ['2', 'deployed', 'Upgrade complete']]);
  });

  it('helm upgrade with a new image tag rolls the pods; helm rollback demo 1 brings back revision 1\'s replicas and image', async () => {
    await helmOk('upgrade', 'demo', chart, '--set', 'image.tag=1.28');
    expect(await podImages('demo-web')).toEqual(['nginx:1.28', 'nginx:1.28']);
    expect(await helmOk('rollback', 'demo', '1')).toBe('Rollback was a success! Happy Helming!\n');
    expect(await deployment('demo-web')).toMatchObject({ replicas: 2, image: 'nginx:1.27' });
    expect(await podImages('demo-web')).toEqual(['nginx:1.27', 'nginx:1.27']);
    const history = (await helmOk('history', 'demo')).trimEnd().split('\n').slice(1).map((l) => l.split('\t').map((c) => c.trim()));
    expect(history.map((row) => `${row[0]} ${row[2]} ${row[5]}`)).toEqual(['1 superseded Install complete', '2 superseded Upgrade complete', '3 superseded Upgrade complete', '4 deployed Rollback to 1']);
  });

  it('a field another manager took (kubectl scale) is a conflict for helm\'s apply, in the API server\'s words; --force-conflicts takes it back', async () => {
    await kubectlOk(['scale', 'deployment/demo-web', '--replicas=5']);
    const refused = await on.helm.run(['upgrade', 'demo', chart]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/\nError: UPGRADE FAILED: conflict occurred while applying object default\/demo-web apps\/v1, Kind=Deployment: Apply failed with 1 conflict: conflict with "kubectl[^"]*" with subresource "scale" using apps\/v1 at [-\dT:]+Z: \.spec\.replicas\n$/);
    await helmOk('upgrade', 'demo', chart, '--force-conflicts');
    expect((await deployment('demo-web')).replicas).toBe(2);
  });

  it('helm uninstall: the chart\'s objects, their pods and every release Secret are gone', async () => {
    expect(await helmOk('uninstall', 'demo')).toBe('release "demo" uninstalled\n');
    expect(await kubectlOk(['get', 'deploy,rs,pods,svc,cm', '-o', 'name'])).not.toContain('demo-');
    expect(await releases('demo')).toEqual([]);
    expect(await helmOk('list')).toBe('NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\n');
  });

  it('helm install --wait: done when the Deployment is Current by kstatus (observedGeneration, replicas, Available)', async () => {
    const started = Date.now();
    expect(await helmOk('install', 'waited', chart, '--wait', '--timeout', '30s')).toContain('STATUS: deployed');
    expect(Date.now() - started).toBeLessThan(15_000);
    const d = await deployment('waited-web');
    expect(d.status).toMatchObject({ observedGeneration: d.generation, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(d.status['conditions']).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Available', status: 'True' })]));
    expect(await helmOk('upgrade', 'waited', chart, '--set', 'replicas=4', '--wait', '--timeout', '30s')).toContain('REVISION: 2');
    expect(await names('pods', 'app=waited-web')).toHaveLength(4);
    expect(await helmOk('uninstall', 'waited', '--wait', '--timeout', '30s')).toBe('release "waited" uninstalled\n');
    expect(await names('pods', 'app=waited-web')).toEqual([]);
  });

  it('helm upgrade --install: installs the first time, upgrades the second', async () => {
    expect(await helmOk('upgrade', '--install', 'twice', chart)).toContain('STATUS: deployed\nREVISION: 1\n');
    expect(await helmOk('upgrade', '--install', 'twice', chart, '--set', 'replicas=1')).toContain('STATUS: deployed\nREVISION: 2\n');
    expect(await names('pods', 'app=twice-web')).toHaveLength(1);
    await helmOk('uninstall', 'twice');
  });

  it('a chart with an object the API server refuses: helm prints its message; with --rollback-on-failure nothing stays', async () => {
    const bad = writeChart(join(on.dir, 'bad'), helloChart({ 'bad.yaml': BAD_SERVICE }));
    const refused = await on.helm.run(['install', 'broken', bad, '--rollback-on-failure', '--timeout', '30s']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('Service "broken-bad" is invalid: spec.ports[0].nodePort: Invalid value: 99999: provided port is not in the valid range. The range of valid ports is 30000-32767');
    expect(await kubectlOk(['get', 'deploy,rs,pods,svc,cm', '-o', 'name'])).not.toContain('broken-');
    expect(await releases('broken')).toEqual([]);
  });

  it('helm template | kubectl apply -f -: created, then unchanged', async () => {
    const rendered = await helmOk('template', 'plain', chart);
    expect(await kubectlOk(['apply', '-f', '-'], rendered)).toBe('configmap/plain-config created\nservice/plain-web created\ndeployment.apps/plain-web created\n');
    expect(await kubectlOk(['apply', '-f', '-'], rendered)).toBe('configmap/plain-config unchanged\nservice/plain-web unchanged\ndeployment.apps/plain-web unchanged\n');
    expect(await names('pods', 'app=plain-web')).toHaveLength(2);
    expect(await releases('plain')).toEqual([]);
  });
});
