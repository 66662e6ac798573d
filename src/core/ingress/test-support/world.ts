// Test support for core/ingress: a small shop (Services web, api, admin, canary, empty,
// named-port and an ExternalName) plus Ingresses given as YAML, filled in as a cluster
// would, and requests given as URLs.
import { fillIn, type Cluster } from '../../../cluster/fill-in.js';
import { decodeObjects } from '../../../model/load.js';
import { parseText } from '../../../model/source.js';
import { controllerConfig } from '../controller.js';
import { matchRoute, type RouteDecision, type RouteRequest } from '../match-route.js';
import { buildRouteTable, type RouteTable } from '../route-table.js';

function deployment(name: string, port: number, replicas = 2): string {
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n        ports: [{name: http, containerPort: ${port}}]\n`;
}

function service(name: string, port: number, target: number | string, app = name, portName = 'http'): string {
  return `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  selector: {app: ${app}}\n  ports: [{name: ${portName}, port: ${port}, targetPort: ${target}}]\n`;
}

export const SHOP = [
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n',
  `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\n  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}\nspec: {controller: k8s.io/ingress-nginx}\n`,
  'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: traefik}\nspec: {controller: traefik.io/ingress-controller}\n',
  deployment('web', 8080), service('web', 80, 'http'),
  deployment('api', 9090, 1), service('api', 90, 9090, 'api', 'grpc'),
  deployment('admin', 7070, 1), service('admin', 70, 7070),
  deployment('canary', 8081, 1), service('canary', 80, 8081),
  service('empty', 80, 8080, 'nobody'),
  'apiVersion: v1\nkind: Service\nmetadata: {name: orders, namespace: shop}\nspec:\n  type: ExternalName\n  externalName: db.example.com\n  ports: [{name: pg, port: 5432}]\n',
  'apiVersion: v1\nkind: Secret\nmetadata: {name: shop-tls, namespace: shop}\ntype: kubernetes.io/tls\ndata: {tls.crt: Y2VydA==, tls.key: a2V5}\n',
  'apiVersion: v1\nkind: Secret\nmetadata: {name: wild-tls, namespace: shop}\ntype: kubernetes.io/tls\ndata: {tls.crt: Y2VydA==, tls.key: a2V5}\n',
  'apiVersion: v1\nkind: Secret\nmetadata: {name: opaque, namespace: shop}\ntype: Opaque\ndata: {password: cHc=}\n',
  // For the traffic annotations: a custom error pages backend, an external auth service, a backend speaking TLS itself.
  deployment('errors', 8082, 1), service('errors', 80, 8082),
  deployment('auth', 8083, 1), service('auth', 80, 8083),
  deployment('secure', 8443, 1), service('secure', 443, 8443, 'secure', 'https'),
  deployment('grpc', 50051, 1), service('grpc', 50051, 50051, 'grpc', 'grpc'),
  'apiVersion: v1\nkind: Secret\nmetadata: {name: client-ca, namespace: shop}\ndata: {ca.crt: Y2VydA==}\n',
];

/** ingress-nginx's controller (one replica) and its LoadBalancer Service, for worlds that have none (the flow lab's, with --enable-ssl-passthrough). */
export const CONTROLLER_MANIFESTS = [
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: ingress-nginx}\n',
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}\n  template:\n    metadata: {labels: {app.kubernetes.io/name: ingress-nginx}}\n    spec:\n      containers:\n      - name: controller\n        image: registry.k8s.io/ingress-nginx/controller:v1.11.2\n        args: [/nginx-ingress-controller, --ingress-class=nginx, --enable-ssl-passthrough]\n        ports: [{name: http, containerPort: 80}, {name: https, containerPort: 443}]\n`,
  'apiVersion: v1\nkind: Service\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\nspec:\n  type: LoadBalancer\n  selector: {app.kubernetes.io/name: ingress-nginx}\n  ports: [{name: http, port: 80, targetPort: http}, {name: https, port: 443, targetPort: https}]\n',
];

/** An Ingress in shop; `spec` is YAML under spec:, `meta` extra metadata lines. */
export function ing(name: string, spec: string, meta = ''): string {
  const body = spec.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const common = Math.min(...body.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${name}\n  namespace: shop\n${meta}spec:\n${body.map((l) => `  ${l.slice(common)}`).join('\n')}\n`;
}

export function annotations(a: Record<string, string>): string {
  return `  annotations:\n${Object.entries(a).map(([k, v]) => `    ${k.includes('/') ? k : `nginx.ingress.kubernetes.io/${k}`}: ${JSON.stringify(v)}\n`).join('')}`;
}

export function shopCluster(...ingresses: string[]): Cluster {
  const parsed = parseText('shop.yaml', [...SHOP, ...ingresses].join('---\n'));
  const decoded = decodeObjects(parsed.objects);
  const errors = [...parsed.issues, ...decoded.issues].filter((i) => i.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => `${e.field}: ${e.message}`).join('\n'));
  return fillIn(decoded.inventory).cluster;
}

export function tableOf(c: Cluster): RouteTable {
  return buildRouteTable(c, controllerConfig(c.workloads, c.configMaps));
}

export function request(url: string, extra: Partial<RouteRequest> = {}): RouteRequest {
  const u = new URL(url);
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  return { scheme, host: u.host, sni: scheme === 'https' ? u.hostname : null, path: u.pathname, query: u.search.slice(1), method: 'GET', headers: {}, ...extra };
}

export function route(c: Cluster | RouteTable, url: string, extra: Partial<RouteRequest> = {}): RouteDecision {
  const table = 'servers' in c ? c : tableOf(c);
  return matchRoute(table, request(url, extra));
}

/** A decision in one line: `200 shop/web:80 /path`, `308 -> https://...`, `404`, `503 shop/empty`, `403 whitelist-source-range`, `204 cors-preflight`, `passthrough shop/secure`. */
export function summary(d: RouteDecision): string {
  const o = d.outcome;
  switch (o.kind) {
    case 'proxy':
      return `200 ${o.backend.ref.namespace}/${o.backend.ref.service}:${o.backend.upstream.servicePort} ${o.upstreamPath}`;
    case 'redirect':
      return `${o.status} -> ${o.location}`;
    case 'default-backend':
      return '404';
    case 'unavailable':
      return `503 ${o.backend.ref.namespace}/${o.backend.ref.service}`;
    case 'refused':
      return `${o.status} ${o.annotation.replace('nginx.ingress.kubernetes.io/', '')}`;
    case 'cors-preflight':
      return '204 cors-preflight';
    case 'passthrough':
      return `passthrough ${o.backend.ref.namespace}/${o.backend.ref.service}`;
  }
}
