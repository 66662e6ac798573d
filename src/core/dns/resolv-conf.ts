// A pod's /etc/resolv.conf as the kubelet forms it (pkg/kubelet/network/dns/dns.go) and
// the container runtime writes it: the dnsPolicy's base (cluster DNS with the namespace's
// search list and ndots:5, or the node's own file, or nothing), dnsConfig merged in,
// then the limits (3 nameservers, 32 search domains, 2048 characters), with the
// warnings and validation errors the kubelet and API server would give.
import type { Issue } from '../../model/issue.js';
import { parseIP, type IP } from '../../model/ip.js';
import type { Pod } from '../../model/types.js';
import { issueAt } from '../../cluster/issues.js';

export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[]; // `ndots:5`, `edns0`
}

export interface PodResolvConf {
  readonly conf: ResolvConf;
  /** The base the kubelet used: the cluster DNS, the node's file (Default), or nothing (None). */
  readonly base: 'cluster' | 'node' | 'none';
  readonly reasons: readonly string[];
  readonly issues: readonly Issue[];
}

export const MAX_NAMESERVERS = 3;
export const MAX_SEARCHES = 32;
export const MAX_SEARCH_LINE = 2048;
const MAX_DOMAIN = 253;

/** The kubelet's reading of a resolv.conf: nameservers add up, the last search line wins, options merge by name. */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const fields = line.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    if (fields[0] === 'nameserver' && fields[1]) nameservers.push(fields[1]);
    // `search .` would make musl resolvers fail; the kubelet drops it (PR #112157).
    if (fields[0] === 'search') searches = fields.slice(1).filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    if (fields[0] === 'options') options = mergeOptions(options, fields.slice(1));
  }
  return { nameservers, searches, options };
}

/**
 * resolv.conf as containerd writes it: search, nameserver lines, options. An entry with
 * whitespace or a control character is left out: input can never add a line or a field
 * (the loader refuses such values first; this holds whatever reaches here).
 */
export function renderResolvConf(c: ResolvConf): string {
  const safe = (xs: readonly string[]) => xs.filter((x) => x !== '' && !/[\s\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(x));
  const searches = safe(c.searches);
  const options = safe(c.options);
  let out = '';
  if (searches.length) out += `search ${searches.join(' ')}\n`;
  for (const ns of safe(c.nameservers)) out += `nameserver ${ns}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}

/** The value of `ndots` (glibc: 1 when absent, at most 15). */
export function ndotsOf(c: ResolvConf): number {
  let n = 1;
  for (const o of c.options) {
    const m = o.match(/^ndots:(\d+)$/);
    if (m) n = Math.min(15, Number(m[1]));
  }
  return n;
}

export function podResolvConf(pod: Pod, nodeResolvConf: string, clusterDNS: readonly IP[], clusterDomain: string): PodResolvConf {
  const issues: Issue[] = [...validateDnsConfig(pod)];
  const reasons: string[] = [];
  const node = parseResolvConf(nodeResolvConf);
  const policy = pod.spec.dnsPolicy;
  let base: PodResolvConf['base'];
  let conf: ResolvConf;
  if (policy === 'None') {
    base = 'none';
    conf = { nameservers: [], searches: [], options: [] };
    reasons.push('dnsPolicy None: the kubelet starts from an empty file; only dnsConfig fills it');
  } else if ((policy === 'ClusterFirst' && !pod.spec.hostNetwork) || policy === 'ClusterFirstWithHostNet') {
    if (clusterDNS.length === 0) {
      issues.push(issueAt(pod, ['spec', 'dnsPolicy'], 'missing-cluster-dns', 'warning',
        `the kubelet has no clusterDNS configured and cannot use the "${policy}" policy; it falls back to "Default" (event MissingClusterDNS)`,
        'set dns.clusterDNS in the Cluster object (the kubelet\'s clusterDNS)'));
      base = 'node';
      conf = node;
    } else {
      base = 'cluster';
      const ns = pod.meta.namespace;
      conf = {
        nameservers: [...clusterDNS],
        searches: dedupe([`${ns}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain, ...node.searches]),
        options: ['ndots:5'], // replaces the node's options (timeout, attempts, rotate are lost)
      };
      reasons.push(`dnsPolicy ${policy}${pod.spec.hostNetwork ? ' (hostNetwork)' : ''}: the cluster DNS, the namespace's search list, then the node's; options are replaced by ndots:5`);
    }
  } else {
    base = 'node';
    conf = node;
    reasons.push(policy === 'ClusterFirst'
      ? 'dnsPolicy ClusterFirst on a hostNetwork pod falls back to Default: the node\'s own resolv.conf (use ClusterFirstWithHostNet for cluster names)'
      : 'dnsPolicy Default: the node\'s own resolv.conf, options included');
  }
  const extra = pod.spec.dnsConfig;
  if (extra) {
    conf = {
      nameservers: dedupe([...conf.nameservers, ...extra.nameservers]),
      searches: dedupe([...conf.searches, ...extra.searches]),
      options: mergeOptions(conf.options, extra.options.map((o) => (o.value ? `${o.name}:${o.value}` : o.name))),
    };
    reasons.push('dnsConfig: nameservers and searches appended (duplicates dropped), options merged by name (the pod\'s value wins)');
  }
  return { conf: fitLimits(pod, conf, issues), base, reasons, issues };
}

/** The kubelet's formDNSConfigFitsLimits: truncate, drop, trim, and warn (event DNSConfigForming). */
function fitLimits(pod: Pod, c: ResolvConf, issues: Issue[]): ResolvConf {
  let nameservers = c.nameservers;
  if (nameservers.length > MAX_NAMESERVERS) {
    nameservers = nameservers.slice(0, MAX_NAMESERVERS);
    issues.push(issueAt(pod, ['spec', 'dnsConfig', 'nameservers'], 'dns-config-forming', 'warning',
      `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${nameservers.join(' ')}`,
      `a resolver reads at most ${MAX_NAMESERVERS} nameservers; with ClusterFirst the cluster DNS already takes the first place`));
  }
  let searches = c.searches;
  let exceeded = false;
  if (searches.length > MAX_SEARCHES) {
    searches = searches.slice(0, MAX_SEARCHES);
    exceeded = true;
  }
  if (searches.some((s) => s.length > MAX_DOMAIN)) {
    searches = searches.filter((s) => s.length <= MAX_DOMAIN); // glibc 2.28 aborts on longer ones
    exceeded = true;
  }
  let lineLength = searches.join(' ').length;
  if (lineLength > MAX_SEARCH_LINE) {
    const kept = [...searches];
    while (kept.length && lineLength > MAX_SEARCH_LINE) lineLength -= kept.pop()!.length + 1;
    searches = kept;
    exceeded = true;
  }
  if (exceeded) {
    issues.push(issueAt(pod, ['spec', 'dnsConfig', 'searches'], 'dns-config-forming', 'warning',
      `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}`,
      `keep at most ${MAX_SEARCHES} search domains and ${MAX_SEARCH_LINE} characters, counting the ${pod.spec.dnsPolicy === 'None' ? '' : 'cluster\'s and the node\'s '}domains`));
  }
  return { nameservers, searches, options: c.options };
}

/** What the API server rejects in spec.dnsConfig (validatePodDNSConfig). */
function validateDnsConfig(pod: Pod): Issue[] {
  const out: Issue[] = [];
  const c = pod.spec.dnsConfig;
  const at = (path: (string | number)[], message: string, hint: string) =>
    out.push(issueAt(pod, ['spec', 'dnsConfig', ...path], 'invalid-dns-config', 'error', message, hint));
  if (pod.spec.dnsPolicy === 'None' && (!c || c.nameservers.length === 0)) {
    at(['nameservers'], 'must provide at least one DNS nameserver when `dnsPolicy` is `None`',
      'list a nameserver in dnsConfig (e.g. the cluster DNS 10.96.0.10), or use dnsPolicy ClusterFirst');
  }
  if (!c) return out;
  if (c.nameservers.length > MAX_NAMESERVERS) {
    at(['nameservers'], `must not have more than ${MAX_NAMESERVERS} nameservers: ${c.nameservers.join(', ')}`, 'a resolver reads only the first 3');
  }
  c.nameservers.forEach((ns, i) => {
    if (!parseIP(ns)) at(['nameservers', i], `must be valid IP address: ${ns}`, 'nameservers are addresses, not names');
  });
  if (c.searches.length > MAX_SEARCHES) {
    at(['searches'], `must not have more than ${MAX_SEARCHES} search paths`, 'drop the least used domains');
  }
  if (c.searches.join(' ').length > MAX_SEARCH_LINE) {
    at(['searches'], `must not have more than ${MAX_SEARCH_LINE} characters (including spaces) in the search list`, 'drop or shorten search domains');
  }
  c.searches.forEach((s, i) => {
    // DNS-1123 subdomains; RelaxedDNSSearchValidation (GA) also allows '_' and a lone '.'.
    if (s !== '.' && !/^[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?(\.[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?)*\.?$/.test(s)) {
      at(['searches', i], `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-', '_' or '.': "${s}"`, 'e.g. example.com');
    }
  });
  c.options.forEach((o, i) => {
    if (!o.name) at(['options', i, 'name'], 'Required value: must not be empty', 'e.g. name: ndots, value: "2"');
  });
  return out;
}

function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** Options by name, the later value winning in place (the kubelet merges through a map). */
function mergeOptions(existing: readonly string[], added: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...existing, ...added]) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}
