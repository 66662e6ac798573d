// cert-manager's ingress-shim: an Ingress annotated cert-manager.io/cluster-issuer or
// cert-manager.io/issuer gets one Certificate per spec.tls secretName, named after the
// secret, its hosts as dnsNames, owned by the Ingress (so it goes when the Ingress goes).
import { stableUid } from '../../cluster/naming.js';
import type { Certificate, Ingress, Meta } from '../../model/types.js';

export const ANNOTATION = {
  issuer: 'cert-manager.io/issuer',
  clusterIssuer: 'cert-manager.io/cluster-issuer',
  issuerKind: 'cert-manager.io/issuer-kind',
  issuerGroup: 'cert-manager.io/issuer-group',
  commonName: 'cert-manager.io/common-name',
  duration: 'cert-manager.io/duration',
  renewBefore: 'cert-manager.io/renew-before',
} as const;

/** What the shim would make of one Ingress: Certificates, or why it makes none. */
export type ShimOutcome =
  | { readonly kind: 'not-annotated' }
  | { readonly kind: 'conflict'; readonly reason: string }
  | { readonly kind: 'certificates'; readonly certificates: readonly Certificate[]; readonly skipped: readonly string[] };

export function shimIngress(ing: Ingress): ShimOutcome {
  const a = ing.meta.annotations;
  const clusterIssuer = a[ANNOTATION.clusterIssuer] ?? '';
  const issuer = a[ANNOTATION.issuer] ?? '';
  if (!clusterIssuer && !issuer) return { kind: 'not-annotated' };
  // cert-manager refuses an Ingress that names both: it cannot tell which one signs.
  if (clusterIssuer && issuer) {
    return { kind: 'conflict', reason: `both ${ANNOTATION.issuer} and ${ANNOTATION.clusterIssuer} are set: cert-manager creates no Certificate` };
  }
  const issuerRef = clusterIssuer
    ? { name: clusterIssuer, kind: 'ClusterIssuer', group: a[ANNOTATION.issuerGroup] ?? 'cert-manager.io' }
    : { name: issuer, kind: a[ANNOTATION.issuerKind] ?? 'Issuer', group: a[ANNOTATION.issuerGroup] ?? 'cert-manager.io' };
  const hostsBySecret = new Map<string, string[]>();
  const skipped: string[] = [];
  ing.tls.forEach((tls, i) => {
    if (!tls.secretName) {
      skipped.push(`spec.tls[${i}] names no secretName: no Certificate for ${tls.hosts.join(', ') || 'it'}`);
      return;
    }
    if (tls.hosts.length === 0) {
      skipped.push(`spec.tls[${i}] (secret ${tls.secretName}) lists no hosts: no Certificate`);
      return;
    }
    // Entries naming the same Secret share one Certificate with all their hosts.
    const hosts = hostsBySecret.get(tls.secretName) ?? [];
    for (const h of tls.hosts) if (!hosts.includes(h)) hosts.push(h);
    hostsBySecret.set(tls.secretName, hosts);
  });
  const certificates: Certificate[] = [...hostsBySecret].map(([secretName, hosts]) => ({
    kind: 'Certificate', apiVersion: 'cert-manager.io/v1', raw: null,
    meta: shimMeta(ing, secretName),
    secretName, dnsNames: hosts,
    commonName: a[ANNOTATION.commonName] ?? '',
    issuerRef,
    duration: a[ANNOTATION.duration] ?? '2160h',
    renewBefore: a[ANNOTATION.renewBefore] ?? '',
    readyCondition: null, // nothing has issued it (tables and -o yaml say so: core/certs predictedStatus)
    generatedBy: `Ingress ${ing.meta.namespace}/${ing.meta.name}`,
  }));
  return { kind: 'certificates', certificates, skipped };
}

/** The shim's Certificates for every annotated Ingress, except those the input already has. */
export function shimCertificates(ingresses: readonly Ingress[], existing: readonly Certificate[]): Certificate[] {
  const have = new Set(existing.map((c) => `${c.meta.namespace}/${c.meta.name}`));
  const out: Certificate[] = [];
  for (const ing of ingresses) {
    const o = shimIngress(ing);
    if (o.kind !== 'certificates') continue;
    for (const c of o.certificates) {
      const key = `${c.meta.namespace}/${c.meta.name}`;
      if (have.has(key)) continue;
      have.add(key);
      out.push(c);
    }
  }
  return out;
}

function shimMeta(ing: Ingress, name: string): Meta {
  return {
    name, namespace: ing.meta.namespace, labels: {}, annotations: {},
    uid: stableUid(`Certificate/${ing.meta.namespace}/${name}`), creationTimestamp: ing.meta.creationTimestamp, deletionTimestamp: '',
    ownerReferences: [{ kind: 'Ingress', name: ing.meta.name, uid: ing.meta.uid, controller: true }],
  };
}
