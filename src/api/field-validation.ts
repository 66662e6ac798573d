// Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`, what kubectl's default
// `--validate=strict` sends): a field given twice in the body, or one the kind does not have, is
// refused (Strict, 400 `strict decoding error: unknown field "spec.replicass"`) or warned of
// (Warn, a `299` Warning header), as kube-apiserver's strict JSON decoder does.
import type { ApiError } from './list-options.js';
import { jsonField, structSchema, type FieldType } from './kind-schemas.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The directive; absent is Warn (kube-apiserver's default since 1.27); anything else a 400. */
export function fieldValidationOf(q: URLSearchParams): FieldValidation | ApiError {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  return { code: 400, reason: 'BadRequest', message: `fieldValidation: Unsupported value: ${JSON.stringify(v)}: supported values: "Ignore", "Strict", "Warn"` };
}

/** One problem kube-apiserver's strict JSON decoder reports, in its words. */
export type StrictProblem = { readonly kind: 'duplicate' | 'unknown'; readonly path: string };

/**
 * The paths of fields a JSON text gives twice in one object (`spec.replicas`,
 * `spec.containers[0].name`), in the order met; [] when the text is not JSON (the caller's
 * parse reports that).
 */
export function duplicateFields(text: string): string[] {
  return strictProblems(text).map((p) => p.path);
}

/**
 * What strict decoding finds in a JSON text, in the order met: fields given twice, and, when
 * the kind's fields are known (kind-schemas.ts), fields its structs do not have (`unknown field
 * "spec.template.spec.containers[0].imagee"`; nothing below an unknown field or an open struct).
 * In a strategic merge patch (`patch`), its directives (`$patch`, `$setElementOrder/ports`) are
 * not fields. [] when the text is not JSON (the caller's parse reports that).
 */
export function strictProblems(text: string, root?: string, patch = false): StrictProblem[] {
  const found: StrictProblem[] = [];
  let i = 0;
  const ws = (): void => { while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++; };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
  // `known` is the struct the value decodes into (undefined: anything goes); `top` adds TypeMeta.
  const value = (path: string, known: FieldType | undefined, top = false): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const keys = new Set<string>();
      const struct = known?.kind === 'struct' ? structSchema(known.name) : undefined;
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        const key = str();
        const field = struct && jsonField(struct, key);
        if (keys.has(key)) found.push({ kind: 'duplicate', path: join(path, key) });
        else if (struct && !field && !(top && (key === 'apiVersion' || key === 'kind')) && !(patch && key.startsWith('$'))) found.push({ kind: 'unknown', path: join(path, key) });
        keys.add(key);
        ws();
        i++; // ':'
        value(join(path, key), field?.type);
        ws();
        if (text[i++] !== ',') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`, known?.kind === 'list' ? known.item : undefined);
        ws();
        if (text[i++] !== ',') return;
      }
    } else if (c === '"') str();
    else while (i < text.length && !',]} \t\n\r'.includes(text[i]!)) i++;
  };
  try {
    value('', root ? { kind: 'struct', name: root } : undefined, true);
  } catch {
    return [];
  }
  return found;
}

/** Strict's refusal, or Warn's warnings (Ignore: none), for what strict decoding found. */
export function checkFields(mode: FieldValidation, problems: readonly (StrictProblem | string)[]): { error: ApiError } | { warnings: string[] } {
  if (mode === 'Ignore' || problems.length === 0) return { warnings: [] };
  const texts = problems.map((p) => (typeof p === 'string' ? `duplicate field ${JSON.stringify(p)}` : `${p.kind} field ${JSON.stringify(p.path)}`));
  if (mode === 'Warn') return { warnings: texts };
  return { error: { code: 400, reason: 'BadRequest', message: `strict decoding error: ${texts.join(', ')}` } };
}

/**
 * A create's or update's refusal names the kind as kube-apiserver's decoder does:
 * `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ...`
 * (a patch's says only `strict decoding error: ...`).
 */
export function asDecodeError(error: ApiError, kind: string, version: string): ApiError {
  return { ...error, message: `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${error.message}` };
}

/** A Warning header's value as kube-apiserver writes it: `299 - "text"`. */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

/**
 * The object without the fields its kind does not have, as kube-apiserver stores it after a
 * Warn or Ignore (its decoder drops them); an object of a kind knet has no schema for is unchanged.
 */
export function withoutUnknownFields(obj: Record<string, unknown>, root: string | undefined): Record<string, unknown> {
  if (!root) return obj;
  const prune = (v: unknown, t: FieldType | undefined, top = false): unknown => {
    if (Array.isArray(v)) return t?.kind === 'list' ? v.map((x) => prune(x, t.item)) : v;
    const struct = t?.kind === 'struct' ? structSchema(t.name) : undefined;
    if (!struct || v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const field = jsonField(struct, k);
      if (field) out[k] = prune(x, field.type);
      else if (top && (k === 'apiVersion' || k === 'kind')) out[k] = x;
    }
    return out;
  };
  return prune(obj, { kind: 'struct', name: root }, true) as Record<string, unknown>;
}
