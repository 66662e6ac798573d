// RFC 7515 JSON Web Signatures as ACME (RFC 8555 6.2) wants them: flattened JSON, ES256
// over an account's P-256 key (node:crypto, IEEE P1363 signatures), the JWK for newAccount
// and the key ID afterwards, and the JWK thumbprint (RFC 7638) behind key authorizations.
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface AccountKey {
  readonly privateKey: KeyObject;
  readonly jwk: { readonly crv: string; readonly kty: string; readonly x: string; readonly y: string };
}

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function newAccountKey(): AccountKey {
  return accountKeyOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

export function accountKeyFromPem(pem: string): AccountKey {
  return accountKeyOf(createPrivateKey(pem));
}

function accountKeyOf(privateKey: KeyObject): AccountKey {
  const jwk = privateKey.export({ format: 'jwk' }) as { crv: string; kty: string; x: string; y: string };
  return { privateKey, jwk: { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } };
}

export function accountKeyPem(key: AccountKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, base64url. */
export function thumbprint(key: AccountKey): string {
  const { crv, kty, x, y } = key.jwk;
  return base64url(createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest());
}

/** The key authorization an HTTP-01 responder serves for a token (RFC 8555 8.1). */
export function keyAuthorization(token: string, key: AccountKey): string {
  return `${token}.${thumbprint(key)}`;
}

export interface Jws {
  readonly protected: string;
  readonly payload: string;
  readonly signature: string;
}

/**
 * A signed request body. `kid` null: the JWK goes in the header (newAccount); `payload` null:
 * POST-as-GET (an empty payload).
 */
export function signJws(key: AccountKey, kid: string | null, nonce: string, url: string, payload: unknown | null): Jws {
  const header = { alg: 'ES256', nonce, url, ...(kid ? { kid } : { jwk: key.jwk }) };
  const p = base64url(JSON.stringify(header));
  const body = payload === null ? '' : base64url(JSON.stringify(payload));
  const signature = sign('sha256', Buffer.from(`${p}.${body}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return { protected: p, payload: body, signature: base64url(signature) };
}
