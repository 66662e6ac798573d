// STAND-IN for src/api/crds.ts (the registry's `printerColumnsOf`), until that file lands on this
// branch: the printer columns cert-manager's CRDs declare for the kinds knet serves. The lead
// replaces the import in table-crd.ts with './crds.js' and deletes this file when merging.

/** One of a CRD version's `additionalPrinterColumns` (apiextensions.k8s.io/v1). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly format?: string;
  readonly description?: string;
  readonly priority?: number; // 1: only with `-o wide`
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const READY: PrinterColumn = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type == "Ready")].status' };
const READY_MESSAGE: PrinterColumn = { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type == "Ready")].message', priority: 1 };

const PRINTER_COLUMNS: Readonly<Record<string, readonly PrinterColumn[]>> = {
  'cert-manager.io/Certificate': [
    READY,
    { name: 'Secret', type: 'string', jsonPath: '.spec.secretName' },
    { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name', priority: 1 },
    READY_MESSAGE,
    AGE,
  ],
  'cert-manager.io/Issuer': [READY, READY_MESSAGE, AGE],
  'cert-manager.io/ClusterIssuer': [READY, READY_MESSAGE, AGE],
};

/** The CRD's `additionalPrinterColumns` for a kind, or undefined when the kind is not a CRD knet serves. */
export function printerColumnsOf(group: string, kind: string): readonly PrinterColumn[] | undefined {
  return PRINTER_COLUMNS[`${group}/${kind}`];
}
