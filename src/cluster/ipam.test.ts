import { describe, expect, it } from 'vitest';
import type { Issue } from '../model/issue.js';
import type { Pod } from '../model/types.js';
import type { Cluster } from './fill-in.js';
import { clusterConfig, fill } from './test-support/cluster.js';

/** A pod as `ns/name ip` (`ns/workload* ip` for pods knet generated), `<none>` without an address. */
function podLine(p: Pod): string {
  const who = p.generatedBy ? `${p.generatedBy.split(' ')[1]}*` : `${p.meta.namespace}/${p.meta.name}`;
  return `${who} ${p.status.podIPs.join(',') || '<none>'}`;
}

/** The pods bound to a node, in the order they were handed their addresses. */
function onNode(c: Cluster, node: string): string[] {
  return c.pods.filter((p) => p.spec.nodeName === node).map(podLine);
}

function errors(issues: readonly Issue[]): string[] {
  return issues.filter((i) => i.severity !== 'info').map((i) => `${i.severity}: ${i.object}: ${i.message}`);
}

const oneNode = clusterConfig('nodeCount: 1');

const deployment = (name: string, replicas: number, extra = ''): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:${extra}
      containers: [{name: app, image: nginx}]
`;

const boundPod = (name: string, node: string, ip: string, extra = ''): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop}
spec:
  nodeName: ${node}${extra}
  containers: [{name: app, image: nginx}]
status:
  phase: Running
  podIP: ${ip}
`;

const node = (name: string, podCIDR: string, ip: string): string => `
apiVersion: v1
kind: Node
metadata: {name: ${name}}
spec: {podCIDR: ${podCIDR}}
status:
  addresses: [{type: InternalIP, address: ${ip}}]
`;

interface Case {
  readonly name: string;
  readonly yaml: readonly string[];
  readonly node: string;
  readonly pods: readonly string[];
  readonly issues?: readonly string[];
}

describe('assignPodIPs: host-local on each node\'s podCIDR', () => {
  const cases: Case[] = [
    {
      name: 'first pod gets .2: .0 is the network, .1 the gateway (cni0 bridge)',
      yaml: [oneNode, deployment('web', 2)],
      node: 'node-1',
      pods: [
        'kube-system/coredns* 10.244.0.2',
        'kube-system/coredns* 10.244.0.3',
        'shop/web* 10.244.0.4',
        'shop/web* 10.244.0.5',
      ],
    },
    {
      name: 'a second node hands out its own podCIDR from .2',
      yaml: [clusterConfig('nodeCount: 2'), deployment('web', 2)],
      node: 'node-2',
      pods: ['kube-system/coredns* 10.244.1.2', 'shop/web* 10.244.1.3'],
    },
    {
      name: 'given pod IPs kept, and skipped by new allocations',
      yaml: [oneNode, boundPod('old-a', 'node-1', '10.244.0.2'), boundPod('old-b', 'node-1', '10.244.0.4'), deployment('web', 1)],
      node: 'node-1',
      pods: [
        'shop/old-a 10.244.0.2',
        'shop/old-b 10.244.0.4',
        'kube-system/coredns* 10.244.0.3',
        'kube-system/coredns* 10.244.0.5',
        'shop/web* 10.244.0.6',
      ],
    },
    {
      name: 'duplicate pod IPs -> error on the second pod naming the first',
      yaml: [oneNode, boundPod('a', 'node-1', '10.244.0.7'), boundPod('b', 'node-1', '10.244.0.7')],
      node: 'node-1',
      pods: ['shop/a 10.244.0.7', 'shop/b 10.244.0.7', 'kube-system/coredns* 10.244.0.2', 'kube-system/coredns* 10.244.0.3'],
      issues: [
        'error: Pod shop/b: pod IP 10.244.0.7 is also the IP of pod shop/a: every pod needs its own address (Kubernetes networking rule 1)',
      ],
    },
    {
      name: 'flannel (stated) routes by podCIDR: a pod IP inside another node\'s podCIDR -> error naming where its packets go',
      yaml: [clusterConfig('networking: {cni: flannel}'), node('node-1', '10.244.0.0/24', '172.18.0.2'), node('node-2', '10.244.1.0/24', '172.18.0.3'), boundPod('stray', 'node-1', '10.244.1.9')],
      node: 'node-1',
      pods: ['kube-system/coredns* 10.244.0.2', 'shop/stray 10.244.1.9'],
      issues: [
        'error: Pod shop/stray: pod IP 10.244.1.9 is outside the podCIDR 10.244.0.0/24 of its node node-1 (flannel routes by podCIDR): the route to 10.244.1.0/24 goes to node-2, so packets for this pod from other nodes go to the wrong node',
      ],
    },
    {
      name: 'kubenet (stated): a pod IP in no node\'s podCIDR -> error: no route leads to it',
      yaml: [clusterConfig('networking: {cni: kubenet}'), node('node-1', '10.244.0.0/24', '172.18.0.2'), boundPod('stray', 'node-1', '10.244.9.9')],
      node: 'node-1',
      pods: ['kube-system/coredns* 10.244.0.2', 'kube-system/coredns* 10.244.0.3', 'shop/stray 10.244.9.9'],
      issues: [
        'error: Pod shop/stray: pod IP 10.244.9.9 is outside the podCIDR 10.244.0.0/24 of its node node-1 (kubenet routes by podCIDR): no node\'s podCIDR holds it, so no route leads to it and pods on other nodes cannot reach it',
      ],
    },
    {
      name: 'flannel inferred from the dump\'s kube-flannel pods: a pod IP outside its node\'s podCIDR -> warning',
      yaml: [node('node-1', '10.244.0.0/24', '172.18.0.2'), node('node-2', '10.244.1.0/24', '172.18.0.3'), boundPod('stray', 'node-1', '10.244.1.9'),
        boundPod('kube-flannel-ds-x7k2p', 'node-1', '172.18.0.2', '\n  hostNetwork: true').replace('namespace: shop', 'namespace: kube-flannel')],
      node: 'node-1',
      pods: ['shop/stray 10.244.1.9', 'kube-flannel/kube-flannel-ds-x7k2p 172.18.0.2'],
      issues: [
        'warning: Pod shop/stray: pod IP 10.244.1.9 is outside the podCIDR 10.244.0.0/24 of its node node-1 (flannel routes by podCIDR): the route to 10.244.1.0/24 goes to node-2, so packets for this pod from other nodes go to the wrong node',
      ],
    },
    {
      name: 'Calico IPAM (no Cluster object): a pod IP outside its node\'s podCIDR, even one borrowed from another node\'s block, is normal',
      yaml: [node('node-1', '10.244.0.0/24', '172.18.0.2'), node('node-2', '10.244.1.0/24', '172.18.0.3'), boundPod('a', 'node-1', '192.168.7.130'), boundPod('b', 'node-2', '192.168.7.131')],
      node: 'node-2',
      pods: ['shop/b 192.168.7.131', 'kube-system/coredns* 10.244.1.2'],
    },
    {
      name: 'a finished pod\'s address is free: a running pod holding it again is no duplicate',
      yaml: [node('node-1', '10.244.0.0/24', '172.18.0.2'), boundPod('done', 'node-1', '10.244.0.7').replace('phase: Running', 'phase: Succeeded'), boundPod('now', 'node-1', '10.244.0.7')],
      node: 'node-1',
      pods: ['kube-system/coredns* 10.244.0.2', 'kube-system/coredns* 10.244.0.3', 'shop/done 10.244.0.7', 'shop/now 10.244.0.7'],
    },
    {
      name: 'a Pending pod of a dump without podIP keeps no IP, on its node or on none',
      yaml: [node('node-1', '10.244.0.0/24', '172.18.0.2'), boundPod('waiting', 'node-1', '').replace('phase: Running', 'phase: Pending').replace('  podIP: \n', ''),
        boundPod('unplaced', '', '').replace('phase: Running', 'phase: Pending').replace('  podIP: \n', '').replace('  nodeName: \n', '')],
      node: 'node-1',
      pods: ['kube-system/coredns* 10.244.0.2', 'kube-system/coredns* 10.244.0.3', 'shop/waiting <none>'],
    },
    {
      name: '/28 node mask -> 13 addresses .2-.14 (never .0, .1 or broadcast .15), the 14th pod errors naming the node',
      yaml: [clusterConfig('networking: {nodeCidrMaskSize: 28}\nnodeCount: 1'), deployment('web', 12)],
      node: 'node-1',
      pods: [
        'kube-system/coredns* 10.244.0.2',
        'kube-system/coredns* 10.244.0.3',
        ...Array.from({ length: 11 }, (_, i) => `shop/web* 10.244.0.${i + 4}`),
        'shop/web* <none>',
      ],
      issues: [
        expect.stringMatching(/^error: Pod shop\/web-\w+-\w{5}: node node-1 has no free pod address left in 10\.244\.0\.0\/28: the pod stays in ContainerCreating$/) as unknown as string,
      ],
    },
    {
      name: 'hostNetwork pod -> the node\'s IP, and no address taken from the podCIDR',
      yaml: [clusterConfig('nodeCount: 2'), boundPod('agent', 'node-2', '', '\n  hostNetwork: true').replace(/status:[\s\S]*$/, ''), deployment('web', 1)],
      node: 'node-2',
      pods: ['shop/agent 172.18.0.3', 'shop/web* 10.244.1.2'],
    },
    {
      name: 'Succeeded pod -> keeps no address, takes none',
      yaml: [oneNode, boundPod('done', 'node-1', '').replace(/podIP: $/m, '').replace('phase: Running', 'phase: Succeeded')],
      node: 'node-1',
      pods: ['kube-system/coredns* 10.244.0.2', 'kube-system/coredns* 10.244.0.3', 'shop/done <none>'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { cluster, issues } = fill(c.yaml.join('---\n'));
      const pods = onNode(cluster, c.node);
      // Kept pods first, then the rest in allocation order.
      expect([...pods].sort(byInputOrder(c.pods))).toEqual(c.pods);
      expect(errors(issues)).toEqual(c.issues ?? []);
    });
  }

  it('hostNetwork pod -> hostIP and podIP are both the node\'s InternalIP', () => {
    const { cluster } = fill([clusterConfig('nodeCount: 2'), boundPod('agent', 'node-2', '', '\n  hostNetwork: true').replace(/status:[\s\S]*$/, '')].join('---\n'));
    const p = cluster.pods.find((x) => x.meta.name === 'agent')!;
    expect([p.status.podIPs, p.status.hostIP, p.status.phase]).toEqual([['172.18.0.3'], '172.18.0.3', 'Running']);
  });

  it('unschedulable pod (nodeSelector matching no node) -> Pending, no node, no IP, a warning', () => {
    const { cluster, issues } = fill(deployment('gpu', 1, '\n      nodeSelector: {accelerator: nvidia}'));
    const p = cluster.pods.find((x) => x.meta.namespace === 'shop')!;
    expect([p.spec.nodeName, p.status.phase, p.status.podIPs, p.status.ready]).toEqual(['', 'Pending', [], false]);
    expect(issues.filter((i) => i.code === 'unschedulable').map((i) => `${i.severity}: ${i.message}`)).toEqual([
      'warning: 0/3 nodes are available: no node matches nodeSelector {"accelerator":"nvidia"}; the pod stays Pending with no IP',
    ]);
  });
});

/** Orders observed lines as the expectation lists them, so one table states both. */
function byInputOrder(expected: readonly string[]): (a: string, b: string) => number {
  const rank = (s: string) => {
    const i = expected.indexOf(s);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return (a, b) => rank(a) - rank(b);
}

describe('schedulePods: spread to the least-loaded eligible node', () => {
  it('pods with tolerations scheduled between plain pods -> the plain pod still goes to the least-loaded node', () => {
    // node-2 runs a pinned pod; CoreDNS (tolerations) then takes node-1 twice; web must go to node-2.
    const { cluster } = fill([clusterConfig('nodeCount: 2'), boundPod('pinned', 'node-2', '10.244.1.2'), deployment('web', 1)].join('---\n'));
    const line = (p: Pod) => `${podLine(p)} ${p.spec.nodeName}`;
    expect(cluster.pods.map(line)).toEqual([
      'shop/pinned 10.244.1.2 node-2',
      'kube-system/coredns* 10.244.0.2 node-1',
      'kube-system/coredns* 10.244.0.3 node-1',
      'shop/web* 10.244.1.3 node-2',
    ]);
  });
});
