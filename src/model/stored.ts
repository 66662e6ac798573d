// Whether an input object is one a cluster already stores (a dump's, `kubectl get -o yaml`)
// rather than one being created: the API server set its uid, resourceVersion or
// creationTimestamp. What happens only on create (admission defaults, the API server's
// warnings) already happened to a stored object.
import type { RawObject } from './source.js';

export function isStored(raw: RawObject | null): boolean {
  const meta = raw?.value['metadata'];
  if (!meta || typeof meta !== 'object') return false;
  const m = meta as Record<string, unknown>;
  return Boolean(m['uid'] || m['resourceVersion'] || m['creationTimestamp']);
}
