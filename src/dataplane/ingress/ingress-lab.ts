// A running cluster for Ingress experiments, without the daemon: the namespaces of a
// topology, kube-proxy (so the controller's LoadBalancer VIP is reached from the internet
// side as in a real cluster), the ingress-nginx controller pods running real nginx through
// the pod runtime's containers (the daemon's path), and every other pod answering HTTP
// with who it is and what it was asked (`{"pod","url","headers"}`), so a test can tell which
// backend answered and with which path. The Ingresses change by handing it the cluster
// again (same pods): recompiled, `nginx -t`, reloaded. Used by the flow tests and the
// `ingress` benchmark; `stop()` removes everything (call it in `finally`). Needs root.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { join } from 'node:path';
import type { Cluster } from '../../cluster/fill-in.js';
import { compileIngressNginx, type NginxBundle } from '../../compile/ingress-nginx/compile.js';
import { inetNetns } from '../../compile/topology-names.js';
import { planTopology } from '../../compile/topology.js';
import type { TopologyPlan } from '../../compile/topology-plan.js';
import { isControllerContainer } from '../../core/ingress/controller.js';
import { routeTableOf } from '../../core/ingress/index.js';
import { applyTopology } from '../apply-topology.js';
import { captureInNetns } from '../exec.js';
import { KubeProxySyncer } from '../nft-kube-proxy.js';
import type { RunResult } from '../run.js';
import { runDir } from '../run-state.js';
import { NetnsSwitch } from '../runtime/netns.js';
import { Runtime } from '../runtime/runtime.js';
import { ingressPrefixDir, uidBaseFor } from '../runtime/sandbox.js';
import { parseSpec } from '../runtime/spec.js';
import { teardownCluster } from '../teardown.js';
import { applyNginxBundle, nginxArgv, nginxMaster, nginxWorkers, type NginxApply } from './nginx.js';
import { fakeCertificatePem, selfSignedPem } from './self-signed.js';

/** The port on which a lab pod speaks TLS itself (backend-protocol HTTPS, ssl-passthrough); its certificate's CN. */
export const TLS_BACKEND_PORT = 8443;
export const TLS_BACKEND_CN = 'knet-lab-tls-backend';
/** The port on which a lab pod speaks HTTP/2 without TLS, as a gRPC server does (backend-protocol GRPC). */
export const H2C_BACKEND_PORT = 50051;

export { CONTROLLER_MANIFESTS } from '../../core/ingress/test-support/world.js';

export interface ControllerPod {
  readonly ref: string;
  readonly netns: string;
  readonly ip: string;
  readonly dir: string;
}

export interface IngressLab {
  readonly name: string;
  readonly plan: TopologyPlan;
  cluster: Cluster;
  bundle: NginxBundle;
  readonly vip: string;
  readonly internet: string;
  readonly controllers: readonly ControllerPod[];
  /** `ip:port` of a backend pod -> `ns/name`. */
  podAt(endpoint: string): string | null;
  /** The same pods, other Ingresses (or Secrets): compiled, tested, reloaded in every controller pod. */
  setCluster(cluster: Cluster): Promise<NginxApply[]>;
  /** curl from the internet side. */
  curl(args: readonly string[]): Promise<RunResult>;
  stop(): Promise<void>;
}

export interface IngressLabOptions {
  readonly prefix?: string;
  /** nginx worker processes per controller pod (default 1). */
  readonly workers?: number;
}

function controllerPods(cluster: Cluster): Set<string> {
  return new Set(cluster.pods.filter((p) => p.spec.containers.some(isControllerContainer)).map((p) => `${p.meta.namespace}/${p.meta.name}`));
}

export async function startIngressLab(cluster: Cluster, options: IngressLabOptions = {}): Promise<IngressLab> {
  const name = `${options.prefix ?? 'ing'}${randomBytes(3).toString('hex')}`;
  const plan = planTopology(cluster, name);
  const runtime = new Runtime();
  const sockets = new NetnsSwitch();
  const servers: (http.Server | http2.Http2Server)[] = [];
  const stop = async (): Promise<void> => {
    await runtime.stop().catch(() => {});
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await teardownCluster(name);
  };
  const fake = await fakeCertificatePem();
  const compile = (c: Cluster): NginxBundle =>
    compileIngressNginx({ table: routeTableOf(c), secrets: c.secrets, fakeCertificate: fake, resolvers: [], workerProcesses: options.workers ?? 1 });

  const backendPem = await selfSignedPem(`/CN=${TLS_BACKEND_CN}`, []);
  const isController = controllerPods(cluster);
  const byEndpoint = new Map<string, string>();
  const controllers: ControllerPod[] = [];
  let bundle = compile(cluster);
  try {
    await applyTopology(plan);
    await new KubeProxySyncer().sync(cluster, plan);
    const pods = new Map(cluster.pods.map((p) => [`${p.meta.namespace}/${p.meta.name}`, p]));
    for (const place of plan.pods) {
      const pod = pods.get(place.pod)!;
      if (isController.has(place.pod)) {
        controllers.push({ ref: place.pod, netns: place.netns, ip: place.ips[0]!, dir: ingressPrefixDir(name, place.pod) });
        continue;
      }
      const ports = new Set(pod.spec.containers.flatMap((c) => c.ports.filter((p) => p.protocol === 'TCP').map((p) => p.containerPort)));
      for (const port of ports) {
        byEndpoint.set(`${place.ips[0]}:${port}`, place.pod);
        const fd = sockets.serverSocket(place.netns, 'TCP', port).fd;
        const handler = (req: http.IncomingMessage, res: http.ServerResponse) => answer(place.pod, req, res);
        let server: http.Server | http2.Http2Server;
        if (port === H2C_BACKEND_PORT) {
          // The compatibility API's request and response carry what `answer` reads and writes.
          server = http2.createServer((req, res) => answer(place.pod, req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse));
        } else {
          const h1 = port === TLS_BACKEND_PORT ? https.createServer({ cert: backendPem, key: backendPem }, handler) : http.createServer(handler);
          h1.keepAliveTimeout = 120_000;
          server = h1;
        }
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ fd }, () => resolve()));
        servers.push(server);
      }
    }
    for (const c of controllers) {
      const uid = uidBaseFor(name, c.ref);
      const r = await applyNginxBundle(c.dir, bundle, c.netns, { uid, gid: uid });
      if (r.kind === 'refused') throw new Error(`nginx refused the first configuration of ${c.ref}: ${r.error}`);
    }
    const spec = parseSpec(JSON.stringify({
      node: 'all', cluster: name, logDir: `${runDir(name)}/logs`, backoff: { initialMs: 200, maxMs: 1000, resetAfterMs: 10_000 },
      // As the daemon runs it (daemon/ingress-controller.ts): nginx in its sandbox, its prefix mounted.
      pods: controllers.map((c) => ({
        ref: c.ref, netns: c.netns, uidBase: uidBaseFor(name, c.ref),
        volumes: [{ name: 'prefix', kind: 'host', path: c.dir }],
        commands: [{ container: 'controller', argv: nginxArgv(c.dir), mounts: [{ volume: 'prefix', path: c.dir }] }],
      })),
    }));
    await runtime.reconcile(spec);
    for (const c of controllers) {
      const deadline = Date.now() + 10_000;
      while (!(nginxMaster(c.dir) !== null && nginxWorkers(nginxMaster(c.dir)!).length > 0)) {
        if (Date.now() > deadline) throw new Error(`nginx of ${c.ref} did not start (log: ${runDir(name)}/logs/${c.ref.replace('/', '_')}_controller.log)`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const lb = cluster.services.find((s) => s.type === 'LoadBalancer' && s.meta.namespace === 'ingress-nginx');
  const vip = lb?.loadBalancerIngress[0];
  if (!vip) {
    await stop();
    throw new Error('the lab needs the ingress-nginx controller LoadBalancer Service (CONTROLLER_MANIFESTS)');
  }
  const lab: IngressLab = {
    name, plan, cluster, bundle, vip, internet: inetNetns(name), controllers,
    podAt: (endpoint) => byEndpoint.get(endpoint) ?? null,
    async setCluster(next) {
      lab.cluster = next;
      bundle = compile(next);
      lab.bundle = bundle;
      return Promise.all(controllers.map((c) => applyNginxBundle(c.dir, bundle, c.netns)));
    },
    curl: (args) => captureInNetns(inetNetns(name), ['curl', ...args], { timeoutMs: 20_000 }),
    stop,
  };
  return lab;
}

/**
 * The backends' answer: who they are and what reached them; `?knet-delay=MS` answers late,
 * `?knet-status=NNN` with that status (an auth service that denies, a backend whose 404 a
 * custom error page replaces).
 */
function answer(pod: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const delay = Number(/[?&]knet-delay=(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
  const status = Number(/[?&]knet-status=([1-5]\d\d)/.exec(req.url ?? '')?.[1] ?? 200);
  const send = () => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ pod, url: req.url, headers: req.headers }));
  };
  if (delay > 0) setTimeout(send, Math.min(delay, 30_000));
  else send();
}
