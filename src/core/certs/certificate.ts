// cert-manager's certificates controllers as pure decisions: whether a Certificate needs
// issuing (the trigger's reason and message), its Ready and Issuing conditions, the
// CertificateRequest of its next revision, and what a request's issuer does with it.
import type {
  CertificateRequestObject, CertificateStatus, Condition, IssuerRef, OrderObject,
} from '../../model/decode-cert-manager.js';
import type { Certificate, Issuer } from '../../model/types.js';
import { conditionOf, isTrue, removeCondition, setCondition, timeText } from './conditions.js';
import { renewalTime } from './duration.js';
import { requestName } from './names.js';

/** What the shell read from the Secret's tls.crt (node:crypto parses it; the core never does). */
export interface IssuedCertificate {
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly dnsNames: readonly string[];
}

export interface SecretView {
  readonly exists: boolean;
  readonly certificate: IssuedCertificate | null; // null: no tls.crt, or not a certificate
}

export interface CertificateInput {
  readonly cert: Certificate;
  readonly status: CertificateStatus;
  readonly secret: SecretView;
  /** The requests this Certificate owns. */
  readonly requests: readonly CertificateRequestObject[];
  readonly now: Date;
}

export type CertificateDecision =
  /** Up to date: the status says so. */
  | { readonly kind: 'ready'; readonly status: CertificateStatus }
  /** Needs a certificate and has no request for the next revision: make one. */
  | { readonly kind: 'issue'; readonly status: CertificateStatus; readonly revision: number; readonly replace: string | null }
  /** The request for the next revision is still in flight. */
  | { readonly kind: 'wait'; readonly status: CertificateStatus; readonly request: CertificateRequestObject }
  /** The request was issued: store the Secret, then the status (statusAfterIssue). */
  | { readonly kind: 'store'; readonly request: CertificateRequestObject }
  /** The request failed: retried after the back-off. */
  | { readonly kind: 'failed'; readonly status: CertificateStatus; readonly retryAt: Date };

/** cert-manager waits an hour after a failed issuance before the next attempt. */
export const FAILURE_BACKOFF_MS = 3_600_000;

/** Why a Certificate needs a (new) certificate, as cert-manager's trigger controller says; null when it does not. */
export function issuingReason(input: Omit<CertificateInput, 'requests' | 'status'>): { reason: string; message: string } | null {
  const { cert, secret, now } = input;
  if (!secret.exists) return { reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' };
  const c = secret.certificate;
  if (!c) return { reason: 'MissingData', message: 'Issuing certificate as Secret does not contain a certificate' };
  const want = [...cert.dnsNames].sort().join(',');
  const have = [...c.dnsNames].sort().join(',');
  if (want !== have) {
    return { reason: 'SecretMismatch', message: `Issuing certificate as Secret was previously issued for ${have || 'no DNS names'}, not ${want || 'no DNS names'}` };
  }
  if (now.getTime() >= c.notAfter.getTime()) return { reason: 'Expired', message: `Certificate expired on ${c.notAfter.toUTCString()}` };
  const renewAt = renewalTime(c.notBefore, c.notAfter, cert.renewBefore);
  if (now.getTime() >= renewAt.getTime()) return { reason: 'Renewing', message: `Renewing certificate as renewal was scheduled at ${timeText(renewAt)}` };
  return null;
}

export function decideCertificate(input: CertificateInput): CertificateDecision {
  const { cert, status, now } = input;
  const trigger = issuingReason(input);
  if (!trigger) return { kind: 'ready', status: readyStatus(status, input.secret.certificate!, cert.renewBefore, now) };
  const revision = status.revision + 1;
  const request = input.requests.find((r) => r.revision === revision) ?? null;
  const issuing = (conditions: readonly Condition[]) =>
    setCondition(setCondition(conditions, 'Issuing', 'True', trigger.reason, trigger.message, now), 'Ready', 'False', trigger.reason, trigger.message, now);
  if (!request) return { kind: 'issue', status: { ...status, conditions: issuing(status.conditions) }, revision, replace: null };
  const ready = conditionOf(request.conditions, 'Ready');
  if (ready?.status === 'True') return { kind: 'store', request };
  if (ready?.reason === 'Failed' || ready?.reason === 'Denied' || isTrue(request.conditions, 'Denied')) {
    const failedAt = status.lastFailureTime ? new Date(status.lastFailureTime) : now;
    const retryAt = new Date(failedAt.getTime() + FAILURE_BACKOFF_MS);
    if (status.lastFailureTime && now.getTime() >= retryAt.getTime()) {
      return { kind: 'issue', status: { ...status, lastFailureTime: '', conditions: issuing(status.conditions) }, revision, replace: request.name };
    }
    const message = `The certificate request has failed to complete and will be retried: ${ready?.message ?? 'denied'}`;
    return {
      kind: 'failed', retryAt,
      status: { ...status, lastFailureTime: timeText(failedAt), conditions: setCondition(status.conditions, 'Issuing', 'False', 'Failed', message, now) },
    };
  }
  return { kind: 'wait', status: { ...status, conditions: issuing(status.conditions) }, request };
}

/** The status once the issued certificate is in the Secret: Ready, its dates, the revision it came from. */
export function statusAfterIssue(status: CertificateStatus, request: CertificateRequestObject, issued: IssuedCertificate, renewBefore: string, now: Date): CertificateStatus {
  const ready = readyStatus({ ...status, revision: request.revision, lastFailureTime: '' }, issued, renewBefore, now);
  return { ...ready, conditions: removeCondition(ready.conditions, 'Issuing') };
}

function readyStatus(status: CertificateStatus, issued: IssuedCertificate, renewBefore: string, now: Date): CertificateStatus {
  return {
    ...status,
    conditions: removeCondition(setCondition(status.conditions, 'Ready', 'True', 'Ready', 'Certificate is up to date and has not expired', now), 'Issuing'),
    notBefore: timeText(issued.notBefore),
    notAfter: timeText(issued.notAfter),
    renewalTime: timeText(renewalTime(issued.notBefore, issued.notAfter, renewBefore)),
    revision: status.revision,
  };
}

/** Before anything issues a Certificate (Predict mode): not Ready, and why. */
export function predictedStatus(since: string): CertificateStatus {
  const message = 'Issuing certificate as Secret does not exist (knet predicts the objects here; nothing issues certificates until the cluster runs: knet up)';
  return {
    conditions: [{ type: 'Ready', status: 'False', reason: 'DoesNotExist', message, lastTransitionTime: since }],
    notBefore: '', notAfter: '', renewalTime: '', revision: 0, lastFailureTime: '',
  };
}

/** The CertificateRequest for a revision, approved at once as cert-manager's internal approver does. */
export function newRequest(cert: Certificate, revision: number, csrPem: string, now: Date): CertificateRequestObject {
  return {
    kind: 'CertificateRequest', namespace: cert.meta.namespace, name: requestName(cert.meta.name, revision),
    creationTimestamp: timeText(now), certificate: cert.meta.name, revision,
    issuerRef: cert.issuerRef, requestPem: csrPem, duration: cert.duration,
    conditions: setCondition([], 'Approved', 'True', 'cert-manager.io', 'Certificate request has been approved by cert-manager.io', now),
    certificatePem: '', caPem: '',
  };
}

export type RequestDecision =
  | { readonly kind: 'pending'; readonly request: CertificateRequestObject }
  | { readonly kind: 'sign'; readonly how: 'selfSigned' | 'ca'; readonly caSecretName: string }
  | { readonly kind: 'create-order' }
  | { readonly kind: 'issued'; readonly request: CertificateRequestObject }
  | { readonly kind: 'failed'; readonly request: CertificateRequestObject }
  | { readonly kind: 'done' };

/** What the issuer does with a request: sign it, order it over ACME, or wait. */
export function decideRequest(cr: CertificateRequestObject, issuer: Issuer | null, order: OrderObject | null, now: Date): RequestDecision {
  const ready = conditionOf(cr.conditions, 'Ready');
  if (ready && (ready.status === 'True' || ready.reason === 'Failed')) return { kind: 'done' };
  const pending = (message: string): RequestDecision => ({ kind: 'pending', request: { ...cr, conditions: setCondition(cr.conditions, 'Ready', 'False', 'Pending', message, now) } });
  if (!issuer) {
    const resource = `${cr.issuerRef.kind.toLowerCase()}.${cr.issuerRef.group}`;
    return pending(`Referenced "${cr.issuerRef.kind}" not found: ${resource} "${cr.issuerRef.name}" not found`);
  }
  switch (issuer.spec.type) {
    case 'selfSigned': return { kind: 'sign', how: 'selfSigned', caSecretName: '' };
    case 'ca': return { kind: 'sign', how: 'ca', caSecretName: issuer.spec.caSecretName };
    case 'other': return pending(`${issuer.kind} ${issuer.meta.name} is of a type knet does not issue with (ACME, SelfSigned and CA are supported)`);
    case 'acme': break;
  }
  if (!order) return { kind: 'create-order' };
  if (order.state === 'valid' && order.certificatePem) return { kind: 'issued', request: requestIssued(cr, order.certificatePem, '', now) };
  if (order.state === 'invalid' || order.state === 'errored') {
    const message = `Failed to wait for order resource "${order.name}" to become ready: order is in "${order.state}" state: ${order.reason}`;
    return { kind: 'failed', request: { ...cr, conditions: setCondition(cr.conditions, 'Ready', 'False', 'Failed', message, now) } };
  }
  return pending(`Waiting on certificate issuance from order ${order.namespace}/${order.name}: "${order.state}"`);
}

export function requestWithOrder(cr: CertificateRequestObject, order: OrderObject, now: Date): CertificateRequestObject {
  return { ...cr, conditions: setCondition(cr.conditions, 'Ready', 'False', 'Pending', `Created Order resource ${order.namespace}/${order.name}`, now) };
}

export function requestIssued(cr: CertificateRequestObject, certificatePem: string, caPem: string, now: Date): CertificateRequestObject {
  return { ...cr, certificatePem, caPem, conditions: setCondition(cr.conditions, 'Ready', 'True', 'Issued', 'Certificate fetched from issuer successfully', now) };
}

export function requestFailed(cr: CertificateRequestObject, message: string, now: Date): CertificateRequestObject {
  return { ...cr, conditions: setCondition(cr.conditions, 'Ready', 'False', 'Failed', message, now) };
}

export function sameIssuer(a: IssuerRef, b: IssuerRef): boolean {
  return a.name === b.name && a.kind === b.kind && a.group === b.group;
}

/** The Issuer or ClusterIssuer a reference names (Issuers in the object's own namespace). */
export function findIssuer(issuers: readonly Issuer[], ref: IssuerRef, namespace: string): Issuer | null {
  if (ref.group !== 'cert-manager.io') return null;
  return issuers.find((i) => i.kind === ref.kind && i.meta.name === ref.name && (i.kind === 'ClusterIssuer' || i.meta.namespace === namespace)) ?? null;
}
