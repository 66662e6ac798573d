// The thin shell that talks to an API server for the live source: GET only (Predict never
// writes to a cluster), over HTTPS with the kubeconfig's CA, client certificate, token, basic
// auth or exec plugin, over plain HTTP (a test's server), or over a knet daemon's unix socket.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { execCredential } from './live-exec-credential.js';
import type { DataOrFile, LiveTarget } from './live-kubeconfig.js';

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** GETs a path of the API ('/api/v1/pods?limit=500'); read-only by construction. */
export interface ApiReader {
  /** Where it reads, for messages: the context and server, or the socket. */
  readonly describe: string;
  get(path: string): Promise<ApiAnswer>;
  close(): void;
}

/** Requests at once per server: enough to list every kind side by side, few enough for a busy API server. */
const MAX_SOCKETS = 6;

function readCredentialFile(target: LiveTarget, d: DataOrFile | undefined): string | undefined {
  if (!d) return undefined;
  if (d.data !== undefined) return d.data;
  try {
    return readFileSync(d.file!, 'utf8');
  } catch (e) {
    throw new Error(`kubeconfig ${target.file}, context "${target.context}": ${d.field} ${d.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n  hint: fix the path (relative paths are relative to the kubeconfig's directory), or use the ${d.field.split('.').pop()}-data form`);
  }
}

function readAnswer(res: http.IncomingMessage): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // text (a proxy's HTML page, say): the caller words the error
      }
      resolve({ status: res.statusCode ?? 0, body });
    });
  });
}

/** A reader for the kubeconfig's target. Files it names are read here, with errors naming the field. */
export function kubeconfigReader(target: LiveTarget): ApiReader {
  const secure = target.server.startsWith('https:');
  const ca = readCredentialFile(target, target.tls.ca);
  const cert = readCredentialFile(target, target.user.cert);
  const key = readCredentialFile(target, target.user.key);
  const base = new URL(target.server);
  const prefix = base.pathname.replace(/\/+$/, '');
  const agentFor = (client: { certPem?: string | undefined; keyPem?: string | undefined }): http.Agent => secure
    ? new https.Agent({
      keepAlive: true, maxSockets: MAX_SOCKETS,
      ...(ca ? { ca } : {}),
      rejectUnauthorized: !target.tls.insecure,
      ...(target.tls.serverName ? { servername: target.tls.serverName } : {}),
      ...(client.certPem && client.keyPem ? { cert: client.certPem, key: client.keyPem } : {}),
    })
    : new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const plain = agentFor({ certPem: cert, keyPem: key });
  const agents: http.Agent[] = [plain];
  let execAgent: { pem: string; agent: http.Agent } | null = null;

  const headersAndAgent = async (fresh: boolean): Promise<{ headers: Record<string, string>; agent: http.Agent }> => {
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'knet (live source; read-only)' };
    let agent = plain;
    const u = target.user;
    if (u.exec) {
      const c = await execCredential(target, u.exec, fresh);
      if (c.token) headers['Authorization'] = `Bearer ${c.token}`;
      if (c.certPem && c.keyPem) {
        if (execAgent?.pem !== c.certPem) {
          execAgent = { pem: c.certPem, agent: agentFor(c) };
          agents.push(execAgent.agent);
        }
        agent = execAgent.agent;
      }
    }
    if (u.token) headers['Authorization'] = `Bearer ${u.token}`;
    else if (u.tokenFile) headers['Authorization'] = `Bearer ${readCredentialFile(target, { file: u.tokenFile, field: 'users[].user.tokenFile' })!.trim()}`;
    else if (u.username) headers['Authorization'] = `Basic ${Buffer.from(`${u.username}:${u.password ?? ''}`).toString('base64')}`;
    return { headers, agent };
  };

  const once = async (path: string, fresh: boolean): Promise<ApiAnswer> => {
    const { headers, agent } = await headersAndAgent(fresh);
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request({
        method: 'GET', protocol: base.protocol, hostname: base.hostname.replace(/^\[|\]$/g, ''), port: base.port || (secure ? 443 : 80),
        path: prefix + path, headers, agent,
      }, (res) => void readAnswer(res).then(resolve, reject));
      req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(`cannot reach ${target.server} (context "${target.context}"): ${tlsWords(e)}\n  hint: ${reachHint(e, target)}`)));
      req.end();
    });
  };

  return {
    describe: `context "${target.context}" (${target.server})`,
    get: async (path) => {
      const a = await once(path, false);
      // An exec plugin's token may have been revoked or expired early: run it once more, as kubectl does.
      return a.status === 401 && target.user.exec ? once(path, true) : a;
    },
    close: () => {
      for (const a of agents) a.destroy();
    },
  };
}

function tlsWords(e: NodeJS.ErrnoException): string {
  return e.code ? `${e.message} (${e.code})` : e.message;
}

function reachHint(e: NodeJS.ErrnoException, target: LiveTarget): string {
  if (e.code === 'ECONNREFUSED') return 'is the cluster running? kubectl cluster-info --context ' + target.context + ' says the same';
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'the server\'s name does not resolve from here (a private endpoint? a VPN?)';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(e.code ?? '')) return 'the server\'s certificate is not signed by the kubeconfig\'s certificate-authority; fix certificate-authority(-data), or set tls-server-name to a name in the certificate';
  return 'kubectl --context ' + target.context + ' get ns tells whether kubectl reaches it';
}

/** A reader over a knet daemon's unix socket (root only): the API kubectl reads, without TLS. */
export function socketReader(socketPath: string, cluster: string): ApiReader {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  return {
    describe: `cluster ${cluster}`,
    get: (path) => new Promise((resolve, reject) => {
      const req = http.request({ method: 'GET', socketPath, path, agent, headers: { Accept: 'application/json' } }, (res) => void readAnswer(res).then(resolve, reject));
      req.on('error', (e) => reject(new Error(`cluster ${cluster}: cannot reach its daemon at ${socketPath}: ${e.message}`)));
      req.end();
    }),
    close: () => agent.destroy(),
  };
}
