// A failed patch as kube-apiserver answers it: a Status in the making (code, reason, message).
import type { ApiError } from '../api-error.js';

export { isApiError, type ApiError } from '../api-error.js';

/** A value that says why the patch cannot apply; thrown inside the patch functions, caught at their entry. */
export class PatchFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

export const badRequest = (message: string): PatchFailure => new PatchFailure({ code: 400, reason: 'BadRequest', message });

/** kube-apiserver's answer to a JSON patch that does not apply (a failed `test`, a missing path). */
export const patchRejected = (cause: string): PatchFailure => new PatchFailure({
  code: 422, reason: 'Invalid', message: 'the server rejected our request due to an error in our request',
  details: { causes: [{ message: cause }] },
});

/** Go's encoding/json words for a body that is not JSON, from JSON.parse's. */
export function goJsonError(e: unknown, text: string): string {
  const m = /position (\d+)/.exec((e as Error).message);
  const at = m ? Number(m[1]) : -1;
  if (at < 0 || at >= text.length) return 'unexpected end of JSON input';
  return `invalid character '${text[at]}' looking for beginning of value`;
}
