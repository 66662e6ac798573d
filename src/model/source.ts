// Reads what a Kubernetes user already has (multi-document YAML or JSON, List objects,
// `kubectl get -A -o yaml` dumps, helm/kustomize output, directories, stdin) into raw
// objects that remember where every field came from, so later errors can say file:line:col.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jsyaml from 'js-yaml';
import type { Node as YamlNode } from 'yaml';
import { yamlLib } from './yaml-lazy.js';
import type { Issue, Position } from './issue.js';
import { depthIssue, flowDepthExceeded, MAX_DEPTH, measureValue, sizeIssue, MAX_OBJECT_BYTES } from './limits.js';
import { compareText } from './order.js';

export type PathSegment = string | number;
export type FieldPath = readonly PathSegment[];

/** One object from the input, as the wire has it, with the means to locate any of its fields. */
export interface RawObject {
  readonly file: string;
  readonly value: Record<string, unknown>;
  readonly locate: (path: FieldPath) => Position;
}

export interface ReadResult {
  readonly objects: RawObject[];
  readonly issues: Issue[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Expands files and directories (recursively, sorted) into the manifest files to read. */
export function expandPaths(paths: readonly string[]): { files: string[]; issues: Issue[] } {
  const files: string[] = [];
  const issues: Issue[] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push('-');
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      issues.push({
        code: 'file-not-found', severity: 'error', file: p, line: 0, col: 0,
        message: 'no such file or directory',
        hint: 'check the path given to -f; use -f - to read from standard input',
      });
      continue;
    }
    if (st.isDirectory()) files.push(...walk(p));
    else files.push(p);
  }
  return { files, issues };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareText(a.name, b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full));
    else if (MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(full);
  }
  return out;
}

export function readSources(paths: readonly string[], readStdin: () => string = defaultStdin): ReadResult {
  const { files, issues } = expandPaths(paths);
  const objects: RawObject[] = [];
  for (const file of files) {
    let text: string;
    const name = file === '-' ? '<stdin>' : file;
    try {
      text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
    } catch (err) {
      issues.push({
        code: 'file-unreadable', severity: 'error', file: name, line: 0, col: 0,
        message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        hint: 'check the file permissions',
      });
      continue;
    }
    const r = parseText(name, text);
    objects.push(...r.objects);
    issues.push(...r.issues);
  }
  return { objects, issues };
}

function defaultStdin(): string {
  return readFileSync(0, 'utf8');
}

/**
 * Parses one file's text: every document, every List item, each with positions.
 * The fast path reads values with js-yaml and works positions out only when an issue
 * asks for one (by parsing the file again with `yaml`, once); texts with anchors, and
 * texts js-yaml refuses, take the slow path, whose errors are clearer.
 */
export function parseText(file: string, text: string): ReadResult {
  // The `yaml` library recurses on flow collections and dies (an uncatchable out-of-memory,
  // not an exception) near 2,000 levels: a text that may nest that deep never reaches it.
  const deep = flowDepthExceeded(text);
  if (!/(^|[\s[{,:-])&[^\s]/m.test(text)) {
    const fast = parseFast(file, text, deep === null);
    if (!('refused' in fast)) return fast;
    // The slow parser would take seconds and a gigabyte over a big text: js-yaml's own words.
    if (text.length > PRECISE_POSITIONS_UP_TO) {
      const r = fast.refused;
      return { objects: [], issues: [{ code: 'yaml-syntax', severity: 'error', file, line: r.line, col: r.col, message: r.message, hint: yamlHint('') }] };
    }
  }
  if (deep) return { objects: [], issues: [depthIssue({ file, ...lineCol(text, deep.offset) }, undefined)] };
  return parseSlow(file, text);
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/**
 * kubectl reads YAML as YAML 1.1 does (sigs.k8s.io/yaml on go-yaml): a leading-zero integer is
 * octal, so the Kubernetes docs' `defaultMode: 0400` is 256, where YAML 1.2's core schema
 * would read 400. Everything else is the core schema.
 */
// Its own tag: js-yaml keeps one implicit type per tag, and the core int type would replace it.
const YAML11_OCTAL = new jsyaml.Type('tag:knet.dev,2026:yaml11-octal-int', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && /^[-+]?0[0-7_]+$/.test(data),
  construct: (data: string) => {
    const digits = data.replace(/_/g, '');
    const sign = digits.startsWith('-') ? -1 : 1;
    return sign * parseInt(digits.replace(/^[-+]/, ''), 8);
  },
});
// js-yaml exports its scalar types as `types`, missing from @types/js-yaml.
const yamlTypes = (jsyaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float', jsyaml.Type> }).types;
const KUBECTL_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [yamlTypes.null, yamlTypes.bool, YAML11_OCTAL, yamlTypes.int, yamlTypes.float],
});

function parseFast(file: string, text: string, locatable: boolean): ReadResult | { refused: { message: string; line: number; col: number } } {
  const values: unknown[] = [];
  try {
    // maxDepth is js-yaml's own guard (4.1.1+), missing from its types.
    jsyaml.loadAll(text, (doc) => values.push(doc), { schema: KUBECTL_SCHEMA, filename: file, maxDepth: MAX_DEPTH } as jsyaml.LoadOptions);
  } catch (err) {
    const e = err as { reason?: string; mark?: { line: number; column: number } };
    if (e.reason?.includes('maxDepth') && e.mark) {
      return { objects: [], issues: [depthIssue({ file, line: e.mark.line + 1, col: e.mark.column + 1 }, undefined)] };
    }
    return { refused: { message: e.reason ?? String(err), line: (e.mark?.line ?? 0) + 1, col: (e.mark?.column ?? 0) + 1 } };
  }
  let locator: ((doc: number, path: FieldPath) => Position) | null = null;
  const locateIn = (doc: number, path: FieldPath): Position => {
    // A text the depth scan flagged is never given to the position-keeping parser.
    if (!locatable) return { file, line: 0, col: 0 };
    locator ??= positionsOf(file, text);
    return locator(doc, path);
  };
  const objects: RawObject[] = [];
  const issues: Issue[] = [];
  // Where each document starts, found without the position-keeping parser: an object too
  // large to take is reported there, so a 50 MB ConfigMap is never parsed a second time.
  let starts: number[] | null = null;
  const docStart = (i: number): Position => {
    starts ??= documentStartLines(text);
    return { file, line: starts[i] ?? 0, col: 1 };
  };
  const big = text.length > PRECISE_POSITIONS_UP_TO;
  values.forEach((value, i) => addDocument(file, value, (path) => locateIn(i, path), objects, issues, big ? () => docStart(i) : undefined));
  return { objects, issues };
}

/** A locator over the file's documents, built with `yaml`'s position-keeping parser. */
function positionsOf(file: string, text: string): (doc: number, path: FieldPath) => Position {
  const { LineCounter, parseAllDocuments } = yamlLib();
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const list = Array.isArray(docs) ? docs : [docs];
  return (doc, path) => {
    const root = (list[doc]?.contents ?? null) as YamlNode | null;
    const p = lines.linePos(offsetOf(root, path));
    return { file, line: p.line, col: p.col };
  };
}

/** The line each document of a multi-document text starts on, as js-yaml counts documents. */
export function documentStartLines(text: string): number[] {
  const out: number[] = [];
  let start = 0; // the current document's first line with content (0: none yet)
  let opened = 0; // the line of the `---` that opened it (0: none)
  let line = 0;
  for (let pos = 0; pos <= text.length;) {
    line++;
    const nl = text.indexOf('\n', pos);
    const head = text.slice(pos, Math.min(nl < 0 ? text.length : nl, pos + 120));
    if (/^---(\s|$)/.test(head)) {
      if (start || opened) out.push(start || opened);
      opened = line;
      start = /^---\s+[^#\s]/.test(head) ? line : 0;
    } else if (!start && !/^\s*(#.*)?$/.test(head)) start = line;
    if (nl < 0) break;
    pos = nl + 1;
  }
  out.push(start || opened || 1);
  return out;
}

/** Over this, a text's oversized objects are placed by their document, not the `yaml` parser. */
const PRECISE_POSITIONS_UP_TO = 8 * 1024 * 1024;

function addDocument(
  file: string,
  value: unknown,
  locate: (path: FieldPath) => Position,
  objects: RawObject[],
  issues: Issue[],
  docStart?: () => Position,
): void {
  if (value === null || value === undefined) return; // empty document, e.g. helm's `---` between templates
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push({
      code: 'not-an-object', severity: 'error', ...locate([]),
      message: 'document is not a Kubernetes object (expected a mapping with apiVersion and kind)',
      hint: 'each YAML document must be one object; wrap several objects in a List or separate them with ---',
    });
    return;
  }
  collect(value as Record<string, unknown>, [], locate, file, objects, issues, docStart ?? null);
}

function parseSlow(file: string, text: string): ReadResult {
  const objects: RawObject[] = [];
  const issues: Issue[] = [];
  const { LineCounter, parseAllDocuments } = yamlLib();
  const lines = new LineCounter();
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  } catch (err) {
    issues.push({ code: 'yaml-syntax', severity: 'error', file, line: 1, col: 1, message: String(err) });
    return { objects, issues };
  }
  const docList = Array.isArray(docs) ? docs : [docs];
  const posAt = (offset: number): Position => {
    const p = lines.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  // kubectl reads a file document by document and stops at the first it cannot parse: the
  // documents before it are applied, the ones after it are never read.
  const stopAt = (index: number, pos: Position): void => {
    const rest = docList.slice(index + 1).filter((d) => d.contents !== null).length;
    if (rest > 0) {
      issues.push({ code: 'yaml-rest-unread', severity: 'info', ...pos,
        message: `the ${rest} document${rest === 1 ? '' : 's'} after this one ${rest === 1 ? 'was' : 'were'} not read: kubectl stops reading a file at its first YAML error`,
        hint: 'fix that YAML error; the documents before it are read' });
    }
  };
  for (const [i, doc] of docList.entries()) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        issues.push({
          code: 'yaml-syntax', severity: 'error', ...posAt(e.pos[0]),
          message: firstLine(e.message),
          hint: yamlHint(e.code),
        });
      }
      stopAt(i, posAt(doc.errors[0]!.pos[0]));
      break;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      const at = posAt(rangeStart(doc.contents as YamlNode | null));
      if (String(err).includes('Excessive alias count')) {
        // yaml's guard against "billion laughs": aliases that would expand the document many times over.
        issues.push({ code: 'yaml-alias-bomb', severity: 'error', ...at,
          message: 'this document\'s aliases (*name) would expand it many times over: refused, as a resource exhaustion attack',
          hint: 'write the repeated values out, or use fewer aliases of large anchors' });
      } else issues.push({ code: 'yaml-syntax', severity: 'error', ...at, message: firstLine(String(err)) });
      stopAt(i, at);
      break;
    }
    const root = doc.contents as YamlNode | null;
    addDocument(file, value, (path) => posAt(offsetOf(root, path)), objects, issues);
  }
  return { objects, issues };
}

function collect(
  value: Record<string, unknown>,
  base: FieldPath,
  locateInDoc: (path: FieldPath) => Position,
  file: string,
  objects: RawObject[],
  issues: Issue[],
  docStart: (() => Position) | null,
): void {
  const kind = value['kind'];
  // `kubectl get -o yaml` prints kind: List; typed lists (PodList, ...) come from the raw API.
  if (typeof kind === 'string' && (kind === 'List' || kind.endsWith('List')) && Array.isArray(value['items'])) {
    const items = value['items'] as unknown[];
    items.forEach((item, i) => {
      const path = [...base, 'items', i];
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        issues.push({
          code: 'not-an-object', severity: 'error', ...locateInDoc(path),
          field: `items[${i}]`, message: 'list item is not an object',
          hint: 'every entry of items must be a Kubernetes object with apiVersion and kind',
        });
        return;
      }
      collect(item as Record<string, unknown>, path, locateInDoc, file, objects, issues, docStart);
    });
    return;
  }
  const locate = (path: FieldPath): Position => locateInDoc([...base, ...path]);
  const label = objectLabel(value);
  const m = measureValue(value);
  if (m.kind === 'too-deep') issues.push(depthIssue(locate(m.path), label));
  else if (m.kind === 'too-large' || m.bytes > MAX_OBJECT_BYTES) {
    const bytes = m.kind === 'ok' ? m.bytes : m.atLeast;
    // In a big text, the document's start and the List item by its field: the
    // position-keeping parser would take seconds and a gigabyte over it.
    if (!docStart) issues.push(sizeIssue(locate([]), label, bytes));
    else issues.push({ ...sizeIssue(docStart(), label, bytes), ...(base.length > 0 ? { field: formatItems(base) } : {}) });
  } else objects.push({ file, value, locate });
}

function formatItems(path: FieldPath): string {
  return path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');
}

/** `Kind ns/name` for messages about an object too large or deep to decode. */
function objectLabel(value: Record<string, unknown>): string {
  const meta = value['metadata'] !== null && typeof value['metadata'] === 'object' ? value['metadata'] as Record<string, unknown> : {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const ns = str(meta['namespace']);
  return `${str(value['kind']) || 'object'} ${ns ? `${ns}/` : ''}${str(meta['name']) || '<unnamed>'}`;
}

/** Offset of the deepest existing node along the path (a missing field points at its parent). */
function offsetOf(root: YamlNode | null, path: FieldPath): number {
  const { isMap, isPair, isScalar, isSeq } = yamlLib();
  let node: unknown = root;
  let offset = rangeStart(root);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyStart = rangeStart(pair.key as YamlNode);
      if (pair.value === null || pair.value === undefined) {
        offset = keyStart;
        break;
      }
      node = pair.value;
      // For scalars point at the value; for collections at the key, which reads better.
      offset = isScalar(node) ? rangeStart(node as YamlNode) : keyStart;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined || item === null) break;
      node = item;
      offset = rangeStart(item as YamlNode);
    } else break;
  }
  return offset;
}

function rangeStart(node: YamlNode | null | undefined): number {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r ? r[0] : 0;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

function yamlHint(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'a key appears twice in one mapping; remove or rename one of them';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'check the indentation: YAML uses spaces (not tabs), and items of one list or map line up';
    case 'TAB_AS_INDENT':
      return 'YAML indentation must use spaces, not tabs';
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a key is missing its colon, or a value spans lines without quotes';
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'a "key: value" pair is missing a space after the colon, or is mis-indented';
    default:
      return 'fix the YAML syntax at this position (kubectl apply --dry-run=client -f FILE shows the same error)';
  }
}
