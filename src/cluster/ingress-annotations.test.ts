import { describe, expect, it } from 'vitest';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { ingressAnnotationIssues } from './ingress-annotations.js';

const ingress = (annotations: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
${annotations}spec:
  rules: [{host: a.example, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
`;

function issues(annotations: string): string[] {
  const parsed = parseText('web.yaml', ingress(annotations));
  return ingressAnnotationIssues(decodeObjects(parsed.objects).inventory.ingresses).map((i) => `${i.file}:${i.line}:${i.col} ${i.severity} ${i.code} ${i.message}`);
}

describe('ingress-nginx annotations knet does not carry out are warnings at their line', () => {
  it('an annotation outside the table -> ingress-annotation-unsupported', () => {
    expect(issues('    nginx.ingress.kubernetes.io/proxy-read-timeout: "30"\n')).toEqual([
      'web.yaml:7:53 warning ingress-annotation-unsupported nginx.ingress.kubernetes.io/proxy-read-timeout: knet does not implement this annotation; the prediction and knet\'s nginx ignore it, a real ingress-nginx would not',
    ]);
  });

  it('a snippet -> ingress-annotation-snippet, disabled as ingress-nginx\'s default', () => {
    expect(issues('    nginx.ingress.kubernetes.io/server-snippet: "return 200;"\n')[0]).toMatch(/^web\.yaml:7:\d+ warning ingress-annotation-snippet .*allow-snippet-annotations: false/);
  });

  it('implemented annotations and other prefixes -> nothing', () => {
    expect(issues('    nginx.ingress.kubernetes.io/limit-rps: "5"\n    nginx.ingress.kubernetes.io/enable-cors: "true"\n    cert-manager.io/cluster-issuer: le\n')).toEqual([]);
  });
});
