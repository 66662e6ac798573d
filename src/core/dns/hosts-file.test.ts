// /etc/hosts as the kubelet writes it, and the lookup before DNS: the same lines render the
// running cluster's file and answer `knet dns --from` and `knet trace`.
import { describe, expect, it } from 'vitest';
import type { IP } from '../../model/ip.js';
import type { Pod } from '../../model/types.js';
import { lookupHostsFile, podHostname, podHostsFile, podHostsLines } from './hosts-file.js';
import { resolveFromPod } from './pod-dns.js';
import { fixture, podNamed } from './test-support/fixture.js';

function withSpec(pod: Pod, spec: Partial<Pod['spec']>, name = pod.meta.name): Pod {
  return { ...pod, meta: { ...pod.meta, name }, spec: { ...pod.spec, ...spec } };
}

const aliases = (list: { ip: string; hostnames: string[] }[]) => ({ run: { ...podNamed(fixture().cluster, 'data', 'kafka-0').spec.run!, hostAliases: list } });

describe('the kubelet\'s hosts file', () => {
  it('hostname + subdomain: the FQDN first, then the hostname; hostAliases under their comment', () => {
    const pod = withSpec(podNamed(fixture().cluster, 'data', 'kafka-0'), aliases([{ ip: '10.1.2.3', hostnames: ['db.local', 'db'] }]));
    expect(podHostsFile(pod, 'cluster.local')).toBe([
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      '10.244.0.20\tkafka-0.kafka.data.svc.cluster.local\tkafka-0',
      '',
      '# Entries added by HostAliases.',
      '10.1.2.3\tdb.local\tdb',
      '',
    ].join('\n'));
  });

  it('without a subdomain: the pod\'s name as its hostname, one line per pod IP (dual stack)', () => {
    const pod = podNamed(fixture().cluster, 'prod', 'api-1');
    const dual = { ...pod, status: { ...pod.status, podIPs: [...pod.status.podIPs, 'fd00::10' as IP] } };
    expect(podHostsFile(dual, 'cluster.local').split('\n').slice(7, 9)).toEqual(['10.244.0.10\tapi-1', 'fd00::10\tapi-1']);
  });

  it('a pod name over 63 characters is cut, and a trailing "-" dropped (truncatePodHostnameIfNeeded)', () => {
    const long = `${'a'.repeat(62)}-bcd`;
    expect(podHostname(withSpec(podNamed(fixture().cluster, 'prod', 'api-1'), {}, long))).toBe('a'.repeat(62));
  });

  it('an alias with whitespace in it is left out', () => {
    const pod = withSpec(podNamed(fixture().cluster, 'prod', 'api-1'), aliases([{ ip: '10.1.2.3', hostnames: ['a b'] }]));
    expect(podHostsFile(pod, 'cluster.local')).not.toContain('HostAliases');
  });
});

describe('the lookup before DNS', () => {
  const pod = withSpec(podNamed(fixture().cluster, 'data', 'kafka-0'), aliases([{ ip: '10.1.2.3', hostnames: ['db.local'] }, { ip: '10.1.2.4', hostnames: ['DB.local'] }]));
  const lines = podHostsLines(pod, 'cluster.local');

  const cases: readonly [rule: string, name: string, expected: string[] | null, source?: string][] = [
    ['a hostAliases name, every line naming it, case-insensitive', 'db.local', ['10.1.2.3', '10.1.2.4'], 'hostAliases'],
    ['a trailing dot is dropped', 'db.local.', ['10.1.2.3', '10.1.2.4'], 'hostAliases'],
    ['localhost: both loopbacks', 'localhost', ['127.0.0.1', '::1'], 'localhost'],
    ['the pod\'s FQDN', 'kafka-0.kafka.data.svc.cluster.local', ['10.244.0.20'], 'pod'],
    ['the pod\'s hostname', 'KAFKA-0', ['10.244.0.20'], 'pod'],
    ['not in the file: DNS decides', 'kafka-1', null],
  ];
  it.each(cases)('%s', (_rule, name, expected, source) => {
    const m = lookupHostsFile(lines, name);
    expect(m?.addresses ?? null).toEqual(expected);
    if (source) expect(m?.source).toBe(source);
  });

  it('resolveFromPod reads the file first for getaddrinfo (no query sent); a typed query (res_search) goes to DNS', () => {
    const { cluster, index } = fixture();
    const hit = resolveFromPod(index, cluster, pod, 'db.local');
    expect([hit.packets, hit.hosts?.source, hit.resolved?.answers.map((a) => a.data)]).toEqual([0, 'hostAliases', ['10.1.2.3', '10.1.2.4']]);
    expect(hit.reasons[0]).toBe('db.local from /etc/hosts (hostAliases): the resolver reads the hosts file before DNS; no query is sent');
    const typed = resolveFromPod(index, cluster, pod, 'db.local', 'A');
    expect([typed.hosts, typed.packets > 0]).toEqual([null, true]);
  });
});
