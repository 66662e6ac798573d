import { describe, expect, it } from 'vitest';
import type { IP } from '../../model/ip.js';
import { clusterEndpoints, endpointSets, localEndpoints } from './categorize-endpoints.js';
import type { ProxyEndpoint } from './proxy-index.js';

/** `name@node:state`: state r = ready (serving), st = serving and terminating, t = terminating only, n = neither. */
function ep(spec: string, i: number): ProxyEndpoint {
  const [, pod, node, state] = /^(\w+)@([\w-]+):(r|st|t|n)$/.exec(spec)!;
  return {
    ip: `10.244.0.${i + 2}` as IP, port: 8080, nodeName: node!, pod: `default/${pod}`,
    ready: state === 'r', serving: state === 'r' || state === 'st', terminating: state === 'st' || state === 't',
  };
}

const CASES: { rule: string; endpoints: string[]; cluster: string[]; local: string[]; fallback?: boolean }[] = [
  { rule: 'a terminating endpoint leaves the rules while ready ones remain',
    endpoints: ['a@node-1:r', 'b@node-2:r', 'old@node-1:st'], cluster: ['a', 'b'], local: ['a'] },
  { rule: 'no ready endpoint: the serving, terminating ones take the traffic (a rollout of one replica)',
    endpoints: ['old@node-1:st', 'new@node-2:n'], cluster: ['old'], local: ['old'], fallback: true },
  { rule: 'terminating and no longer serving: never used, even as a fallback',
    endpoints: ['old@node-1:t', 'other@node-2:n'], cluster: [], local: [] },
  { rule: 'Local policy: this node\'s ready endpoints first, else its serving-terminating ones',
    endpoints: ['a@node-2:r', 'old@node-1:st'], cluster: ['a'], local: ['old'] },
];

describe('CategorizeEndpoints with terminating endpoints (kube-proxy topology.go)', () => {
  for (const c of CASES) {
    it(c.rule, () => {
      const sets = endpointSets(c.endpoints.map(ep));
      const chosen = clusterEndpoints(sets);
      expect(chosen.endpoints.map((e) => e.pod.split('/')[1])).toEqual(c.cluster);
      expect(chosen.terminating).toBe(c.fallback ?? false);
      expect(localEndpoints(sets, 'node-1').endpoints.map((e) => e.pod.split('/')[1])).toEqual(c.local);
    });
  }
});
