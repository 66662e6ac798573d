// The Run tour: as root on Linux, `knet tour` brings the example to life and walks the
// guide's quick reference on real packets (`knet exec ... curl`), each step a command run as a
// child process exactly as a user would type it: kubectl for a kubectl user's habits (get pods,
// get endpoints, wait, get certificate) where the machine has kubectl, knet for the rest.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contextName } from '../api/kubeconfig.js';
import type { Cluster } from '../cluster/fill-in.js';
import type { Pod } from '../model/types.js';
import { paint, type Io } from './output.js';
import type { TourStep } from './tour.js';

const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

/** Host programs the data plane and the tour use, with the Debian package that has each. */
export const HOST_TOOLS: readonly (readonly [string, string])[] = [
  ['ip', 'iproute2'], ['nsenter', 'util-linux'], ['nft', 'nftables'], ['curl', 'curl'], ['dig', 'dnsutils'], ['ping', 'iputils-ping'], ['nginx', 'nginx'], ['pebble', 'pebble'], ['openssl', 'openssl'], ['bwrap', 'bubblewrap'],
];

export function missingTools(): string[] {
  return HOST_TOOLS.filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0).map(([, pkg]) => pkg);
}

/** apt-get install what a fresh Debian machine lacks; returns an error text or ''. */
export function installPackages(io: Io, packages: readonly string[]): string {
  if (packages.length === 0) return '';
  if (spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0) return `missing ${packages.join(', ')} and no apt-get to install them`;
  io.out(paint(io, '\x1b[2m', `installing ${packages.join(', ')} (apt-get)...`));
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' }; // no service started on the host
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'ignore', env });
  return update.status === 0 && install.status === 0 ? '' : `apt-get install ${packages.join(' ')} failed`;
}

/** The third api replica: the guide's "Pod C". */
function apiC(c: Cluster): string {
  const api = c.podIndex.inNamespace('production').filter((p) => p.meta.labels['app'] === 'api').map((p) => p.meta.name).sort();
  return api[2] ?? api[0] ?? 'api';
}

function firstPod(c: Cluster, ns: string, app: string, notOnNode = ''): Pod | undefined {
  return c.podIndex.inNamespace(ns).find((p) => p.meta.labels['app'] === app && p.spec.nodeName !== notOnNode && p.status.podIPs.length > 0);
}

/** The kubectl a user would type, where the machine has one: $KNET_KUBECTL, else the first on PATH. */
export function kubectlOnPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env['KNET_KUBECTL'];
  if (given) return existsSync(given) ? given : undefined;
  return (env['PATH'] ?? '').split(':').filter((dir) => dir !== '').map((dir) => join(dir, 'kubectl')).find((p) => existsSync(p));
}

/**
 * The quick reference of the guide, on the running example. With `cluster` (kubectl is at
 * hand), a kubectl user's habits run as stock kubectl against the context `knet up` set;
 * without it they stay the knet commands that answer the same.
 */
export function runTourSteps(c: Cluster, dir: string, kubectlFor?: { cluster: string }): TourStep[] {
  const habit = (step: TourStep): TourStep => kubectlFor
    ? { ...step, program: 'kubectl', argv: ['--context', contextName(kubectlFor.cluster), ...step.argv], why: `${step.why} Stock kubectl, with the context knet up set.` }
    : step;
  const steps: TourStep[] = [
    { title: 'Bring the cluster to life', why: 'Every node and pod a network namespace; returns when every pod answers.', argv: ['up', '-f', dir] },
    habit({ title: 'The running pods, with the IPs the prediction gave them', why: 'The same addresses knet get -f predicts.', argv: ['get', 'pods', '-A', '-o', 'wide'] }),
  ];
  const frontend = firstPod(c, 'production', 'frontend');
  const api = frontend ? firstPod(c, 'production', 'api', frontend.spec.nodeName) : undefined;
  if (frontend && api) {
    const from = ['exec', '-n', 'production', frontend.meta.name, '--'];
    steps.push(
      { title: `Pod to pod across nodes (${frontend.spec.nodeName} -> ${api.spec.nodeName})`, why: 'Rule 2: direct, no NAT: the api pod sees the frontend pod\'s own IP as the client.', argv: [...from, 'curl', '-s', '-m', '3', '-w', '\\n', `http://${api.status.podIPs[0]}:8080/clientip`] },
      { title: 'Which pod answered', why: 'agnhost-compatible /hostname from the built-in responder.', argv: [...from, 'curl', '-s', '-m', '3', '-w', '\\n', `http://${api.status.podIPs[0]}:8080/hostname`] },
      { title: "The pod's resolv.conf, as the kubelet writes it", why: 'Identical to knet resolv-conf.', argv: [...from, 'cat', '/etc/resolv.conf'] },
      { title: `How ${frontend.spec.nodeName} routes pod traffic (${c.config.cni})`, why: 'calico: a /32 route per local pod, the other nodes\' ranges via their node IPs.', argv: ['exec', `node/${frontend.spec.nodeName}`, '--', 'ip', 'route'] },
      { title: 'nslookup kubernetes.default', why: 'Real DNS on the wire: the pod asks 10.96.0.10, kube-proxy DNATs it to a CoreDNS pod, the search list does the rest.', argv: [...from, 'nslookup', 'kubernetes.default'] },
      { title: 'A Service by name: curl http://api-service:8080/hostname', why: 'DNS gives the ClusterIP; kube-proxy\'s nftables rules pick a ready endpoint at random.', argv: [...from, 'curl', '-s', '-m', '3', '-w', '\\n', 'http://api-service:8080/hostname'] },
      { title: 'The kube-proxy table in a node', why: 'The service-ips verdict map sends each ClusterIP:port to its Service chain.', argv: ['exec', `node/${frontend.spec.nodeName}`, '--', 'nft', 'list', 'map', 'ip', 'kube-proxy', 'service-ips'] },
      { title: 'Pod C fails its readiness probe', why: `The guide's scene: ${apiC(c)} answers /healthz with 503; after failureThreshold (3) probes, periodSeconds (5) apart, the kubelet marks it not Ready.`, argv: ['health', '-n', 'production', apiC(c), 'unhealthy'] },
      habit({ title: 'Wait for the kubelet to mark it not Ready', why: 'The probes run for real, so this takes 10-15 s.', argv: ['wait', '-n', 'production', `pod/${apiC(c)}`, '--for=condition=Ready=false', '--timeout=60s'] }),
      habit({ title: 'It left the Service', why: 'The EndpointSlice controller drops it from the ready endpoints; kube-proxy rewrote its rules within milliseconds.', argv: ['get', 'endpoints', '-n', 'production', 'api-service'] }),
      { title: 'Traffic goes to the ready replicas only', why: `Ten requests to the Service: ${apiC(c)} is not among the answers.`, argv: [...from, 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -m 3 http://api-service:8080/hostname; echo; done | sort | uniq -c'] },
      { title: 'Healthy again: back in the Service', why: 'One passing probe (successThreshold 1) makes it Ready.', argv: ['health', '-n', 'production', apiC(c), 'healthy'] },
      habit({ title: 'Wait for Ready', why: 'At most one period (5 s).', argv: ['wait', '-n', 'production', `pod/${apiC(c)}`, '--for=condition=Ready', '--timeout=60s'] }),
      { title: 'HTTPS from the internet, with a certificate issued over ACME', why: 'cert-manager answered the HTTP-01 challenge through the ingress on port 80; Pebble (Let\'s Encrypt\'s test server) issued it; knet exec internet trusts Pebble\'s root.', argv: ['exec', 'internet', '--', 'curl', '-s', '-w', '\\n', 'https://api.opscart.com/hostname'] },
      habit({ title: 'The Certificates', why: 'READY True: the Secrets that nginx serves hold them.', argv: ['get', 'certificate', '-A'] }),
      { title: 'Policies on real packets agree with the prediction', why: 'Every pod probes every pod on 8080; only the cells where packets and prediction disagree are printed (none).', argv: ['matrix', '--probe', '--compare', '--port', '8080'] },
    );
  }
  return steps;
}

/** Runs one step (`node knet.js ARGV`, or kubectl ARGV), its output going straight to the terminal. */
export function runStep(step: TourStep, cluster: string, kubectl = kubectlOnPath()): number {
  const [file, args] = step.program === 'kubectl' && kubectl ? [kubectl, step.argv] : [process.execPath, [CLI, ...step.argv]];
  const r = spawnSync(file, args, { stdio: 'inherit', env: { ...process.env, KNET_CLUSTER: cluster } });
  return r.status ?? 1;
}
