// `knet tour`: the guide's production cluster, layer by layer, with the commands a user
// would type. It grows as knet does: each step is a real knet command run on the example.
import type { Command } from 'commander';
import type { Cluster } from '../cluster/fill-in.js';
import { CliError, paint, type Io } from './output.js';
import { loadManifests, reportInput } from './source.js';
import { installPackages, kubectlOnPath, missingTools, runStep, runTourSteps } from './run-tour.js';

export interface TourStep {
  readonly title: string;
  readonly why: string;
  readonly argv: readonly string[];
  /** Who runs argv: knet (the default) or stock kubectl. */
  readonly program?: 'knet' | 'kubectl';
}

export const DEFAULT_EXAMPLE = 'examples/opscart';

/** A pod to ask from: the first of the namespace with the label, or of the namespace. */
function podRef(c: Cluster, ns: string, app: string): string | null {
  const pods = c.podIndex.inNamespace(ns);
  const pod = pods.find((p) => p.meta.labels['app'] === app) ?? pods[0];
  return pod ? `${ns}/${pod.meta.name}` : null;
}

/** The Predict tour: what the control plane fills in, then what each layer decides. */
export function predictTour(c: Cluster): TourStep[] {
  const steps = [
    { title: 'Nodes and their pod ranges', why: 'Layer 2: every node owns a podCIDR; the CNI hands pod IPs out of it.', argv: ['get', 'nodes', '-o', 'wide'] },
    { title: 'Every pod gets its own IP', why: 'Rule 1: one IP per pod, from its node\'s range; pods reach each other without NAT.', argv: ['get', 'pods', '-A', '-o', 'wide'] },
    { title: 'Services: stable virtual IPs', why: 'Layer 3: ClusterIPs from 10.96.0.0/12; kube-dns is 10.96.0.10; the LoadBalancer gets an external IP.', argv: ['get', 'svc', '-A'] },
    { title: 'Endpoints: where a Service really sends traffic', why: 'Only ready pods are endpoints; kube-proxy balances over them.', argv: ['get', 'endpoints', '-n', 'production'] },
    { title: 'A headless Service for a StatefulSet', why: 'clusterIP: None: DNS returns the pods themselves (kafka-0.kafka-headless.messaging...).', argv: ['get', 'endpointslices', '-n', 'messaging', '-o', 'wide'] },
    { title: 'Ingress: one entry point for HTTP(S)', why: 'Layer 4: host and path routing, TLS terminated at the controller.', argv: ['get', 'ingress', '-A'] },
    { title: 'NetworkPolicies in production', why: 'Default deny, then explicit allows; the DNS egress rule keeps name resolution alive.', argv: ['get', 'netpol', '-n', 'production'] },
    { title: 'Certificates cert-manager will request', why: 'The ingress-shim makes one Certificate per TLS entry of an annotated Ingress.', argv: ['get', 'certificates', '-A'] },
  ];
  const api = podRef(c, 'production', 'api');
  const frontend = podRef(c, 'production', 'frontend');
  if (frontend) {
    steps.push(
      { title: "A pod's /etc/resolv.conf", why: 'ClusterFirst: the kube-dns ClusterIP, the namespace search list, ndots:5.', argv: ['resolv-conf', frontend] },
      { title: 'nslookup kubernetes.default from a pod', why: 'Layer 3 DNS: the search list turns a short name into the Service FQDN.', argv: ['dns', 'kubernetes.default', '--from', frontend] },
    );
  }
  if (api) {
    steps.push({ title: 'The ndots:5 problem', why: 'An external name with few dots walks the whole search list first: four names, eight packets.', argv: ['dns', 'api.external.com', '--from', api] });
  }
  steps.push(
    { title: 'A headless name resolves to a pod', why: 'StatefulSet pods get stable names under their headless Service.', argv: ['dns', 'kafka-0.kafka-headless.messaging.svc.cluster.local'] },
    { title: 'ExternalName: a CNAME to the outside', why: 'orders-db is an alias for db.external.com, answered by the upstream.', argv: ['dns', 'orders-db.production.svc.cluster.local'] },
    { title: 'Ingress routing: https://api.opscart.com/users', why: 'Layer 4: the host picks the server, the longest path the location, TLS from the cert-manager Secret.', argv: ['route', 'https://api.opscart.com/users'] },
    { title: 'Plain HTTP is redirected', why: 'ingress-nginx answers 308 to https when the Ingress has TLS.', argv: ['route', 'http://app.opscart.com/'] },
    { title: 'NetworkPolicies at work on port 8080', why: 'Default deny in production; only the frontend and the ingress controller reach api on 8080.', argv: ['matrix', '--port', '8080'] },
  );
  return steps;
}

export function registerTour(program: Command, io: Io, run: (argv: readonly string[]) => number): void {
  program
    .command('tour')
    .description("walk through the guide's production cluster layer by layer (default: examples/opscart); as root it runs the cluster for real")
    .option('-f, --filename <path>', 'the cluster to tour', DEFAULT_EXAMPLE)
    .option('--predict', 'only predict from the manifests, even as root', false)
    .option('--name <name>', 'the running cluster\'s name (as root)', 'knet')
    .option('--strict', 'refuse the whole input when any object in it would be refused (default: tour the rest, exit 1)', false)
    .action((o: { filename: string; predict: boolean; name: string; strict: boolean }) => {
      // Partial input, as every Predict command takes it: what would be refused is named and
      // left out, and each step says so again (and fails) for itself.
      const loaded = loadManifests([o.filename], '');
      reportInput(io, { issues: loaded.issues.filter((i) => i.severity !== 'info'), refused: loaded.refused }, o.strict);
      const strict = o.strict ? ['--strict'] : [];
      let why = '';
      if (!o.predict) {
        if (process.platform !== 'linux') why = 'running a cluster needs Linux network namespaces';
        else if (process.getuid?.() !== 0) why = 'running a cluster needs root (network namespaces and nftables); run the same command as root to bring it to life';
        else why = installPackages(io, missingTools());
      }
      let failed = 0;
      if (!o.predict && !why) {
        const kubectl = kubectlOnPath();
        const steps = runTourSteps(loaded.cluster, o.filename, kubectl ? { cluster: o.name } : undefined);
        io.out(paint(io, '\x1b[1m', `knet tour of ${o.filename}: the cluster runs for real as "${o.name}" (network namespaces, real packets)`));
        if (!kubectl) io.out(paint(io, '\x1b[2m', 'no kubectl on PATH: the steps a kubectl user would type run as knet commands'));
        steps.forEach((s, i) => {
          printStep(io, s, i, steps.length, [s.program ?? 'knet', ...s.argv].join(' '));
          if (runStep(s, o.name, kubectl) !== 0) failed++;
        });
        io.out('');
        io.out(paint(io, '\x1b[1m', 'What the next layers decide, predicted from the same manifests:'));
      } else if (!o.predict) {
        io.out(paint(io, '\x1b[33m', `note: ${why}; this is the Predict tour (no root needed).`));
      }
      const steps = predictTour(loaded.cluster);
      io.out(paint(io, '\x1b[1m', `knet tour of ${o.filename}: predicted from the manifests`));
      steps.forEach((s, i) => {
        printStep(io, s, i, steps.length, ['knet', ...s.argv, '-f', o.filename, ...strict].join(' '));
        if (run([...s.argv, '-f', o.filename, ...strict]) !== 0) failed++;
      });
      if (!o.predict && !why) {
        io.out('');
        const get = kubectlOnPath() ? 'kubectl get pods -A -o wide' : 'knet get pods -A -o wide';
        io.out(paint(io, '\x1b[1m', `The cluster "${o.name}" keeps running: ${get} · knet exec -n production POD -- curl ... · knet down --name ${o.name}`));
      }
      if (failed > 0) throw new CliError(`${failed} tour step${failed === 1 ? '' : 's'} failed`);
    });
}

function printStep(io: Io, s: TourStep, i: number, n: number, shown: string): void {
  io.out('');
  io.out(paint(io, '\x1b[1;36m', `── ${i + 1}/${n}  ${s.title}`));
  io.out(paint(io, '\x1b[2m', `   ${s.why}`));
  io.out(paint(io, '\x1b[1m', `$ ${shown}`));
}
