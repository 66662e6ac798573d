// Credentials from an exec plugin (client.authentication.k8s.io v1 and v1beta1 ExecCredential),
// as kubectl gets them from kubelogin, aws eks get-token or gke-gcloud-auth-plugin: run the
// command with KUBERNETES_EXEC_INFO, read status.token or the client certificate from its
// stdout, keep it until status.expirationTimestamp. The plugin's stderr (a device-code prompt)
// goes to the user's terminal.
import { spawn } from 'node:child_process';
import type { ExecPlugin, LiveTarget } from './live-kubeconfig.js';

export interface ExecCredential {
  readonly token?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** ms since the epoch; null: valid until the server says 401. */
  readonly expires: number | null;
}

/** The plugin's stdout as an ExecCredential, or what is wrong with it. */
export function parseExecCredential(stdout: string, plugin: ExecPlugin): ExecCredential | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    return { error: `its output is not an ExecCredential in JSON: ${JSON.stringify(stdout.slice(0, 80))}` };
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (o['kind'] !== 'ExecCredential') return { error: `its output's kind is ${JSON.stringify(o['kind'])}, not ExecCredential` };
  if (o['apiVersion'] !== plugin.apiVersion) return { error: `its output's apiVersion ${JSON.stringify(o['apiVersion'])} is not the ${plugin.apiVersion} the kubeconfig asks for` };
  const s = (typeof o['status'] === 'object' && o['status'] !== null ? o['status'] : {}) as Record<string, unknown>;
  const text = (k: string): string => (typeof s[k] === 'string' ? (s[k] as string) : '');
  const token = text('token');
  const cert = text('clientCertificateData');
  const key = text('clientKeyData');
  if (!token && !(cert && key)) return { error: 'its ExecCredential has no status.token and no status.clientCertificateData with clientKeyData' };
  if (Boolean(cert) !== Boolean(key)) return { error: 'its ExecCredential has only one of status.clientCertificateData and status.clientKeyData' };
  const expiry = text('expirationTimestamp');
  const expires = expiry ? Date.parse(expiry) : null;
  if (expires !== null && Number.isNaN(expires)) return { error: `its status.expirationTimestamp ${JSON.stringify(expiry)} is not an RFC 3339 time` };
  return { ...(token ? { token } : {}), ...(cert ? { certPem: cert, keyPem: key } : {}), expires };
}

/** KUBERNETES_EXEC_INFO: what the plugin is told about the call. */
export function execInfo(plugin: ExecPlugin, target: LiveTarget, interactive: boolean): string {
  const cluster = plugin.provideClusterInfo
    ? { cluster: { server: target.server, ...(target.tls.serverName ? { 'tls-server-name': target.tls.serverName } : {}), ...(target.tls.insecure ? { 'insecure-skip-tls-verify': true } : {}) } }
    : {};
  return JSON.stringify({ apiVersion: plugin.apiVersion, kind: 'ExecCredential', spec: { interactive, ...cluster } });
}

const cache = new Map<string, Promise<ExecCredential>>();

/**
 * The plugin's credential, run once per process while it is valid (every list of a command
 * shares it); `fresh` runs it again (after a 401, as kubectl does).
 */
export function execCredential(target: LiveTarget, plugin: ExecPlugin, fresh = false): Promise<ExecCredential> {
  const key = JSON.stringify([plugin, target.server]);
  const held = cache.get(key);
  if (held && !fresh) {
    return held.then((c) => (c.expires !== null && c.expires <= Date.now() + 10_000 ? execCredential(target, plugin, true) : c));
  }
  const p = runPlugin(target, plugin);
  cache.set(key, p);
  p.catch(() => cache.delete(key));
  return p;
}

function runPlugin(target: LiveTarget, plugin: ExecPlugin): Promise<ExecCredential> {
  const where = `kubeconfig ${target.file}, user "${target.userName}": exec plugin ${plugin.command}`;
  const interactive = plugin.interactiveMode !== 'Never' && process.stdin.isTTY === true;
  if (plugin.interactiveMode === 'Always' && !interactive) {
    return Promise.reject(new Error(`${where}: it needs a terminal (interactiveMode: Always) and standard input is not one\n  hint: run the command in a terminal`));
  }
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: execInfo(plugin, target, interactive) };
  for (const e of plugin.env) env[e.name] = e.value;
  return new Promise((resolve, reject) => {
    const child = spawn(plugin.command, [...plugin.args], { env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = plugin.installHint.trim() || `install ${plugin.command}, or put it on PATH`;
      reject(new Error(err.code === 'ENOENT' ? `${where}: not found\n  hint: ${hint}` : `${where}: ${err.message}`));
    });
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${where}: exited with ${code}\n  hint: run it yourself to see why (its messages are above); kubectl would fail the same way`));
        return;
      }
      const c = parseExecCredential(out, plugin);
      if ('error' in c) reject(new Error(`${where}: ${c.error}`));
      else resolve(c);
    });
  });
}
