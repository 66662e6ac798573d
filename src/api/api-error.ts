// A failure in the making, as kube-apiserver answers it: the shell (src/daemon/api.ts) turns it
// into a `Status`. One type for every part of the API: lists and watches, patches, scale,
// deletes, validation.

export interface ApiError {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export function isApiError(v: unknown): v is ApiError {
  return !!v && typeof v === 'object' && typeof (v as ApiError).code === 'number' && typeof (v as ApiError).reason === 'string' && typeof (v as ApiError).message === 'string';
}
