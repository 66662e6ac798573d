// A refused write as kube-apiserver answers it: 422 Invalid, the message `Service "x" is
// invalid: spec.ports[0].nodePort: Invalid value: 99999: ...` and one cause per field error
// ({reason: FieldValueInvalid|FieldValueRequired|..., message, field}). kubectl prints
// `The Service "x" is invalid: <field>: <message>` from the details, so they carry the kind.
import type { Issue } from '../model/issue.js';
import type { ApiError } from './list-options.js';

/** field.ErrorType's text (what a message starts with) -> its StatusCause reason. */
const REASONS: readonly (readonly [string, string])[] = [
  ['Not found', 'FieldValueNotFound'],
  ['Required value', 'FieldValueRequired'],
  ['Duplicate value', 'FieldValueDuplicate'],
  ['Invalid value', 'FieldValueInvalid'],
  ['Unsupported value', 'FieldValueNotSupported'],
  ['Forbidden', 'FieldValueForbidden'],
  ['Too long', 'FieldValueTooLong'],
  ['Too many', 'FieldValueTooMany'],
  ['Internal error', 'InternalError'],
];

export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

/** An error Issue as a StatusCause: its field, and its message without the field in front. */
export function causeOf(issue: Pick<Issue, 'field' | 'message'>): StatusCause {
  const field = issue.field ?? '';
  const message = field && issue.message.startsWith(`${field}: `) ? issue.message.slice(field.length + 2) : issue.message;
  const reason = REASONS.find(([text]) => message.startsWith(text))?.[1] ?? 'FieldValueInvalid';
  return { reason, message, field };
}

/**
 * The 422 for errors in an object of `kind` (`group` '' for core) named `name`. Only the
 * errors: warnings never refuse. A cause without a field stands alone in the message.
 */
export function invalidStatus(kind: string, group: string, name: string, errors: readonly Pick<Issue, 'field' | 'message'>[]): ApiError {
  const causes = dedupe(errors.map(causeOf));
  const lines = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const qualified = group ? `${kind}.${group}` : kind;
  // utilerrors.Aggregate: one error as itself, several as [a, b].
  const text = lines.length === 1 ? lines[0]! : `[${lines.join(', ')}]`;
  return {
    code: 422, reason: 'Invalid',
    message: `${qualified} ${JSON.stringify(name)} is invalid: ${text}`,
    details: { name, ...(group ? { group } : {}), kind, causes: causes.map((c) => ({ ...c })) },
  };
}

function dedupe(causes: readonly StatusCause[]): StatusCause[] {
  const seen = new Set<string>();
  return causes.filter((c) => {
    const k = `${c.field}\u0000${c.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
