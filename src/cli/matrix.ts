// `knet matrix`: the pod-to-pod reachability matrix under the cluster's NetworkPolicies,
// as a cyclonus-style truth table or as JSON.
import { Option, type Command } from 'commander';
import type { Cluster } from '../cluster/fill-in.js';
import { PROTOCOLS, type Protocol } from '../model/types.js';
import { buildMatrix } from '../analyze/matrix.js';
import { matrixJson, renderMatrixTable } from '../analyze/matrix-table.js';
import { unknownServicePods } from '../analyze/unmodelled.js';
import { CliError, toJson, type Io } from './output.js';
import { daemonAction, loadFrom, withSource } from './source.js';

export interface MatrixCliOptions {
  readonly port: string;
  readonly protocol: string;
  readonly namespace: string; // '' = every namespace
  readonly output: string; // table | json
  readonly assumeEnforced: boolean;
}

export function registerMatrix(program: Command, io: Io): void {
  withSource(program
    .command('matrix')
    .description('pod-to-pod reachability under the NetworkPolicies (rows: from, columns: to), to each pod\'s IP and one port'))
    .option('--port <port>', 'destination port', '80')
    .option('--protocol <protocol>', 'TCP, UDP or SCTP', 'TCP')
    .option('-n, --namespace <ns>', 'only pods of this namespace', '')
    .addOption(new Option('-o, --output <format>', 'table or json').default('table'))
    .option('--assume-enforced', 'evaluate the policies even when the network (flannel) does not enforce them', false)
    .option('--probe', 'probe with real packets on the running cluster instead of predicting', false)
    .option('--compare', 'with --probe: print only the cells where prediction and packets disagree; exit 1 if any', false)
    .action((o: MatrixCliOptions & { filename: string[]; probe: boolean; compare: boolean }) => {
      if (o.probe || o.compare) {
        runMatrix(io, null, o); // the same checks of the options, no cluster read
        // Loaded only here: predicting needs none of the data plane.
        daemonAction(io, async () => (await import('./matrix-probe.js')).runMatrixProbe(io, o))();
        return;
      }
      runMatrix(io, loadFrom(io, o.filename), o);
    });
}

export function runMatrix(io: Io, cluster: Cluster | null, o: MatrixCliOptions): void {
  if (!/^\d+$/.test(o.port) || Number(o.port) < 1 || Number(o.port) > 65535) {
    throw new CliError(`error: --port must be a number between 1 and 65535, got "${o.port}"\n  hint: a named port (http) means a different number on each pod; give the number, e.g. --port 8080`);
  }
  const protocol = o.protocol.toUpperCase();
  if (!PROTOCOLS.includes(protocol as Protocol)) {
    throw new CliError(`error: --protocol must be one of TCP, UDP, SCTP, got "${o.protocol}"`);
  }
  if (o.output !== 'table' && o.output !== 'json') {
    throw new CliError(`error: unable to match a printer suitable for the output format "${o.output}", allowed formats are: json,table`);
  }
  if (!cluster) return; // --probe: options checked, the probe reads the running cluster
  if (o.namespace && !cluster.namespaces.some((ns) => ns.meta.name === o.namespace)) {
    throw new CliError(`error: namespace "${o.namespace}" not found\n  known: ${cluster.namespaces.map((ns) => ns.meta.name).join(', ')}`);
  }
  const m = buildMatrix(cluster, {
    port: Number(o.port), protocol: protocol as Protocol, namespace: o.namespace || undefined, assumeEnforced: o.assumeEnforced,
    unknownPods: unknownServicePods(cluster),
  });
  io.out(o.output === 'json' ? toJson(matrixJson(m)) : renderMatrixTable(m));
}
