// metadata.uid as the API server sets it on create, made deterministic: the same object
// (kind, namespace, name) always gets the same UUID, so output is reproducible.

/** FNV-1a, 32 bits: what the controllers hash pod templates with. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A stable UID (RFC 4122 layout) for generated objects: one hash, four mixed words. */
export function stableUid(seed: string): string {
  let h = fnv32a(seed);
  let hex = '';
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
    h = (h ^ (h >>> 16) ^ (i * 0x9e3779b9)) >>> 0;
    hex += h.toString(16).padStart(8, '0');
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The uid of an input object that states none: seeded by what the object is. */
export function objectUid(kind: string, namespace: string, name: string): string {
  return stableUid(`${kind}/${namespace}/${name}`);
}
