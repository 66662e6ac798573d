import { describe, expect, it } from 'vitest';
import { fillIn, type Cluster } from './fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { certManagerEvents } from './cert-manager-events.js';

const issuer = `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec: {acme: {server: "https://acme.example/dir", privateKeySecretRef: {name: le}, solvers: [{http01: {ingress: {ingressClassName: nginx}}}]}}
`;
const cert = (ready: boolean) => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: shop-tls, namespace: production, uid: 7d2c91aa-0000-4000-8000-000000000001}
spec: {secretName: shop-tls, dnsNames: [shop.example.com], issuerRef: {name: letsencrypt, kind: ClusterIssuer, group: cert-manager.io}}
${ready ? 'status: {conditions: [{type: Ready, status: "True"}]}\n' : ''}`;
const request = (ready: boolean) => `apiVersion: cert-manager.io/v1
kind: CertificateRequest
metadata:
  name: shop-tls-1
  namespace: production
  ownerReferences: [{apiVersion: cert-manager.io/v1, kind: Certificate, name: shop-tls, uid: c1, controller: true}]
spec: {request: "", issuerRef: {name: letsencrypt, kind: ClusterIssuer, group: cert-manager.io}}
status: {conditions: [{type: Approved, status: "True"}${ready ? ', {type: Ready, status: "True"}' : ''}]}
`;
const order = (state: string) => `apiVersion: acme.cert-manager.io/v1
kind: Order
metadata:
  name: shop-tls-1-2843179063
  namespace: production
  ownerReferences: [{apiVersion: cert-manager.io/v1, kind: CertificateRequest, name: shop-tls-1, uid: r1, controller: true}]
spec: {request: "", dnsNames: [shop.example.com], issuerRef: {name: letsencrypt, kind: ClusterIssuer, group: cert-manager.io}}
status: {state: ${state}}
`;
const challenge = (presented: boolean, state: string) => `apiVersion: acme.cert-manager.io/v1
kind: Challenge
metadata:
  name: shop-tls-1-2843179063-1736510431
  namespace: production
  ownerReferences: [{apiVersion: acme.cert-manager.io/v1, kind: Order, name: shop-tls-1-2843179063, uid: o1, controller: true}]
spec: {dnsName: shop.example.com, type: HTTP-01, token: t, key: k, url: u, authorizationURL: a, issuerRef: {name: letsencrypt, kind: ClusterIssuer, group: cert-manager.io}}
status: {processing: ${state !== 'valid'}, presented: ${presented}, state: ${state}}
`;

function cluster(...texts: string[]): Cluster {
  return fillIn(decodeObjects(parseText('c.yaml', [issuer, ...texts].join('---\n')).objects).inventory).cluster;
}

/** As `kubectl get events -n production` reads them: TYPE REASON OBJECT MESSAGE (and the reporting controller). */
const lines = (before: Cluster, after: Cluster) => certManagerEvents(before, after)
  .map((e) => `${e.type} ${e.reason} ${e.involved.kind.toLowerCase()}/${e.involved.name} (${e.component}) ${e.message}`);

describe('cert-manager\'s steps as Events, an HTTP-01 issuance walked through', () => {
  const stages = [
    cluster(),
    cluster(cert(false)),
    cluster(cert(false), request(false)),
    cluster(cert(false), request(false), order('pending')),
    cluster(cert(false), request(false), order('pending'), challenge(false, 'pending')),
    cluster(cert(false), request(false), order('pending'), challenge(true, 'pending')),
    cluster(cert(false), request(false), order('valid'), challenge(true, 'valid')),
    cluster(cert(true), request(true), order('valid')),
  ];
  const step = (i: number) => lines(stages[i - 1]!, stages[i]!);

  it('the Certificate appears: the trigger issues (no Secret yet), the key manager stores a key', () => {
    expect(step(1)).toEqual([
      'Normal Issuing certificate/shop-tls (cert-manager-certificates-trigger) Issuing certificate as Secret does not exist',
      'Normal Generated certificate/shop-tls (cert-manager-certificates-key-manager) Stored new private key in temporary Secret resource "shop-tls-7d2c9"',
    ]);
  });

  it('the CertificateRequest: Requested on the Certificate, approved by cert-manager.io', () => {
    expect(step(2)).toEqual([
      'Normal Requested certificate/shop-tls (cert-manager-certificates-request-manager) Created new CertificateRequest resource "shop-tls-1"',
      'Normal cert-manager.io certificaterequest/shop-tls-1 (cert-manager-certificaterequests-approver) Certificate request has been approved by cert-manager.io',
    ]);
  });

  it('the Order: OrderCreated and OrderPending on the CertificateRequest', () => {
    expect(step(3)).toEqual([
      'Normal OrderCreated certificaterequest/shop-tls-1 (cert-manager-certificaterequests-issuer-acme) Created Order resource production/shop-tls-1-2843179063',
      'Normal OrderPending certificaterequest/shop-tls-1 (cert-manager-certificaterequests-issuer-acme) Waiting on certificate issuance from order production/shop-tls-1-2843179063: "pending"',
    ]);
  });

  it('the Challenge: Created on the Order, Started, then Presented', () => {
    expect(step(4)).toEqual([
      'Normal Created order/shop-tls-1-2843179063 (cert-manager-orders) Created Challenge resource "shop-tls-1-2843179063-1736510431" for domain "shop.example.com"',
      'Normal Started challenge/shop-tls-1-2843179063-1736510431 (cert-manager-challenges) Challenge scheduled for processing',
    ]);
    expect(step(5)).toEqual(['Normal Presented challenge/shop-tls-1-2843179063-1736510431 (cert-manager-challenges) Presented challenge using HTTP-01 challenge mechanism']);
  });

  it('validated: DomainVerified, the Order Complete, the request issued, the Certificate issued', () => {
    expect(step(6)).toEqual([
      'Normal DomainVerified challenge/shop-tls-1-2843179063-1736510431 (cert-manager-challenges) Domain "shop.example.com" verified with "HTTP-01" validation',
      'Normal Complete order/shop-tls-1-2843179063 (cert-manager-orders) Order completed successfully',
    ]);
    expect(step(7)).toEqual([
      'Normal CertificateIssued certificaterequest/shop-tls-1 (cert-manager-certificaterequests-issuer-acme) Certificate fetched from issuer successfully',
      'Normal Issuing certificate/shop-tls (cert-manager-certificates-issuing) The certificate has been successfully issued',
    ]);
  });

  it('a Challenge the ACME server refuses: Warning Failed with the reason', () => {
    const refused = challenge(true, 'invalid').replace('state: invalid}', 'state: invalid, reason: "acme: authorization error for shop.example.com: 403"}');
    expect(lines(stages[5]!, cluster(cert(false), request(false), order('pending'), refused))).toEqual([
      'Warning Failed challenge/shop-tls-1-2843179063-1736510431 (cert-manager-challenges) Accepting challenge authorization failed: acme: authorization error for shop.example.com: 403',
    ]);
  });
});
