// The raw baseline of a kubectl command: the exact HTTP answers an API server gave it, recorded
// through a proxy, then served again from memory by a bare Node HTTP(S) server, with no knet code
// on the request path. kubectl against the replay takes what kubectl itself takes (its start, its
// decoding and printing, the wire); the live server's time over it is the server's own share.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureClusterPki } from '../api/pki.js';
import type { Client } from './api-target.js';

export interface Recorded {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
}

/** Headers that belong to one connection or one moment, not to the answer: the replay sets its own. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'content-length']);

export function answerHeaders(h: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_HEADERS.has(k)) out[k] = v;
  return out;
}

export interface RecordingProxy {
  /** Plain HTTP: point kubectl's `--server` here. */
  readonly url: string;
  /** Each answer by the exact request path and query kubectl sent (a continue token included). */
  readonly recorded: ReadonlyMap<string, Recorded>;
  close(): Promise<void>;
}

/** A proxy to `origin` (over its TLS with the client certificate, if it has one) that keeps every GET's answer, bytes as sent. */
export async function recordingProxy(origin: Client): Promise<RecordingProxy> {
  const recorded = new Map<string, Recorded>();
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: origin.base.host };
    const opts: https.RequestOptions = { ...(origin.tls ?? {}), host: origin.base.hostname, port: origin.base.port, method: req.method, path: req.url, headers, agent: false };
    const up = (origin.tls ? https.request : http.request)(opts, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        const kept: Recorded = { status: answer.statusCode ?? 502, headers: answerHeaders(answer.headers), body };
        if (req.method === 'GET') recorded.set(req.url ?? '/', kept);
        res.writeHead(kept.status, { ...kept.headers, 'Content-Length': body.length });
        res.end(body);
      });
    });
    up.on('error', (e) => {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`recording proxy: ${e.message}`);
    });
    req.pipe(up);
  });
  const url = await listen(server);
  return { url, recorded, close: () => closeServer(server) };
}

export interface Replay {
  readonly url: string;
  /** kubectl's flags to reach it: the server, and over TLS the CA and a client certificate. */
  readonly flags: readonly string[];
  /** Requests it had no answer for (the baseline is void if any). */
  readonly misses: readonly string[];
  close(): Promise<void>;
}

/**
 * The recorded answers, served again from memory; over TLS when `tls` (a CA, server and client
 * certificate made for it, the client certificate asked for as knet's listener asks), so the
 * baseline pays the same handshake as the live server.
 */
export async function serveReplay(recorded: ReadonlyMap<string, Recorded>, tls: boolean): Promise<Replay> {
  const misses: string[] = [];
  const answer: http.RequestListener = (req, res) => {
    const r = recorded.get(req.url ?? '/');
    if (!r) {
      misses.push(`${req.method} ${req.url}`);
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not recorded');
      return;
    }
    res.writeHead(r.status, { ...r.headers, 'Content-Length': r.body.length });
    res.end(r.body);
  };
  if (!tls) {
    const server = http.createServer(answer);
    const url = await listen(server);
    return { url, flags: ['--server', url], misses, close: () => closeServer(server) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'knet-bench-replay-'));
  try {
    const { pki } = await ensureClusterPki(dir, 'cluster.local');
    const file = (name: string, text: string): string => {
      const f = join(dir, name);
      writeFileSync(f, text, { mode: 0o600 });
      return f;
    };
    const server = https.createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: [pki.ca.certPem], requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, answer);
    const url = (await listen(server)).replace('http:', 'https:');
    const flags = ['--server', url, '--certificate-authority', file('ca.crt', pki.ca.certPem), '--client-certificate', file('admin.crt', pki.admin.certPem), '--client-key', file('admin.key', pki.admin.keyPem)];
    return {
      url, flags, misses,
      close: async () => {
        await closeServer(server);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function listen(server: http.Server | https.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
