// The cert-manager controller end to end against a real Pebble (root, Debian's pebble):
// an Ingress annotated cert-manager.io/cluster-issuer gets its Certificate, request, order
// and challenge, the solver answers on port 80 of the host's address, and the Secret lands
// with a certificate for the host; with port 80 answering 404 the challenge stays pending.
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { acmeLabSkipReason, AcmeLab } from '../dataplane/acme/acme-lab.js';
import { parseCertificate } from '../dataplane/acme/x509.js';
import { CertManagerController } from './cert-manager.js';
import { field, labController, solverRouter, Store, userObjects } from './cert-manager-lab.js';
import { idOf } from './state.js';

const USER = userObjects('www.lab.test', 'www-tls');

const reason = acmeLabSkipReason();
if (reason) console.log(`src/daemon/cert-manager.test.ts skipped: ${reason}`);

describe.skipIf(reason !== '')('cert-manager controller against Pebble (root)', () => {
  async function withLab(id: string, serve: (store: Store) => http.RequestListener, body: (store: Store, c: CertManagerController) => Promise<void>): Promise<void> {
    const lab = await AcmeLab.start(id);
    const store = new Store(USER);
    const server = await lab.serveHttp(serve(store));
    const controller = labController(lab, store);
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
      expect(field(cert, 'metadata', 'ownerReferences')).toEqual([expect.objectContaining({ kind: 'Ingress', name: 'web-www-tls' })]);
      const secret = store.find('Secret', 'www-tls')[0]!;
      expect(secret['type']).toBe('kubernetes.io/tls');
      const data = secret['data'] as Record<string, string>;
      const crt = parseCertificate(Buffer.from(data['tls.crt']!, 'base64').toString());
      expect(crt?.dnsNames).toEqual(['www.lab.test']);
      expect(crt?.issuer).toMatch(/Pebble Intermediate CA/);
      expect(Buffer.from(data['ca.crt']!, 'base64').toString()).toMatch(/BEGIN CERTIFICATE/);
      expect(Buffer.from(data['tls.key']!, 'base64').toString()).toMatch(/BEGIN RSA PRIVATE KEY/);
      // Each step as cert-manager's controllers record it (kubectl describe certificate / get events).
      expect(store.events.map((e) => `${e.involved.kind} ${e.reason}`)).toEqual(expect.arrayContaining([
        'Certificate Requested', 'CertificateRequest OrderCreated', 'Order Created', 'Challenge Started', 'Challenge Presented',
        'Challenge DomainVerified', 'Order Complete', 'CertificateRequest CertificateIssued', 'Certificate Issuing',
      ]));
      expect(store.events.at(-1)?.message).toBe('The certificate has been successfully issued');
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
