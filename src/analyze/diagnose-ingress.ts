// Ingress and TLS problems: Ingresses no controller serves, backends naming a missing
// Service or port or with no ready endpoint (503), one host and path in two Ingresses,
// TLS Secrets that are missing or do not cover their host, and cert-manager Certificates
// that cannot be issued (missing issuer, HTTP-01 unreachable on port 80, class mismatch).
import { issueAt } from '../cluster/issues.js';
import { leftOutByNginx } from '../model/events.js';
import { admissionProblems } from '../core/ingress/admission.js';
import { resolveBackend } from '../core/ingress/backend.js';
import type { Issue } from '../model/issue.js';
import type { FieldPath } from '../model/source.js';
import type { Certificate, Ingress, IngressBackend } from '../model/types.js';
import { describeOtherClass, LEGACY_CLASS_ANNOTATION } from '../core/ingress/class.js';
import type { TraceContext } from './trace-context.js';
import { explainNoEndpoints } from './trace-service.js';
import { podsUnknown, secretAbsenceUnknown } from './unmodelled.js';
import { certificateCovers, certificateProblems, issuerOf, type AcmeProbe } from './trace-tls.js';

export function ingressFindings(ctx: TraceContext): Issue[] {
  const out: Issue[] = [];
  const served = new Set(ctx.routes.admissions.filter((a) => a.served).map((a) => a.ingress as string));
  const refOf = (i: Ingress) => `${i.meta.namespace}/${i.meta.name}`;
  out.push(...controllerFindings(ctx));
  for (const ing of ctx.cluster.ingresses) {
    if (!served.has(refOf(ing))) continue;
    if (ing.defaultBackend) out.push(...backendFindings(ctx, ing, ing.defaultBackend, ['spec', 'defaultBackend']));
    ing.rules.forEach((r, ri) => r.paths.forEach((p, pi) => {
      out.push(...backendFindings(ctx, ing, p.backend, ['spec', 'rules', ri, 'http', 'paths', pi, 'backend'], `host ${r.host || '*'} path ${p.path || '/'}`));
    }));
  }
  out.push(...admissionFindings(ctx));
  for (const n of ctx.routes.notes) {
    const ing = ctx.cluster.ingresses.find((i) => refOf(i) === n.ingress);
    if (!ing) continue;
    // Snippets and annotations knet does not implement come first-hand from the loader.
    if (n.unsupported) continue;
    if (/is not a valid regular expression/.test(n.message)) continue; // admissionFindings judges regexes as PCRE2 does
    const conflict = /already defined by Ingress/.test(n.message);
    if (n.annotation) {
      out.push(issueAt(ing, ['metadata', 'annotations', n.annotation], 'ingress-annotation', 'warning', `Ingress ${n.ingress}: ${n.message}`, 'fix the annotation\'s value (knet route URL shows what the controller does with it)'));
      continue;
    }
    out.push(issueAt(ing, ['spec', 'rules'], conflict ? 'ingress-path-conflict' : 'ingress-note', conflict ? 'warning' : 'info', `Ingress ${n.ingress}: ${n.message}`,
      conflict ? 'give each host and path one Ingress: remove the duplicate rule, or change its path' : undefined));
  }
  return out;
}

/**
 * Who serves the Ingresses. An Ingress of another controller's class (istio, traefik) is that
 * controller's business, which knet does not model: a note. Ingresses ingress-nginx would
 * serve while no controller pod is in the input: manifests often leave the controller to the
 * cluster (a note), a dump or a running cluster shows every pod (a warning: nothing serves them).
 * With a controller running, an Ingress it leaves out for its own reasons is a warning.
 */
function controllerFindings(ctx: TraceContext): Issue[] {
  const out: Issue[] = [];
  const byRef = new Map(ctx.cluster.ingresses.map((i) => [`${i.meta.namespace}/${i.meta.name}`, i]));
  const c = ctx.routes.controller;
  const ours: Ingress[] = [];
  for (const a of ctx.routes.admissions) {
    const ing = byRef.get(a.ingress);
    if (!ing) continue;
    if (a.otherClass) {
      out.push(issueAt(ing, classField(ing), 'ingress-other-controller', 'info',
        `Ingress ${a.ingress}: ${describeOtherClass(a.otherClass)} is served by a controller knet does not model: what it answers is unknown`,
        `nothing to do if that controller runs in the cluster; knet predicts Ingresses of ingress-nginx (class ${c.ingressClass})`));
    } else {
      ours.push(ing);
      if (!a.served && ctx.routes.running) out.push(issueAt(ing, ['spec', 'ingressClassName'], 'ingress-not-served', 'warning', `Ingress ${a.ingress} is not served by the ingress controller: ${a.why}`, `set spec.ingressClassName to ${c.ingressClass} (an IngressClass of controller ${c.controllerClass})`));
    }
  }
  if (ours.length > 0 && !ctx.routes.running) {
    const listsPods = ctx.cluster.pods.some((p) => p.generatedBy === '' && p.meta.ownerReferences.length > 0);
    out.push(issueAt(ours[0]!, ['metadata', 'name'], 'ingress-no-controller', listsPods ? 'warning' : 'info',
      listsPods
        ? `${ours.length} Ingress object(s) but no ingress controller pod runs in the cluster: nothing serves them`
        : `${ours.length} Ingress object(s) but no ingress controller in the input: knet cannot predict what serves them (a cluster with ingress-nginx would)`,
      listsPods ? 'install an ingress controller (ingress-nginx: its Deployment and LoadBalancer Service)' : 'add the ingress-nginx controller\'s manifests to the input for knet route and trace to answer'));
  }
  return out;
}

/** Where an Ingress says its class: spec.ingressClassName, else the legacy annotation. */
function classField(ing: Ingress): FieldPath {
  return ing.ingressClassName || ing.meta.annotations[LEGACY_CLASS_ANNOTATION] === undefined
    ? ['spec', 'ingressClassName'] : ['metadata', 'annotations', LEGACY_CLASS_ANNOTATION];
}

/**
 * What ingress-nginx's webhook would refuse (core/ingress/admission.ts), and on a running
 * cluster the Ingresses its controllers left out because nginx refused the configuration
 * with them (their latest event is a Warning RejectedByNginx).
 */
function admissionFindings(ctx: TraceContext): Issue[] {
  const out: Issue[] = [];
  const byRef = new Map(ctx.cluster.ingresses.map((i) => [`${i.meta.namespace}/${i.meta.name}`, i]));
  for (const p of admissionProblems(ctx.routes, ctx.cluster.ingresses)) {
    const ing = byRef.get(p.ingress);
    if (!ing) continue;
    out.push(issueAt(ing, p.field, p.code, p.severity,
      p.severity === 'error' ? `Ingress ${p.ingress}: nginx would refuse the configuration (ingress-nginx's admission webhook refuses the Ingress): ${p.message}` : `Ingress ${p.ingress}: ${p.message}`, p.hint));
  }
  const left = leftOutByNginx(ctx.cluster.others);
  for (const ing of ctx.cluster.ingresses) {
    const last = left.get(`${ing.meta.namespace}/${ing.meta.name}`);
    if (!last) continue;
    const field = last.involvedObject.fieldPath ? parseFieldPath(last.involvedObject.fieldPath) : ['metadata', 'name'];
    out.push(issueAt(ing, field, 'ingress-left-out-by-nginx', 'error',
      `Ingress ${ing.meta.namespace}/${ing.meta.name} is not served: ${last.message} (since ${last.firstTimestamp}, ${last.count} time${last.count === 1 ? '' : 's'})`,
      'fix the field nginx refuses (knet get events shows every report); the controllers take the Ingress back on the next change that nginx accepts'));
  }
  return out;
}

/** `spec.rules[0].http.paths[1].path`, `metadata.annotations["a/b"]` as a field path (model/decoder.ts formatPath, reversed). */
function parseFieldPath(text: string): FieldPath {
  const out: (string | number)[] = [];
  for (const m of text.matchAll(/\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : JSON.parse(m[3]!) as string));
  }
  return out;
}

function backendFindings(ctx: TraceContext, ing: Ingress, b: IngressBackend, path: FieldPath, where = 'defaultBackend'): Issue[] {
  if (!b.service) return [];
  const ns = ing.meta.namespace;
  const ref = `${ns}/${b.service.name}`;
  const r = resolveBackend({ namespace: ns, service: b.service.name, port: b.service.port }, ctx.cluster);
  if (r.upstream.kind === 'ready') return [];
  const ingRef = `${ns}/${ing.meta.name}`;
  const svc = ctx.cluster.services.find((s) => `${s.meta.namespace}/${s.meta.name}` === ref);
  if (!svc) {
    const elsewhere = ctx.cluster.services.filter((s) => s.meta.name === b.service!.name).map((s) => s.meta.namespace);
    return [issueAt(ing, [...path, 'service', 'name'], 'ingress-backend-missing-service', 'error',
      `Ingress ${ingRef} (${where}) sends to Service ${ref}, which does not exist: requests get 503`,
      elsewhere.length ? `a Service ${b.service.name} exists in ${elsewhere.join(', ')}, but an Ingress reaches Services of its own namespace only: put the Ingress in ${elsewhere[0]}` : `create Service ${ref}, or fix the backend's service name`)];
  }
  if (r.upstream.servicePort === null) {
    return [issueAt(ing, [...path, 'service', 'port'], 'ingress-backend-missing-port', 'error',
      `Ingress ${ingRef} (${where}) sends to port ${b.service.port} of Service ${ref}, which has no such port: requests get 503`,
      `use a port the Service defines: ${svc.ports.map((p) => p.name ? `${p.name} (${p.port})` : String(p.port)).join(', ')}`)];
  }
  const why = explainNoEndpoints(ctx, svc);
  const unknown = svc.selector ? podsUnknown(ctx.cluster, svc.meta.namespace, svc.selector, svc.meta.ownerReferences) : null;
  if (unknown) {
    // The backend's pods may come from what knet does not model or the input leaves out: unknown, not 503.
    return [issueAt(ing, [...path, 'service', 'name'], 'ingress-backend-unknown', 'info',
      `Ingress ${ingRef} (${where}): whether its backend Service ${ref} answers or returns 503 is unknown: ${unknown.reason}`, unknown.hint)];
  }
  return [issueAt(ing, [...path, 'service', 'name'], 'ingress-backend-no-endpoints', 'error',
    `Ingress ${ingRef} (${where}) returns 503: its backend Service ${ref} has no ready endpoint: ${why.reason}`, why.hint)];
}

/** TLS Secrets of served Ingresses, and every Certificate cert-manager would have to issue. */
export function tlsFindings(ctx: TraceContext, probe: AcmeProbe): Issue[] {
  const out: Issue[] = [];
  const served = new Set(ctx.routes.admissions.filter((a) => a.served).map((a) => a.ingress as string));
  for (const ing of ctx.cluster.ingresses) {
    const ingRef = `${ing.meta.namespace}/${ing.meta.name}`;
    if (!served.has(ingRef)) continue;
    ing.tls.forEach((t, ti) => {
      if (!t.secretName) return;
      const secretRef = `${ing.meta.namespace}/${t.secretName}`;
      const secret = ctx.cluster.secrets.find((s) => s.meta.namespace === ing.meta.namespace && s.meta.name === t.secretName);
      const path: FieldPath = ['spec', 'tls', ti, 'secretName'];
      if (!secret) {
        if (ctx.cluster.certificates.some((c) => c.meta.namespace === ing.meta.namespace && c.secretName === t.secretName)) return;
        const unknown = secretAbsenceUnknown(ctx.cluster, ing.meta.namespace, t.secretName);
        if (unknown) {
          // Made out of band (kubectl create secret tls), as TLS Secrets usually are: unknown, not missing.
          out.push(issueAt(ing, path, 'tls-secret-unknown', 'info', `${unknown.reason} for ${t.hosts.join(', ')}`, unknown.hint));
          return;
        }
        out.push(issueAt(ing, path, 'tls-secret-missing', 'error',
          `Secret ${secretRef} named by Ingress ${ingRef} does not exist, and no cert-manager Certificate writes it: the controller serves its self-signed default certificate for ${t.hosts.join(', ')}`,
          `create it (kubectl create secret tls ${t.secretName} -n ${ing.meta.namespace} --cert=... --key=...), or annotate the Ingress with cert-manager.io/cluster-issuer`));
        return;
      }
      for (const host of t.hosts) {
        const covers = certificateCovers(secret, host);
        if (covers === true) continue;
        out.push(issueAt(ing, path, covers === null ? 'tls-secret-invalid' : 'tls-certificate-host-mismatch', 'error',
          covers === null
            ? `Secret ${secretRef} holds no PEM certificate in tls.crt: the controller serves its default certificate for ${host}`
            : `the certificate in Secret ${secretRef} does not cover ${host}: clients reject it`,
          covers === null ? `store a certificate and key in it (type kubernetes.io/tls)` : `issue a certificate whose names include ${host}`));
        break;
      }
    });
  }
  for (const cert of ctx.cluster.certificates) {
    if (cert.readyCondition === true) continue;
    const ing = cert.generatedBy.startsWith('Ingress ') ? ctx.cluster.ingresses.find((i) => `Ingress ${i.meta.namespace}/${i.meta.name}` === cert.generatedBy) : undefined;
    if (ing && !served.has(`${ing.meta.namespace}/${ing.meta.name}`)) continue;
    for (const p of certificateProblems(ctx, cert, probe)) {
      out.push({ ...located(ctx, cert, ing ?? null, p.code), code: p.code, severity: p.severity, message: `${certLabel(cert)}: ${p.message}`, hint: p.hint });
    }
  }
  return out;
}

function certLabel(cert: Certificate): string {
  return `Certificate ${cert.meta.namespace}/${cert.meta.name}${cert.generatedBy ? ` (made by cert-manager for ${cert.generatedBy})` : ''}`;
}

/** Where to point: the issuer's solver for class problems, else the Certificate, or the Ingress annotation that makes it. */
function located(ctx: TraceContext, cert: Certificate, ing: Ingress | null, code: string): Omit<Issue, 'code' | 'severity' | 'message'> {
  const issuer = issuerOf(ctx, cert);
  if (code === 'acme-http01-class-mismatch' && issuer) return issueAt(issuer, ['spec', 'acme', 'solvers', 0, 'http01', 'ingress'], code, 'error', '');
  if (cert.raw) return issueAt(cert, code === 'certificate-issuer-missing' ? ['spec', 'issuerRef', 'name'] : ['metadata', 'name'], code, 'error', '');
  if (ing) {
    const key = ing.meta.annotations['cert-manager.io/cluster-issuer'] !== undefined ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer';
    return issueAt(ing, ['metadata', 'annotations', key], code, 'error', '');
  }
  return { file: '', line: 0, col: 0, object: `Certificate ${cert.meta.namespace}/${cert.meta.name}` };
}
