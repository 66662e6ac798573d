// What the running DNS servers answer from: the filled-in cluster, cut down to what CoreDNS
// watches (Namespaces, Services, EndpointSlices, pod IPs, the kube-system/coredns
// ConfigMap) and the Cluster object's DNS settings and external records, in wire form.
// The daemon writes it; the runtime decodes it with the model's decoder and builds the same
// DnsIndex `knet dns` builds from the cluster (snapshot.test.ts checks they answer alike).
import { createHash } from 'node:crypto';
import type { Cluster } from '../../cluster/fill-in.js';
import { toWire } from '../../cluster/wire.js';
import { buildDnsIndex, type DnsIndex } from '../../core/dns/dns-server.js';
import type { Issue } from '../../model/issue.js';
import { decodeObjects } from '../../model/load.js';
import type { RawObject } from '../../model/source.js';
import type { ClusterConfig, Pod } from '../../model/types.js';

export const SNAPSHOT_KIND = 'KnetDnsSnapshot';

export interface DnsSnapshot {
  readonly text: string;
  /** sha256 of the text: the runtime reloads when the SPEC names another version. */
  readonly version: string;
}

/** The snapshot of a filled-in cluster: deterministic (same cluster, same text). */
export function dnsSnapshot(cluster: Cluster): DnsSnapshot {
  const objects: Record<string, unknown>[] = [clusterObject(cluster.config)];
  for (const n of cluster.namespaces) objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.meta.name } });
  for (const s of cluster.services) objects.push(toWire(s));
  for (const s of cluster.endpointSlices) objects.push(toWire(s));
  for (const p of cluster.pods) if (p.status.podIPs.length > 0) objects.push(podObject(p));
  for (const c of cluster.configMaps) {
    if (c.meta.namespace === 'kube-system' && c.meta.name === 'coredns') objects.push(toWire(c));
  }
  const text = `${JSON.stringify({ kind: SNAPSHOT_KIND, version: 1, objects })}\n`;
  return { text, version: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

/** The Cluster object's fields DNS reads: domain, clusterDNS, subnets, external records. */
function clusterObject(c: ClusterConfig): Record<string, unknown> {
  return {
    apiVersion: 'knet.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: c.name },
    networking: {
      cni: c.cni,
      podSubnet: c.podSubnet.text,
      serviceSubnet: c.serviceSubnets.map((s) => s.text).join(','),
      nodeSubnet: c.nodeSubnet.text,
    },
    dns: { clusterDomain: c.clusterDomain, clusterDNS: [...c.clusterDNS] },
    external: {
      records: c.externalRecords.map((r) => ({
        name: r.name,
        ...(r.a.length ? { a: [...r.a] } : {}),
        ...(r.aaaa.length ? { aaaa: [...r.aaaa] } : {}),
        ...(r.cname ? { cname: r.cname } : {}),
        ...(r.txt.length ? { txt: [...r.txt] } : {}),
      })),
    },
  };
}

/** CoreDNS indexes a pod by its primary IP, its phase and whether it is terminating. */
function podObject(p: Pod): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: p.meta.name, namespace: p.meta.namespace };
  if (p.meta.deletionTimestamp) metadata['deletionTimestamp'] = p.meta.deletionTimestamp;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { nodeName: p.spec.nodeName, containers: [{ name: 'c', image: 'knet' }] },
    status: { phase: p.status.phase, podIP: p.status.podIPs[0], podIPs: p.status.podIPs.map((ip) => ({ ip })) },
  };
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/** Decodes a snapshot and builds its index; the Corefile's problems come back as issues. */
export function indexFromSnapshot(text: string, file = 'dns.json', serial?: number): { index: DnsIndex; corefile: string; issues: readonly Issue[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SnapshotError(`${file}: not JSON: ${(e as Error).message}`);
  }
  const d = doc as { kind?: unknown; version?: unknown; objects?: unknown };
  if (!d || d.kind !== SNAPSHOT_KIND || d.version !== 1 || !Array.isArray(d.objects)) {
    throw new SnapshotError(`${file}: not a ${SNAPSHOT_KIND} (version 1)`);
  }
  const at = { file, line: 0, col: 0 };
  const raws: RawObject[] = (d.objects as Record<string, unknown>[]).map((value) => ({ file, value, locate: () => at }));
  const decoded = decodeObjects(raws);
  // The running cluster's internet is the external records and nothing else: closed.
  const index = buildDnsIndex(decoded.inventory, { upstream: 'closed', ...(serial === undefined ? {} : { serial }) });
  const cm = decoded.inventory.configMaps.find((c) => c.meta.namespace === 'kube-system' && c.meta.name === 'coredns');
  return { index, corefile: cm?.data['Corefile'] ?? '', issues: index.issues };
}
