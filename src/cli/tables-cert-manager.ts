// kubectl's columns for cert-manager's kinds (their CRDs' additionalPrinterColumns):
// Certificate READY SECRET AGE, CertificateRequest APPROVED DENIED READY ISSUER REQUESTER AGE,
// Order STATE AGE, Challenge STATE DOMAIN AGE, Issuer and ClusterIssuer READY AGE.
import type { AnyObject } from '../cluster/wire.js';
import type { Certificate } from '../model/types.js';
import type { Columns } from './tables.js';

type Age = (creationTimestamp: string, now: number) => string;

function at(o: AnyObject, ...path: string[]): unknown {
  let v: unknown = o.raw?.value;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function text(o: AnyObject, ...path: string[]): string {
  const v = at(o, ...path);
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function condition(o: AnyObject, type: string, field: 'status' | 'message' = 'status'): string {
  const list = at(o, 'status', 'conditions');
  if (!Array.isArray(list)) return '';
  const c = list.find((x) => x && typeof x === 'object' && (x as Record<string, unknown>)['type'] === type) as Record<string, unknown> | undefined;
  return typeof c?.[field] === 'string' ? c[field] as string : '';
}

/** A Certificate's READY: its stored status; the ingress-shim's, which nothing issued in a prediction, False. */
export function certificateReady(cert: Certificate): string {
  if (cert.readyCondition !== null) return cert.readyCondition ? 'True' : 'False';
  return cert.generatedBy ? 'False' : '';
}

export function certManagerColumns(age: Age): Record<string, Columns> {
  const ageOf = (o: AnyObject, now: number) => age(o.meta.creationTimestamp, now);
  return {
    Certificate: {
      headers: ['READY', 'SECRET', 'AGE'],
      wide: ['ISSUER', 'STATUS'],
      row: (o, _c, now) => { const cert = o as Certificate; return [certificateReady(cert), cert.secretName, ageOf(o, now)]; },
      wideRow: (o) => {
        const cert = o as Certificate;
        const message = condition(o, 'Ready', 'message') || (cert.generatedBy && cert.readyCondition === null ? 'Issuing certificate as Secret does not exist' : '');
        return [cert.issuerRef.name, message];
      },
    },
    CertificateRequest: {
      headers: ['APPROVED', 'DENIED', 'READY', 'ISSUER', 'REQUESTER', 'AGE'],
      wide: ['STATUS'],
      row: (o, _c, now) => [condition(o, 'Approved'), condition(o, 'Denied'), condition(o, 'Ready'), text(o, 'spec', 'issuerRef', 'name'),
        text(o, 'spec', 'username') || 'system:serviceaccount:cert-manager:cert-manager', ageOf(o, now)],
      wideRow: (o) => [condition(o, 'Ready', 'message')],
    },
    Order: {
      headers: ['STATE', 'AGE'],
      wide: ['ISSUER', 'REASON'],
      row: (o, _c, now) => [text(o, 'status', 'state'), ageOf(o, now)],
      wideRow: (o) => [text(o, 'spec', 'issuerRef', 'name'), text(o, 'status', 'reason')],
    },
    Challenge: {
      headers: ['STATE', 'DOMAIN', 'AGE'],
      wide: ['REASON'],
      row: (o, _c, now) => [text(o, 'status', 'state'), text(o, 'spec', 'dnsName'), ageOf(o, now)],
      wideRow: (o) => [text(o, 'status', 'reason')],
    },
    Issuer: { headers: ['READY', 'AGE'], row: (o, _c, now) => [condition(o, 'Ready') || 'Unknown', ageOf(o, now)] },
    ClusterIssuer: { headers: ['READY', 'AGE'], row: (o, _c, now) => [condition(o, 'Ready') || 'Unknown', ageOf(o, now)] },
  };
}
