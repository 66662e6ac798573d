// cert-manager's steps as the Events its controllers record, decided from the objects before and
// after a change (the Certificate, and the CertificateRequest, Order and Challenge knet's
// cert-manager writes as it issues): the reasons and message shapes of cert-manager's
// certificates-trigger, -key-manager, -request-manager and -issuing controllers, the
// CertificateRequest approver and ACME issuer, and the orders and challenges controllers, so
// `kubectl describe certificate` and `kubectl get events` read as on a real cluster.
import type { Certificate, OtherObject } from '../model/types.js';
import { decodeCertManagerObject, type CertManagerObject, type ChallengeObject, type OrderObject } from '../model/decode-cert-manager.js';
import type { Cluster } from './fill-in.js';
import type { EventDraft, Involved } from './events.js';

const refOf = (o: { meta: { namespace: string; name: string } }): string => `${o.meta.namespace}/${o.meta.name}`;

interface Decoded {
  readonly object: OtherObject;
  readonly decoded: CertManagerObject;
}

function decodedOf(c: Cluster): Map<string, Decoded> {
  const out = new Map<string, Decoded>();
  for (const o of c.others) {
    if (!o.raw || (o.kind !== 'CertificateRequest' && o.kind !== 'Order' && o.kind !== 'Challenge')) continue;
    const decoded = decodeCertManagerObject(o.raw);
    if (decoded) out.set(`${o.kind}|${refOf(o)}`, { object: o, decoded });
  }
  return out;
}

const involvedOf = (kind: string, apiVersion: string, meta: { namespace: string; name: string; uid: string }): Involved =>
  ({ apiVersion, kind, namespace: meta.namespace, name: meta.name, uid: meta.uid });

const ready = (conditions: readonly { type: string; status: string }[]): boolean => conditions.some((c) => c.type === 'Ready' && c.status === 'True');

/** Every cert-manager event the change from `before` to `after` makes, in the order its controllers act. */
export function certManagerEvents(before: Cluster, after: Cluster): EventDraft[] {
  const out: EventDraft[] = [];
  const certs = new Map(after.certificates.map((c) => [refOf(c), c]));
  const was = new Map(before.certificates.map((c) => [refOf(c), c]));
  const onCert = (c: Certificate, reason: string, message: string, controller: string): void =>
    void out.push({ involved: involvedOf('Certificate', 'cert-manager.io/v1', c.meta), type: 'Normal', reason, message, component: `cert-manager-${controller}` });
  for (const c of after.certificates) {
    if (!was.has(refOf(c)) && c.readyCondition !== true) {
      onCert(c, 'Issuing', 'Issuing certificate as Secret does not exist', 'certificates-trigger');
      onCert(c, 'Generated', `Stored new private key in temporary Secret resource "${c.meta.name}-${c.meta.uid.replace(/[^a-z0-9]/g, '').slice(0, 5)}"`, 'certificates-key-manager');
    }
  }
  const old = decodedOf(before);
  const now = decodedOf(after);
  for (const [key, { object, decoded }] of now) {
    const prev = old.get(key)?.decoded;
    const event = (type: 'Normal' | 'Warning', reason: string, message: string, controller: string, on: Involved = involvedOf(object.kind, object.apiVersion, object.meta)): void =>
      void out.push({ involved: on, type, reason, message, component: `cert-manager-${controller}` });
    switch (decoded.kind) {
      case 'CertificateRequest': {
        const cert = certs.get(`${decoded.namespace}/${decoded.certificate}`);
        if (!prev) {
          if (cert) onCert(cert, 'Requested', `Created new CertificateRequest resource "${decoded.name}"`, 'certificates-request-manager');
          event('Normal', 'cert-manager.io', 'Certificate request has been approved by cert-manager.io', 'certificaterequests-approver');
        }
        if (ready(decoded.conditions) && !(prev?.kind === 'CertificateRequest' && ready(prev.conditions))) {
          event('Normal', 'CertificateIssued', 'Certificate fetched from issuer successfully', issuerController(decoded.issuerRef.kind, after, decoded.namespace, decoded.issuerRef.name));
        }
        break;
      }
      case 'Order':
        orderEvents(decoded, prev?.kind === 'Order' ? prev : undefined, now, event);
        break;
      case 'Challenge': {
        const order = now.get(`Order|${decoded.namespace}/${decoded.order}`)?.object;
        if (!prev && order) {
          event('Normal', 'Created', `Created Challenge resource "${decoded.name}" for domain "${decoded.dnsName}"`, 'orders', involvedOf('Order', order.apiVersion, order.meta));
        }
        challengeEvents(decoded, prev?.kind === 'Challenge' ? prev : undefined, event);
        break;
      }
    }
  }
  // A validated Challenge completes its Order, which issues its request: in that order.
  out.sort((x, y) => (LAST[x.reason] ?? 0) - (LAST[y.reason] ?? 0));
  for (const c of after.certificates) {
    const before = was.get(refOf(c));
    if (c.readyCondition === true && before?.readyCondition !== true) onCert(c, 'Issuing', 'The certificate has been successfully issued', 'certificates-issuing');
  }
  return out;
}

const LAST: Readonly<Record<string, number>> = { Complete: 1, CertificateIssued: 2 };

type Emit = (type: 'Normal' | 'Warning', reason: string, message: string, controller: string, on?: Involved) => void;

/** The ACME issuer's events on the Order's CertificateRequest, and the orders controller's on the Order. */
function orderEvents(order: OrderObject, prev: OrderObject | undefined, now: ReadonlyMap<string, Decoded>, event: Emit): void {
  const request = now.get(`CertificateRequest|${order.namespace}/${order.request}`)?.object;
  const onRequest = request ? involvedOf('CertificateRequest', request.apiVersion, request.meta) : undefined;
  if (!prev && onRequest) event('Normal', 'OrderCreated', `Created Order resource ${order.namespace}/${order.name}`, 'certificaterequests-issuer-acme', onRequest);
  const settled = order.state === 'valid' || order.state === 'invalid' || order.state === 'errored';
  if (onRequest && !settled && (!prev || prev.state !== order.state)) {
    event('Normal', 'OrderPending', `Waiting on certificate issuance from order ${order.namespace}/${order.name}: "${order.state}"`, 'certificaterequests-issuer-acme', onRequest);
  }
  if (order.state === 'valid' && prev?.state !== 'valid') event('Normal', 'Complete', 'Order completed successfully', 'orders');
}

/** The challenges controller's steps, on the Challenge. */
function challengeEvents(ch: ChallengeObject, prev: ChallengeObject | undefined, event: Emit): void {
  if (!prev) {
    event('Normal', 'Started', 'Challenge scheduled for processing', 'challenges');
  }
  if (ch.presented && !prev?.presented) event('Normal', 'Presented', `Presented challenge using ${ch.type} challenge mechanism`, 'challenges');
  if (ch.state === 'valid' && prev?.state !== 'valid') event('Normal', 'DomainVerified', `Domain "${ch.dnsName}" verified with "${ch.type}" validation`, 'challenges');
  if (ch.state === 'invalid' && prev?.state !== 'invalid') event('Warning', 'Failed', `Accepting challenge authorization failed: ${ch.reason}`, 'challenges');
}

/** The CertificateRequest controller that signs for an issuer kind: ACME, CA or SelfSigned. */
function issuerController(kind: string, c: Cluster, namespace: string, name: string): string {
  const issuer = c.issuers.find((i) => i.meta.name === name && (kind === 'ClusterIssuer' ? i.kind === 'ClusterIssuer' : i.kind === 'Issuer' && i.meta.namespace === namespace));
  const type = issuer?.spec.type ?? 'acme';
  return `certificaterequests-issuer-${type === 'selfSigned' ? 'selfsigned' : type}`;
}
