// kubectl's --field-selector for `knet get`: the API server's rules (src/api/field-selectors.ts),
// read from each object's wire form, as the API serves it.
import { toWire, type AnyObject } from '../cluster/wire.js';
import { matchesFieldSelector, type FieldRequirement } from '../api/field-selectors.js';

export { parseFieldSelector, unsupportedField, type FieldRequirement } from '../api/field-selectors.js';

/** `kind` is the resource's (`get endpoints` lists Services, selectable as Endpoints). */
export function matchesFields(kind: string, o: AnyObject, reqs: readonly FieldRequirement[]): boolean {
  return matchesFieldSelector(kind, toWire(o), reqs);
}
