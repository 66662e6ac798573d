// kube-proxy's nftables table for one node (`ip kube-proxy`, pkg/proxy/nftables/proxier.go),
// as data: the base chains and their jumps, the dispatch maps (service-ips,
// service-nodeports), the no-endpoint and firewall maps, cluster-ips, masquerading, and per
// Service port its service-/local-/external-/firewall- chains, one endpoint- chain per
// endpoint and, with sessionAffinity ClientIP, one affinity set per endpoint.
//
// One deliberate difference: load balancing is `numgen random mod (n-i) == 0 goto <i>`,
// one rule per endpoint (each endpoint 1/n, as iptables' --probability 1/(n-i)), not
// kube-proxy's anonymous `numgen random mod n vmap { ... }`: every anonymous vmap is a set
// in the kernel and a transaction with thousands of them grows quadratically (5,000
// Services: 7.1 s against 1.3 s; README "kube-proxy").
import { nftAffinitySet, nftEndpointChain, nftServiceChains } from './kube-proxy-names.js';
import type { NodeProgram, PortProgram } from './kube-proxy-program.js';
import { diffTables, goneChains, type DiffOptions } from './nft-diff.js';
import type { NftChain, NftSet, NftSetSpec, NftTable, NftTransaction } from './nft-model.js';

export const KUBE_PROXY_TABLE = 'kube-proxy';
/** 1 << --masquerade-bit (14). */
export const MASQUERADE_MARK = '0x4000';

const CHAIN = {
  services: 'services',
  markMasq: 'mark-for-masquerade',
  masquerading: 'masquerading',
  serviceEndpointsCheck: 'service-endpoints-check',
  nodePortEndpointsCheck: 'nodeport-endpoints-check',
  clusterIPsCheck: 'cluster-ips-check',
  firewallCheck: 'firewall-check',
  reject: 'reject-chain',
} as const;

const MAP = {
  serviceIPs: 'service-ips',
  serviceNodePorts: 'service-nodeports',
  noEndpointServices: 'no-endpoint-services',
  noEndpointNodePorts: 'no-endpoint-nodeports',
  firewallIPs: 'firewall-ips',
  clusterIPs: 'cluster-ips',
} as const;

const ADDR_PROTO_PORT = 'ipv4_addr . inet_proto . inet_service : verdict';
const PROTO_PORT = 'inet_proto . inet_service : verdict';
const spec = (type: string, map: boolean, comment: string, flags: string[] = [], timeout = 0): NftSetSpec => ({ type, map, flags, timeout, comment });

/**
 * One Service port's share of the table: its chains, sets and map elements. `key` says
 * what it was made from: a later sync reuses the fragment (the same objects, so a diff
 * sees at once that nothing changed) while the key is equal.
 */
export interface PortFragment {
  readonly key: string;
  readonly chains: readonly (readonly [string, NftChain])[];
  readonly sets: readonly (readonly [string, NftSet])[];
  readonly elements: readonly (readonly [MapName, string, string])[];
}

/** Fragments of the last sync by Service port name; owned by one node's syncer. */
export type FragmentCache = Map<string, PortFragment>;

/**
 * The table as its fixed part (base chains, dispatch chains, the maps, cluster-ips) and one
 * fragment per Service port: what a partial sync compares, fragment by fragment.
 */
export interface KubeProxyState {
  readonly fixed: NftTable;
  readonly fragments: ReadonlyMap<string, PortFragment>;
}

/** The table kube-proxy on `program.node` wants, complete. */
export function kubeProxyTable(program: NodeProgram, cache: FragmentCache = new Map()): NftTable {
  const state = kubeProxyState(program, cache);
  return assembleTable(state.fixed, state.fragments.values());
}

export function kubeProxyState(program: NodeProgram, cache: FragmentCache = new Map()): KubeProxyState {
  const chains = new Map<string, NftChain>();
  const none = () => new Map<string, string>();
  const sets = new Map<string, NftSet>([
    [MAP.serviceIPs, { spec: spec(ADDR_PROTO_PORT, true, 'ClusterIP, ExternalIP and LoadBalancer IP traffic'), elements: none() }],
    [MAP.serviceNodePorts, { spec: spec(PROTO_PORT, true, 'NodePort traffic'), elements: none() }],
    [MAP.noEndpointServices, { spec: spec(ADDR_PROTO_PORT, true, 'vmap to drop or reject packets to services with no endpoints'), elements: none() }],
    [MAP.noEndpointNodePorts, { spec: spec(PROTO_PORT, true, 'vmap to drop or reject packets to service nodeports with no endpoints'), elements: none() }],
    [MAP.firewallIPs, { spec: spec(ADDR_PROTO_PORT, true, 'destinations that are subject to LoadBalancerSourceRanges'), elements: none() }],
    [MAP.clusterIPs, { spec: spec('ipv4_addr', false, 'Active ClusterIPs'), elements: new Map(program.clusterIPs.map((ip) => [ip, ''])) }],
  ]);
  const base = (name: string, type: 'filter' | 'nat', hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting', priority: number, rules: string[]) =>
    chains.set(name, { base: { type, hook, priority }, rules });
  const chain = (name: string, rules: string[]) => chains.set(name, { base: null, rules });

  // Filter chains run before DNAT (dstnat - 10), so they see the Service address.
  base('filter-prerouting', 'filter', 'prerouting', -110, [`ct state new jump ${CHAIN.firewallCheck}`]);
  base('filter-input', 'filter', 'input', -110, [`ct state new jump ${CHAIN.nodePortEndpointsCheck}`, `ct state new jump ${CHAIN.serviceEndpointsCheck}`]);
  base('filter-forward', 'filter', 'forward', -110, [`ct state new jump ${CHAIN.serviceEndpointsCheck}`, `ct state new jump ${CHAIN.clusterIPsCheck}`]);
  base('filter-output', 'filter', 'output', -110, [`ct state new jump ${CHAIN.serviceEndpointsCheck}`, `ct state new jump ${CHAIN.firewallCheck}`]);
  // After DNAT on output: a host's own connection to a valid Service has been translated by then.
  base('filter-output-post-dnat', 'filter', 'output', -90, [`ct state new jump ${CHAIN.clusterIPsCheck}`]);
  base('nat-prerouting', 'nat', 'prerouting', -100, [`jump ${CHAIN.services}`]);
  base('nat-output', 'nat', 'output', -100, [`jump ${CHAIN.services}`]);
  base('nat-postrouting', 'nat', 'postrouting', 100, [`jump ${CHAIN.masquerading}`]);

  chain(CHAIN.services, [
    `ip daddr . meta l4proto . th dport vmap @${MAP.serviceIPs}`,
    // nftables mode serves NodePorts on the node's addresses, never on 127.0.0.1.
    `fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @${MAP.serviceNodePorts}`,
  ]);
  chain(CHAIN.markMasq, [`mark set mark or ${MASQUERADE_MARK}`]);
  chain(CHAIN.masquerading, [`mark and ${MASQUERADE_MARK} == 0 return`, `mark set mark xor ${MASQUERADE_MARK}`, 'masquerade fully-random']);
  chain(CHAIN.serviceEndpointsCheck, [`ip daddr . meta l4proto . th dport vmap @${MAP.noEndpointServices}`]);
  chain(CHAIN.nodePortEndpointsCheck, [`ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @${MAP.noEndpointNodePorts}`]);
  const subnets = program.serviceSubnets.map((c) => c.text);
  chain(CHAIN.clusterIPsCheck, [
    `ip daddr @${MAP.clusterIPs} reject comment "a ClusterIP on a port it does not serve"`,
    ...(subnets.length > 0 ? [`ip daddr ${subnets.length === 1 ? subnets[0] : `{ ${subnets.join(', ')} }`} drop comment "an unallocated Service address"`] : []),
  ]);
  chain(CHAIN.firewallCheck, [`ip daddr . meta l4proto . th dport vmap @${MAP.firewallIPs}`]);
  chain(CHAIN.reject, ['reject']);

  const pod = program.podSubnet.family === 4 ? program.podSubnet.text : null;
  const fragments = new Map<string, PortFragment>();
  for (const p of program.ports) {
    const key = portKey(p, pod);
    let f = cache.get(p.entry.name);
    if (!f || f.key !== key) {
      f = portFragment(p, pod, key);
      cache.set(p.entry.name, f);
    }
    fragments.set(p.entry.name, f);
  }
  for (const name of cache.keys()) if (!fragments.has(name)) cache.delete(name);
  return { fixed: { family: 'ip', name: KUBE_PROXY_TABLE, comment: 'rules for kube-proxy', chains, sets }, fragments };
}

/** The fixed part plus fragments, as one table (the fixed part is not modified). */
export function assembleTable(fixed: NftTable, fragments: Iterable<PortFragment>): NftTable {
  const chains = new Map(fixed.chains);
  const sets = new Map([...fixed.sets].map(([n, st]): [string, NftSet] => [n, { spec: st.spec, elements: new Map(st.elements) }]));
  for (const f of fragments) {
    for (const [n, c] of f.chains) chains.set(n, c);
    for (const [n, st] of f.sets) sets.set(n, st);
    for (const [m, k, v] of f.elements) (sets.get(m)!.elements as Map<string, string>).set(k, v);
  }
  return { ...fixed, chains, sets };
}

/**
 * A partial sync: only the fragments that are not the very objects of the last sync
 * (changed, added or gone) and the fixed part are compared; elements of unchanged ports
 * in the shared maps are left alone. The commands `diffTables` gives for whole tables,
 * in the form nft 1.0.6 applies without reading the table's chains first (rule blocks;
 * chains no longer wanted are flushed, and deleted later: `staleChains`), so one
 * endpoint change costs the same in a 10,000-Service table as in a small one.
 */
export function diffKubeProxy(prev: KubeProxyState, next: KubeProxyState, form: DiffOptions = FAST_FORM): NftTransaction {
  const [before, after] = changedParts(prev, next);
  return diffTables(before, after, form);
}

/** What `diffKubeProxy` writes by default (the bench compares it with `{}`: `add rule` lines, deletes at once). */
const FAST_FORM: DiffOptions = { ruleBlocks: true, keepGoneChains: true };

/**
 * The chains `diffKubeProxy(prev, next)` flushes and leaves: kube-proxy deletes stale
 * chains a second later (`deleteChains`), once nothing can still be jumping to them.
 */
export function staleChains(prev: KubeProxyState, next: KubeProxyState): string[] {
  const [before, after] = changedParts(prev, next);
  return goneChains(before, after);
}

/** The fixed parts and the fragments that differ, each side as one table. */
function changedParts(prev: KubeProxyState, next: KubeProxyState): [NftTable, NftTable] {
  const before: PortFragment[] = [];
  const after: PortFragment[] = [];
  for (const [n, f] of next.fragments) {
    const p = prev.fragments.get(n);
    if (p === f) continue;
    if (p) before.push(p);
    after.push(f);
  }
  for (const [n, p] of prev.fragments) if (!next.fragments.has(n)) before.push(p);
  return [assembleTable(prev.fixed, before), assembleTable(next.fixed, after)];
}

type MapName = (typeof MAP)[keyof typeof MAP];

/** What a port's rules depend on, as one string. */
export function portKey(p: PortProgram, pod: string | null): string {
  const eps = (list: PortProgram['cluster']) => list.map((e) => `${e.ip}:${e.port}`).join(',');
  return [
    p.protocol, p.port, p.clusterIP, p.externalIPs.join(','), p.loadBalancerIPs.join(','), p.nodePort,
    eps(p.cluster), eps(p.local), p.hasEndpoints, p.internalPolicy, p.externalPolicy, p.externallyAccessible,
    p.internalVerdict, p.externalVerdict, p.affinityTimeout, p.firewallSources.join(','), pod,
  ].join('|');
}

export function portFragment(p: PortProgram, pod: string | null, fragmentKey = portKey(p, pod)): PortFragment {
  const chains = new Map<string, NftChain>();
  const sets = new Map<string, NftSet>();
  const elements: [MapName, string, string][] = [];
  const el = (map: MapName, k: string, v: string) => { elements.push([map, k, v]); };
  const names = nftServiceChains(p.entry);
  const key = (ip: string) => `${ip} . ${p.protocol} . ${p.port}`;
  const verdict = (v: 'reject' | 'drop') => (v === 'reject' ? `goto ${CHAIN.reject}` : 'drop');

  // ClusterIP
  const internalChain = p.internalPolicy === 'Local' ? names.local : names.cluster;
  if (p.clusterIP) {
    if (p.internalVerdict === null) el(MAP.serviceIPs, key(p.clusterIP), `goto ${internalChain}`);
    else el(MAP.noEndpointServices, key(p.clusterIP), verdict(p.internalVerdict));
  }
  // externalIPs and LoadBalancer IPs enter through the external chain; without usable
  // endpoints for outside traffic the filter hooks drop (or reject) what was not short-circuited.
  for (const ip of [...p.externalIPs, ...p.loadBalancerIPs]) {
    if (p.hasEndpoints) el(MAP.serviceIPs, key(ip), `goto ${names.external}`);
    if (p.externalVerdict !== null) el(MAP.noEndpointServices, key(ip), verdict(p.externalVerdict));
  }
  if (p.firewallSources.length > 0) {
    const src = p.firewallSources.length === 1 ? p.firewallSources[0] : `{ ${p.firewallSources.join(', ')} }`;
    chains.set(names.firewall, { base: null, rules: [`ip saddr != ${src} drop`] });
    for (const ip of p.loadBalancerIPs) el(MAP.firewallIPs, key(ip), `goto ${names.firewall}`);
  }
  if (p.nodePort > 0) {
    const k = `${p.protocol} . ${p.nodePort}`;
    if (p.hasEndpoints) el(MAP.serviceNodePorts, k, `goto ${names.external}`);
    if (p.externalVerdict !== null) el(MAP.noEndpointNodePorts, k, verdict(p.externalVerdict));
  }

  // Off-cluster sources to the ClusterIP are masqueraded (the route to the service subnet
  // may bring them to any node; the reply must come back through this one).
  const masqRule = p.clusterIP && pod ? `ip daddr ${p.clusterIP} ${p.protocol} dport ${p.port} ip saddr != ${pod} jump ${CHAIN.markMasq}` : null;
  if (p.cluster.length > 0) chains.set(names.cluster, { base: null, rules: policyRules(p, p.cluster, internalChain === names.cluster && p.internalVerdict === null ? masqRule : null) });
  if (p.local.length > 0) chains.set(names.local, { base: null, rules: policyRules(p, p.local, internalChain === names.local && p.internalVerdict === null ? masqRule : null) });

  if (p.hasEndpoints && p.externallyAccessible) {
    const rules: string[] = [];
    if (p.externalPolicy === 'Cluster') {
      // The endpoint may be on another node: masquerade, or the reply would bypass this one.
      rules.push(`jump ${CHAIN.markMasq}`);
    } else {
      // ETP Local does not apply to pod traffic (as if out to the load balancer and back)
      // nor to the node's own: both go to every endpoint, the node's masqueraded.
      if (pod) rules.push(`ip saddr ${pod} goto ${names.cluster} comment "short-circuit pod traffic"`);
      rules.push(`fib saddr type local jump ${CHAIN.markMasq} comment "masquerade local traffic"`);
      rules.push(`fib saddr type local goto ${names.cluster} comment "short-circuit local traffic"`);
    }
    if (p.externalVerdict === null) rules.push(`goto ${p.externalPolicy === 'Local' ? names.local : names.cluster}`);
    chains.set(names.external, { base: null, rules });
  }

  for (const ep of p.reachable) {
    const rules = [`ip saddr ${ep.ip} jump ${CHAIN.markMasq}`]; // hairpin: a pod reaching itself
    if (p.affinityTimeout > 0) {
      const set = nftAffinitySet(p.entry, ep);
      sets.set(set, { spec: spec('ipv4_addr', false, '', ['dynamic', 'timeout'], p.affinityTimeout), elements: new Map() });
      rules.push(`update @${set} { ip saddr }`);
    }
    rules.push(`meta l4proto ${p.protocol} dnat to ${ep.ip}:${ep.port}`);
    chains.set(nftEndpointChain(p.entry, ep), { base: null, rules });
  }
  return { key: fragmentKey, chains: [...chains], sets: [...sets], elements };
}

/** A policy chain: the ClusterIP masquerade rule, affinity, then one rule per endpoint drawing 1/(n-i). */
function policyRules(p: PortProgram, endpoints: PortProgram['cluster'], masqRule: string | null): string[] {
  const rules: string[] = [];
  if (masqRule) rules.push(masqRule);
  if (p.affinityTimeout > 0) {
    for (const ep of endpoints) rules.push(`ip saddr @${nftAffinitySet(p.entry, ep)} goto ${nftEndpointChain(p.entry, ep)}`);
  }
  const n = endpoints.length;
  endpoints.forEach((ep, i) => {
    const target = `goto ${nftEndpointChain(p.entry, ep)}`;
    rules.push(i === n - 1 ? target : `numgen random mod ${n - i} == 0 ${target}`);
  });
  return rules;
}
