// cert-manager's objects in their wire form (the API's JSON), as the controller stores
// them and `knet get -o yaml` prints them: Certificate status, CertificateRequest, Order,
// Challenge, the HTTP-01 solver's Pod, Service and Ingress, and the kubernetes.io/tls Secret.
import type {
  CertificateRequestObject, CertificateStatus, ChallengeObject, Condition, IssuerRef, OrderObject,
} from '../../model/decode-cert-manager.js';
import type { Certificate } from '../../model/types.js';
import { CHALLENGE_PATH } from './acme.js';
import { timeText } from './conditions.js';
import { labelHash, solverName } from './names.js';

export type Wire = Record<string, unknown>;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function owner(apiVersion: string, kind: string, name: string, uid: string): Wire {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

function conditions(list: readonly Condition[]): Wire[] {
  return list.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}) }));
}

function issuerRef(r: IssuerRef): Wire {
  return { name: r.name, kind: r.kind, group: r.group };
}

/** A Certificate with its status: the stored object's spec as it was, or the shim's spec. */
export function certificateWire(cert: Certificate, status: CertificateStatus): Wire {
  const base: Wire = cert.raw
    ? structuredClone(cert.raw.value)
    : {
      apiVersion: 'cert-manager.io/v1', kind: 'Certificate',
      metadata: {
        name: cert.meta.name, namespace: cert.meta.namespace, uid: cert.meta.uid,
        ...(cert.meta.creationTimestamp ? { creationTimestamp: cert.meta.creationTimestamp } : {}),
        ownerReferences: cert.meta.ownerReferences.map((o) => owner(o.kind === 'Ingress' ? 'networking.k8s.io/v1' : 'v1', o.kind, o.name, o.uid)),
      },
      spec: {
        dnsNames: [...cert.dnsNames], issuerRef: issuerRef(cert.issuerRef), secretName: cert.secretName,
        ...(cert.commonName ? { commonName: cert.commonName } : {}),
        ...(cert.duration !== '2160h' ? { duration: cert.duration } : {}),
        ...(cert.renewBefore ? { renewBefore: cert.renewBefore } : {}),
        usages: ['digital signature', 'key encipherment'],
      },
    };
  const s: Wire = { conditions: conditions(status.conditions) };
  if (status.notBefore) s['notBefore'] = status.notBefore;
  if (status.notAfter) s['notAfter'] = status.notAfter;
  if (status.renewalTime) s['renewalTime'] = status.renewalTime;
  if (status.revision > 0) s['revision'] = status.revision;
  if (status.lastFailureTime) s['lastFailureTime'] = status.lastFailureTime;
  return { ...base, status: s };
}

export function requestWire(cr: CertificateRequestObject, certUid: string): Wire {
  const status: Wire = { conditions: conditions(cr.conditions) };
  if (cr.certificatePem) status['certificate'] = b64(cr.certificatePem);
  if (cr.caPem) status['ca'] = b64(cr.caPem);
  return {
    apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest',
    metadata: {
      name: cr.name, namespace: cr.namespace, creationTimestamp: cr.creationTimestamp,
      annotations: {
        'cert-manager.io/certificate-name': cr.certificate,
        'cert-manager.io/certificate-revision': String(cr.revision),
        'cert-manager.io/private-key-secret-name': `${cr.certificate}-key`,
      },
      ownerReferences: [owner('cert-manager.io/v1', 'Certificate', cr.certificate, certUid)],
    },
    spec: {
      issuerRef: issuerRef(cr.issuerRef), request: b64(cr.requestPem), duration: cr.duration,
      usages: ['digital signature', 'key encipherment'],
    },
    status,
  };
}

export function orderWire(o: OrderObject): Wire {
  const status: Wire = {};
  if (o.state) status['state'] = o.state;
  if (o.url) status['url'] = o.url;
  if (o.finalizeURL) status['finalizeURL'] = o.finalizeURL;
  if (o.authorizations.length) {
    status['authorizations'] = o.authorizations.map((a) => ({
      url: a.url, identifier: a.identifier, wildcard: a.wildcard, initialState: a.initialState,
      challenges: a.challenges.map((c) => ({ type: c.type, url: c.url, token: c.token })),
    }));
  }
  if (o.reason) status['reason'] = o.reason;
  if (o.certificatePem) status['certificate'] = b64(o.certificatePem);
  return {
    apiVersion: 'acme.cert-manager.io/v1', kind: 'Order',
    metadata: {
      name: o.name, namespace: o.namespace, creationTimestamp: o.creationTimestamp,
      ownerReferences: [owner('cert-manager.io/v1', 'CertificateRequest', o.request, '')],
    },
    spec: {
      request: b64(o.csrPem), issuerRef: issuerRef(o.issuerRef), dnsNames: [...o.dnsNames],
      ...(o.commonName ? { commonName: o.commonName } : {}),
    },
    status,
  };
}

export function challengeWire(ch: ChallengeObject): Wire {
  const ingress: Wire = {};
  if (ch.solver.ingressClassName) ingress['ingressClassName'] = ch.solver.ingressClassName;
  if (ch.solver.ingressClass) ingress['class'] = ch.solver.ingressClass;
  if (ch.solver.serviceType) ingress['serviceType'] = ch.solver.serviceType;
  return {
    apiVersion: 'acme.cert-manager.io/v1', kind: 'Challenge',
    metadata: {
      name: ch.name, namespace: ch.namespace, creationTimestamp: ch.creationTimestamp,
      finalizers: ['finalizer.acme.cert-manager.io'],
      ownerReferences: [owner('acme.cert-manager.io/v1', 'Order', ch.order, '')],
    },
    spec: {
      authorizationURL: ch.authorizationURL, dnsName: ch.dnsName, issuerRef: issuerRef(ch.issuerRef),
      key: ch.key, solver: { http01: { ingress } }, token: ch.token, type: ch.type, url: ch.url, wildcard: false,
    },
    status: { presented: ch.presented, processing: ch.processing, reason: ch.reason, state: ch.state },
  };
}

export const SOLVER_PORT = 8089;
export const SOLVER_LABEL = 'acme.cert-manager.io/http01-solver';

/**
 * The HTTP-01 solver cert-manager creates for a Challenge, in its namespace: a Pod answering
 * the token on port 8089, a Service for it (NodePort unless the solver says otherwise) and
 * an Ingress routing /.well-known/acme-challenge/<token> on the host to that Service.
 * `command` is the program that serves it (knet's acmesolver).
 */
export function solverObjects(ch: ChallengeObject, command: readonly string[]): { pod: Wire; service: Wire; ingress: Wire } {
  const name = solverName(ch.namespace, ch.name);
  const labels = {
    'acme.cert-manager.io/http-domain': labelHash(ch.dnsName),
    'acme.cert-manager.io/http-token': labelHash(ch.token),
    [SOLVER_LABEL]: 'true',
  };
  const metadata = (extra: Wire = {}): Wire => ({
    name, namespace: ch.namespace, labels,
    ownerReferences: [owner('acme.cert-manager.io/v1', 'Challenge', ch.name, '')], ...extra,
  });
  const pod: Wire = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: metadata({ annotations: { 'sidecar.istio.io/inject': 'false' } }),
    spec: {
      restartPolicy: 'OnFailure',
      containers: [{
        name: 'acmesolver', image: 'quay.io/jetstack/cert-manager-acmesolver:v1.16.2',
        command: [...command],
        args: [`--listen-port=${SOLVER_PORT}`, `--domain=${ch.dnsName}`, `--token=${ch.token}`, `--key=${ch.key}`],
        ports: [{ name: 'http', containerPort: SOLVER_PORT, protocol: 'TCP' }],
      }],
    },
  };
  const service: Wire = {
    apiVersion: 'v1', kind: 'Service',
    metadata: metadata({ annotations: { 'auth.istio.io/8089': 'NONE' } }),
    spec: {
      type: ch.solver.serviceType || 'NodePort',
      ports: [{ name: 'http', port: SOLVER_PORT, targetPort: SOLVER_PORT, protocol: 'TCP' }],
      selector: labels,
    },
  };
  const annotations: Record<string, string> = { 'nginx.ingress.kubernetes.io/whitelist-source-range': '0.0.0.0/0,::/0' };
  if (ch.solver.ingressClass) annotations['kubernetes.io/ingress.class'] = ch.solver.ingressClass;
  const ingress: Wire = {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: metadata({ annotations }),
    spec: {
      ...(ch.solver.ingressClassName ? { ingressClassName: ch.solver.ingressClassName } : {}),
      rules: [{
        host: ch.dnsName,
        http: { paths: [{ path: `${CHALLENGE_PATH}${ch.token}`, pathType: 'ImplementationSpecific', backend: { service: { name, port: { number: SOLVER_PORT } } } }] },
      }],
    },
  };
  return { pod, service, ingress };
}

/** The Secret a Certificate's issued certificate lands in (kubernetes.io/tls, with ca.crt). */
export function tlsSecretWire(cert: Certificate, keyPem: string, chainPem: string, caPem: string, now: Date): Wire {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
    metadata: {
      name: cert.secretName, namespace: cert.meta.namespace, creationTimestamp: timeText(now),
      annotations: {
        'cert-manager.io/alt-names': cert.dnsNames.join(','),
        'cert-manager.io/certificate-name': cert.meta.name,
        'cert-manager.io/common-name': cert.commonName || (cert.dnsNames[0] ?? ''),
        'cert-manager.io/issuer-group': cert.issuerRef.group,
        'cert-manager.io/issuer-kind': cert.issuerRef.kind,
        'cert-manager.io/issuer-name': cert.issuerRef.name,
      },
      labels: { 'controller.cert-manager.io/fao': 'true' },
    },
    data: { 'tls.crt': b64(chainPem), 'tls.key': b64(keyPem), 'ca.crt': b64(caPem) },
  };
}
