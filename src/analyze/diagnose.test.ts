import { describe, expect, it } from 'vitest';
import { loadCluster } from '../cluster/fill-in.js';
import { diagnoseCluster, type Finding } from './diagnose.js';
import { diagnosisJson, renderDiagnosis } from './diagnose-render.js';
import { buildTraceContext } from './trace-context.js';
import {
  build, clusterIssuer, clusterYaml, ingress, ingressNginx, namespace, pod, policy, service,
} from './trace-fixtures.js';

function diagnose(...docs: string[]): Finding[] {
  const { cluster, issues } = build(...docs);
  return diagnoseCluster(cluster, issues);
}

/** Findings as `severity layer code`, the shape the table compares. */
function codes(findings: readonly Finding[]): string[] {
  return findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.layer} ${f.code}`);
}

const app = [namespace('shop'), pod('shop', 'web-1', 'app: web'), pod('shop', 'api-1', 'app: api', { node: 'node-2' })];
const web = [namespace('shop'), pod('shop', 'web-1', 'app: web'), service('shop', 'web', 'app: web', '[{name: http, port: 80, targetPort: http}]')];
const OTHER_TLS_SECRET = 'apiVersion: v1\nkind: Secret\nmetadata: {name: other-tls, namespace: shop}\ntype: kubernetes.io/tls\ndata: {tls.crt: eA==, tls.key: eA==}\n';
const nodes = (a: string, b: string) => [
  `apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\nspec: {podCIDR: ${a}}\nstatus: {addresses: [{type: InternalIP, address: 172.18.0.2}]}\n`,
  `apiVersion: v1\nkind: Node\nmetadata: {name: node-2}\nspec: {podCIDR: ${b}}\nstatus: {addresses: [{type: InternalIP, address: 172.18.0.3}]}\n`,
];

const STUCK_CHALLENGE = `apiVersion: acme.cert-manager.io/v1
kind: Challenge
metadata: {name: shop-tls-1-1-2, namespace: shop}
spec: {dnsName: shop.example.com, type: HTTP-01, token: TOK, key: TOK.K, solver: {http01: {ingress: {ingressClassName: nginx}}}}
status: {state: pending, processing: true, presented: true, reason: "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'"}
`;

const CASES: { rule: string; docs: string[]; want: string[]; message?: RegExp }[] = [
  {
    rule: 'a healthy app has nothing to report',
    docs: [clusterYaml(), ...app, service('shop', 'api', 'app: api')],
    want: [],
  },
  {
    rule: 'an object the API server would refuse is an input error',
    docs: [clusterYaml(), ...app, service('shop', 'api', 'app: api', '[{port: 0, targetPort: 8080}]')],
    want: ['error input invalid-value'],
    message: /spec\.ports\[0\]\.port: Invalid value: 0/,
  },
  {
    rule: 'overlapping podCIDRs: pod-network error, and the clashing addresses',
    docs: [clusterYaml(), ...nodes('10.244.0.0/24', '10.244.0.0/24'), ...app],
    // CoreDNS's two pods clash as well as the app's: one address each on both nodes.
    want: ['error pod-network duplicate-pod-ip', 'error pod-network pod-cidr-overlap', 'error pod-network duplicate-pod-ip'],
  },
  {
    rule: 'flannel routes by podCIDR: a pod IP outside its node\'s podCIDR is a pod-network error',
    docs: [clusterYaml('flannel'), ...nodes('10.244.0.0/24', '10.244.1.0/24'), namespace('shop'), pod('shop', 'cart-1', 'app: cart', { node: 'node-2', ip: '10.244.9.10' })],
    want: ['error pod-network pod-ip-outside-node-cidr'],
  },
  {
    rule: 'Calico hands out blocks of its pool: a pod IP outside its node\'s podCIDR is normal',
    docs: [clusterYaml(), ...nodes('10.244.0.0/24', '10.244.1.0/24'), namespace('shop'), pod('shop', 'cart-1', 'app: cart', { node: 'node-2', ip: '192.168.44.10' })],
    want: [],
  },
  {
    rule: 'a Service selector matching no pod: service error naming the labels the pods have',
    docs: [clusterYaml(), ...app, service('shop', 'api', 'app: api-server')],
    want: ['error service service-selector-no-pods'],
    message: /selector app=api-server matches no pod in namespace shop; pods there have app=web \(1 pod\), app=api \(1 pod\)/,
  },
  {
    rule: 'a named targetPort no selected pod declares: service error',
    docs: [clusterYaml(), ...app, service('shop', 'api', 'app: api', '[{port: 80, targetPort: web}]')],
    want: ['error service service-target-port-mismatch'],
  },
  {
    rule: 'Predict: a numeric targetPort no container declares is delivered (containerPort is informational): a note, no error, no "declare containerPort"',
    docs: [clusterYaml(), ...app, service('shop', 'api', 'app: api', '[{port: 80, targetPort: 9090}]')],
    want: [],
    message: /targetPort 9090\/TCP .* is not a declared container port .* answered if a process listens there, which knet cannot know/,
  },
  {
    rule: 'a Service whose pods are all not ready: service warning',
    docs: [clusterYaml(), namespace('shop'), pod('shop', 'api-1', 'app: api', { ready: false }), service('shop', 'api', 'app: api')],
    want: ['warning service service-no-ready-endpoints'],
  },
  {
    rule: 'a selectorless Service nothing backs: service warning',
    docs: [clusterYaml(), ...app, `apiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: shop}\nspec: {ports: [{port: 80}]}\n`],
    want: ['warning service service-no-endpoints'],
  },
  {
    rule: 'two pods with one hostPort on one node: error; a hostPort that is a NodePort: warning',
    docs: [clusterYaml(), namespace('shop'),
      pod('shop', 'a-1', 'app: a', { ports: '[{containerPort: 80, hostPort: 30080}]' }),
      pod('shop', 'b-1', 'app: b', { ports: '[{containerPort: 80, hostPort: 30080}]' }),
      service('shop', 'np', 'app: a', '[{port: 80, targetPort: 80, nodePort: 30080}]', 'type: NodePort')],
    want: ['error pod-network host-port-conflict', 'warning pod-network host-port-node-port-clash', 'warning pod-network host-port-node-port-clash'],
  },
  {
    rule: 'an app-scoped egress policy without DNS: the DNS fix has that policy\'s podSelector',
    docs: [clusterYaml(), ...app, policy('shop', 'web-egress', '{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: api}}}]}]}')],
    want: ['error dns dns-egress-blocked'],
    message: /NetworkPolicy shop\/web-egress isolates egress and no policy allows DNS: 1 pod loses DNS \(shop\/web-1\)/,
  },
  {
    rule: 'default-deny egress without DNS: dns error naming the policy and the pods',
    docs: [clusterYaml(), ...app, policy('shop', 'default-deny-all', '{podSelector: {}, policyTypes: [Ingress, Egress]}')],
    want: ['error dns dns-egress-blocked'],
    message: /NetworkPolicy shop\/default-deny-all isolates egress and no policy allows DNS: 2 pods lose DNS \(shop\/api-1, shop\/web-1\)/,
  },
  {
    rule: 'the same policy under flannel: not enforced (warning), and DNS is not lost',
    docs: [clusterYaml('flannel'), ...app, policy('shop', 'default-deny-all', '{podSelector: {}, policyTypes: [Ingress, Egress]}')],
    want: ['warning policy policy-not-enforced'],
  },
  {
    rule: 'a policy selecting no pod, and a peer matching nothing: policy warnings',
    docs: [clusterYaml(), ...app,
      policy('shop', 'for-nobody', '{podSelector: {matchLabels: {app: nobody}}, ingress: [{from: [{podSelector: {matchLabels: {app: ghost}}}]}]}'),
      policy('shop', 'from-nowhere', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: none}}}]}]}')],
    want: ['warning policy policy-selects-no-pods', 'warning policy policy-peer-matches-nothing', 'warning policy policy-peer-matches-nothing'],
  },
  {
    rule: 'an Ingress backend naming a missing Service, or a port the Service lacks: ingress errors',
    docs: [clusterYaml(), ingressNginx(), ...web, ingress('shop', 'a', 'a.example.com', 'nope', 80), ingress('shop', 'b', 'b.example.com', 'web', 8443)],
    want: ['error ingress ingress-backend-missing-service', 'error ingress ingress-backend-missing-port'],
  },
  {
    rule: 'an Ingress backend without ready endpoints: ingress error (503)',
    docs: [clusterYaml(), ingressNginx(), namespace('shop'), pod('shop', 'web-1', 'app: web', { ready: false }),
      service('shop', 'web', 'app: web', '[{port: 80, targetPort: 8080}]'), ingress('shop', 'shop', 'shop.example.com', 'web', 80)],
    want: ['warning service service-no-ready-endpoints', 'error ingress ingress-backend-no-endpoints'],
  },
  {
    rule: 'the same host and path in two Ingresses: ingress warning (the oldest wins)',
    docs: [clusterYaml(), ingressNginx(), ...web, ingress('shop', 'a', 'shop.example.com', 'web', 80), ingress('shop', 'b', 'shop.example.com', 'web', 80)],
    want: ['warning ingress ingress-path-conflict'],
  },
  {
    rule: 'an Ingress of another controller\'s class (traefik, not in the input): a note, as knet does not model that controller',
    docs: [clusterYaml(), ingressNginx(), ...web, ingress('shop', 'a', 'shop.example.com', 'web', 80, { className: 'traefik' })],
    want: [],
    message: /Ingress shop\/a: class traefik is served by a controller knet does not model: what it answers is unknown/,
  },
  {
    rule: 'the legacy annotation of another class (istio) and no controller in the manifests: one note, no warning',
    docs: [clusterYaml(), ...web, ingress('shop', 'a', 'shop.example.com', 'web', 80, { annotations: 'kubernetes.io/ingress.class: istio' })],
    want: ['warning input api-warning'], // the API server's own: the annotation is deprecated
    message: /class istio is served by a controller knet does not model/,
  },
  {
    rule: 'manifests with an Ingress of nginx and no controller: a note (the cluster may have one)',
    docs: [clusterYaml(), ...web, ingress('shop', 'a', 'shop.example.com', 'web', 80, { className: 'nginx' })],
    want: [],
    message: /1 Ingress object\(s\) but no ingress controller in the input/,
  },
  {
    rule: 'a dump (its pods listed, owned by ReplicaSets) with an Ingress and no controller pod: ingress warning, nothing serves it',
    docs: [clusterYaml(), namespace('shop'), service('shop', 'web', 'app: web', '[{name: http, port: 80, targetPort: 8080}]'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-5d8f7-abcde\n  namespace: shop\n  labels: {app: web}\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f7, uid: 0b6e5c1e-0000-4000-8000-000000000001, controller: true}]\nspec:\n  nodeName: node-1\n  containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]\nstatus: {phase: Running, podIP: 10.244.1.5, conditions: [{type: Ready, status: "True"}]}\n',
      ingress('shop', 'a', 'shop.example.com', 'web', 80, { className: 'nginx' })],
    want: ['warning ingress ingress-no-controller'],
    message: /1 Ingress object\(s\) but no ingress controller pod runs in the cluster: nothing serves them/,
  },
  {
    rule: 'an Ingress ingress-nginx leaves out while it runs (no class, and nginx\'s IngressClass is not the default): ingress warning',
    docs: [clusterYaml(), ingressNginx().replace('annotations: {ingressclass.kubernetes.io/is-default-class: "true"}', 'annotations: {}'), ...web,
      ingress('shop', 'a', 'shop.example.com', 'web', 80)],
    want: ['warning ingress ingress-not-served'],
  },
  {
    rule: 'a tls Secret not in manifests that hold no TLS Secret of its namespace: made out of band, unknown (a note)',
    docs: [clusterYaml(), ingressNginx(), ...web, ingress('shop', 'a', 'shop.example.com', 'web', 80, { tls: 'shop-tls' })],
    want: [],
    message: /Secret shop\/shop-tls is not in the input; if the cluster lacks it, ingress-nginx serves its fake certificate for shop\.example\.com/,
  },
  {
    rule: 'a tls Secret missing where the input lists the namespace\'s TLS Secrets: tls error',
    docs: [clusterYaml(), ingressNginx(), ...web, OTHER_TLS_SECRET, ingress('shop', 'a', 'shop.example.com', 'web', 80, { tls: 'shop-tls' })],
    want: ['error tls tls-secret-missing'],
  },
  {
    rule: 'a Certificate whose ClusterIssuer is missing: tls error',
    docs: [clusterYaml(), ingressNginx(), ...web, ingress('shop', 'a', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: le' })],
    want: ['error tls certificate-issuer-missing'],
  },
  {
    rule: 'HTTP-01 with port 80 closed from the internet: tls error',
    docs: [clusterYaml(), ingressNginx('[{name: https, port: 443, targetPort: https}]'), ...web, clusterIssuer('le'),
      ingress('shop', 'a', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: le' })],
    want: ['error tls acme-http01-unreachable'],
  },
  {
    rule: 'a Challenge stuck pending with port 80 closed from the internet: tls error naming the hop',
    docs: [clusterYaml(), ingressNginx('[{name: https, port: 443, targetPort: https}]'), ...web, clusterIssuer('le'),
      ingress('shop', 'a', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: le' }), STUCK_CHALLENGE],
    want: ['error tls acme-http01-unreachable', 'error tls acme-challenge-stuck'],
  },
  {
    rule: 'a Challenge stuck pending while port 80 is open in the prediction: tls error, the 404 hint',
    docs: [clusterYaml(), ingressNginx(), ...web, clusterIssuer('le'), STUCK_CHALLENGE],
    want: ['error tls acme-challenge-stuck'],
  },
  {
    rule: 'HTTP-01 solver class another controller serves: tls error at the issuer',
    docs: [clusterYaml(), ingressNginx(), ...web, clusterIssuer('le', 'traefik'),
      ingress('shop', 'a', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: le' })],
    want: ['error tls acme-http01-class-mismatch'],
  },
];


describe('a stuck ACME challenge', () => {
  it('says which hop stops port 80 from the internet, and the fix', () => {
    const found = diagnose(clusterYaml(), ingressNginx('[{name: https, port: 443, targetPort: https}]'), ...web, clusterIssuer('le'),
      ingress('shop', 'a', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: le' }), STUCK_CHALLENGE)
      .find((f) => f.code === 'acme-challenge-stuck')!;
    expect(found.message).toMatch(/^Challenge shop\/shop-tls-1-1-2 for shop\.example\.com is pending: Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'; port 80 of shop\.example\.com from the internet stops at the \S+ layer: /);
    expect(found.hint).toMatch(/port 80/);
  });
});

describe('diagnose names every problem with its layer', () => {
  for (const c of CASES) {
    it(c.rule, () => {
      const found = diagnose(...c.docs);
      expect(codes(found)).toEqual(c.want);
      if (c.message) expect(found.map((f) => f.message).join('\n')).toMatch(c.message);
    });
  }

  it('the DNS fix after an app-scoped egress policy selects that app\'s pods', () => {
    const found = diagnose(clusterYaml(), ...app, policy('shop', 'web-egress', '{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: api}}}]}]}'));
    expect(found.find((f) => f.code === 'dns-egress-blocked')?.hint).toMatch(/^allow DNS for the pods NetworkPolicy shop\/web-egress selects: a NetworkPolicy in shop with podSelector: \{matchLabels: \{app: web\}\}, policyTypes: \[Egress\]/);
  });

  it('knet\'s running cluster (pods serve declared ports only): a numeric targetPort no container declares is an error', () => {
    const { cluster, issues } = build(clusterYaml(), ...app, service('shop', 'api', 'app: api', '[{port: 80, targetPort: 9090}]'));
    const found = diagnoseCluster(cluster, issues, buildTraceContext(cluster, { running: true }));
    expect(codes(found)).toEqual(['error service service-target-port-mismatch']);
    expect(found.map((f) => f.message).join('\n')).toMatch(/targetPort 9090\/TCP .* is not a container port/);
  });

  it('points at the field to fix: file, line and field path', () => {
    const [f] = diagnose(clusterYaml(), ...app, service('shop', 'api', 'app: api-server'));
    expect(f).toMatchObject({ object: 'Service shop/api', field: 'spec.selector', file: 't.yaml' });
    expect(f!.line).toBeGreaterThan(0);
  });
});

describe('diagnose on examples/opscart (the guide\'s healthy cluster)', () => {
  const { cluster, issues } = loadCluster(['examples/opscart']);
  const found = diagnoseCluster(cluster, issues);
  it('reports no error', () => {
    expect(found.filter((f) => f.severity === 'error')).toEqual([]);
  });
  it('gives no warning; notes that its Deployments have no preStop hook (a real cluster warns of nothing here)', () => {
    // api, frontend, prometheus and the ingress controller stop listening at SIGTERM while
    // their endpoints leave the rules: true of the guide's manifests (npm run bench -- termination).
    expect(codes(found)).toEqual([]);
    expect(found.filter((f) => f.code === 'service-termination-drops').map((f) => f.severity)).toEqual(Array(4).fill('info'));
    expect(found.filter((f) => f.code === 'service-termination-drops').map((f) => f.object).sort())
      .toEqual(['Deployment ingress-nginx/ingress-nginx-controller', 'Deployment monitoring/prometheus', 'Deployment production/api', 'Deployment production/frontend']);
    expect(found.filter((f) => f.severity === 'info' && f.code !== 'service-termination-drops').map((f) => `${f.severity} ${f.code}`)).toEqual(['info policy-selects-no-pods']);
  });
  it('without that policy, warns that the HTTP-01 solver pods would be isolated by production\'s default deny', () => {
    const without = { ...cluster, networkPolicies: cluster.networkPolicies.filter((p) => p.meta.name !== 'allow-acme-http01-solver') };
    expect(codes(diagnoseCluster(without, issues)).filter((c) => !c.endsWith('service-termination-drops')))
      .toEqual(['warning tls acme-solver-blocked-by-policy', 'warning tls acme-solver-blocked-by-policy']);
  });
});

describe('diagnose output', () => {
  const found = diagnose(clusterYaml(), ...app, service('shop', 'api', 'app: api-server'), policy('shop', 'nobody', '{podSelector: {matchLabels: {app: nobody}}}'));
  it('text: grouped by layer, errors first, one line and its hint each, counts at the end', () => {
    const text = renderDiagnosis(found).split('\n');
    expect(text[0]).toBe('service (1 error)');
    expect(text[1]).toMatch(/^ {2}error {3}Service shop\/api has no endpoints: its selector app=api-server/);
    expect(text[2]).toMatch(/^ {10}hint: make spec\.selector of shop\/api match/);
    expect(text[4]).toBe('policy (1 warning)');
    expect(text[text.length - 1]).toBe('1 error, 1 warning, 0 notes');
  });
  it('JSON: the documented fields', () => {
    const json = diagnosisJson(found);
    expect(Object.keys(json.issues[0]!).sort()).toEqual(['code', 'col', 'field', 'file', 'hint', 'layer', 'line', 'message', 'object', 'severity']);
    expect(json.issues[0]).toMatchObject({ code: 'service-selector-no-pods', severity: 'error', layer: 'service', object: 'Service shop/api', field: 'spec.selector' });
  });
});
