// Kubernetes' JSONPath, as CRDs' additionalPrinterColumns and `kubectl -o jsonpath` use it:
// `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[1:3]`, `[*]`, `..name`, `[0,2]` and filters such as
// `[?(@.type=="Ready")]`. A missing key gives no result (AllowMissingKeys), never an error.

type Step =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'recursive'; readonly name: string } // `..name`; '*' = every value below
  | { readonly kind: 'wildcard' }
  | { readonly kind: 'index'; readonly indices: readonly number[] }
  | { readonly kind: 'names'; readonly names: readonly string[] }
  | { readonly kind: 'slice'; readonly start: number | null; readonly end: number | null; readonly step: number }
  | { readonly kind: 'filter'; readonly filter: Filter };

type Operand = { readonly kind: 'path'; readonly steps: readonly Step[] } | { readonly kind: 'literal'; readonly value: unknown };
type Filter = { readonly left: Operand; readonly op: '==' | '!=' | '<' | '>' | '<=' | '>=' | 'exists'; readonly right: Operand | null };

export class JsonPathError extends Error {}

/** The steps of a path such as `{.status.conditions[?(@.type == "Ready")].status}`; throws JsonPathError. */
export function parseJsonPath(text: string): readonly Step[] {
  let s = text.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  const p = new Parser(s);
  const steps = p.steps();
  if (!p.done()) throw new JsonPathError(`unexpected ${JSON.stringify(s.slice(p.at))} in ${JSON.stringify(text)}`);
  return steps;
}

/** Every value the path reaches in `data`, in document order. */
export function evaluateJsonPath(path: string | readonly Step[], data: unknown): unknown[] {
  const steps = typeof path === 'string' ? parseJsonPath(path) : path;
  let current: unknown[] = [data];
  for (const step of steps) current = current.flatMap((v) => apply(step, v));
  return current;
}

/** A result as `kubectl -o jsonpath` prints it: strings bare, objects and lists as JSON. */
export function jsonPathText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '<nil>';
  return JSON.stringify(value);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function apply(step: Step, v: unknown): unknown[] {
  switch (step.kind) {
    case 'field':
      return isRecord(v) && step.name in v ? [v[step.name]] : [];
    case 'names':
      return isRecord(v) ? step.names.filter((n) => n in v).map((n) => v[n]) : [];
    case 'wildcard':
      return Array.isArray(v) ? [...v] : isRecord(v) ? Object.values(v) : [];
    case 'recursive':
      return descend(v, step.name);
    case 'index': {
      if (!Array.isArray(v)) return [];
      return step.indices.flatMap((i) => {
        const at = i < 0 ? v.length + i : i;
        return at >= 0 && at < v.length ? [v[at]] : [];
      });
    }
    case 'slice': {
      if (!Array.isArray(v)) return [];
      const clamp = (n: number) => Math.min(Math.max(n < 0 ? v.length + n : n, 0), v.length);
      const start = step.start === null ? 0 : clamp(step.start);
      const end = step.end === null ? v.length : clamp(step.end);
      const out: unknown[] = [];
      for (let i = start; i < end; i += step.step) out.push(v[i]);
      return out;
    }
    case 'filter': {
      const items = Array.isArray(v) ? v : isRecord(v) ? Object.values(v) : [];
      return items.filter((item) => matches(step.filter, item));
    }
    default:
      return assertNever(step);
  }
}

function descend(v: unknown, name: string): unknown[] {
  const out: unknown[] = [];
  const walk = (x: unknown): void => {
    if (isRecord(x)) {
      for (const [k, child] of Object.entries(x)) {
        if (name === '*' || k === name) out.push(child);
      }
      for (const child of Object.values(x)) walk(child);
    } else if (Array.isArray(x)) {
      if (name === '*') out.push(...x);
      for (const child of x) walk(child);
    }
  };
  walk(v);
  return out;
}

function operandValues(o: Operand, item: unknown): unknown[] {
  return o.kind === 'literal' ? [o.value] : evaluateJsonPath(o.steps, item);
}

/** The filter holds when some value on the left compares true with the right; a missing field never matches. */
function matches(f: Filter, item: unknown): boolean {
  const left = operandValues(f.left, item);
  if (f.op === 'exists') return left.some((x) => x !== undefined && x !== null && x !== false);
  const right = f.right ? operandValues(f.right, item) : [];
  return left.some((a) => right.some((b) => compare(a, f.op, b)));
}

function compare(a: unknown, op: Filter['op'], b: unknown): boolean {
  switch (op) {
    case '==': return looselyEqual(a, b);
    case '!=': return !looselyEqual(a, b);
    case '<': return ordered(a, b, (x, y) => x < y);
    case '>': return ordered(a, b, (x, y) => x > y);
    case '<=': return ordered(a, b, (x, y) => x <= y);
    case '>=': return ordered(a, b, (x, y) => x >= y);
    default: return false;
  }
}

function looselyEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function ordered(a: unknown, b: unknown, cmp: (x: number | string, y: number | string) => boolean): boolean {
  if (typeof a === 'number' && typeof b === 'number') return cmp(a, b);
  if (typeof a === 'string' && typeof b === 'string') return cmp(a, b);
  return false;
}

function assertNever(x: never): never {
  throw new Error(`unexpected step ${JSON.stringify(x)}`);
}

class Parser {
  at = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    this.space();
    return this.at >= this.s.length;
  }

  private space(): void {
    while (this.s[this.at] === ' ') this.at++;
  }

  private fail(what: string): never {
    throw new JsonPathError(`${what} at ${this.at} in ${JSON.stringify(this.s)}`);
  }

  /** Steps until the end, or a character that ends a filter operand (space, `)`, an operator). */
  steps(inFilter = false): Step[] {
    const out: Step[] = [];
    for (;;) {
      const c = this.s[this.at];
      if (c === '.' && this.s[this.at + 1] === '.') {
        this.at += 2;
        const name = this.s[this.at] === '*' ? (this.at++, '*') : this.name();
        if (!name) this.fail('a name after ".."');
        out.push({ kind: 'recursive', name });
      } else if (c === '.') {
        this.at++;
        if (this.s[this.at] === '*') {
          this.at++;
          out.push({ kind: 'wildcard' });
        } else {
          const name = this.name();
          // `{.}` is the whole object; `.` before `[` is allowed.
          if (name) out.push({ kind: 'field', name });
        }
      } else if (c === '[') {
        out.push(this.bracket());
      } else if (!inFilter && c !== undefined && /[A-Za-z_]/.test(c) && out.length === 0) {
        out.push({ kind: 'field', name: this.name() }); // `status.phase` without the leading dot
      } else {
        return out;
      }
    }
  }

  /** A field name up to `.`, `[`, a space or an operator; `\.` escapes a dot. */
  private name(): string {
    let out = '';
    while (this.at < this.s.length) {
      const c = this.s[this.at]!;
      if (c === '\\' && this.at + 1 < this.s.length) {
        out += this.s[this.at + 1];
        this.at += 2;
        continue;
      }
      if (/[.[\]\s()=!<>,]/.test(c)) break;
      out += c;
      this.at++;
    }
    return out;
  }

  private bracket(): Step {
    this.at++; // [
    this.space();
    let step: Step;
    if (this.s[this.at] === '?') {
      this.at++;
      this.space();
      if (this.s[this.at] !== '(') this.fail('"(" after "?"');
      this.at++;
      step = { kind: 'filter', filter: this.filter() };
      this.space();
      if (this.s[this.at] !== ')') this.fail('")" closing the filter');
      this.at++;
    } else if (this.s[this.at] === '*') {
      this.at++;
      step = { kind: 'wildcard' };
    } else if (this.s[this.at] === "'" || this.s[this.at] === '"') {
      const names = [this.quoted()];
      for (this.space(); this.s[this.at] === ','; this.space()) {
        this.at++;
        this.space();
        names.push(this.quoted());
      }
      step = names.length === 1 ? { kind: 'field', name: names[0]! } : { kind: 'names', names };
    } else {
      step = this.indexOrSlice();
    }
    this.space();
    if (this.s[this.at] !== ']') this.fail('"]"');
    this.at++;
    return step;
  }

  private indexOrSlice(): Step {
    const parts: (number | null)[] = [this.integer()];
    let colons = 0;
    const indices: number[] = [];
    for (this.space(); this.s[this.at] === ':' || this.s[this.at] === ','; this.space()) {
      const sep = this.s[this.at];
      this.at++;
      this.space();
      if (sep === ':') {
        colons++;
        parts.push(this.integer());
      } else {
        if (parts[0] === null) this.fail('an index');
        indices.push(this.integer() ?? this.fail('an index'));
      }
    }
    if (colons === 0) {
      if (parts[0] === null) this.fail('an index, a slice, "*", a quoted name or a filter');
      return { kind: 'index', indices: [parts[0]!, ...indices] };
    }
    const stepBy = parts[2] ?? 1;
    if (stepBy <= 0) this.fail('a positive slice step');
    return { kind: 'slice', start: parts[0] ?? null, end: parts[1] ?? null, step: stepBy };
  }

  private integer(): number | null {
    const m = /^-?\d+/.exec(this.s.slice(this.at));
    if (!m) return null;
    this.at += m[0].length;
    return Number(m[0]);
  }

  private quoted(): string {
    const q = this.s[this.at];
    if (q !== "'" && q !== '"') this.fail('a quoted string');
    let out = '';
    this.at++;
    while (this.at < this.s.length && this.s[this.at] !== q) {
      if (this.s[this.at] === '\\' && this.at + 1 < this.s.length) this.at++;
      out += this.s[this.at];
      this.at++;
    }
    if (this.s[this.at] !== q) this.fail('the closing quote');
    this.at++;
    return out;
  }

  private filter(): Filter {
    this.space();
    const left = this.operand();
    this.space();
    const m = /^(==|!=|<=|>=|<|>)/.exec(this.s.slice(this.at));
    if (!m) return { left, op: 'exists', right: null };
    this.at += m[1]!.length;
    this.space();
    return { left, op: m[1] as Filter['op'], right: this.operand() };
  }

  private operand(): Operand {
    const c = this.s[this.at];
    if (c === '@') {
      this.at++;
      return { kind: 'path', steps: this.steps(true) };
    }
    if (c === "'" || c === '"') return { kind: 'literal', value: this.quoted() };
    const m = /^(-?\d+(\.\d+)?|true|false|null)/.exec(this.s.slice(this.at));
    if (!m) this.fail('"@", a quoted string, a number or true/false');
    this.at += m[0].length;
    return { kind: 'literal', value: JSON.parse(m[0]) };
  }
}
