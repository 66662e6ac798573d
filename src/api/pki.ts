// The cluster's certificates, as kubeadm makes them for kind: a cluster CA, the API server's
// certificate (serverAuth, for 127.0.0.1 and the `kubernetes` Service's names) and the admin's
// client certificate (clientAuth, CN=kubernetes-admin, O=system:masters). Made at the first
// `knet up`, kept in the cluster's state directory (keys 0600) and reused by every restarted
// daemon; a part that is missing, expiring or not the CA's is made again.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { issueLeaf, newEcPrivateKeyPem, selfSign } from '../dataplane/acme/x509.js';
import { writeFileAtomic } from '../daemon/atomic-file.js';

export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClusterPki {
  readonly ca: KeyPair;
  readonly server: KeyPair;
  readonly admin: KeyPair;
}

export type PkiPart = keyof ClusterPki;

/** The user and group of the admin's certificate: kubeadm's admin.conf, bound to cluster-admin. */
export const ADMIN_USER = 'kubernetes-admin';
export const ADMIN_GROUP = 'system:masters';

/** kubeadm's lifetimes: the CA ten years, the leaves one. */
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
/** A leaf this close to its end is made again at the next start. */
const RENEW_BEFORE_MS = 24 * 3600 * 1000;

const FILES: Record<PkiPart, string> = { ca: 'ca', server: 'apiserver', admin: 'admin' };

/** The names the API server answers to: loopback, where kubectl finds it, and the `kubernetes` Service's names. */
export function apiServerNames(clusterDomain: string): string[] {
  return ['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${clusterDomain}`];
}

/** The parts to make anew, in order (a new CA takes both leaves with it). Pure: `now` is given. */
export function stalePkiParts(pki: Partial<ClusterPki>, clusterDomain: string, now: number): PkiPart[] {
  const ca = certOf(pki.ca);
  if (!ca || !usable(ca, now)) return ['ca', 'server', 'admin'];
  const stale: PkiPart[] = [];
  for (const part of ['server', 'admin'] as const) {
    const leaf = certOf(pki[part]);
    if (!leaf || !usable(leaf, now) || !leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) stale.push(part);
    else if (part === 'server' && sansOf(leaf).join(',') !== [...apiServerNames(clusterDomain)].sort().join(',')) stale.push(part);
  }
  return stale;
}

/** The pair's certificate when it parses and its key is the one it certifies. */
function certOf(pair: KeyPair | undefined): X509Certificate | null {
  if (!pair) return null;
  try {
    const cert = new X509Certificate(pair.certPem);
    return cert.checkPrivateKey(createPrivateKey(pair.keyPem)) ? cert : null;
  } catch {
    return null; // unreadable: made again
  }
}

function usable(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && Date.parse(cert.validTo) - RENEW_BEFORE_MS > now;
}

/** The subjectAltName entries as plain names and addresses, sorted: `127.0.0.1`, `kubernetes`... */
export function sansOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(/,\s*/).filter(Boolean).map((s) => s.replace(/^(DNS|IP Address):/, '')).sort();
}

async function makePart(part: PkiPart, ca: KeyPair | undefined, clusterDomain: string): Promise<KeyPair> {
  const keyPem = newEcPrivateKeyPem();
  if (part === 'ca') return { keyPem, certPem: await selfSign(keyPem, 'kubernetes', [], CA_DAYS, true) };
  if (!ca) throw new Error(`the ${part} certificate needs the cluster CA`);
  const certPem = part === 'server'
    ? await issueLeaf(keyPem, { commonName: 'kube-apiserver', names: apiServerNames(clusterDomain), usage: 'serverAuth', days: LEAF_DAYS }, ca)
    : await issueLeaf(keyPem, { commonName: ADMIN_USER, organizations: [ADMIN_GROUP], usage: 'clientAuth', days: LEAF_DAYS }, ca);
  return { keyPem, certPem };
}

/** What the directory holds (`ca.crt`/`ca.key`, `apiserver.*`, `admin.*`); null when a part is missing. */
export function readClusterPki(dir: string): ClusterPki | null {
  const parts = readParts(dir);
  return parts.ca && parts.server && parts.admin ? (parts as ClusterPki) : null;
}

function readParts(dir: string): Partial<ClusterPki> {
  const parts: Partial<Record<PkiPart, KeyPair>> = {};
  for (const part of Object.keys(FILES) as PkiPart[]) {
    const crt = `${dir}/${FILES[part]}.crt`;
    const key = `${dir}/${FILES[part]}.key`;
    if (existsSync(crt) && existsSync(key)) parts[part] = { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  }
  return parts;
}

/**
 * The cluster's PKI from `dir`, with what is missing or stale made and written (certificates
 * 0644, keys 0600, each file atomically). `made` names what was made: a new CA or admin
 * certificate means kubeconfigs written before no longer work.
 */
export async function ensureClusterPki(dir: string, clusterDomain: string, now = Date.now()): Promise<{ pki: ClusterPki; made: PkiPart[] }> {
  const parts: Partial<Record<PkiPart, KeyPair>> = readParts(dir);
  const made = stalePkiParts(parts, clusterDomain, now);
  if (made.includes('ca')) parts.ca = await makePart('ca', undefined, clusterDomain);
  const leaves = made.filter((p) => p !== 'ca');
  const issued = await Promise.all(leaves.map((p) => makePart(p, parts.ca, clusterDomain)));
  leaves.forEach((p, i) => (parts[p] = issued[i]));
  for (const part of made) {
    // The key first: a crash between the two leaves a certificate that does not match, made again next time.
    await writeFileAtomic(`${dir}/${FILES[part]}.key`, parts[part]!.keyPem, 0o600);
    await writeFileAtomic(`${dir}/${FILES[part]}.crt`, parts[part]!.certPem, 0o644);
  }
  return { pki: parts as ClusterPki, made };
}
