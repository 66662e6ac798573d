// Whether an input object is one a cluster already stores (a dump's, `kubectl get -o yaml`)
// rather than one being created: the API server set its uid, resourceVersion or
// creationTimestamp, or its controllers wrote a status. What happens only on create
// (admission defaults, allocation checks, the API server's warnings) already happened to a
// stored object, and what it states is the truth. The one rule for every layer.

export function isStored(raw: { readonly value: Record<string, unknown> } | null): boolean {
  const v = raw?.value;
  if (!v) return false;
  const meta = v['metadata'];
  if (meta && typeof meta === 'object' && ['uid', 'resourceVersion', 'creationTimestamp'].some((k) => (meta as Record<string, unknown>)[k])) return true;
  return wroteStatus(v['status']);
}

/** A status the cluster wrote; not the empty `status: {}` of `kubectl create --dry-run -o yaml`. */
function wroteStatus(status: unknown): boolean {
  return status !== null && typeof status === 'object' && !Array.isArray(status) && Object.keys(status).length > 0;
}
