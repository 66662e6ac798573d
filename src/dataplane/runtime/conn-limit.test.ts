// One pod flooded with connections cannot take the node's descriptors: its built-in
// servers hold at most their bound together, the rest are reset, other pods answer.
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { captureInNetns } from '../exec.js';
import { run } from '../run.js';
import { MAX_PER_POD, perPodLimit, RESERVED_FDS } from './conn-limit.js';
import { connectFromPod, openPodServer, type PodContext, type PodServer } from './netexec.js';
import { NetnsSwitch } from './netns.js';

describe('the per-pod bound from the process\'s descriptor limit', () => {
  it.each([
    ['a raised hard limit (1,048,576): a container\'s usual 1,024', 1 << 20, 110, MAX_PER_POD],
    ['20,000 descriptors, a full node of 110 pods: their share after the reserve', 20_000, 110, Math.floor((20_000 - RESERVED_FDS) / 110)],
    ['the old soft default (1,024): never below 16', 1024, 110, 16],
  ])('%s', (_n, fdLimit, pods, want) => {
    expect(perPodLimit(fdLimit, pods)).toBe(want);
    if (want > 16) expect(want * pods + RESERVED_FDS).toBeLessThanOrEqual(fdLimit);
  });
});

function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (the servers live in a network namespace)';
  if (spawnSync('sh', ['-c', 'command -v curl && command -v ip']).status !== 0) return 'curl or ip missing';
  return '';
}
const reason = skipReason();

async function httpCode(ns: string, port: number): Promise<string> {
  const r = await captureInNetns(ns, ['curl', '-s', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/hostname`]);
  return r.stdout.trim();
}

describe.skipIf(reason !== '')(`a flooded pod${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('holds 20 connections over both its ports, resets the rest; the other pod answers; room comes back as they close', async () => {
    const ns = `knet-cl${randomBytes(2).toString('hex')}-pod-${randomBytes(4).toString('hex')}`;
    const sockets = new NetnsSwitch();
    const servers: PodServer[] = [];
    const clients: net.Socket[] = [];
    const a: PodContext = { ref: 'default/flooded', netns: ns, hostname: 'flooded', healthy: true };
    const b: PodContext = { ref: 'default/quiet', netns: ns, hostname: 'quiet', healthy: true };
    const options = { sockets, dialTimeoutMs: 1000, connectionsPerPod: 20 };
    try {
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      servers.push(await openPodServer(a, 'TCP', 8080, options), await openPodServer(a, 'TCP', 8082, options), await openPodServer(b, 'TCP', 8081, options));
      expect(await httpCode(ns, 8082)).toBe('200');

      // 30 idle connections to the flooded pod's first port.
      const reset: number[] = [];
      for (let i = 0; i < 30; i++) {
        const s = connectFromPod(sockets, ns, '127.0.0.1', 8080);
        s.on('error', () => {});
        s.on('close', () => reset.push(i));
        clients.push(s);
        // Connected, or reset before the connect event got here.
        await new Promise<void>((r) => {
          s.once('connect', () => r());
          s.once('close', () => r());
        });
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(reset).toHaveLength(10);
      // At its bound, the pod's other port is refused too; the other pod is not.
      expect(await httpCode(ns, 8082)).toBe('000');
      expect(await httpCode(ns, 8081)).toBe('200');
      // Five close: the pod answers again.
      for (const s of clients.filter((_, i) => !reset.includes(i)).slice(0, 5)) s.destroy();
      await new Promise((r) => setTimeout(r, 200));
      expect(await httpCode(ns, 8082)).toBe('200');
    } finally {
      for (const s of clients) s.destroy();
      for (const s of servers) await s.close();
      await run('ip', ['netns', 'del', ns], { allowFailure: true });
    }
  }, 30_000);
});
