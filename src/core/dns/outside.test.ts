// Names outside the cluster, in a prediction of a real cluster: a public name the Cluster
// object does not list is the real upstream's (UNKNOWN), NXDOMAIN only where no upstream can
// hold the name; a nameserver outside the model answers UNKNOWN for every name; the running
// cluster's closed internet keeps NXDOMAIN.
import { describe, expect, it } from 'vitest';
import type { DnsConfig, DnsPolicy, Pod } from '../../model/types.js';
import { askServer, buildDnsIndex, resolveName } from './dns-server.js';
import type { QType } from './names.js';
import { resolveFromPod } from './pod-dns.js';
import { ask, fixture, podNamed } from './test-support/fixture.js';

type Case = readonly [rule: string, name: string, type: QType, expected: readonly string[]];

const cases: readonly Case[] = [
  ['a public name the Cluster object does not list -> UNKNOWN', 'api.github.com', 'A', ['UNKNOWN']],
  ['a listed external record -> its address', 'db.example.com', 'A', ['db.example.com. 30 IN A 203.0.113.90']],
  ['a listed external record without the type -> NODATA (the Cluster object says what it has)', 'db.example.com', 'AAAA', ['NODATA']],
  ['the parent of a listed name -> UNKNOWN (its own records are the upstream\'s)', 'example.com', 'A', ['UNKNOWN']],
  ['a single label -> NXDOMAIN (no address records at the root)', 'nosuchthing', 'A', ['NXDOMAIN']],
  ['a special-use name (RFC 6761) -> NXDOMAIN', 'db.test', 'A', ['NXDOMAIN']],
  ['a name in the cluster domain -> NXDOMAIN from the kubernetes plugin', 'nope.prod.svc.cluster.local', 'A', ['NXDOMAIN']],
  ['PTR of a public address no record has -> UNKNOWN', '8.8.8.8.in-addr.arpa', 'PTR', ['UNKNOWN']],
  ['PTR of an address in the cluster\'s ranges -> NXDOMAIN (falls through; no upstream names it)', '99.0.244.10.in-addr.arpa', 'PTR', ['NXDOMAIN']],
  ['an ExternalName to an unlisted public name -> its CNAME, the rest UNKNOWN', 'gone.prod.svc.cluster.local', 'A',
    ['gone.prod.svc.cluster.local. 30 IN CNAME nothing.example.org.']],
];

describe('names outside the cluster (open world)', () => {
  it.each(cases)('%s', (_rule, name, type, expected) => {
    expect(ask(name, type)).toEqual(expected);
  });

  it('UNKNOWN says where it came from: the forward plugin', () => {
    const a = resolveName(fixture().index, 'api.github.com', 'A');
    expect([a.rcode, a.source]).toEqual(['UNKNOWN', 'upstream']);
    expect(a.reasons).toContain('resolved upstream (forward . /etc/resolv.conf), address unknown to knet');
    expect(resolveName(fixture().index, 'gone.prod.svc.cluster.local', 'A').rcode).toBe('UNKNOWN');
  });

  it('the running cluster\'s internet is closed: an unlisted name is NXDOMAIN there', () => {
    const closed = buildDnsIndex(fixture().cluster, { upstream: 'closed' });
    expect(ask('api.github.com', 'A', closed)).toEqual(['NXDOMAIN']);
    expect(ask('gone.prod.svc.cluster.local', 'A', closed)).toEqual(['gone.prod.svc.cluster.local. 30 IN CNAME nothing.example.org.']);
    expect(resolveName(closed, 'gone.prod.svc.cluster.local', 'A').rcode).toBe('NOERROR');
  });
});

function podWith(ns: string, name: string, policy: DnsPolicy, dnsConfig: Partial<DnsConfig> = {}): Pod {
  const base = podNamed(fixture().cluster, ns, name);
  return { ...base, spec: { ...base.spec, dnsPolicy: policy, dnsConfig: { nameservers: [], searches: [], options: [], ...dnsConfig } } };
}

function lookup(pod: Pod, name: string): string[] {
  const { cluster, index } = fixture();
  const r = resolveFromPod(index, cluster, pod, name);
  return [...r.queries.map((q) => `${q.name} ${q.type} ${q.rcode}`), `-> ${r.resolved ? r.resolved.name : r.rcode}`];
}

describe('from a pod', () => {
  it('a public name from ClusterFirst: the search list, then the name as written, UNKNOWN; the ndots advice holds', () => {
    const { cluster, index } = fixture();
    const pod = podNamed(cluster, 'prod', 'api-2');
    expect(lookup(pod, 'api.github.com').slice(-3)).toEqual(['api.github.com. A UNKNOWN', 'api.github.com. AAAA UNKNOWN', '-> UNKNOWN']);
    const r = resolveFromPod(index, cluster, pod, 'api.github.com');
    expect(r.advice?.message).toMatch(/^api\.github\.com has 2 dots, fewer than ndots:5/);
  });

  it("a search domain of the node's (corp.example.com) is the upstream's: knet goes on, and says it assumed no such name", () => {
    const { cluster, index } = fixture();
    const pod = podNamed(cluster, 'prod', 'api-1'); // node-1: search corp.example.com
    expect(lookup(pod, 'nosuchsvc')).toEqual([
      'nosuchsvc.prod.svc.cluster.local. A NXDOMAIN', 'nosuchsvc.prod.svc.cluster.local. AAAA NXDOMAIN',
      'nosuchsvc.svc.cluster.local. A NXDOMAIN', 'nosuchsvc.svc.cluster.local. AAAA NXDOMAIN',
      'nosuchsvc.cluster.local. A NXDOMAIN', 'nosuchsvc.cluster.local. AAAA NXDOMAIN',
      'nosuchsvc.corp.example.com. A UNKNOWN', 'nosuchsvc.corp.example.com. AAAA UNKNOWN',
      'nosuchsvc. A NXDOMAIN', 'nosuchsvc. AAAA NXDOMAIN',
      '-> NXDOMAIN',
    ]);
    expect(resolveFromPod(index, cluster, pod, 'nosuchsvc').reasons).toContain('knet takes the upstream to have no nosuchsvc.corp.example.com. (it does not know)');
  });

  it('dnsPolicy None with 8.8.8.8: cluster names and public names alike are UNKNOWN, not NXDOMAIN', () => {
    const pod = podWith('prod', 'api-2', 'None', { nameservers: ['8.8.8.8'] });
    expect(lookup(pod, 'kubernetes.default.svc.cluster.local')).toEqual([
      'kubernetes.default.svc.cluster.local. A UNKNOWN', 'kubernetes.default.svc.cluster.local. AAAA UNKNOWN', '-> UNKNOWN']);
    expect(lookup(pod, 'api.github.com').at(-1)).toBe('-> UNKNOWN');
    expect(lookup(pod, 'db.example.com').at(-1)).toBe('-> UNKNOWN');
    const { cluster, index } = fixture();
    expect(resolveFromPod(index, cluster, pod, 'api.github.com').reasons[0]).toMatch(/^the nameserver 8\.8\.8\.8 is outside the model/);
  });

  it("dnsPolicy Default asks the node's upstream, which knet models: listed names answer, cluster names are NXDOMAIN", () => {
    const pod = podWith('prod', 'api-1', 'Default');
    expect(lookup(pod, 'db.example.com.').at(-1)).toBe('-> db.example.com.');
    expect(lookup(pod, 'api.prod.svc.cluster.local.').at(-1)).toBe('-> NXDOMAIN');
    expect(lookup(pod, 'api.github.com.').at(-1)).toBe('-> UNKNOWN');
  });

  it('askServer: a server outside the model is UNKNOWN; a cluster address that is not DNS times out', () => {
    const { index } = fixture();
    expect(askServer(index, '1.1.1.1', 'db.example.com', 'A').rcode).toBe('UNKNOWN');
    expect(askServer(index, '203.0.113.53', 'db.example.com', 'A').answers.map((r) => r.data)).toEqual(['203.0.113.90']);
    expect(askServer(index, '10.96.99.99', 'db.example.com', 'A').timedOut).toBe(true);
  });
});
