import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../cluster/fill-in.js';
import { parseIP } from '../../model/ip.js';
import type { Pod } from '../../model/types.js';
import { policyEnforcement } from './enforcement.js';
import { evaluateEgress, evaluateFlow, evaluateIngress, PolicyIndex } from './evaluate.js';
import { externalPeer, namespaceLabelMap, nodePeer, podPeer, type Peer } from './peer.js';
import { describeFlow, describeVerdict, type FlowVerdict, type Traffic, type Verdict } from './verdict.js';
import { xyzCluster } from './test-support/xyz-model.js';

const np = (ns: string, name: string, spec: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec.replace(/^\n/, '').split('\n').map((l) => `  ${l}`).join('\n')}\n`;

/** Extra pods: a hostNetwork agent on the node of x/a, and two pods whose port "web" has different numbers. */
function extraPods(node: string): string {
  return [
    `apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: x, labels: {pod: agent}}\nspec:\n  nodeName: ${node}\n  hostNetwork: true\n  containers:\n  - name: agent\n    image: agent\n    ports: [{name: metrics, containerPort: 9100}]\n`,
    `apiVersion: v1\nkind: Pod\nmetadata: {name: web80, namespace: z, labels: {app: web}}\nspec:\n  containers:\n  - name: w\n    image: w\n    ports: [{name: web, containerPort: 80}]\n`,
    `apiVersion: v1\nkind: Pod\nmetadata: {name: web81, namespace: z, labels: {app: web}}\nspec:\n  containers:\n  - name: w\n    image: w\n    ports: [{name: web, containerPort: 81}, {name: dns, containerPort: 53, protocol: UDP}]\n`,
  ].join('---\n');
}

function world(policies: string): { cluster: Cluster; index: PolicyIndex; peer: (ref: string) => Peer; pod: (ref: string) => Pod } {
  const node = xyzCluster().cluster.pods.find((p) => p.meta.name === 'a' && p.meta.namespace === 'x')!.spec.nodeName;
  const { cluster, issues } = xyzCluster([extraPods(node), policies].filter(Boolean).join('---\n'));
  expect(issues.filter((i) => i.severity === 'error').map((i) => i.message)).toEqual([]);
  const labels = namespaceLabelMap(cluster.namespaces);
  const pod = (ref: string) => {
    const p = cluster.pods.find((x) => `${x.meta.namespace}/${x.meta.name}` === ref);
    if (!p) throw new Error(`no pod ${ref}`);
    return p;
  };
  return { cluster, index: new PolicyIndex(cluster.networkPolicies), pod, peer: (ref) => podPeer(pod(ref), labels.get(ref.split('/')[0]!)!) };
}

const TCP80: Traffic = { port: 80, protocol: 'TCP' };

/** A pod of namespace x on the hostNetwork agent's node (the scheduler may move x/a when the agent is pinned). */
function besideAgent(w: ReturnType<typeof world>): string {
  const node = w.pod('x/agent').spec.nodeName;
  const p = w.cluster.pods.find((q) => q.meta.namespace === 'x' && q.meta.name !== 'agent' && q.spec.nodeName === node && !q.spec.hostNetwork);
  expect(p, `a pod of x on ${node}`).toBeDefined();
  return `x/${p!.meta.name}`;
}
const ip = (s: string) => parseIP(s)!;

interface Case {
  readonly name: string;
  readonly policies: string;
  readonly check: (w: ReturnType<typeof world>) => Verdict | FlowVerdict;
  readonly want: string;
}

const cases: Case[] = [
  { name: 'no policy selects the pod -> not isolated',
    policies: '', check: (w) => evaluateIngress(w.index, w.pod('x/a'), w.peer('y/a'), TCP80),
    want: 'ingress not isolated: no policy selects the pod for ingress' },
  { name: 'isolated pod, no matching ingress rule -> denied, naming every isolating policy',
    policies: [np('x', 'deny-a', 'podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Ingress]'), np('x', 'deny-all', 'podSelector: {}\npolicyTypes: [Ingress]')].join('---\n'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), w.peer('y/a'), TCP80),
    want: 'ingress denied: isolated by x/deny-a, x/deny-all, and no ingress rule of theirs matches' },
  { name: 'isolation is per direction: an Ingress-only policy leaves egress open',
    policies: np('x', 'deny-in', 'podSelector: {}\npolicyTypes: [Ingress]'),
    check: (w) => evaluateEgress(w.index, w.pod('x/a'), w.peer('y/a'), TCP80),
    want: 'egress not isolated: no policy selects the pod for egress' },
  { name: 'allowed -> the policy and the index of the rule that allowed it',
    policies: np('x', 'two-rules', 'podSelector: {}\ningress:\n- from: [{podSelector: {matchLabels: {pod: b}}}]\n- from: [{namespaceSelector: {matchLabels: {ns: y}}}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), w.peer('y/c'), TCP80),
    want: 'ingress allowed by x/two-rules spec.ingress[1]' },
  { name: 'the union of policies: a second policy allows what the first does not',
    policies: [np('x', 'a-from-b', 'podSelector: {}\ningress:\n- from: [{podSelector: {matchLabels: {pod: b}}}]'), np('x', 'b-from-y', 'podSelector: {}\ningress:\n- from: [{namespaceSelector: {matchLabels: {ns: y}}}]')].join('---\n'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), w.peer('y/a'), TCP80),
    want: 'ingress allowed by x/b-from-y spec.ingress[0]' },
  { name: 'podSelector alone -> the policy namespace only, not a same-labelled pod elsewhere',
    policies: np('x', 'from-b', 'podSelector: {}\ningress:\n- from: [{podSelector: {matchLabels: {pod: b}}}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), w.peer('y/b'), TCP80),
    want: 'ingress denied: isolated by x/from-b, and no ingress rule of theirs matches' },
  { name: 'ipBlock matches a pod IP',
    policies: np('x', 'cidr', 'podSelector: {}\ningress:\n- from: [{ipBlock: {cidr: 10.244.0.0/16}}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), w.peer('y/b'), TCP80),
    want: 'ingress allowed by x/cidr spec.ingress[0]' },
  { name: 'ipBlock except carves an address out',
    policies: np('x', 'cidr', 'podSelector: {}\ningress:\n- from: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), externalPeer(ip('203.0.113.200')), TCP80),
    want: 'ingress denied: isolated by x/cidr, and no ingress rule of theirs matches' },
  { name: 'ipBlock outside the except -> allowed',
    policies: np('x', 'cidr', 'podSelector: {}\ningress:\n- from: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), externalPeer(ip('203.0.113.7')), TCP80),
    want: 'ingress allowed by x/cidr spec.ingress[0]' },
  { name: 'selectors never match an outside address, even namespaceSelector {}',
    policies: np('x', 'all-ns', 'podSelector: {}\ningress:\n- from: [{namespaceSelector: {}}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), externalPeer(ip('203.0.113.7')), TCP80),
    want: 'ingress denied: isolated by x/all-ns, and no ingress rule of theirs matches' },
  { name: 'an empty from list matches every peer, outside addresses included',
    policies: np('x', 'any', 'podSelector: {}\ningress:\n- ports: [{port: 80}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), externalPeer(ip('198.51.100.9')), TCP80),
    want: 'ingress allowed by x/any spec.ingress[0]' },
  { name: 'named port resolves on the destination pod by name: web = 80 on z/web80',
    policies: np('z', 'web', 'podSelector: {matchLabels: {app: web}}\ningress:\n- ports: [{port: web}]'),
    check: (w) => evaluateIngress(w.index, w.pod('z/web80'), w.peer('x/a'), TCP80),
    want: 'ingress allowed by z/web spec.ingress[0]' },
  { name: 'named port: the same name means 81 on z/web81, so port 80 is denied there',
    policies: np('z', 'web', 'podSelector: {matchLabels: {app: web}}\ningress:\n- ports: [{port: web}]'),
    check: (w) => evaluateIngress(w.index, w.pod('z/web81'), w.peer('x/a'), TCP80),
    want: 'ingress denied: isolated by z/web, and no ingress rule of theirs matches' },
  { name: 'named port must match the protocol too: {TCP, dns} does not name UDP 53',
    policies: np('z', 'dns', 'podSelector: {matchLabels: {app: web}}\ningress:\n- ports: [{port: dns}]'),
    check: (w) => evaluateIngress(w.index, w.pod('z/web81'), w.peer('x/a'), { port: 53, protocol: 'UDP' }),
    want: 'ingress denied: isolated by z/dns, and no ingress rule of theirs matches' },
  { name: 'named egress port resolves on the destination, not on the source',
    policies: np('x', 'egress-web', 'podSelector: {}\npolicyTypes: [Egress]\negress:\n- ports: [{port: web}]'),
    check: (w) => evaluateEgress(w.index, w.pod('x/a'), w.peer('z/web81'), { port: 81, protocol: 'TCP' }),
    want: 'egress allowed by x/egress-web spec.egress[0]' },
  { name: 'endPort: the last port of the range is included',
    policies: np('x', 'range', 'podSelector: {}\ningress:\n- ports: [{port: 8000, endPort: 8080}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), w.peer('y/a'), { port: 8080, protocol: 'TCP' }),
    want: 'ingress allowed by x/range spec.ingress[0]' },
  { name: 'endPort: one past the range is denied',
    policies: np('x', 'range', 'podSelector: {}\ningress:\n- ports: [{port: 8000, endPort: 8080}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), w.peer('y/a'), { port: 8081, protocol: 'TCP' }),
    want: 'ingress denied: isolated by x/range, and no ingress rule of theirs matches' },
  { name: 'SCTP is its own protocol: an SCTP rule allows SCTP',
    policies: np('x', 'sctp', 'podSelector: {}\ningress:\n- ports: [{port: 80, protocol: SCTP}]'),
    check: (w) => evaluateIngress(w.index, w.pod('x/a'), w.peer('y/a'), { port: 80, protocol: 'SCTP' }),
    want: 'ingress allowed by x/sctp spec.ingress[0]' },
  { name: 'both ends must allow: an egress deny at the source beats an ingress allow',
    policies: [np('x', 'deny-out', 'podSelector: {}\npolicyTypes: [Egress]'), np('y', 'allow-in', 'podSelector: {}\ningress:\n- {}')].join('---\n'),
    check: (w) => evaluateFlow(w.index, w.peer('x/a'), w.peer('y/a'), TCP80),
    want: 'denied: egress denied: isolated by x/deny-out, and no egress rule of theirs matches; ingress allowed by y/allow-in spec.ingress[0]' },
  { name: 'a pod reaching its own IP is always allowed',
    policies: np('x', 'deny-all', 'podSelector: {}\npolicyTypes: [Ingress, Egress]'),
    check: (w) => evaluateFlow(w.index, w.peer('x/a'), w.peer('x/a'), TCP80),
    want: 'allowed: a pod reaching its own IP never leaves its network namespace' },
  { name: 'traffic from the pod\'s own node is always allowed (kubelet probes)',
    policies: np('x', 'deny-all', 'podSelector: {}\npolicyTypes: [Ingress]'),
    check: (w) => evaluateFlow(w.index, nodePeer(w.pod('x/a').spec.nodeName, ip('172.18.0.99')), w.peer('x/a'), TCP80),
    want: 'allowed: traffic between a pod and its own node is always allowed' },
  { name: 'traffic from another node is ordinary traffic: denied under default-deny',
    policies: np('x', 'deny-all', 'podSelector: {}\npolicyTypes: [Ingress]'),
    check: (w) => evaluateFlow(w.index, nodePeer('elsewhere', ip('172.18.0.99')), w.peer('x/a'), TCP80),
    want: 'denied: egress not isolated: no policy selects the pod for egress; ingress denied: isolated by x/deny-all, and no ingress rule of theirs matches' },
  { name: 'a hostNetwork pod on the same node counts as the node -> allowed',
    policies: np('x', 'deny-all', 'podSelector: {}\npolicyTypes: [Ingress]'),
    check: (w) => evaluateFlow(w.index, w.peer('x/agent'), w.peer(besideAgent(w)), TCP80),
    want: 'allowed: traffic between a pod and its own node is always allowed' },
  { name: 'hostNetwork pods are not selected: podSelector {} does not isolate them',
    policies: np('x', 'deny-all', 'podSelector: {}\npolicyTypes: [Ingress, Egress]'),
    check: (w) => evaluateFlow(w.index, externalPeer(ip('203.0.113.7')), w.peer('x/agent'), TCP80),
    want: 'allowed: egress not isolated: no policy selects the pod for egress; ingress not isolated: no policy selects the pod for ingress' },
  { name: 'hostNetwork pods are not matched by selectors, even podSelector {}',
    policies: np('y', 'from-x', 'podSelector: {}\ningress:\n- from: [{namespaceSelector: {matchLabels: {ns: x}}, podSelector: {}}]'),
    check: (w) => evaluateIngress(w.index, w.pod('y/a'), w.peer('x/agent'), TCP80),
    want: 'ingress denied: isolated by y/from-x, and no ingress rule of theirs matches' },
];

describe('NetworkPolicy v1 rules, verdicts with their reasons', () => {
  for (const c of cases) {
    it(c.name, () => {
      const w = world(c.policies);
      const v = c.check(w);
      const text = 'egress' in v ? describeFlow(v) : describeVerdict(v, c.want.startsWith('egress') ? 'Egress' : 'Ingress');
      expect(text).toBe(c.want);
    });
  }

  it('verdicts are data: allowed carries the policy ref and rule index', () => {
    const w = world(np('x', 'p', 'podSelector: {}\ningress:\n- from: [{podSelector: {matchLabels: {pod: b}}}]'));
    expect(evaluateIngress(w.index, w.pod('x/a'), w.peer('x/b'), TCP80)).toEqual({ kind: 'allowed', by: 'x/p', rule: 0 });
    expect(evaluateIngress(w.index, w.pod('x/a'), w.peer('x/c'), TCP80)).toEqual({ kind: 'denied', isolatedBy: ['x/p'] });
  });
});

describe('enforcement depends on the network plugin', () => {
  it('flannel -> not enforced, with the reason', () => {
    expect(policyEnforcement('flannel')).toMatchObject({ kind: 'not-enforced' });
  });
  it.each(['calico', 'azure', 'kubenet'] as const)('%s -> enforced', (cni) => {
    expect(policyEnforcement(cni)).toEqual({ kind: 'enforced', cni });
  });
});
