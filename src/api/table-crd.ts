// A custom resource's Table as apiextensions-apiserver builds it: NAME, then each of the CRD's
// additionalPrinterColumns, its JSONPath evaluated on the object (the first result; a missing
// field is an empty cell), dates as ages. A CRD without columns gets AGE alone.
import { evaluateJsonPath, jsonPathText, parseJsonPath } from './jsonpath.js';
import { NAME_COLUMN, column, nameOf, since, type Cell, type Printer } from './table-cells.js';
import type { PrinterColumn } from './crds.js';

const DEFAULT_COLUMNS: readonly PrinterColumn[] = [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];

/** A cell of a column's type from its first JSONPath result; null (kubectl prints `<none>`) when there is none. */
function cellOf(col: PrinterColumn, value: unknown, now: number): Cell {
  if (value === undefined || value === null) return null;
  switch (col.type) {
    case 'string': return jsonPathText(value);
    case 'integer': return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number': return typeof value === 'number' ? value : null;
    case 'boolean': return typeof value === 'boolean' ? value : null;
    case 'date': return typeof value === 'string' ? (Number.isNaN(Date.parse(value)) ? '<invalid>' : since(value, now)) : null;
    default: return null;
  }
}

export function crdPrinter(columns: readonly PrinterColumn[]): Printer {
  const cols = columns.length ? columns : DEFAULT_COLUMNS;
  const paths = cols.map((c) => parseJsonPath(c.jsonPath));
  return {
    columns: [
      NAME_COLUMN,
      ...cols.map((c) => column(c.name, c.description ?? `The object's ${c.jsonPath} (a column of the CRD).`,
        { type: c.type, priority: c.priority ?? 0, format: c.format ?? '' })),
    ],
    cells: (o, now) => [nameOf(o), ...cols.map((c, i) => cellOf(c, evaluateJsonPath(paths[i]!, o)[0], now))],
  };
}
