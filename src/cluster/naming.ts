// Names as Kubernetes generates them, made deterministic: the same input always yields
// the same pod-template-hash and the same 5-character suffixes.

import { fnv32a } from '../model/uid.js';

export { fnv32a, stableUid } from '../model/uid.js';

// utilrand's alphabet: no vowels (no accidental words) and no confusable characters.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** SafeEncodeString of the hash's decimal digits, as the pod-template-hash label is made. */
export function templateHash(text: string): string {
  const digits = String(fnv32a(text));
  let out = '';
  for (let i = 0; i < digits.length; i++) out += ALPHANUMS[digits.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** A stable stand-in for utilrand.String(n), seeded by what the object is. */
export function randomSuffix(seed: string, length = 5): string {
  let h = fnv32a(seed);
  let out = '';
  for (let i = 0; i < length; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = (h ^ (h >>> 12)) >>> 0;
    out += ALPHANUMS[h % ALPHANUMS.length];
  }
  return out;
}
