// JSON merge patch (RFC 7386, `application/merge-patch+json`): objects merge key by key, `null`
// deletes a key, anything else (lists included) replaces what was there.
import { clone, isObject, type JsonValue } from './json.js';

export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return clone(patch);
  const out = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
