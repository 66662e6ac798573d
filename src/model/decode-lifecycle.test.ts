import { describe, expect, it } from 'vitest';
import { decodePod } from './decode-pod.js';
import { decode } from './test-support/decode.js';

const pod = (spec: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {${spec}}\n`;
const web = (lifecycle: string, podExtra = ''): string => pod(`${podExtra}containers: [{name: web, image: agnhost, ports: [{name: http, containerPort: 8080}]${lifecycle ? `, lifecycle: {preStop: ${lifecycle}}` : ''}}]`);

const CASES: { rule: string; yaml: string; preStop?: unknown; grace?: number; issues?: RegExp[] }[] = [
  { rule: 'no hook, no grace period: none, and the API server\'s 30 s', yaml: web(''), preStop: null, grace: 30 },
  { rule: 'the sleep action', yaml: web('{sleep: {seconds: 5}}'), preStop: { kind: 'sleep', seconds: 5 } },
  { rule: 'exec runs a command', yaml: web('{exec: {command: [sh, -c, "nginx -s quit"]}}'), preStop: { kind: 'exec', command: ['sh', '-c', 'nginx -s quit'] } },
  { rule: 'httpGet by port name, HTTP by default',
    yaml: web('{httpGet: {path: /drain, port: http}}'), preStop: { kind: 'httpGet', path: '/drain', port: 'http', scheme: 'HTTP', host: '' } },
  { rule: 'terminationGracePeriodSeconds is the pod\'s', yaml: web('{sleep: {seconds: 5}}', 'terminationGracePeriodSeconds: 45, '), grace: 45 },
  { rule: 'a sleep longer than the grace period is refused, as the API server refuses it',
    yaml: web('{sleep: {seconds: 40}}'), issues: [/spec\.containers\[0\]\.lifecycle\.preStop\.sleep\.seconds: Invalid value: 40: must be greater than 0 and less than terminationGracePeriodSeconds \(30\)/] },
  { rule: 'a sleep of 0 seconds is refused', yaml: web('{sleep: {seconds: 0}}'), issues: [/sleep\.seconds: Invalid value: 0: must be greater than 0/] },
  { rule: 'two actions in one hook are refused', yaml: web('{sleep: {seconds: 1}, exec: {command: [true]}}'), issues: [/may not specify more than 1 handler type \(found exec, sleep\)/] },
  { rule: 'a hook without an action is refused', yaml: web('{}'), issues: [/preStop: Required value/] },
  { rule: 'a negative grace period is refused', yaml: web('', 'terminationGracePeriodSeconds: -1, '), issues: [/terminationGracePeriodSeconds: Invalid value: -1/] },
];

describe('lifecycle.preStop and terminationGracePeriodSeconds, as the API server validates them', () => {
  for (const c of CASES) {
    it(c.rule, () => {
      const { value, issues } = decode(c.yaml, decodePod, 'Pod shop/web');
      const text = issues.map((i) => `${i.field ?? ''}: ${i.message}`);
      if (c.issues) for (const re of c.issues) expect(text.join('\n')).toMatch(re);
      else expect(text).toEqual([]);
      if (c.preStop !== undefined) expect(value.spec.containers[0]!.preStop).toEqual(c.preStop);
      if (c.grace !== undefined) expect(value.spec.terminationGracePeriodSeconds).toBe(c.grace);
    });
  }
});
