// The Kubernetes DNS record rules (spec schema 1.1.0 and CoreDNS's kubernetes plugin),
// one case per rule, against the fixture's cluster under kubeadm's Corefile (ttl 30,
// pods insecure, cache 30). Expectations are zone lines; NXDOMAIN and NODATA by name.
import { describe, expect, it } from 'vitest';
import { resolveName } from './dns-server.js';
import { zoneLine } from './message.js';
import { ask, fixture } from './test-support/fixture.js';
import { findServiceSlow } from './kubernetes-records.js';
import type { QType } from './names.js';

type Case = readonly [rule: string, name: string, type: QType, expected: readonly string[]];

const cases: readonly Case[] = [
  // Services with a ClusterIP
  ['ClusterIP Service -> A with its ClusterIP', 'api.prod.svc.cluster.local.', 'A',
    ['api.prod.svc.cluster.local. 30 IN A 10.96.10.10']],
  ['ClusterIP Service without endpoints still answers its ClusterIP', 'multi.prod.svc.cluster.local', 'A',
    ['multi.prod.svc.cluster.local. 30 IN A 10.96.10.40']],
  ['dual-stack Service -> A with the IPv4 ClusterIP', 'dual.prod.svc.cluster.local', 'A',
    ['dual.prod.svc.cluster.local. 30 IN A 10.96.10.20']],
  ['dual-stack Service -> AAAA with the IPv6 ClusterIP', 'dual.prod.svc.cluster.local', 'AAAA',
    ['dual.prod.svc.cluster.local. 30 IN AAAA fd00:10::20']],
  ['IPv4-only Service, AAAA -> NODATA (not NXDOMAIN: dual-stack resolvers need the difference)', 'api.prod.svc.cluster.local', 'AAAA',
    ['NODATA']],
  ['IPv6-only Service, A -> NODATA', 'v6only.prod.svc.cluster.local', 'A', ['NODATA']],
  ['IPv6-only Service -> AAAA', 'v6only.prod.svc.cluster.local', 'AAAA', ['v6only.prod.svc.cluster.local. 30 IN AAAA fd00:10::30']],

  // Headless Services
  ['headless Service -> A per ready endpoint, the not-ready one left out', 'kafka.data.svc.cluster.local', 'A',
    ['kafka.data.svc.cluster.local. 30 IN A 10.244.0.20', 'kafka.data.svc.cluster.local. 30 IN A 10.244.1.20']],
  ['headless Service with no ready endpoints -> NXDOMAIN', 'nobody.data.svc.cluster.local', 'A', ['NXDOMAIN']],
  ['headless Service with publishNotReadyAddresses -> its not-ready pod', 'late.data.svc.cluster.local', 'A',
    ['late.data.svc.cluster.local. 30 IN A 10.244.0.30']],
  ['headless Service of IPv4 endpoints, AAAA -> NODATA', 'kafka.data.svc.cluster.local', 'AAAA', ['NODATA']],
  ['endpoint hostname -> A with that endpoint\'s address', 'kafka-0.kafka.data.svc.cluster.local', 'A',
    ['kafka-0.kafka.data.svc.cluster.local. 30 IN A 10.244.0.20']],
  ['hostname of a not-ready endpoint -> NXDOMAIN', 'kafka-2.kafka.data.svc.cluster.local', 'A', ['NXDOMAIN']],
  ['endpoint without hostname is named by its dashed IP', '10-244-1-20.bare.data.svc.cluster.local', 'A',
    ['10-244-1-20.bare.data.svc.cluster.local. 30 IN A 10.244.1.20']],
  ['endpoint names work under a ClusterIP Service too (CoreDNS)', '10-244-0-10.api.prod.svc.cluster.local', 'A',
    ['10-244-0-10.api.prod.svc.cluster.local. 30 IN A 10.244.0.10']],
  ['unknown endpoint name -> NXDOMAIN', 'kafka-9.kafka.data.svc.cluster.local', 'A', ['NXDOMAIN']],

  // SRV
  ['SRV of a named port of a ClusterIP Service: the Service port', '_http._tcp.api.prod.svc.cluster.local', 'SRV',
    ['_http._tcp.api.prod.svc.cluster.local. 30 IN SRV 0 100 80 api.prod.svc.cluster.local.']],
  ['SRV of a dual-stack Service: one record, weight 50 (two ClusterIPs counted)', '_http._tcp.dual.prod.svc.cluster.local', 'SRV',
    ['_http._tcp.dual.prod.svc.cluster.local. 30 IN SRV 0 50 80 dual.prod.svc.cluster.local.']],
  ['headless SRV: one per ready endpoint, the port from the EndpointSlice (targetPort)', '_broker._tcp.kafka.data.svc.cluster.local', 'SRV',
    ['_broker._tcp.kafka.data.svc.cluster.local. 30 IN SRV 0 50 19092 kafka-0.kafka.data.svc.cluster.local.',
      '_broker._tcp.kafka.data.svc.cluster.local. 30 IN SRV 0 50 19092 kafka-1.kafka.data.svc.cluster.local.']],
  ['SRV matches name and protocol: _dns._udp is the UDP port', '_dns._udp.multi.prod.svc.cluster.local', 'SRV',
    ['_dns._udp.multi.prod.svc.cluster.local. 30 IN SRV 0 100 53 multi.prod.svc.cluster.local.']],
  ['SRV with the wrong protocol for the name -> NXDOMAIN (TCP/53 is dns-tcp)', '_dns._tcp.multi.prod.svc.cluster.local', 'SRV', ['NXDOMAIN']],
  ['SRV of an undeclared port -> NXDOMAIN', '_grpc._tcp.api.prod.svc.cluster.local', 'SRV', ['NXDOMAIN']],
  ['SRV labels match case-insensitively', '_HTTP._TCP.api.prod.svc.cluster.local', 'SRV',
    ['_HTTP._TCP.api.prod.svc.cluster.local. 30 IN SRV 0 100 80 api.prod.svc.cluster.local.']],
  ['SRV on the bare Service name: one per port (CoreDNS)', 'multi.prod.svc.cluster.local', 'SRV',
    // three ports -> weight floor(100/3); 53/UDP and 53/TCP share (target, port): one record
    ['multi.prod.svc.cluster.local. 30 IN SRV 0 33 80 multi.prod.svc.cluster.local.',
      'multi.prod.svc.cluster.local. 30 IN SRV 0 33 53 multi.prod.svc.cluster.local.']],
  ['headless Service without ports: A answers', 'bare.data.svc.cluster.local', 'A',
    ['bare.data.svc.cluster.local. 30 IN A 10.244.0.20', 'bare.data.svc.cluster.local. 30 IN A 10.244.1.20']],
  ['headless Service without ports: SRV -> NODATA', 'bare.data.svc.cluster.local', 'SRV', ['NODATA']],

  // PTR
  ['PTR of a ClusterIP -> the Service', '10.10.96.10.in-addr.arpa', 'PTR',
    ['10.10.96.10.in-addr.arpa. 30 IN PTR api.prod.svc.cluster.local.']],
  ['PTR of an IPv6 ClusterIP under ip6.arpa', '0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.d.f.ip6.arpa', 'PTR',
    ['0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.d.f.ip6.arpa. 30 IN PTR dual.prod.svc.cluster.local.']],
  ['PTR of an endpoint: one per Service whose ready endpoints hold it', '20.0.244.10.in-addr.arpa', 'PTR',
    ['20.0.244.10.in-addr.arpa. 30 IN PTR kafka-0.kafka.data.svc.cluster.local.',
      '20.0.244.10.in-addr.arpa. 30 IN PTR 10-244-0-20.bare.data.svc.cluster.local.']],
  ['PTR of a not-ready endpoint -> NXDOMAIN (falls through; the upstream has none)', '21.1.244.10.in-addr.arpa', 'PTR', ['NXDOMAIN']],
  ['PTR outside the cluster falls through to the upstream', '80.113.0.203.in-addr.arpa', 'PTR',
    ['80.113.0.203.in-addr.arpa. 30 IN PTR api.external.com.']],
  ['PTR query on a forward name that exists -> NODATA', 'api.prod.svc.cluster.local', 'PTR', ['NODATA']],

  // ExternalName
  ['ExternalName -> CNAME, then the target\'s A from the upstream', 'db.prod.svc.cluster.local', 'A',
    ['db.prod.svc.cluster.local. 30 IN CNAME db.example.com.', 'db.example.com. 30 IN A 203.0.113.90']],
  ['ExternalName, CNAME query -> the CNAME alone', 'db.prod.svc.cluster.local', 'CNAME',
    ['db.prod.svc.cluster.local. 30 IN CNAME db.example.com.']],
  ['ExternalName whose target does not exist -> the CNAME alone, NOERROR', 'gone.prod.svc.cluster.local', 'A',
    ['gone.prod.svc.cluster.local. 30 IN CNAME nothing.example.org.']],
  ['ExternalName to a cluster name -> CNAME, then that Service\'s A', 'alias.prod.svc.cluster.local', 'A',
    ['alias.prod.svc.cluster.local. 30 IN CNAME api.prod.svc.cluster.local.', 'api.prod.svc.cluster.local. 30 IN A 10.96.10.10']],
  ['ExternalName through the upstream\'s own CNAME', 'www.prod.svc.cluster.local', 'AAAA',
    ['www.prod.svc.cluster.local. 30 IN CNAME www.example.com.', 'www.example.com. 30 IN CNAME web.example.net.',
      'web.example.net. 30 IN AAAA 2001:db8::81']],
  ['ExternalName set to an address -> NXDOMAIN (CoreDNS will not CNAME to an IP)', 'byip.prod.svc.cluster.local', 'A', ['NXDOMAIN']],
  ['names below an ExternalName -> NXDOMAIN', 'x.db.prod.svc.cluster.local', 'A', ['NXDOMAIN']],
  ['SRV names below an ExternalName -> NXDOMAIN', '_postgres._tcp.db.prod.svc.cluster.local', 'SRV', ['NXDOMAIN']],
  ['SRV on an ExternalName itself -> NODATA', 'db.prod.svc.cluster.local', 'SRV', ['NODATA']],
  ['CNAME query on a ClusterIP Service -> NODATA', 'api.prod.svc.cluster.local', 'CNAME', ['NODATA']],

  // TXT
  ['dns-version TXT carries the schema version (TTL capped by cache 30)', 'dns-version.cluster.local', 'TXT',
    ['dns-version.cluster.local. 30 IN TXT "1.1.0"']],
  ['TXT on a Service -> NODATA', 'api.prod.svc.cluster.local', 'TXT', ['NODATA']],

  // Pod records (pods insecure)
  ['pods insecure: a pod\'s dashed IP -> A', '10-244-0-10.prod.pod.cluster.local', 'A',
    ['10-244-0-10.prod.pod.cluster.local. 30 IN A 10.244.0.10']],
  ['pods insecure: any dashed IP answers, pod or not', '1-2-3-4.prod.pod.cluster.local', 'A',
    ['1-2-3-4.prod.pod.cluster.local. 30 IN A 1.2.3.4']],
  ['pods insecure: the namespace must exist', '1-2-3-4.nope.pod.cluster.local', 'A', ['NXDOMAIN']],
  ['pod label that is not an address -> NXDOMAIN', 'web.prod.pod.cluster.local', 'A', ['NXDOMAIN']],
  ['IPv4 pod record, AAAA -> NODATA', '10-244-0-10.prod.pod.cluster.local', 'AAAA', ['NODATA']],

  // Existence
  ['missing Service -> NXDOMAIN', 'nope.prod.svc.cluster.local', 'A', ['NXDOMAIN']],
  ['missing namespace -> NXDOMAIN', 'api.nope.svc.cluster.local', 'A', ['NXDOMAIN']],
  ['the zone apex is an empty non-terminal -> NODATA', 'cluster.local', 'A', ['NODATA']],
  ['svc.<zone> is an empty non-terminal -> NODATA', 'svc.cluster.local', 'A', ['NODATA']],
  ['pod.<zone> is an empty non-terminal -> NODATA', 'pod.cluster.local', 'A', ['NODATA']],
  ['<existing namespace>.svc.<zone> -> NODATA', 'prod.svc.cluster.local', 'A', ['NODATA']],
  ['a namespace without Services is still an empty non-terminal -> NODATA', 'empty.svc.cluster.local', 'AAAA', ['NODATA']],
  ['<missing namespace>.svc.<zone> -> NXDOMAIN', 'nope.svc.cluster.local', 'A', ['NXDOMAIN']],
  ['a label other than svc or pod under the zone -> NXDOMAIN', 'api.external.com.cluster.local', 'A', ['NXDOMAIN']],
  ['too many labels before the Service -> NXDOMAIN', 'a.b.c.api.prod.svc.cluster.local', 'A', ['NXDOMAIN']],
  ['matching is case-insensitive; the owner name keeps the query\'s case', 'API.Prod.SVC.Cluster.Local.', 'A',
    ['API.Prod.SVC.Cluster.Local. 30 IN A 10.96.10.10']],

  // Outside the cluster zone
  ['a name outside the zone comes from the upstream (external records)', 'api.external.com', 'A',
    ['api.external.com. 30 IN A 203.0.113.80']],
  ['a public name the Cluster object does not list -> UNKNOWN: the real upstream answers it', 'nothing.example.org', 'A', ['UNKNOWN']],
  ['an external name without the type -> NODATA', 'api.external.com', 'AAAA', ['NODATA']],

  // The zone's own records (handler.go, backend_lookup.go SOA and NS, ns.go nsAddrs); serial 0: no timestamps in the fixture
  ['SOA at the apex: ns.dns.<zone>, hostmaster.<zone>, CoreDNS\'s timers, minimum = the plugin TTL', 'cluster.local', 'SOA',
    ['cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 30']],
  ['SOA of a reverse zone the plugin serves', 'in-addr.arpa', 'SOA',
    ['in-addr.arpa. 30 IN SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 0 7200 1800 86400 30']],
  ['SOA below the apex -> NODATA, whether the name exists or not', 'nope.prod.svc.cluster.local', 'SOA', ['NODATA']],
  ['NS at the apex: the Service CoreDNS is an endpoint of (kube-dns)', 'cluster.local', 'NS',
    ['cluster.local. 30 IN NS kube-dns.kube-system.svc.cluster.local.']],
  ['NS below the apex -> NODATA for a name that exists', 'api.prod.svc.cluster.local', 'NS', ['NODATA']],
  ['NS below the apex -> NXDOMAIN for one that does not', 'nope.prod.svc.cluster.local', 'NS', ['NXDOMAIN']],
  ['ns.dns.<zone> -> the kube-dns ClusterIP', 'ns.dns.cluster.local', 'A', ['ns.dns.cluster.local. 30 IN A 10.96.0.10']],
  ['ns.dns.<zone> has no AAAA in an IPv4 kube-dns -> NODATA', 'ns.dns.cluster.local', 'AAAA', ['NODATA']],

  // ANY (knet shows every type; CoreDNS answers ANY with no records)
  ['ANY -> every record the name has', 'api.prod.svc.cluster.local', 'ANY',
    ['api.prod.svc.cluster.local. 30 IN A 10.96.10.10', 'api.prod.svc.cluster.local. 30 IN SRV 0 100 80 api.prod.svc.cluster.local.']],
  ['ANY on a missing name -> NXDOMAIN', 'nope.prod.svc.cluster.local', 'ANY', ['NXDOMAIN']],
];

describe('cluster DNS records', () => {
  it.each(cases)('%s', (_rule, name, type, expected) => {
    expect(ask(name, type)).toEqual(expected);
  });

  it('NS at the apex carries the name server\'s address in the additional section', () => {
    const a = resolveName(fixture().index, 'cluster.local', 'NS');
    expect(a.additional.map(zoneLine)).toEqual(['kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10']);
  });

  it('NXDOMAIN and NODATA from the kubernetes plugin carry the zone\'s SOA in the authority section, in the query\'s case', () => {
    const soa = 'cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 30';
    expect(resolveName(fixture().index, 'nope.prod.svc.cluster.local', 'A').authority?.map(zoneLine)).toEqual([soa]);
    expect(resolveName(fixture().index, 'api.prod.svc.cluster.local', 'AAAA').authority?.map(zoneLine)).toEqual([soa]);
    expect(resolveName(fixture().index, 'x.prod.svc.Cluster.Local', 'A').authority?.[0]?.name).toBe('Cluster.Local.');
    expect(resolveName(fixture().index, 'api.prod.svc.cluster.local', 'A').authority).toBeUndefined();
  });

  it('the precomputed answers of each Service equal the ones worked out per query', () => {
    const { index } = fixture();
    const k = index.config.blocks[0]!.kubernetes!;
    let compared = 0;
    for (const services of index.records.namespaces.values()) {
      for (const svc of services.values()) {
        expect(svc.finds.plain).toEqual(findServiceSlow(k, svc, '', '', ''));
        for (const [key, found] of svc.finds.byPort) {
          const [port, protocol] = key.split('/');
          expect(found).toEqual(findServiceSlow(k, svc, '', port!, protocol!));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(10);
  });
});
