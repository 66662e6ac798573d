// Where the simulated internet's ACME server (Pebble) lives: a documentation address that
// Let's Encrypt's production and staging API names resolve to on the internet side, so an
// Issuer written for Let's Encrypt works unchanged.
import type { ExternalRecord } from '../../model/types.js';
import type { IP } from '../../model/ip.js';

export const ACME_SERVER_ADDRESS = '203.0.113.10' as IP;
export const LETS_ENCRYPT_HOSTS = ['acme-v02.api.letsencrypt.org', 'acme-staging-v02.api.letsencrypt.org'] as const;

/** The internet's records with Let's Encrypt's names added (a record the user wrote wins). */
export function withAcmeServerRecords(records: readonly ExternalRecord[]): ExternalRecord[] {
  const named = new Set(records.map((r) => r.name));
  const acme = LETS_ENCRYPT_HOSTS.filter((h) => !named.has(h)).map((name): ExternalRecord => ({ name, a: [ACME_SERVER_ADDRESS], aaaa: [], cname: '', txt: [] }));
  return [...records, ...acme];
}
