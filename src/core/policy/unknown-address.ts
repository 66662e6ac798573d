// Egress from a pod to an address knet does not know (a public name the upstream resolves):
// decided by port alone where it can be. A rule whose ports match and whose peers are
// empty, or an ipBlock covering every public address of the pod's families, allows it
// whatever the address; selectors never match an outside address; any other ipBlock
// decides by the address, so the verdict depends on it.
import { parseCidr, type Family } from '../../model/ip.js';
import type { Pod } from '../../model/types.js';
import type { CompiledBlock } from './compile.js';
import type { PolicyIndex } from './evaluate.js';
import { rulePortsMatch } from './match.js';
import type { PolicyRef, Traffic } from './verdict.js';

export interface DecidingBlock {
  readonly by: PolicyRef;
  readonly rule: number;
  readonly block: string; // `10.0.0.0/8`, `0.0.0.0/0 except 10.0.0.0/8`
}

export type UnknownAddressVerdict =
  | { readonly kind: 'not-isolated' }
  | { readonly kind: 'allowed'; readonly by: PolicyRef; readonly rule: number; readonly publicOnly: boolean }
  | { readonly kind: 'depends'; readonly isolatedBy: readonly PolicyRef[]; readonly blocks: readonly DecidingBlock[] }
  | { readonly kind: 'denied'; readonly isolatedBy: readonly PolicyRef[] };

/**
 * Ranges no public name server hands out for a public name: RFC 1918, shared (RFC 6598),
 * loopback, link-local, this-network, multicast and reserved; IPv6 ULA, link-local,
 * loopback, multicast. An `except` inside them leaves every public address allowed.
 */
const NON_PUBLIC = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '0.0.0.0/8', '224.0.0.0/4', '240.0.0.0/4',
  'fc00::/7', 'fe80::/10', '::1/128', 'ff00::/8',
].map((t) => parseCidr(t)!);

/** `families`: the address families the pod connects with (its own addresses'). */
export function evaluateEgressToUnknownAddress(index: PolicyIndex, source: Pod, traffic: Traffic, families: readonly Family[]): UnknownAddressVerdict {
  const isolating = index.isolating(source, 'Egress');
  if (isolating.length === 0) return { kind: 'not-isolated' };
  const blocks: DecidingBlock[] = [];
  let publicOnly: { by: PolicyRef; rule: number } | null = null;
  for (const p of isolating) {
    for (const r of p.egress) {
      // A named port resolves on the destination pod: an outside address has none.
      if (!rulePortsMatch(r, traffic, null)) continue;
      if (r.peers.length === 0) return { kind: 'allowed', by: p.ref, rule: r.index, publicOnly: false };
      const own = r.peers.flatMap((x) => (x.kind === 'ipBlock' ? [x.block] : []));
      const reach = families.map((f) => coverage(own, f));
      if (reach.every((c) => c === 'all')) return { kind: 'allowed', by: p.ref, rule: r.index, publicOnly: false };
      if (reach.every((c) => c !== 'some')) publicOnly ??= { by: p.ref, rule: r.index };
      for (const b of own) blocks.push({ by: p.ref, rule: r.index, block: b.key });
    }
  }
  if (publicOnly) return { kind: 'allowed', ...publicOnly, publicOnly: true };
  if (blocks.length > 0) return { kind: 'depends', isolatedBy: isolating.map((p) => p.ref), blocks };
  return { kind: 'denied', isolatedBy: isolating.map((p) => p.ref) };
}

/** How much of a family a rule's ipBlocks cover: all of it, every public address, or some. */
function coverage(blocks: readonly CompiledBlock[], family: Family): 'all' | 'public' | 'some' {
  let best: 'all' | 'public' | 'some' = 'some';
  for (const b of blocks) {
    if (b.family !== family || b.first !== 0n || b.last !== (family === 4 ? 2n ** 32n - 1n : 2n ** 128n - 1n)) continue;
    if (b.except.length === 0) return 'all';
    if (b.except.every((e) => NON_PUBLIC.some((n) => n.family === family && e.first >= n.first && e.last <= n.last))) best = 'public';
  }
  return best;
}
