// The API over HTTPS on 127.0.0.1, as kind exposes kube-apiserver: the daemon's own request
// handler behind TLS with the cluster's server certificate, on a port chosen at the first
// start (any free one, as kind's random high port) and kept across restarts while it is free.
// A request without a client certificate the cluster CA signed for clientAuth gets the API
// server's 401 Status; Upgrade requests (exec, port-forward) pass the same check.
import { existsSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { writeFileAtomic } from '../daemon/atomic-file.js';
import { httpsEndpointPath, pkiDir } from '../daemon/paths.js';
import { ensureClusterPki, type ClusterPki } from './pki.js';

/** Who a request comes from: the certificate's CN and O (kube-apiserver's x509 authenticator), or why nobody. */
export type ClientIdentity =
  | { readonly kind: 'user'; readonly user: string; readonly groups: readonly string[] }
  | { readonly kind: 'anonymous'; readonly why: string };

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** kube-apiserver's answer to a request no authenticator accepted. */
export const UNAUTHORIZED_STATUS = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } as const;

export function authenticate(socket: TLSSocket): ClientIdentity {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return { kind: 'anonymous', why: 'no client certificate' };
  if (!socket.authorized) return { kind: 'anonymous', why: `the client certificate does not verify against the cluster CA: ${String(socket.authorizationError)}` };
  // The x509 authenticator verifies with ExtKeyUsageClientAuth: a server certificate is not a client's.
  if (!(cert.keyUsage ?? []).includes(CLIENT_AUTH)) return { kind: 'anonymous', why: 'the client certificate is not for client authentication' };
  const fields = cert.subject.split('\n').map((l) => l.split('=', 2) as [string, string]);
  return { kind: 'user', user: fields.find(([k]) => k === 'CN')?.[1] ?? '', groups: fields.filter(([k]) => k === 'O').map(([, v]) => v) };
}

export interface HttpsApi {
  readonly port: number;
  readonly url: string;
  /** The server, for what comes later on the same port. */
  readonly server: https.Server;
  close(): void;
}

export interface HttpsOptions {
  readonly pki: ClusterPki;
  /** The port wanted; 0, or a port that is taken, gives a free one. */
  readonly port: number;
  /** Authenticated Upgrade requests (WebSocket exec, port-forward); without it, Node's default. */
  readonly upgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
}

const HOST = '127.0.0.1';

/** `listener` over HTTPS on 127.0.0.1, for clients whose certificate the cluster CA signed. HTTP/1.1: kubectl needs no h2. */
export async function serveHttps(listener: http.RequestListener, o: HttpsOptions): Promise<HttpsApi> {
  const server = https.createServer({
    cert: o.pki.server.certPem, key: o.pki.server.keyPem, ca: [o.pki.ca.certPem],
    // Asked for, checked per request: a client without one gets the API server's 401, not a failed handshake.
    requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'],
  }, (req, res) => {
    if (authenticate(req.socket as TLSSocket).kind === 'anonymous') return refuse(res);
    listener(req, res);
  });
  server.keepAliveTimeout = 5000;
  const upgrade = o.upgrade;
  if (upgrade) {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (authenticate(req.socket as TLSSocket).kind === 'user') return upgrade(req, socket, head);
      const body = JSON.stringify(UNAUTHORIZED_STATUS);
      socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }
  const port = await listenOn(server, o.port).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE' && o.port !== 0) return listenOn(server, 0);
    throw e;
  });
  return { port, url: apiServerUrl(port), server, close: () => { server.close(); server.closeAllConnections(); } };
}

function refuse(res: http.ServerResponse): void {
  const text = `${JSON.stringify(UNAUTHORIZED_STATUS)}\n`;
  res.writeHead(401, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function listenOn(server: https.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function apiServerUrl(port: number): string {
  return `https://${HOST}:${port}`;
}

/** The port the cluster's listener took (`https.json` in its state directory); null before its first start. */
export function readHttpsPort(cluster: string): number | null {
  const path = httpsEndpointPath(cluster);
  if (!existsSync(path)) return null;
  try {
    const port = (JSON.parse(readFileSync(path, 'utf8')) as { port?: unknown }).port;
    return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
  } catch {
    return null; // unreadable: a new port is chosen and recorded
  }
}

/**
 * The daemon's HTTPS listener for `cluster`: its PKI made or reused, the recorded port taken
 * again (a new one when it is taken, recorded; kubeconfigs then need `knet up` or
 * `knet kubeconfig` again, and the log says so).
 */
export async function serveClusterHttps(cluster: string, clusterDomain: string, listener: http.RequestListener, log: (line: string) => void,
  upgrade?: HttpsOptions['upgrade']): Promise<HttpsApi> {
  const { pki, made } = await ensureClusterPki(pkiDir(cluster), clusterDomain);
  if (made.length > 0) log(`api: made the ${made.join(', ')} certificate${made.length === 1 ? '' : 's'} in ${pkiDir(cluster)}`);
  const wanted = readHttpsPort(cluster);
  const api = await serveHttps(listener, { pki, port: wanted ?? 0, ...(upgrade ? { upgrade } : {}) });
  if (api.port !== wanted) {
    if (wanted !== null) log(`api: port ${wanted} is taken; listening on ${api.port} (knet up --name ${cluster} updates the kubeconfig)`);
    await writeFileAtomic(httpsEndpointPath(cluster), `${JSON.stringify({ port: api.port })}\n`, 0o644);
  }
  return api;
}
