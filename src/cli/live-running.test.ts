// Issue 16's done-when, on a real running cluster (root): `knet trace --context knet-<name>`
// reads the cluster through the HTTPS API and the kubeconfig knet up wrote, and answers
// exactly as `-f examples/opscart`; without --context, knet's own CLI reads the same object API
// through the daemon's socket. One lean cluster; skipped without root.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, knet, skipReason } from '../daemon/test-support/running-cluster.js';

const reason = skipReason();
const OPSCART = join(ROOT, 'examples/opscart');
const NAME = `knet-livesource-${randomBytes(2).toString('hex')}`;
let HOME = '';
let ENV: Record<string, string> = {};

describe.skipIf(reason)('Predict on a running knet cluster through its API', () => {
  beforeAll(() => {
    HOME = mkdtempSync(join(tmpdir(), 'knet-livesource-'));
    ENV = { KUBECONFIG: join(HOME, 'kubeconfig'), HOME };
    ensureBuilt();
    const up = knet(['up', '-f', OPSCART, '--name', NAME], ENV);
    if (up.code !== 0) {
      knet(['down', '--name', NAME], ENV);
      throw new Error(`knet up failed (${up.code}): ${up.err}${up.out}`);
    }
  }, 180_000);
  afterAll(() => {
    if (!reason) knet(['down', '--name', NAME], ENV);
    if (HOME) rmSync(HOME, { recursive: true, force: true });
  }, 120_000);

  const FRONTEND = ['--from', 'production/deploy/frontend', 'http://api-service:8080/', '-o', 'json'];

  it(`knet trace --context knet-${NAME} ... answers exactly as -f examples/opscart`, () => {
    const fromFiles = knet(['trace', ...FRONTEND, '-f', OPSCART], ENV);
    const live = knet(['trace', ...FRONTEND, '--context', `knet-${NAME}`], ENV);
    expect(live.err).toBe('');
    expect(live.code).toBe(0);
    expect(JSON.parse(live.out)).toEqual(JSON.parse(fromFiles.out));
    expect(JSON.parse(live.out).verdict).toBe('delivered');
  });

  it('without --context: the running cluster through its socket, the same verdict', () => {
    const live = knet(['trace', ...FRONTEND, '--name', NAME], ENV);
    expect(live.code, live.err).toBe(0);
    expect(JSON.parse(live.out).verdict).toBe('delivered');
    const pods = knet(['get', 'pods', '-n', 'production', '-o', 'name', '--name', NAME], ENV);
    expect(pods.out).toMatch(/^pod\/frontend-/m);
  });

  it('matrix --context: the same cells as -f', () => {
    const fromFiles = knet(['matrix', '--port', '8080', '-o', 'json', '-f', OPSCART], ENV);
    const live = knet(['matrix', '--port', '8080', '-o', 'json', '--context', `knet-${NAME}`], ENV);
    expect(live.code, live.err).toBe(0);
    expect(JSON.parse(live.out)).toEqual(JSON.parse(fromFiles.out));
  });
});
