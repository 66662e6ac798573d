// Self-signed certificates from the openssl CLI: the controller's default certificate,
// which ingress-nginx generates at start ("Kubernetes Ingress Controller Fake Certificate",
// O=Acme Co), and test certificates for named hosts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../run.js';

export const FAKE_CERTIFICATE_SUBJECT = '/O=Acme Co/CN=Kubernetes Ingress Controller Fake Certificate';

/** cert + key PEM (P-256), valid for `days`, for `subject` with `hosts` as DNS SANs. */
export async function selfSignedPem(subject: string, hosts: readonly string[], days = 365): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'knet-cert-'));
  try {
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', String(days),
      '-subj', subject, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')];
    if (hosts.length > 0) args.push('-addext', `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`);
    await run('openssl', args);
    return `${readFileSync(join(dir, 'cert.pem'), 'utf8').trim()}\n${readFileSync(join(dir, 'key.pem'), 'utf8').trim()}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ingress-nginx's default certificate, as it makes it at start. */
export function fakeCertificatePem(): Promise<string> {
  return selfSignedPem(FAKE_CERTIFICATE_SUBJECT, ['ingress.local']);
}

/** A kubernetes.io/tls Secret's data (base64), from a cert + key PEM. */
export function tlsSecretData(pem: string): { 'tls.crt': string; 'tls.key': string } {
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)![0];
  return { 'tls.crt': Buffer.from(`${cert}\n`).toString('base64'), 'tls.key': Buffer.from(`${key}\n`).toString('base64') };
}
