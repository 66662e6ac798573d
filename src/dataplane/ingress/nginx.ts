// nginx as an ingress-nginx controller pod runs it: a prefix directory per pod holding the
// configuration, the PEM files, the pid file and temp paths; the pod's container is nginx in
// the foreground. A new configuration is written beside the running one, checked with
// `nginx -t` (inside the pod's namespace) and only then put in place and applied with a
// graceful reload (SIGHUP to the master: new workers take new connections, old ones finish
// the requests they have). A configuration nginx refuses is never put in place: the old one
// keeps serving, and the caller gets nginx's own words.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NginxBundle } from '../../compile/ingress-nginx/compile.js';
import { spawn } from 'node:child_process';
import { netnsPath } from '../run.js';

export const NGINX_CONF = 'nginx.conf';
const NEXT_CONF = 'nginx.conf.next';
const TEMP_DIRS = ['client-body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];

/** The container's command: nginx in the foreground (`daemon off;` is in the file), errors to stderr. */
export function nginxArgv(dir: string): string[] {
  return ['nginx', '-p', `${dir}/`, '-c', NGINX_CONF, '-e', 'stderr'];
}

export type NginxApply =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'written' } // no nginx running there yet: it starts with this configuration
  | { readonly kind: 'reloaded'; readonly masterPid: number; readonly ms: number }
  | { readonly kind: 'refused'; readonly error: string };

async function writeAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

/**
 * `nginx -t` of a configuration file in `dir`, inside `netns` (nothing is ever bound in the
 * root namespace; without one, a network namespace of its own). stdout is /dev/null: the
 * access log is /dev/stdout, which cannot be opened on the socket Node gives a child.
 */
export function testNginxConf(dir: string, conf: string, netns: string | null): Promise<{ code: number; stderr: string }> {
  const args = ['-t', '-q', '-p', `${dir}/`, '-c', conf, '-e', 'stderr'];
  const argv = netns ? ['nsenter', `--net=${netnsPath(netns)}`, 'nginx', ...args] : ['unshare', '--net', 'nginx', ...args];
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => resolve({ code: 127, stderr: `cannot run ${argv[0]}: ${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

/**
 * The running master of the nginx whose prefix is `dir`, if any: the pid file when it names
 * it; else (nginx in a sandbox writes the pid of its own PID namespace) the process whose
 * title says it is that prefix's master.
 */
export function nginxMaster(dir: string): number | null {
  const isMaster = (pid: number): boolean => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.startsWith('nginx: master process') && cmdline.includes(`${dir}/`);
    } catch {
      return false;
    }
  };
  let recorded = 0;
  try {
    recorded = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim());
  } catch {
    return null; // no pid file: no master has started on this prefix
  }
  if (Number.isInteger(recorded) && recorded > 0 && isMaster(recorded)) return recorded;
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && isMaster(Number(entry))) return Number(entry);
  }
  return null;
}

/** The master's worker processes. */
export function nginxWorkers(master: number): number[] {
  try {
    return readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Writes the bundle into `dir` and applies it: unchanged files are left alone; a changed
 * configuration is tested first and refused if nginx says no; a running nginx is reloaded
 * (SIGHUP) and this resolves once a worker of the new generation is up.
 */
export async function applyNginxBundle(dir: string, bundle: NginxBundle, netns: string | null, owner?: { uid: number; gid: number }): Promise<NginxApply> {
  const confPath = join(dir, NGINX_CONF);
  const current = await readFile(confPath, 'utf8').catch(() => null);
  const certsPresent = bundle.certificates.every((c) => existsSync(join(dir, c.path)));
  if (current === bundle.conf && certsPresent) return { kind: 'unchanged' };

  await mkdir(join(dir, 'certs'), { recursive: true, mode: 0o700 });
  await Promise.all(TEMP_DIRS.map((d) => mkdir(join(dir, 'tmp', d), { recursive: true, mode: 0o700 })));
  // Certificate files are named by their content: writing them never changes a file the running configuration uses.
  await Promise.all(bundle.certificates.filter((c) => !existsSync(join(dir, c.path))).map((c) => writeAtomic(join(dir, c.path), c.pem)));
  await writeAtomic(join(dir, NEXT_CONF), bundle.conf);
  const test = await testNginxConf(dir, NEXT_CONF, netns);
  if (test.code !== 0) {
    await rm(join(dir, NEXT_CONF), { force: true });
    const why = test.stderr.replace(/nginx: configuration file \S+ test failed\s*/g, '').trim() || `nginx -t exited ${test.code}`;
    return { kind: 'refused', error: why.replaceAll(`${dir}/`, '') };
  }
  await rename(join(dir, NEXT_CONF), confPath);
  // The sandboxed nginx runs as the pod's own host uid: the files must be its (without an
  // owner given, the prefix directory's owner, set by the first apply).
  const st = await stat(dir);
  const to = owner ?? (st.uid !== 0 ? { uid: st.uid, gid: st.gid } : null);
  if (to) await chownTree(dir, to);
  const master = nginxMaster(dir);
  let result: NginxApply = { kind: 'written' };
  if (master !== null) {
    const start = performance.now();
    const before = new Set(nginxWorkers(master));
    process.kill(master, 'SIGHUP');
    // Done when the new generation runs and no old worker still listens (an old worker
    // finishing its requests is titled "worker process is shutting down").
    await waitFor(() => {
      const now = nginxWorkers(master);
      return now.some((w) => !before.has(w)) && now.every((w) => !before.has(w) || shuttingDown(w));
    }, 10_000);
    result = { kind: 'reloaded', masterPid: master, ms: performance.now() - start };
  }
  await pruneCertificates(dir, bundle);
  return result;
}

async function chownTree(dir: string, owner: { uid: number; gid: number }): Promise<void> {
  await chown(dir, owner.uid, owner.gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await chownTree(path, owner);
    else await chown(path, owner.uid, owner.gid).catch(() => undefined); // a temp file nginx removed meanwhile
  }
}

function shuttingDown(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('shutting down');
  } catch {
    return true;
  }
}

/** PEM files the configuration no longer names (nginx read the ones it uses at reload). */
async function pruneCertificates(dir: string, bundle: NginxBundle): Promise<void> {
  const keep = new Set(bundle.certificates.map((c) => c.path));
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, 'certs'));
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => !keep.has(`certs/${n}`)).map((n) => rm(join(dir, 'certs', n), { force: true })));
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
