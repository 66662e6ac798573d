// The cert-manager controller's host on a running cluster, built on the Daemon's public
// apply/delete (its objects go through the same checks and reconcile as `knet apply`):
// ACME and the self check from the cert-manager pod's namespace (a pod in namespace
// cert-manager labelled app.kubernetes.io/name or app = cert-manager), else from the
// internet side; HTTPS to the ACME server trusts knet's internet CA.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inetNetns } from '../compile/topology-names.js';
import { PEBBLE_MANAGEMENT } from '../dataplane/acme/pebble.js';
import { netnsTransport, type Transport } from '../dataplane/acme/transport.js';
import { NetnsSwitch } from '../dataplane/runtime/netns.js';
import type { CertManagerHost } from './cert-manager.js';
import type { Daemon } from './daemon.js';

export const SOLVER_MAIN = fileURLToPath(new URL('../dataplane/acme/solver-main.js', import.meta.url));

/** `caFile`: the internet CA's certificate (dataplane/acme/pebble.ts internetCa), which signed Pebble's. */
export function daemonCertManagerHost(daemon: Daemon, caFile: string): CertManagerHost {
  const sw = new NetnsSwitch();
  const ca = () => readFileSync(caFile, 'utf8');
  const where = (): string => {
    const pod = daemon.cluster.pods.find((p) => p.meta.namespace === 'cert-manager' &&
      (p.meta.labels['app.kubernetes.io/name'] === 'cert-manager' || p.meta.labels['app'] === 'cert-manager'));
    const place = pod ? daemon.plan.pods.find((x) => x.pod === `${pod.meta.namespace}/${pod.meta.name}`) : undefined;
    return place?.netns ?? inetNetns(daemon.name);
  };
  const transport = (): Transport => netnsTransport(sw, where(), { ca: ca(), timeoutMs: 5000 });
  return {
    cluster: () => daemon.observed,
    write: async (upserts, deletes) => {
      if (upserts.length > 0) {
        const r = await daemon.apply([{ name: 'cert-manager', text: upserts.map((u) => JSON.stringify(u)).join('\n---\n') }]);
        const errors = r.outcome.issues.filter((i) => i.severity === 'error');
        if (errors.length > 0) throw new Error(`the store refused cert-manager's objects: ${errors.map((i) => i.message).join('; ')}`);
      }
      if (deletes.length > 0) await daemon.delete(deletes);
    },
    transport,
    solverCommand: [process.execPath, SOLVER_MAIN],
    acmeRoot: async () => {
      try {
        const res = await netnsTransport(sw, inetNetns(daemon.name), { ca: ca() })({ method: 'GET', url: `https://${PEBBLE_MANAGEMENT}/roots/0` });
        return res.status === 200 ? res.body.toString('utf8') : '';
      } catch {
        return '';
      }
    },
    now: () => new Date(),
    log: (line) => daemon.log(line),
  };
}
