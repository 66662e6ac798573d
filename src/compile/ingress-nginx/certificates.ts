// TLS Secrets as the PEM files nginx loads: tls.crt then tls.key in one file (as
// ingress-nginx writes /etc/ingress-controller/ssl/<ns>-<name>.pem), named after the Secret
// and a hash of its content, so a renewed certificate (cert-manager rewriting the Secret) is
// a new file and the running configuration's files stay in place until the reload.
// Any kubernetes.io/tls-shaped Secret of the cluster works, whoever wrote it.
import { createHash } from 'node:crypto';
import type { Ref, Secret } from '../../model/types.js';

export interface PemFile {
  readonly path: string; // relative to nginx's prefix
  readonly pem: string;
}

export type SecretPem =
  | { readonly kind: 'pem'; readonly file: PemFile }
  | { readonly kind: 'unusable'; readonly why: string };

const CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

export function pemFile(name: string, pem: string): PemFile {
  const hash = createHash('sha256').update(pem).digest('hex').slice(0, 12);
  return { path: `certs/${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${hash}.pem`, pem };
}

function decode(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

/**
 * The Secret's certificate and key as one PEM file. A Secret whose tls.crt or tls.key is not
 * PEM is unusable: ingress-nginx then serves the default certificate for the host, and so
 * does knet (nginx would refuse the whole configuration otherwise).
 */
export function secretPem(ref: Ref, secrets: readonly Secret[]): SecretPem {
  const [ns, name] = ref.split('/') as [string, string];
  const s = secrets.find((x) => x.meta.namespace === ns && x.meta.name === name);
  if (!s) return { kind: 'unusable', why: `Secret ${ref} does not exist (yet)` };
  const crt = s.data['tls.crt'];
  const key = s.data['tls.key'];
  if (crt === undefined || key === undefined) return { kind: 'unusable', why: `Secret ${ref} has no tls.crt and tls.key` };
  const cert = decode(crt);
  const priv = decode(key);
  if (!CERT.test(cert)) return { kind: 'unusable', why: `Secret ${ref}: tls.crt is not a PEM certificate` };
  if (!KEY.test(priv)) return { kind: 'unusable', why: `Secret ${ref}: tls.key is not a PEM private key` };
  const body = `${cert.trim()}\n${priv.trim()}\n`;
  return { kind: 'pem', file: pemFile(`${ns}_${name}`, body) };
}
