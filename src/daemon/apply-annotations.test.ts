// `knet apply` of an Ingress with an ingress-nginx annotation knet does not implement: the
// batch is applied, and the warning comes back at the annotation's line, never silence.
import { describe, expect, it } from 'vitest';
import { fillIn } from '../cluster/fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { emptyState } from './state.js';
import { applyObjects } from './store-ops.js';

const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/proxy-read-timeout: "30"
    nginx.ingress.kubernetes.io/configuration-snippet: "return 200;"
    nginx.ingress.kubernetes.io/limit-rps: "5"
spec:
  rules: [{host: a.example, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
`;

describe('apply: annotations knet does not carry out', () => {
  it('are warnings of the applied file, and the Ingress is applied', () => {
    const current = fillIn(decodeObjects([]).inventory).cluster;
    const out = applyObjects(emptyState('t'), current, parseText('web.yaml', INGRESS).objects, []);
    expect(out.state).not.toBeNull();
    expect(out.issues.filter((i) => i.code.startsWith('ingress-annotation')).map((i) => `${i.file}:${i.line} ${i.severity} ${i.code}`)).toEqual([
      'web.yaml:7 warning ingress-annotation-unsupported',
      'web.yaml:8 warning ingress-annotation-snippet',
    ]);
  });
});
