// The ingress-nginx controller of a running cluster: its pods run real nginx (the runtime
// starts `nginx -p /run/knet-<c>/ingress/<ns>_<pod>/` as their container), and on every
// reconcile the cluster's route table (core/ingress) is compiled (compile/ingress-nginx)
// and applied to each controller pod: unchanged -> nothing; changed -> `nginx -t` inside the
// pod's namespace, then a graceful reload; refused -> the old configuration keeps serving
// and the daemon's log says why. With the daemon's IngressGuard (ingress-admission.ts) the
// configuration is first checked whole, and an Ingress that makes nginx refuse it is left
// out (with an event) so that every other Ingress keeps updating. The daemon calls it after
// kube-proxy, before the runtimes, so a new controller pod's nginx starts with its
// configuration already written.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../cluster/fill-in.js';
import { compileIngressNginx } from '../compile/ingress-nginx/compile.js';
import type { TopologyPlan } from '../compile/topology-plan.js';
import { isControllerContainer } from '../core/ingress/controller.js';
import { routeTableOf } from '../core/ingress/index.js';
import type { Container } from '../model/types.js';
import { applyNginxBundle, nginxArgv } from '../dataplane/ingress/nginx.js';
import { fakeCertificatePem } from '../dataplane/ingress/self-signed.js';
import { runDir } from '../dataplane/run-state.js';
import { ingressPrefixDir, uidBaseFor } from '../dataplane/runtime/sandbox.js';
import type { CommandSpec, VolumeSpec } from '../dataplane/runtime/spec.js';
import { writeFileAtomic } from './atomic-file.js';
import type { ConfigInputs } from '../dataplane/ingress/admission.js';
import type { IngressGuard } from './ingress-admission.js';

/**
 * Where a controller pod's nginx lives: configuration, PEM files, pid file, temp paths. Under
 * /run/knet-sandbox.d (not /run/knet-<c>, which the pod's uids cannot reach), owned by the
 * pod's container root, mounted into its sandbox at the same path.
 */
export function ingressDir(cluster: string, pod: string): string {
  return ingressPrefixDir(cluster, pod);
}

/** The volume that brings the prefix into the controller's sandbox. */
const PREFIX_VOLUME = 'knet-nginx-prefix';

/** The runtime command of an ingress-nginx controller container (nginx on its prefix, mounted); null for any other container. */
export function ingressControllerCommand(cluster: string, pod: string, c: Container): { command: CommandSpec; volume: VolumeSpec } | null {
  if (!isControllerContainer(c)) return null;
  const dir = ingressDir(cluster, pod);
  return {
    command: { container: c.name, argv: nginxArgv(dir), mounts: [{ volume: PREFIX_VOLUME, path: dir }] },
    volume: { name: PREFIX_VOLUME, kind: 'host', path: dir },
  };
}

/** ingress-nginx makes its self-signed default certificate at start; knet once per cluster. */
async function fakeCertificate(cluster: string): Promise<string> {
  const path = join(runDir(cluster), 'ingress', 'default-fake-certificate.pem');
  if (existsSync(path)) return readFileSync(path, 'utf8');
  const pem = await fakeCertificatePem();
  await writeFileAtomic(path, pem);
  return pem;
}

/** What the controllers' configuration is compiled with besides the cluster: the default certificate, the resolver. */
export async function configInputs(cluster: Cluster, name: string): Promise<ConfigInputs> {
  return { fakeCertificate: await fakeCertificate(name), resolvers: cluster.config.clusterDNS.slice(0, 1) };
}

export async function syncIngressControllers(observed: Cluster, plan: TopologyPlan, name: string, log: (line: string) => void, guard?: IngressGuard): Promise<void> {
  // nginx's configuration never reads Events: the guard's own RejectedByNginx event (which
  // the prediction reads to leave an Ingress out) must not leave it out of the check that made it.
  const cluster = { ...observed, others: observed.others.filter((o) => o.kind !== 'Event') };
  const controllers = new Set(cluster.pods.filter((p) => p.spec.containers.some(isControllerContainer)).map((p) => `${p.meta.namespace}/${p.meta.name}`));
  const places = plan.pods.filter((p) => controllers.has(p.pod) && !p.hostNetwork);
  if (places.length === 0) return;
  try {
    const start = performance.now();
    const inputs = await configInputs(cluster, name);
    // With a guard, Ingresses that make nginx refuse the configuration are left out (and say so).
    const bundle = guard ? await guard.configure(cluster, inputs, log)
      : compileIngressNginx({ table: routeTableOf(cluster), secrets: cluster.secrets, ...inputs });
    const results = await Promise.all(places.map(async (p) => {
      const uid = uidBaseFor(name, p.pod);
      return { pod: p.pod, result: await applyNginxBundle(ingressDir(name, p.pod), bundle, p.netns, { uid, gid: uid }) };
    }));
    const changed = results.filter((r) => r.result.kind !== 'unchanged');
    for (const r of changed) {
      if (r.result.kind === 'refused') log(`ingress: nginx refused the new configuration for ${r.pod}; the previous one keeps serving: ${r.result.error}`);
    }
    if (changed.length > 0) {
      const done = changed.filter((r) => r.result.kind !== 'refused').map((r) => `${r.pod} ${r.result.kind}`);
      if (done.length) log(`ingress: ${done.join(', ')} (${bundle.certificates.length} certificate file${bundle.certificates.length === 1 ? '' : 's'}) in ${Math.round(performance.now() - start)} ms`);
      for (const n of bundle.notes) log(`ingress: ${n}`);
    }
  } catch (e) {
    log(`ingress: could not configure the controller pods: ${(e as Error).message}`);
  }
}
