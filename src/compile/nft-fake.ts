// An in-memory nftables table that applies transactions the way the kernel checks them
// (as kubernetes-sigs/knftables' fake does): a rule or map element may only refer to
// chains and sets that exist, a chain or set that something still refers to cannot be
// deleted, a chain must be empty to be deleted, deleting what does not exist fails, a
// failed transaction changes nothing; and, as nft does for rule blocks, a rule block may
// name only sets its transaction declares. Lets the sync logic be tested without root.
import type { NftChain, NftCommand, NftSet, NftSetSpec, NftTable, NftTransaction } from './nft-model.js';

interface FakeChain { base: NftChain['base']; rules: string[] }
interface FakeSet { spec: NftSetSpec; elements: Map<string, string> }
interface FakeTable { comment: string; chains: Map<string, FakeChain>; sets: Map<string, FakeSet> }

export class NftFakeError extends Error {
  override name = 'NftFakeError';
}

const CHAIN_REF = /\b(?:jump|goto)\s+([A-Za-z_.][A-Za-z0-9/_.-]*)/g;
const SET_REF = /@([A-Za-z_.][A-Za-z0-9/_.-]*)/g;

export class NftFake {
  private tables = new Map<string, FakeTable>();

  /** Applies every command or none; throws NftFakeError naming the command that failed. */
  apply(tx: NftTransaction): void {
    const copy = new Map([...this.tables].map(([k, t]) => [k, cloneTable(t)]));
    const key = `${tx.family} ${tx.table}`;
    // Rule blocks (`add chain c { ... }`): nft reads no sets from the kernel, so a rule may
    // name only a set the transaction itself declares.
    const declared = tx.ruleBlocks ? new Set<string>() : null;
    for (const [i, c] of tx.commands.entries()) {
      try {
        if (declared && c.kind === 'set' && c.verb === 'add') declared.add(c.name);
        if (declared && c.kind === 'rule') {
          for (const n of refs(c.rule, SET_REF)) if (!declared.has(n)) throw new Error(`rule "${c.rule}" names set ${n}, which this transaction does not declare (nft would not know it)`);
        }
        this.run(copy, key, c);
      } catch (e) {
        throw new NftFakeError(`command ${i + 1} (${c.verb} ${c.kind}): ${(e as Error).message}`);
      }
    }
    this.tables = copy;
  }

  /** The table as data (NftTable), or null when it does not exist. */
  table(family: string, name: string): NftTable | null {
    const t = this.tables.get(`${family} ${name}`);
    if (!t) return null;
    return {
      family: family as NftTable['family'], name, comment: t.comment,
      chains: new Map([...t.chains].map(([n, c]) => [n, { base: c.base, rules: [...c.rules] }])),
      sets: new Map([...t.sets].map(([n, s]): [string, NftSet] => [n, { spec: s.spec, elements: new Map(s.elements) }])),
    };
  }

  private run(tables: Map<string, FakeTable>, key: string, c: NftCommand): void {
    if (c.kind === 'table') {
      if (c.verb === 'add') {
        if (!tables.has(key)) tables.set(key, { comment: c.comment ?? '', chains: new Map(), sets: new Map() });
      } else if (!tables.delete(key)) throw new Error(`no table ${key}`);
      return;
    }
    const t = tables.get(key);
    if (!t) throw new Error(`no table ${key}`);
    switch (c.kind) {
      case 'chain': {
        const ch = t.chains.get(c.name);
        if (c.verb === 'add') {
          if (ch && JSON.stringify(ch.base) !== JSON.stringify(c.base)) throw new Error(`chain ${c.name} exists with another type`);
          if (!ch) t.chains.set(c.name, { base: c.base, rules: [] });
          return;
        }
        if (!ch) throw new Error(`no chain ${c.name}`);
        if (c.verb === 'flush') {
          ch.rules = [];
          return;
        }
        if (ch.rules.length > 0) throw new Error(`chain ${c.name} is not empty`);
        const user = referrer(t, (r) => refs(r, CHAIN_REF).includes(c.name));
        if (user) throw new Error(`chain ${c.name} is still referenced by ${user}`);
        t.chains.delete(c.name);
        return;
      }
      case 'rule': {
        const ch = t.chains.get(c.chain);
        if (!ch) throw new Error(`no chain ${c.chain} for rule "${c.rule}"`);
        for (const n of refs(c.rule, CHAIN_REF)) if (!t.chains.has(n)) throw new Error(`rule "${c.rule}" refers to missing chain ${n}`);
        for (const n of refs(c.rule, SET_REF)) if (!t.sets.has(n)) throw new Error(`rule "${c.rule}" refers to missing set ${n}`);
        ch.rules.push(c.rule);
        return;
      }
      case 'set': {
        const s = t.sets.get(c.name);
        if (c.verb === 'add') {
          if (s && JSON.stringify(s.spec) !== JSON.stringify(c.spec)) throw new Error(`set ${c.name} exists with another definition`);
          if (!s) t.sets.set(c.name, { spec: c.spec, elements: new Map() });
          return;
        }
        if (!s) throw new Error(`no set ${c.name}`);
        if (s.spec.map !== c.map) throw new Error(`${c.name} is a ${s.spec.map ? 'map' : 'set'}`);
        if (c.verb === 'flush') {
          s.elements.clear();
          return;
        }
        const user = referrer(t, (r) => refs(r, SET_REF).includes(c.name), false);
        if (user) throw new Error(`set ${c.name} is still referenced by ${user}`);
        t.sets.delete(c.name);
        return;
      }
      case 'element': {
        const s = t.sets.get(c.set);
        if (!s) throw new Error(`no set ${c.set}`);
        for (const [k, v] of c.elements) {
          if (c.verb === 'delete') {
            if (!s.elements.delete(k)) throw new Error(`no element ${k} in ${c.set}`);
            continue;
          }
          if (s.spec.map !== (v !== '')) throw new Error(`element ${k} ${s.spec.map ? 'needs' : 'cannot have'} a value in ${c.set}`);
          if (s.elements.has(k)) throw new Error(`element ${k} already in ${c.set}`);
          for (const n of refs(v, CHAIN_REF)) if (!t.chains.has(n)) throw new Error(`element ${k} : ${v} refers to missing chain ${n}`);
          s.elements.set(k, v);
        }
        return;
      }
    }
  }
}

function refs(text: string, re: RegExp): string[] {
  return [...text.matchAll(re)].map((m) => m[1]!);
}

/** Who refers to something: `chain X` (a rule) or `map M` (an element value). */
function referrer(t: FakeTable, test: (text: string) => boolean, elements = true): string | null {
  for (const [n, ch] of t.chains) if (ch.rules.some(test)) return `chain ${n}`;
  if (elements) for (const [n, s] of t.sets) for (const v of s.elements.values()) if (test(v)) return `map ${n}`;
  return null;
}

function cloneTable(t: FakeTable): FakeTable {
  return {
    comment: t.comment,
    chains: new Map([...t.chains].map(([n, c]) => [n, { base: c.base, rules: [...c.rules] }])),
    sets: new Map([...t.sets].map(([n, s]) => [n, { spec: s.spec, elements: new Map(s.elements) }])),
  };
}
