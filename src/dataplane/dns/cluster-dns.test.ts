// The CoreDNS pod's logic without sockets: queries as bytes in, replies as bytes out, read
// back with dns-packet. Its answers are core/dns's (the same flow cases as `knet dns`), with
// CoreDNS's SOA in negative answers, its sizes, truncation, cache and query log.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../cluster/fill-in.js';
import { buildDnsIndex, resolveName } from '../../core/dns/dns-server.js';
import { zoneLine } from '../../core/dns/message.js';
import type { QType } from '../../core/dns/names.js';
import { fill } from '../../core/dns/test-support/fixture.js';
import type { NetnsSwitch } from '../runtime/netns.js';
import { cacheTtlFor, ClusterDns, decide } from './cluster-dns.js';
import { DnsDataSource } from './data-source.js';
import { InternetDns } from './internet-dns.js';
import { LogFile } from './query-log.js';
import type { Client } from './responder.js';
import { dnsSnapshot } from './snapshot.js';
import { parseQuery } from './wire.js';
import { decode, query, WIRE_CLUSTER, zoneLines } from './test-support/wire-cluster.js';

const CLIENT: Client = { address: '10.244.1.3', port: 46453, family: 4 };
const NO_SOCKETS = {} as NetnsSwitch; // nothing here forwards

let dir = '';
let cluster: Cluster;

function load(c: Cluster, name = 'dns.json'): DnsDataSource {
  const snap = dnsSnapshot(c);
  const path = join(dir, name);
  writeFileSync(path, snap.text);
  const data = new DnsDataSource(path);
  data.refresh(snap.version);
  return data;
}

const q = query;

function ask(server: ClusterDns | InternetDns, msg: Buffer, proto: 'udp' | 'tcp' = 'udp'): Buffer {
  const r = server.handle(msg, CLIENT, proto);
  if (!(r instanceof Buffer)) throw new Error('expected a reply computed on the spot');
  return r;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'knet-dns-test-'));
  const filled = fill(WIRE_CLUSTER);
  expect(filled.issues.filter((i) => i.severity === 'error')).toEqual([]);
  cluster = filled.cluster;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CoreDNS on the wire: answers', () => {
  const cases: readonly [rule: string, name: string, type: QType][] = [
    ['the kubernetes Service by its FQDN', 'kubernetes.default.svc.cluster.local.', 'A'],
    ['a ClusterIP Service', 'web.prod.svc.cluster.local.', 'A'],
    ['SRV of a named port', '_http._tcp.web.prod.svc.cluster.local.', 'SRV'],
    ['a headless Service: every ready endpoint', 'big.prod.svc.cluster.local.', 'A'],
    ['PTR of the kubernetes ClusterIP', '1.0.96.10.in-addr.arpa.', 'PTR'],
    ['an ExternalName: CNAME and the upstream\'s address', 'ext.prod.svc.cluster.local.', 'A'],
    ['the schema version', 'dns-version.cluster.local.', 'TXT'],
    ['AAAA of an IPv4 Service: NODATA', 'web.prod.svc.cluster.local.', 'AAAA'],
    ['a search-list candidate: NXDOMAIN', 'api.external.com.prod.svc.cluster.local.', 'A'],
  ];
  it.each(cases)('%s: the records `knet dns` predicts', (_rule, name, type) => {
    const data = load(cluster);
    const server = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data, log: null });
    const reply = ask(server, q(name, type, { edns: 4096 }), 'udp');
    const predicted = resolveName(buildDnsIndex(cluster), name, type);
    expect(decode(reply).rcode).toBe(predicted.rcode);
    expect(zoneLines(reply)).toEqual(predicted.answers.map(zoneLine));
  });

  it('kubernetes answers are authoritative, recursion not offered (qr,aa,rd as CoreDNS logs them)', () => {
    const server = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data: load(cluster), log: null });
    const d = decode(ask(server, q('kubernetes.default.svc.cluster.local')));
    expect([d.flag_qr, d.flag_aa, d.flag_rd, d.flag_ra, d.flag_tc]).toEqual([true, true, true, false, false]);
    expect(zoneLines(ask(server, q('kubernetes.default.svc.cluster.local')))).toEqual(['kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1']);
  });

  it("NXDOMAIN carries the zone's SOA: 156 bytes for the ndots example, logged as CoreDNS logs it", () => {
    const path = join(dir, 'coredns.log');
    const log = new LogFile(path);
    const server = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data: load(cluster), log });
    const reply = ask(server, q('api.external.com.production.svc.cluster.local'));
    expect(reply.length).toBe(156);
    const d = decode(reply);
    expect(d.rcode).toBe('NXDOMAIN');
    expect(d.authorities![0]).toMatchObject({ name: 'cluster.local', type: 'SOA', ttl: 30, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', minimum: 30 } });
    return server.close().then(() => {
      const lines = readFileSync(path, 'utf8').split('\n');
      expect(lines[0]).toBe('.:53');
      expect(lines[1]).toMatch(/^\[INFO\] plugin\/reload: Running configuration SHA512 = [0-9a-f]{128}$/);
      expect(lines).toContainEqual(expect.stringMatching(
        /^\[INFO\] 10\.244\.1\.3:46453 - 36112 "A IN api\.external\.com\.production\.svc\.cluster\.local\. udp 63 false 512" NXDOMAIN qr,aa,rd 156 0\.\d+s$/));
    });
  });

  it('types core/dns does not model: NODATA for a name that exists, NXDOMAIN otherwise, SOA at the apex', () => {
    const server = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data: load(cluster), log: null });
    const mx = decode(ask(server, q('web.prod.svc.cluster.local', 'MX')));
    expect([mx.rcode, mx.answers!.length, mx.authorities![0]?.type]).toEqual(['NOERROR', 0, 'SOA']);
    expect(decode(ask(server, q('nope.prod.svc.cluster.local', 'MX'))).rcode).toBe('NXDOMAIN');
    const soa = decode(ask(server, q('cluster.local', 'SOA')));
    expect(soa.answers!.map((a) => a.type)).toEqual(['SOA']);
  });

  it('SOA and NS of each zone on the wire, as CoreDNS answers them; ns.dns.<zone> is the kube-dns ClusterIP', () => {
    const data = load(cluster);
    const server = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data, log: null });
    const soa = decode(ask(server, q('cluster.local', 'SOA')));
    expect([soa.rcode, soa.flag_aa]).toEqual(['NOERROR', true]);
    expect(soa.answers[0]).toMatchObject({ name: 'cluster.local', type: 'SOA', ttl: 30,
      data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: data.current!.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 } });
    const ns = decode(ask(server, q('cluster.local', 'NS')));
    expect(zoneLines(ask(server, q('cluster.local', 'NS')))).toEqual(['cluster.local. 30 IN NS kube-dns.kube-system.svc.cluster.local.']);
    expect(ns.additionals.map((a) => `${a.name} ${a.type} ${String(a.data)}`)).toEqual(['kube-dns.kube-system.svc.cluster.local A 10.96.0.10']);
    expect(zoneLines(ask(server, q('in-addr.arpa', 'NS')))).toEqual(['in-addr.arpa. 30 IN NS kube-dns.kube-system.svc.in-addr.arpa.']);
    expect(zoneLines(ask(server, q('ns.dns.cluster.local')))).toEqual(['ns.dns.cluster.local. 30 IN A 10.96.0.10']);
    const below = decode(ask(server, q('web.prod.svc.cluster.local', 'SOA')));
    expect([below.rcode, below.answers.length, below.authorities[0]?.type]).toEqual(['NOERROR', 0, 'SOA']);
    expect(decode(ask(server, q('nope.prod.svc.cluster.local', 'NS'))).rcode).toBe('NXDOMAIN');
  });

  it('names outside the cluster zones go to the forward plugin', () => {
    const data = load(cluster);
    const parsed = (name: string, type = 'A') => {
      const p = parseQuery(q(name, type));
      if (!p.ok) throw new Error('bad query');
      return p.query;
    };
    expect(decide(data.current!, parsed('api.external.com')).kind).toBe('forward');
    expect(decide(data.current!, parsed('api.external.com', 'MX')).kind).toBe('forward');
    expect(decide(data.current!, parsed('80.113.0.203.in-addr.arpa', 'PTR')).kind).toBe('forward'); // fallthrough in-addr.arpa
    expect(decide(data.current!, parsed('web.prod.svc.cluster.local')).kind).toBe('local');
  });

  it('a malformed query gets FORMERR; a response gets nothing; no data yet: SERVFAIL', () => {
    const server = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data: load(cluster), log: null });
    const two = Buffer.from(q('a.b'));
    two.writeUInt16BE(2, 4);
    expect(decode(ask(server, two)).rcode).toBe('FORMERR');
    const resp = Buffer.from(q('a.b'));
    resp.writeUInt16BE(resp.readUInt16BE(2) | 0x8000, 2);
    expect(server.handle(resp, CLIENT, 'udp')).toBeNull();
    const empty = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data: new DnsDataSource(join(dir, 'none.json')), log: null });
    expect(decode(ask(empty, q('web.prod.svc.cluster.local'))).rcode).toBe('SERVFAIL');
  });
});

describe('CoreDNS on the wire: size, cache, reload', () => {
  it('a headless answer too big for 512 bytes: truncated with TC over UDP, complete over TCP', () => {
    const server = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data: load(cluster), log: null });
    const udp = decode(ask(server, q('big.prod.svc.cluster.local'), 'udp'));
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers!.length).toBe(29); // (512 - 12 - 32) / 16
    const tcp = decode(ask(server, q('big.prod.svc.cluster.local'), 'tcp'));
    expect([tcp.flag_tc, tcp.answers!.length]).toEqual([false, 40]);
    const edns = decode(ask(server, q('big.prod.svc.cluster.local', 'A', { edns: 1232 }), 'udp'));
    expect([edns.flag_tc, edns.answers!.length]).toEqual([false, 40]);
  });

  it('the same question again: the stored reply with the new id; the asked case is echoed', () => {
    const server = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data: load(cluster), log: null });
    const a = ask(server, q('web.prod.svc.cluster.local', 'A', { id: 1 }));
    const b = ask(server, q('web.prod.svc.cluster.local', 'A', { id: 2 }));
    expect(b.readUInt16BE(0)).toBe(2);
    expect(b.subarray(2)).toEqual(a.subarray(2));
    const mixed = decode(ask(server, q('WEB.Prod.svc.cluster.local')));
    expect(mixed.answers![0]!.name).toBe('WEB.Prod.svc.cluster.local');
  });

  it('cache 30: a Service deleted after it was asked stays for its TTL; a new one answers at once', () => {
    const data = load(cluster);
    const server = new ClusterDns({ sockets: NO_SOCKETS, netns: 'knet-x', data, log: null });
    expect(zoneLines(ask(server, q('web.prod.svc.cluster.local')))).toHaveLength(1);
    const without = { ...cluster, services: cluster.services.filter((s) => s.meta.name !== 'web') };
    const snap = dnsSnapshot(without);
    writeFileSync(data.path, snap.text);
    data.refresh(snap.version);
    expect(zoneLines(ask(server, q('web.prod.svc.cluster.local')))).toHaveLength(1); // cached, as CoreDNS would
    expect(decode(ask(server, q('web.prod.svc.cluster.local', 'A', { edns: 1232 }))).rcode).toBe('NXDOMAIN'); // another question
  });

  it("the cache plugin's TTL: at least 5 s, at most the Corefile's cap, only in its zones, not where disabled", () => {
    const cache = { successTtl: 30, denialTtl: 10, zones: [''], disableSuccess: ['cluster.local'], disableDenial: [] };
    expect(cacheTtlFor(cache, 'api.external.com', 0, true, 300)).toBe(30);
    expect(cacheTtlFor(cache, 'api.external.com', 0, true, 2)).toBe(5);
    expect(cacheTtlFor(cache, 'nope.example.com', 3, false, 300)).toBe(10);
    expect(cacheTtlFor(cache, 'web.prod.svc.cluster.local', 0, true, 30)).toBeNull();
    expect(cacheTtlFor(cache, 'gone.prod.svc.cluster.local', 3, false, 30)).toBe(10);
    expect(cacheTtlFor(cache, 'x.example.com', 2, false, null)).toBeNull(); // SERVFAIL
    expect(cacheTtlFor(null, 'x.example.com', 0, true, 30)).toBeNull();
  });
});

describe("the internet's resolver", () => {
  it('answers external records as a recursive resolver (ra, not aa); NXDOMAIN with an SOA', () => {
    const server = new InternetDns(load(cluster), null);
    const a = decode(ask(server, q('www.example.com')));
    expect([a.flag_aa, a.flag_ra]).toEqual([false, true]);
    expect(zoneLines(ask(server, q('www.example.com')))).toEqual([
      'www.example.com. 300 IN CNAME web.example.net.', 'web.example.net. 300 IN A 203.0.113.81']);
    const nx = decode(ask(server, q('nothing.example.com')));
    expect([nx.rcode, nx.authorities![0]?.name]).toEqual(['NXDOMAIN', 'example.com']);
    const ptr = zoneLines(ask(server, q('80.113.0.203.in-addr.arpa', 'PTR')));
    expect(ptr).toEqual(['80.113.0.203.in-addr.arpa. 300 IN PTR api.external.com.']);
  });
});
