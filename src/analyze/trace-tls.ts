// TLS at the ingress controller: which certificate SNI picks, whether it covers the host,
// and for a Secret cert-manager has yet to write, whether it can: the issuer exists, and
// for ACME HTTP-01 the challenge URL http://<host>/.well-known/acme-challenge/<token> is
// reachable from the internet on port 80, served by this controller (the solver Ingress's
// class), and the solver pod admits the controller (NetworkPolicies).
import { X509Certificate } from 'node:crypto';
import type { RouteDecision } from '../core/ingress/index.js';
import { podPeer } from '../core/policy/peer.js';
import type { Certificate, Ingress, Issuer, IssuerSpec, Pod, Secret } from '../model/types.js';
import { isIngressControllerPod, peerOfPod, type TraceContext } from './trace-context.js';
import { egressStep, ingressStep } from './trace-policy.js';
import { unknownTlsSecret } from './unmodelled.js';
import type { Trace, TraceStep } from './trace-types.js';

type TlsStep = Extract<TraceStep, { layer: 'tls' }>;

/** An outside client's GET of the challenge URL, traced up to the ingress controller. */
export type AcmeProbe = (host: string) => Trace;

export interface CertProblem {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** The message in a few words, for the trace's one line. */
  readonly short: string;
  readonly hint: string;
}

/** What ingress-nginx presents without a usable Secret: its self-signed certificate, by its subject. */
export const FAKE_CERTIFICATE = 'self-signed "Kubernetes Ingress Controller Fake Certificate"';

/** Until cert-manager writes the Secret (the Certificate is Ready), the controller has no certificate of its own for the host. */
export function untilReady(certRef: string): string {
  return `until Certificate ${certRef} is Ready, ingress-nginx serves its ${FAKE_CERTIFICATE}, which clients reject`;
}

/** cert-manager's HTTP-01 solver pod: its default labels and port. */
const SOLVER_LABEL = 'acme.cert-manager.io/http01-solver';
const SOLVER_PORT = 8089;

export function tlsStep(ctx: TraceContext, d: RouteDecision, host: string, probe: AcmeProbe): TlsStep {
  const tls = d.tls!;
  const base = { layer: 'tls' as const, sni: tls.sni, secret: null, certificate: null, details: [] as string[], warning: null, hint: null };
  if (tls.kind === 'default') {
    const own = tls.certificate ? secretOf(ctx, tls.certificate) : null;
    if (own && certificateCovers(own, host) === true) {
      return { ...base, ok: true, secret: tls.certificate, summary: `the controller's default certificate (Secret ${tls.certificate}) covers ${host}: ${tls.why}` };
    }
    const missing = tls.sni !== null ? unknownTlsSecret(ctx.cluster, host) : null;
    if (missing) {
      // Made out of band, as TLS Secrets usually are: whether the cluster has it is unknown.
      return {
        ...base, ok: true, unknown: true, secret: missing.secret,
        summary: `the certificate for ${host} is unknown: ${missing.unknown.reason}`,
        hint: missing.unknown.hint,
      };
    }
    return {
      ...base, ok: false, secret: tls.certificate,
      summary: `the controller presents its default ${tls.certificate ? `certificate (Secret ${tls.certificate})` : FAKE_CERTIFICATE}: ${tls.why}; clients reject it for ${host}`,
      hint: tls.sni === null
        ? 'connect with the host name (SNI), not the address'
        : /not found/.test(tls.why)
          ? `create the Secret (type kubernetes.io/tls), or let cert-manager issue it: annotate the Ingress with cert-manager.io/cluster-issuer`
          : `list ${host} under spec.tls[].hosts of its Ingress, with a secretName`,
    };
  }
  const secret = secretOf(ctx, tls.secret);
  if (secret) {
    const covers = certificateCovers(secret, host);
    if (covers === false) {
      return { ...base, ok: false, secret: tls.secret, summary: `the certificate in Secret ${tls.secret} does not cover ${host} (${subjectNames(secret)}): clients reject it`, hint: `issue a certificate for ${host} into ${tls.secret}, or list ${host} in its cert-manager Certificate's dnsNames` };
    }
    if (covers === null) {
      return { ...base, ok: false, secret: tls.secret, summary: `Secret ${tls.secret}'s tls.crt is not a PEM certificate: the controller falls back to its default certificate`, hint: `put a PEM certificate and key in ${tls.secret} (kubectl create secret tls)` };
    }
    return { ...base, ok: true, secret: tls.secret, summary: `SNI ${tls.sni} -> Secret ${tls.secret}, whose certificate covers ${host}` };
  }
  const cert = ctx.cluster.certificates.find((c) => `${c.meta.namespace}/${c.meta.name}` === tls.issuedBy);
  if (!cert) return { ...base, ok: true, secret: tls.secret, summary: `SNI ${tls.sni} -> Secret ${tls.secret}` };
  const problems = certificateProblems(ctx, cert, probe);
  const errors = problems.filter((p) => p.severity === 'error');
  const certRef = `${cert.meta.namespace}/${cert.meta.name}`;
  const withCert = { ...base, secret: tls.secret, certificate: certRef, details: problems.map((p) => `${p.severity}: ${p.message}`) };
  if (errors.length > 0) {
    return {
      ...withCert, ok: false,
      summary: `Secret ${tls.secret} does not exist and cert-manager cannot issue it: ${errors[0]!.short}; the controller presents its ${FAKE_CERTIFICATE}, which clients reject`,
      hint: errors[0]!.hint,
    };
  }
  const warning = problems.find((p) => p.severity === 'warning');
  return {
    ...withCert, ok: true,
    summary: `SNI ${tls.sni} -> Secret ${tls.secret}, ${cert.readyCondition ? `from the Ready Certificate ${certRef}` : `which cert-manager Certificate ${certRef} can issue (${issuerText(ctx, cert)}); ${untilReady(certRef)}`}`,
    warning: warning ? `${warning.message}; ${warning.hint}` : null,
  };
}

/** Why cert-manager cannot issue (or keep renewing) a Certificate; empty when it can. */
export function certificateProblems(ctx: TraceContext, cert: Certificate, probe: AcmeProbe): CertProblem[] {
  const ref = `${cert.meta.namespace}/${cert.meta.name}`;
  const issuer = issuerOf(ctx, cert);
  const kind = cert.issuerRef.kind || 'Issuer';
  if (!issuer) {
    return [{
      code: 'certificate-issuer-missing', severity: 'error',
      message: `${kind} ${kind === 'ClusterIssuer' ? '' : `${cert.meta.namespace}/`}${cert.issuerRef.name} named by Certificate ${ref} does not exist`,
      short: `its ${kind} ${cert.issuerRef.name} does not exist`,
      hint: `create the ${kind}, or fix the ${cert.generatedBy ? 'cert-manager.io/cluster-issuer (or issuer) annotation' : 'spec.issuerRef'}: kubectl get clusterissuers,issuers -A`,
    }];
  }
  const problems: CertProblem[] = [];
  const solver = issuer.spec.type === 'acme' ? issuer.spec.http01[0] : undefined;
  if (solver && cert.readyCondition !== true) {
    const ing = cert.generatedBy.startsWith('Ingress ') ? ingressNamed(ctx, cert.generatedBy.slice(8)) : null;
    const cls = solverClass(ctx, solver, ing);
    if (!cls.served) {
      problems.push({
        code: 'acme-http01-class-mismatch', severity: 'error',
        message: `the HTTP-01 solver's Ingress gets ${cls.text}, which the ingress controller (${ctx.routes.controller.controllerClass}) does not serve: the challenge URL answers from the app, not with the token`,
        short: `the HTTP-01 solver's Ingress gets ${cls.text}, which this ingress controller does not serve`,
        hint: `set spec.acme.solvers[].http01.ingress.ingressClassName of ${issuer.kind} ${issuer.meta.name} to ${servedClassNames(ctx).join(' or ') || 'the controller\'s IngressClass'}`,
      });
    }
    for (const host of cert.dnsNames) {
      if (host.startsWith('*.')) {
        problems.push({ code: 'acme-http01-wildcard', severity: 'error', message: `${host} is a wildcard: ACME validates wildcards with DNS-01 only`, short: `HTTP-01 cannot validate the wildcard ${host}`, hint: `add a dns01 solver to ${issuer.kind} ${issuer.meta.name} for ${host}` });
        continue;
      }
      const t = probe(host);
      if (t.verdict === 'failed') {
        problems.push({
          code: 'acme-http01-unreachable', severity: 'error',
          message: `http://${host}/.well-known/acme-challenge/… is not reachable from the internet on port 80: ${t.reason}`,
          short: `the HTTP-01 challenge cannot reach it: port 80 of ${host} is not reachable from the internet`,
          hint: port80Hint(t),
        });
      }
    }
    const blocked = solverBlocked(ctx, cert.meta.namespace);
    if (blocked) problems.push(blocked);
  }
  if (cert.readyCondition === false && !problems.some((p) => p.severity === 'error')) {
    problems.push({ code: 'certificate-not-ready', severity: 'error', message: `Certificate ${ref} is not Ready (its status says so): until it is, ingress-nginx serves its ${FAKE_CERTIFICATE} for ${cert.dnsNames.join(', ')}`, short: `Certificate ${ref} is not Ready`, hint: `kubectl describe certificate -n ${cert.meta.namespace} ${cert.meta.name}; kubectl get challenges -n ${cert.meta.namespace}` });
  }
  return problems;
}

/** The solver pod cert-manager creates in the Certificate's namespace, as the policies would see it. */
function solverBlocked(ctx: TraceContext, ns: string): CertProblem | null {
  const controller = ctx.cluster.pods.find(isIngressControllerPod);
  if (!controller || ctx.enforcement.kind !== 'enforced') return null;
  const solver: Pod = {
    ...controller,
    meta: { ...controller.meta, namespace: ns, name: 'cm-acme-http-solver', labels: { [SOLVER_LABEL]: 'true' } },
    spec: { ...controller.spec, hostNetwork: false, containers: [{ ...controller.spec.containers[0]!, ports: [{ name: 'http', containerPort: SOLVER_PORT, protocol: 'TCP', hostPort: 0, hostIP: '' }] }], initContainers: [] },
  };
  const src = peerOfPod(ctx, controller);
  const dst = podPeer(solver, ctx.namespaceLabels.get(ns) ?? {});
  const traffic = { port: SOLVER_PORT, protocol: 'TCP' as const };
  const denied = [egressStep(ctx, src, dst, traffic), ingressStep(ctx, src, dst, traffic)].find((s) => s && !s.ok);
  if (!denied || denied.layer !== 'policy') return null;
  const by = denied.isolatedBy.join(', ');
  return {
    code: 'acme-solver-blocked-by-policy', severity: 'warning',
    short: `the HTTP-01 solver pod in ${ns} would not admit the ingress controller (NetworkPolicy)`,
    message: denied.direction === 'ingress'
      ? `cert-manager's HTTP-01 solver pod in ${ns} (port ${SOLVER_PORT}) would be isolated by ${by}, so the ingress controller cannot reach it: issuance and renewal fail (504)`
      : `the ingress controller's egress is isolated by ${by}: it cannot reach cert-manager's HTTP-01 solver pod in ${ns} (port ${SOLVER_PORT})`,
    hint: denied.direction === 'ingress'
      ? `allow ingress from namespace ${controller.meta.namespace} to pods labelled ${SOLVER_LABEL}: "true" in ${ns} on TCP ${SOLVER_PORT}`
      : `allow egress from the ingress controller to TCP ${SOLVER_PORT} in ${ns}`,
  };
}

function port80Hint(t: Trace): string {
  const svc = t.steps.find((s) => s.layer === 'service' && !s.ok);
  if (svc && svc.layer === 'service' && /has no port 80\//.test(svc.summary)) {
    const ref = /of ([^ ]+), which has no port/.exec(svc.summary)?.[1] ?? 'the ingress controller\'s Service';
    return `add port 80 to Service ${ref} (e.g. {name: http, port: 80, targetPort: http}): ACME's HTTP-01 challenge comes over plain HTTP on port 80`;
  }
  return `HTTP-01 needs port 80 of the ingress controller open to the internet: ${t.hint ?? 'expose port 80 on its Service'}`;
}

function solverClass(ctx: TraceContext, solver: IssuerSpec['http01'][number], ing: Ingress | null): { served: boolean; text: string } {
  const c = ctx.routes.controller;
  const name = ing?.meta.annotations['acme.cert-manager.io/http01-ingress-ingressclassname'] ?? solver.ingressClassName;
  const legacy = ing?.meta.annotations['acme.cert-manager.io/http01-ingress-class'] ?? solver.ingressClass;
  if (name) {
    const k = ctx.cluster.ingressClasses.find((x) => x.meta.name === name);
    const served = (k !== undefined && k.controller === c.controllerClass) || (c.ingressClassByName && name === c.ingressClass);
    return { served, text: `ingressClassName ${name}${k ? ` (controller ${k.controller})` : ' (no such IngressClass)'}` };
  }
  if (legacy) return { served: legacy === c.ingressClass, text: `class annotation ${legacy}` };
  const def = ctx.cluster.ingressClasses.find((k) => k.isDefault);
  return { served: def ? def.controller === c.controllerClass : c.watchWithoutClass, text: `no class${def ? ` (the default IngressClass ${def.meta.name})` : ''}` };
}

function servedClassNames(ctx: TraceContext): string[] {
  return ctx.cluster.ingressClasses.filter((k) => k.controller === ctx.routes.controller.controllerClass).map((k) => k.meta.name);
}

export function issuerOf(ctx: TraceContext, cert: Certificate): Issuer | null {
  const kind = cert.issuerRef.kind || 'Issuer';
  return ctx.cluster.issuers.find((i) => i.kind === kind && i.meta.name === cert.issuerRef.name &&
    (kind === 'ClusterIssuer' || i.meta.namespace === cert.meta.namespace)) ?? null;
}

function issuerText(ctx: TraceContext, cert: Certificate): string {
  const i = issuerOf(ctx, cert);
  if (!i) return 'no issuer';
  const solver = i.spec.type === 'acme' ? i.spec.http01[0] : undefined;
  const how = i.spec.type === 'acme' ? (solver ? `ACME HTTP-01, port 80 reachable, class ${solver.ingressClassName || solver.ingressClass || 'default'} served` : 'ACME, not HTTP-01: not checked') : i.spec.type;
  return `${i.kind} ${i.meta.name}: ${how}`;
}

function ingressNamed(ctx: TraceContext, ref: string): Ingress | null {
  return ctx.cluster.ingresses.find((i) => `${i.meta.namespace}/${i.meta.name}` === ref) ?? null;
}

function secretOf(ctx: TraceContext, ref: string): Secret | null {
  return ctx.cluster.secrets.find((s) => `${s.meta.namespace}/${s.meta.name}` === ref) ?? null;
}

function parseCertificate(secret: Secret): X509Certificate | null {
  const data = secret.data['tls.crt'];
  if (!data) return null;
  try {
    return new X509Certificate(Buffer.from(data, 'base64'));
  } catch {
    return null;
  }
}

/** true or false when the Secret holds a certificate; null when it holds none that parses. */
export function certificateCovers(secret: Secret, host: string): boolean | null {
  const x = parseCertificate(secret);
  if (!x) return null;
  return x.checkHost(host, { wildcards: true, singleLabelSubdomains: false }) !== undefined;
}

function subjectNames(secret: Secret): string {
  const x = parseCertificate(secret);
  return x?.subjectAltName ?? x?.subject.replace(/\n/g, ', ') ?? 'no names';
}
