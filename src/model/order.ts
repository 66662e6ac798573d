// The order names are sorted in: by code point, as Go's sort.Strings and the API server's
// lists (etcd keys) order them, so knet's lists read as kubectl's do. Not localeCompare:
// its first call loads ICU's collation data, a large part of a small command's start-up.

/** a before b by code point (UTF-16 code units; the same as bytes for ASCII names). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
