// Issue 16's done-when, on a real running cluster (root): `knet trace --context knet-<name>`
// reads the cluster through the HTTPS API and the kubeconfig knet up wrote, and answers
// exactly as `-f examples/opscart`; without --context, knet's own CLI reads the same object API
// through the daemon's socket. One lean cluster; skipped without root.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, ensureBuilt, skipReason } from '../daemon/test-support/running-cluster.js';

const reason = skipReason();
const OPSCART = join(ROOT, 'examples/opscart');
const NAME = `knet-livesource-${randomBytes(2).toString('hex')}`;
let HOME = '';
let ENV: Record<string, string> = {};

/** knet as a process, asynchronous: a long knet up or down must not block the test worker. */
function knet(args: readonly string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 170_000, maxBuffer: 1 << 26 },
      (error, out, err) => resolve({ code: child.exitCode ?? (error ? -1 : 0), out, err }));
  });
}

describe.skipIf(reason)('Predict on a running knet cluster through its API', () => {
  beforeAll(async () => {
    HOME = mkdtempSync(join(tmpdir(), 'knet-livesource-'));
    ENV = { KUBECONFIG: join(HOME, 'kubeconfig'), HOME };
    ensureBuilt();
    const up = await knet(['up', '-f', OPSCART, '--name', NAME], ENV);
    if (up.code !== 0) {
      await knet(['down', '--name', NAME], ENV);
      throw new Error(`knet up failed (${up.code}): ${up.err}${up.out}`);
    }
  }, 180_000);
  afterAll(async () => {
    if (!reason) await knet(['down', '--name', NAME], ENV);
    if (HOME) rmSync(HOME, { recursive: true, force: true });
  }, 120_000);

  const FRONTEND = ['--from', 'production/deploy/frontend', 'http://api-service:8080/', '-o', 'json'];

  it(`knet trace --context knet-${NAME} ... answers exactly as -f examples/opscart`, async () => {
    const fromFiles = await knet(['trace', ...FRONTEND, '-f', OPSCART], ENV);
    const live = await knet(['trace', ...FRONTEND, '--context', `knet-${NAME}`], ENV);
    expect(live.err).toBe('');
    expect(live.code).toBe(0);
    expect(JSON.parse(live.out)).toEqual(JSON.parse(fromFiles.out));
    expect(JSON.parse(live.out).verdict).toBe('delivered');
  });

  it('without --context: the running cluster through its socket, the same verdict', async () => {
    const live = await knet(['trace', ...FRONTEND, '--name', NAME], ENV);
    expect(live.code, live.err).toBe(0);
    expect(JSON.parse(live.out).verdict).toBe('delivered');
    const pods = await knet(['get', 'pods', '-n', 'production', '-o', 'name', '--name', NAME], ENV);
    expect(pods.out).toMatch(/^pod\/frontend-/m);
  });

  it('matrix --context: the same cells as -f between the example\'s pods; other pods only cert-manager\'s solvers', async () => {
    type Matrix = { pods: string[]; allowed: Record<string, Record<string, unknown>> };
    const fromFiles = JSON.parse((await knet(['matrix', '--port', '8080', '-o', 'json', '-f', OPSCART], ENV)).out) as Matrix;
    const run = await knet(['matrix', '--port', '8080', '-o', 'json', '--context', `knet-${NAME}`], ENV);
    expect(run.code, run.err).toBe(0);
    const live = JSON.parse(run.out) as Matrix;
    // The cluster is the truth: while cert-manager issues, its HTTP-01 solver pods run too.
    expect(live.pods.filter((p) => !fromFiles.pods.includes(p)).every((p) => /\/cm-acme-http-solver-/.test(p))).toBe(true);
    const cells = (m: Matrix) => fromFiles.pods.map((from) => fromFiles.pods.map((to) => `${from} ${to} ${String(m.allowed[from]?.[to])}`));
    expect(cells(live)).toEqual(cells(fromFiles));
  });
});
