// `knet dns NAME`: what the cluster DNS answers, printed like dig's answer section or as
// JSON; with --from ns/pod, the pod's resolver at work: its /etc/hosts first, then the names
// its search list makes, each query's rcode, the packets sent, what resolved, and the ndots
// fan-out with its fixes. UNKNOWN where only an upstream knet does not model knows the answer.
import { Option, type Command } from 'commander';
import type { Cluster } from '../cluster/fill-in.js';
import { isInputError, sourcePod } from '../analyze/trace-input.js';
import { buildDnsIndex, resolveName, type DnsIndex } from '../core/dns/dns-server.js';
import type { DnsAnswer, RR } from '../core/dns/message.js';
import { checkName, parseQType, QTYPES, reverseName, type QType } from '../core/dns/names.js';
import { hostsOrigin } from '../core/dns/hosts-file.js';
import { resolveFromPod } from '../core/dns/pod-dns.js';
import { parseIP } from '../model/ip.js';
import type { Pod } from '../model/types.js';
import { CliError, reportIssues, toJson, type Io } from './output.js';
import { loadFrom, withSource } from './source.js';

export interface DnsOptions {
  readonly type: string; // '' = A (or PTR for an address); with --from: A and AAAA
  readonly from: string; // '' or ns/pod
  readonly namespace: string;
  readonly output: string; // '' | json
}

export function registerDns(program: Command, io: Io): void {
  withSource(program
    .command('dns')
    .description('what a DNS name resolves to in the cluster, as dig shows it; --from ns/pod walks the pod\'s search list')
    .argument('<name>', 'a DNS name (kubernetes.default.svc.cluster.local, _http._tcp.web.prod.svc.cluster.local) or an IP address for its PTR'))
    .addOption(new Option('-t, --type <type>', `record type: ${QTYPES.join(', ')}`).default(''))
    .option('--from <pod>', 'resolve as this pod does (ns/pod, or pod with -n): its resolv.conf, search list and ndots', '')
    .option('-n, --namespace <ns>', 'the namespace of the --from pod', '')
    .addOption(new Option('-o, --output <format>', 'output format: json').default(''))
    .action((name: string, o: { filename: string[]; type: string; from: string; namespace: string; output: string }) => {
      checkOutput(o.output);
      const cluster = loadFrom(io, o.filename);
      // The running cluster's internet is its external records and nothing else: closed.
      const index = buildDnsIndex(cluster, { upstream: o.filename.length === 0 ? 'closed' : 'open' });
      runDns(io, cluster, name, { type: o.type, from: o.from, namespace: o.namespace, output: o.output }, index);
    });
}

export function runDns(io: Io, cluster: Cluster, rawName: string, opts: DnsOptions, index: DnsIndex = buildDnsIndex(cluster)): void {
  checkOutput(opts.output);
  reportIssues(io, index.issues, { quietInfo: true });
  let type = opts.type ? parseQType(opts.type) : undefined;
  if (opts.type && !type) {
    throw new CliError(`error: unknown record type "${opts.type}": knet answers ${QTYPES.join(', ')}\n  hint: e.g. --type SRV for _http._tcp.web.prod.svc.cluster.local`);
  }
  let name = rawName;
  const ip = parseIP(rawName.replace(/\.$/, ''));
  if (ip) {
    if (type && type !== 'PTR') {
      throw new CliError(`error: "${rawName}" is an address, not a name: it has no ${type} record\n  hint: leave out --type (or use --type PTR) to look up the name of ${ip}`);
    }
    name = `${reverseName(ip)}.`;
    type = 'PTR';
  }
  const bad = checkName(name);
  if (bad) throw new CliError(`error: ${bad.message}\n  hint: ${bad.hint}`);

  if (opts.from) {
    fromPod(io, cluster, index, name, type, opts);
    return;
  }
  const q = type ?? 'A';
  const answer = resolveName(index, name, q);
  if (opts.output === 'json') {
    io.out(toJson(jsonAnswer(answer)));
    return;
  }
  const lines = [
    `;; status: ${answer.rcode}${noData(answer) ? ' (NODATA: the name exists, without this type)' : answer.rcode === 'UNKNOWN' ? ' (the upstream answers; knet does not know what)' : ''}`,
    ';; QUESTION SECTION:',
    `;${fqdnOf(name)} IN ${q}`,
    ...section('ANSWER', answer.answers),
    ...section('AUTHORITY', answer.authority ?? []),
    ...section('ADDITIONAL', answer.additional),
    '',
    `;; SERVER: ${serverOf(index, answer)}`,
    ...answer.reasons.map((r) => `;; why: ${r}`),
  ];
  const hint = relativeHint(name, answer, cluster);
  if (hint) lines.push(`;; hint: ${hint}`);
  io.out(lines.join('\n'));
}

function fromPod(io: Io, cluster: Cluster, index: DnsIndex, name: string, type: QType | undefined, opts: DnsOptions): void {
  const pod = findPod(cluster, opts.from, opts.namespace);
  if (type === 'ANY') throw new CliError('error: --from resolves as a pod\'s resolver does, which never asks ANY\n  hint: use a single type (A, AAAA, SRV, ...) or leave --type out for getaddrinfo\'s A and AAAA');
  const r = resolveFromPod(index, cluster, pod, name, type);
  reportIssues(io, r.resolvConf.issues);
  const answers = r.resolved?.answers ?? [];
  if (opts.output === 'json') {
    io.out(toJson({
      rcode: r.rcode,
      answers: answers.map(jsonRR),
      queries: r.queries.map((q) => ({ name: q.name, type: q.type, rcode: q.rcode })),
      packets: r.packets,
      server: r.server,
      resolved: r.resolved
        ? { name: r.resolved.name, addresses: answers.filter((a) => a.type === 'A' || a.type === 'AAAA').map((a) => a.data) }
        : null,
      ...(r.hosts ? { hosts: { source: r.hosts.source, addresses: r.hosts.addresses } } : {}),
      ...(r.rcode === 'UNKNOWN' ? unknownJson(r.reasons) : {}),
      ...(r.advice ? { warning: { message: r.advice.message, fixes: r.advice.fixes } } : {}),
    }));
    return;
  }
  const c = r.resolvConf.conf;
  const head = `;; from ${pod.meta.namespace}/${pod.meta.name} on ${pod.spec.nodeName || '(unscheduled)'}: nameserver ${c.nameservers.join(' ') || '(none)'}; search ${c.searches.join(' ') || '(none)'}; ndots:${r.ndots}`;
  if (r.hosts) {
    io.out([head, `;; ${r.hosts.name} ${hostsOrigin(r.hosts)}: read before DNS, no query sent`, ...section('ANSWER', answers)].join('\n'));
    return;
  }
  const width = Math.max(...r.queries.map((q) => q.name.length));
  const lines = [
    head,
    `;; QUERIES (glibc's search order; ${type ? `${type} for each name` : 'A and AAAA for each name, as getaddrinfo asks'}):`,
    ...r.queries.map((q, i) => {
      const first = i === 0 || r.queries[i - 1]!.name !== q.name;
      const n = first ? `${String(r.candidates.indexOf(q.name) + 1).padStart(2)}.` : '   ';
      return `;; ${n} ${q.name.padEnd(width)}  ${q.type.padEnd(5)} ${q.rcode}${q.timedOut ? ' (timeout)' : ''}`;
    }),
    `;; ${r.candidates.length} name${r.candidates.length === 1 ? '' : 's'}, ${r.packets} packet${r.packets === 1 ? '' : 's'}; ${r.resolved ? `resolved as ${r.resolved.name}` : r.rcode === 'UNKNOWN' ? `unknown: ${unknownReason(r.reasons)}` : `not resolved: ${r.rcode === 'NOERROR' ? 'NODATA' : r.rcode}`}`,
    ...section('ANSWER', answers),
    '',
    ...r.reasons.map((x) => `;; why: ${x}`),
  ];
  if (r.advice) lines.push('', `warning: ${r.advice.message}`, ...r.advice.fixes.map((f) => `  fix: ${f}`));
  io.out(lines.join('\n'));
}

/** `ns/name`, or `name` with -n (default namespace `default`), as kubectl reads pod references. */
export function findPod(cluster: Cluster, ref: string, namespace: string): Pod {
  const parts = ref.replace(/^pods?\//, '').split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new CliError(`error: "${ref}" is not a pod reference\n  hint: write ns/pod, e.g. production/api-5b8ddb4fd9-hf2hr, or pod with -n NAMESPACE`);
  }
  const ns = parts.length === 2 ? parts[0]! : namespace || 'default';
  const name = parts[parts.length - 1]!;
  const pod = sourcePod(cluster, ns, name);
  if (isInputError(pod)) throw new CliError(`error: ${pod.error}\n  hint: ${pod.hint}`);
  return pod;
}

function checkOutput(output: string): void {
  if (output !== '' && output !== 'json') {
    throw new CliError(`error: unknown output format "${output}"\n  hint: leave -o out for dig-like text, or use -o json`);
  }
}

function section(title: string, rrs: readonly RR[]): string[] {
  if (rrs.length === 0) return [];
  const w = (f: (r: RR) => string) => Math.max(...rrs.map((r) => f(r).length));
  const wn = w((r) => r.name);
  const wt = w((r) => String(r.ttl));
  const wy = w((r) => r.type);
  return ['', `;; ${title} SECTION:`, ...rrs.map((r) => `${r.name.padEnd(wn)} ${String(r.ttl).padStart(wt)} IN ${r.type.padEnd(wy)} ${r.data}`)];
}

function jsonRR(r: RR): Record<string, unknown> {
  return { name: r.name, type: r.type, ttl: r.ttl, data: r.data };
}

function jsonAnswer(a: DnsAnswer): Record<string, unknown> {
  const out: Record<string, unknown> = { rcode: a.rcode, answers: a.answers.map(jsonRR) };
  if (a.additional.length) out['additional'] = a.additional.map(jsonRR);
  if (a.rcode === 'UNKNOWN') Object.assign(out, unknownJson(a.reasons));
  return out;
}

/** The reason an answer is UNKNOWN: the upstream's answer, or a nameserver outside the model. */
function unknownReason(reasons: readonly string[]): string {
  return reasons.find((r) => r.startsWith('resolved upstream') || r.startsWith('the nameserver ')) ?? reasons[0] ?? 'an upstream knet does not model answers';
}

/** UNKNOWN in the JSON contract: rcode UNKNOWN, with the verdict and its reason. */
function unknownJson(reasons: readonly string[]): Record<string, unknown> {
  return { verdict: 'unknown', reason: unknownReason(reasons) };
}

function noData(a: DnsAnswer): boolean {
  return a.rcode === 'NOERROR' && a.answers.length === 0;
}

function fqdnOf(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

function serverOf(index: DnsIndex, a: DnsAnswer): string {
  const dns = [...index.serverIPs][0] ?? 'the cluster DNS';
  const who = a.source === 'kubernetes' ? 'CoreDNS, kubernetes plugin' : a.source === 'upstream' ? 'CoreDNS, forwarded upstream' : 'CoreDNS';
  return `${dns} (kube-system/kube-dns: ${who})`;
}

/** A relative name asked without --from is taken as absolute (as dig does): say so when it fails or goes upstream. */
function relativeHint(name: string, a: DnsAnswer, cluster: Cluster): string | null {
  const domain = cluster.config.clusterDomain;
  if (name.endsWith('.') || (a.rcode !== 'NXDOMAIN' && a.rcode !== 'UNKNOWN') || name.toLowerCase().endsWith(domain)) return null;
  const labels = name.split('.');
  const full = labels.length === 1 ? `${name}.NAMESPACE.svc.${domain}.` : labels.length === 2 ? twoLabelName(labels[0]!, labels[1]!, cluster) : null;
  return `${name} is not fully qualified and was asked as written; pods expand it with their search list: add --from NS/POD${full ? `, or write the full name ${full}` : ''}`;
}

/**
 * `a.b` in full: `<service>.<namespace>.svc.<domain>` when b is a namespace; a headless
 * Service's pod (hostname a, subdomain b) has its namespace in its name too:
 * `<hostname>.<subdomain>.<namespace>.svc.<domain>`.
 */
function twoLabelName(first: string, second: string, cluster: Cluster): string {
  const domain = cluster.config.clusterDomain;
  const [a, b] = [first.toLowerCase(), second.toLowerCase()];
  if (cluster.namespaces.some((n) => n.meta.name === b)) return `${a}.${b}.svc.${domain}.`;
  const namespaces = [...new Set(cluster.pods.filter((p) => p.spec.hostname === a && p.spec.subdomain === b).map((p) => p.meta.namespace))];
  if (namespaces.length > 0) return namespaces.map((ns) => `${a}.${b}.${ns}.svc.${domain}.`).join(' or ');
  return `${a}.${b}.svc.${domain}.`;
}
