// How kubectl finds a knet cluster, as kind does it: `knet up` merges the context knet-<name>
// into the kubeconfig kubectl uses and makes it current, `knet down` takes it out again, and
// `knet kubeconfig` prints the cluster's own kubeconfig (as `kind get kubeconfig`). The
// certificates and the port come from the cluster's state directory (api/pki.ts, api/tls.ts).
import { chownSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { contextName, kubeconfigForMerge, kubeconfigPaths, mergeAccess, removeAccess, standaloneKubeconfig, type ClusterAccess } from '../api/kubeconfig.js';
import { readClusterPki } from '../api/pki.js';
import { apiServerUrl, readHttpsPort } from '../api/tls.js';
import { writeFileAtomic } from '../daemon/atomic-file.js';
import { checkName, pkiDir, statePath } from '../daemon/paths.js';
import { CliError, type Io } from './output.js';
import { daemonAction, pickAnyCluster, withCluster } from './source.js';

export function registerKubeconfig(program: Command, io: Io): void {
  withCluster(program
    .command('kubeconfig')
    .description('print the running cluster\'s kubeconfig (its CA, the admin\'s client certificate, the HTTPS address), as kind get kubeconfig'))
    .action(daemonAction(io, async (o: { name?: string }) => {
      const name = pickAnyCluster(o.name);
      io.out(standaloneKubeconfig(requireAccess(name)).trimEnd());
      return 0;
    }));
}

/** What kubectl needs for the cluster, from its state directory; null before its daemon first listened. */
export function clusterAccess(cluster: string): ClusterAccess | null {
  const pki = readClusterPki(pkiDir(cluster));
  const port = readHttpsPort(cluster);
  if (!pki || port === null) return null;
  return { name: contextName(cluster), server: apiServerUrl(port), caPem: pki.ca.certPem, clientCertPem: pki.admin.certPem, clientKeyPem: pki.admin.keyPem };
}

function requireAccess(cluster: string): ClusterAccess {
  const bad = checkName(cluster);
  if (bad) throw new CliError(`error: ${bad}`);
  const access = clusterAccess(cluster);
  if (access) return access;
  if (!existsSync(statePath(cluster))) {
    // The state directory is root's (0700): to anyone else every cluster looks absent.
    throw new CliError(process.getuid?.() === 0
      ? `error: no cluster ${cluster} on this machine\n  hint: knet up --name ${cluster} -f DIR starts it; knet status lists the clusters`
      : `error: no cluster ${cluster} that this user can read\n  hint: the cluster's keys are root's: sudo knet kubeconfig --name ${cluster}`);
  }
  throw new CliError(`error: cluster ${cluster} has no HTTPS endpoint yet: its daemon makes it when it starts\n  hint: knet up --name ${cluster}`);
}

type Env = Readonly<Record<string, string | undefined>>;

/** The kubeconfig files kubectl reads here, in order. */
export function userKubeconfigPaths(env: Env = process.env): string[] {
  return kubeconfigPaths({ KUBECONFIG: env['KUBECONFIG'], HOME: env['HOME'] }, homedir());
}

/** Merges the cluster's entries into the file kubectl changes and makes its context current; the file's path. */
export async function setKubeconfigContext(access: ClusterAccess, env: Env = process.env): Promise<string> {
  const path = kubeconfigForMerge(userKubeconfigPaths(env), (p) => existsSync(p) && statSync(p).isFile());
  const text = existsSync(path) ? readFileSync(path, 'utf8') : null;
  await writeKubeconfig(path, mergeAccess(text, access, path));
  return path;
}

/** Takes the cluster's entries out of every kubeconfig kubectl reads here; the files changed. */
export async function unsetKubeconfigContext(cluster: string, env: Env = process.env): Promise<string[]> {
  const changed: string[] = [];
  for (const path of userKubeconfigPaths(env)) {
    if (!existsSync(path) || !statSync(path).isFile()) continue;
    const text = removeAccess(readFileSync(path, 'utf8'), contextName(cluster), path);
    if (text === null) continue;
    await writeKubeconfig(path, text);
    changed.push(path);
  }
  return changed;
}

/**
 * Atomically, through a symlink to its target, with the file's mode (0600 for a new one) and
 * owner kept: root writing a user's kubeconfig (`sudo -E knet up`) leaves it theirs, and a
 * new file or ~/.kube belongs to the directory it is made in.
 */
async function writeKubeconfig(path: string, text: string): Promise<void> {
  const target = existsSync(path) ? realpathSync(path) : path;
  const before = existsSync(target) ? statSync(target) : null;
  const owner = before ?? ensureDir(dirname(target));
  await writeFileAtomic(target, text, before ? before.mode & 0o777 : 0o600);
  if (process.getuid?.() === 0 && (owner.uid !== 0 || owner.gid !== 0)) chownSync(target, owner.uid, owner.gid);
}

/** The directory, made (0755, as kubectl makes ~/.kube) with its parent's owner if missing; its stats. */
function ensureDir(dir: string): Stats {
  if (!existsSync(dir)) {
    const parent = ensureDir(dirname(dir));
    mkdirSync(dir, { mode: 0o755 });
    if (process.getuid?.() === 0 && (parent.uid !== 0 || parent.gid !== 0)) chownSync(dir, parent.uid, parent.gid);
  }
  return statSync(dir);
}

/** `knet up`: the context set, said as kind says it; a kubeconfig that cannot be changed is a warning, never a failed `up`. */
export async function announceContext(io: Io, cluster: string): Promise<void> {
  const access = clusterAccess(cluster);
  if (!access) {
    io.err(`warning: cluster ${cluster} has no HTTPS endpoint recorded; kubectl's context was not set`);
    return;
  }
  try {
    await setKubeconfigContext(access);
    io.out(`Set kubectl context to "${access.name}"`);
  } catch (e) {
    io.err(`warning: kubectl's context was not set: ${(e as Error).message}\n  hint: knet kubeconfig --name ${cluster} > FILE, then kubectl --kubeconfig FILE ...`);
  }
}

/** `knet down`: the context removed from kubectl's files; a file that cannot be changed is a warning. */
export async function forgetContext(io: Io, cluster: string): Promise<void> {
  try {
    await unsetKubeconfigContext(cluster);
  } catch (e) {
    io.err(`warning: kubectl's context ${contextName(cluster)} was not removed: ${(e as Error).message}`);
  }
}
