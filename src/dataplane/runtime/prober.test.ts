import { describe, expect, it } from 'vitest';
import { PodProber } from './prober.js';
import type { CheckContext } from './probe-checks.js';
import type { ProbeSpec } from './spec.js';

const readiness: ProbeSpec = {
  container: 'api', probe: 'readiness', check: { kind: 'http', scheme: 'HTTP', host: '10.0.1.5', port: 8080, path: '/ready' },
  initialDelayMs: 0, periodMs: 5, timeoutMs: 100, successThreshold: 1, failureThreshold: 3,
};

describe('the prober counts failed checks (each is a kubelet Unhealthy event)', () => {
  it('every failed check is counted with its output and reported, below the threshold too', async () => {
    const outcomes = [false, false, true, false];
    let changes = 0;
    const prober = new PodProber([readiness], {} as CheckContext, {
      restart: async () => {}, changed: () => void changes++, event: () => {}, running: () => true,
    }, async () => {
      const ok = outcomes.shift();
      return ok === undefined ? { ok: true, message: '' } : ok ? { ok, message: '' } : { ok, message: 'HTTP probe failed with statuscode: 503' };
    });
    prober.start();
    await new Promise((r) => setTimeout(r, 400));
    prober.stop();
    const [probe] = prober.status()[0]!.probes;
    expect(probe).toMatchObject({ probe: 'readiness', failures: 3, lastFailure: 'HTTP probe failed with statuscode: 503', message: '' });
    expect(changes).toBeGreaterThanOrEqual(3);
  });
});
