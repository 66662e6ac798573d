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
  const proto = Object.getPrototypeOf(a) as unknown;
  if (proto !== Object.getPrototypeOf(b)) return false;
  if (proto === Array.prototype) return sameItems(a as unknown[], b as unknown[], seen);
  if (a instanceof Map) return sameEntries(a, b as Map<unknown, unknown>, seen);
  if (a instanceof Set) return sameMembers(a, b as Set<unknown>);
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  // Plain objects and class instances: remembered once found the same (shared ones recur).
  if (seen.get(a) === b) return true;
  if (!sameFields(a as Record<string, unknown>, b as Record<string, unknown>, seen)) return false;
  seen.set(a, b);
  return true;
}

function sameItems(a: readonly unknown[], b: readonly unknown[], seen: WeakMap<object, object>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameModel(a[i], b[i], seen)) return false;
  return true;
}

function sameEntries(a: Map<unknown, unknown>, b: Map<unknown, unknown>, seen: WeakMap<object, object>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || !sameModel(v, b.get(k), seen)) return false;
  return true;
}

function sameMembers(a: Set<unknown>, b: Set<unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const v of a) if (!b.has(v)) return false;
  return true;
}

function sameFields(a: Record<string, unknown>, b: Record<string, unknown>, seen: WeakMap<object, object>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!sameModel(a[k], b[k], seen) || (b[k] === undefined && !Object.hasOwn(b, k))) return false;
  return true;
}
