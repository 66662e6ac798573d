// The loader and the whole pipeline must never crash, whatever the input: every problem
// becomes an Issue with a position, and the CLI prints it as one line plus a hint.
// Mutants come from the example manifests and the cluster dump, mutated with a seeded
// PRNG; a failure names its seed (set KNET_FUZZ_SEED to explore other seeds).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { DEFAULTS_FILE } from '../cluster/defaults.js';
import { loadCluster } from '../cluster/fill-in.js';
import { main } from '../cli/main.js';
import type { Issue } from './issue.js';

const ROOT = join(import.meta.dirname, '..', '..');
const OPSCART = join(ROOT, 'examples', 'opscart');

const SOURCES: { name: string; text: string }[] = [
  {
    name: 'examples/opscart',
    text: readdirSync(OPSCART).filter((f) => f.endsWith('.yaml')).sort()
      .map((f) => readFileSync(join(OPSCART, f), 'utf8')).join('\n---\n'),
  },
  { name: 'cluster-dump.yaml', text: readFileSync(join(ROOT, 'test', 'fixtures', 'dump', 'cluster-dump.yaml'), 'utf8') },
];
/** The sources as JS values, parsed once; mutants start from clones. */
const PARSED = SOURCES.map((s) => parseAllDocuments(s.text).map((d) => d.toJS() as unknown));

const BASE_SEED = Number(process.env['KNET_FUZZ_SEED'] ?? 0x6b6e6574);
const CASES = Number(process.env['KNET_FUZZ_CASES'] ?? 300);

/** mulberry32: a small, fast, seedable PRNG. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const SCALARS: readonly unknown[] = [
  0, 1, -1, 80, 65535, 65536, -80, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, 0.5, -3.75, 80.0001, Infinity, -Infinity, NaN,
  '', ' ', 'a', 'None', 'none', 'null', 'true', 'false', 'yes', '0x10', '0o17', '1e3', '8080', '-1', '80.5',
  '1..2.3', '300.1.1.1', '10.0.0.1/33', '10.0.0.0/8', '0.0.0.0', '127.0.0.1', '::1', 'fe80::1%eth0', '2001:db8::1',
  '10.96.0.10', '10.244.0.0/16', '1.2.3', '01.02.03.04',
  'TCP', 'udp', 'SCTP', 'ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName', 'Local', 'Ingress', 'Egress',
  'In', 'NotIn', 'Exists', 'Prefix', 'Exact', 'http', 'HTTP', 'metrics-endpoint-long', '*', '*.example.com',
  'unicode ☃ über 日本語 🚀', 'line\nbreak', 'tab\there', 'quote"and\'apos', '\u0000', '${VAR}', '{{ .Values.x }}',
  'a'.repeat(300), 'kube-system', 'default', 'app', 'app.kubernetes.io/name', '-leading', 'trailing-',
  true, false, null,
];

function randomValue(rng: Rng, depth = 0): unknown {
  const r = rng.int(10);
  if (r < 7 || depth > 2) return rng.pick(SCALARS);
  if (r < 8) return [];
  if (r === 8) return Array.from({ length: 1 + rng.int(3) }, () => randomValue(rng, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0, n = rng.int(3); i < n; i++) o[rng.pick(['a', 'name', 'port', 'spec', 'items', 'kind', 'matchLabels', 'x'])] = randomValue(rng, depth + 1);
  return o;
}

type Container = Record<string, unknown> | unknown[];

/** Every container (object or list) reachable from v, with v itself. */
function containers(v: unknown, out: Container[] = []): Container[] {
  if (v !== null && typeof v === 'object') {
    out.push(v as Container);
    for (const c of Object.values(v as object)) containers(c, out);
  }
  return out;
}

function keysOf(c: Container): (string | number)[] {
  return Array.isArray(c) ? c.map((_, i) => i) : Object.keys(c);
}

/** One structural mutation of the documents, in place; returns what it did. */
function mutateValue(rng: Rng, docs: unknown[]): string {
  const all = docs.flatMap((d) => containers(d)).filter((c) => keysOf(c).length > 0);
  if (all.length === 0) return 'nothing to mutate';
  const target = rng.pick(all);
  const key = rng.pick(keysOf(target));
  const op = rng.int(10);
  if (op < 5) {
    const v = randomValue(rng);
    (target as Record<string | number, unknown>)[key] = v;
    return `replace ${String(key)} with ${JSON.stringify(v)?.slice(0, 40)}`;
  }
  if (op < 8) {
    if (Array.isArray(target)) target.splice(key as number, 1);
    else delete target[key as string];
    return `delete ${String(key)}`;
  }
  const lists = all.filter((c): c is unknown[] => Array.isArray(c));
  if (lists.length === 0) return 'no list to duplicate in';
  const list = rng.pick(lists);
  const i = rng.int(list.length);
  list.splice(i, 0, structuredClone(list[i]));
  return `duplicate list item ${i}`;
}

const NOISE = ['\t', ' ', '  ', ':', ': ', '-', '- ', '{', '}', '[', ']', '"', "'", '#', '\n', '\n---\n', '&a ', '*a', '!!str ',
  '|', '>', '%', '@', '`', ',', '?', '☃', '\u00a0', '\r\n', 'x'];

/** One textual mutation: truncate, insert noise or duplicate a line. */
function mutateText(rng: Rng, text: string): { text: string; what: string } {
  const op = rng.int(3);
  if (op === 0) {
    const at = rng.int(text.length);
    return { text: text.slice(0, at), what: `truncate at ${at}` };
  }
  if (op === 1) {
    const at = rng.int(text.length);
    const noise = rng.pick(NOISE);
    return { text: text.slice(0, at) + noise + text.slice(at), what: `insert ${JSON.stringify(noise)} at ${at}` };
  }
  const lines = text.split('\n');
  const i = rng.int(lines.length);
  lines.splice(i, 0, lines[i]!);
  return { text: lines.join('\n'), what: `duplicate line ${i + 1}` };
}

/** Shapes random mutation never reaches: deep nesting, alias bombs and huge strings, as value text. */
const BIG_SHAPES: readonly { name: string; text: () => string }[] = [
  { name: 'flow lists 600 deep', text: () => `${'['.repeat(600)}${']'.repeat(600)}` },
  { name: 'flow maps 3000 deep', text: () => `${'{a: '.repeat(3000)}1${'}'.repeat(3000)}` },
  { name: 'unclosed [ 100000 deep', text: () => '['.repeat(100_000) },
  { name: 'flow lists 400 deep', text: () => `${'['.repeat(400)}${']'.repeat(400)}` },
  { name: 'a 100 KB string', text: () => JSON.stringify('x'.repeat(100_000)) },
  { name: 'a 2 MiB string', text: () => JSON.stringify('y'.repeat(2 * 1024 * 1024)) },
  { name: 'a 4 MiB string', text: () => JSON.stringify('z'.repeat(4 * 1024 * 1024)) },
  { name: 'a 300-character unquoted word', text: () => 'w'.repeat(300) },
  { name: 'an alias of an anchor not defined', text: () => '*nowhere' },
];

/** Replaces the value of one `key: value` line with a big shape. */
function mutateBig(rng: Rng, text: string, given?: (typeof BIG_SHAPES)[number]): { text: string; what: string } {
  const lines = text.split('\n');
  const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*(- )?[\w./-]+: \S/.test(l));
  if (candidates.length === 0) return { text, what: 'no key: value line' };
  const [line, i] = rng.pick(candidates);
  const shape = given ?? rng.pick(BIG_SHAPES);
  lines[i] = `${line.slice(0, line.indexOf(': ') + 2)}${shape.text()}`;
  return { text: lines.join('\n'), what: `line ${i + 1}: ${shape.name}` };
}

function mutant(seed: number): { source: string; text: string; steps: string[] } {
  const rng = new Rng(seed);
  const which = rng.int(SOURCES.length);
  let source = SOURCES[which]!.name;
  const docs = structuredClone(PARSED[which]!);
  let text = SOURCES[which]!.text;
  // Most dump mutants take a window of its items: the same shapes, a fraction of the time.
  const list = docs[0] as { items?: unknown[] } | null;
  if (docs.length === 1 && Array.isArray(list?.items) && rng.chance(0.95)) {
    const from = rng.int(list.items.length);
    const to = from + 1 + rng.int(12);
    list.items = list.items.slice(from, to);
    source += ` items[${from}:${to}]`;
    text = stringify(docs[0]);
  }
  const steps: string[] = [];
  if (rng.chance(0.7)) {
    for (let i = 0, n = 1 + rng.int(6); i < n; i++) steps.push(mutateValue(rng, docs));
    text = docs.map((d) => stringify(d)).join('---\n');
  }
  if (steps.length === 0 || rng.chance(0.4)) {
    for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
      const m = mutateText(rng, text);
      text = m.text;
      steps.push(m.what);
    }
  }
  return { source, text, steps };
}

function checkIssues(issues: readonly Issue[]): void {
  for (const i of issues) {
    const where = JSON.stringify(i);
    expect(typeof i.file, where).toBe('string');
    expect(i.file.length, `issue without a file: ${where}`).toBeGreaterThan(0);
    expect(Number.isInteger(i.line) && i.line >= 0, `bad line: ${where}`).toBe(true);
    expect(Number.isInteger(i.col) && i.col >= 0, `bad col: ${where}`).toBe(true);
    expect(typeof i.message === 'string' && i.message.length > 0, `no message: ${where}`).toBe(true);
    expect(['error', 'warning', 'info']).toContain(i.severity);
  }
}

/** Runs one input through the loader and `knet get all -A -o json`, asserting the invariants. */
function runPipeline(dir: string, text: string): { exitCode: number; errLines: string[] } {
  const file = join(dir, 'mutant.yaml');
  writeFileSync(file, text);

  const { issues } = loadCluster(['-'], () => text);
  checkIssues(issues);
  // Conflicts with the objects every cluster has (Service default/kubernetes, kube-dns) point at those.
  for (const i of issues) expect(['<stdin>', DEFAULTS_FILE], JSON.stringify(i)).toContain(i.file);

  const out: string[] = [];
  const err: string[] = [];
  const exitCode = main(['get', 'all', '-A', '-o', 'json', '-f', file], { out: (t) => out.push(t), err: (t) => err.push(t), color: false });
  expect(err.join('\n'), 'internal error').not.toContain('internal error');
  expect([0, 1]).toContain(exitCode);
  for (const e of err) {
    const lines = e.replace(/\n$/, '').split('\n');
    expect(lines.length === 1 || (lines.length === 2 && lines[1]!.startsWith('  hint: ')), `not one line + hint: ${JSON.stringify(e)}`).toBe(true);
  }
  if (exitCode === 0) expect(() => JSON.parse(out.join('\n'))).not.toThrow();
  return { exitCode, errLines: err };
}

/** Runs `knet get all -A -o json` on text; returns the exit code and what went to stderr. */
function get(dir: string, text: string): { exitCode: number; err: string[] } {
  const file = join(dir, 'regression.yaml');
  writeFileSync(file, text);
  const err: string[] = [];
  const exitCode = main(['get', 'all', '-A', '-o', 'json', '-f', file], { out: () => {}, err: (t) => err.push(t), color: false });
  return { exitCode, err: err.map((e) => e.replace(dir, '<dir>')) };
}

describe('fuzz regressions: a value with a line break stays on its issue line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'knet-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kind with a line break (seed 235) -> the unknown-kind note is one line + hint', () => {
    const { exitCode, err } = get(dir, 'apiVersion: example.com/v1\nkind: "line\\nbreak"\nmetadata: {name: x}\n');
    expect(exitCode).toBe(0);
    expect(err).toEqual([
      '<dir>/regression.yaml:2:7: info: kept, not modelled: 1 line\\nbreak\n' +
      '  hint: knet get lists them; they do not change predictions, except where an answer says it depends on them (pods an operator makes from a custom resource are unknown)',
    ]);
  });

  it('tls host with a line break (seed 433) -> the warning and its hint are one line each', () => {
    const { err } = get(dir, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  tls: [{hosts: ["line\\nbreak"], secretName: web-tls}]
  rules:
  - host: shop.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
`);
    const tls = err.find((e) => e.includes('tls host'));
    expect(tls).toBeDefined();
    expect(tls!.split('\n')).toHaveLength(2);
    expect(tls).toContain('tls host "line\\nbreak" is not the host of any rule');
    expect(tls).toContain('hint: add a rule with host: line\\nbreak,');
  });
});

describe('fuzz: mutated manifests never crash the loader or knet get', () => {
  const dir = mkdtempSync(join(tmpdir(), 'knet-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the unmutated sources load and print without errors', () => {
    for (const s of SOURCES) {
      const { exitCode } = runPipeline(dir, s.text);
      expect(exitCode, s.name).toBe(0);
    }
  });

  for (let n = 0; n < CASES; n++) {
    const seed = (BASE_SEED + n) >>> 0;
    it(`seed ${seed}`, () => {
      const m = mutant(seed);
      // One mutant in ten also gets a shape no random mutation reaches.
      if (new Rng(seed ^ 0x5a5a).chance(0.1)) {
        const big = mutateBig(new Rng(seed), m.text);
        m.text = big.text;
        m.steps.push(big.what);
      }
      try {
        runPipeline(dir, m.text);
      } catch (err) {
        (err as Error).message = `seed ${seed} (${m.source}: ${m.steps.join('; ')}): ${(err as Error).message}`;
        throw err;
      }
    });
  }
});

describe('fuzz: deep nesting and huge strings anywhere in a manifest never crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'knet-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = SOURCES[0]!.text;
  BIG_SHAPES.forEach((shape, k) => {
    const places = shape.name.includes('MiB') ? 1 : 3; // the MiB ones take a second each
    it(`${shape.name}, at ${places} place(s) of examples/opscart`, () => {
      for (let n = 0; n < places; n++) {
        const rng = new Rng(BASE_SEED + 1000 * k + n);
        const big = mutateBig(rng, base, shape);
        try {
          const { exitCode, errLines } = runPipeline(dir, big.text);
          // Over 512 levels deep or over 1.5 MiB, the object is refused with its own error.
          if (/600 deep|3000 deep|100000 deep|2 MiB|4 MiB/.test(shape.name)) {
            expect(exitCode).toBe(1);
            expect(errLines.join('\n')).toMatch(/too-deep|nesting deeper than 512|etcdserver: request is too large|Request entity too large|unexpected end|yaml|YAML|flow/i);
          }
        } catch (err) {
          (err as Error).message = `${big.what}: ${(err as Error).message}`;
          throw err;
        }
      }
    });
  });
});
