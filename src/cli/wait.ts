// `knet wait [-n NS] pod/NAME --for=condition=Ready[=false] [--timeout=60s]`, as kubectl
// waits: reads the running cluster (the pods' Ready as their kubelets report it) until the
// condition holds, then says `pod/NAME condition met`; exit 1 when the time runs out.
import type { Command } from 'commander';
import { CliError, type Io } from './output.js';
import { daemonAction, loadFrom, withCluster } from './source.js';

export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

export function parseCondition(text: string): { type: string; want: boolean } | null {
  const m = /^condition=([A-Za-z]+)(?:=(true|false|True|False))?$/.exec(text);
  if (!m) return null;
  return { type: m[1]!, want: m[2] === undefined || m[2].toLowerCase() === 'true' };
}

export function registerWait(program: Command, io: Io): void {
  withCluster(program
    .command('wait')
    .description("wait until a running pod's condition holds (--for=condition=Ready, or Ready=false)")
    .argument('<pod>', 'pod/NAME or NAME')
    .requiredOption('--for <condition>', 'condition=Ready or condition=Ready=false')
    .option('-n, --namespace <ns>', "the pod's namespace", '')
    .option('--timeout <duration>', 'give up after this long (30s, 500ms, 2m)', '30s'))
    .action(daemonAction(io, async (target: string, o: { for: string; namespace: string; timeout: string; name?: string }) => {
      const cond = parseCondition(o.for);
      if (!cond || cond.type !== 'Ready') throw new CliError(`error: --for must be condition=Ready or condition=Ready=false, not "${o.for}"`);
      const ms = parseDuration(o.timeout);
      if (ms === null) throw new CliError(`error: --timeout "${o.timeout}" is not a duration (e.g. 30s, 500ms, 2m)`);
      const name = target.replace(/^(pods?|po)\//, '');
      const ns = o.namespace || 'default';
      const deadline = Date.now() + ms;
      for (;;) {
        const pod = loadFrom(io, [], o.name).pods.find((p) => p.meta.namespace === ns && p.meta.name === name);
        if (!pod) throw new CliError(`Error from server (NotFound): pods "${name}" not found in namespace ${ns}`);
        if ((pod.status.ready === true) === cond.want) {
          io.out(`pod/${name} condition met\n`);
          return 0;
        }
        if (Date.now() > deadline) throw new CliError(`error: timed out waiting for the condition on pods/${name}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }));
}
