// The sizes the API server and etcd refuse, and how deep an object may nest, checked
// before anything else reads the object: a 50 MB ConfigMap or `[[[[...` 2,000 deep is
// refused with a position and a hint, never stored, never a stack overflow.
import type { Issue, Position } from './issue.js';

/** The API server's default limit on a request body (`--max-request-body-bytes`): 3 MiB. */
export const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
/** etcd's default `--max-request-bytes` (1.5 MiB): the API server cannot store an object larger than this. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;
/**
 * How deep an object may nest. The API server's JSON decoder stops at 10,000 levels; knet
 * stops at 512 because its YAML parser and JSON.stringify recurse (the `yaml` library dies
 * with an uncatchable out-of-memory near 2,000 levels of `[`). Kubernetes objects nest about
 * 10 levels, CRD schemas about 60.
 */
export const MAX_DEPTH = 512;

export type Measure =
  | { readonly kind: 'ok'; readonly bytes: number; readonly depth: number }
  | { readonly kind: 'too-deep'; readonly path: readonly (string | number)[] }
  | { readonly kind: 'too-large'; readonly atLeast: number };

/**
 * The size of `value` as compact JSON (UTF-8 bytes, escapes not counted) and its nesting
 * depth, walked without recursion and stopping at `stopAt` bytes, so a value shared many
 * times over (YAML aliases) costs no more than the limit to measure.
 */
export function measureValue(value: unknown, stopAt = MAX_REQUEST_BYTES, maxDepth = MAX_DEPTH): Measure {
  let bytes = 0;
  let deepest = 0;
  // Each frame knows its parent and key, not its whole path: every object read at start-up is
  // measured, and copying a path per field was most of what this allocated (bench suite startup).
  const stack: Frame[] = [{ v: value, depth: 0, parent: null, key: '' }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { v, depth } = frame;
    if (typeof v === 'string') bytes += utf8Length(v) + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') bytes += String(v).length;
    else if (v === null || v === undefined) bytes += 4;
    else if (typeof v === 'object') {
      const d = depth + 1;
      if (d > maxDepth) return { kind: 'too-deep', path: pathOf(frame) };
      if (d > deepest) deepest = d;
      if (Array.isArray(v)) {
        bytes += 2 + Math.max(0, v.length - 1);
        for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: d, parent: frame, key: i });
      } else {
        const keys = Object.keys(v);
        bytes += 2 + Math.max(0, keys.length - 1);
        for (let i = keys.length - 1; i >= 0; i--) {
          const k = keys[i]!;
          bytes += utf8Length(k) + 3;
          stack.push({ v: (v as Record<string, unknown>)[k], depth: d, parent: frame, key: k });
        }
      }
    }
    if (bytes > stopAt) return { kind: 'too-large', atLeast: bytes };
  }
  return { kind: 'ok', bytes, depth: deepest };
}

interface Frame {
  readonly v: unknown;
  readonly depth: number;
  readonly parent: Frame | null;
  readonly key: string | number;
}

/** The path to a frame's value, its first 63 segments (a path as deep as the limit says no more). */
function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let f: Frame | null = frame; f !== null && f.parent !== null; f = f.parent) path.push(f.key);
  path.reverse();
  return path.slice(0, 63);
}

/**
 * Where flow collections (`[`, `{`) first nest deeper than `maxDepth`, or null. A linear
 * scan that skips quoted strings inside flow collections, comments and block scalars; it
 * guards the YAML parser, which must never see such a text. Unbalanced brackets in plain
 * text can only over-count, so it errs on the side of refusing texts no manifest is.
 */
export function flowDepthExceeded(text: string, maxDepth = MAX_DEPTH): { offset: number } | null {
  let depth = 0;
  let blockIndent = -1; // inside a block scalar: lines indented more than this are its text
  let i = 0;
  const n = text.length;
  while (i < n) {
    // At a line start.
    let indent = 0;
    while (i + indent < n && text[i + indent] === ' ') indent++;
    const lineEnd = text.indexOf('\n', i) < 0 ? n : text.indexOf('\n', i);
    if (blockIndent >= 0) {
      const blank = text.slice(i + indent, lineEnd).trim() === '';
      if (blank || indent > blockIndent) {
        i = lineEnd + 1;
        continue;
      }
      blockIndent = -1;
    }
    let j = i + indent;
    while (j < lineEnd) {
      const c = text[j]!;
      if (c === '[' || c === '{') {
        if (++depth > maxDepth) return { offset: j };
      } else if (c === ']' || c === '}') {
        if (depth > 0) depth--;
      } else if (c === '#' && (j === 0 || /\s/.test(text[j - 1]!))) {
        break;
      } else if ((c === '"' || c === "'") && (depth > 0 || /[\s:,\-[{]/.test(text[j - 1] ?? ' '))) {
        j = skipQuoted(text, j, c);
        continue;
      }
      j++;
    }
    // `key: |`, `- >-`, `|2+`...: the lines after are a block scalar's text.
    if (depth === 0 && /(^|[\s:-])[|>][-+0-9]*\s*(#.*)?$/.test(text.slice(i + indent, lineEnd))) blockIndent = indent;
    i = lineEnd + 1;
  }
  return null;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** UTF-8 length without encoding (lone surrogates count as the 3-byte replacement). */
export function utf8Length(s: string): number {
  // Nearly every string in a manifest is ASCII: one native scan instead of a loop per
  // character, which runs uncompiled at start-up (bench suite startup).
  if (!NON_ASCII.test(s)) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 4 bytes for 2 code units
      i++;
    } else n += 2;
  }
  return n;
}

function skipQuoted(text: string, start: number, quote: string): number {
  let j = start + 1;
  for (;;) {
    const k = text.indexOf(quote, j);
    if (k < 0) return text.length;
    if (quote === "'") {
      if (text[k + 1] === "'") {
        j = k + 2; // '' is an escaped quote
        continue;
      }
      return k + 1;
    }
    let slashes = 0;
    while (text[k - 1 - slashes] === '\\') slashes++;
    if (slashes % 2 === 0) return k + 1;
    j = k + 1;
  }
}

/** The refusal of an object over a limit, worded as the API server or etcd words it. */
export function sizeIssue(at: Position, object: string, bytes: number): Issue {
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes > MAX_REQUEST_BYTES) {
    return {
      code: 'request-too-large', severity: 'error', ...at, object,
      message: `Request entity too large: limit is ${MAX_REQUEST_BYTES} (the object is at least ${mib(bytes)} as JSON; the API server refuses request bodies over 3 MiB)`,
      hint: 'keep large data out of the API: mount it from an image or a volume, or split it over several ConfigMaps/Secrets of under 1 MiB each',
    };
  }
  return {
    code: 'object-too-large', severity: 'error', ...at, object,
    message: `etcdserver: request is too large (the object is ${mib(bytes)} as JSON; etcd stores objects of at most 1.5 MiB)`,
    hint: 'keep large data out of the API: mount it from an image or a volume, or split it over several ConfigMaps/Secrets of under 1 MiB each',
  };
}

export function depthIssue(at: Position, object: string | undefined): Issue {
  return {
    code: 'too-deep', severity: 'error', ...at, ...(object ? { object } : {}),
    message: `nesting deeper than ${MAX_DEPTH} levels: knet reads objects nested at most ${MAX_DEPTH} deep (the API server's JSON decoder stops at 10000)`,
    hint: 'no Kubernetes object nests this deep: check for a runaway generator, or unbalanced [ and { in the file',
  };
}
