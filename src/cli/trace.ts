// `knet trace --from SRC TARGET`: one request followed layer by layer (DNS, kube-proxy,
// policies, the pod network, the container; the load balancer, TLS and the route for an
// Ingress host), ending in delivered, failed (the layer, the reason and the fix), or unknown.
// Input errors do not stop it: what the API server would refuse is left out and named, and
// the trace goes on with the rest (exit 1 when it fails, as when anything was left out).
import { Option, type Command } from 'commander';
import type { Cluster } from '../cluster/fill-in.js';
import { PROTOCOLS, type Protocol } from '../model/types.js';
import { buildTraceContext } from '../analyze/trace-context.js';
import { isInputError, parseTraceSource, parseTraceTarget } from '../analyze/trace-input.js';
import { renderTrace, traceJson, type Style } from '../analyze/trace-render.js';
import { traceConnection } from '../analyze/trace.js';
import { CliError, paint, toJson, type Io } from './output.js';
import { loadFrom, withSource } from './source.js';

export interface TraceCliOptions {
  readonly from: string;
  readonly protocol: string;
  readonly via: string;
  readonly output: string; // '' | json
  readonly verbose: boolean;
  /** -n: the namespace of a --from given by name alone. */
  readonly namespace?: string;
  /** Without -f: knet's running cluster, whose emulated pods serve declared ports only and whose internet is the external records alone. */
  readonly running?: boolean;
}

export function registerTrace(program: Command, io: Io): void {
  withSource(program
    .command('trace')
    .description('follow one request layer by layer (DNS, Service, policies, pod network, container, Ingress, TLS): delivered, or where it fails and the fix')
    .argument('[target]', 'a URL (http://api-service:8080/, https://api.opscart.com/), name:port, IP:port, or node/NAME:port (a NodePort)'))
    .requiredOption('--from <source>', 'who sends it: ns/pod, ns/deploy/NAME (its first pod), node/NAME, or external (a client on the internet)')
    .option('--to <target>', 'the target, as an option (the same as the argument)')
    .option('-n, --namespace <ns>', 'the namespace of a --from pod given by name alone, and of -f objects that name none (as kubectl apply -n)', '')
    .option('--protocol <protocol>', 'TCP, UDP or SCTP (URLs are TCP)', 'TCP')
    .option('--via <node>', 'node/NAME: the node an outside packet reaches (NodePort, LoadBalancer)', '')
    .option('-v, --verbose', 'show the evidence under every step', false)
    .addOption(new Option('-o, --output <format>', 'json for the documented JSON form').default(''))
    .action((arg: string | undefined, o: TraceCliOptions & { filename: string[]; to?: string }) => {
      if (arg && o.to && arg !== o.to) throw new CliError(`error: two targets, "${arg}" and --to "${o.to}"\n  hint: give one`);
      const target = arg ?? o.to;
      if (!target) throw new CliError('error: no target\n  hint: knet trace --from SRC TARGET, e.g. knet trace --from prod/web https://api.github.com/');
      const code = runTrace(io, loadFrom(io, o.filename), target, { ...o, running: o.filename.length === 0 });
      if (code !== 0) throw new CliError('', code);
    });
}

/** Prints the trace; 0 when delivered or unknown (knet cannot tell: not an error), 1 when it fails. */
export function runTrace(io: Io, cluster: Cluster, target: string, o: TraceCliOptions): number {
  if (o.output !== '' && o.output !== 'json') {
    throw new CliError(`error: unable to match a printer suitable for the output format "${o.output}", allowed formats are: json`);
  }
  const protocol = o.protocol.toUpperCase() as Protocol;
  if (!PROTOCOLS.includes(protocol)) throw new CliError(`error: --protocol must be one of ${PROTOCOLS.join(', ')}, got "${o.protocol}"`);
  const ctx = buildTraceContext(cluster, { running: o.running ?? false });
  const client = parseTraceSource(ctx, o.from, o.namespace || 'default');
  if (isInputError(client)) throw new CliError(`error: --from: ${client.error}\n  hint: ${client.hint}`);
  const t = parseTraceTarget(ctx, target);
  if (isInputError(t)) throw new CliError(`error: ${t.error}\n  hint: ${t.hint}`);
  if (t.kind === 'url' && protocol !== 'TCP') throw new CliError(`error: a URL is ${t.scheme} over TCP, not ${protocol}\n  hint: give name:port with --protocol ${protocol}`);
  let via: string | null = null;
  if (o.via) {
    via = o.via.replace(/^node\//, '');
    if (!ctx.nodes.has(via)) throw new CliError(`error: --via: node "${via}" not found\n  hint: nodes: ${[...ctx.nodes.keys()].join(', ')}`);
  }
  const trace = traceConnection(ctx, { client, target: t, protocol, via });
  if (o.output === 'json') io.out(toJson(traceJson(trace)));
  else io.out(renderTrace(trace, styleFor(io), o.verbose));
  return trace.verdict === 'failed' ? 1 : 0;
}

const CODES = { ok: '\x1b[32m', fail: '\x1b[1;31m', warn: '\x1b[33m', dim: '\x1b[2m', bold: '\x1b[1m' } as const;

export function styleFor(io: Io): Style {
  return (tone, text) => paint(io, CODES[tone], text);
}
