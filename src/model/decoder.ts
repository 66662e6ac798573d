// Reads typed fields out of one raw wire object. A field of the wrong type becomes an
// Issue at that field's position (never an exception) and reads as absent, so one pass
// over an object reports every problem in it.
import type { Issue, Severity } from './issue.js';
import type { FieldPath, RawObject } from './source.js';
import { isStored } from './stored.js';

export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Renders a value the way the API server quotes it in `Invalid value: ...`. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') {
    const s = JSON.stringify(value);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  }
  return String(value);
}

export class Decoder {
  constructor(
    readonly raw: RawObject,
    readonly object: string, // 'Service production/api', for messages
    private readonly sink: Issue[],
  ) {}

  report(path: FieldPath, code: string, message: string, hint?: string, severity: Severity = 'error'): void {
    const field = formatPath(path);
    this.sink.push({
      code, severity, ...this.raw.locate(path), object: this.object,
      field: field || undefined,
      message: field && !message.startsWith(field) ? `${field}: ${message}` : message,
      hint,
    });
  }

  /**
   * A warning the API server returns for an object it accepts, in its words (kubectl prints
   * it as `Warning: <text>`): the text names its own field, so none is added; the position
   * is the field's. A dump's objects were created already: reading them warns of nothing.
   */
  apiWarning(path: FieldPath, text: string, hint?: string): void {
    if (isStored(this.raw)) return;
    this.sink.push({ code: 'api-warning', severity: 'warning', ...this.raw.locate(path), object: this.object, message: text, hint });
  }

  required(path: FieldPath, hint?: string): void {
    this.report(path, 'required', 'Required value', hint);
  }

  invalid(path: FieldPath, value: unknown, detail: string, hint?: string): void {
    this.report(path, 'invalid-value', `Invalid value: ${showValue(value)}: ${detail}`, hint);
  }

  unsupported(path: FieldPath, value: unknown, supported: readonly string[], hint?: string): void {
    this.report(
      path, 'unsupported-value',
      `Unsupported value: ${showValue(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
      hint ?? `use one of ${supported.join(', ')} (the names are case-sensitive)`,
    );
  }

  duplicate(path: FieldPath, value: unknown, hint?: string): void {
    this.report(path, 'duplicate-value', `Duplicate value: ${showValue(value)}`, hint);
  }

  get(path: FieldPath): unknown {
    let v: unknown = this.raw.value;
    for (const seg of path) {
      if (v === null || v === undefined) return undefined;
      if (typeof seg === 'number') v = Array.isArray(v) ? v[seg] : undefined;
      else v = typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[seg] : undefined;
    }
    return v === null ? undefined : v;
  }

  has(path: FieldPath): boolean {
    return this.get(path) !== undefined;
  }

  str(path: FieldPath, fallback = ''): string {
    const v = this.get(path);
    if (v === undefined) return fallback;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') {
      this.invalid(path, v, 'must be a string', `quote the value: "${String(v)}"`);
      return String(v);
    }
    this.invalid(path, v, `must be a string, not ${kindOf(v)}`);
    return fallback;
  }

  int(path: FieldPath): number | undefined {
    const v = this.get(path);
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && /^-?\d+$/.test(v)) {
      this.invalid(path, v, 'must be an integer, not a string', `remove the quotes: ${v}`);
      return undefined;
    }
    this.invalid(path, v, `must be an integer, not ${kindOf(v)}`);
    return undefined;
  }

  bool(path: FieldPath): boolean | undefined {
    const v = this.get(path);
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return v;
    this.invalid(path, v, `must be a boolean (true or false), not ${kindOf(v)}`,
      typeof v === 'string' ? `remove the quotes: ${v}` : undefined);
    return undefined;
  }

  /** int-or-string fields (targetPort, policy ports, probe ports). */
  intOrString(path: FieldPath): number | string | undefined {
    const v = this.get(path);
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string') return v;
    this.invalid(path, v, `must be an integer or a string, not ${kindOf(v)}`);
    return undefined;
  }

  obj(path: FieldPath): Record<string, unknown> | undefined {
    const v = this.get(path);
    if (v === undefined) return undefined;
    if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    this.invalid(path, v, `must be an object, not ${kindOf(v)}`);
    return undefined;
  }

  /** The length of a list field (0 when absent or of the wrong type, which is reported). */
  len(path: FieldPath): number {
    const v = this.get(path);
    if (v === undefined) return 0;
    if (Array.isArray(v)) return v.length;
    this.invalid(path, v, `must be a list, not ${kindOf(v)}`,
      typeof v === 'object' ? 'start each item with "- "' : undefined);
    return 0;
  }

  strList(path: FieldPath): string[] {
    const n = this.len(path);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = this.str([...path, i]);
      out.push(s);
    }
    return out;
  }

  strMap(path: FieldPath): Record<string, string> {
    const o = this.obj(path);
    const out: Record<string, string> = {};
    if (!o) return out;
    for (const [k, v] of Object.entries(o)) {
      if (v === null || v === undefined) out[k] = '';
      else if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') {
        this.invalid([...path, k], v, 'must be a string', `quote the value: "${String(v)}"`);
        out[k] = String(v);
      } else this.invalid([...path, k], v, `must be a string, not ${kindOf(v)}`);
    }
    return out;
  }
}

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}
