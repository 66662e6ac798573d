// `knet exec [-n NS] POD|node/NAME|internet [-c C] [-it] -- CMD ...`: runs a host program
// (curl, dig, nslookup, ip, nft, a shell) inside that namespace of the running cluster. In a
// pod it sees the pod's resolv.conf and hosts and hostname, as a container would; the
// program's exit code is knet's.
import type { Command } from 'commander';
import { request } from '../daemon/client.js';
import type { ExecTargets } from '../daemon/workloads-view.js';
import { execInNetns } from '../dataplane/exec.js';
import { existsSync } from 'node:fs';
import { caBundlePath } from '../daemon/paths.js';
import { CliError, type Io } from './output.js';
import { daemonAction, pickCluster, requireRoot, withCluster } from './source.js';

interface ExecOptions {
  namespace: string;
  container?: string;
  stdin: boolean;
  tty: boolean;
  name?: string;
}

export function registerExec(program: Command, io: Io): void {
  withCluster(program
    .command('exec')
    .description('run a host program (curl, dig, nslookup, ip, nft, sh) inside a pod, node or the internet side of the running cluster')
    .argument('<target>', 'POD, pod/POD, node/NAME, or internet')
    .argument('[command...]', 'the program and its arguments, after --')
    .option('-n, --namespace <ns>', "the pod's namespace", '')
    .option('-c, --container <name>', 'the container (all share the pod\'s network)')
    .option('-i, --stdin', 'pass stdin to the program', false)
    .option('-t, --tty', 'the program gets the terminal (with -i: an interactive shell when no command is given)', false))
    .action(daemonAction(io, (target: string, command: string[], o: ExecOptions) => runExec(io, target, command, o)));
}

export async function runExec(io: Io, target: string, command: readonly string[], o: ExecOptions): Promise<number> {
  requireRoot('exec');
  const cluster = pickCluster(o.name);
  const interactive = o.stdin || o.tty;
  const argv = command.length > 0 ? [...command] : interactive ? ['sh'] : [];
  if (argv.length === 0) throw new CliError('error: you must specify at least one command, after --: knet exec POD -- ip -4 addr');
  const res = await request<ExecTargets & { message?: string }>(cluster, 'GET', '/apis/knet.dev/v1alpha1/targets');
  if (res.status !== 200) throw new CliError(`error: cluster ${cluster}: ${res.body.message ?? `HTTP ${res.status}`}`);
  const where = resolveTarget(res.body, target, o.namespace || 'default', o.container);
  // On the internet side (which reaches no real CA) curl and openssl trust knet's internet CA
  // and Pebble's root, so ACME certificates verify.
  const bundle = caBundlePath(cluster);
  if (where.netns === res.body.internet && existsSync(bundle)) {
    process.env['CURL_CA_BUNDLE'] = bundle;
    process.env['SSL_CERT_FILE'] = bundle;
  }
  // The program owns the terminal: ^C is for it, not for knet.
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  try {
    return await execInNetns(where.netns, argv, {
      ...(where.hostname ? { hostname: where.hostname } : {}),
      stdio: [interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'],
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
  }
}

export function resolveTarget(t: ExecTargets, target: string, namespace: string, container?: string): { netns: string; hostname: string } {
  if (target === 'internet' || target === 'inet') return { netns: t.internet, hostname: '' };
  if (target.startsWith('node/') || target.startsWith('nodes/') || target.startsWith('no/')) {
    const name = target.slice(target.indexOf('/') + 1);
    const node = t.nodes.find((n) => n.name === name);
    if (!node) throw new CliError(`Error from server (NotFound): nodes "${name}" not found\n  hint: nodes: ${t.nodes.map((n) => n.name).join(', ')}`);
    return { netns: node.netns, hostname: node.name };
  }
  let ns = namespace;
  let name = target.replace(/^(pods?|po)\//, '');
  if (name.includes('/')) [ns, name] = name.split('/', 2) as [string, string];
  const ref = `${ns}/${name}`;
  const pod = t.pods.find((p) => p.pod === ref);
  if (!pod) {
    const skipped = t.skipped.find((s) => s.pod === ref);
    if (skipped) throw new CliError(`error: pod ${ref} has no network namespace: ${skipped.reason}`);
    throw new CliError(`Error from server (NotFound): pods "${name}" not found in namespace ${ns}`);
  }
  if (container && !pod.containers.includes(container)) {
    throw new CliError(`error: container ${container} not found in pod ${name}; its containers: ${pod.containers.join(', ')}`);
  }
  return { netns: pod.netns, hostname: pod.hostname };
}
