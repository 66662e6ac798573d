// Whether two of the cluster's computed objects are the same by value, so the store can keep the
// wire form it made for the first: the daemon computes the whole cluster again on every change,
// and comparing is much cheaper than making 1,000 pods' wire forms and their JSON again.
// Plain data, arrays, Maps, Sets, Dates and bigints (CIDRs hold them); a class instance compares
// its own fields and must have the same prototype. Functions are not compared: the only ones in
// the model are a source's `locate` (where a field was written, for messages), made afresh on
// every load and never part of the wire form.

/**
 * `seen` remembers pairs already found the same, for one round of comparisons: a Deployment's
 * 1,000 pods all point at its one stored object, compared once, not 1,000 times.
 */
export function sameModel(a: unknown, b: unknown, seen: WeakMap<object, object> = new WeakMap()): boolean {
  if (a === b) return true;
  if (typeof a === 'function') return typeof b === 'function';
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (seen.get(a) === b) return true;
  if (!sameObject(a, b, seen)) return false;
  seen.set(a, b);
  return true;
}

function sameObject(a: object, b: object, seen: WeakMap<object, object>): boolean {
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameModel(a[i], bb[i], seen)) return false;
    return true;
  }
  if (a instanceof Map) {
    const bm = b as Map<unknown, unknown>;
    if (a.size !== bm.size) return false;
    for (const [k, v] of a) if (!bm.has(k) || !sameModel(v, bm.get(k), seen)) return false;
    return true;
  }
  if (a instanceof Set) {
    const bs = b as Set<unknown>;
    if (a.size !== bs.size) return false;
    for (const v of a) if (!bs.has(v)) return false;
    return true;
  }
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  for (const k of keys) if (!sameModel(ao[k], bo[k], seen) || (bo[k] === undefined && !Object.hasOwn(bo, k))) return false;
  return true;
}
