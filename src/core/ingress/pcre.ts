// Whether PCRE2 (the library nginx compiles `location ~*`, `rewrite` and `map` regexes with)
// accepts a pattern, and the capture groups it defines. JavaScript's RegExp is not PCRE:
// `/a\1` is an octal escape to JS and a reference to a missing group to PCRE2; `a++` and
// `(?>a)` are PCRE2 only; `(?<=a+)` is JS only. This is a syntax checker for PCRE2 10.42
// (Debian 12's, behind nginx 1.22), written from its documented rules and checked against
// `nginx -t` (admission.test.ts). Errors use PCRE2's own wording, as nginx prints it.
// One file past the usual size: it is one recursive-descent parser whose methods share its
// position and group bookkeeping; split, they would pass that state around.

export type PcreCheck =
  | {
    readonly kind: 'valid';
    readonly captures: number; // numbered groups, named ones included
    readonly names: readonly string[]; // named groups: nginx makes each a variable
    /** A construct PCRE2 reads differently from JavaScript's RegExp (knet's prediction), if any. */
    readonly jsDiffers: string | null;
  }
  | { readonly kind: 'invalid'; readonly error: string; readonly offset: number };

class PcreError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

type Len = number | null; // a fixed match length, or null when it varies

interface Atom {
  readonly repeatable: boolean;
  readonly len: Len;
}

const POSIX_CLASSES = new Set(['alpha', 'digit', 'alnum', 'ascii', 'blank', 'cntrl', 'graph', 'lower', 'print', 'punct', 'space', 'upper', 'word', 'xdigit']);
const UNSUPPORTED_ESCAPE = 'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u';
/** nginx compiles without PCRE2_UTF: one byte per character. */
const TOO_LARGE = 'character code point value in \\x{} or \\o{} is too large';
const NO_SUCH_GROUP = 'reference to non-existent subpattern';
/** Letters PCRE2 gives a meaning after a backslash; any other letter is an error. */
const KNOWN_LETTER_ESCAPES = new Set('abcdefghknoprstvwxzABCDEGHKNPQRSVWXZ');
const CLASS_ESCAPES = new Set('dDwWsShHvVpPN');
const GENERAL_CATEGORIES = new Set(['C', 'Cc', 'Cf', 'Cn', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'L&', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd', 'Nl', 'No',
  'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs', 'Lc']);

class Parser {
  i = 0;
  captures = 0;
  readonly names = new Map<string, number>();
  readonly refs: { n?: number; name?: string; at: number }[] = [];
  readonly groupLen = new Map<number, Len>();
  extended = false;
  dupNames = false;
  lookaround = 0;
  jsDiffers: string | null = null;

  constructor(readonly p: string, readonly known: ReadonlyMap<number, Len> | null, readonly knownNames: ReadonlyMap<string, number> = new Map()) {}

  fail(message: string, at = this.i): never {
    throw new PcreError(message, at);
  }

  differs(what: string): void {
    this.jsDiffers ??= what;
  }

  run(): void {
    this.parseAlternation();
    if (this.i < this.p.length) this.fail('unmatched closing parenthesis'); // parseAlternation stops only at `)`
    for (const r of this.refs) {
      if (r.name !== undefined ? !this.names.has(r.name) : r.n! > this.captures) this.fail(NO_SUCH_GROUP, r.at);
    }
  }

  /** Branches up to `)` or the end; `reset` numbers each branch's groups from the same start (`(?|`). */
  parseAlternation(reset = false): Len[] {
    const lens: Len[] = [];
    const start = this.captures;
    let most = start;
    for (;;) {
      if (reset) this.captures = start;
      lens.push(this.parseSequence());
      most = Math.max(most, this.captures);
      if (this.p[this.i] !== '|') break;
      this.i++;
    }
    if (reset) this.captures = most;
    return lens;
  }

  parseSequence(): Len {
    let len: Len = 0;
    let last: Atom | null = null;
    while (this.i < this.p.length) {
      const c = this.p[this.i]!;
      if (c === '|' || c === ')') break;
      if (this.extended && /\s/.test(c)) {
        this.i++;
        continue;
      }
      if (this.extended && c === '#') {
        while (this.i < this.p.length && this.p[this.i] !== '\n') this.i++;
        continue;
      }
      const q = this.quantifier();
      if (q) {
        if (!last || !last.repeatable) this.fail('quantifier does not follow a repeatable item', q.at);
        const mod = this.p[this.i];
        if (mod === '+') this.differs('a possessive quantifier');
        if (mod === '?' || mod === '+') this.i++;
        const repeated: Len = last.len !== null && q.min === q.max ? last.len * q.min : null;
        len = len === null || last.len === null ? null : len - last.len;
        len = len === null || repeated === null ? null : len + repeated;
        last = { repeatable: false, len: repeated };
        continue;
      }
      const atom = this.parseAtom();
      if (atom === null) continue; // nothing that takes a place (comments, \E, an empty \Q\E)
      len = len === null || atom.len === null ? null : len + atom.len;
      last = atom;
    }
    return len;
  }

  /** `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (anything else starting with `{` is a literal in 10.42). */
  quantifier(): { min: number; max: number; at: number } | null {
    const at = this.i;
    const c = this.p[at];
    if (c === '*') return (this.i++, { min: 0, max: Infinity, at });
    if (c === '+') return (this.i++, { min: 1, max: Infinity, at });
    if (c === '?') return (this.i++, { min: 0, max: 1, at });
    if (c !== '{') return null;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(at));
    if (!m) return null;
    this.i = at + m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > 65535 || (max !== Infinity && max > 65535)) this.fail('number too big in {} quantifier', this.i - 1);
    if (max < min) this.fail('numbers out of order in {} quantifier', this.i - 1);
    return { min, max, at };
  }

  parseAtom(): Atom | null {
    const c = this.p[this.i]!;
    if (c === '(') return this.parseGroup();
    if (c === '[') return this.parseClass();
    if (c === '\\') return this.parseEscape();
    this.i++;
    if (c === '^' || c === '$') return { repeatable: false, len: 0 };
    return { repeatable: true, len: 1 };
  }

  parseEscape(): Atom | null {
    const at = this.i;
    const e = this.p[this.i + 1];
    if (e === undefined) this.fail('\\ at end of pattern');
    this.i += 2;
    if (!/[A-Za-z0-9]/.test(e)) return { repeatable: true, len: 1 }; // an escaped punctuation character is itself
    if (/[1-9]/.test(e)) {
      const digits = /^\d+/.exec(this.p.slice(at + 1))![0];
      const n = Number(digits);
      // PCRE2: a back reference when below 10, starting with 8 or 9, or when that many groups
      // precede; otherwise up to three octal digits (JS reads `\1` with no group as octal too).
      if (n < 10 || e === '8' || e === '9' || n <= this.captures) {
        this.i = at + 1 + digits.length;
        return this.reference({ n, at: at + 1 });
      }
      this.i = at + 1 + /^[0-7]{1,3}/.exec(digits)![0].length;
      return { repeatable: true, len: 1 };
    }
    if (e === '0') {
      this.i += /^[0-7]{0,2}/.exec(this.p.slice(this.i))![0].length;
      return { repeatable: true, len: 1 };
    }
    if ('FLlUu'.includes(e)) this.fail(UNSUPPORTED_ESCAPE, at + 2);
    if (!KNOWN_LETTER_ESCAPES.has(e)) this.fail('unrecognized character follows \\', at + 1);
    switch (e) {
      case 'b': case 'B':
        return { repeatable: false, len: 0 };
      case 'A': case 'Z': case 'z': case 'G':
        this.differs(`\\${e}`);
        return { repeatable: false, len: 0 };
      case 'K':
        if (this.lookaround > 0) this.fail('\\K is not allowed in lookarounds (but see PCRE2_EXTRA_ALLOW_LOOKAROUND_BSK)', at);
        this.differs('\\K');
        return { repeatable: false, len: 0 };
      case 'R': case 'X':
        this.differs(`\\${e}`);
        return { repeatable: true, len: null };
      case 'Q': {
        this.differs('\\Q...\\E');
        const end = this.p.indexOf('\\E', this.i);
        const text = end < 0 ? this.p.slice(this.i) : this.p.slice(this.i, end);
        this.i = end < 0 ? this.p.length : end + 2;
        return text.length === 0 ? null : { repeatable: true, len: text.length };
      }
      case 'E':
        return null;
      case 'N':
        if (this.p[this.i] === '{') this.fail(UNSUPPORTED_ESCAPE, this.i);
        this.differs('\\N');
        return { repeatable: true, len: 1 };
      case 'g': return this.parseG(at);
      case 'k': return this.parseK(at);
      default:
        this.valueEscape(e, at);
        return { repeatable: true, len: 1 };
    }
  }

  /** The escapes that stand for one character (or one class of them), in or out of a class. */
  valueEscape(e: string, at: number): void {
    if ('hHvVeaC'.includes(e)) this.differs(`\\${e}`);
    if (e === 'c') {
      const x = this.p[this.i];
      if (x === undefined) this.fail('\\c at end of pattern', at + 2);
      if (x.charCodeAt(0) < 32 || x.charCodeAt(0) > 126) this.fail('\\c must be followed by a printable ASCII character', this.i);
      this.i++;
    } else if (e === 'x') {
      if (this.p[this.i] === '{') {
        const m = /^\{([0-9a-fA-F]*)(\}?)/.exec(this.p.slice(this.i))!;
        if (m[2] !== '}' || !m[1]) this.fail('non-hex character in \\x{} (closing brace missing?)', this.i + 1 + (m[1] ?? "").length);
        this.differs('\\x{...}');
        if (parseInt(m[1], 16) > 0xff) this.fail(TOO_LARGE, this.i + m[0].length - 1);
        this.i += m[0].length;
      } else this.i += /^[0-9a-fA-F]{0,2}/.exec(this.p.slice(this.i))![0].length;
    } else if (e === 'o') {
      const m = /^\{([0-7]*)\}/.exec(this.p.slice(this.i));
      if (!m || m[1] === '') this.fail('missing opening brace after \\o', this.i);
      this.differs('\\o{...}');
      if (parseInt(m[1] ?? "0", 8) > 0xff) this.fail(TOO_LARGE, this.i + m[0].length - 1);
      this.i += m[0].length;
    } else if (e === 'p' || e === 'P') {
      this.differs(`\\${e}`);
      let name: string;
      if (this.p[this.i] === '{') {
        const end = this.p.indexOf('}', this.i);
        if (end < 0) this.fail('malformed \\P or \\p sequence', this.i);
        name = this.p.slice(this.i + 1, end).replace(/^\^/, '');
        this.i = end + 1;
      } else {
        name = this.p[this.i] ?? '';
        this.i++;
      }
      // One- and two-letter names are general categories; longer ones (scripts, binary
      // properties) are accepted as PCRE2 has hundreds of them.
      if (name === '' || (name.length <= 2 && !GENERAL_CATEGORIES.has(name))) this.fail('unknown property after \\P or \\p', this.i);
    }
  }

  /** `\g{n}`, `\gn`, `\g{-n}`, `\g{name}` (references), `\g<...>`, `\g'...'` (subroutine calls). */
  parseG(at: number): Atom {
    this.differs('\\g');
    const rest = this.p.slice(this.i);
    const m = /^(?:\{([+-]?\d+|[A-Za-z_]\w*)\}|([+-]?\d+)|<([+-]?\d+|[A-Za-z_]\w*)>|'([+-]?\d+|[A-Za-z_]\w*)')/.exec(rest);
    if (!m) this.fail('\\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number', this.i);
    this.i += m[0].length;
    const token = (m[1] ?? m[2] ?? m[3] ?? m[4])!;
    return this.reference(this.refTarget(token, at));
  }

  parseK(at: number): Atom {
    const m = /^(?:<(\w+)>|'(\w+)'|\{(\w+)\})/.exec(this.p.slice(this.i));
    if (!m) this.fail('\\k is not followed by a braced, angle-bracketed, or quoted name', this.i);
    this.differs('\\k');
    this.i += m[0].length;
    return this.reference({ name: (m[1] ?? m[2] ?? m[3])!, at });
  }

  /** A numbered (absolute or relative) or named reference token. */
  refTarget(token: string, at: number): { n?: number; name?: string; at: number } {
    if (/^[A-Za-z_]/.test(token)) return { name: token, at };
    const v = Number(token);
    if (v === 0 && !token.startsWith('+') && !token.startsWith('-')) this.fail('a numbered reference must not be zero', at);
    const n = token.startsWith('-') ? this.captures + 1 + v : token.startsWith('+') ? this.captures + v : v;
    if (n <= 0) this.fail(NO_SUCH_GROUP, at);
    return { n, at };
  }

  reference(ref: { n?: number; name?: string; at: number }): Atom {
    this.refs.push(ref);
    const n = ref.n ?? (ref.name !== undefined ? this.knownNames.get(ref.name) : undefined);
    const len = n !== undefined && this.known ? this.known.get(n) ?? null : null;
    return { repeatable: true, len };
  }

  parseClass(): Atom {
    const at = this.i;
    if (/^\[([:.=])[a-z]*\1\]/.test(this.p.slice(at))) this.fail('POSIX named classes are supported only within a class', at);
    this.i++;
    if (this.p[this.i] === '^') this.i++;
    let first = true;
    let prev: number | 'class' | null = null; // the last item, for ranges
    for (;;) {
      if (this.i >= this.p.length) this.fail('missing terminating ] for character class', this.p.length);
      const c = this.p[this.i]!;
      if (c === ']' && !first) {
        this.i++;
        return { repeatable: true, len: 1 };
      }
      first = false;
      if (c === '-' && prev !== null && this.p[this.i + 1] !== ']' && this.i + 1 < this.p.length) {
        this.i++;
        const hi = this.classItem();
        if (prev === 'class' || hi === 'class') this.fail('invalid range in character class', this.i - 1);
        if (hi < prev) this.fail('range out of order in character class', this.i - 1);
        prev = null;
        continue;
      }
      prev = this.classItem();
    }
  }

  /** One item of a class: its code point, or 'class' for \d, [:alpha:] and the like. */
  classItem(): number | 'class' {
    const c = this.p[this.i]!;
    if (c === '[') {
      const m = /^\[:(\^?)([a-z]+):\]/i.exec(this.p.slice(this.i));
      if (m) {
        if (!POSIX_CLASSES.has(m[2]!)) this.fail('unknown POSIX class name', this.i + 2);
        this.differs('a POSIX class [:name:]');
        this.i += m[0].length;
        return 'class';
      }
    }
    if (c !== '\\') {
      this.i++;
      return c.codePointAt(0)!;
    }
    const at = this.i;
    const e = this.p[this.i + 1];
    if (e === undefined) this.fail('\\ at end of pattern');
    this.i += 2;
    if (!/[A-Za-z0-9]/.test(e)) return e.charCodeAt(0);
    if ('BRX'.includes(e)) this.fail('escape sequence is invalid in character class', at + 1);
    if ('FLlUu'.includes(e)) this.fail(UNSUPPORTED_ESCAPE, at + 2);
    if (e === 'Q') {
      this.differs('\\Q...\\E');
      const end = this.p.indexOf('\\E', this.i);
      const text = end < 0 ? this.p.slice(this.i) : this.p.slice(this.i, end);
      this.i = end < 0 ? this.p.length : end + 2;
      return text.length ? text.codePointAt(text.length - 1)! : 'class';
    }
    if (e === 'E') return 'class';
    if (/[0-7]/.test(e)) {
      const digits = /^[0-7]{1,3}/.exec(this.p.slice(at + 1))![0];
      this.i = at + 1 + digits.length;
      return parseInt(digits, 8);
    }
    if (e === '8' || e === '9') return e.charCodeAt(0);
    if (!KNOWN_LETTER_ESCAPES.has(e) || 'gkKGAzZ'.includes(e)) this.fail('unrecognized character follows \\', at + 1); // (\b is a backspace here)
    if (CLASS_ESCAPES.has(e)) {
      this.valueEscape(e, at);
      return 'class';
    }
    const simple: Record<string, number> = { a: 7, b: 8, e: 27, f: 12, n: 10, r: 13, t: 9 };
    if (e in simple) return simple[e]!;
    const start = this.i;
    this.valueEscape(e, at);
    const body = this.p.slice(start, this.i).replace(/[{}]/g, '');
    if (e === 'x') return body ? parseInt(body, 16) : 0;
    if (e === 'o') return parseInt(body, 8);
    if (e === 'c') return body.toUpperCase().charCodeAt(0) ^ 0x40;
    return 'class';
  }

  parseGroup(): Atom {
    const at = this.i;
    this.i++;
    const saved = this.extended;
    let atom: Atom;
    if (this.p[this.i] === '*') {
      const end = this.p.indexOf(')', this.i);
      if (end < 0) this.fail('missing closing parenthesis', this.p.length);
      this.differs('a (*VERB)');
      this.i = end + 1;
      return { repeatable: false, len: 0 };
    }
    if (this.p[this.i] !== '?') {
      const n = ++this.captures;
      atom = this.capture(n);
    } else {
      this.i++;
      atom = this.parseSpecialGroup(at);
    }
    this.extended = saved;
    return atom;
  }

  /** The body of a capturing group numbered `n`, through its `)`. */
  capture(n: number): Atom {
    const lens = this.parseAlternation();
    this.close();
    const len = fixedLength(lens);
    this.groupLen.set(n, len);
    return { repeatable: true, len };
  }

  close(): void {
    if (this.p[this.i] !== ')') this.fail('missing closing parenthesis', this.p.length);
    this.i++;
  }

  parseSpecialGroup(at: number): Atom {
    const rest = this.p.slice(this.i);
    const c = rest[0];
    if (c === '#') {
      const end = this.p.indexOf(')', this.i);
      if (end < 0) this.fail('missing ) after (?# comment', this.p.length);
      this.differs('a (?#comment)');
      this.i = end + 1;
      return { repeatable: false, len: 0 };
    }
    if (c === ':' || c === '|' || c === '>') {
      this.i++;
      if (c !== ':') this.differs(c === '|' ? 'a branch reset group (?|' : 'an atomic group (?>');
      const lens = this.parseAlternation(c === '|');
      this.close();
      return { repeatable: true, len: fixedLength(lens) };
    }
    if (c === '=' || c === '!') {
      this.i++;
      this.lookaround++;
      this.parseAlternation();
      this.lookaround--;
      this.close();
      return { repeatable: true, len: 0 };
    }
    if (rest.startsWith('<=') || rest.startsWith('<!')) {
      this.i += 2;
      this.lookaround++;
      const lens = this.parseAlternation();
      this.lookaround--;
      this.close();
      // PCRE2 10.42: each top-level branch of a lookbehind matches a fixed length.
      if (this.known && lens.some((l) => l === null)) this.fail('lookbehind assertion is not fixed length', at);
      return { repeatable: true, len: 0 };
    }
    const named = /^(?:P?<|')/.exec(rest);
    if (named && !rest.startsWith('P=') && !rest.startsWith('P>')) {
      this.i += named[0].length;
      if (named[0] !== '<') this.differs(`a named group written ${named[0] === "'" ? "(?'name'" : '(?P<name>'}`);
      const close = named[0] === "'" ? "'" : '>';
      const m = /^\w*/.exec(this.p.slice(this.i))!;
      const name = m[0];
      if (/^\d/.test(name)) this.fail('subpattern name must start with a non-digit', this.i);
      if (name === '' || this.p[this.i + name.length] !== close) this.fail('subpattern name expected', this.i);
      if (name.length > 32) this.fail('subpattern name is too long (maximum 32 code units)', this.i);
      if (this.names.has(name) && !this.dupNames) this.fail('two named subpatterns have the same name (PCRE2_DUPNAMES not set)', this.i + name.length + 1);
      this.i += name.length + 1;
      const n = ++this.captures;
      if (!this.names.has(name)) this.names.set(name, n);
      return this.capture(n);
    }
    const call = /^(?:P=(\w+)|P>(\w+)|&(\w+)|(R)|([+-]?\d+))\)/.exec(rest);
    if (call) {
      this.differs('a back reference or subroutine call in (?...) form');
      this.i += call[0].length;
      if (call[4] !== undefined) return { repeatable: true, len: null };
      const name = call[1] ?? call[2] ?? call[3];
      if (name !== undefined) return this.reference({ name, at: this.i - 1 });
      const token = call[5]!;
      if (token === '0') return { repeatable: true, len: null };
      return this.reference(this.refTarget(token, this.i - 1));
    }
    if (c === '(') return this.parseConditional();
    const opts = /^([imnsxJU]*)(?:-([imnsxJU]*))?([:)])/.exec(rest) ?? /^\^([imnsx]*)([:)])/.exec(rest);
    if (opts) {
      this.differs('inline options (?i)');
      const on = opts[1] ?? '';
      const off = opts[2] ?? '';
      const end = opts[opts.length - 1];
      this.i += opts[0].length;
      if (on.includes('x')) this.extended = true;
      if (off.includes('x') || rest.startsWith('^')) this.extended = false;
      if (on.includes('J')) this.dupNames = true;
      if (end === ')') return { repeatable: false, len: 0 };
      const lens = this.parseAlternation();
      this.close();
      return { repeatable: true, len: fixedLength(lens) };
    }
    this.fail('unrecognized character after (? or (?-', this.i);
  }

  /** `(?(condition)yes|no)`: at most two branches. */
  parseConditional(): Atom {
    this.differs('a conditional group');
    const cond = /^\((?:(\d+)|<(\w+)>|'(\w+)'|R\d*|R&\w+|DEFINE|(\w+))\)/.exec(this.p.slice(this.i));
    if (cond) {
      this.i += cond[0].length;
      if (cond[1] !== undefined) this.refs.push({ n: Number(cond[1]), at: this.i - 1 });
      const name = cond[2] ?? cond[3];
      if (name !== undefined) this.refs.push({ name, at: this.i - 1 });
    } else if (/^\(\?<?[=!]/.test(this.p.slice(this.i))) {
      this.parseGroup();
    } else this.fail('assertion expected after (?( or (?(?C)', this.i + 1);
    const lens = this.parseAlternation();
    if (lens.length > 2) this.fail('conditional subpattern contains more than two branches', this.i);
    this.close();
    return { repeatable: true, len: fixedLength(lens) };
  }
}

function fixedLength(lens: readonly Len[]): Len {
  const first = lens[0] ?? 0;
  return first !== null && lens.every((l) => l === first) ? first : null;
}

/**
 * Checks `pattern` as PCRE2 compiles it. Two passes: the first learns every capture group's
 * length, so the second can tell a back reference inside a lookbehind (fixed when its group is).
 */
export function checkPcre(pattern: string): PcreCheck {
  try {
    const first = new Parser(pattern, null);
    first.run();
    const second = new Parser(pattern, first.groupLen, first.names);
    second.run();
    return { kind: 'valid', captures: second.captures, names: [...second.names.keys()], jsDiffers: second.jsDiffers };
  } catch (e) {
    if (e instanceof PcreError) return { kind: 'invalid', error: e.message, offset: e.offset };
    throw e;
  }
}
