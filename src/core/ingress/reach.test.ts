import { describe, expect, it } from 'vitest';
import { routeTableOf } from './index.js';
import { reachHost } from './reach.js';
import { annotations, CONTROLLER_MANIFESTS, ing, shopCluster } from './test-support/world.js';

const shop = (extra = '') => ing('a', `${extra}rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`);
const istio = ing('a', `rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`, annotations({ 'kubernetes.io/ingress.class': 'istio' }));

function reach(objects: string[], host = 'shop.example.com') {
  const c = shopCluster(...objects);
  return reachHost(routeTableOf(c), c.ingresses, host);
}

describe('who answers a host: the modelled controller, one knet does not model, or nobody', () => {
  it('ingress-nginx runs and serves the host\'s Ingress -> the controller answers', () => {
    expect(reach([...CONTROLLER_MANIFESTS, shop()])).toEqual({ kind: 'controller' });
  });

  it('ingress-nginx runs, no Ingress claims the host -> the controller answers (its default backend)', () => {
    expect(reach([...CONTROLLER_MANIFESTS, shop()], 'other.example.com')).toEqual({ kind: 'controller' });
  });

  it('no controller pod in the input -> nothing serves the host', () => {
    expect(reach([shop()])).toMatchObject({ kind: 'no-controller', ingresses: ['shop/a'], reason: 'no ingress controller runs in the input: nothing serves shop.example.com' });
  });

  it('no controller pod and no Ingress for the host -> nothing serves it either', () => {
    expect(reach([], 'shop.example.com')).toMatchObject({ kind: 'no-controller', ingresses: [] });
  });

  it('legacy annotation of another class, no controller -> unknown: class istio', () => {
    expect(reach([istio])).toMatchObject({
      kind: 'unmodelled', ingress: 'shop/a', otherClass: { name: 'istio', controller: null },
      reason: 'no ingress controller serves class istio: knet models ingress-nginx; the answer is unknown',
    });
  });

  it('ingressClassName of an IngressClass of another controller, ingress-nginx running -> unknown, naming that controller', () => {
    const r = reach([...CONTROLLER_MANIFESTS, shop('ingressClassName: traefik\n')]);
    expect(r).toMatchObject({ kind: 'unmodelled', otherClass: { name: 'traefik', controller: 'traefik.io/ingress-controller' } });
    expect(r.kind === 'unmodelled' && r.why).toContain('ingress-nginx leaves it out');
  });

  it('ingressClassName naming no IngressClass in the input -> unknown (installed elsewhere)', () => {
    expect(reach([...CONTROLLER_MANIFESTS, shop('ingressClassName: haproxy\n')])).toMatchObject({ kind: 'unmodelled', otherClass: { name: 'haproxy', controller: null } });
  });

  it('ingress-nginx runs but leaves the host\'s Ingress out for its own reasons -> not served, with why', () => {
    // A stored Ingress without class (the API server set none: two classes were default then).
    const secondDefault = 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx2\n  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}\nspec: {controller: k8s.io/ingress-nginx}\n';
    const stored = ing('a', `rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`, '  uid: 0b6f2a4e-7c1d-4e55-9a3b-2f8d6c1e9a70\n');
    const r = reach([...CONTROLLER_MANIFESTS, secondDefault, stored]);
    expect(r).toMatchObject({ kind: 'not-served', ingress: 'shop/a' });
    expect(r.kind === 'not-served' && r.why).toContain('2 IngressClasses are marked default');
  });

  it('a rule without a host claims every host', () => {
    const hostless = ing('a', `rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`, annotations({ 'kubernetes.io/ingress.class': 'istio' }));
    expect(reach([hostless], 'bookinfo.example.com')).toMatchObject({ kind: 'unmodelled', ingress: 'shop/a' });
  });
});
