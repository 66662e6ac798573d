// The snapshot the daemon hands the running DNS servers must answer exactly as the cluster
// it was cut from: every Service name, port, endpoint, address and external record of the
// DNS fixture and of opscart, asked of both indexes, gives the same rcode and records.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCluster, type Cluster } from '../../cluster/fill-in.js';
import { buildDnsIndex, resolveName } from '../../core/dns/dns-server.js';
import { zoneLine } from '../../core/dns/message.js';
import { dashedIP, QTYPES, reverseName, type QType } from '../../core/dns/names.js';
import { fixture } from '../../core/dns/test-support/fixture.js';
import type { IP } from '../../model/ip.js';
import { dnsSnapshot, indexFromSnapshot, SnapshotError } from './snapshot.js';

const OPSCART = fileURLToPath(new URL('../../../examples/opscart', import.meta.url));

/** Every name the cluster's DNS knows, and a few it does not. */
function questions(c: Cluster): [string, QType][] {
  const zone = c.config.clusterDomain;
  const names = new Set<string>([zone, `svc.${zone}`, `dns-version.${zone}`, `nothing.default.svc.${zone}`, `x.nonexistent-ns.svc.${zone}`, 'www.example.org']);
  for (const n of c.namespaces) names.add(`${n.meta.name}.svc.${zone}`);
  for (const s of c.services) {
    const base = `${s.meta.name}.${s.meta.namespace}.svc.${zone}`;
    names.add(base);
    for (const p of s.ports) names.add(`_${p.name || 'x'}._${p.protocol.toLowerCase()}.${base}`);
  }
  for (const sl of c.endpointSlices) {
    for (const e of sl.endpoints) {
      for (const ip of e.addresses) {
        names.add(`${e.hostname || dashedIP(ip)}.${sl.serviceName}.${sl.meta.namespace}.svc.${zone}`);
        names.add(reverseName(ip));
      }
    }
  }
  for (const s of c.services) for (const ip of s.clusterIPs) names.add(reverseName(ip));
  for (const p of c.pods) for (const ip of p.status.podIPs) names.add(`${dashedIP(ip as IP)}.${p.meta.namespace}.pod.${zone}`);
  for (const r of c.config.externalRecords) names.add(r.name);
  const out: [string, QType][] = [];
  for (const n of names) for (const t of QTYPES) out.push([`${n}.`, t]);
  return out;
}

function differential(c: Cluster): number {
  // The running cluster's index: a closed internet, the serial of its load.
  const direct = buildDnsIndex(c, { upstream: 'closed', serial: 1700000000 });
  const { index } = indexFromSnapshot(dnsSnapshot(c).text, 'dns.json', 1700000000);
  let asked = 0;
  for (const [name, type] of questions(c)) {
    const a = resolveName(direct, name, type);
    const b = resolveName(index, name, type);
    expect({ name, type, rcode: b.rcode, answers: b.answers.map(zoneLine), additional: b.additional.map(zoneLine) })
      .toEqual({ name, type, rcode: a.rcode, answers: a.answers.map(zoneLine), additional: a.additional.map(zoneLine) });
    asked++;
  }
  return asked;
}

describe('DNS snapshot', () => {
  it('the DNS fixture: every name answers as the cluster it was cut from', () => {
    expect(differential(fixture().cluster)).toBeGreaterThan(300);
  });

  it('opscart: every name answers as the cluster it was cut from', () => {
    const { cluster } = loadCluster([OPSCART]);
    expect(differential(cluster)).toBeGreaterThan(300);
  });

  it('is deterministic, and its version follows its content', () => {
    const { cluster } = fixture();
    expect(dnsSnapshot(cluster)).toEqual(dnsSnapshot(cluster));
    const other = { ...cluster, services: cluster.services.slice(1) };
    expect(dnsSnapshot(other).version).not.toBe(dnsSnapshot(cluster).version);
  });

  it('refuses what is not a snapshot', () => {
    expect(() => indexFromSnapshot('{')).toThrow(SnapshotError);
    expect(() => indexFromSnapshot('{"kind":"List","items":[]}')).toThrow(/not a KnetDnsSnapshot/);
  });
});
