import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { strictProblems, withoutUnknownFields } from './field-validation.js';
import { kindStruct } from './kind-schemas.js';

const unknown = (obj: unknown, root = 'Deployment'): string[] => strictProblems(JSON.stringify(obj), root).map((p) => `${p.kind} ${p.path}`);

describe('known fields', () => {
  it.each([
    ['a typo in a spec and in a list item, in document order', { spec: { replicass: 1, template: { spec: { containers: [{ name: 'a' }, { imagee: 'x' }] } } } }, ['unknown spec.replicass', 'unknown spec.template.spec.containers[1].imagee']],
    ['apiVersion and kind at the top only', { apiVersion: 'apps/v1', kind: 'Deployment', spec: { kind: 'x' } }, ['unknown spec.kind']],
    ['inline structs: a probe\'s httpGet, an ingress rule\'s http', { spec: { template: { spec: { containers: [{ readinessProbe: { httpGet: { port: 80 }, periodSeconds: 1 } }] } } } }, []],
    ['open structs (volumes, securityContext) and status take anything', { spec: { template: { spec: { volumes: [{ anything: 1 }], securityContext: { whatever: true } } } }, status: { mine: 1 } }, []],
    ['maps take any key; nothing below an unknown field is checked', { metadata: { labels: { 'a/b': 'c' }, nam: { deeper: 1 } } }, ['unknown metadata.nam']],
  ])('%s', (_rule, obj, expected) => {
    expect(unknown(obj)).toEqual(expected);
  });

  it('duplicates and unknown fields together, in the order met', () => {
    expect(strictProblems('{"spek":1,"metadata":{"name":"a","name":"b"}}', 'Deployment')).toEqual([{ kind: 'unknown', path: 'spek' }, { kind: 'duplicate', path: 'metadata.name' }]);
  });

  it('an Ingress rule\'s http path and backend; a NetworkPolicy\'s peers', () => {
    expect(unknown({ spec: { rules: [{ host: 'a', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 's', port: { number: 80 } } } }] } }] } }, 'Ingress')).toEqual([]);
    expect(unknown({ spec: { ingress: [{ from: [{ podSelector: {}, ipBlock: { cidr: '10.0.0.0/8', excepts: [] } }] }] } }, 'NetworkPolicy')).toEqual(['unknown spec.ingress[0].from[0].ipBlock.excepts']);
  });

  it('a kind without a schema (CRDs) checks only duplicates', () => {
    expect(kindStruct('cert-manager.io', 'Certificate')).toBeUndefined();
    expect(strictProblems('{"spec":{"a":1,"a":2,"b":3}}', undefined)).toEqual([{ kind: 'duplicate', path: 'spec.a' }]);
  });

  it('a strategic merge patch\'s directives are not fields', () => {
    const body = JSON.stringify({ spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }], containers: [{ name: 'c', $patch: 'delete' }] } } } });
    expect(strictProblems(body, 'Deployment', true)).toEqual([]);
    expect(strictProblems(body, 'Deployment', false).map((p) => p.path)).toEqual(['spec.template.spec.$setElementOrder/containers', 'spec.template.spec.containers[0].$patch']);
  });

  it('withoutUnknownFields drops them (as the API server stores a Warn or Ignore write), keeps the rest', () => {
    const sent = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', x: 1 }, spec: { ports: [{ port: 80, prt: 1 }], selector: { app: 'a' } }, status: { loadBalancer: {} } };
    expect(withoutUnknownFields(sent, 'Service')).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }], selector: { app: 'a' } }, status: { loadBalancer: {} } });
    expect(withoutUnknownFields(sent, undefined)).toBe(sent);
  });

  it('every example knet ships has no unknown field', () => {
    const root = join(import.meta.dirname, '../../examples');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(5);
    const found: string[] = [];
    for (const f of files) {
      for (const doc of loadAll(readFileSync(join(root, f), 'utf8')) as { apiVersion?: string; kind?: string }[]) {
        if (!doc?.kind) continue;
        const group = doc.apiVersion?.includes('/') ? doc.apiVersion.split('/')[0]! : '';
        found.push(...strictProblems(JSON.stringify(doc), kindStruct(group, doc.kind)).map((p) => `${f} ${doc.kind}: ${p.kind} ${p.path}`));
      }
    }
    expect(found).toEqual([]);
  });
});
