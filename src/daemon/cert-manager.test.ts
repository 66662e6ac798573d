// The cert-manager controller end to end against a real Pebble (root, Debian's pebble):
// an Ingress annotated cert-manager.io/cluster-issuer gets its Certificate, request, order
// and challenge, the solver answers on port 80 of the host's address, and the Secret lands
// with a certificate for the host; with port 80 answering 404 the challenge stays pending.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { fillIn, type Cluster } from '../cluster/fill-in.js';
import type { Wire } from '../core/certs/wire.js';
import { acmeLabSkipReason, AcmeLab } from '../dataplane/acme/acme-lab.js';
import { parseCertificate } from '../dataplane/acme/x509.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { CertManagerController } from './cert-manager.js';
import { idOf, keyOf, type ObjectId } from './state.js';

const USER = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
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
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {cert-manager.io/cluster-issuer: letsencrypt-prod}
spec:
  ingressClassName: nginx
  tls: [{hosts: [www.lab.test], secretName: www-tls}]
  rules: [{host: www.lab.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
`;

/** A store like the daemon's: raw objects in, a filled-in cluster out. */
class Store {
  objects: Wire[] = parseText('user.yaml', USER).objects.map((o) => o.value);
  writes = 0;
  cluster(): Cluster {
    const raws = this.objects.map((value) => ({ file: 'store', value, locate: () => ({ file: 'store', line: 1, col: 1 }) }));
    return fillIn(decodeObjects(raws).inventory).cluster;
  }
  write(upserts: readonly Wire[], deletes: readonly ObjectId[]): void {
    this.writes++;
    const gone = new Set(deletes.map(keyOf));
    this.objects = this.objects.filter((o) => !gone.has(keyOf(idOf(o))));
    for (const u of upserts) {
      const k = keyOf(idOf(u));
      const at = this.objects.findIndex((o) => keyOf(idOf(o)) === k);
      if (at >= 0) this.objects[at] = u;
      else this.objects.push(u);
    }
  }
  find(kind: string, name?: string): Wire[] {
    return this.objects.filter((o) => o['kind'] === kind && (name === undefined || idOf(o).name === name));
  }
}

const field = (o: Wire | undefined, ...path: string[]): unknown => path.reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined), o);

/** Port 80 of the host: routes /.well-known/acme-challenge/<token> to the solver pod that has it, as the solver Ingress does. */
function solverRouter(store: Store): http.RequestListener {
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

const reason = acmeLabSkipReason();
if (reason) console.log(`src/daemon/cert-manager.test.ts skipped: ${reason}`);

describe.skipIf(reason !== '')('cert-manager controller against Pebble (root)', () => {
  async function withLab(id: string, serve: (store: Store) => http.RequestListener, body: (store: Store, c: CertManagerController) => Promise<void>): Promise<void> {
    const lab = await AcmeLab.start(id);
    const store = new Store();
    const server = await lab.serveHttp(serve(store));
    const controller = new CertManagerController({
      cluster: () => store.cluster(),
      write: async (u, d) => store.write(u, d),
      transport: () => lab.webTransport(3000),
      solverCommand: ['knet-acmesolver'],
      acmeRoot: () => lab.pebbleRoot(),
      now: () => new Date(),
      log: () => {},
    });
    try {
      await body(store, controller);
    } finally {
      controller.stop();
      await controller.idle();
      server.close();
      await lab.stop();
    }
  }

  it('annotated Ingress -> Certificate Ready True, Secret with tls.crt for the host, tls.key and Pebble\'s root in ca.crt', async () => {
    await withLab(`${process.pid}c`, solverRouter, async (store, controller) => {
      controller.kick();
      await controller.idle();
      const cert = store.find('Certificate', 'www-tls')[0];
      expect(field(cert, 'status', 'conditions')).toEqual([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' })]);
      expect(field(cert, 'status', 'revision')).toBe(1);
      expect(field(cert, 'metadata', 'ownerReferences')).toEqual([expect.objectContaining({ kind: 'Ingress', name: 'web' })]);
      const secret = store.find('Secret', 'www-tls')[0]!;
      expect(secret['type']).toBe('kubernetes.io/tls');
      const data = secret['data'] as Record<string, string>;
      const crt = parseCertificate(Buffer.from(data['tls.crt']!, 'base64').toString());
      expect(crt?.dnsNames).toEqual(['www.lab.test']);
      expect(crt?.issuer).toMatch(/Pebble Intermediate CA/);
      expect(Buffer.from(data['ca.crt']!, 'base64').toString()).toMatch(/BEGIN CERTIFICATE/);
      expect(Buffer.from(data['tls.key']!, 'base64').toString()).toMatch(/BEGIN RSA PRIVATE KEY/);
      expect(field(store.find('CertificateRequest', 'www-tls-1')[0], 'status', 'conditions')).toEqual([
        expect.objectContaining({ type: 'Approved', status: 'True' }), expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Issued' })]);
      expect(store.find('Order').map((o) => field(o, 'status', 'state'))).toEqual(['valid']);
      // Finished: the challenges and the solver's Pod, Service and Ingress are gone, as cert-manager cleans up.
      expect([store.find('Challenge').length, store.find('Pod').length, store.find('Service').length, store.find('Ingress').length]).toEqual([0, 0, 0, 1]);
      expect(store.find('Secret', 'www-tls-next-private-key')).toEqual([]);
      // Settled: another pass writes nothing.
      const writes = store.writes;
      expect(await controller.sync(store.cluster())).toBe(false);
      expect(store.writes).toBe(writes);
    });
  }, 60_000);

  it('port 80 answers 404 (no route to the solver): the Challenge stays pending with the self-check reason, the solver objects stay', async () => {
    await withLab(`${process.pid}d`, () => (_req, res) => res.writeHead(404).end('default backend - 404'), async (store, controller) => {
      controller.kick();
      await controller.idle();
      const ch = store.find('Challenge')[0];
      expect(field(ch, 'status')).toEqual({ presented: true, processing: true, state: 'pending', reason: "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'" });
      expect(field(store.find('Certificate', 'www-tls')[0], 'status', 'conditions')).toEqual([
        expect.objectContaining({ type: 'Issuing', status: 'True', reason: 'DoesNotExist' }), expect.objectContaining({ type: 'Ready', status: 'False', reason: 'DoesNotExist' })]);
      expect(store.find('Order').map((o) => field(o, 'status', 'state'))).toEqual(['pending']);
      expect(store.find('Pod').map((p) => idOf(p).name)).toEqual([expect.stringMatching(/^cm-acme-http-solver-/)]);
      expect(field(store.find('Ingress').find((i) => idOf(i).name.startsWith('cm-acme')), 'spec', 'rules')).toEqual([
        expect.objectContaining({ host: 'www.lab.test' })]);
      expect(store.find('Secret', 'www-tls')).toEqual([]);
    });
  }, 60_000);
});
