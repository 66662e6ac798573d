// cert-manager's ACME side as pure decisions: the Order a CertificateRequest makes, its
// state as the ACME server reports it, one HTTP-01 Challenge per pending authorization,
// the challenge's state and reason through the self check and the server's validation.
import type {
  CertificateRequestObject, ChallengeObject, Http01IngressSolver, OrderObject, OrderState,
} from '../../model/decode-cert-manager.js';
import type { Certificate, Issuer } from '../../model/types.js';
import { timeText } from './conditions.js';
import { challengeName, orderName } from './names.js';

export const CHALLENGE_PATH = '/.well-known/acme-challenge/';

export function newOrder(cr: CertificateRequestObject, cert: Certificate, now: Date): OrderObject {
  const spec = { request: cr.requestPem, issuerRef: cr.issuerRef, dnsNames: cert.dnsNames, commonName: cert.commonName };
  return {
    kind: 'Order', namespace: cr.namespace, name: orderName(cr.name, spec), creationTimestamp: timeText(now),
    request: cr.name, csrPem: cr.requestPem, issuerRef: cr.issuerRef, dnsNames: cert.dnsNames, commonName: cert.commonName,
    state: '', url: '', finalizeURL: '', authorizations: [], reason: '', certificatePem: '',
  };
}

/** An ACME order as the server returned it (RFC 8555 7.1.3), authorizations fetched. */
export interface ServerOrder {
  readonly url: string;
  readonly status: string;
  readonly finalize: string;
  readonly authorizations: readonly {
    readonly url: string;
    readonly identifier: string;
    readonly wildcard: boolean;
    readonly status: string;
    readonly challenges: readonly { readonly type: string; readonly url: string; readonly token: string }[];
  }[];
  readonly error: string;
}

function orderState(status: string): OrderState {
  return (['pending', 'ready', 'valid', 'invalid'].includes(status) ? status : 'errored') as OrderState;
}

export function orderFromServer(order: OrderObject, server: ServerOrder): OrderObject {
  return {
    ...order,
    state: orderState(server.status), url: server.url, finalizeURL: server.finalize, reason: server.error,
    authorizations: server.authorizations.map((a) => ({
      url: a.url, identifier: a.identifier, wildcard: a.wildcard, initialState: a.status, challenges: a.challenges,
    })),
  };
}

export function orderIssued(order: OrderObject, certificatePem: string): OrderObject {
  return { ...order, state: 'valid', certificatePem, reason: '' };
}

export function orderFailed(order: OrderObject, state: 'invalid' | 'errored', reason: string): OrderObject {
  return { ...order, state, reason };
}

/** The issuer's first HTTP-01 ingress solver (cert-manager picks by selector; knet's issuers have one). */
export function http01Solver(issuer: Issuer): Http01IngressSolver | null {
  if (issuer.spec.type !== 'acme') return null;
  const s = issuer.spec.http01[0];
  return s ? { ingressClassName: s.ingressClassName, ingressClass: s.ingressClass, serviceType: s.serviceType } : null;
}

export type ChallengePlan =
  | { readonly kind: 'challenges'; readonly challenges: readonly ChallengeObject[] }
  | { readonly kind: 'no-solver'; readonly reason: string };

/**
 * One Challenge per authorization still pending, for its http-01 challenge. `keyAuthorization`
 * is token + "." + the account key's thumbprint (RFC 8555 8.1), computed by the shell.
 */
export function challengesForOrder(order: OrderObject, issuer: Issuer, keyAuthorization: (token: string) => string, now: Date): ChallengePlan {
  const solver = http01Solver(issuer);
  const out: ChallengeObject[] = [];
  for (const a of order.authorizations) {
    if (a.initialState === 'valid') continue;
    const http = a.challenges.find((c) => c.type === 'http-01');
    if (!solver || !http || a.wildcard) {
      return {
        kind: 'no-solver',
        reason: `Failed to determine a valid solver configuration for the set of domains on the Order: no configured challenge solvers can be used for this challenge (${a.wildcard ? '*.' : ''}${a.identifier}${a.wildcard ? ' is a wildcard: HTTP-01 cannot validate it' : ''})`,
      };
    }
    const spec = { authorizationURL: a.url, dnsName: a.identifier, type: 'HTTP-01', token: http.token, url: http.url };
    out.push({
      kind: 'Challenge', namespace: order.namespace, name: challengeName(order.name, spec), creationTimestamp: timeText(now),
      order: order.name, issuerRef: order.issuerRef, dnsName: a.identifier, type: 'HTTP-01',
      token: http.token, key: keyAuthorization(http.token), url: http.url, authorizationURL: a.url, solver,
      state: 'pending', processing: true, presented: false, reason: '',
    });
  }
  return { kind: 'challenges', challenges: out };
}

/** The challenge URL cert-manager's self check (and the ACME server) requests. */
export function challengeUrl(ch: ChallengeObject): string {
  return `http://${ch.dnsName}${CHALLENGE_PATH}${ch.token}`;
}

/** What cert-manager's self check saw: GET http://<host>/.well-known/acme-challenge/<token>. */
export type SelfCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly detail: string } // the Go client's error text, e.g. dial tcp 198.51.100.10:80: connect: connection refused
  | { readonly kind: 'status'; readonly code: number }
  | { readonly kind: 'body'; readonly got: string };

export function challengePresented(ch: ChallengeObject): ChallengeObject {
  return { ...ch, presented: true, processing: true };
}

/** After a self check: pending with cert-manager's propagation reason, or ready to accept (reason cleared). */
export function challengeAfterSelfCheck(ch: ChallengeObject, check: SelfCheck): ChallengeObject {
  const url = challengeUrl(ch);
  const prefix = 'Waiting for HTTP-01 challenge propagation: ';
  switch (check.kind) {
    case 'ok': return { ...ch, reason: '' };
    case 'error': return { ...ch, reason: `${prefix}failed to perform self check GET request '${url}': Get "${url}": ${check.detail}` };
    case 'status': return { ...ch, reason: `${prefix}wrong status code '${check.code}', expected '200'` };
    case 'body': {
      const got = check.got.length > 64 ? `${check.got.slice(0, 64)}...` : check.got;
      return { ...ch, reason: `${prefix}did not get expected response when querying endpoint, expected "${ch.key}" but got: ${got}` };
    }
  }
}

/** The ACME server's verdict on an accepted challenge. */
export function challengeAfterValidation(ch: ChallengeObject, result: { readonly status: string; readonly error: string }): ChallengeObject {
  if (result.status === 'valid') return { ...ch, state: 'valid', processing: false, presented: false, reason: 'Successfully authorized domain' };
  if (result.status === 'invalid') {
    return { ...ch, state: 'invalid', processing: false, presented: false, reason: `Error accepting authorization: acme: authorization error for ${ch.dnsName}: ${result.error}` };
  }
  return { ...ch, state: result.status === 'processing' ? 'processing' : 'pending' };
}

/** An Order whose challenges are all valid is ready to finalize; one invalid challenge makes it invalid. */
export function orderAfterChallenges(order: OrderObject, challenges: readonly ChallengeObject[]): OrderObject {
  const bad = challenges.find((c) => c.state === 'invalid');
  if (bad) return orderFailed(order, 'invalid', bad.reason);
  if (challenges.length > 0 && challenges.every((c) => c.state === 'valid') && order.state === 'pending') return { ...order, state: 'ready' };
  return order;
}
