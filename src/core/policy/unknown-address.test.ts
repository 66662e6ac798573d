// Egress to an address knet does not know, decided by port where it can be: one case per
// rule, on the xyz model's pod x/a (IPv4 only unless a case says otherwise).
import { describe, expect, it } from 'vitest';
import type { Family } from '../../model/ip.js';
import { PolicyIndex } from './evaluate.js';
import { xyzCluster } from './test-support/xyz-model.js';
import { evaluateEgressToUnknownAddress } from './unknown-address.js';

const egress = (rules: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: out, namespace: x}\nspec: {podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [${rules}]}\n`;

function verdict(rules: string | null, families: Family[] = [4], port = 443): string {
  const { cluster } = xyzCluster(rules === null ? '' : egress(rules));
  const a = cluster.pods.find((p) => p.meta.namespace === 'x' && p.meta.name === 'a')!;
  const v = evaluateEgressToUnknownAddress(new PolicyIndex(cluster.networkPolicies), a, { port, protocol: 'TCP' }, families);
  switch (v.kind) {
    case 'allowed': return `allowed by ${v.by}[${v.rule}]${v.publicOnly ? ' (public)' : ''}`;
    case 'depends': return `depends on ${v.blocks.map((b) => b.block).join(', ')}`;
    default: return v.kind;
  }
}

const cases: readonly [rule: string, rules: string | null, families: Family[], port: number, expected: string][] = [
  ['no egress policy -> not isolated', null, [4], 443, 'not-isolated'],
  ['a rule with ports and no peers -> any address', '{ports: [{protocol: TCP, port: 443}]}', [4], 443, 'allowed by x/out[0]'],
  ['another port only -> denied', '{ports: [{protocol: TCP, port: 80}]}', [4], 443, 'denied'],
  ['selectors never match an outside address -> denied', '{to: [{namespaceSelector: {}}]}', [4], 443, 'denied'],
  ['0.0.0.0/0 -> every IPv4 address', '{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}', [4], 443, 'allowed by x/out[0]'],
  ['0.0.0.0/0 for a dual-stack pod -> depends (the name may resolve to IPv6)', '{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}', [4, 6], 443, 'depends on 0.0.0.0/0'],
  ['0.0.0.0/0 and ::/0 for a dual-stack pod -> any address', '{to: [{ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: "::/0"}}]}', [4, 6], 443, 'allowed by x/out[0]'],
  ['0.0.0.0/0 except private ranges -> every public address', '{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12]}}]}', [4], 443, 'allowed by x/out[0] (public)'],
  ['0.0.0.0/0 except a public range -> depends', '{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [8.8.8.0/24]}}]}', [4], 443, 'depends on 0.0.0.0/0 except 8.8.8.0/24'],
  ['10.0.0.0/8 only -> depends on the address', '{to: [{ipBlock: {cidr: 10.0.0.0/8}}], ports: [{protocol: TCP, port: 443}]}', [4], 443, 'depends on 10.0.0.0/8'],
  ['a named port never matches an outside address -> denied', '{ports: [{protocol: TCP, port: https}]}', [4], 443, 'denied'],
];

describe('egress to an unknown address', () => {
  it.each(cases)('%s', (_rule, rules, families, port, expected) => {
    expect(verdict(rules, families, port)).toBe(expected);
  });
});
