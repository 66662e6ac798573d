// The cell formats every server-side Table shares: ages as kubectl's short durations
// ("5m20s", "3h4m", "2d5h"), label maps and selectors as `key=value,...`, lists cut after
// three with "+ N more...", and reading fields out of wire objects.
import { compareText } from '../model/order.js';

export type Json = Record<string, unknown>;

/** One column of a meta.k8s.io/v1 Table. */
export interface ColumnDefinition {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format: string; // 'name' for the column kubectl treats as the object's name
  readonly description: string;
  readonly priority: number; // 1: shown only by `-o wide`
}

export type Cell = string | number | boolean | null;

/** A kind's printer: its columns and one row of cells per object (all columns, wide ones too). */
export interface Printer {
  readonly columns: readonly ColumnDefinition[];
  readonly cells: (o: Json, now: number) => Cell[];
  /** Extra row conditions (a finished pod's `Completed`). */
  readonly conditions?: (o: Json) => Json[] | undefined;
}

export function column(name: string, description: string, opts: { type?: ColumnDefinition['type']; priority?: number; format?: string } = {}): ColumnDefinition {
  return { name, type: opts.type ?? 'string', format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

export const NAME_COLUMN = column('Name', 'The object\'s name, unique in its namespace (metadata.name).', { format: 'name' });
export const AGE_COLUMN = column('Age', 'How long ago the object was created (metadata.creationTimestamp).');
export const CONTAINERS_COLUMN = column('Containers', 'The names of the containers in the pod template.', { priority: 1 });
export const IMAGES_COLUMN = column('Images', 'The images of the containers in the pod template.', { priority: 1 });
export const SELECTOR_COLUMN = column('Selector', 'The label selector that picks the pods (spec.selector).', { priority: 1 });

/** A ReplicaSet's and a ReplicationController's columns. */
export const REPLICA_COLUMNS: readonly ColumnDefinition[] = [
  NAME_COLUMN,
  column('Desired', 'How many pods are wanted (spec.replicas).', { type: 'integer' }),
  column('Current', 'How many pods there are (status.replicas).', { type: 'integer' }),
  column('Ready', 'How many pods are ready (status.readyReplicas).', { type: 'integer' }),
  AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
];

// --- reading wire objects (every field optional) ---

export function rec(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

export function arr(v: unknown): Json[] {
  return Array.isArray(v) ? v.map(rec) : [];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

export function at(o: unknown, ...path: string[]): unknown {
  let v = o;
  for (const p of path) v = rec(v)[p];
  return v;
}

export function metaOf(o: Json): Json {
  return rec(o['metadata']);
}

export function nameOf(o: Json): string {
  return str(metaOf(o)['name']);
}

/** The condition of a type in `status.conditions`, or undefined. */
export function conditionOf(o: Json, type: string): Json | undefined {
  return arr(at(o, 'status', 'conditions')).find((c) => c['type'] === type);
}

// --- durations ---

/**
 * apimachinery's HumanDuration: seconds up to 2 minutes, minutes and seconds up to 10 minutes,
 * minutes up to 3 hours, hours and minutes up to 8 hours, hours up to 2 days, days and hours up
 * to 8 days, days up to 2 years, years and days up to 8 years, then years. A moment up to one
 * second ahead (clock skew) is "0s"; further ahead, "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** Time since an RFC 3339 timestamp, or `<unknown>` when it is missing or unreadable. */
export function since(timestamp: unknown, now: number): string {
  const t = typeof timestamp === 'string' && timestamp ? Date.parse(timestamp) : NaN;
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

export function ageOf(o: Json, now: number): string {
  return since(metaOf(o)['creationTimestamp'], now);
}

// --- labels, selectors, lists ---

/** labels.FormatLabels: `k=v` sorted by key, `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  const entries = Object.entries(rec(labels)).filter(([, v]) => typeof v === 'string').sort(([a], [b]) => compareText(a, b));
  return entries.length ? entries.map(([k, v]) => `${k}=${String(v)}`).join(',') : '<none>';
}

/**
 * A LabelSelector (`matchLabels`, `matchExpressions`) as labels.Selector prints it: the
 * requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`; '' when it selects all.
 */
export function selectorText(selector: unknown): string {
  const s = rec(selector);
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(rec(s['matchLabels']))) reqs.push({ key: k, text: `${k}=${str(v)}` });
  for (const e of arr(s['matchExpressions'])) {
    const key = str(e['key']);
    const values = (Array.isArray(e['values']) ? e['values'] : []).map(str).sort(compareText).join(',');
    switch (e['operator']) {
      case 'In': reqs.push({ key, text: `${key} in (${values})` }); break;
      case 'NotIn': reqs.push({ key, text: `${key} notin (${values})` }); break;
      case 'Exists': reqs.push({ key, text: key }); break;
      case 'DoesNotExist': reqs.push({ key, text: `!${key}` }); break;
      default: break;
    }
  }
  return reqs.sort((a, b) => compareText(a.key, b.key)).map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: the selector, or `<none>` when it selects everything. */
export function formatLabelSelector(selector: unknown): string {
  return selectorText(selector) || '<none>';
}

/** The first `max` values joined by commas, then " + N more..." for the rest of `total`. */
export function listWithMore(values: readonly string[], total: number, max = 3): string {
  const shown = values.slice(0, max).join(',');
  return total > max ? `${shown} + ${total - max} more...` : shown;
}

/** A pod template's container names and images, comma-separated (the wide CONTAINERS and IMAGES). */
export function containerCells(template: unknown): [string, string] {
  const containers = arr(at(template, 'spec', 'containers'));
  return [containers.map((c) => str(c['name'])).join(','), containers.map((c) => str(c['image'])).join(',')];
}
