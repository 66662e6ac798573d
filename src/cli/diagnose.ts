// `knet diagnose`: every problem in the cluster, grouped by layer, each with the object,
// where it is written, the message and the fix. It reads broken input too: the loader's
// errors are reported with the rest (what the API server would refuse is left out of the
// cluster diagnosed) instead of stopping the command; --strict refuses the whole input on
// any error, as before. Exit 1 on any error.
import { Option, type Command } from 'commander';
import type { Cluster } from '../cluster/fill-in.js';
import type { Issue } from '../model/issue.js';
import { diagnoseCluster, hasErrorFindings } from '../analyze/diagnose.js';
import { diagnosisJson, renderDiagnosis } from '../analyze/diagnose-render.js';
import { buildTraceContext } from '../analyze/trace-context.js';
import { CliError, reportIssues, toJson, type Io } from './output.js';
import { loadFrom, loadManifests, withSource } from './source.js';
import { styleFor } from './trace.js';

export function registerDiagnose(program: Command, io: Io): void {
  withSource(program
    .command('diagnose')
    .description('every problem in the cluster, by layer, with the objects involved and the fix (exit 1 when there is an error)'))
    .addOption(new Option('-o, --output <format>', 'json for the documented JSON form').default(''))
    .option('-n, --namespace <ns>', 'the namespace of -f objects that name none (as kubectl apply -n)', '')
    .action((o: { filename: string[]; output: string; strict: boolean }) => {
      if (o.output !== '' && o.output !== 'json') {
        throw new CliError(`error: unable to match a printer suitable for the output format "${o.output}", allowed formats are: json`);
      }
      const { cluster, issues } = o.filename.length > 0 ? loadManifests(o.filename) : { cluster: loadFrom(io, []), issues: [] };
      if (o.strict) reportIssues(io, issues.filter((i) => i.severity === 'error')); // refused: nothing is diagnosed
      const code = runDiagnose(io, cluster, issues, o.output, o.filename.length === 0);
      if (code !== 0) throw new CliError('', code);
    });
}

/** Prints the diagnosis; 1 when there is an error, else 0. */
export function runDiagnose(io: Io, cluster: Cluster, loaded: readonly Issue[], output: string, running = false): number {
  const findings = diagnoseCluster(cluster, loaded, buildTraceContext(cluster, { running }));
  io.out(output === 'json' ? toJson(diagnosisJson(findings)) : renderDiagnosis(findings, styleFor(io)));
  return hasErrorFindings(findings) ? 1 : 0;
}
