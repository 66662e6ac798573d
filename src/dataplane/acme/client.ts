// An ACME client (RFC 8555): the directory, nonces (a badNonce answer is retried with the
// fresh nonce it carries), newAccount, newOrder, authorizations, accepting a challenge,
// polling with Retry-After, finalize with a CSR, and the certificate chain download.
// Every request goes through a Transport, so it runs from whichever namespace is given.
import type { AccountKey } from './jws.js';
import { signJws } from './jws.js';
import type { HttpResponse, Transport } from './transport.js';

export interface AcmeDirectory {
  readonly newNonce: string;
  readonly newAccount: string;
  readonly newOrder: string;
}

export interface AcmeOrder {
  readonly url: string;
  readonly status: string;
  readonly authorizations: readonly string[];
  readonly finalize: string;
  readonly certificate: string;
  readonly error: string;
}

export interface AcmeAuthorization {
  readonly url: string;
  readonly status: string;
  readonly identifier: string;
  readonly wildcard: boolean;
  readonly challenges: readonly { readonly type: string; readonly url: string; readonly token: string; readonly status: string; readonly error: string }[];
}

/** An error document from the server (RFC 7807), or a request that did not get one. */
export class AcmeError extends Error {
  constructor(readonly status: number, readonly type: string, readonly detail: string, readonly url: string) {
    super(`${status} ${type}: ${detail}`);
    this.name = 'AcmeError';
  }
}

const BAD_NONCE = 'urn:ietf:params:acme:error:badNonce';
const NONCE_RETRIES = 5;

type Json = Record<string, unknown>;

function problemText(p: unknown): string {
  if (!p || typeof p !== 'object') return '';
  const o = p as Json;
  const sub = Array.isArray(o['subproblems']) ? (o['subproblems'] as Json[]).map((s) => String(s['detail'] ?? '')).filter(Boolean) : [];
  return `${o['status'] ?? ''} ${o['type'] ?? ''}: ${o['detail'] ?? ''}${sub.length ? ` (${sub.join('; ')})` : ''}`.trim();
}

export class AcmeClient {
  private dir: AcmeDirectory | null = null;
  private nonces: string[] = [];
  private kid: string | null = null;

  constructor(
    private readonly http: Transport,
    readonly directoryUrl: string,
    readonly key: AccountKey,
  ) {}

  async directory(): Promise<AcmeDirectory> {
    if (this.dir) return this.dir;
    const res = await this.http({ method: 'GET', url: this.directoryUrl });
    const body = parseJson(res, this.directoryUrl);
    if (res.status !== 200 || typeof body['newNonce'] !== 'string' || typeof body['newAccount'] !== 'string' || typeof body['newOrder'] !== 'string') {
      throw new AcmeError(res.status, 'directory', `${this.directoryUrl} is not an ACME directory (status ${res.status})`, this.directoryUrl);
    }
    this.dir = { newNonce: body['newNonce'], newAccount: body['newAccount'], newOrder: body['newOrder'] };
    return this.dir;
  }

  /** Registers the account (or finds it: the same key answers 200 with its URL). Returns the account URL. */
  async register(email: string): Promise<string> {
    const dir = await this.directory();
    const payload: Json = { termsOfServiceAgreed: true };
    if (email) payload['contact'] = [`mailto:${email}`];
    const res = await this.post(dir.newAccount, payload, true);
    const kid = res.headers['location'];
    if (!kid) throw new AcmeError(res.status, 'newAccount', 'the server gave no account URL (Location)', dir.newAccount);
    this.kid = kid;
    return kid;
  }

  async newOrder(dnsNames: readonly string[]): Promise<AcmeOrder> {
    const dir = await this.directory();
    const res = await this.post(dir.newOrder, { identifiers: dnsNames.map((value) => ({ type: 'dns', value })) });
    const url = res.headers['location'] ?? '';
    return orderOf(url, parseJson(res, dir.newOrder));
  }

  async order(url: string): Promise<AcmeOrder> {
    return orderOf(url, parseJson(await this.post(url, null), url));
  }

  async authorization(url: string): Promise<AcmeAuthorization> {
    const b = parseJson(await this.post(url, null), url);
    const id = (b['identifier'] ?? {}) as Json;
    const challenges = Array.isArray(b['challenges']) ? (b['challenges'] as Json[]) : [];
    return {
      url, status: String(b['status'] ?? ''), identifier: String(id['value'] ?? ''), wildcard: b['wildcard'] === true,
      challenges: challenges.map((c) => ({ type: String(c['type'] ?? ''), url: String(c['url'] ?? ''), token: String(c['token'] ?? ''), status: String(c['status'] ?? ''), error: problemText(c['error']) })),
    };
  }

  /** Tells the server the challenge is ready to be validated (an empty JSON object). */
  async acceptChallenge(url: string): Promise<void> {
    await this.post(url, {});
  }

  /** Polls until the authorization leaves pending (valid or invalid), honouring Retry-After. */
  async waitForAuthorization(url: string, timeoutMs: number): Promise<AcmeAuthorization> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      const a = await this.authorization(url);
      if (a.status !== 'pending') return a;
      if (Date.now() + delay > deadline) return a;
      await sleep(delay);
    }
  }

  /** Sends the CSR (DER) and waits for the order to be valid (or invalid). */
  async finalize(order: AcmeOrder, csrDer: Buffer, timeoutMs: number): Promise<AcmeOrder> {
    let o = orderOf(order.url, parseJson(await this.post(order.finalize, { csr: csrDer.toString('base64url') }), order.finalize));
    const deadline = Date.now() + timeoutMs;
    for (let delay = 50; o.status === 'processing' || o.status === 'ready'; delay = Math.min(delay * 2, 1000)) {
      if (Date.now() + delay > deadline) break;
      await sleep(delay);
      o = await this.order(order.url);
    }
    return o;
  }

  /** The certificate chain, PEM (leaf first). */
  async certificate(url: string): Promise<string> {
    const res = await this.post(url, null, false, 'application/pem-certificate-chain');
    return res.body.toString('utf8');
  }

  private async nonce(): Promise<string> {
    const kept = this.nonces.pop();
    if (kept) return kept;
    const dir = await this.directory();
    const res = await this.http({ method: 'HEAD', url: dir.newNonce });
    const n = res.headers['replay-nonce'];
    if (!n) throw new AcmeError(res.status, 'newNonce', 'the server gave no Replay-Nonce', dir.newNonce);
    return n;
  }

  private async post(url: string, payload: unknown | null, withJwk = false, accept = 'application/json'): Promise<HttpResponse> {
    if (!withJwk && !this.kid) throw new Error('ACME client: register() before any other request');
    for (let attempt = 0; ; attempt++) {
      const body = JSON.stringify(signJws(this.key, withJwk ? null : this.kid, await this.nonce(), url, payload));
      const res = await this.http({ method: 'POST', url, body, headers: { 'content-type': 'application/jose+json', accept } });
      const fresh = res.headers['replay-nonce'];
      if (fresh) this.nonces.push(fresh);
      if (res.status < 400) return res;
      const problem = tryJson(res.body);
      const type = typeof problem?.['type'] === 'string' ? problem['type'] : '';
      // RFC 8555 6.5: a badNonce error carries a fresh nonce; the client retries with it.
      if (type === BAD_NONCE && attempt < NONCE_RETRIES) continue;
      throw new AcmeError(res.status, type || 'error', typeof problem?.['detail'] === 'string' ? problem['detail'] : res.body.toString('utf8').slice(0, 200), url);
    }
  }
}

function orderOf(url: string, b: Json): AcmeOrder {
  return {
    url, status: String(b['status'] ?? ''),
    authorizations: Array.isArray(b['authorizations']) ? (b['authorizations'] as unknown[]).map(String) : [],
    finalize: String(b['finalize'] ?? ''), certificate: String(b['certificate'] ?? ''), error: problemText(b['error']),
  };
}

function tryJson(body: Buffer): Json | null {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Json) : null;
  } catch {
    return null;
  }
}

function parseJson(res: HttpResponse, url: string): Json {
  const v = tryJson(res.body);
  if (!v) throw new AcmeError(res.status, 'malformed', `${url} answered ${res.status} without JSON`, url);
  return v;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
