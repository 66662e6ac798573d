import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeIfNoContexts } from './running-cluster.js';

describe('the test kubeconfig', () => {
  it('is removed once knet down has taken out its last context; kept while one is left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'knet-kubeconfig-test-'));
    try {
      const empty = join(dir, 'empty');
      const used = join(dir, 'used');
      writeFileSync(empty, 'apiVersion: v1\nclusters: []\ncontexts: []\ncurrent-context: ""\nkind: Config\nusers: []\n');
      writeFileSync(used, 'apiVersion: v1\ncontexts: [{name: knet-a, context: {cluster: knet-a, user: knet-a}}]\nkind: Config\n');
      removeIfNoContexts(empty);
      removeIfNoContexts(used);
      removeIfNoContexts(join(dir, 'absent'));
      expect([existsSync(empty), existsSync(used)]).toEqual([false, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
