// Search-list expansion as glibc does it, from pods of the fixture. A query prints as
// `NAME TYPE RCODE`; the last line says what resolved and at what cost.
import { describe, expect, it } from 'vitest';
import type { DnsConfig, DnsPolicy, Pod } from '../../model/types.js';
import type { RRType } from './names.js';
import { resolveFromPod } from './pod-dns.js';
import { searchCandidates } from './search.js';
import { fixture, podNamed } from './test-support/fixture.js';

function podWith(ns: string, name: string, opts: { policy?: DnsPolicy; dnsConfig?: Partial<DnsConfig> } = {}): Pod {
  const base = podNamed(fixture().cluster, ns, name);
  const dnsConfig = opts.dnsConfig ? { nameservers: [], searches: [], options: [], ...opts.dnsConfig } : base.spec.dnsConfig;
  return { ...base, spec: { ...base.spec, dnsPolicy: opts.policy ?? base.spec.dnsPolicy, dnsConfig } };
}

function trace(pod: Pod, name: string, type?: RRType): string[] {
  const { cluster, index } = fixture();
  const r = resolveFromPod(index, cluster, pod, name, type);
  return [
    ...r.queries.map((q) => `${q.name} ${q.type} ${q.rcode}${q.timedOut ? ' (timeout)' : ''}`),
    `${r.candidates.length} names, ${r.packets} packets: ${r.resolved ? `resolved as ${r.resolved.name}` : `not resolved (${r.rcode})`}`,
  ];
}

// api-2 runs on node-2, whose resolv.conf has no search line; api-1 on node-1 (search corp.example.com).
const prod = () => podWith('prod', 'api-2');

describe('glibc search expansion', () => {
  it('the ndots:5 problem: api.external.com from prod tries three search domains first, 4 names, 8 packets', () => {
    expect(trace(prod(), 'api.external.com')).toEqual([
      'api.external.com.prod.svc.cluster.local. A NXDOMAIN', 'api.external.com.prod.svc.cluster.local. AAAA NXDOMAIN',
      'api.external.com.svc.cluster.local. A NXDOMAIN', 'api.external.com.svc.cluster.local. AAAA NXDOMAIN',
      'api.external.com.cluster.local. A NXDOMAIN', 'api.external.com.cluster.local. AAAA NXDOMAIN',
      'api.external.com. A NOERROR', 'api.external.com. AAAA NOERROR',
      '4 names, 8 packets: resolved as api.external.com.',
    ]);
  });

  it('the fan-out says so and gives the fixes', () => {
    const { cluster, index } = fixture();
    const r = resolveFromPod(index, cluster, prod(), 'api.external.com');
    expect(r.advice).toEqual({
      message: 'api.external.com has 2 dots, fewer than ndots:5, so the resolver tries 3 search domains before the name itself: 4 names, 8 packets for one lookup',
      fixes: [
        'write the name with a trailing dot (api.external.com.): it is then absolute, 1 name, 2 packets',
        'or set dnsConfig.options [{name: ndots, value: "2"}] on the pod: names with 2 dots are then tried as-is first (cluster names with fewer dots still use the search list)',
      ],
    });
  });

  it('the node\'s search domains come after the cluster\'s: one more name', () => {
    expect(trace(podWith('prod', 'api-1'), 'api.external.com').at(-1)).toBe('5 names, 10 packets: resolved as api.external.com.');
  });

  it('a trailing dot makes the name absolute: one name', () => {
    expect(trace(prod(), 'api.external.com.')).toEqual([
      'api.external.com. A NOERROR', 'api.external.com. AAAA NOERROR', '1 names, 2 packets: resolved as api.external.com.',
    ]);
  });

  it('dots >= ndots: the name as-is first', () => {
    const pod = podWith('prod', 'api-2', { dnsConfig: { options: [{ name: 'ndots', value: '2' }] } });
    expect(trace(pod, 'api.external.com').at(-1)).toBe('1 names, 2 packets: resolved as api.external.com.');
  });

  it('dots >= ndots and the as-is name is the upstream\'s (UNKNOWN to knet): the search list follows', () => {
    const pod = podWith('data', 'kafka-0', { dnsConfig: { options: [{ name: 'ndots', value: '1' }] } });
    expect(trace(pod, 'api.prod')).toEqual([
      'api.prod. A UNKNOWN', 'api.prod. AAAA UNKNOWN',
      'api.prod.data.svc.cluster.local. A NXDOMAIN', 'api.prod.data.svc.cluster.local. AAAA NXDOMAIN',
      'api.prod.svc.cluster.local. A NOERROR', 'api.prod.svc.cluster.local. AAAA NOERROR',
      '3 names, 6 packets: resolved as api.prod.svc.cluster.local.',
    ]);
  });

  it('a single label: the namespace\'s Service answers first', () => {
    expect(trace(prod(), 'api').at(-1)).toBe('1 names, 2 packets: resolved as api.prod.svc.cluster.local.');
  });

  it('stop at the first positive answer: kubernetes.default resolves at the second name', () => {
    expect(trace(prod(), 'kubernetes.default')).toEqual([
      'kubernetes.default.prod.svc.cluster.local. A NXDOMAIN', 'kubernetes.default.prod.svc.cluster.local. AAAA NXDOMAIN',
      'kubernetes.default.svc.cluster.local. A NOERROR', 'kubernetes.default.svc.cluster.local. AAAA NOERROR',
      '2 names, 4 packets: resolved as kubernetes.default.svc.cluster.local.',
    ]);
  });

  it('a candidate succeeds when either A or AAAA has records', () => {
    expect(trace(prod(), 'v6only')).toEqual([
      'v6only.prod.svc.cluster.local. A NOERROR', 'v6only.prod.svc.cluster.local. AAAA NOERROR',
      '1 names, 2 packets: resolved as v6only.prod.svc.cluster.local.',
    ]);
  });

  it('NODATA continues the search, and is the result when nothing resolves', () => {
    expect(trace(prod(), 'empty')).toEqual([
      'empty.prod.svc.cluster.local. A NXDOMAIN', 'empty.prod.svc.cluster.local. AAAA NXDOMAIN',
      'empty.svc.cluster.local. A NOERROR', 'empty.svc.cluster.local. AAAA NOERROR',
      'empty.cluster.local. A NXDOMAIN', 'empty.cluster.local. AAAA NXDOMAIN',
      'empty. A NXDOMAIN', 'empty. AAAA NXDOMAIN',
      '4 names, 8 packets: not resolved (NOERROR)',
    ]);
  });

  it('no-tld-query: a single label is not tried as-is', () => {
    const conf = { nameservers: ['10.96.0.10'], searches: ['a.example', 'b.example'], options: ['no-tld-query'] };
    expect(searchCandidates(conf, 'web')).toEqual(['web.a.example.', 'web.b.example.']);
    expect(searchCandidates({ ...conf, options: [] }, 'web')).toEqual(['web.a.example.', 'web.b.example.', 'web.']);
  });

  it('dnsPolicy Default asks the node\'s nameserver (the internet): cluster names do not resolve', () => {
    expect(trace(podWith('prod', 'api-2', { policy: 'Default' }), 'api.prod.svc.cluster.local')).toEqual([
      'api.prod.svc.cluster.local. A NXDOMAIN', 'api.prod.svc.cluster.local. AAAA NXDOMAIN',
      '1 names, 2 packets: not resolved (NXDOMAIN)',
    ]);
  });

  it('a nameserver where nothing answers: a timeout ends the search', () => {
    const pod = podWith('prod', 'api-2', { policy: 'None', dnsConfig: { nameservers: ['10.96.0.99'], searches: ['prod.svc.cluster.local', 'svc.cluster.local'] } });
    expect(trace(pod, 'api')).toEqual([
      'api.prod.svc.cluster.local. A SERVFAIL (timeout)', 'api.prod.svc.cluster.local. AAAA SERVFAIL (timeout)',
      '1 names, 2 packets: not resolved (SERVFAIL)',
    ]);
  });

  it('one type (res_search): one query per name', () => {
    expect(trace(prod(), '_broker._tcp.kafka.data', 'SRV')).toEqual([
      '_broker._tcp.kafka.data.prod.svc.cluster.local. SRV NXDOMAIN',
      '_broker._tcp.kafka.data.svc.cluster.local. SRV NOERROR',
      '2 names, 2 packets: resolved as _broker._tcp.kafka.data.svc.cluster.local.',
    ]);
  });

  it('the ExternalName resolves through its CNAME from the first name', () => {
    const { cluster, index } = fixture();
    const r = resolveFromPod(index, cluster, prod(), 'db');
    expect(r.resolved?.name).toBe('db.prod.svc.cluster.local.');
    expect(r.resolved?.answers.map((a) => `${a.type} ${a.data}`)).toEqual(['CNAME db.example.com.', 'A 203.0.113.90']);
  });
});
