// The Predict bundle's loader: a CommonJS file with V8's code cache, which is used only when it
// was made from exactly this source.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codeCachePath, loadBundle } from './bundle-loader.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A bundle file with this source, in a fresh directory; each test's sources differ from the others'. */
function bundleWith(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'knet-bundle-'));
  dirs.push(dir);
  const file = join(dir, 'face.cjs');
  writeFileSync(file, source);
  return file;
}

describe('loadBundle', () => {
  it('runs the file as CommonJS: exports, module, require, __filename, __dirname', () => {
    const file = bundleWith([
      'const { basename } = require("node:path");',
      'module.exports.where = basename(__filename) + " in " + basename(__dirname);',
      'exports.sum = (a, b) => a + b;',
    ].join('\n'));
    const { exports } = loadBundle(file);
    expect(exports['where']).toMatch(/^face\.cjs in knet-bundle-/);
    expect((exports['sum'] as (a: number, b: number) => number)(40, 2)).toBe(42);
  });

  it('keeps line numbers: a stack names the file and the line that threw', () => {
    const file = bundleWith('exports.boom = () => {\n  // line 2\n  throw new Error("line 3");\n};');
    const boom = loadBundle(file).exports['boom'] as () => void;
    expect(() => boom()).toThrow('line 3');
    try { boom(); } catch (err) { expect((err as Error).stack).toContain(`${file}:3:`); }
  });

  it('no cache: compiles from source; the saved cache starts with the source it was made from', () => {
    const source = 'exports.kind = "no cache yet";';
    const file = bundleWith(source);
    const first = loadBundle(file);
    expect(first.cached).toBe(false);
    first.saveCodeCache();
    const saved = readFileSync(codeCachePath(file));
    expect(saved.readUInt32LE(0)).toBe(source.length);
    expect(saved.subarray(4, 4 + source.length).toString()).toBe(source);
    expect(saved.length).toBeGreaterThan(4 + source.length);
  });

  it('a cache made from the same source is used', () => {
    const source = 'exports.value = () => "made and then used";';
    const made = bundleWith(source);
    loadBundle(made).saveCodeCache();
    // Elsewhere, as a build's cache is used by another process: V8 keeps what it compiled in
    // this process by file name, so the same name would be answered from memory instead.
    const elsewhere = bundleWith(source);
    copyFileSync(codeCachePath(made), codeCachePath(elsewhere));
    const again = loadBundle(elsewhere);
    expect(again.cached).toBe(true);
    expect((again.exports['value'] as () => string)()).toBe('made and then used');
  });

  it('a cache made from other source of the same length is ignored, and the new source runs', () => {
    const file = bundleWith('exports.value = () => "old";');
    const old = loadBundle(file);
    expect((old.exports['value'] as () => string)()).toBe('old'); // compiled, so in the cache
    old.saveCodeCache();
    writeFileSync(file, 'exports.value = () => "new";');
    const again = loadBundle(file);
    expect(again.cached).toBe(false);
    expect((again.exports['value'] as () => string)()).toBe('new');
  });

  it('a cache that is not one (garbage, or not V8 data behind the right source) is ignored', () => {
    const garbage = bundleWith('exports.value = () => "garbage cache";');
    writeFileSync(codeCachePath(garbage), 'not a code cache');
    expect(loadBundle(garbage).cached).toBe(false);
    const file = bundleWith('exports.value = () => "not V8 data";');
    const source = readFileSync(file);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(source.length);
    writeFileSync(codeCachePath(file), Buffer.concat([length, source, Buffer.from('not V8 code either')]));
    const loaded = loadBundle(file);
    expect(loaded.cached).toBe(false);
    expect((loaded.exports['value'] as () => string)()).toBe('not V8 data');
  });
});
