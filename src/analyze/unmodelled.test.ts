// Unknown, not wrong: what knet does not model, or the input leaves out, makes answers
// unknown; a dump, or a typo next to the pods, keeps them definite.
import { describe, expect, it } from 'vitest';
import { routeTableOf, matchRoute } from '../core/ingress/index.js';
import { routeJson } from '../cli/route.js';
import { buildMatrix } from './matrix.js';
import { matrixJson, renderMatrixTable } from './matrix-table.js';
import { routeUnknowns } from './route-unknown.js';
import { renderTrace } from './trace-render.js';
import { build, clusterYaml, ingress, ingressNginx, namespace, pod, service, traceIn } from './trace-fixtures.js';
import { inputIsDump, inputIsSlice, podsUnknown, secretAbsenceUnknown, unknownServicePods } from './unmodelled.js';

const prometheus = (ns: string, labels = 'app.kubernetes.io/name: prometheus') =>
  `apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s, namespace: ${ns}, labels: {${labels}}}\nspec: {replicas: 2}\n`;
const client = pod('mon', 'client-1', 'app: client');
const promSvc = service('mon', 'prometheus-k8s', 'app.kubernetes.io/name: prometheus', '[{name: web, port: 9090, targetPort: 9090}]');
/** A pod as a dump holds it: uid, resourceVersion and status written by the API server. */
const dumpPod = (ns: string, name: string, labels: string, ip: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, uid: u-${name}, resourceVersion: "7", labels: {${labels}}}\n` +
  `spec: {nodeName: node-1, containers: [{name: app, image: agnhost, ports: [{containerPort: 8080}]}]}\nstatus: {phase: Running, podIP: ${ip}, conditions: [{type: Ready, status: "True"}]}\n`;

describe('podsUnknown: a selector matching no pod knet knows', () => {
  const cases: [string, string[], RegExp | null][] = [
    ['a custom resource labelled like the selector -> unknown, naming it as the maker',
      [namespace('mon'), client, promSvc, prometheus('mon')], /^its pods \(app\.kubernetes\.io\/name=prometheus\) would come from Prometheus mon\/k8s, which knet keeps but does not model$/],
    ['any custom resource in the namespace -> unknown, naming the candidates',
      [namespace('mon'), client, promSvc, prometheus('mon', 'team: x')], /no pod knet knows is labelled app\.kubernetes\.io\/name=prometheus; Prometheus mon\/k8s in namespace mon may make them/],
    ['manifests without the namespace object and no pod that comes close -> unknown (the pods may be elsewhere)',
      [client, promSvc], /no pod in the input matches app\.kubernetes\.io\/name=prometheus, and none in namespace mon comes close/],
    ['manifests declaring the namespace, no pod there that comes close -> still unknown: manifests may deploy the pods separately',
      [namespace('mon'), client, promSvc], /no pod in the input matches app\.kubernetes\.io\/name=prometheus/],
    ['a near-miss label (app=web vs app=webapp) -> known: a typo, not pods elsewhere',
      [pod('mon', 'web-1', 'app: web'), service('mon', 'web', 'app: webapp')], null],
    ['the same value under another key (name=web vs app=web) -> known: a typo',
      [pod('mon', 'web-1', 'app: web'), service('mon', 'web', 'name: web')], null],
    ['one pair of two missing from a pod that has the other (app=web,tier=frontend vs app=web) -> known: a typo',
      [pod('mon', 'web-1', 'app: web'), service('mon', 'web', 'app: web, tier: frontend')], null],
    ['a prefix-similar value on a pod that differs in other pairs too (name=prometheus vs prometheus-adapter) -> unknown: another app, not a typo',
      [pod('mon', 'adapter-1', 'app.kubernetes.io/name: prometheus-adapter, app.kubernetes.io/component: metrics-adapter'),
        service('mon', 'prometheus-k8s', 'app.kubernetes.io/name: prometheus, app.kubernetes.io/component: prometheus')], /no pod in the input matches/],
    ['a dump -> known: the dump is the cluster', [dumpPod('mon', 'client-1', 'app: client', '10.244.0.9'), promSvc], null],
    ['a dump listing the namespace\'s pods, with the custom resource -> known: the operator\'s pods would be listed',
      [dumpPod('mon', 'client-1', 'app: client', '10.244.0.9'), promSvc, prometheus('mon')], null],
    ['a dump without pods of the namespace, with the custom resource -> unknown',
      [dumpPod('other', 'x-1', 'app: x', '10.244.0.9'), promSvc, prometheus('mon')], /would come from Prometheus mon\/k8s/],
  ];
  for (const [rule, docs, want] of cases) {
    it(rule, () => {
      const { cluster } = build(clusterYaml(), ...docs);
      const svc = cluster.services.find((s) => s.meta.namespace === 'mon')!;
      const u = podsUnknown(cluster, 'mon', svc.selector!, svc.meta.ownerReferences);
      if (want === null) expect(u).toBeNull();
      else expect(u?.reason).toMatch(want);
    });
  }

  it('a Service owned by a kind knet does not model -> unknown, naming the owner', () => {
    const owned = `apiVersion: v1\nkind: Service\nmetadata: {name: prometheus-operated, namespace: mon, ownerReferences: [{apiVersion: monitoring.coreos.com/v1, kind: Prometheus, name: k8s, uid: u1}]}\nspec: {selector: {app: prometheus}, ports: [{port: 9090}]}\n`;
    const { cluster } = build(clusterYaml(), namespace('mon'), client, owned);
    const svc = cluster.services.find((s) => s.meta.name === 'prometheus-operated')!;
    expect(podsUnknown(cluster, 'mon', svc.selector!, svc.meta.ownerReferences)?.reason).toMatch(/would come from Prometheus mon\/k8s/);
  });

  it('a pod that matches -> known', () => {
    const { cluster } = build(clusterYaml(), prometheus('mon'), pod('mon', 'p-0', 'app.kubernetes.io/name: prometheus'), promSvc);
    expect(podsUnknown(cluster, 'mon', { 'app.kubernetes.io/name': 'prometheus' })).toBeNull();
  });
});

describe('dumps and slices', () => {
  it('objects carrying uid, resourceVersion or a pod status -> a dump, never a slice', () => {
    const { cluster } = build(clusterYaml(), dumpPod('mon', 'a', 'app: a', '10.244.0.9'));
    expect([inputIsDump(cluster), inputIsSlice(cluster)]).toEqual([true, false]);
  });
  it('manifests using a namespace they do not declare -> a slice; declaring it -> not', () => {
    expect(inputIsSlice(build(clusterYaml(), client).cluster)).toBe(true);
    expect(inputIsSlice(build(clusterYaml(), namespace('mon'), client).cluster)).toBe(false);
  });
});

describe('secretAbsenceUnknown: TLS Secrets are made out of band', () => {
  const tls = (ns: string, name: string, type = 'kubernetes.io/tls') => `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}, namespace: ${ns}}\ntype: ${type}\ndata: {tls.crt: eA==, tls.key: eA==}\n`;
  const cases: [string, string[], boolean][] = [
    ['no Secret of the namespace in the input -> unknown', [namespace('shop')], true],
    ['only an Opaque Secret in the namespace -> unknown', [namespace('shop'), tls('shop', 'creds', 'Opaque')], true],
    ['another kubernetes.io/tls Secret in the namespace -> known missing', [namespace('shop'), tls('shop', 'other')], false],
    ['a TLS Secret in another namespace only -> unknown', [namespace('shop'), tls('web', 'other')], true],
    ['a dump that holds Secrets -> known missing', [dumpPod('shop', 'a', 'app: a', '10.244.0.9'), tls('web', 'creds', 'Opaque')], false],
  ];
  for (const [rule, docs, unknown] of cases) {
    it(rule, () => {
      const { cluster } = build(clusterYaml(), ...docs);
      expect(secretAbsenceUnknown(cluster, 'shop', 'shop-tls') !== null).toBe(unknown);
    });
  }
});

describe('trace, route and matrix say unknown', () => {
  it('trace to a Service an operator\'s resource serves -> unknown at service, a ? step, no selector fix', () => {
    const { ctx } = build(clusterYaml(), namespace('mon'), client, promSvc, prometheus('mon'));
    const t = traceIn(ctx, 'mon/client-1', 'prometheus-k8s:9090');
    expect([t.verdict, t.unknownAt, t.failedAt, t.delivered]).toEqual(['unknown', 'service', null, null]);
    const step = t.steps.find((s) => s.layer === 'service')!;
    expect(step.layer === 'service' && [step.verdict, step.unknown]).toEqual(['unknown', true]);
    expect(t.hint).not.toMatch(/selector/);
  });

  it('trace to a headless Service an operator\'s resource serves -> unknown at dns, not NXDOMAIN', () => {
    const operated = service('mon', 'prometheus-operated', 'app.kubernetes.io/name: prometheus', '[{name: web, port: 9090, targetPort: 9090}]', 'clusterIP: None');
    const { ctx } = build(clusterYaml(), namespace('mon'), client, operated, prometheus('mon'));
    const t = traceIn(ctx, 'mon/client-1', 'prometheus-operated:9090');
    expect([t.verdict, t.unknownAt]).toEqual(['unknown', 'dns']);
    expect(t.reason).toMatch(/whether prometheus-operated resolves is unknown: headless Service mon\/prometheus-operated .* would come from Prometheus mon\/k8s/);
    expect(renderTrace(t)).toMatch(/^ {2}dns +\? /m);
  });

  it('the same Service in a dump -> refused at service: the dump is the cluster', () => {
    const { ctx } = build(clusterYaml(), dumpPod('mon', 'client-1', 'app: client', '10.244.0.9'), promSvc);
    const t = traceIn(ctx, 'mon/client-1', 'prometheus-k8s:9090');
    expect([t.verdict, t.failedAt]).toEqual(['failed', 'service']);
    expect(t.reason).toMatch(/reject \(connection refused\)/);
  });

  it('route to a backend an operator\'s resource serves -> verdict unknown, status null, not 503', () => {
    const { cluster } = build(clusterYaml(), ingressNginx(), namespace('mon'), promSvc, prometheus('mon'), ingress('mon', 'prom', 'prom.example.com', 'prometheus-k8s', 9090));
    const d = matchRoute(routeTableOf(cluster), { scheme: 'http', host: 'prom.example.com', sni: null, path: '/', query: '', method: 'GET', headers: {} });
    expect(d.outcome.kind).toBe('unavailable');
    const j = routeJson(d, routeUnknowns(cluster, d, 'prom.example.com'));
    expect([j['verdict'], j['status']]).toEqual(['unknown', null]);
    expect(String(j['reason'])).toMatch(/would come from Prometheus mon\/k8s/);
    expect(routeJson(d)['status']).toBe(503);
  });

  it('trace through the Ingress to that backend -> unknown at ingress, not a 503 failure', () => {
    const { ctx } = build(clusterYaml(), ingressNginx(), namespace('mon'), promSvc, prometheus('mon'), ingress('mon', 'prom', 'prom.example.com', 'prometheus-k8s', 9090));
    const t = traceIn(ctx, 'external', 'http://prom.example.com/');
    expect([t.verdict, t.unknownAt]).toEqual(['unknown', 'ingress']);
    expect(t.reason).toMatch(/whether it answers or returns 503 is unknown/);
  });

  it('matrix: a ? row and column for the Service\'s unknown pods, a legend; JSON keeps booleans between pods', () => {
    const { cluster } = build(clusterYaml(), namespace('mon'), client, pod('mon', 'other-1', 'app: other'), promSvc, prometheus('mon'));
    const m = buildMatrix(cluster, { port: 9090, protocol: 'TCP', unknownPods: unknownServicePods(cluster) });
    const table = renderMatrixTable(m);
    expect(table).toMatch(/\. allowed, X blocked, \? unknown\)/);
    expect(table).toMatch(/^ *\d+ mon\/prometheus-k8s\? +\? +\?/m);
    expect(table).toMatch(/^\? unknown: a row and column stand for pods knet cannot list:$/m);
    const j = matrixJson(m);
    expect(j.allowed['mon/client-1']!['mon/other-1']).toBe(true);
    expect(j.allowed['mon/client-1']!['mon/prometheus-k8s?']).toBe('unknown');
    expect(j.unknown!['mon/prometheus-k8s?']!.service).toBe('mon/prometheus-k8s');
    expect(matrixJson(buildMatrix(cluster, { port: 9090, protocol: 'TCP' }))).not.toHaveProperty('unknown');
  });
});
