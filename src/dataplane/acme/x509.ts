// Keys, CSRs and certificates: RSA keys from node:crypto, CSRs and signing through
// Debian's openssl command (node:crypto cannot build X.509), parsing with X509Certificate.
// Temporary files live in a private directory removed afterwards.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** cert-manager's default private key: RSA 2048, PKCS#1 PEM. */
export function newPrivateKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
}

/** ECDSA P-256, SEC1 PEM (kubeadm's `ECDSA-P256`): made in a millisecond where RSA 2048 takes a hundred. */
export function newEcPrivateKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'sec1' }) as string;
}

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 10_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`openssl ${args[0]} failed: ${String(stderr).trim().split('\n').slice(-2).join(' ') || err.message}`));
      else resolve();
    });
  });
}

/**
 * The directory is removed in `finally`, which never runs in a process killed mid-run (a daemon
 * taken down while cert-manager issues): its name carries the pid, and the first use in a
 * process removes those of processes that are gone.
 */
async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  sweepOnce ??= sweepDeadOwners(tmpdir());
  await sweepOnce;
  const dir = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const TEMP_PREFIX = 'knet-x509-';
let sweepOnce: Promise<void> | undefined;

/** Removes `knet-x509-<pid>-*` directories whose process no longer runs. */
export async function sweepDeadOwners(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  await Promise.all(names.map(async (name) => {
    const m = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name);
    if (!m || isAlive(Number(m[1]))) return;
    await rm(join(parent, name), { recursive: true, force: true }).catch(() => {});
  }));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `-subj`: the organizations (O=, Kubernetes' groups) then the common name (the user). */
function subject(commonName: string, organizations: readonly string[] = []): string {
  const escape = (v: string): string => v.replace(/[/\\]/g, '\\$&');
  const parts = [...organizations.map((o) => `O=${escape(o)}`), ...(commonName ? [`CN=${escape(commonName)}`] : [])];
  return parts.length ? `/${parts.join('/')}` : '/';
}

/** subjectAltName from names and IP addresses. */
function subjectAltName(names: readonly string[]): string {
  return `subjectAltName=${names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}`;
}

function sanExtension(names: readonly string[]): string[] {
  return names.length ? ['-addext', subjectAltName(names)] : [];
}

export async function createCsr(keyPem: string, commonName: string, dnsNames: readonly string[]): Promise<string> {
  return inTempDir(async (dir) => {
    await writeFile(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
    await openssl(['req', '-new', '-key', 'key.pem', '-subj', subject(commonName), ...sanExtension(dnsNames), '-out', 'csr.pem'], dir);
    return readFile(join(dir, 'csr.pem'), 'utf8');
  });
}

/** The DER bytes of a single PEM block. */
export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A certificate signed by its own key (cert-manager's SelfSigned issuer). */
export async function selfSign(keyPem: string, commonName: string, dnsNames: readonly string[], days: number, isCa = false): Promise<string> {
  return inTempDir(async (dir) => {
    await writeFile(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
    const ca = isCa ? ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'] : [];
    await openssl(['req', '-x509', '-key', 'key.pem', '-subj', subject(commonName), ...sanExtension(dnsNames), ...ca, '-days', String(days), '-out', 'crt.pem'], dir);
    return readFile(join(dir, 'crt.pem'), 'utf8');
  });
}

/** Signs a CSR with a CA's certificate and key (cert-manager's CA issuer), its extensions kept. */
export async function signWithCa(csrPem: string, caCertPem: string, caKeyPem: string, days: number): Promise<string> {
  return inTempDir(async (dir) => {
    await writeFile(join(dir, 'csr.pem'), csrPem);
    await writeFile(join(dir, 'ca.pem'), caCertPem);
    await writeFile(join(dir, 'ca.key'), caKeyPem, { mode: 0o600 });
    await openssl(['x509', '-req', '-in', 'csr.pem', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-copy_extensions', 'copyall',
      '-days', String(days), '-out', 'crt.pem'], dir);
    return readFile(join(dir, 'crt.pem'), 'utf8');
  });
}

/** What a leaf certificate says: who (CN, O), for which names, and what for (its extended key usage). */
export interface LeafRequest {
  readonly commonName: string;
  readonly organizations?: readonly string[];
  readonly names?: readonly string[];
  readonly usage: 'serverAuth' | 'clientAuth';
  readonly days: number;
}

/**
 * A leaf certificate for `keyPem`, signed by a CA: not a CA itself, digitalSignature and
 * keyEncipherment, one extended key usage, a random serial. The extensions are written here,
 * not copied from a CSR (signWithCa does that for cert-manager's requests).
 */
export async function issueLeaf(keyPem: string, leaf: LeafRequest, ca: { readonly certPem: string; readonly keyPem: string }): Promise<string> {
  return inTempDir(async (dir) => {
    await writeFile(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
    await writeFile(join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
    const ext = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${leaf.usage}`,
      'authorityKeyIdentifier=keyid', ...(leaf.names?.length ? [subjectAltName(leaf.names)] : [])];
    // A config of its own: the system's would add its default (CA) extensions to `req -x509`.
    await writeFile(join(dir, 'leaf.cnf'), `[req]\ndistinguished_name = dn\n[dn]\n[leaf]\n${ext.join('\n')}\n`);
    // OpenSSL 3's `req -CA`: the request and its signing in one run.
    await openssl(['req', '-new', '-key', 'key.pem', '-subj', subject(leaf.commonName, leaf.organizations), '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-config', 'leaf.cnf', '-extensions', 'leaf', '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', String(leaf.days), '-out', 'crt.pem'], dir);
    return readFile(join(dir, 'crt.pem'), 'utf8');
  });
}

export interface CertificateInfo {
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly dnsNames: readonly string[];
  readonly issuer: string;
  readonly subject: string;
}

/** The first certificate of a PEM chain; null when it is not one. */
export function parseCertificate(pem: string): CertificateInfo | null {
  try {
    const c = new X509Certificate(pem);
    const dnsNames = (c.subjectAltName ?? '').split(/,\s*/).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
    return { notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo), dnsNames, issuer: c.issuer, subject: c.subject };
  } catch {
    return null;
  }
}

/** The PEM blocks of a chain, in order. */
export function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN [^-]+-----[\s\S]+?-----END [^-]+-----\n?/g)?.map((b) => (b.endsWith('\n') ? b : `${b}\n`)) ?? [];
}
