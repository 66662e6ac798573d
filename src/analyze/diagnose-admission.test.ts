// `knet diagnose` on Ingresses nginx would refuse: the webhook's verdict predicted with the
// file:line of the field, and on a running cluster the Ingresses its controllers left out.
import { describe, expect, it } from 'vitest';
import { eventObjects, type EventWire } from '../model/events.js';
import { annotations, ing, shopCluster } from '../core/ingress/test-support/world.js';
import { paths } from '../core/ingress/test-support/route-cases.js';
import { routeTableOf } from '../core/ingress/index.js';
import { diagnoseCluster } from './diagnose.js';
import { renderDiagnosis } from './diagnose-render.js';

describe('diagnose: Ingress admission', () => {
  it('a rewrite-target naming an unknown variable is an ingress error at the annotation, with nginx\'s words and the fix', () => {
    const c = shopCluster(ing('rw', paths('rw.shop.com', ['/foo', 'web']), annotations({ 'rewrite-target': '/$x' })));
    const f = diagnoseCluster(c, []).filter((x) => x.code === 'ingress-nginx-unknown-variable');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ layer: 'ingress', severity: 'error', object: 'Ingress shop/rw', field: 'metadata.annotations["nginx.ingress.kubernetes.io/rewrite-target"]', file: 'shop.yaml' });
    const text = renderDiagnosis(f);
    expect(text).toMatch(/error +Ingress shop\/rw: nginx would refuse the configuration \(ingress-nginx's admission webhook refuses the Ingress\): unknown "x" variable in nginx\.ingress\.kubernetes\.io\/rewrite-target "\/\$x" {2}\[shop\.yaml:\d+:\d+ metadata\.annotations/);
    expect(text).toContain('hint: nginx reads every "$" in this value as a variable');
  });

  it('a regex path PCRE2 refuses replaces the JavaScript-based note', () => {
    const c = shopCluster(ing('re', paths('re.shop.com', ['/a(', 'web', 'ImplementationSpecific']), annotations({ 'use-regex': 'true' })));
    const f = diagnoseCluster(c, []).filter((x) => x.object === 'Ingress shop/re' && x.code !== 'ingress-no-controller');
    expect(f.map((x) => `${x.severity} ${x.code} ${x.field}`)).toEqual(['error ingress-nginx-invalid-regex spec.rules[0].http.paths[0].path']);
    expect(f[0]!.message).toContain('pcre2_compile() failed: missing closing parenthesis in "^/a("');
  });

  it('on a running cluster, an Ingress the controllers left out (its latest event a Warning) is an error at the field nginx refused', () => {
    const c = shopCluster(ing('tls', paths('tls.shop.com', ['/', 'web'])));
    const event = (type: EventWire['type'], reason: string, at: string): EventWire => ({
      apiVersion: 'v1', kind: 'Event', metadata: { name: `tls.${at}`, namespace: 'shop', creationTimestamp: at },
      involvedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'shop', name: 'tls', fieldPath: 'spec.rules[0].http.paths[0].path' },
      type, reason, message: 'nginx refuses the configuration with this Ingress: nginx: [emerg] cannot load certificate', count: 2, firstTimestamp: at, lastTimestamp: at,
      source: { component: 'nginx-ingress-controller' },
    });
    const left = { ...c, others: [...c.others, ...eventObjects([event('Warning', 'RejectedByNginx', '2026-12-07T20:00:00Z')])] };
    const f = diagnoseCluster(left, []).filter((x) => x.code === 'ingress-left-out-by-nginx');
    expect(f).toMatchObject([{ severity: 'error', field: 'spec.rules[0].http.paths[0].path', file: 'shop.yaml' }]);
    expect(f[0]!.message).toContain('Ingress shop/tls is not served: nginx refuses the configuration with this Ingress: nginx: [emerg] cannot load certificate (since 2026-12-07T20:00:00Z, 2 times)');
    // knet route agrees with nginx: the Ingress left out is not in the route table.
    expect(routeTableOf(left).servers.map((s) => s.host)).toEqual(['_']);
    const back = { ...left, others: [...left.others, ...eventObjects([event('Normal', 'Sync', '2026-12-07T20:01:00Z')])] };
    expect(diagnoseCluster(back, []).filter((x) => x.code === 'ingress-left-out-by-nginx')).toEqual([]);
    expect(routeTableOf(back).servers.map((s) => s.host)).toEqual(['_', 'tls.shop.com']);
  });
});
