// Where a running cluster keeps its things. The state that must survive a crash or a reboot
// lives in /var/lib/knet/<name>/ (state.json, the daemon's log); what describes the running
// processes and kernel objects lives in /run/knet-<name>/ (gone after a reboot, with them).
import { checkClusterName } from '../compile/topology-names.js';
import { runDir } from '../dataplane/run-state.js';

export const DEFAULT_CLUSTER = 'knet';

/** Root of the persistent state; KNET_STATE_ROOT moves it (tests, packaging). */
export function stateRoot(): string {
  return process.env['KNET_STATE_ROOT'] || '/var/lib/knet';
}

export function stateDir(cluster: string): string {
  return `${stateRoot()}/${cluster}`;
}

export function statePath(cluster: string): string {
  return `${stateDir(cluster)}/state.json`;
}

/** The API's object metadata (uids, creationTimestamps, generations, resourceVersions) beside state.json. */
export function apiObjectsPath(cluster: string): string {
  return `${stateDir(cluster)}/api-objects.json`;
}

export function daemonLogPath(cluster: string): string {
  return `${stateDir(cluster)}/logs/daemon.log`;
}

/** The API's certificates and keys: the cluster CA, the HTTPS server's, the admin's (api/pki.ts). */
export function pkiDir(cluster: string): string {
  return `${stateDir(cluster)}/pki`;
}

/** The HTTPS listener's port, chosen at the first start and kept across restarts (api/tls.ts). */
export function httpsEndpointPath(cluster: string): string {
  return `${stateDir(cluster)}/https.json`;
}

export function apiSocketPath(cluster: string): string {
  return `${runDir(cluster)}/api.sock`;
}

/** The daemon's pid and start time: the lock that keeps one daemon per cluster. */
export function daemonPidPath(cluster: string): string {
  return `${runDir(cluster)}/daemon.pid`;
}

/** The supervisor's pid and start time: it restarts the daemon after a crash (supervisor.ts). */
export function supervisorPidPath(cluster: string): string {
  return `${runDir(cluster)}/supervisor.pid`;
}

/**
 * One command that changes the cluster at a time (knet up, apply, delete, down). Beside the
 * run directory, not in it: `knet down` removes the directory while it holds the lock.
 */
export function operationLockPath(cluster: string): string {
  return `${runDir(cluster)}.lock`;
}

/** Which namespaces the daemon finished configuring, and from which plan (see reconcile.ts). */
export function appliedPath(cluster: string): string {
  return `${runDir(cluster)}/applied.json`;
}

/** The per-node runtimes: their SPEC files, their pids, and the pods' container logs. */
export function runtimeSpecPath(cluster: string, node: string): string {
  return `${runDir(cluster)}/spec-${node}.json`;
}

export function runtimesPath(cluster: string): string {
  return `${runDir(cluster)}/runtimes.json`;
}

export function podLogDir(cluster: string): string {
  return `${runDir(cluster)}/logs`;
}

/** What the cluster's DNS servers answer from (dataplane/dns/snapshot.ts), rewritten on every change. */
export function dnsDataPath(cluster: string): string {
  return `${runDir(cluster)}/dns.json`;
}

/** Cluster names end up in namespace, file and socket names: short, lowercase, a DNS label. */
export function checkName(cluster: string): string | null {
  try {
    checkClusterName(cluster);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The CA bundle internet clients trust: knet's internet CA and Pebble's issuing root (written by the daemon). */
export function caBundlePath(cluster: string): string {
  return `/run/knet-${cluster}/internet/ca.pem`;
}
