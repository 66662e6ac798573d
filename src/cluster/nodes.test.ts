import { describe, expect, it } from 'vitest';
import type { Node } from '../model/types.js';
import { clusterConfig, fill, problems } from './test-support/cluster.js';

/** A node as `name podCIDRs internalIPs`, like `kubectl get nodes -o custom-columns`. */
function nodeLine(n: Node): string {
  return `${n.meta.name} ${n.podCIDRs.map((c) => c.text).join(',') || '<none>'} ${n.internalIPs.join(',') || '<none>'}`;
}

const pod = (name: string, nodeName: string, ip: string, hostIP = ''): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop}
spec:
  nodeName: ${nodeName}
  containers: [{name: app, image: nginx}]
${ip ? `status:\n  phase: Running\n  podIP: ${ip}\n${hostIP ? `  hostIP: ${hostIP}\n` : ''}` : ''}`;

const node = (name: string, podCIDR: string, ip: string): string => `
apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels: {kubernetes.io/hostname: ${name}}
spec:
${podCIDR ? `  podCIDR: ${podCIDR}\n  podCIDRs: [${podCIDR}]` : '  {}'}
status:
  addresses:
  - {type: InternalIP, address: ${ip}}
  - {type: Hostname, address: ${name}}
`;

interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly nodes: readonly string[];
  readonly problems?: readonly string[];
}

describe('fillNodes: nodes as the control plane completes them', () => {
  const cases: Case[] = [
    {
      name: 'no nodes given -> node-1..3, a /24 each from 10.244.0.0/16, InternalIPs from 172.18.0.2',
      yaml: '',
      nodes: [
        'node-1 10.244.0.0/24 172.18.0.2',
        'node-2 10.244.1.0/24 172.18.0.3',
        'node-3 10.244.2.0/24 172.18.0.4',
      ],
    },
    {
      name: 'nodeCount -> that many nodes',
      yaml: clusterConfig('nodeCount: 1'),
      nodes: ['node-1 10.244.0.0/24 172.18.0.2'],
    },
    {
      name: 'Cluster.nodes -> nodes with those names, in that order',
      yaml: clusterConfig(`
        nodes:
        - name: control-plane
        - name: worker-a
      `),
      nodes: ['control-plane 10.244.0.0/24 172.18.0.2', 'worker-a 10.244.1.0/24 172.18.0.3'],
    },
    {
      name: 'a dump without Node objects -> nodes named by the pods\' nodeName, sorted',
      yaml: [pod('b', 'worker-b', '10.244.1.5'), pod('a', 'worker-a', '10.244.0.5'), pod('c', 'worker-b', '10.244.1.6')].join('---\n'),
      nodes: ['worker-a 10.244.0.0/24 172.18.0.2', 'worker-b 10.244.1.0/24 172.18.0.3'],
    },
    {
      name: 'a dump without Node objects -> each node\'s podCIDR is the /24 its pods\' IPs lie in, the rest get free ones',
      yaml: [pod('a', 'worker-a', '10.244.7.5'), pod('b', 'worker-b', '10.244.3.5'), pod('c', 'worker-c', '')].join('---\n'),
      nodes: ['worker-a 10.244.7.0/24 172.18.0.2', 'worker-b 10.244.3.0/24 172.18.0.3', 'worker-c 10.244.0.0/24 172.18.0.4'],
    },
    {
      name: 'an explicit nodeCount wins over the names pods are bound to',
      yaml: [clusterConfig('nodeCount: 2'), pod('a', 'node-2', '')].join('---\n'),
      nodes: ['node-1 10.244.0.0/24 172.18.0.2', 'node-2 10.244.1.0/24 172.18.0.3'],
    },
    {
      name: 'Node objects -> given podCIDR and InternalIP honoured, the next free /24 skips the taken one',
      yaml: [node('a', '', '172.18.0.10'), node('b', '10.244.0.0/24', '172.18.0.11'), node('c', '', '172.18.0.12')].join('---\n'),
      nodes: ['a 10.244.1.0/24 172.18.0.10', 'b 10.244.0.0/24 172.18.0.11', 'c 10.244.2.0/24 172.18.0.12'],
    },
    {
      name: 'Node objects without InternalIP -> the first free node address, skipping given ones',
      yaml: [node('a', '10.244.0.0/24', '172.18.0.2'), `apiVersion: v1\nkind: Node\nmetadata: {name: b}\n`].join('---\n'),
      nodes: ['a 10.244.0.0/24 172.18.0.2', 'b 10.244.1.0/24 172.18.0.3'],
    },
    {
      name: 'overlapping podCIDRs -> error naming the other node',
      yaml: [node('a', '10.244.0.0/24', '172.18.0.2'), node('b', '10.244.0.0/16', '172.18.0.3')].join('---\n'),
      nodes: ['a 10.244.0.0/24 172.18.0.2', 'b 10.244.0.0/16 172.18.0.3'],
      problems: [
        'error: pod-cidr-overlap: podCIDR 10.244.0.0/16 overlaps 10.244.0.0/24 of node a: pods on these nodes get clashing addresses and cross-node routes are ambiguous',
      ],
    },
    {
      name: 'flannel: a podCIDR outside the pod subnet the Cluster object states -> warning',
      yaml: [clusterConfig('networking: {cni: flannel, podSubnet: 10.244.0.0/16}'), node('a', '10.200.0.0/24', '172.18.0.2')].join('---\n'),
      nodes: ['a 10.200.0.0/24 172.18.0.2'],
      problems: ["warning: pod-cidr-outside-subnet: podCIDR 10.200.0.0/24 is outside the cluster's pod subnet 10.244.0.0/16"],
    },
    {
      name: 'no Cluster object: the pod subnet follows the nodes\' podCIDRs, no warning',
      yaml: [node('a', '10.200.0.0/24', '172.18.0.2'), node('b', '', '172.18.0.3')].join('---\n'),
      nodes: ['a 10.200.0.0/24 172.18.0.2', 'b 10.200.1.0/24 172.18.0.3'],
    },
    {
      name: 'no Node objects: each node from its pods, hostIP as InternalIP, the block its pods live in as podCIDR',
      yaml: [pod('p1', 'w1', '10.32.4.7', '10.0.1.10'), pod('p2', 'w1', '10.32.4.9', '10.0.1.10'), pod('p3', 'w2', '10.32.5.3', '10.0.1.11')].join('---\n'),
      nodes: ['w1 10.32.4.0/24 10.0.1.10', 'w2 10.32.5.0/24 10.0.1.11'],
    },
    {
      name: 'no Node objects, Calico blocks shared across nodes: no podCIDR guessed from them',
      yaml: [pod('p1', 'w1', '192.168.9.2', '10.0.1.10'), pod('p2', 'w2', '192.168.9.3', '10.0.1.11')].join('---\n'),
      nodes: ['w1 192.168.0.0/24 10.0.1.10', 'w2 192.168.1.0/24 10.0.1.11'],
    },
    {
      name: 'networking.nodeCidrMaskSize: 26 -> /26 podCIDRs',
      yaml: clusterConfig(`
        networking: {nodeCidrMaskSize: 26}
        nodeCount: 2
      `),
      nodes: ['node-1 10.244.0.0/26 172.18.0.2', 'node-2 10.244.0.64/26 172.18.0.3'],
    },
    {
      name: 'a pod pinned by nodeName, no nodes given -> node-1..3 and the pinned node',
      yaml: pod('pinned', 'worker-7', ''),
      nodes: ['node-1 10.244.0.0/24 172.18.0.2', 'node-2 10.244.1.0/24 172.18.0.3', 'node-3 10.244.2.0/24 172.18.0.4', 'worker-7 10.244.3.0/24 172.18.0.5'],
    },
    {
      name: 'nodeCount 2 and pods pinned to node-2 and worker-b -> node-1, node-2 and worker-b',
      yaml: [clusterConfig('nodeCount: 2'), pod('a', 'node-2', ''), pod('b', 'worker-b', '')].join('---\n'),
      nodes: ['node-1 10.244.0.0/24 172.18.0.2', 'node-2 10.244.1.0/24 172.18.0.3', 'worker-b 10.244.2.0/24 172.18.0.4'],
    },
    {
      name: 'Node objects and a pod pinned to another node -> not inferred: the pod cannot run',
      yaml: [node('a', '10.244.0.0/24', '172.18.0.2'), pod('p', 'ghost', '')].join('---\n'),
      nodes: ['a 10.244.0.0/24 172.18.0.2'],
      problems: ['error: unknown-node: pod is bound to node "ghost", which does not exist'],
    },
    {
      name: 'azure mode -> no podCIDR (pods take VNet addresses, the node allocates none)',
      yaml: clusterConfig(`
        networking: {cni: azure}
        nodeCount: 2
      `),
      nodes: ['node-1 <none> 172.18.0.2', 'node-2 <none> 172.18.0.3'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { cluster, issues } = fill(c.yaml);
      expect(cluster.nodes.map(nodeLine)).toEqual(c.nodes);
      expect(problems(issues)).toEqual(c.problems ?? []);
    });
  }

  it('a pinned pod is placed on its inferred node, with a note saying so; the rest spread as ever', () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
`;
    const { cluster, issues } = fill([pod('pinned', 'worker-7', ''), deployment].join('---\n'));
    const where = cluster.pods.filter((p) => p.meta.namespace === 'shop').map((p) => `${p.meta.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, '-*')} ${p.spec.nodeName}`).sort();
    // kube-system's two CoreDNS pods are on node-1 and node-2 already.
    expect(where).toEqual(['pinned worker-7', 'web-* node-1', 'web-* node-2', 'web-* node-3', 'web-* node-3']);
    expect(issues.filter((i) => i.code === 'node-inferred').map((i) => `${i.line}:${i.col} ${i.object}: ${i.message}`)).toEqual([
      '5:13 Pod shop/pinned: node "worker-7" is not among the cluster\'s 3 nodes; knet adds it, since the pod is pinned to it',
    ]);
  });

  it('generated nodes carry the kubelet\'s well-known labels', () => {
    const { cluster } = fill(clusterConfig('nodes: [{name: worker-a, labels: {disk: ssd}}]'));
    expect(cluster.nodes[0]!.meta.labels).toEqual({
      'disk': 'ssd', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': 'worker-a', 'kubernetes.io/os': 'linux',
    });
  });
});
