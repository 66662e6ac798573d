import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepDeadOwners } from './x509.js';

describe('x509 temporary directories', () => {
  it('those of processes that are gone are removed; this process\'s, other names, and old unnamed ones stay', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'knet-sweep-test-'));
    try {
      const gone = spawnSync('true').pid!;
      for (const name of [`knet-x509-${gone}-a1`, `knet-x509-${process.pid}-b2`, 'knet-x509-Ab3xYz', 'knet-other-1-c']) mkdirSync(join(parent, name));
      await sweepDeadOwners(parent);
      expect(readdirSync(parent).sort()).toEqual(['knet-other-1-c', `knet-x509-${process.pid}-b2`, 'knet-x509-Ab3xYz'].sort());
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
