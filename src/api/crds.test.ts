import { describe, expect, it } from 'vitest';
import { desiredFromState } from '../daemon/desired.js';
import { emptyState } from '../daemon/state.js';
import { crdOf, printerColumnsOf } from './crds.js';
import { resourceByKind } from './registry.js';

type Json = Record<string, any>;

describe('printerColumnsOf: cert-manager\'s additionalPrinterColumns', () => {
  it('Certificate: READY, SECRET, then ISSUER and STATUS only with -o wide, AGE', () => {
    const cols = printerColumnsOf('cert-manager.io', 'Certificate')!;
    expect(cols.map((c) => `${c.name}${c.priority ? '(wide)' : ''}`)).toEqual(['Ready', 'Secret', 'Issuer(wide)', 'Status(wide)', 'Age']);
    expect(cols[0]!.jsonPath).toBe('.status.conditions[?(@.type == "Ready")].status');
    expect(cols[4]).toMatchObject({ type: 'date', jsonPath: '.metadata.creationTimestamp' });
  });
  it.each([
    ['cert-manager.io', 'CertificateRequest', ['Approved', 'Denied', 'Ready', 'Issuer', 'Requester', 'Status', 'Age']],
    ['cert-manager.io', 'Issuer', ['Ready', 'Status', 'Age']],
    ['cert-manager.io', 'ClusterIssuer', ['Ready', 'Status', 'Age']],
    ['acme.cert-manager.io', 'Order', ['State', 'Issuer', 'Reason', 'Age']],
    ['acme.cert-manager.io', 'Challenge', ['State', 'Domain', 'Reason', 'Age']],
  ])('%s %s', (group, kind, names) => {
    expect(printerColumnsOf(group, kind)!.map((c) => c.name)).toEqual(names);
  });
  it('built-in kinds and other groups have none', () => {
    expect(printerColumnsOf('', 'Pod')).toBeUndefined();
    expect(printerColumnsOf('apps', 'Certificate')).toBeUndefined();
  });
});

describe('the CRDs knet serves', () => {
  it('one per cert-manager kind and knet\'s Cluster, named plural.group', () => {
    const crds = resourceByKind('CustomResourceDefinition')!.list(desiredFromState(emptyState('knet-crds')).cluster);
    expect(crds.map((c) => c.meta.name)).toEqual([
      'clusters.knet.dev', 'challenges.acme.cert-manager.io', 'orders.acme.cert-manager.io', 'certificaterequests.cert-manager.io', 'certificates.cert-manager.io',
      'clusterissuers.cert-manager.io', 'issuers.cert-manager.io',
    ]);
  });
  it('a Certificate\'s CRD: names, scope, one served storage version with status and printer columns, Established', () => {
    const crd = crdOf(resourceByKind('Certificate')!) as Json;
    expect(crd['spec']['names']).toEqual({ plural: 'certificates', singular: 'certificate', kind: 'Certificate', listKind: 'CertificateList', shortNames: ['cert', 'certs'], categories: ['cert-manager'] });
    expect(crd['spec']['scope']).toBe('Namespaced');
    const [v] = crd['spec']['versions'];
    expect(v).toMatchObject({ name: 'v1', served: true, storage: true, subresources: { status: {} } });
    expect(v['additionalPrinterColumns'].map((c: Json) => c['name'])).toEqual(['Ready', 'Secret', 'Issuer', 'Status', 'Age']);
    expect(crd['status']['conditions'].find((c: Json) => c['type'] === 'Established')['status']).toBe('True');
    expect((crdOf(resourceByKind('ClusterIssuer')!) as Json)['spec']['scope']).toBe('Cluster');
  });
  it('the registry lists them before CRDs the user wrote, and a written one of the same name replaces the served one', () => {
    const crd = resourceByKind('CustomResourceDefinition')!;
    const written = (name: string) => ({ file: 'x.yaml', line: 1, col: 1, value: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, spec: { group: 'example.com' } } });
    const state = { ...emptyState('knet-crds'), objects: [written('widgets.example.com'), written('issuers.cert-manager.io')] };
    const cluster = desiredFromState(state).cluster;
    const names = crd.list(cluster).map((o) => o.meta.name);
    expect(names.slice(-2)).toEqual(['widgets.example.com', 'issuers.cert-manager.io']); // as written
    expect(names.filter((n) => n === 'issuers.cert-manager.io')).toHaveLength(1);
    expect(names).toHaveLength(8);
    const issuers = crd.list(cluster).find((o) => o.meta.name === 'issuers.cert-manager.io')!;
    expect(issuers.raw?.value['spec']).toEqual({ group: 'example.com' });
  });
  it('a CRD the user wrote is served Established, its names accepted (listKind, singular defaulted), its storage version stored; the same object each time', () => {
    const crd = resourceByKind('CustomResourceDefinition')!;
    const spec = { group: 'argoproj.io', names: { kind: 'Application', plural: 'applications', shortNames: ['app'] }, scope: 'Namespaced',
      versions: [{ name: 'v1alpha1', served: true, storage: true }, { name: 'v1beta1', served: true, storage: false }] };
    const written = { file: 'x.yaml', line: 1, col: 1, value: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'applications.argoproj.io' }, spec } };
    const cluster = desiredFromState({ ...emptyState('knet-crds'), objects: [written] }).cluster;
    const served = crd.list(cluster).find((o) => o.meta.name === 'applications.argoproj.io')!;
    expect(served.raw?.value['status']).toEqual({
      acceptedNames: { kind: 'Application', plural: 'applications', shortNames: ['app'], singular: 'application', listKind: 'ApplicationList' },
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      storedVersions: ['v1alpha1'],
    });
    expect(served.raw?.value['spec']).toEqual(spec);
    expect(crd.list(cluster).find((o) => o.meta.name === 'applications.argoproj.io')).toBe(served);
    const dumped = { ...written, value: { ...written.value, status: { conditions: [{ type: 'Established', status: 'False' }] } } };
    const fromDump = desiredFromState({ ...emptyState('knet-crds'), objects: [dumped] }).cluster;
    expect(crd.list(fromDump).find((o) => o.meta.name === 'applications.argoproj.io')!.raw?.value['status']).toEqual({ conditions: [{ type: 'Established', status: 'False' }] });
  });
});
