import { describe, expect, it } from 'vitest';
import { decodeObjects } from '../../model/load.js';
import { decodeCertManagerObject, decodeCertificateStatus, type CertificateStatus, type ChallengeObject } from '../../model/decode-cert-manager.js';
import { parseText } from '../../model/source.js';
import type { Certificate, Ingress, Issuer } from '../../model/types.js';
import {
  challengeAfterSelfCheck, challengeAfterValidation, challengesForOrder, newOrder, orderAfterChallenges, orderFromServer,
} from './acme.js';
import { decideCertificate, decideRequest, issuingReason, newRequest, requestIssued, statusAfterIssue } from './certificate.js';
import { parseGoDuration, renewalTime } from './duration.js';
import { shimIngress } from './ingress-shim.js';
import { challengeWire, requestWire, solverObjects } from './wire.js';

function decode(yaml: string) {
  return decodeObjects(parseText('t.yaml', yaml).objects).inventory;
}

function ingress(annotations: string, tls: string): Ingress {
  return decode(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\n  uid: u-1\n  annotations: {${annotations}}\nspec:\n  rules: [{host: a.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n  tls: ${tls}\n`).ingresses[0]!;
}

const ACME_ISSUER = `apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: le}\nspec:\n  acme:\n    server: https://acme-v02.api.letsencrypt.org/directory\n    privateKeySecretRef: {name: le-key}\n    solvers: [{http01: {ingress: {ingressClassName: nginx}}}]\n`;
const issuer = (): Issuer => decode(ACME_ISSUER).issuers[0]!;
const NOW = new Date('2026-05-01T10:00:00Z');
const EMPTY: CertificateStatus = { conditions: [], notBefore: '', notAfter: '', renewalTime: '', revision: 0, lastFailureTime: '' };

function shimmed(): Certificate {
  const o = shimIngress(ingress('cert-manager.io/cluster-issuer: le', '[{hosts: [a.example.com], secretName: a-tls}]'));
  if (o.kind !== 'certificates') throw new Error(o.kind);
  return o.certificates[0]!;
}

describe('ingress-shim', () => {
  it('cluster-issuer annotation -> one Certificate per secretName, named after it, hosts as dnsNames, owned by the Ingress', () => {
    const o = shimIngress(ingress('cert-manager.io/cluster-issuer: le, cert-manager.io/duration: 720h, cert-manager.io/renew-before: 240h, cert-manager.io/common-name: a.example.com',
      '[{hosts: [a.example.com], secretName: a-tls}, {hosts: [b.example.com, a.example.com], secretName: a-tls}, {hosts: [c.example.com], secretName: c-tls}]'));
    expect(o.kind).toBe('certificates');
    if (o.kind !== 'certificates') return;
    expect(o.certificates.map((c) => [c.meta.name, c.secretName, c.dnsNames.join(','), c.issuerRef.kind, c.issuerRef.name, c.duration, c.renewBefore, c.commonName]))
      .toEqual([
        ['a-tls', 'a-tls', 'a.example.com,b.example.com', 'ClusterIssuer', 'le', '720h', '240h', 'a.example.com'],
        ['c-tls', 'c-tls', 'c.example.com', 'ClusterIssuer', 'le', '720h', '240h', 'a.example.com'],
      ]);
    expect(o.certificates[0]!.meta.ownerReferences).toEqual([{ kind: 'Ingress', name: 'web', uid: 'u-1', controller: true }]);
  });
  it('issuer annotation with issuer-kind and issuer-group -> that external issuer', () => {
    const o = shimIngress(ingress('cert-manager.io/issuer: vault, cert-manager.io/issuer-kind: VaultIssuer, cert-manager.io/issuer-group: example.io', '[{hosts: [a.example.com], secretName: a-tls}]'));
    expect(o.kind === 'certificates' && o.certificates[0]!.issuerRef).toEqual({ name: 'vault', kind: 'VaultIssuer', group: 'example.io' });
  });
  it('both annotations -> no Certificate, a conflict; none -> not annotated', () => {
    expect(shimIngress(ingress('cert-manager.io/issuer: a, cert-manager.io/cluster-issuer: b', '[{hosts: [a.example.com], secretName: a-tls}]')).kind).toBe('conflict');
    expect(shimIngress(ingress('foo: bar', '[{hosts: [a.example.com], secretName: a-tls}]')).kind).toBe('not-annotated');
  });
  it('a TLS entry without secretName or without hosts -> skipped with the reason', () => {
    const o = shimIngress(ingress('cert-manager.io/cluster-issuer: le', '[{hosts: [a.example.com]}, {secretName: x}]'));
    expect(o.kind === 'certificates' && [o.certificates.length, ...o.skipped]).toEqual([0,
      'spec.tls[0] names no secretName: no Certificate for a.example.com', 'spec.tls[1] (secret x) lists no hosts: no Certificate']);
  });
});

describe('durations and renewal', () => {
  it.each([['2160h', 2160 * 3_600_000], ['720h0m0s', 720 * 3_600_000], ['1h30m', 5_400_000], ['90s', 90_000], ['', null], ['3d', null]])('%s -> %s ms', (t, ms) => {
    expect(parseGoDuration(t)).toBe(ms);
  });
  it('renewal at two thirds of the lifetime by default, renewBefore when shorter than the lifetime', () => {
    const nb = new Date('2026-01-01T00:00:00Z');
    const na = new Date('2026-04-01T00:00:00Z'); // 90 days
    expect(renewalTime(nb, na, '').toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(renewalTime(nb, na, '240h').toISOString()).toBe('2026-03-22T00:00:00.000Z');
    expect(renewalTime(nb, na, '10000h').toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });
});

describe('Certificate decisions', () => {
  const issued = { notBefore: new Date('2026-04-01T00:00:00Z'), notAfter: new Date('2026-06-30T00:00:00Z'), dnsNames: ['a.example.com'] };
  it.each([
    ['no Secret -> DoesNotExist', { exists: false, certificate: null }, NOW, 'DoesNotExist', 'Issuing certificate as Secret does not exist'],
    ['Secret without a certificate -> MissingData', { exists: true, certificate: null }, NOW, 'MissingData', 'Issuing certificate as Secret does not contain a certificate'],
    ['other names -> SecretMismatch', { exists: true, certificate: { ...issued, dnsNames: ['b.example.com'] } }, NOW, 'SecretMismatch', 'Issuing certificate as Secret was previously issued for b.example.com, not a.example.com'],
    ['past renewal time -> Renewing', { exists: true, certificate: issued }, new Date('2026-06-01T00:00:00Z'), 'Renewing', 'Renewing certificate as renewal was scheduled at 2026-05-31T00:00:00Z'],
    ['past notAfter -> Expired', { exists: true, certificate: issued }, new Date('2026-07-01T00:00:00Z'), 'Expired', 'Certificate expired on Tue, 30 Jun 2026 00:00:00 GMT'],
  ])('%s', (_n, secret, now, reason, message) => {
    expect(issuingReason({ cert: shimmed(), secret, now })).toEqual({ reason, message });
  });
  it('valid certificate in the Secret -> Ready True with its dates', () => {
    const d = decideCertificate({ cert: shimmed(), status: EMPTY, secret: { exists: true, certificate: issued }, requests: [], now: NOW });
    expect(d.kind).toBe('ready');
    if (d.kind !== 'ready') return;
    expect(d.status.conditions.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`)).toEqual(['Ready=True Ready: Certificate is up to date and has not expired']);
    expect([d.status.notBefore, d.status.notAfter, d.status.renewalTime]).toEqual(['2026-04-01T00:00:00Z', '2026-06-30T00:00:00Z', '2026-05-31T00:00:00Z']);
  });
  it('no Secret -> issue revision 1 with Issuing and Ready False; then wait; then store; then Ready with revision 1', () => {
    const cert = shimmed();
    const d1 = decideCertificate({ cert, status: EMPTY, secret: { exists: false, certificate: null }, requests: [], now: NOW });
    expect(d1.kind === 'issue' && [d1.revision, d1.status.conditions.map((c) => `${c.type}=${c.status} ${c.reason}`)]).toEqual([1, ['Issuing=True DoesNotExist', 'Ready=False DoesNotExist']]);
    const cr = newRequest(cert, 1, 'CSR', NOW);
    expect([cr.name, cr.conditions.map((c) => `${c.type}=${c.status} ${c.reason}`)]).toEqual(['a-tls-1', ['Approved=True cert-manager.io']]);
    const d2 = decideCertificate({ cert, status: d1.kind === 'issue' ? d1.status : EMPTY, secret: { exists: false, certificate: null }, requests: [cr], now: NOW });
    expect(d2.kind).toBe('wait');
    const done = requestIssued(cr, 'PEM', '', NOW);
    const d3 = decideCertificate({ cert, status: EMPTY, secret: { exists: false, certificate: null }, requests: [done], now: NOW });
    expect(d3.kind).toBe('store');
    const after = statusAfterIssue(EMPTY, done, issued, '', NOW);
    expect([after.revision, after.conditions.map((c) => `${c.type}=${c.status}`)]).toEqual([1, ['Ready=True']]);
  });
  it('failed request -> Issuing False Failed, retried an hour later with the same revision', () => {
    const cert = shimmed();
    const cr = { ...newRequest(cert, 1, 'CSR', NOW), conditions: [{ type: 'Ready', status: 'False' as const, reason: 'Failed', message: 'order is invalid', lastTransitionTime: '' }] };
    const d = decideCertificate({ cert, status: EMPTY, secret: { exists: false, certificate: null }, requests: [cr], now: NOW });
    expect(d.kind === 'failed' && [d.retryAt.toISOString(), d.status.conditions.find((c) => c.type === 'Issuing')?.message]).toEqual(
      ['2026-05-01T11:00:00.000Z', 'The certificate request has failed to complete and will be retried: order is invalid']);
    const later = decideCertificate({ cert, status: d.kind === 'failed' ? d.status : EMPTY, secret: { exists: false, certificate: null }, requests: [cr], now: new Date('2026-05-01T11:00:01Z') });
    expect(later.kind === 'issue' && [later.revision, later.replace]).toEqual([1, 'a-tls-1']);
  });
});

describe('CertificateRequest, Order and Challenge', () => {
  const cert = shimmed();
  const cr = newRequest(cert, 1, 'CSR', NOW);
  it('issuer missing -> Pending with cert-manager\'s message', () => {
    const d = decideRequest(cr, null, null, NOW);
    expect(d.kind === 'pending' && d.request.conditions.find((c) => c.type === 'Ready')?.message).toBe('Referenced "ClusterIssuer" not found: clusterissuer.cert-manager.io "le" not found');
  });
  it('ACME: no order -> create one named <request>-<hash>; pending order -> Waiting on it; valid -> Issued', () => {
    expect(decideRequest(cr, issuer(), null, NOW).kind).toBe('create-order');
    const order = newOrder(cr, cert, NOW);
    expect(order.name).toMatch(/^a-tls-1-\d+$/);
    const pending = orderFromServer(order, {
      url: 'https://acme/order/1', status: 'pending', finalize: 'https://acme/finalize/1', error: '',
      authorizations: [{ url: 'https://acme/authz/1', identifier: 'a.example.com', wildcard: false, status: 'pending', challenges: [{ type: 'http-01', url: 'https://acme/chal/1', token: 'TOK' }] }],
    });
    const d = decideRequest(cr, issuer(), pending, NOW);
    expect(d.kind === 'pending' && d.request.conditions.find((c) => c.type === 'Ready')?.message).toBe(`Waiting on certificate issuance from order shop/${order.name}: "pending"`);
    const issuedReq = decideRequest(cr, issuer(), { ...pending, state: 'valid', certificatePem: 'PEM' }, NOW);
    expect(issuedReq.kind === 'issued' && issuedReq.request.conditions.map((c) => `${c.type}=${c.status} ${c.reason}`)).toEqual(['Approved=True cert-manager.io', 'Ready=True Issued']);
    const failed = decideRequest(cr, issuer(), { ...pending, state: 'invalid', reason: 'bad' }, NOW);
    expect(failed.kind === 'failed' && failed.request.conditions.find((c) => c.type === 'Ready')?.message).toBe(`Failed to wait for order resource "${order.name}" to become ready: order is in "invalid" state: bad`);
  });
  function challenge(): ChallengeObject {
    const order = orderFromServer(newOrder(cr, cert, NOW), {
      url: 'u', status: 'pending', finalize: 'f', error: '',
      authorizations: [{ url: 'https://acme/authz/1', identifier: 'a.example.com', wildcard: false, status: 'pending', challenges: [{ type: 'dns-01', url: 'd', token: 'X' }, { type: 'http-01', url: 'https://acme/chal/1', token: 'TOK' }] }],
    });
    const plan = challengesForOrder(order, issuer(), (t) => `${t}.THUMB`, NOW);
    if (plan.kind !== 'challenges') throw new Error(plan.reason);
    return plan.challenges[0]!;
  }
  it('one HTTP-01 Challenge per pending authorization, key = token.thumbprint, the issuer\'s solver', () => {
    const ch = challenge();
    expect([ch.type, ch.dnsName, ch.token, ch.key, ch.url, ch.state, ch.solver.ingressClassName]).toEqual(['HTTP-01', 'a.example.com', 'TOK', 'TOK.THUMB', 'https://acme/chal/1', 'pending', 'nginx']);
  });
  it.each([
    [{ kind: 'error' as const, detail: 'dial tcp 198.51.100.10:80: connect: connection refused' },
      "Waiting for HTTP-01 challenge propagation: failed to perform self check GET request 'http://a.example.com/.well-known/acme-challenge/TOK': Get \"http://a.example.com/.well-known/acme-challenge/TOK\": dial tcp 198.51.100.10:80: connect: connection refused"],
    [{ kind: 'status' as const, code: 404 }, "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'"],
    [{ kind: 'body' as const, got: 'hello' }, 'Waiting for HTTP-01 challenge propagation: did not get expected response when querying endpoint, expected "TOK.THUMB" but got: hello'],
    [{ kind: 'ok' as const }, ''],
  ])('self check %j -> reason', (check, reason) => {
    expect(challengeAfterSelfCheck(challenge(), check).reason).toBe(reason);
  });
  it('server says valid -> valid, and the order is ready; invalid -> the order is invalid with the reason', () => {
    const ch = challenge();
    const valid = challengeAfterValidation(ch, { status: 'valid', error: '' });
    expect([valid.state, valid.processing, valid.presented, valid.reason]).toEqual(['valid', false, false, 'Successfully authorized domain']);
    const order = { ...newOrder(cr, cert, NOW), state: 'pending' as const };
    expect(orderAfterChallenges(order, [valid]).state).toBe('ready');
    const bad = challengeAfterValidation(ch, { status: 'invalid', error: '400 urn:ietf:params:acme:error:connection: refused' });
    expect(orderAfterChallenges(order, [bad])).toMatchObject({ state: 'invalid', reason: 'Error accepting authorization: acme: authorization error for a.example.com: 400 urn:ietf:params:acme:error:connection: refused' });
  });
  it('wildcard names cannot be solved with HTTP-01', () => {
    const order = orderFromServer(newOrder(cr, cert, NOW), { url: 'u', status: 'pending', finalize: 'f', error: '',
      authorizations: [{ url: 'a', identifier: 'example.com', wildcard: true, status: 'pending', challenges: [{ type: 'http-01', url: 'c', token: 'T' }] }] });
    expect(challengesForOrder(order, issuer(), (t) => t, NOW).kind).toBe('no-solver');
  });
  it('solver objects: pod on 8089 with the token and key, a NodePort Service, an Ingress for the token path with the class', () => {
    const ch = challenge();
    const { pod, service, ingress: ing } = solverObjects(ch, ['knet-acmesolver']);
    const name = (pod['metadata'] as { name: string }).name;
    expect(name).toMatch(/^cm-acme-http-solver-[a-z0-9]{5}$/);
    expect(pod).toMatchObject({ spec: { containers: [{ args: ['--listen-port=8089', '--domain=a.example.com', '--token=TOK', '--key=TOK.THUMB'], ports: [{ containerPort: 8089 }] }] } });
    expect(service).toMatchObject({ metadata: { name }, spec: { type: 'NodePort', ports: [{ port: 8089, targetPort: 8089 }] } });
    expect(ing).toMatchObject({ metadata: { name }, spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com', http: { paths: [{ path: '/.well-known/acme-challenge/TOK', backend: { service: { name, port: { number: 8089 } } } }] } }] } });
  });
  it('wire form reads back as the same object', () => {
    const ch = challengeAfterSelfCheck(challenge(), { kind: 'status', code: 404 });
    const back = decodeCertManagerObject({ file: 'x', value: challengeWire(ch), locate: () => ({ file: 'x', line: 1, col: 1 }) });
    expect(back).toEqual(ch);
    const req = requestIssued(cr, 'PEM', 'CA', NOW);
    expect(decodeCertManagerObject({ file: 'x', value: requestWire(req, 'uid'), locate: () => ({ file: 'x', line: 1, col: 1 }) })).toEqual(req);
    expect(decodeCertificateStatus(null)).toEqual(EMPTY);
  });
});
