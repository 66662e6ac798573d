// Server-side Tables (meta.k8s.io/v1 `Table`), what `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`: kube-apiserver's columns per kind
// (priority 1 for those only `-o wide` shows), one row per object with its cells and the
// object itself as PartialObjectMetadata (`includeObject=Metadata`, the default), whole
// (`Object`) or not at all (`None`). Pure: from wire objects, the time passed in.
import { APPS_PRINTERS } from './table-apps.js';
import { NAME_COLUMN, column, metaOf, nameOf, type Json, type Printer } from './table-cells.js';
import { CORE_PRINTERS } from './table-core.js';
import { crdPrinter } from './table-crd.js';
import { printerColumnsOf } from './crds.js';
import { NETWORKING_PRINTERS } from './table-networking.js';
import { POD_PRINTER } from './table-pod.js';

export type { Json } from './table-cells.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  readonly includeObject?: IncludeObject;
  readonly now: number;
  readonly resourceVersion: string;
  readonly continue?: string;
  /** Leave the column definitions out: every watch event after the first (the API server's habit). */
  readonly noHeaders?: boolean;
}

/** Does the Accept header ask for a meta.k8s.io Table (v1 or v1beta1) before any plain JSON? */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const clause of accept.split(',')) {
    const [type, ...params] = clause.split(';').map((s) => s.trim());
    if (type !== 'application/json' && type !== '*/*') continue;
    const p = new Map(params.map((x) => {
      const i = x.indexOf('=');
      return [x.slice(0, i).trim(), x.slice(i + 1).trim()] as const;
    }));
    if (p.get('as') === 'Table' && p.get('g') === 'meta.k8s.io' && (p.get('v') === 'v1' || p.get('v') === 'v1beta1')) return true;
    // The first acceptable clause without `as` is plain JSON: the client prefers it.
    if (!p.has('as')) return false;
  }
  return false;
}

/** The `includeObject` query parameter, or an error in the API server's words. */
export function includeObjectParam(value: string | null): IncludeObject | { error: string } {
  if (value === null || value === '' || value === 'Metadata') return 'Metadata';
  if (value === 'None' || value === 'Object') return value;
  return { error: `unrecognized includeObject value: "${value}"` };
}

const BUILT_IN: Readonly<Record<string, Printer>> = {
  '/Pod': POD_PRINTER,
  ...Object.fromEntries(Object.entries(CORE_PRINTERS).map(([k, v]) => [`/${k}`, v])),
  ...APPS_PRINTERS,
  ...NETWORKING_PRINTERS,
};

/** A kind without a printer: the API server's default, NAME and CREATED AT (RFC 3339, UTC). */
const DEFAULT_PRINTER: Printer = {
  columns: [NAME_COLUMN, column('Created At', 'When the object was created (metadata.creationTimestamp).', { type: 'date' })],
  cells: (o) => {
    const t = Date.parse(String(metaOf(o)['creationTimestamp'] ?? ''));
    return [nameOf(o), Number.isNaN(t) ? '0001-01-01T00:00:00Z' : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z')];
  },
};

/** CRD printers by their columns: each JSONPath is parsed once, not per request or watch event. */
const crdPrinters = new WeakMap<object, Printer>();

export function printerFor(group: string, kind: string): Printer {
  const crd = printerColumnsOf(group, kind);
  if (crd) {
    const known = crdPrinters.get(crd);
    if (known) return known;
    const made = crdPrinter(crd);
    crdPrinters.set(crd, made);
    return made;
  }
  return BUILT_IN[`${group}/${kind}`] ?? DEFAULT_PRINTER;
}

/** The row's `object`: the object's metadata as PartialObjectMetadata, the object, or null. */
function rowObject(o: Json, include: IncludeObject): Json | null {
  switch (include) {
    case 'None': return null;
    case 'Object': return o;
    case 'Metadata': return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metaOf(o) };
    default: return null;
  }
}

/** A meta.k8s.io/v1 Table of `objects` (wire form) of one kind. */
export function tableOf(group: string, kind: string, objects: readonly Json[], opts: TableOptions): Json {
  const printer = printerFor(group, kind);
  const include = opts.includeObject ?? 'Metadata';
  const metadata: Json = { resourceVersion: opts.resourceVersion };
  if (opts.continue) metadata['continue'] = opts.continue;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? null : printer.columns,
    rows: objects.map((o) => {
      const conditions = printer.conditions?.(o);
      return { cells: printer.cells(o, opts.now), ...(conditions ? { conditions } : {}), object: rowObject(o, include) };
    }),
  };
}

/**
 * Each object's row `object` as JSON text, written once per object: the store serves every
 * version of an object as a new one and never changes one in place, so a list of 1,000 pods
 * writes only the cells again (they hold the ages).
 */
const rowObjectTexts: Readonly<Record<'Metadata' | 'Object', WeakMap<Json, string>>> = { Metadata: new WeakMap(), Object: new WeakMap() };

function rowObjectText(o: Json, include: IncludeObject): string {
  if (include === 'None') return 'null';
  const texts = rowObjectTexts[include];
  let text = texts.get(o);
  if (text === undefined) texts.set(o, (text = JSON.stringify(rowObject(o, include))));
  return text;
}

/**
 * `tableOf` as the JSON text the API sends, the same bytes as `JSON.stringify(tableOf(...))`:
 * `kubectl get pods -A` at 1,000 pods is two pages of 300 KB, mostly the rows' metadata.
 * The objects must not change after their first Table (the store's never do).
 */
export function tableText(group: string, kind: string, objects: readonly Json[], opts: TableOptions): string {
  const printer = printerFor(group, kind);
  const include = opts.includeObject ?? 'Metadata';
  const rows = objects.map((o) => {
    const conditions = printer.conditions?.(o);
    return `{"cells":${JSON.stringify(printer.cells(o, opts.now))}${conditions ? `,"conditions":${JSON.stringify(conditions)}` : ''},"object":${rowObjectText(o, include)}}`;
  });
  // The Table's own fields from tableOf with no rows: `rows` is its last key.
  const shell = JSON.stringify(tableOf(group, kind, [], opts));
  if (!shell.endsWith('"rows":[]}')) throw new Error('tableText: the Table\'s rows are not its last field');
  return `${shell.slice(0, -2)}${rows.join(',')}]}`;
}

/** What a request asks for: a Table (with its includeObject), plain objects (null), or a bad includeObject. */
export function tableRequest(accept: string | undefined, params: URLSearchParams): { includeObject: IncludeObject } | { error: string } | null {
  if (!wantsTable(accept)) return null;
  const include = includeObjectParam(params.get('includeObject'));
  return typeof include === 'string' ? { includeObject: include } : include;
}
