// What the API server owns in an object, never the client (minimal: the store helper's fuller
// version replaces this file at merge): uid, resourceVersion, creationTimestamp, generation,
// deletion fields, and `status`. managedFields stay: server-side apply reads them.

type Json = Record<string, unknown>;

const SERVER_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

export function withoutServerFields(obj: Json): Json {
  const { status: _status, ...rest } = obj;
  const meta = obj['metadata'];
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return rest;
  return { ...rest, metadata: Object.fromEntries(Object.entries(meta as Json).filter(([k]) => !SERVER_METADATA.includes(k))) };
}
