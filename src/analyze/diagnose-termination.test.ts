import { describe, expect, it } from 'vitest';
import { terminationFindings } from './diagnose-termination.js';
import { build, clusterYaml, namespace, service } from './trace-fixtures.js';

/** A Deployment of `web` in `shop`; `containers` is its containers list in flow YAML. */
function deployment(containers: string, extra = '', replicas = 2): string {
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {${extra}containers: ${containers}}\n`;
}

const WEB = '{name: web, image: agnhost, ports: [{containerPort: 8080}]';
const SVC = service('shop', 'web', 'app: web');

const CASES: { rule: string; docs: string[]; want: RegExp | null }[] = [
  { rule: 'behind a Service, no preStop hook: rollouts and scale-downs can drop connections',
    docs: [namespace('shop'), deployment(`[${WEB}}]`), SVC],
    want: /Deployment shop\/web \(behind Service shop\/web\) has no preStop hook on container "web"/ },
  { rule: 'a preStop sleep on the serving container: quiet',
    docs: [namespace('shop'), deployment(`[${WEB}, lifecycle: {preStop: {sleep: {seconds: 5}}}}]`), SVC],
    want: null },
  { rule: 'a preStop exec hook counts as well: quiet',
    docs: [namespace('shop'), deployment(`[${WEB}, lifecycle: {preStop: {exec: {command: [sh, -c, "sleep 5"]}}}}]`), SVC],
    want: null },
  { rule: 'no Service selects the pods: nothing routes to them, quiet',
    docs: [namespace('shop'), deployment(`[${WEB}}]`)],
    want: null },
  { rule: 'scaled to 0: nothing to stop, quiet',
    docs: [namespace('shop'), deployment(`[${WEB}}]`, '', 0), SVC],
    want: null },
  { rule: 'a hook on a sidecar does not cover the container that serves the port',
    docs: [namespace('shop'), deployment(`[${WEB}}, {name: log, image: busybox, lifecycle: {preStop: {sleep: {seconds: 5}}}}]`), SVC],
    want: /no preStop hook on container "web"/ },
  { rule: 'a grace period shorter than the advised sleep: the hint says to raise it',
    docs: [namespace('shop'), deployment(`[${WEB}}]`, 'terminationGracePeriodSeconds: 3, '), SVC],
    want: /raise terminationGracePeriodSeconds \(now 3\) above the sleep/ },
];

describe('diagnose: graceful termination', () => {
  for (const c of CASES) {
    it(c.rule, () => {
      const { ctx, issues } = build(clusterYaml(), ...c.docs);
      expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
      const found = terminationFindings(ctx);
      if (c.want === null) expect(found).toEqual([]);
      else {
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({ code: 'service-termination-drops', severity: 'info', object: 'Deployment shop/web', file: 't.yaml' });
        expect(`${found[0]!.message}\n${found[0]!.hint}`).toMatch(c.want);
        expect(found[0]!.hint).toMatch(/preStop: \{sleep: \{seconds: 5\}\}/);
      }
    });
  }
  it('kubeadm\'s CoreDNS (lameduck 5s in its Corefile) is not flagged', () => {
    const { ctx } = build(clusterYaml());
    expect(terminationFindings(ctx)).toEqual([]);
  });
});
