// cert-manager for the running cluster: a loop that takes core/certs' next objects and
// acts on them. It stores the ingress-shim's Certificates with their status, the
// CertificateRequests, Orders and Challenges, the HTTP-01 solver's Pod, Service and
// Ingress, and finally the kubernetes.io/tls Secret; it talks ACME (dataplane/acme) over
// the host's transport (the cert-manager pod's namespace), performs cert-manager's self
// check before telling the ACME server to validate, and signs for SelfSigned and CA issuers.
import type { Cluster } from '../cluster/fill-in.js';
import {
  challengeAfterSelfCheck, challengeAfterValidation, challengePresented, challengesForOrder, challengeUrl, newOrder,
  orderAfterChallenges, orderFailed, orderFromServer, orderIssued, type SelfCheck,
} from '../core/certs/acme.js';
import {
  decideCertificate, decideRequest, findIssuer, newRequest, requestFailed, requestIssued, requestWithOrder, statusAfterIssue,
} from '../core/certs/certificate.js';
import { DEFAULT_DURATION_MS, parseGoDuration } from '../core/certs/duration.js';
import { certificateWire, challengeWire, orderWire, requestWire, solverObjects, tlsSecretWire, type Wire } from '../core/certs/wire.js';
import { AcmeClient, AcmeError } from '../dataplane/acme/client.js';
import { keyAuthorization, newAccountKey, type AccountKey } from '../dataplane/acme/jws.js';
import { pebbleDirectoryUrl } from '../dataplane/acme/pebble.js';
import { TransportError, type Transport } from '../dataplane/acme/transport.js';
import { createCsr, newPrivateKeyPem, parseCertificate, pemBlocks, pemToDer, selfSign, signWithCa } from '../dataplane/acme/x509.js';
import {
  decodeCertManagerObject, decodeCertificateStatus, type CertificateRequestObject, type ChallengeObject, type OrderObject,
} from '../model/decode-cert-manager.js';
import { canonical } from './store-ops.js';
import type { Certificate, Issuer, Secret } from '../model/types.js';
import type { ObjectId } from './state.js';

/** What the controller needs from the daemon. */
export interface CertManagerHost {
  /** The running cluster as it is now. */
  readonly cluster: () => Cluster;
  /** Stores objects (upsert by kind/namespace/name) and deletes others as one change; resolves once the data plane has them. */
  readonly write: (upserts: readonly Wire[], deletes: readonly ObjectId[]) => Promise<void>;
  /** HTTP(S) from where cert-manager runs (its pod's namespace), trusting `ca` for HTTPS. */
  readonly transport: () => Transport;
  /** The program knet's acmesolver pods run (core/certs/wire.ts solverObjects). */
  readonly solverCommand: readonly string[];
  /** The issuing root of the ACME server, for ca.crt ('' when unknown). */
  readonly acmeRoot: () => Promise<string>;
  readonly now: () => Date;
  readonly log: (line: string) => void;
}

/** cert-manager retries the self check every 10 s; the emulator every 2 s (it has no DNS or LB propagation to wait for). */
export const SELF_CHECK_EVERY_MS = 2000;
const NEXT_KEY_SUFFIX = '-next-private-key';
const MAX_STEPS = 12;

export class CertManagerController {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly accounts = new Map<string, { client: AcmeClient; key: AccountKey }>();

  constructor(private readonly host: CertManagerHost) {}

  start(everyMs = SELF_CHECK_EVERY_MS): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), everyMs);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Something changed (an apply): sync soon; passes never overlap. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.syncUntilSettled().catch((e: unknown) => this.host.log(`cert-manager: ${(e as Error).message}`)).finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Waits for the pass in flight (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async syncUntilSettled(): Promise<void> {
    for (let i = 0; i < MAX_STEPS && !this.stopped; i++) {
      if (!(await this.sync(this.host.cluster()))) return;
    }
  }

  /** One pass over every Certificate: each takes at most one step. True when anything was written. */
  async sync(cluster: Cluster): Promise<boolean> {
    const objects = cluster.others.flatMap((o) => {
      const d = o.raw ? decodeCertManagerObject(o.raw) : null;
      return d ? [d] : [];
    });
    const requests = objects.filter((o): o is CertificateRequestObject => o.kind === 'CertificateRequest');
    const orders = objects.filter((o): o is OrderObject => o.kind === 'Order');
    const challenges = objects.filter((o): o is ChallengeObject => o.kind === 'Challenge');
    let wrote = false;
    for (const cert of cluster.certificates) {
      const issuer = findIssuer(cluster.issuers, cert.issuerRef, cert.meta.namespace);
      if (cert.issuerRef.group !== 'cert-manager.io') continue; // an external issuer's controller owns it
      const mine = requests.filter((r) => r.namespace === cert.meta.namespace && r.certificate === cert.meta.name);
      try {
        wrote = (await this.step(cluster, cert, issuer, mine, orders, challenges)) || wrote;
      } catch (e) {
        this.host.log(`cert-manager: Certificate ${cert.meta.namespace}/${cert.meta.name}: ${(e as Error).message}`);
      }
    }
    return wrote;
  }

  private async step(
    cluster: Cluster, cert: Certificate, issuer: Issuer | null, requests: readonly CertificateRequestObject[],
    orders: readonly OrderObject[], challenges: readonly ChallengeObject[],
  ): Promise<boolean> {
    const now = this.host.now();
    const status = decodeCertificateStatus(cert.raw);
    const secret = secretOf(cluster, cert.meta.namespace, cert.secretName);
    const crt = secret?.data['tls.crt'] ? parseCertificate(Buffer.from(secret.data['tls.crt'], 'base64').toString('utf8')) : null;
    const d = decideCertificate({ cert, status, secret: { exists: secret !== null, certificate: crt }, requests, now });
    const uid = cert.meta.uid;
    const storeStatus = (s: typeof status): Wire[] => (canonical(s) === canonical(status) && cert.raw ? [] : [certificateWire(cert, s)]);
    switch (d.kind) {
      case 'ready':
      case 'failed':
        return this.write(storeStatus(d.status), []);
      case 'issue': {
        // cert-manager keeps the next private key in a Secret until the certificate is stored.
        const keyPem = newPrivateKeyPem();
        const csr = await createCsr(keyPem, cert.commonName, cert.dnsNames);
        const cr = newRequest(cert, d.revision, csr, now);
        this.host.log(`cert-manager: Certificate ${cert.meta.namespace}/${cert.meta.name}: ${d.status.conditions.find((c) => c.type === 'Issuing')?.message ?? 'issuing'}; created CertificateRequest ${cr.name}`);
        return this.write([certificateWire(cert, d.status), nextKeySecret(cert, keyPem), requestWire(cr, uid)],
          d.replace ? [{ kind: 'CertificateRequest', namespace: cert.meta.namespace, name: d.replace }] : []);
      }
      case 'store': {
        const keySecret = secretOf(cluster, cert.meta.namespace, `${cert.meta.name}${NEXT_KEY_SUFFIX}`);
        const keyPem = keySecret?.data['tls.key'] ? Buffer.from(keySecret.data['tls.key'], 'base64').toString('utf8') : '';
        const issued = parseCertificate(d.request.certificatePem);
        if (!keyPem || !issued) throw new Error(`the issued certificate or its private key is missing (CertificateRequest ${d.request.name})`);
        const ca = d.request.caPem || (issuer?.spec.type === 'acme' ? await this.host.acmeRoot() : '');
        const next = statusAfterIssue(status, d.request, issued, cert.renewBefore, now);
        this.host.log(`cert-manager: Certificate ${cert.meta.namespace}/${cert.meta.name}: issued, stored in Secret ${cert.secretName} (revision ${next.revision}, until ${next.notAfter})`);
        return this.write([tlsSecretWire(cert, keyPem, d.request.certificatePem, ca, now), certificateWire(cert, next)],
          [{ kind: 'Secret', namespace: cert.meta.namespace, name: `${cert.meta.name}${NEXT_KEY_SUFFIX}` }]);
      }
      case 'wait':
        return (await this.write(storeStatus(d.status), [])) || this.advanceRequest(cluster, cert, issuer, d.request, orders, challenges);
    }
  }

  private async advanceRequest(
    cluster: Cluster, cert: Certificate, issuer: Issuer | null, cr: CertificateRequestObject,
    orders: readonly OrderObject[], challenges: readonly ChallengeObject[],
  ): Promise<boolean> {
    const now = this.host.now();
    const order = orders.find((o) => o.namespace === cr.namespace && o.request === cr.name) ?? null;
    const d = decideRequest(cr, issuer, order, now);
    switch (d.kind) {
      case 'done': return false;
      case 'pending': {
        const wrote = await this.write(changed(cr, d.request, (x) => requestWire(x, cert.meta.uid)), []);
        return wrote || (order !== null && issuer !== null && this.advanceOrder(issuer, order, challenges));
      }
      case 'issued':
      case 'failed': {
        const done = challenges.filter((c) => order && c.namespace === order.namespace && c.order === order.name);
        return this.write([requestWire(d.request, cert.meta.uid)], done.flatMap((c) => [challengeId(c), ...solverIds(c)]));
      }
      case 'create-order': {
        const o = newOrder(cr, cert, now);
        return this.write([requestWire(requestWithOrder(cr, o, now), cert.meta.uid), orderWire(o)], []);
      }
      case 'sign': {
        const keySecret = secretOf(cluster, cert.meta.namespace, `${cert.meta.name}${NEXT_KEY_SUFFIX}`);
        const keyPem = keySecret?.data['tls.key'] ? Buffer.from(keySecret.data['tls.key'], 'base64').toString('utf8') : '';
        const days = Math.max(1, Math.round((parseGoDuration(cert.duration) ?? DEFAULT_DURATION_MS) / 86_400_000));
        if (d.how === 'selfSigned') {
          if (!keyPem) throw new Error('the private key of the request is missing');
          const pem = await selfSign(keyPem, cert.commonName, cert.dnsNames, days);
          return this.write([requestWire(requestIssued(cr, pem, pem, now), cert.meta.uid)], []);
        }
        const ca = secretOf(cluster, cert.meta.namespace, d.caSecretName) ?? secretOf(cluster, 'cert-manager', d.caSecretName);
        const caCrt = ca?.data['tls.crt'] ? Buffer.from(ca.data['tls.crt'], 'base64').toString('utf8') : '';
        const caKey = ca?.data['tls.key'] ? Buffer.from(ca.data['tls.key'], 'base64').toString('utf8') : '';
        if (!caCrt || !caKey) {
          return this.write(changed(cr, requestFailedPending(cr, `Referenced secret ${cert.meta.namespace}/${d.caSecretName} not found or without tls.crt and tls.key`, now), (x) => requestWire(x, cert.meta.uid)), []);
        }
        const pem = await signWithCa(cr.requestPem, caCrt, caKey, days);
        return this.write([requestWire(requestIssued(cr, pem, caCrt, now), cert.meta.uid)], []);
      }
    }
  }

  /** One step of an ACME order: place it, present and self-check its challenges, finalize. */
  private async advanceOrder(issuer: Issuer, order: OrderObject, all: readonly ChallengeObject[]): Promise<boolean> {
    const now = this.host.now();
    const acme = await this.account(issuer);
    if (order.state === '') {
      try {
        const placed = await acme.client.newOrder(order.dnsNames);
        const authorizations = await Promise.all(placed.authorizations.map((u) => acme.client.authorization(u)));
        const o = orderFromServer(order, { url: placed.url, status: placed.status, finalize: placed.finalize, error: placed.error, authorizations });
        const plan = challengesForOrder(o, issuer, (token) => keyAuthorization(token, acme.key), now);
        if (plan.kind === 'no-solver') return this.write([orderWire(orderFailed(o, 'errored', plan.reason))], []);
        const upserts: Wire[] = [orderWire(o)];
        for (const ch of plan.challenges) {
          const solver = solverObjects(ch, this.host.solverCommand);
          upserts.push(challengeWire(challengePresented(ch)), solver.pod, solver.service, solver.ingress);
        }
        this.host.log(`cert-manager: Order ${o.namespace}/${o.name}: ${o.state}, ${plan.challenges.length} HTTP-01 challenge(s) presented`);
        return this.write(upserts, []);
      } catch (e) {
        return this.write([orderWire(orderFailed(order, 'errored', acmeText(e)))], []);
      }
    }
    const mine = all.filter((c) => c.namespace === order.namespace && c.order === order.name);
    if (order.state === 'pending') {
      let next = mine;
      const upserts: Wire[] = [];
      for (const ch of mine) {
        if (ch.state !== 'pending') continue;
        const check = await this.selfCheck(ch);
        let after = challengeAfterSelfCheck(ch, check);
        if (check.kind === 'ok') {
          try {
            await acme.client.acceptChallenge(ch.url);
            const authz = await acme.client.waitForAuthorization(ch.authorizationURL, 10_000);
            const http = authz.challenges.find((c) => c.url === ch.url);
            after = challengeAfterValidation(after, { status: authz.status === 'valid' ? 'valid' : http?.status ?? authz.status, error: http?.error ?? '' });
          } catch (e) {
            after = challengeAfterValidation(after, { status: 'invalid', error: acmeText(e) });
          }
        }
        next = next.map((c) => (c.name === ch.name ? after : c));
        if (canonical(after) !== canonical(ch)) upserts.push(challengeWire(after));
      }
      const o = orderAfterChallenges(order, next);
      if (o.state !== order.state) upserts.push(orderWire(o));
      const solved = next.filter((c) => c.state === 'valid' || c.state === 'invalid');
      return this.write(upserts, solved.flatMap(solverIds));
    }
    if (order.state === 'ready') {
      try {
        const finalized = await acme.client.finalize(await acme.client.order(order.url), pemToDer(order.csrPem), 30_000);
        if (finalized.status !== 'valid') return this.write([orderWire(orderFailed(order, 'invalid', finalized.error || `the order is ${finalized.status} after finalize`))], []);
        const chain = await acme.client.certificate(finalized.certificate);
        return this.write([orderWire(orderIssued(order, pemBlocks(chain).join('')))], []);
      } catch (e) {
        return this.write([orderWire(orderFailed(order, 'errored', acmeText(e)))], []);
      }
    }
    return false;
  }

  /** cert-manager's self check: GET http://<host>/.well-known/acme-challenge/<token> must answer the key. */
  private async selfCheck(ch: ChallengeObject): Promise<SelfCheck> {
    try {
      const res = await this.host.transport()({ method: 'GET', url: challengeUrl(ch) });
      if (res.status !== 200) return { kind: 'status', code: res.status };
      const body = res.body.toString('utf8').trim();
      return body === ch.key ? { kind: 'ok' } : { kind: 'body', got: body };
    } catch (e) {
      return { kind: 'error', detail: e instanceof TransportError ? e.detail : (e as Error).message };
    }
  }

  /** The ACME account of an issuer: registered once per daemon (the key lives in memory). */
  private async account(issuer: Issuer): Promise<{ client: AcmeClient; key: AccountKey }> {
    const id = `${issuer.kind}/${issuer.meta.namespace}/${issuer.meta.name}/${issuer.spec.acmeServer}`;
    const known = this.accounts.get(id);
    if (known) return known;
    const key = newAccountKey();
    const client = new AcmeClient(this.host.transport(), pebbleDirectoryUrl(issuer.spec.acmeServer), key);
    await client.register(issuer.spec.acmeEmail);
    const account = { client, key };
    this.accounts.set(id, account);
    return account;
  }

  private async write(upserts: readonly Wire[], deletes: readonly ObjectId[]): Promise<boolean> {
    if (upserts.length === 0 && deletes.length === 0) return false;
    await this.host.write(upserts, deletes);
    return true;
  }
}

function secretOf(cluster: Cluster, namespace: string, name: string): Secret | null {
  return cluster.secrets.find((s) => s.meta.namespace === namespace && s.meta.name === name) ?? null;
}

function nextKeySecret(cert: Certificate, keyPem: string): Wire {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: {
      name: `${cert.meta.name}${NEXT_KEY_SUFFIX}`, namespace: cert.meta.namespace,
      labels: { 'cert-manager.io/next-private-key': 'true' },
      ownerReferences: [{ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: cert.meta.name, uid: cert.meta.uid, controller: true }],
    },
    data: { 'tls.key': Buffer.from(keyPem).toString('base64') },
  };
}

function changed<T>(before: T, after: T, wire: (x: T) => Wire): Wire[] {
  return canonical(before) === canonical(after) ? [] : [wire(after)];
}

function requestFailedPending(cr: CertificateRequestObject, message: string, now: Date): CertificateRequestObject {
  const failed = requestFailed(cr, message, now);
  return { ...failed, conditions: failed.conditions.map((c) => (c.type === 'Ready' ? { ...c, reason: 'Pending' } : c)) };
}

function challengeId(c: ChallengeObject): ObjectId {
  return { kind: 'Challenge', namespace: c.namespace, name: c.name };
}

/** The solver's Pod, Service and Ingress of a challenge (all named alike). */
function solverIds(c: ChallengeObject): ObjectId[] {
  const name = (solverObjects(c, []).pod['metadata'] as { name: string }).name;
  return (['Pod', 'Service', 'Ingress'] as const).map((kind) => ({ kind, namespace: c.namespace, name }));
}

function acmeText(e: unknown): string {
  if (e instanceof AcmeError) return `${e.status} ${e.type}: ${e.detail}`;
  if (e instanceof TransportError) return e.detail;
  return (e as Error).message;
}
