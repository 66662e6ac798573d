// Pebble, Let's Encrypt's test ACME server, as the internet's ACME server: its config
// (ACME on <address>:443 with a certificate for Let's Encrypt's production and staging
// names from knet's internet CA, HTTP-01 validation on port 80, the management interface
// on the namespace's loopback), the command that runs it, and the directory mapping:
// Pebble serves its directory at /dir, so Let's Encrypt's /directory URLs are read at
// /dir on the same host (the one place knet's client differs from a plain ACME client).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCsr, newPrivateKeyPem, selfSign, signWithCa } from './x509.js';

/** Where Pebble listens on the internet side (a documentation address, like the resolver's). */
import { LETS_ENCRYPT_HOSTS } from '../../core/certs/acme-server.js';
export { ACME_SERVER_ADDRESS, LETS_ENCRYPT_HOSTS } from '../../core/certs/acme-server.js';
export const PEBBLE_MANAGEMENT = '127.0.0.1:15000';

/** The directory URL knet's client reads for an Issuer's spec.acme.server. */
export function pebbleDirectoryUrl(server: string): string {
  const u = new URL(server);
  if ((LETS_ENCRYPT_HOSTS as readonly string[]).includes(u.hostname) && u.pathname === '/directory') u.pathname = '/dir';
  return u.toString();
}

export interface InternetCa {
  readonly certPem: string;
  readonly keyPem: string;
}

/** knet's internet CA (kept in `dir`): it signs the certificates of the internet's servers, Pebble's first. */
export async function internetCa(dir: string): Promise<InternetCa> {
  const cert = join(dir, 'internet-ca.pem');
  const key = join(dir, 'internet-ca.key');
  if (existsSync(cert) && existsSync(key)) return { certPem: await readFile(cert, 'utf8'), keyPem: await readFile(key, 'utf8') };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPem = newPrivateKeyPem();
  const certPem = await selfSign(keyPem, 'knet internet root CA', [], 3650, true);
  await writeFile(key, keyPem, { mode: 0o600 });
  await writeFile(cert, certPem);
  return { certPem, keyPem };
}

export interface PebbleSetup {
  readonly configPath: string;
  /** argv for the internet runtime's command (env through env(1): runtime commands take argv only). */
  readonly argv: readonly string[];
  readonly ca: InternetCa;
}

export interface PebbleOptions {
  readonly dir: string; // config, key and certificate go here
  readonly address: string; // where ACME listens (port 443)
  readonly dnsServer: string; // ip:port Pebble's VA resolves with
  readonly names: readonly string[]; // the names its certificate carries
  readonly httpPort?: number; // where the VA connects for HTTP-01 (80)
  readonly nonceReject?: number; // PEBBLE_WFE_NONCEREJECT, percent (Pebble's default is 5)
}

export async function preparePebble(o: PebbleOptions): Promise<PebbleSetup> {
  const ca = await internetCa(o.dir);
  const certPath = join(o.dir, 'pebble.pem');
  const keyPath = join(o.dir, 'pebble.key');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const keyPem = newPrivateKeyPem();
    const sans = [...o.names, o.address, '127.0.0.1'];
    const csr = await createCsr(keyPem, o.names[0] ?? o.address, sans);
    await writeFile(keyPath, keyPem, { mode: 0o600 });
    await writeFile(certPath, await signWithCa(csr, ca.certPem, ca.keyPem, 825));
  }
  const configPath = join(o.dir, 'pebble-config.json');
  await writeFile(configPath, `${JSON.stringify({
    pebble: {
      listenAddress: `${o.address}:443`, managementListenAddress: PEBBLE_MANAGEMENT,
      certificate: certPath, privateKey: keyPath,
      httpPort: o.httpPort ?? 80, tlsPort: 443, ocspResponderURL: '', externalAccountBindingRequired: false,
    },
  }, null, 2)}\n`);
  const env = ['PEBBLE_VA_NOSLEEP=1', ...(o.nonceReject !== undefined ? [`PEBBLE_WFE_NONCEREJECT=${o.nonceReject}`] : [])];
  return { configPath, ca, argv: ['env', ...env, 'pebble', '-config', configPath, '-dnsserver', o.dnsServer] };
}
