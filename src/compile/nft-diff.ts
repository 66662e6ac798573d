// From the table a component has to the table it wants, as one transaction: a full sync
// replaces the table (`add` + `delete` + declarations: atomic, and works whether or not the
// table existed), a partial sync touches only what differs, the way kube-proxy's partial
// syncs do: new chains and sets are declared first, changed chains flushed and refilled,
// map elements diffed (a changed value is deleted and added), and chains and sets that
// are no longer wanted are flushed and deleted after everything that referenced them
// (or, as kube-proxy does, flushed now and deleted a second later). The whole table is
// never listed: the previous table is what the last sync wrote.
import { NftTransaction, type NftChain, type NftSetSpec, type NftTable } from './nft-model.js';

/** Replaces whatever table of that name exists with `table`. */
export function fullSync(table: NftTable): NftTransaction {
  const tx = new NftTransaction(table.family, table.name);
  tx.addTable().deleteTable().addTable(table.comment);
  for (const [name, s] of sorted(table.sets)) tx.addSet(name, s.spec);
  for (const [name, c] of sorted(table.chains)) tx.addChain(name, c.base);
  for (const [name, c] of sorted(table.chains)) for (const r of c.rules) tx.addRule(name, r);
  for (const [name, s] of sorted(table.sets)) tx.addElements(name, sorted(s.elements));
  return tx;
}

export interface DiffOptions {
  /**
   * Chains no longer wanted are flushed and left in place (delete them later with
   * `deleteChains`), as kube-proxy does: `delete` makes nft 1.0.6 read every chain first.
   */
  readonly keepGoneChains?: boolean;
  /** Rules as chain blocks, with the sets they name declared again (`NftTransactionOptions`). */
  readonly ruleBlocks?: boolean;
}

/** The commands that turn `prev` (as last written) into `next`; empty when they are equal. */
export function diffTables(prev: NftTable, next: NftTable, options: DiffOptions = {}): NftTransaction {
  if (prev.family !== next.family || prev.name !== next.name) throw new Error('diffTables: different tables');
  const tx = new NftTransaction(next.family, next.name, { ruleBlocks: options.ruleBlocks ?? false });

  const sameSpec = (a: NftSetSpec, b: NftSetSpec) => a.type === b.type && a.map === b.map && a.timeout === b.timeout
    && a.comment === b.comment && a.flags.join(',') === b.flags.join(',');
  const newSets = [...next.sets.keys()].filter((n) => !prev.sets.has(n)).sort();
  const replacedSets = [...next.sets.keys()].filter((n) => prev.sets.has(n) && !sameSpec(prev.sets.get(n)!.spec, next.sets.get(n)!.spec)).sort();
  const goneSets = [...prev.sets.keys()].filter((n) => !next.sets.has(n)).sort();

  const sameChain = (a: NftChain, b: NftChain) => a === b || sameBase(a, b) && a.rules.length === b.rules.length && a.rules.every((r, i) => r === b.rules[i]);
  const newChains = [...next.chains.keys()].filter((n) => !prev.chains.has(n)).sort();
  const goneChains = [...prev.chains.keys()].filter((n) => !next.chains.has(n)).sort();
  // A set that is replaced must first lose the rules that reference it.
  const replacedRefs = replacedSets.map((s) => `@${s}`);
  const changed = [...next.chains.keys()].filter((n) => {
    const before = prev.chains.get(n);
    if (!before) return false;
    if (!sameChain(before, next.chains.get(n)!)) return true;
    return replacedRefs.length > 0 && before.rules.some((r) => replacedRefs.some((ref) => mentions(r, ref)));
  }).sort();
  const rebased = changed.filter((n) => !sameBase(prev.chains.get(n)!, next.chains.get(n)!));

  const written = [...newChains, ...changed].sort();
  for (const n of newChains) tx.addChain(n, next.chains.get(n)!.base);
  for (const n of newSets) tx.addSet(n, next.sets.get(n)!.spec);
  if (tx.ruleBlocks) {
    // nft knows only the sets this transaction declares: declare again those the rules name.
    const declared = new Set([...newSets, ...replacedSets]);
    const named = new Set<string>();
    for (const n of written) for (const r of next.chains.get(n)!.rules) for (const m of r.matchAll(SET_REF)) named.add(m[1]!);
    for (const s of [...named].sort()) if (!declared.has(s) && next.sets.has(s)) tx.addSet(s, next.sets.get(s)!.spec);
  }
  for (const n of changed) tx.flushChain(n);
  for (const n of rebased) tx.deleteChain(n).addChain(n, next.chains.get(n)!.base);
  for (const n of replacedSets) tx.deleteSet(n, prev.sets.get(n)!.spec.map).addSet(n, next.sets.get(n)!.spec);
  for (const n of written) for (const r of next.chains.get(n)!.rules) tx.addRule(n, r);

  for (const [name, set] of sorted(next.sets)) {
    const before = prev.sets.get(name);
    if (!before || replacedSets.includes(name)) {
      tx.addElements(name, sorted(set.elements));
      continue;
    }
    const remove: string[] = [];
    const add: [string, string][] = [];
    for (const [k, v] of before.elements) {
      const now = set.elements.get(k);
      if (now === undefined || now !== v) remove.push(k);
    }
    for (const [k, v] of set.elements) {
      if (before.elements.get(k) !== v) add.push([k, v]);
    }
    tx.deleteElements(name, remove.sort());
    tx.addElements(name, add.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }

  // Last: what nothing references any more. Kernels before 6.2 free a chain a deleted map
  // element pointed to lazily (kube-proxy waits a second); this one does not need to.
  for (const n of goneChains) tx.flushChain(n);
  if (!options.keepGoneChains) for (const n of goneChains) tx.deleteChain(n);
  for (const n of goneSets) tx.deleteSet(n, prev.sets.get(n)!.spec.map);
  return tx;
}

/** Chains of `prev` that `next` no longer has: what `keepGoneChains` leaves flushed. */
export function goneChains(prev: NftTable, next: NftTable): string[] {
  return [...prev.chains.keys()].filter((n) => !next.chains.has(n)).sort();
}

/** Deletes chains left flushed by earlier syncs (nothing may refer to them any more). */
export function deleteChains(family: NftTable['family'], table: string, names: readonly string[]): NftTransaction {
  const tx = new NftTransaction(family, table);
  for (const n of [...names].sort()) tx.deleteChain(n);
  return tx;
}

/** `@name` in rule text: a set or map the rule looks up or updates. */
const SET_REF = /@([A-Za-z_.][A-Za-z0-9/_.-]*)/g;

function sameBase(a: NftChain, b: NftChain): boolean {
  if (a.base === null || b.base === null) return a.base === b.base;
  return a.base.type === b.base.type && a.base.hook === b.base.hook && a.base.priority === b.base.priority;
}

/** Does rule text reference `@name` as a whole word (not `@name-longer`)? */
function mentions(rule: string, ref: string): boolean {
  let at = rule.indexOf(ref);
  while (at >= 0) {
    const next = rule[at + ref.length];
    if (next === undefined || !/[A-Za-z0-9/_.-]/.test(next)) return true;
    at = rule.indexOf(ref, at + 1);
  }
  return false;
}

function sorted<T>(m: ReadonlyMap<string, T>): [string, T][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
