// knet's ACME client against a real Pebble in a sealed namespace lab (root, Debian's
// pebble package), and its nonce handling against a scripted server.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { acmeLabSkipReason, AcmeLab } from './acme-lab.js';
import { AcmeClient, AcmeError } from './client.js';
import { keyAuthorization, newAccountKey, signJws, thumbprint } from './jws.js';
import { pebbleDirectoryUrl } from './pebble.js';
import type { HttpRequest, HttpResponse, Transport } from './transport.js';
import { createCsr, newPrivateKeyPem, parseCertificate, pemBlocks, pemToDer } from './x509.js';
import { createPublicKey, verify } from 'node:crypto';

describe('ACME client pieces (no root)', () => {
  it('JWS ES256 verifies with the account key; the JWK thumbprint is RFC 7638\'s', () => {
    const key = newAccountKey();
    const j = signJws(key, null, 'N1', 'https://acme/new-acct', { termsOfServiceAgreed: true });
    const header = JSON.parse(Buffer.from(j.protected, 'base64url').toString()) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'ES256', nonce: 'N1', url: 'https://acme/new-acct', jwk: key.jwk });
    const ok = verify('sha256', Buffer.from(`${j.protected}.${j.payload}`), { key: createPublicKey(key.privateKey), dsaEncoding: 'ieee-p1363' }, Buffer.from(j.signature, 'base64url'));
    expect(ok).toBe(true);
    expect(thumbprint(key)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keyAuthorization('tok', key)).toBe(`tok.${thumbprint(key)}`);
  });

  it('Let\'s Encrypt\'s directory URLs are read at Pebble\'s /dir; other servers unchanged', () => {
    expect(pebbleDirectoryUrl('https://acme-v02.api.letsencrypt.org/directory')).toBe('https://acme-v02.api.letsencrypt.org/dir');
    expect(pebbleDirectoryUrl('https://acme-staging-v02.api.letsencrypt.org/directory')).toBe('https://acme-staging-v02.api.letsencrypt.org/dir');
    expect(pebbleDirectoryUrl('https://acme.example/directory')).toBe('https://acme.example/directory');
  });

  it('badNonce is retried with the fresh nonce the error carries; other errors surface as AcmeError', async () => {
    const seen: string[] = [];
    let rejections = 2;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: Buffer.from(JSON.stringify(body)) });
    const server: Transport = async (req: HttpRequest) => {
      if (req.method === 'GET') return json(200, { newNonce: 'https://a/nonce', newAccount: 'https://a/acct', newOrder: 'https://a/order' });
      if (req.method === 'HEAD') return { status: 200, headers: { 'replay-nonce': 'n0' }, body: Buffer.alloc(0) };
      const nonce = (JSON.parse(Buffer.from((JSON.parse(req.body!) as { protected: string }).protected, 'base64url').toString()) as { nonce: string }).nonce;
      seen.push(nonce);
      if (rejections-- > 0) return json(400, { type: 'urn:ietf:params:acme:error:badNonce', detail: 'JWS has an invalid anti-replay nonce' }, { 'replay-nonce': `fresh${seen.length}` });
      if (req.url === 'https://a/acct') return json(201, { status: 'valid' }, { location: 'https://a/acct/1', 'replay-nonce': 'n9' });
      return json(403, { type: 'urn:ietf:params:acme:error:unauthorized', detail: 'no' });
    };
    const c = new AcmeClient(server, 'https://a/dir', newAccountKey());
    expect(await c.register('ops@example.com')).toBe('https://a/acct/1');
    expect(seen).toEqual(['n0', 'fresh1', 'fresh2']);
    await expect(c.newOrder(['a.example'])).rejects.toBeInstanceOf(AcmeError);
  });
});

const reason = acmeLabSkipReason();
if (reason) console.log(`src/dataplane/acme/acme.test.ts: Pebble lab skipped: ${reason}`);

describe.skipIf(reason !== '')('ACME against Pebble in a namespace lab (root)', () => {
  it('account, order, HTTP-01 on port 80, finalize with a CSR: a chain for the name that Pebble\'s root verifies', async () => {
    const lab = await AcmeLab.start(String(process.pid));
    let server: import('node:http').Server | null = null;
    try {
      const http = lab.webTransport();
      const client = new AcmeClient(http, lab.directoryUrl, newAccountKey());
      await client.register('ops@opscart.com');
      const order = await client.newOrder(['www.lab.test']);
      expect(order.status).toBe('pending');
      const authz = await client.authorization(order.authorizations[0]!);
      const challenge = authz.challenges.find((c) => c.type === 'http-01')!;
      const key = keyAuthorization(challenge.token, client.key);
      server = await lab.serveHttp((req, res) => {
        if (req.url === `/.well-known/acme-challenge/${challenge.token}`) res.writeHead(200).end(key);
        else res.writeHead(404).end();
      });
      // cert-manager's self check, from the client's side, before asking the server to validate.
      const self = await http({ method: 'GET', url: `http://www.lab.test/.well-known/acme-challenge/${challenge.token}` });
      expect([self.status, self.body.toString()]).toEqual([200, key]);
      await client.acceptChallenge(challenge.url);
      const done = await client.waitForAuthorization(authz.url, 10_000);
      expect(done.status).toBe('valid');
      const pk = newPrivateKeyPem();
      const csr = await createCsr(pk, '', ['www.lab.test']);
      const valid = await client.finalize(await client.order(order.url), pemToDer(csr), 10_000);
      expect(valid.status).toBe('valid');
      const chain = await client.certificate(valid.certificate);
      const blocks = pemBlocks(chain);
      expect(blocks.length).toBeGreaterThanOrEqual(2);
      expect(parseCertificate(chain)!.dnsNames).toEqual(['www.lab.test']);
      const root = new X509Certificate(await lab.pebbleRoot());
      const intermediate = new X509Certificate(blocks[1]!);
      expect(new X509Certificate(blocks[0]!).verify(intermediate.publicKey)).toBe(true);
      expect(intermediate.verify(root.publicKey)).toBe(true);
    } finally {
      server?.close();
      await lab.stop();
    }
  }, 60_000);

  it('port 80 not answering: the self check fails like Go\'s client, and Pebble marks the authorization invalid', async () => {
    const lab = await AcmeLab.start(`${process.pid}b`);
    try {
      const http = lab.webTransport(2000);
      const client = new AcmeClient(http, lab.directoryUrl, newAccountKey());
      await client.register('');
      const order = await client.newOrder(['down.lab.test']);
      const authz = await client.authorization(order.authorizations[0]!);
      const challenge = authz.challenges.find((c) => c.type === 'http-01')!;
      await expect(http({ method: 'GET', url: `http://down.lab.test/.well-known/acme-challenge/${challenge.token}` }))
        .rejects.toThrow('dial tcp 192.0.2.2:80: connect: connection refused');
      await client.acceptChallenge(challenge.url);
      const done = await client.waitForAuthorization(authz.url, 10_000);
      expect(done.status).toBe('invalid');
      expect(done.challenges.find((c) => c.type === 'http-01')!.error).toMatch(/urn:ietf:params:acme:error:connection/);
    } finally {
      await lab.stop();
    }
  }, 60_000);
});
