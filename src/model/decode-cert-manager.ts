// cert-manager's status-carrying objects as the controller writes them: a Certificate's
// status, CertificateRequest, Order (acme.cert-manager.io) and Challenge. Tolerant: a
// field that is missing or of the wrong type reads as its empty value (these objects come
// from knet's own controller or from a dump, never from a user's hand).
import { Decoder } from './decoder.js';
import type { RawObject } from './source.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface IssuerRef {
  readonly name: string;
  readonly kind: string;
  readonly group: string;
}

export interface CertificateStatus {
  readonly conditions: readonly Condition[];
  readonly notBefore: string;
  readonly notAfter: string;
  readonly renewalTime: string;
  readonly revision: number; // 0: never issued
  readonly lastFailureTime: string;
}

export interface CertificateRequestObject {
  readonly kind: 'CertificateRequest';
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp: string;
  readonly certificate: string; // the owning Certificate's name
  readonly revision: number; // cert-manager.io/certificate-revision
  readonly issuerRef: IssuerRef;
  readonly requestPem: string; // the CSR, PEM
  readonly duration: string;
  readonly conditions: readonly Condition[];
  readonly certificatePem: string; // status.certificate, PEM ('' until issued)
  readonly caPem: string;
}

export type OrderState = '' | 'pending' | 'ready' | 'valid' | 'invalid' | 'errored';

export interface OrderAuthorization {
  readonly url: string;
  readonly identifier: string;
  readonly wildcard: boolean;
  readonly initialState: string;
  readonly challenges: readonly { readonly type: string; readonly url: string; readonly token: string }[];
}

export interface OrderObject {
  readonly kind: 'Order';
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp: string;
  readonly request: string; // the owning CertificateRequest's name
  readonly csrPem: string; // spec.request
  readonly issuerRef: IssuerRef;
  readonly dnsNames: readonly string[];
  readonly commonName: string;
  readonly state: OrderState;
  readonly url: string;
  readonly finalizeURL: string;
  readonly authorizations: readonly OrderAuthorization[];
  readonly reason: string;
  readonly certificatePem: string;
}

export type ChallengeState = '' | 'pending' | 'processing' | 'valid' | 'invalid' | 'errored';

export interface Http01IngressSolver {
  readonly ingressClassName: string;
  readonly ingressClass: string;
  readonly serviceType: string;
}

export interface ChallengeObject {
  readonly kind: 'Challenge';
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp: string;
  readonly order: string; // the owning Order's name
  readonly issuerRef: IssuerRef;
  readonly dnsName: string;
  readonly type: 'HTTP-01' | 'DNS-01';
  readonly token: string;
  readonly key: string;
  readonly url: string;
  readonly authorizationURL: string;
  readonly solver: Http01IngressSolver;
  readonly state: ChallengeState;
  readonly processing: boolean;
  readonly presented: boolean;
  readonly reason: string;
}

export type CertManagerObject = CertificateRequestObject | OrderObject | ChallengeObject;

function decoder(raw: RawObject): Decoder {
  return new Decoder(raw, 'cert-manager object', []);
}

function conditionsAt(d: Decoder, path: readonly (string | number)[]): Condition[] {
  const out: Condition[] = [];
  const n = d.len([...path]);
  for (let i = 0; i < n; i++) {
    const status = d.str([...path, i, 'status'], 'Unknown');
    out.push({
      type: d.str([...path, i, 'type']),
      status: status === 'True' || status === 'False' ? status : 'Unknown',
      reason: d.str([...path, i, 'reason']),
      message: d.str([...path, i, 'message']),
      lastTransitionTime: d.str([...path, i, 'lastTransitionTime']),
    });
  }
  return out;
}

function issuerRefAt(d: Decoder, path: readonly (string | number)[]): IssuerRef {
  return {
    name: d.str([...path, 'name']),
    kind: d.str([...path, 'kind'], 'Issuer'),
    group: d.str([...path, 'group'], 'cert-manager.io'),
  };
}

function ownerName(d: Decoder, kind: string): string {
  const n = d.len(['metadata', 'ownerReferences']);
  for (let i = 0; i < n; i++) {
    if (d.str(['metadata', 'ownerReferences', i, 'kind']) === kind) return d.str(['metadata', 'ownerReferences', i, 'name']);
  }
  return '';
}

function pem(d: Decoder, path: readonly (string | number)[]): string {
  const b64 = d.str([...path]);
  return b64 ? Buffer.from(b64, 'base64').toString('utf8') : '';
}

function nonNegative(text: string): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** status of a Certificate (empty when it has none). */
export function decodeCertificateStatus(raw: RawObject | null): CertificateStatus {
  if (!raw) return { conditions: [], notBefore: '', notAfter: '', renewalTime: '', revision: 0, lastFailureTime: '' };
  const d = decoder(raw);
  return {
    conditions: conditionsAt(d, ['status', 'conditions']),
    notBefore: d.str(['status', 'notBefore']),
    notAfter: d.str(['status', 'notAfter']),
    renewalTime: d.str(['status', 'renewalTime']),
    revision: d.int(['status', 'revision']) ?? 0,
    lastFailureTime: d.str(['status', 'lastFailureTime']),
  };
}

/** A CertificateRequest, Order or Challenge; null for any other kind. */
export function decodeCertManagerObject(raw: RawObject): CertManagerObject | null {
  const d = decoder(raw);
  const kind = d.str(['kind']);
  const namespace = d.str(['metadata', 'namespace'], 'default');
  const name = d.str(['metadata', 'name']);
  const creationTimestamp = d.str(['metadata', 'creationTimestamp']);
  switch (kind) {
    case 'CertificateRequest':
      return {
        kind, namespace, name, creationTimestamp,
        certificate: ownerName(d, 'Certificate'),
        revision: nonNegative(d.str(['metadata', 'annotations', 'cert-manager.io/certificate-revision'])),
        issuerRef: issuerRefAt(d, ['spec', 'issuerRef']),
        requestPem: pem(d, ['spec', 'request']),
        duration: d.str(['spec', 'duration']),
        conditions: conditionsAt(d, ['status', 'conditions']),
        certificatePem: pem(d, ['status', 'certificate']),
        caPem: pem(d, ['status', 'ca']),
      };
    case 'Order': {
      const authorizations: OrderAuthorization[] = [];
      const n = d.len(['status', 'authorizations']);
      for (let i = 0; i < n; i++) {
        const p = ['status', 'authorizations', i];
        const challenges: OrderAuthorization['challenges'][number][] = [];
        const m = d.len([...p, 'challenges']);
        for (let j = 0; j < m; j++) {
          challenges.push({ type: d.str([...p, 'challenges', j, 'type']), url: d.str([...p, 'challenges', j, 'url']), token: d.str([...p, 'challenges', j, 'token']) });
        }
        authorizations.push({
          url: d.str([...p, 'url']), identifier: d.str([...p, 'identifier']), wildcard: d.bool([...p, 'wildcard']) ?? false,
          initialState: d.str([...p, 'initialState']), challenges,
        });
      }
      const state = d.str(['status', 'state']);
      return {
        kind, namespace, name, creationTimestamp,
        request: ownerName(d, 'CertificateRequest'),
        csrPem: pem(d, ['spec', 'request']),
        issuerRef: issuerRefAt(d, ['spec', 'issuerRef']),
        dnsNames: d.strList(['spec', 'dnsNames']),
        commonName: d.str(['spec', 'commonName']),
        state: (['pending', 'ready', 'valid', 'invalid', 'errored'].includes(state) ? state : '') as OrderState,
        url: d.str(['status', 'url']),
        finalizeURL: d.str(['status', 'finalizeURL']),
        authorizations,
        reason: d.str(['status', 'reason']),
        certificatePem: pem(d, ['status', 'certificate']),
      };
    }
    case 'Challenge': {
      const state = d.str(['status', 'state']);
      const s = ['spec', 'solver', 'http01', 'ingress'];
      return {
        kind, namespace, name, creationTimestamp,
        order: ownerName(d, 'Order'),
        issuerRef: issuerRefAt(d, ['spec', 'issuerRef']),
        dnsName: d.str(['spec', 'dnsName']),
        type: d.str(['spec', 'type']) === 'DNS-01' ? 'DNS-01' : 'HTTP-01',
        token: d.str(['spec', 'token']),
        key: d.str(['spec', 'key']),
        url: d.str(['spec', 'url']),
        authorizationURL: d.str(['spec', 'authorizationURL']),
        solver: { ingressClassName: d.str([...s, 'ingressClassName']), ingressClass: d.str([...s, 'class']), serviceType: d.str([...s, 'serviceType']) },
        state: (['pending', 'processing', 'valid', 'invalid', 'errored'].includes(state) ? state : '') as ChallengeState,
        processing: d.bool(['status', 'processing']) ?? false,
        presented: d.bool(['status', 'presented']) ?? false,
        reason: d.str(['status', 'reason']),
      };
    }
    default:
      return null;
  }
}
