// The DNS step of a trace: the pod's /etc/hosts first, then the client's resolv.conf, the
// fact that a query is itself a connection (pod -> kube-dns ClusterIP:53/UDP -> DNAT to a
// CoreDNS pod) that policies can block, each query of the search expansion with its rcode,
// and the address it ends with, or UNKNOWN where only the upstream knows it.
import { askServer } from '../core/dns/dns-server.js';
import { hostsOrigin } from '../core/dns/hosts-file.js';
import { resolveFromPod, resolvConfOf, type PodLookup } from '../core/dns/pod-dns.js';
import { parseResolvConf, type ResolvConf } from '../core/dns/resolv-conf.js';
import { searchName, type SearchResult } from '../core/dns/search.js';
import { hostMatches } from '../core/ingress/host-path.js';
import { decideConnection } from '../core/service/decide-connection.js';
import { parseIP, type IP } from '../model/ip.js';
import { hostPort, peerOfAddress, plural, podRef, PUBLIC_DNS, type TraceClient, type TraceContext } from './trace-context.js';
import { egressStep, ingressStep } from './trace-policy.js';
import { explainNoEndpoints, findService } from './trace-service.js';
import type { UnknownAnswer } from './trace-outside.js';
import type { DnsQueryLine, TraceStep } from './trace-types.js';
import type { NetworkPolicy } from '../model/types.js';
import { selectorYaml } from '../model/labels.js';

type DnsStep = Extract<TraceStep, { layer: 'dns' }>;

/**
 * The seed's rule: always add DNS egress alongside a default-deny egress policy, scoped like
 * the policy that blocks it (its namespace and podSelector): an app's egress policy gets a
 * DNS rule for that app's pods, not for the whole namespace.
 */
export function dnsEgressHint(policy: Pick<NetworkPolicy, 'meta' | 'podSelector'>): string {
  const all = policy.podSelector.requirements.length === 0;
  return `allow DNS ${all ? 'next to the default deny' : `for the pods NetworkPolicy ${policy.meta.namespace}/${policy.meta.name} selects`}: a NetworkPolicy in ${policy.meta.namespace} with podSelector: ${selectorYaml(policy.podSelector)}, policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}]`;
}

function dnsEgressHintFor(ctx: TraceContext, isolatedBy: readonly string[]): string {
  const p = blockingPolicy(ctx, isolatedBy);
  return p ? dnsEgressHint(p) : 'allow egress to kube-dns on UDP and TCP 53';
}

/** Of the policies isolating a pod's egress, the one to scope the DNS fix by: the default deny (no egress rule), else the first. */
export function blockingPolicy(ctx: TraceContext, refs: readonly string[]): NetworkPolicy | null {
  const objs = refs.map((r) => ctx.cluster.networkPolicies.find((p) => `${p.meta.namespace}/${p.meta.name}` === r)).filter((p) => p !== undefined);
  return objs.find((p) => p.egress.length === 0) ?? objs[0] ?? null;
}

/** What the DNS step ends with: an address, an address only the upstream knows, or nothing. */
export interface DnsOutcome {
  readonly step: DnsStep;
  readonly address: IP | null;
  /** Resolved where knet cannot follow: the upstream's answer, or a nameserver outside the model. */
  readonly unknown: UnknownAnswer | null;
}

export function traceDns(ctx: TraceContext, client: TraceClient, name: string): DnsOutcome {
  const conf = resolvConfFor(ctx, client);
  const details = [`${client.kind === 'external' ? 'public DNS' : 'resolv.conf'}: nameserver ${conf.nameservers.join(' ') || '(none)'}${conf.searches.length ? `; search ${conf.searches.join(' ')}` : ''}${conf.options.length ? `; options ${conf.options.join(' ')}` : ''}`];
  const base = { layer: 'dns' as const, name, server: conf.nameservers[0] ?? '', queries: [] as DnsQueryLine[], addresses: [] as string[], warning: null, hint: null };
  const fail = (summary: string, hint: string): DnsOutcome => ({ step: { ...base, ok: false, summary, details, hint }, address: null, unknown: null });
  const lookup: PodLookup | null = client.pod ? resolveFromPod(ctx.dns, ctx.cluster, client.pod, name) : null;
  const r: SearchResult = lookup ?? searchName(conf, name, ['A', 'AAAA'], (s, n, t) => askServer(ctx.dns, s, n, t));
  const hosts = lookup?.hosts ?? null;
  if (hosts) {
    // The hosts file answers before any query: no connection to the nameserver is made.
    const first = (hosts.addresses.find((a) => !a.includes(':')) ?? hosts.addresses[0]) as IP;
    // Loopback is the pod itself: its containers share one network namespace.
    const self = isLoopback(first) && client.pod ? client.ip : null;
    const address = self ?? first;
    const summary = `${name} -> ${first}${whatIs(ctx, first)} ${hostsOrigin(hosts)}; no DNS query${self ? `: loopback, the pod itself (${self})` : ''}`;
    return { step: { ...base, ok: true, addresses: [...hosts.addresses], details: [...details, ...r.reasons], summary }, address, unknown: null };
  }
  if (!conf.nameservers[0]) return fail(`${client.label} has no nameserver in its resolv.conf: ${name} cannot be resolved`, 'use dnsPolicy ClusterFirst, or give dnsConfig.nameservers with dnsPolicy None');

  if (client.kind !== 'external') {
    const conn = dnsConnection(ctx, client, conf.nameservers[0]);
    details.push(...conn.line.split('\n'));
    if (!conn.ok) return fail(`name lookups from ${client.label} time out: ${conn.reason}`, conn.hint);
  }
  const queries = r.queries.map((q) => ({ name: q.name, type: q.type, rcode: q.timedOut ? 'TIMEOUT' : q.rcode === 'NOERROR' && q.answers === 0 ? 'NODATA' : q.rcode }));
  details.push(...queryLines(queries));
  if (r.advice) details.push(`note: ${r.advice.message}; ${r.advice.fixes[0] ?? ''}`);
  const found = { ...base, queries, details };

  if (r.resolved) {
    const addresses = r.resolved.answers.filter((a) => a.type === 'A' || a.type === 'AAAA').map((a) => a.data);
    const cname = r.resolved.answers.find((a) => a.type === 'CNAME');
    const address = (addresses.find((a) => !a.includes(':')) ?? addresses[0]) as IP | undefined;
    if (address) {
      const nth = r.candidates.length === 1 ? '' : `, the ${ordinal(r.candidates.length)} name tried`;
      return {
        step: { ...found, ok: true, addresses, summary: `${name} -> ${address}${whatIs(ctx, address)} as ${r.resolved.name}${cname ? ` (CNAME ${cname.data})` : ''}${nth}; ${plural(r.packets, 'query', 'queries')}` },
        address, unknown: null,
      };
    }
  }
  const published = publishedAddress(ctx, name);
  if (published) {
    return {
      step: {
        ...found, ok: true, addresses: [published],
        summary: `${name} -> ${published}, the address the ingress controller publishes for Ingress ${ingressOf(ctx, name)}`,
        details: [...details, `${name} is not among the Cluster object's external records: knet takes the public DNS record to point at the Ingress's address, as it would in production`],
      },
      address: published, unknown: null,
    };
  }
  if (r.rcode === 'UNKNOWN' && !(client.kind === 'external' && namedByIngress(ctx, name))) {
    const server = r.server;
    const foreign = !ctx.dns.serverIPs.has(server) && !ctx.dns.upstreamServers.has(server);
    const unknown: UnknownAnswer = foreign ? { kind: 'foreign-server', server } : { kind: 'upstream' };
    const summary = foreign
      ? `${name}: asked of ${server}, a nameserver outside the model: its answer is unknown to knet`
      : `${name}: ${r.reasons.find((x) => x.startsWith('resolved upstream')) ?? 'resolved upstream'}`;
    return { step: { ...found, ok: true, summary, details: [...details, ...r.reasons.filter((x) => !summary.endsWith(x))] }, address: null, unknown };
  }
  const rcode = r.rcode === 'NOERROR' ? 'NODATA' : r.rcode === 'UNKNOWN' ? 'no address knet knows' : r.rcode;
  return { step: { ...found, ok: false, summary: `${name} does not resolve: ${rcode} after ${plural(r.candidates.length, 'name')} (${plural(r.packets, 'query', 'queries')})`, hint: nameHint(ctx, client, name, r) }, address: null, unknown: null };
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.');
}

/** Some Ingress rule names the host, served or not (what an outside client's trace is about). */
function namedByIngress(ctx: TraceContext, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return ctx.cluster.ingresses.some((i) => i.rules.some((r) => r.host && hostMatches(r.host, h)));
}

function resolvConfFor(ctx: TraceContext, client: TraceClient): ResolvConf {
  if (client.pod) return resolvConfOf(ctx.cluster, client.pod).conf;
  if (client.node) return parseResolvConf(ctx.nodes.get(client.node)?.resolvConf || ctx.cluster.config.defaultResolvConf);
  return { nameservers: [PUBLIC_DNS], searches: [], options: [] };
}

/**
 * A DNS query is a connection too: from the client to the nameserver on 53/UDP, through
 * kube-proxy (the kube-dns ClusterIP is DNATed to a CoreDNS pod) and the policies of both ends.
 */
export function dnsConnection(ctx: TraceContext, client: TraceClient, server: string): { ok: boolean; line: string; reason: string; hint: string } {
  const traffic = { port: 53, protocol: 'UDP' as const };
  const ip = parseIP(server);
  if (!ip) return { ok: false, line: `nameserver ${server} is not an address`, reason: `nameserver ${server} is not an address`, hint: 'fix the nameserver in dnsConfig' };
  const d = decideConnection(ctx.proxy, { src: client.ip, dst: ip, dstPort: 53, protocol: 'UDP', clientNode: client.node });
  const head = `the query is a connection: ${client.ip} -> ${hostPort(ip, 53)}/UDP`;
  if (d.verdict === 'reject' || d.verdict === 'drop') {
    const svc = findService(ctx, d.service);
    const why = svc ? explainNoEndpoints(ctx, svc) : null;
    const reason = `${d.service ?? server} ${why ? `has no endpoint: ${why.reason}` : d.reasons[d.reasons.length - 1] ?? d.verdict}`;
    return { ok: false, line: `${head}: ${d.verdict}`, reason, hint: why?.hint ?? 'check the CoreDNS pods: kubectl get pods -n kube-system -l k8s-app=kube-dns' };
  }
  const targets = d.verdict === 'dnat' ? d.endpoints.map((e) => ({ ip: e.ip, port: e.port })) : [{ ip, port: 53 }];
  let firstDenial: Extract<TraceStep, { layer: 'policy' }> | null = null;
  for (const t of targets) {
    const dst = peerOfAddress(ctx, t.ip);
    const egress = egressStep(ctx, client.peer, dst, { ...traffic, port: t.port });
    const ingress = ingressStep(ctx, client.peer, dst, { ...traffic, port: t.port });
    const denied = [egress, ingress].find((s) => s && !s.ok);
    const who = dst.kind === 'pod' ? `${podRef(dst.pod)} ${hostPort(t.ip, t.port)}` : hostPort(t.ip, t.port);
    if (!denied) {
      const allowed = [egress, ingress].filter((s) => s !== null).map((s) => s!.summary).join('; ');
      const dnat = d.verdict === 'dnat' ? ` -> DNAT to ${who}` : '';
      return { ok: true, line: `${head}${dnat}${allowed ? `\n  ${allowed}` : ''}`, reason: '', hint: '' };
    }
    firstDenial ??= denied;
  }
  const to = d.verdict === 'dnat' ? `kube-dns ${server}:53/UDP (${plural(targets.length, 'CoreDNS pod')})` : `${server}:53/UDP`;
  const by = firstDenial!.isolatedBy.join(', ');
  return {
    ok: false, line: `${head}: blocked\n  ${firstDenial!.summary}`,
    reason: firstDenial!.direction === 'egress'
      ? `its queries to ${to} are dropped at its egress: isolated by ${by}, and no egress rule allows port 53`
      : `its queries to ${to} are dropped at the CoreDNS pods' ingress: isolated by ${by}, and no ingress rule admits it on port 53`,
    hint: firstDenial!.direction === 'egress' ? dnsEgressHintFor(ctx, firstDenial!.isolatedBy) : `allow ingress to the CoreDNS pods on UDP and TCP 53 from every namespace in ${firstDenial!.isolatedBy.join(', ')}`,
  };
}

function queryLines(queries: readonly DnsQueryLine[]): string[] {
  const byName = new Map<string, string[]>();
  for (const q of queries) {
    const list = byName.get(q.name);
    if (list) list.push(`${q.type} ${q.rcode}`);
    else byName.set(q.name, [`${q.type} ${q.rcode}`]);
  }
  const width = Math.max(0, ...[...byName.keys()].map((n) => n.length));
  return [...byName.entries()].map(([n, r], i) => `${i + 1}. ${n.padEnd(width)}  ${r.join(', ')}`);
}

/** What an address is, for the reader: a Service's ClusterIP, a pod, a node. */
function whatIs(ctx: TraceContext, ip: string): string {
  const svc = ctx.serviceByAddress.get(ip);
  if (svc) return ` (Service ${svc.meta.namespace}/${svc.meta.name})`;
  const pod = ctx.podsByIP.get(ip)?.[0];
  if (pod) return ` (pod ${podRef(pod)})`;
  const node = ctx.proxy.nodeByIP.get(ip);
  return node ? ` (node ${node})` : '';
}

/** The address a served Ingress publishes for `host` (status.loadBalancer), if any. */
export function publishedAddress(ctx: TraceContext, host: string): IP | null {
  const ing = servingIngress(ctx, host);
  const a = ing?.loadBalancerIngress.map((x) => parseIP(x)).find((x) => x !== undefined);
  return a ?? null;
}

function servingIngress(ctx: TraceContext, host: string) {
  const h = host.toLowerCase().replace(/\.$/, '');
  const served = new Set(ctx.routes.admissions.filter((a) => a.served).map((a) => a.ingress as string));
  return ctx.cluster.ingresses.find((i) => served.has(`${i.meta.namespace}/${i.meta.name}`) && i.rules.some((r) => r.host && hostMatches(r.host, h))) ?? null;
}

function ingressOf(ctx: TraceContext, host: string): string {
  const i = servingIngress(ctx, host);
  return i ? `${i.meta.namespace}/${i.meta.name}` : '';
}

function nameHint(ctx: TraceContext, client: TraceClient, name: string, r: SearchResult): string {
  if (r.queries.some((q) => q.timedOut)) return `nothing answers DNS at ${r.server}: point the resolver at the cluster DNS (${ctx.cluster.config.clusterDNS.join(', ')})`;
  if (client.kind === 'node') return `node/${client.node} uses its own resolv.conf (nameserver ${r.server}), which knows no cluster names: trace from a pod, or use the Service's ClusterIP`;
  const labels = name.replace(/\.$/, '').split('.');
  const first = labels[0]!.toLowerCase();
  const own = client.pod?.meta.namespace ?? '';
  const elsewhere = ctx.cluster.services.filter((s) => s.meta.name === first && s.meta.namespace !== own).map((s) => s.meta.namespace);
  if (elsewhere.length && labels.length === 1) {
    return `there is no Service ${first} in namespace ${own}, but there is one in ${elsewhere.join(', ')}: write ${first}.${elsewhere[0]} (or ${first}.${elsewhere[0]}.svc.${ctx.cluster.config.clusterDomain})`;
  }
  if (client.kind === 'external') {
    const ing = ingressOf(ctx, name);
    return ing
      ? `${name} has no public DNS record: Ingress ${ing} serves it, but the controller publishes no address (its Service needs type LoadBalancer), or add it to the Cluster object's external.records`
      : `${name} has no public DNS record: add it to the Cluster object's external.records, or to an Ingress's rules so it is published`;
  }
  return `no Service, pod or external record is named ${name}: check the spelling and the namespace (knet get svc -A lists the Services)`;
}

function ordinal(n: number): string {
  return n === 1 ? '1st' : n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`;
}
