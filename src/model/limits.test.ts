// Limits as the API server and etcd have them, at the loader: sizes, nesting depth, alias bombs.
import { describe, expect, it } from 'vitest';
import { formatIssue } from './issue.js';
import { flowDepthExceeded, MAX_DEPTH, MAX_OBJECT_BYTES, MAX_REQUEST_BYTES, measureValue, utf8Length } from './limits.js';
import { documentStartLines, parseText } from './source.js';

const configMap = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: "${data}"\n`;
const nestedJson = (n: number) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${'['.repeat(n)}${']'.repeat(n)}}`;
const nestedFlowYaml = (n: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`;
const nestedBlockSeq = (n: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: \n  ${'- '.repeat(n)}1\n`;
const nestedBlockMap = (n: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`;
const billionLaughs = [
  'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: lol}',
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
  'data: {x: *i}', '',
].join('\n');

describe('object size (API server 3 MiB request, etcd 1.5 MiB object)', () => {
  it.each([
    ['1 MiB of data -> kept', 1024 * 1024, null],
    ['2 MiB of data -> etcd refuses it', 2 * 1024 * 1024, /object-too-large|etcdserver: request is too large/],
    ['4 MiB of data -> the API server refuses the request (413)', 4 * 1024 * 1024, /Request entity too large: limit is 3145728/],
  ])('%s', (_name, size, want) => {
    const r = parseText('big.yaml', configMap('x'.repeat(size)));
    if (!want) {
      expect(r.issues).toEqual([]);
      expect(r.objects).toHaveLength(1);
      return;
    }
    expect(r.objects).toHaveLength(0);
    expect(r.issues).toHaveLength(1);
    const text = formatIssue(r.issues[0]!);
    expect(text).toMatch(want);
    expect(text).toMatch(/^big\.yaml:1:1: error: ConfigMap big: /);
    expect(text).toMatch(/\n {2}hint: /);
  });

  it('a List is many requests: each item is measured, not the List', () => {
    const item = (i: number) => `- {apiVersion: v1, kind: ConfigMap, metadata: {name: c${i}}, data: {blob: "${'y'.repeat(1024 * 1024)}"}}`;
    const r = parseText('list.yaml', `apiVersion: v1\nkind: List\nitems:\n${[1, 2, 3, 4].map(item).join('\n')}\n`);
    expect(r.issues).toEqual([]);
    expect(r.objects).toHaveLength(4);
  });

  it('one oversized item of a List is refused at its line; the others are kept', () => {
    const r = parseText('list.yaml', `apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: ok}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: big}, data: {b: "${'z'.repeat(MAX_OBJECT_BYTES)}"}}\n`);
    expect(r.objects.map((o) => (o.value['metadata'] as { name: string }).name)).toEqual(['ok']);
    expect(r.issues.map((i) => `${i.line}:${i.col} ${i.code} ${i.object}`)).toEqual(['5:3 object-too-large ConfigMap big']);
  });

  it('in a text over 8 MiB the refusal names the document\'s line and the List item, found without the yaml parser', () => {
    const small = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n';
    const text = `# a dump\n${small}---\n${small}---\napiVersion: v1\nkind: List\nitems:\n- ${small.trimEnd().replace(/\n/g, '\n  ')}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: huge}, data: {b: "${'h'.repeat(9 * 1024 * 1024)}"}}\n`;
    const t = performance.now();
    const r = parseText('dump.yaml', text);
    expect(performance.now() - t).toBeLessThan(5000);
    expect(r.objects).toHaveLength(3);
    expect(r.issues.map((i) => `${i.line}:${i.col} ${i.field} ${i.code}`)).toEqual(['10:1 items[1] request-too-large']);
  });

  it('a broken text over 8 MiB gets js-yaml\'s error at its position, quickly', () => {
    const t = performance.now();
    const r = parseText('big.yaml', `a: 1\nb: "${'q'.repeat(9 * 1024 * 1024)}"\n c: bad\n`);
    expect(performance.now() - t).toBeLessThan(3000);
    expect(r.issues.map((i) => `${i.line}:${i.col} ${i.code}`)).toEqual(['3:2 yaml-syntax']);
  });

  it.each([
    ['one document', 'a: 1\n', [1]],
    ['comments first', '# c\n\na: 1\n', [3]],
    ['a leading ---', '---\na: 1\n', [2]],
    ['three, one empty', 'a: 1\n---\n---\n# x\nb: 2\n', [1, 2, 5]],
    ['content on the --- line', 'a: 1\n--- {b: 2}\n', [1, 2]],
    ['--- inside a block scalar is not at column 0', 'a: |\n  ---\nb: 1\n', [1]],
  ])('document start lines: %s', (_n, text, want) => {
    expect(documentStartLines(text)).toEqual(want);
  });

  it('multi-byte characters count as their UTF-8 bytes', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(utf8Length('ascii only, \x7f included')).toBe(Buffer.byteLength('ascii only, \x7f included'));
    expect(utf8Length('lone \ud800 surrogate')).toBe(Buffer.byteLength('lone \ud800 surrogate'));
    const v = { a: 'é'.repeat(800 * 1024), b: [1, true, null, 'x'] };
    expect(measureValue(v)).toMatchObject({ kind: 'ok', bytes: Buffer.byteLength(JSON.stringify(v)), depth: 2 });
  });
});

describe('nesting depth', () => {
  it.each([
    ['JSON 100 deep -> read', nestedJson(100), null],
    [`JSON ${MAX_DEPTH + 1} deep -> refused`, nestedJson(MAX_DEPTH + 1), /too-deep/],
    ['JSON 100000 deep -> refused, no stack overflow', nestedJson(100_000), /too-deep/],
    ['flow YAML 2000 deep (kills the yaml library) -> refused', nestedFlowYaml(2000), /too-deep/],
    ['block sequences 5000 deep -> refused', nestedBlockSeq(5000), /too-deep/],
    ['block mappings 1000 deep -> refused', nestedBlockMap(1000), /too-deep/],
    ['block mappings 200 deep -> read', nestedBlockMap(200), null],
    ['with an anchor (the slow parser) 3000 deep -> refused', `a: &x 1\n${nestedFlowYaml(3000)}`, /too-deep/],
  ])('%s', (_name, text, want) => {
    const r = parseText('deep.yaml', text);
    if (!want) {
      expect(r.issues).toEqual([]);
      expect(r.objects).toHaveLength(1);
      return;
    }
    expect(r.objects).toHaveLength(0);
    expect(r.issues.map((i) => i.code)).toContain('too-deep');
    const issue = r.issues.find((i) => i.code === 'too-deep')!;
    expect(issue.line).toBeGreaterThan(0);
    expect(formatIssue(issue)).toMatch(/nesting deeper than 512 levels[^\n]*\n {2}hint: /);
  });

  it('brackets in strings, comments and block scalars do not count', () => {
    const text = [
      'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: c}', 'data:',
      `  a: "${'['.repeat(600)}"`, `  b: '${'{'.repeat(600)}'`, `  # ${'['.repeat(600)}`, '  c: |', `    ${'{'.repeat(600)}`, `    ${'['.repeat(600)}`,
      "  d: don't [", `  e: "x\\"${'['.repeat(600)}\\\\"`, `  f: 'it''s ${'{'.repeat(600)}'`, '',
    ].join('\n');
    expect(flowDepthExceeded(text)).toBeNull();
    expect(parseText('c.yaml', text).issues).toEqual([]);
  });
});

describe('YAML alias bombs', () => {
  it('a billion laughs is refused as YAML, never expanded', () => {
    const r = parseText('lol.yaml', billionLaughs);
    expect(r.objects).toHaveLength(0);
    expect(r.issues.map((i) => `${i.line}:${i.col} ${i.code}`)).toEqual(['1:1 yaml-alias-bomb']);
  });

  it('aliases shared under the alias limit are measured expanded and stop at the limit', () => {
    const shared = { s: 'x'.repeat(1024 * 1024) };
    const m = measureValue({ a: shared, b: shared, c: shared, d: shared });
    expect(m.kind).toBe('too-large');
    expect(m.kind === 'too-large' && m.atLeast).toBeLessThan(MAX_REQUEST_BYTES + 1024 * 1024 + 100);
  });
});
