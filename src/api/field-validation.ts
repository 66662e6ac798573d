// Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`, what `kubectl apply
// --validate=strict` sends): a field given twice in the body is refused (Strict, 400
// `strict decoding error: duplicate field "spec.replicas"`) or warned of (Warn, a `299`
// Warning header), as kube-apiserver's strict JSON decoder does.
import type { ApiError } from './list-options.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The directive; absent is Warn (kube-apiserver's default since 1.27); anything else a 400. */
export function fieldValidationOf(q: URLSearchParams): FieldValidation | ApiError {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  return { code: 400, reason: 'BadRequest', message: `fieldValidation: Unsupported value: ${JSON.stringify(v)}: supported values: "Ignore", "Strict", "Warn"` };
}

/**
 * The paths of fields a JSON text gives twice in one object (`spec.replicas`,
 * `spec.containers[0].name`), in the order met; [] when the text is not JSON (the caller's
 * parse reports that).
 */
export function duplicateFields(text: string): string[] {
  const found: string[] = [];
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
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const keys = new Set<string>();
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        const key = str();
        if (keys.has(key)) found.push(join(path, key));
        keys.add(key);
        ws();
        i++; // ':'
        value(join(path, key));
        ws();
        if (text[i++] !== ',') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i++] !== ',') return;
      }
    } else if (c === '"') str();
    else while (i < text.length && !',]} \t\n\r'.includes(text[i]!)) i++;
  };
  try {
    value('');
  } catch {
    return [];
  }
  return found;
}

/** Strict's refusal, or Warn's warnings (Ignore: none), for the body's duplicate fields. */
export function checkFields(mode: FieldValidation, duplicates: readonly string[]): { error: ApiError } | { warnings: string[] } {
  if (mode === 'Ignore' || duplicates.length === 0) return { warnings: [] };
  const texts = duplicates.map((d) => `duplicate field ${JSON.stringify(d)}`);
  if (mode === 'Warn') return { warnings: texts };
  return { error: { code: 400, reason: 'BadRequest', message: `strict decoding error: ${texts.join(', ')}` } };
}

/** A Warning header's value as kube-apiserver writes it: `299 - "text"`. */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}
