// kubectl's habits in `knet get`: short names, --field-selector, "No resources found",
// -o wide columns, and the defaults the API server sets, as -o yaml shows them.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from './test-support/run.js';

const run = runCli;

const OPSCART = 'examples/opscart';
const dir = mkdtempSync(join(tmpdir(), 'knet-habits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function manifest(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

const KEPT = manifest('kept.yaml', `apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, namespace: shop}
spec:
  replicas: 1
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
`);

describe('short names, as kubectl knows them', () => {
  const cases: [string, RegExp][] = [
    ['rc', /^legacy\s/m], ['pdb', /^web\s/m], ['sa', /^robot\s/m],
    ['replicationcontrollers', /^legacy\s/m], ['poddisruptionbudget', /^web\s/m],
  ];
  for (const [name, want] of cases) {
    it(`get ${name}`, () => {
      const r = run(['get', name, '-n', 'shop', '-f', KEPT]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(want);
    });
  }

  it('a kept kind with no objects -> "No resources found in NS namespace." on stderr, exit 0', () => {
    const r = run(['get', 'pvc', '-n', 'shop', '-f', KEPT]);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.err).toContain('No resources found in shop namespace.\n');
  });

  it('get all includes ReplicationControllers, as kubectl\'s "all" category does', () => {
    const r = run(['get', 'all', '-n', 'shop', '-f', KEPT]);
    expect(r.out).toMatch(/^replicationcontroller\/legacy\s/m);
  });

  it('-o name names the kind with its API group', () => {
    const r = run(['get', 'pdb', '-n', 'shop', '-o', 'name', '-f', KEPT]);
    expect(r.out).toBe('poddisruptionbudget.policy/web\n');
  });
});

describe('"No resources found"', () => {
  it('in a namespace -> "No resources found in NS namespace."', () => {
    const r = run(['get', 'pods', '-n', 'empty', '-f', OPSCART]);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.err).toContain('No resources found in empty namespace.');
  });

  it('with -A -> "No resources found"', () => {
    const r = run(['get', 'netpol', '-A', '--field-selector', 'metadata.name=nothing', '-f', OPSCART]);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.err.trim().split('\n').pop()).toBe('No resources found');
  });
});

describe('--field-selector', () => {
  it('pods by node and phase, with = and !=', () => {
    const all = run(['get', 'pods', '-A', '-o', 'wide', '-f', OPSCART]).out.trim().split('\n').slice(1);
    const onNode1 = all.filter((l) => /\snode-1\s/.test(l)).length;
    expect(onNode1).toBeGreaterThan(0);
    const r = run(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=node-1,status.phase=Running', '-f', OPSCART]);
    expect(r.out.trim().split('\n').length - 1).toBe(onNode1);
    const not = run(['get', 'pods', '-A', '--field-selector', 'spec.nodeName!=node-1', '-f', OPSCART]);
    expect(not.out.trim().split('\n').length - 1).toBe(all.length - onNode1);
  });

  it('== is the same as =; metadata.name works for every kind', () => {
    const r = run(['get', 'svc', '-A', '--field-selector', 'metadata.name==kube-dns', '-f', OPSCART]);
    expect(r.out.trim().split('\n')).toHaveLength(2);
    expect(r.out).toMatch(/kube-system\s+kube-dns\s/);
  });

  it('services by spec.type', () => {
    const r = run(['get', 'svc', '-A', '--field-selector', 'spec.type=LoadBalancer', '-f', OPSCART]);
    expect(r.out.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[1])).toEqual(['ingress-nginx-controller']);
  });

  it('pods by a field the API server defaults (restartPolicy Always)', () => {
    const all = run(['get', 'pods', '-A', '-f', OPSCART]).out.trim().split('\n').length;
    expect(run(['get', 'pods', '-A', '--field-selector', 'spec.restartPolicy=Always', '-f', OPSCART]).out.trim().split('\n').length).toBe(all);
  });

  it('a field pods cannot select on -> the API server\'s refusal, exit 1', () => {
    const r = run(['get', 'pods', '--field-selector', 'spec.foo=bar', '-f', OPSCART]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.foo=bar": field label not supported: spec.foo');
  });

  it('a kind with only the metadata fields -> "is not a known field selector"', () => {
    const r = run(['get', 'deploy', '-l', 'app=api', '--field-selector', 'spec.replicas=3', '-f', OPSCART]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Unable to find "apps/v1, Resource=deployments" that match label selector "app=api", field selector "spec.replicas=3": "spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });

  it('nodes select on spec.unschedulable but not metadata.namespace', () => {
    expect(run(['get', 'no', '--field-selector', 'spec.unschedulable=false', '-f', OPSCART]).out.trim().split('\n')).toHaveLength(4);
    expect(run(['get', 'no', '--field-selector', 'metadata.namespace=x', '-f', OPSCART]).err).toContain('field label not supported: metadata.namespace');
  });

  it('a term without an operator -> invalid selector', () => {
    const r = run(['get', 'pods', '--field-selector', 'status.phase', '-f', OPSCART]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("invalid selector: 'status.phase'; can't understand 'status.phase'");
  });
});

describe('-o wide columns, as kubectl\'s printers have them', () => {
  const cases: [string, RegExp][] = [
    ['deploy', /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/],
    ['rs', /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/],
    ['sts', /^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES$/],
    ['ds', /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/],
    ['no', /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/],
  ];
  const DS = manifest('ds.yaml', `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: messaging}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: busybox:1.36}, {name: sidecar, image: envoy:1.30}]}
`);
  for (const [kind, header] of cases) {
    it(`${kind} -o wide`, () => {
      const ns = kind === 'deploy' || kind === 'rs' ? 'production' : 'messaging';
      const r = run(['get', kind, '-n', ns, '-o', 'wide', '-f', OPSCART, '-f', DS]);
      expect(r.code).toBe(0);
      expect(r.out.split('\n')[0]).toMatch(header);
    });
  }

  it('rows: containers and images joined by commas, the selector as kubectl formats it', () => {
    const r = run(['get', 'ds', 'agent', '-n', 'messaging', '-o', 'wide', '-f', OPSCART, '-f', DS]);
    expect(r.out.split('\n')[1]).toMatch(/^agent\s.*\s<none>\s+<unknown>\s+agent,sidecar\s+busybox:1\.36,envoy:1\.30\s+app=agent$/);
  });

  it('a Deployment\'s ReplicaSet selects on pod-template-hash too', () => {
    const r = run(['get', 'rs', '-n', 'production', '-o', 'wide', '-f', OPSCART]);
    expect(r.out).toMatch(/^api-(\w+)\s.*\sapp=api,pod-template-hash=\1$/m);
  });

  it('nodes: the addresses and what the node reports, <unknown> where it does not', () => {
    const r = run(['get', 'no', 'node-1', '-o', 'wide', '-f', OPSCART]);
    expect(r.out.split('\n')[1]).toMatch(/^node-1\s.*\s172\.18\.0\.\d+\s+<none>\s+<unknown>\s+<unknown>\s+<unknown>$/);
  });
});

describe('-o yaml shows what the API server sets', () => {
  it('metadata.namespace and a stable uid on objects the input left without them', () => {
    const CM = manifest('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n');
    const one = parse(run(['get', 'cm', 'settings', '-o', 'yaml', '-f', CM]).out);
    const two = parse(run(['get', 'cm', 'settings', '-o', 'yaml', '-f', CM]).out);
    expect(one.metadata.namespace).toBe('default');
    expect(one.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(one.metadata.uid).toBe(two.metadata.uid);
  });
});
