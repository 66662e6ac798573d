// The shared route cases against the prediction (the nginx backend runs the same cases in
// dataplane/ingress/ingress-flows.test.ts).
import { describe, expect, it } from 'vitest';
import { flowRequestFacts, ROUTE_FLOW_CASES } from './test-support/route-cases.js';
import { CONTROLLER_MANIFESTS, route, shopCluster, summary, tableOf } from './test-support/world.js';

describe('route flow cases: the prediction', () => {
  it.each(ROUTE_FLOW_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const table = tableOf(shopCluster(...CONTROLLER_MANIFESTS, ...c.ingresses));
    for (const r of c.requests) {
      const extra = flowRequestFacts(r);
      expect(`${r.url} ${JSON.stringify(r.headers ?? {})} -> ${summary(route(table, r.url, extra))}`).toBe(`${r.url} ${JSON.stringify(r.headers ?? {})} -> ${r.want}`);
    }
  });
});
