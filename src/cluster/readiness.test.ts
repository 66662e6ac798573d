import { describe, expect, it } from 'vitest';
import { loadCluster } from './fill-in.js';
import { hasReadinessGate, runningReady, withReadiness, type ReportedPod } from './readiness.js';

const opscart = loadCluster(['examples/opscart']).cluster;
const ref = (p: { meta: { namespace: string; name: string } }): string => `${p.meta.namespace}/${p.meta.name}`;
const apiPods = opscart.pods.filter((p) => p.meta.namespace === 'production' && p.meta.labels['app'] === 'api');
const readyIPs = (c: typeof opscart, service: string): string[] =>
  c.endpointSlices.filter((s) => s.meta.namespace === 'production' && s.serviceName === service)
    .flatMap((s) => s.endpoints.filter((e) => e.conditions.ready).map((e) => e.addresses[0]!)).sort();

describe('pods as the kubelets report them', () => {
  it('a pod with a readiness probe waits for its report; one without is Ready when it runs', () => {
    const api = apiPods[0]!;
    expect(hasReadinessGate(api)).toBe(true);
    expect(runningReady(api, new Map())).toBe(false);
    expect(runningReady(api, new Map([[ref(api), { ready: true, restarts: 0 }]]))).toBe(true);
    const plain = opscart.pods.find((p) => !hasReadinessGate(p) && p.status.phase === 'Running')!;
    expect(runningReady(plain, new Map())).toBe(true);
  });

  it("an unready pod leaves its Services' EndpointSlices and comes back; restarts are shown", () => {
    expect(apiPods.length).toBeGreaterThanOrEqual(3);
    const all = new Map<string, ReportedPod>(apiPods.map((p) => [ref(p), { ready: true, restarts: 0 }]));
    const healthy = withReadiness(opscart, all);
    expect(readyIPs(healthy, 'api-service')).toEqual(apiPods.map((p) => p.status.podIPs[0]!).sort());

    const c = apiPods[2]!;
    const sick = withReadiness(opscart, new Map([...all, [ref(c), { ready: false, restarts: 2 }]]));
    expect(readyIPs(sick, 'api-service')).toEqual(apiPods.slice(0, 2).map((p) => p.status.podIPs[0]!).sort());
    const cNow = sick.pods.find((p) => ref(p) === ref(c))!;
    expect(cNow.status.ready).toBe(false);
    expect(cNow.status.restarts).toBe(2);
    // Still listed, as not ready (serving false), the way the controller keeps it.
    const entry = sick.endpointSlices.flatMap((s) => s.endpoints).find((e) => e.addresses[0] === c.status.podIPs[0]);
    expect(entry?.conditions).toEqual({ ready: false, serving: false, terminating: false });
    // Other Services' slices are the same objects.
    const other = (x: typeof opscart) => x.endpointSlices.filter((s) => s.serviceName !== 'api-service');
    expect(other(sick)).toEqual(other(healthy));
  });

  it('nothing reported and nothing gated: the cluster itself', () => {
    const none = withReadiness({ ...opscart, pods: opscart.pods.filter((p) => !hasReadinessGate(p)) }, new Map());
    expect(none.pods.every((p, i) => p === opscart.pods.filter((q) => !hasReadinessGate(q))[i])).toBe(true);
  });
});
