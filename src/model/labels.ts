// Labels and label selectors as the API defines them (metav1.LabelSelector and the
// kubectl `-l` string form), with a canonical key so equal selectors share cached results.
import { compareText } from './order.js';

export type Labels = Readonly<Record<string, string>>;

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A parsed LabelSelector. `null` in the API (match nothing) is kept apart from `{}` (match all). */
export interface Selector {
  readonly requirements: readonly Requirement[]; // AND of all; empty = everything
  readonly key: string; // canonical text, for caching and set sharing
}

export const MATCH_ALL: Selector = { requirements: [], key: '' };

export function selectorFrom(
  matchLabels: Labels | undefined,
  expressions: readonly Requirement[] = [],
): Selector {
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(matchLabels ?? {})) {
    reqs.push({ key: k, operator: 'In', values: [v] });
  }
  for (const e of expressions) {
    reqs.push({ key: e.key, operator: e.operator, values: [...e.values].sort() });
  }
  reqs.sort((a, b) => compareText(a.key, b.key) || compareText(a.operator, b.operator));
  return { requirements: reqs, key: reqs.map(requirementText).join(',') };
}

function requirementText(r: Requirement): string {
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'In':
      return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
  }
}

export function matchesSelector(selector: Selector, labels: Labels): boolean {
  for (const r of selector.requirements) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      case 'In':
        if (!has || !r.values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && r.values.includes(value!)) return false;
        break;
    }
  }
  return true;
}

/** Map-style selectors (Service.spec.selector): every pair must be present; empty matches all. */
export function matchesLabelMap(selector: Labels, labels: Labels): boolean {
  for (const k in selector) {
    if (labels[k] !== selector[k]) return false;
  }
  return true;
}

export function formatSelector(selector: Selector): string {
  return selector.key === '' ? '<all>' : selector.key;
}

/** A selector as a LabelSelector in YAML flow style: `{}`, `{matchLabels: {app: web}}`, with matchExpressions for the rest. */
export function selectorYaml(selector: Selector): string {
  const labels = selector.requirements.filter((r) => r.operator === 'In' && r.values.length === 1);
  const exprs = selector.requirements.filter((r) => !labels.includes(r));
  const parts: string[] = [];
  if (labels.length) parts.push(`matchLabels: {${labels.map((r) => `${r.key}: ${r.values[0]}`).join(', ')}}`);
  if (exprs.length) parts.push(`matchExpressions: [${exprs.map((r) => `{key: ${r.key}, operator: ${r.operator}${r.values.length ? `, values: [${r.values.join(', ')}]` : ''}}`).join(', ')}]`);
  return `{${parts.join(', ')}}`;
}

/**
 * kubectl's `-l` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
 * Returns an error message instead of throwing so the CLI can print it as one line.
 */
export function parseSelectorString(text: string): Selector | { error: string } {
  const reqs: Requirement[] = [];
  const parts = splitTopLevel(text.trim());
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') continue;
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      reqs.push({ key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = part.match(/^([\w./-]+)\s*(!=|==|=)\s*([\w.-]*)$/))) {
      reqs.push({ key: m[1]!, operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3]!] });
    } else if ((m = part.match(/^!\s*([\w./-]+)$/))) {
      reqs.push({ key: m[1]!, operator: 'DoesNotExist', values: [] });
    } else if ((m = part.match(/^([\w./-]+)$/))) {
      reqs.push({ key: m[1]!, operator: 'Exists', values: [] });
    } else {
      return { error: `unable to parse requirement "${part}"` };
    }
  }
  return selectorFrom(undefined, reqs);
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
