// `knet resolv-conf ns/pod`: the pod's /etc/resolv.conf as the kubelet writes it, or as
// JSON; the kubelet's warnings (limits applied) and the API server's errors (an invalid
// dnsConfig) are reported as issues.
import { Option, type Command } from 'commander';
import type { Cluster } from '../cluster/fill-in.js';
import { resolvConfOf } from '../core/dns/pod-dns.js';
import { renderResolvConf } from '../core/dns/resolv-conf.js';
import { findPod } from './dns.js';
import { CliError, reportIssues, toJson, type Io } from './output.js';
import { loadFrom, withSource } from './source.js';

export function registerResolvConf(program: Command, io: Io): void {
  withSource(program
    .command('resolv-conf')
    .description('a pod\'s /etc/resolv.conf as the kubelet writes it (dnsPolicy, dnsConfig, the node\'s file, the limits)')
    .argument('<pod>', 'ns/pod, or pod with -n'))
    .option('-n, --namespace <ns>', 'the pod\'s namespace', '')
    .addOption(new Option('-o, --output <format>', 'output format: json').default(''))
    .action((ref: string, o: { filename: string[]; namespace: string; output: string }) => {
      checkOutput(o.output);
      runResolvConf(io, loadFrom(io, o.filename), ref, { namespace: o.namespace, output: o.output });
    });
}

export function runResolvConf(io: Io, cluster: Cluster, ref: string, opts: { namespace: string; output: string }): void {
  checkOutput(opts.output);
  const pod = findPod(cluster, ref, opts.namespace);
  const r = resolvConfOf(cluster, pod);
  reportIssues(io, r.issues);
  if (opts.output === 'json') {
    io.out(toJson({ nameservers: r.conf.nameservers, searches: r.conf.searches, options: r.conf.options }));
    return;
  }
  io.out(renderResolvConf(r.conf));
}

function checkOutput(output: string): void {
  if (output !== '' && output !== 'json') {
    throw new CliError(`error: unknown output format "${output}"\n  hint: leave -o out for the file itself, or use -o json`);
  }
}
