// nftables as data (the shape of kubernetes-sigs/knftables): a table's desired content
// (chains with their rules, sets and maps with their elements) and a transaction of
// commands that renders to one `nft -f` input, applied atomically by the kernel.
// Names are checked here: nft's parser takes `[A-Za-z_.][A-Za-z0-9/_.-]*`, and a bare
// keyword (`fwd`, `map`, ...) is a syntax error (research/dataplane.md §0).

export type NftFamily = 'ip' | 'ip6' | 'inet';
export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

/** A base chain: attached to a netfilter hook. Priorities are numeric (nft 1.0.6 rejects `dstnat` on output). */
export interface NftBaseChain {
  readonly type: 'filter' | 'nat';
  readonly hook: NftHook;
  readonly priority: number;
}

export interface NftChain {
  readonly base: NftBaseChain | null;
  readonly rules: readonly string[];
}

export interface NftSetSpec {
  /** `ipv4_addr`, or a map: `ipv4_addr . inet_proto . inet_service : verdict`. */
  readonly type: string;
  readonly map: boolean;
  readonly flags: readonly string[];
  /** Seconds; 0 = none. */
  readonly timeout: number;
  readonly comment: string;
}

export interface NftSet {
  readonly spec: NftSetSpec;
  /** key -> value ('' for a set). Keys and values in nft notation: `10.96.0.10 . tcp . 80`, `goto service-...`. */
  readonly elements: ReadonlyMap<string, string>;
}

/** A whole table as kube-proxy wants it: what a full sync writes and an incremental one diffs against. */
export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
  readonly comment: string;
  readonly chains: ReadonlyMap<string, NftChain>;
  readonly sets: ReadonlyMap<string, NftSet>;
}

/** Words nft's parser reads as keywords where a chain or set name could stand (a subset: those one might pick). */
const KEYWORDS = new Set([
  'accept', 'add', 'chain', 'counter', 'create', 'ct', 'delete', 'drop', 'element', 'fib', 'filter', 'flush', 'fwd', 'goto',
  'hook', 'ip', 'ip6', 'inet', 'jump', 'limit', 'list', 'log', 'map', 'mark', 'masquerade', 'meta', 'nat', 'notrack',
  'numgen', 'policy', 'priority', 'queue', 'redirect', 'reject', 'return', 'rule', 'set', 'snat', 'dnat', 'table', 'type',
  'update', 'vmap', 'continue', 'dup', 'input', 'output', 'forward', 'prerouting', 'postrouting', 'ingress', 'egress',
  'route', 'tcp', 'udp', 'sctp', 'th', 'ether', 'vlan', 'arp', 'icmp', 'socket', 'tproxy', 'synproxy', 'quota', 'flowtable',
  'counters', 'sets', 'maps', 'chains', 'tables', 'ruleset', 'define', 'include', 'elements', 'flags', 'timeout', 'size',
  'comment', 'auto-merge', 'typeof', 'device', 'devices', 'offload', 'secmark', 'ct', 'helper', 'limits', 'quotas',
]);

const NAME = /^[A-Za-z_.][A-Za-z0-9/_.-]*$/;

/** Throws on a name nft would not parse (a programming error: names are derived, never typed by users). */
export function checkNftName(name: string): string {
  if (!NAME.test(name) || name.length > 255 || KEYWORDS.has(name)) {
    throw new Error(`"${name}" cannot be an nft chain or set name (letters, digits, '/', '_', '.', '-'; not a keyword; at most 255 characters)`);
  }
  return name;
}

export type NftCommand =
  | { readonly verb: 'add' | 'delete'; readonly kind: 'table'; readonly comment?: string }
  | { readonly verb: 'add'; readonly kind: 'chain'; readonly name: string; readonly base: NftBaseChain | null }
  | { readonly verb: 'flush' | 'delete'; readonly kind: 'chain'; readonly name: string }
  | { readonly verb: 'add'; readonly kind: 'rule'; readonly chain: string; readonly rule: string }
  | { readonly verb: 'add'; readonly kind: 'set'; readonly name: string; readonly spec: NftSetSpec }
  | { readonly verb: 'flush' | 'delete'; readonly kind: 'set'; readonly name: string; readonly map: boolean }
  | { readonly verb: 'add' | 'delete'; readonly kind: 'element'; readonly set: string; readonly elements: readonly (readonly [string, string])[] };

export interface NftTransactionOptions {
  /**
   * Render the rules of each chain as one `add chain <t> <c> { r1 ; r2 ; }` block rather
   * than `add rule` lines. The kernel gets the same messages, but nft 1.0.6 reads every
   * chain of the namespace before it evaluates an `add rule` (~60 ms of a 30,000-chain
   * table) and reads none for `add chain`. In return nft knows only the sets declared in
   * the same transaction: whoever adds rules that name a set declares it again (`add set`
   * with the same definition changes nothing in the kernel).
   */
  readonly ruleBlocks?: boolean;
}

/**
 * Commands against one table, in order; `render()` is the `nft -f` input. Element commands
 * to the same set that follow each other are merged into one (one command with 10,000
 * elements parses far faster than 10,000 commands).
 */
export class NftTransaction {
  readonly commands: NftCommand[] = [];
  readonly ruleBlocks: boolean;

  constructor(readonly family: NftFamily, readonly table: string, options: NftTransactionOptions = {}) {
    checkNftName(table);
    this.ruleBlocks = options.ruleBlocks ?? false;
  }

  get size(): number {
    return this.commands.length;
  }

  addTable(comment?: string): this {
    this.commands.push({ verb: 'add', kind: 'table', ...(comment ? { comment } : {}) });
    return this;
  }

  deleteTable(): this {
    this.commands.push({ verb: 'delete', kind: 'table' });
    return this;
  }

  addChain(name: string, base: NftBaseChain | null = null): this {
    this.commands.push({ verb: 'add', kind: 'chain', name: checkNftName(name), base });
    return this;
  }

  flushChain(name: string): this {
    this.commands.push({ verb: 'flush', kind: 'chain', name });
    return this;
  }

  deleteChain(name: string): this {
    this.commands.push({ verb: 'delete', kind: 'chain', name });
    return this;
  }

  addRule(chain: string, rule: string): this {
    this.commands.push({ verb: 'add', kind: 'rule', chain, rule });
    return this;
  }

  addSet(name: string, spec: NftSetSpec): this {
    this.commands.push({ verb: 'add', kind: 'set', name: checkNftName(name), spec });
    return this;
  }

  flushSet(name: string, map: boolean): this {
    this.commands.push({ verb: 'flush', kind: 'set', name, map });
    return this;
  }

  deleteSet(name: string, map: boolean): this {
    this.commands.push({ verb: 'delete', kind: 'set', name, map });
    return this;
  }

  addElements(set: string, elements: readonly (readonly [string, string])[]): this {
    return this.elements('add', set, elements);
  }

  deleteElements(set: string, keys: readonly string[]): this {
    return this.elements('delete', set, keys.map((k) => [k, ''] as const));
  }

  private elements(verb: 'add' | 'delete', set: string, elements: readonly (readonly [string, string])[]): this {
    if (elements.length === 0) return this;
    const last = this.commands[this.commands.length - 1];
    if (last && last.kind === 'element' && last.verb === verb && last.set === set) {
      this.commands[this.commands.length - 1] = { ...last, elements: [...last.elements, ...elements] };
    } else {
      this.commands.push({ verb, kind: 'element', set, elements });
    }
    return this;
  }

  /** The `nft -f` input: one command per line (with `ruleBlocks`, one line per run of rules of a chain). */
  render(): string {
    const t = `${this.family} ${this.table}`;
    const lines: string[] = [];
    const cmds = this.commands;
    for (let i = 0; i < cmds.length; i++) {
      const c = cmds[i]!;
      if (this.ruleBlocks && c.kind === 'rule') {
        const rules = [c.rule];
        for (let n = cmds[i + 1]; n && n.kind === 'rule' && n.chain === c.chain; n = cmds[i + 1]) {
          rules.push(n.rule);
          i++;
        }
        lines.push(`add chain ${t} ${c.chain} { ${rules.map((r) => `${r} ;`).join(' ')} }`);
        continue;
      }
      lines.push(renderCommand(t, c));
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}

function renderCommand(t: string, c: NftCommand): string {
  switch (c.kind) {
    case 'table':
      return c.verb === 'add' && c.comment ? `add table ${t} { comment ${quote(c.comment)} ; }` : `${c.verb} table ${t}`;
    case 'chain':
      if (c.verb === 'add') return c.base ? `add chain ${t} ${c.name} { ${baseChainText(c.base)} }` : `add chain ${t} ${c.name}`;
      return `${c.verb} chain ${t} ${c.name}`;
    case 'rule':
      return `add rule ${t} ${c.chain} ${c.rule}`;
    case 'set':
      if (c.verb === 'add') return `add ${c.spec.map ? 'map' : 'set'} ${t} ${c.name} { ${setSpecText(c.spec)} }`;
      return `${c.verb} ${c.map ? 'map' : 'set'} ${t} ${c.name}`;
    case 'element':
      return `${c.verb} element ${t} ${c.set} { ${c.elements.map(([k, v]) => (c.verb === 'add' && v ? `${k} : ${v}` : k)).join(', ')} }`;
  }
}

export function baseChainText(b: NftBaseChain): string {
  return `type ${b.type} hook ${b.hook} priority ${b.priority} ;`;
}

export function setSpecText(s: NftSetSpec): string {
  const parts = [`type ${s.type} ;`];
  if (s.flags.length > 0) parts.push(`flags ${s.flags.join(',')} ;`);
  if (s.timeout > 0) parts.push(`timeout ${s.timeout}s ;`);
  if (s.comment) parts.push(`comment ${quote(s.comment)} ;`);
  return parts.join(' ');
}

export function quote(text: string): string {
  if (/["\n]/.test(text)) throw new Error(`nft comment ${JSON.stringify(text)} cannot contain quotes or newlines`);
  return `"${text}"`;
}

/**
 * The table as `nft list table` shows it, roughly: sets, then chains, each chain's rules.
 * For golden files and `knet` output; sorted, so two equal tables print the same.
 */
export function renderTable(table: NftTable): string {
  const out: string[] = [`table ${table.family} ${table.name} {`];
  if (table.comment) out.push(`\tcomment ${quote(table.comment)}`);
  for (const [name, set] of [...table.sets].sort(byKey)) {
    out.push('', `\t${set.spec.map ? 'map' : 'set'} ${name} {`, ...setSpecText(set.spec).split(' ; ').map((l) => `\t\t${l.replace(/ ;$/, '')}`));
    const els = [...set.elements].sort(byKey).map(([k, v]) => (set.spec.map ? `${k} : ${v}` : k));
    if (els.length > 0) out.push(`\t\telements = { ${els.join(',\n\t\t\t     ')} }`);
    out.push('\t}');
  }
  for (const [name, chain] of [...table.chains].sort(byKey)) {
    out.push('', `\tchain ${name} {`);
    if (chain.base) out.push(`\t\t${baseChainText(chain.base).replace(/ ;$/, '')}`);
    for (const r of chain.rules) out.push(`\t\t${r}`);
    out.push('\t}');
  }
  out.push('}', '');
  return out.join('\n');
}

const byKey = <T>(a: readonly [string, T], b: readonly [string, T]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
