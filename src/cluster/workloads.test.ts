import { describe, expect, it } from 'vitest';
import type { OwnerRef, Pod } from '../model/types.js';
import { clusterConfig, fill, podsIn, problems } from './test-support/cluster.js';

// utilrand's alphabet: no vowels, no confusable characters.
const SUFFIX = '[bcdfghjklmnpqrstvwxz2456789]';

const owner = (refs: readonly OwnerRef[]): string[] => refs.map((r) => `${r.kind}/${r.name} controller=${r.controller}`);

const template = (labels: string, extra = ''): string => `
  template:
    metadata: {labels: ${labels}}
    spec:${extra}
      containers:
      - name: app
        image: nginx
        ports: [{containerPort: 8080, name: http}]`;

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}${template('{app: web}')}
`;

describe('expandWorkloads: pods named as the controllers name them', () => {
  it('Deployment -> ReplicaSet <name>-<hash> with pod-template-hash -> pods <name>-<hash>-<5 chars>', () => {
    const { cluster, issues } = fill(deployment);
    expect(problems(issues)).toEqual([]);
    const rs = cluster.workloads.filter((w) => w.kind === 'ReplicaSet' && w.meta.namespace === 'shop');
    expect(rs).toHaveLength(1);
    const rsName = rs[0]!.meta.name;
    expect(rsName).toMatch(new RegExp(`^web-${SUFFIX}{1,10}$`));
    const hash = rsName.slice('web-'.length);
    expect(rs[0]!.meta.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs[0]!.meta.annotations['deployment.kubernetes.io/revision']).toBe('1');
    expect(owner(rs[0]!.meta.ownerReferences)).toEqual(['Deployment/web controller=true']);

    const pods = podsIn(cluster, 'shop');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.meta.name).toMatch(new RegExp(`^${rsName}-${SUFFIX}{5}$`));
      expect(p.meta.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
      expect(owner(p.meta.ownerReferences)).toEqual([`ReplicaSet/${rsName} controller=true`]);
      expect(p.generatedBy).toBe('Deployment shop/web');
    }
    expect(new Set(pods.map((p) => p.meta.name)).size).toBe(3);
  });

  it('a changed pod template -> another pod-template-hash', () => {
    const a = fill(deployment).cluster;
    const b = fill(deployment.replace('image: nginx', 'image: nginx:1.27')).cluster;
    const hashOf = (c: typeof a) => podsIn(c, 'shop')[0]!.meta.labels['pod-template-hash'];
    expect(hashOf(a)).not.toBe(hashOf(b));
  });

  it('StatefulSet -> pods <name>-<ordinal>, hostname = pod name, subdomain = serviceName', () => {
    const { cluster, issues } = fill(`
      apiVersion: apps/v1
      kind: StatefulSet
      metadata: {name: db, namespace: shop}
      spec:
        serviceName: db-headless
        replicas: 3
        selector: {matchLabels: {app: db}}
        template:
          metadata: {labels: {app: db}}
          spec:
            containers: [{name: db, image: postgres}]
    `);
    expect(problems(issues)).toEqual([]);
    const pods = podsIn(cluster, 'shop');
    expect(pods.map((p) => `${p.meta.name} hostname=${p.spec.hostname} subdomain=${p.spec.subdomain}`)).toEqual([
      'db-0 hostname=db-0 subdomain=db-headless',
      'db-1 hostname=db-1 subdomain=db-headless',
      'db-2 hostname=db-2 subdomain=db-headless',
    ]);
    pods.forEach((p, i) => {
      expect(p.meta.labels['statefulset.kubernetes.io/pod-name']).toBe(`db-${i}`);
      expect(p.meta.labels['apps.kubernetes.io/pod-index']).toBe(String(i));
      expect(p.meta.labels['controller-revision-hash']).toMatch(new RegExp(`^db-${SUFFIX}+$`));
      expect(owner(p.meta.ownerReferences)).toEqual(['StatefulSet/db controller=true']);
    });
  });

  const daemonSet = (selector: string): string => `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  selector: {matchLabels: {app: agent}}${template('{app: agent}', selector)}
`;

  interface DsCase {
    readonly name: string;
    readonly yaml: string;
    readonly nodes: readonly string[];
  }
  const dsCases: DsCase[] = [
    {
      name: 'DaemonSet -> one pod per node',
      yaml: daemonSet(''),
      nodes: ['node-1', 'node-2', 'node-3'],
    },
    {
      name: 'DaemonSet with nodeSelector -> pods only on the matching nodes',
      yaml: `${clusterConfig(`
        nodes:
        - {name: a}
        - {name: b, labels: {disk: ssd}}
        - {name: c}
        - {name: d, labels: {disk: ssd}}
      `)}---\n${daemonSet('\n      nodeSelector: {disk: ssd}')}`,
      nodes: ['b', 'd'],
    },
  ];
  for (const c of dsCases) {
    it(c.name, () => {
      const { cluster, issues } = fill(c.yaml);
      expect(problems(issues)).toEqual([]);
      const pods = podsIn(cluster, 'shop');
      expect(pods.map((p) => p.spec.nodeName)).toEqual(c.nodes);
      for (const p of pods) {
        expect(p.meta.name).toMatch(new RegExp(`^agent-${SUFFIX}{5}$`));
        expect(owner(p.meta.ownerReferences)).toEqual(['DaemonSet/agent controller=true']);
        expect(p.meta.labels['pod-template-generation']).toBe('1');
      }
    });
  }

  it('Job -> parallelism pods <name>-<5 chars> with job-name and controller-uid labels', () => {
    const { cluster, issues } = fill(`
      apiVersion: batch/v1
      kind: Job
      metadata: {name: migrate, namespace: shop, uid: 0a1b2c3d-0000-4000-8000-000000000001}
      spec:
        parallelism: 2
        template:
          spec:
            restartPolicy: Never
            containers: [{name: migrate, image: busybox}]
    `);
    expect(problems(issues)).toEqual([]);
    const pods = podsIn(cluster, 'shop');
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.meta.name).toMatch(new RegExp(`^migrate-${SUFFIX}{5}$`));
      expect(p.meta.labels).toMatchObject({
        'batch.kubernetes.io/job-name': 'migrate', 'job-name': 'migrate',
        'batch.kubernetes.io/controller-uid': '0a1b2c3d-0000-4000-8000-000000000001',
        'controller-uid': '0a1b2c3d-0000-4000-8000-000000000001',
      });
      expect(owner(p.meta.ownerReferences)).toEqual(['Job/migrate controller=true']);
    }
  });

  it('bare ReplicaSet -> pods <name>-<5 chars>', () => {
    const { cluster } = fill(deployment.replace('kind: Deployment', 'kind: ReplicaSet'));
    const pods = podsIn(cluster, 'shop');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.meta.name).toMatch(new RegExp(`^web-${SUFFIX}{5}$`));
      expect(owner(p.meta.ownerReferences)).toEqual(['ReplicaSet/web controller=true']);
    }
  });

  it('ReplicationController without spec.selector -> the selector defaults to the template labels; pods <name>-<5 chars>', () => {
    const { cluster, issues } = fill(`
apiVersion: v1
kind: ReplicationController
metadata: {name: backend, namespace: stars}
spec:
  replicas: 2${template('{role: backend}')}
`);
    expect(problems(issues)).toEqual([]);
    const rc = cluster.workloads.find((w) => w.kind === 'ReplicationController')!;
    expect(rc.selector.key).toBe('role=backend');
    const pods = podsIn(cluster, 'stars');
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.meta.name).toMatch(new RegExp(`^backend-${SUFFIX}{5}$`));
      expect(p.meta.labels).toEqual({ role: 'backend' });
      expect(owner(p.meta.ownerReferences)).toEqual(['ReplicationController/backend controller=true']);
    }
  });

  it('ReplicationController with a selector map that is not the template\'s labels -> refused as the API server does', () => {
    const { issues } = fill(`
apiVersion: v1
kind: ReplicationController
metadata: {name: backend, namespace: stars}
spec:
  selector: {role: db}${template('{role: backend}')}
`);
    expect(problems(issues).join('\n')).toMatch(/selector` does not match template `labels`/);
  });

  it('a dump\'s pods owned by a ReplicaSet owned by a Deployment -> no new pods, no new ReplicaSet', () => {
    const { cluster, issues } = fill(`${deployment}---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7d4b9c8f5
  namespace: shop
  labels: {app: web, pod-template-hash: 7d4b9c8f5}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u-web, controller: true}]
spec:
  replicas: 1
  selector: {matchLabels: {app: web, pod-template-hash: 7d4b9c8f5}}${template('{app: web, pod-template-hash: 7d4b9c8f5}')}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d4b9c8f5-x2k9q
  namespace: shop
  labels: {app: web, pod-template-hash: 7d4b9c8f5}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c8f5, uid: u-rs, controller: true}]
spec:
  nodeName: node-2
  containers: [{name: app, image: nginx, ports: [{containerPort: 8080, name: http}]}]
status:
  phase: Running
  podIP: 10.244.1.9
`);
    expect(problems(issues)).toEqual([]);
    expect(podsIn(cluster, 'shop').map((p) => `${p.meta.name} ${p.spec.nodeName} ${p.status.podIPs.join(',')}`))
      .toEqual(['web-7d4b9c8f5-x2k9q node-2 10.244.1.9']);
    expect(cluster.workloads.filter((w) => w.meta.namespace === 'shop').map((w) => `${w.kind}/${w.meta.name}`))
      .toEqual(['Deployment/web', 'ReplicaSet/web-7d4b9c8f5']);
  });

  it('same input twice -> identical names, nodes, pod IPs, ClusterIPs and NodePorts', () => {
    const yaml = `${deployment}---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`;
    const view = (pods: readonly Pod[]) => pods.map((p) => `${p.meta.namespace}/${p.meta.name} ${p.spec.nodeName} ${p.status.podIPs.join(',')}`);
    const a = fill(yaml).cluster;
    const b = fill(yaml).cluster;
    expect(view(b.pods)).toEqual(view(a.pods));
    const svc = (c: typeof a) => c.services.map((s) => `${s.meta.name} ${s.clusterIPs.join(',')} ${s.ports.map((p) => p.nodePort).join(',')}`);
    expect(svc(b)).toEqual(svc(a));
    expect(b.endpointSlices.map((s) => s.meta.name)).toEqual(a.endpointSlices.map((s) => s.meta.name));
  });
});
