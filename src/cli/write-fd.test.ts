// Standard output written straight to a pipe or a file: all of it arrives, in order, and a
// pipe closed early ends the command quietly (exit 0), as `knet get ... | head` expects.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITE_FD = JSON.stringify(join(ROOT, 'dist/cli/write-fd.js'));
const posix = process.platform !== 'win32';

/** A script that writes `lines` numbered lines through writeFd, after `delayMs`, then says so on stderr. */
function writer(lines: number, delayMs = 0): string {
  return `await new Promise((r) => setTimeout(r, ${delayMs})); const { writeFd } = await import(${WRITE_FD}); ` +
    `for (let i = 0; i < ${lines}; i++) writeFd(1, 'line ' + i + ' ' + 'x'.repeat(200) + '\\n'); writeFd(2, 'wrote all\\n');`;
}

const expected = (lines: number) => Array.from({ length: lines }, (_, i) => `line ${i} ${'x'.repeat(200)}\n`).join('');

describe('writeFd', () => {
  it('a pipe (a socket here, as Node spawns) gets every byte, in order', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', writer(2000)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected(2000));
    expect(r.stderr).toBe('wrote all\n');
  });

  it.skipIf(!posix)('a file and a shell pipe get every byte, in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'knet-write-fd-'));
    try {
      const out = join(dir, 'out.txt');
      const script = JSON.stringify(writer(2000));
      const r = spawnSync('sh', ['-c', `"${process.execPath}" --input-type=module -e ${script} > ${out} && "${process.execPath}" --input-type=module -e ${script} | cat > ${out}.piped`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(expected(2000));
      expect(readFileSync(`${out}.piped`, 'utf8')).toBe(expected(2000));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!posix)('a pipe whose reader has gone: exit 0, nothing on stderr, nothing after', () => {
    const script = JSON.stringify(writer(2000, 300));
    const r = spawnSync('bash', ['-c', `"${process.execPath}" --input-type=module -e ${script} | true; echo "exit \${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(r.stdout).toBe('exit 0\n');
    expect(r.stderr).toBe('');
  });
});
