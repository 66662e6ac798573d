// What the API server owns in an object, never the client: on create and update kube-apiserver
// sets the uid, resourceVersion, creationTimestamp, generation and deletion fields itself, and the
// main resource ignores `status` (the status subresource writes it). A PUT must name the version it
// read (optimistic concurrency): another version is a 409 Conflict.

type Json = Record<string, unknown>;

/** metadata fields the server sets; managedFields stay (server-side apply reads them). */
const SERVER_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** What a client sent, minus what the server owns (a `kubectl get -o yaml` dump re-sent becomes a plain object again). */
export function withoutServerFields(obj: Json): Json {
  const { status: _status, ...rest } = obj;
  const meta = obj['metadata'];
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return rest;
  const kept: Json = {};
  for (const [k, v] of Object.entries(meta as Json)) if (!SERVER_METADATA.includes(k)) kept[k] = v;
  return { ...rest, metadata: kept };
}

export interface UpdateConflict {
  readonly code: 409;
  readonly reason: 'Conflict';
  readonly message: string;
  readonly details: Json;
}

/**
 * The precondition of an update: a `metadata.resourceVersion` in the body must be the object's
 * current one (none: the update is unconditional, as for `kubectl replace` of a hand-written file).
 * `resource` is the plural with its group (`deployments.apps`, `services`).
 */
export function updateConflict(sent: Json, currentResourceVersion: string, resource: { plural: string; group: string }): UpdateConflict | null {
  const meta = sent['metadata'];
  const rv = meta && typeof meta === 'object' ? (meta as Json)['resourceVersion'] : undefined;
  if (rv === undefined || rv === null || rv === '' || String(rv) === currentResourceVersion) return null;
  const name = String((meta as Json)['name'] ?? '');
  const qualified = resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
  return {
    code: 409, reason: 'Conflict',
    message: `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details: { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.plural },
  };
}
