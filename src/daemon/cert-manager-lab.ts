// A cert-manager lab for tests and the certs benchmark: a store like the daemon's (raw
// objects in, a filled-in cluster out) and port 80 of the host's address routing
// /.well-known/acme-challenge/<token> to the solver pod holding it, as the solver Ingress
// would through the ingress controller; the controller talks to Pebble in an AcmeLab.
import { certManagerEvents } from '../cluster/cert-manager-events.js';
import type { EventDraft } from '../cluster/events.js';
import type http from 'node:http';
import { fillIn, type Cluster } from '../cluster/fill-in.js';
import type { Wire } from '../core/certs/wire.js';
import type { AcmeLab } from '../dataplane/acme/acme-lab.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { CertManagerController } from './cert-manager.js';
import { idOf, keyOf, type ObjectId } from './state.js';

/** The user's objects: a ClusterIssuer for Let's Encrypt and an Ingress for `host` annotated for it. */
export function userObjects(host: string, secret: string, ns = 'shop'): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt-prod}
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    email: ops@lab.test
    privateKeySecretRef: {name: letsencrypt-prod-account-key}
    solvers: [{http01: {ingress: {ingressClassName: nginx}}}]
---
${ingressYaml(host, secret, ns)}`;
}

/** An Ingress for `host` annotated cert-manager.io/cluster-issuer: letsencrypt-prod. */
export function ingressYaml(host: string, secret: string, ns = 'shop'): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-${secret}
  namespace: ${ns}
  annotations: {cert-manager.io/cluster-issuer: letsencrypt-prod}
spec:
  ingressClassName: nginx
  tls: [{hosts: [${host}], secretName: ${secret}}]
  rules: [{host: ${host}, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
`;
}

/** A store like the daemon's: raw objects in, a filled-in cluster out. */
export class Store {
  objects: Wire[];
  writes = 0;
  constructor(user: string) {
    this.objects = parseText('user.yaml', user).objects.map((o) => o.value);
  }
  add(yaml: string): void {
    this.objects.push(...parseText('more.yaml', yaml).objects.map((o) => o.value));
  }
  cluster(): Cluster {
    const raws = this.objects.map((value) => ({ file: 'store', value, locate: () => ({ file: 'store', line: 1, col: 1 }) }));
    return fillIn(decodeObjects(raws).inventory).cluster;
  }
  /** The Events cert-manager's writes made, as the daemon records them (cluster/cert-manager-events.ts). */
  readonly events: EventDraft[] = [];
  write(upserts: readonly Wire[], deletes: readonly ObjectId[]): void {
    const before = this.cluster();
    this.writes++;
    const gone = new Set(deletes.map(keyOf));
    this.objects = this.objects.filter((o) => !gone.has(keyOf(idOf(o))));
    for (const u of upserts) {
      const k = keyOf(idOf(u));
      const at = this.objects.findIndex((o) => keyOf(idOf(o)) === k);
      if (at >= 0) this.objects[at] = u;
      else this.objects.push(u);
    }
    this.events.push(...certManagerEvents(before, this.cluster()));
  }
  find(kind: string, name?: string): Wire[] {
    return this.objects.filter((o) => o['kind'] === kind && (name === undefined || idOf(o).name === name));
  }
}

export const field = (o: Wire | undefined, ...path: string[]): unknown => path.reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined), o);

/** Port 80 of the host: routes /.well-known/acme-challenge/<token> to the solver pod that has it, as the solver Ingress does. */
export function solverRouter(store: Store): http.RequestListener {
  return (req, res) => {
    for (const pod of store.find('Pod')) {
      const args = (field(pod, 'spec', 'containers') as { args: string[] }[])[0]!.args;
      const token = args.find((a) => a.startsWith('--token='))!.slice(8);
      if (req.url === `/.well-known/acme-challenge/${token}`) {
        res.writeHead(200).end(args.find((a) => a.startsWith('--key='))!.slice(6));
        return;
      }
    }
    res.writeHead(404).end('default backend - 404');
  };
}

export function labController(lab: AcmeLab, store: Store): CertManagerController {
  return new CertManagerController({
    cluster: () => store.cluster(),
    write: async (u, d) => store.write(u, d),
    transport: () => lab.webTransport(3000),
    solverCommand: ['knet-acmesolver'],
    acmeRoot: () => lab.pebbleRoot(),
    now: () => new Date(),
    log: () => {},
  });
}
