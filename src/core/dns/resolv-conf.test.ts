// resolv.conf as the kubelet forms it, one case per rule; expectations are the file
// itself, as `cat /etc/resolv.conf` shows it in the pod.
import { describe, expect, it } from 'vitest';
import type { IP } from '../../model/ip.js';
import type { DnsConfig, DnsPolicy, Pod } from '../../model/types.js';
import { parseResolvConf, podResolvConf, renderResolvConf } from './resolv-conf.js';
import { fixture, podNamed } from './test-support/fixture.js';

const NODE = 'nameserver 203.0.113.53\nsearch corp.example.com\noptions timeout:2 attempts:3\n';
const DNS: IP[] = ['10.96.0.10' as IP];

function podWith(policy: DnsPolicy, opts: { hostNetwork?: boolean; dnsConfig?: Partial<DnsConfig> } = {}): Pod {
  const base = podNamed(fixture().cluster, 'prod', 'api-1');
  const dnsConfig = opts.dnsConfig ? { nameservers: [], searches: [], options: [], ...opts.dnsConfig } : null;
  return { ...base, spec: { ...base.spec, dnsPolicy: policy, hostNetwork: opts.hostNetwork ?? false, dnsConfig } };
}

function file(pod: Pod, node = NODE, clusterDNS: readonly IP[] = DNS): string {
  return renderResolvConf(podResolvConf(pod, node, clusterDNS, 'cluster.local').conf);
}

function issuesOf(pod: Pod, node = NODE, clusterDNS: readonly IP[] = DNS): string[] {
  return podResolvConf(pod, node, clusterDNS, 'cluster.local').issues.map((i) => `${i.severity}: ${i.code}: ${i.message}`);
}

const long = (i: number) => `${String(i).padStart(3, '0')}.${'x'.repeat(240)}.example`;

describe('resolv.conf by dnsPolicy', () => {
  const cases: readonly [string, Pod, string][] = [
    ['ClusterFirst: the cluster DNS, the namespace\'s search list then the node\'s, options replaced by ndots:5',
      podWith('ClusterFirst'),
      'search prod.svc.cluster.local svc.cluster.local cluster.local corp.example.com\nnameserver 10.96.0.10\noptions ndots:5\n'],
    ['Default: the node\'s own file, options included', podWith('Default'),
      'search corp.example.com\nnameserver 203.0.113.53\noptions timeout:2 attempts:3\n'],
    ['ClusterFirst with hostNetwork falls back to Default', podWith('ClusterFirst', { hostNetwork: true }),
      'search corp.example.com\nnameserver 203.0.113.53\noptions timeout:2 attempts:3\n'],
    ['ClusterFirstWithHostNet with hostNetwork: the cluster DNS', podWith('ClusterFirstWithHostNet', { hostNetwork: true }),
      'search prod.svc.cluster.local svc.cluster.local cluster.local corp.example.com\nnameserver 10.96.0.10\noptions ndots:5\n'],
    ['ClusterFirstWithHostNet without hostNetwork is ClusterFirst', podWith('ClusterFirstWithHostNet'),
      'search prod.svc.cluster.local svc.cluster.local cluster.local corp.example.com\nnameserver 10.96.0.10\noptions ndots:5\n'],
    ['None: only dnsConfig', podWith('None', { dnsConfig: { nameservers: ['1.1.1.1'], searches: ['example.com'], options: [{ name: 'ndots', value: '1' }] } }),
      'search example.com\nnameserver 1.1.1.1\noptions ndots:1\n'],
    ['dnsConfig: nameservers and searches appended, duplicates dropped; an option given again overrides, new ones follow',
      podWith('ClusterFirst', { dnsConfig: {
        nameservers: ['10.96.0.10', '1.1.1.1'], searches: ['cluster.local', 'example.com'],
        options: [{ name: 'ndots', value: '2' }, { name: 'edns0', value: null }],
      } }),
      'search prod.svc.cluster.local svc.cluster.local cluster.local corp.example.com example.com\nnameserver 10.96.0.10\nnameserver 1.1.1.1\noptions ndots:2 edns0\n'],
  ];
  it.each(cases)('%s', (_rule, pod, expected) => {
    expect(file(pod)).toBe(expected);
  });

  it('clusterDNS is a list: every address, in order', () => {
    expect(file(podWith('ClusterFirst'), NODE, ['10.96.0.10' as IP, '10.96.0.11' as IP]))
      .toBe('search prod.svc.cluster.local svc.cluster.local cluster.local corp.example.com\nnameserver 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:5\n');
  });

  it('no clusterDNS: ClusterFirst falls back to Default with a MissingClusterDNS warning', () => {
    expect(file(podWith('ClusterFirst'), NODE, [])).toBe('search corp.example.com\nnameserver 203.0.113.53\noptions timeout:2 attempts:3\n');
    expect(issuesOf(podWith('ClusterFirst'), NODE, [])).toEqual([
      'warning: missing-cluster-dns: the kubelet has no clusterDNS configured and cannot use the "ClusterFirst" policy; it falls back to "Default" (event MissingClusterDNS)',
    ]);
  });
});

describe('the node\'s resolv.conf as the kubelet reads it', () => {
  it('nameservers add up, the last search line wins, "search ." and trailing dots go, options merge by name, comments are skipped', () => {
    const parsed = parseResolvConf('# generated\nnameserver 10.0.0.2\nsearch old.example\n; comment\nnameserver 10.0.0.3\nsearch . a.example. b.example\noptions ndots:2 timeout:1\noptions ndots:3\n');
    expect(renderResolvConf(parsed)).toBe('search a.example b.example\nnameserver 10.0.0.2\nnameserver 10.0.0.3\noptions ndots:3 timeout:1\n');
  });
});

describe('limits (applied after merging, with a DNSConfigForming warning)', () => {
  it('at most 3 nameservers', () => {
    const pod = podWith('ClusterFirst', { dnsConfig: { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'] } });
    expect(file(pod)).toContain('nameserver 10.96.0.10\nnameserver 1.1.1.1\nnameserver 8.8.8.8\noptions');
    expect(issuesOf(pod)).toEqual([
      'warning: dns-config-forming: Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 1.1.1.1 8.8.8.8',
    ]);
  });

  it('at most 32 search domains', () => {
    const node = `nameserver 203.0.113.53\nsearch ${Array.from({ length: 30 }, (_, i) => `d${i}.example`).join(' ')}\n`;
    const conf = podResolvConf(podWith('ClusterFirst'), node, DNS, 'cluster.local');
    expect(conf.conf.searches).toHaveLength(32);
    expect(conf.conf.searches.at(-1)).toBe('d28.example');
    expect(conf.issues.map((i) => i.code)).toEqual(['dns-config-forming']);
  });

  it('at most 2048 characters on the search line, trimmed from the end', () => {
    const node = `nameserver 203.0.113.53\nsearch ${Array.from({ length: 9 }, (_, i) => long(i)).join(' ')}\n`;
    const conf = podResolvConf(podWith('ClusterFirst'), node, DNS, 'cluster.local');
    expect(conf.conf.searches.join(' ').length).toBeLessThanOrEqual(2048);
    expect(conf.conf.searches).toHaveLength(3 + 7);
    expect(conf.issues[0]!.message).toMatch(/^Search Line limits were exceeded, some search paths have been omitted, the applied search line is: prod\.svc\.cluster\.local /);
  });

  it('search domains over 253 characters are dropped', () => {
    const node = `nameserver 203.0.113.53\nsearch ${'y'.repeat(254)}.example ok.example\n`;
    expect(file(podWith('ClusterFirst'), node)).toBe('search prod.svc.cluster.local svc.cluster.local cluster.local ok.example\nnameserver 10.96.0.10\noptions ndots:5\n');
  });
});

describe('invalid dnsConfig is an Issue, as the API server rejects it', () => {
  it('dnsPolicy None without nameservers', () => {
    expect(issuesOf(podWith('None'))).toEqual(['error: invalid-dns-config: must provide at least one DNS nameserver when `dnsPolicy` is `None`']);
  });

  it('more than 3 nameservers, an address that is not an IP, a bad search domain', () => {
    const pod = podWith('None', { dnsConfig: { nameservers: ['1.1.1.1', '1.0.0.1', '8.8.8.8', 'dns.google'], searches: ['Bad Domain'] } });
    expect(issuesOf(pod).filter((i) => i.startsWith('error'))).toEqual([
      'error: invalid-dns-config: must not have more than 3 nameservers: 1.1.1.1, 1.0.0.1, 8.8.8.8, dns.google',
      'error: invalid-dns-config: must be valid IP address: dns.google',
      'error: invalid-dns-config: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\', \'_\' or \'.\': "Bad Domain"',
    ]);
  });

  it('issues point at the pod\'s dnsConfig field', () => {
    const i = podResolvConf(podWith('None'), NODE, DNS, 'cluster.local').issues[0]!;
    expect([i.object, i.field]).toEqual(['Pod prod/api-1', 'spec.dnsConfig.nameservers']);
  });
});

describe('rendering never lets input add a line or a field', () => {
  const evil = ['a.com\nnameserver 6.6.6.6', 'b.com\r', 'c.com d.com', 'e\u2028f', '\u0000', ''];
  it.each(evil.map((e) => [JSON.stringify(e), e]))('search, nameserver or option %s is left out', (_n, e) => {
    const text = renderResolvConf({ searches: ['ok.local', e], nameservers: ['10.96.0.10', e], options: ['ndots:5', e] });
    expect(text).toBe('search ok.local\nnameserver 10.96.0.10\noptions ndots:5\n');
  });

  it('fuzzed values: every line is one of the three keywords and ends where the renderer ends it', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = 'ab.-_ \n\r\t\u0000\u2028\u0085x9:';
    const word = () => Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    for (let i = 0; i < 500; i++) {
      const text = renderResolvConf({ searches: [word(), word()], nameservers: [word()], options: [word()] });
      for (const line of text.split('\n').slice(0, -1)) expect(line).toMatch(/^(search|nameserver|options) [^\s\u0000-\u001f\u2028\u0085]+( [^\s\u0000-\u001f\u2028\u0085]+)*$/);
      expect(text === '' || text.endsWith('\n')).toBe(true);
    }
  });
});
