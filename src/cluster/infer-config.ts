// The cluster's configuration as a dump shows it: where the input states addresses (pod
// IPs, ClusterIPs, node addresses, kube-dns, the Corefile), the CNI mode, the subnets, the
// cluster DNS address and the cluster domain follow them. The Cluster object wins for
// every field it states; inference only fills in what it leaves open.
import { bigIntToIP, cidrContains, cidrOf, familyOf, ipToBigInt, parseCidr, type Cidr, type Family, type IP } from '../model/ip.js';
import type { Issue } from '../model/issue.js';
import { isStored } from '../model/stored.js';
import type { ClusterConfig, CniMode, Inventory, Pod } from '../model/types.js';

/** Where the note about the inferred configuration points: the input's first pod, node or Service. */
function firstInputPosition(inv: Inventory): { file: string; line: number; col: number } {
  const raw = [...inv.pods, ...inv.nodes, ...inv.services].find((o) => o.raw !== null)?.raw;
  return raw ? raw.locate(['metadata']) : { file: '', line: 0, col: 0 };
}

/** Modes whose pods take addresses from their node's podCIDR, and whose routes go by it. */
export function routesByPodCIDR(cni: CniMode): boolean {
  return cni === 'flannel' || cni === 'kubenet';
}

export function inferConfig(inv: Inventory): { config: ClusterConfig; notes: Issue[] } {
  const given = inv.config;
  const said: string[] = [];
  let config: ClusterConfig = given;
  const set = <K extends keyof ClusterConfig>(key: K, value: ClusterConfig[K], why: string): void => {
    config = { ...config, [key]: value };
    said.push(why);
  };
  const podIPs = addressedPods(inv.pods).flatMap((p) => p.status.podIPs);
  const nodeIPs = [...inv.nodes.flatMap((n) => n.internalIPs), ...inv.pods.map((p) => p.status.hostIP).filter((ip): ip is IP => ip !== '')];
  const serviceIPs = inv.services.flatMap((s) => s.clusterIPs);

  if (!statesField(given, 'networking', 'cni')) {
    const cni = inferCni(inv, podIPs, nodeIPs);
    if (cni && cni.mode !== given.cni) set('cni', cni.mode, `CNI ${cni.mode} (${cni.why})`);
    else if (cni) said.push(`CNI ${cni.mode} (${cni.why})`);
  }
  const vnet = config.cni === 'azure';
  if (!statesField(given, 'networking', 'podSubnet')) {
    const pool = calicoPool(inv, podIPs);
    const family = podIPs[0] ? familyOf(podIPs[0]) : given.podSubnet.family;
    const own = podIPs.filter((ip) => familyOf(ip) === family);
    const podCIDRs = inv.nodes.flatMap((n) => n.podCIDRs).filter((c) => c.family === family);
    const inNodeRanges = own.length > 0 && own.every((ip) => podCIDRs.some((c) => cidrContains(c, ip)));
    const avoid = vnet ? serviceIPs : [...nodeIPs, ...serviceIPs];
    const inDefault = (c: Cidr): boolean => c.family === given.podSubnet.family && c.first >= given.podSubnet.first && c.last <= given.podSubnet.last;
    const rangesFit = podCIDRs.every(inDefault) && own.every((ip) => cidrContains(given.podSubnet, ip));
    // Host-local pods (or none yet): the nodes' podCIDRs show the range; else the pods do.
    const fromRanges = !pool && !rangesFit && (own.length === 0 || inNodeRanges);
    const subnet = pool ?? (rangesFit ? null
      : fromRanges ? covering(podCIDRs.flatMap((c) => [bigIntToIP(c.first, family), bigIntToIP(c.last, family)]), family, 16, avoid)
        : covering(own, family, vnet ? 24 : 16, avoid));
    const source = pool ? 'its Calico IPPool' : fromRanges ? 'its nodes\' podCIDRs' : 'its pods\' addresses';
    if (subnet && subnet.text !== given.podSubnet.text) set('podSubnet', subnet, `pod subnet ${subnet.text} (${source})`);
  }
  if (!statesField(given, 'networking', 'nodeSubnet')) {
    const own = nodeIPs.filter((ip) => familyOf(ip) === given.nodeSubnet.family);
    if (own.length > 0 && !own.every((ip) => cidrContains(given.nodeSubnet, ip))) {
      const subnet = covering(own, given.nodeSubnet.family, 16, vnet ? serviceIPs : [...podIPs, ...serviceIPs]);
      if (subnet) set('nodeSubnet', subnet, `node subnet ${subnet.text} (its nodes' addresses)`);
    }
  }
  if (!statesField(given, 'networking', 'serviceSubnet')) {
    const subnets = inferServiceSubnets(inv, given, [...podIPs, ...nodeIPs]);
    if (subnets.map((s) => s.text).join(',') !== given.serviceSubnets.map((s) => s.text).join(',')) {
      set('serviceSubnets', subnets, `service subnet ${subnets.map((s) => s.text).join(',')} (its ClusterIPs)`);
    }
  }
  if (!statesField(given, 'dns', 'clusterDNS')) {
    const kubeDns = inv.services.find((s) => s.meta.namespace === 'kube-system' && s.meta.name === 'kube-dns');
    const ip = kubeDns?.clusterIPs[0];
    if (ip && ip !== given.clusterDNS[0]) set('clusterDNS', [ip], `cluster DNS ${ip} (kube-system/kube-dns)`);
  }
  if (!statesField(given, 'dns', 'clusterDomain')) {
    const domain = inferClusterDomain(inv);
    if (domain && domain.name !== given.clusterDomain) set('clusterDomain', domain.name, `cluster domain ${domain.name} (${domain.why})`);
  }
  const notes: Issue[] = said.length === 0 ? [] : [{
    code: 'cluster-inferred', severity: 'info', ...firstInputPosition(inv),
    message: `the cluster's configuration follows the input: ${said.join('; ')}`,
    hint: 'a knet.dev/v1alpha1 Cluster object states these settings where the input does not show them',
  }];
  return { config, notes };
}

/** Whether the Cluster object itself states the field (not a default). */
export function statesField(c: ClusterConfig, ...path: string[]): boolean {
  let v: unknown = c.raw?.value;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return false;
    v = (v as Record<string, unknown>)[k];
  }
  return v !== undefined && v !== null && v !== '';
}

/** Pods whose stated addresses are their own (not the node's, not a finished pod's). */
export function addressedPods(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => !p.spec.hostNetwork && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed' && p.status.podIPs.length > 0);
}

interface Marker { readonly mode: CniMode; readonly why: string; readonly names: RegExp }

/** The CNI's own agents, as they are named in every install of it; the first found decides. */
const MARKERS: readonly Marker[] = [
  { mode: 'azure', why: 'AWS VPC CNI (aws-node): pods take VPC addresses, as in knet\'s azure (VNet) mode', names: /^aws-node$/ },
  { mode: 'azure', why: 'Azure CNI: pods take VNet addresses', names: /^(azure-cni|azure-vnet|azure-cns|azure-ip-masq-agent)$/ },
  { mode: 'calico', why: 'calico-node runs: Calico IPAM hands out blocks of its IP pools', names: /^calico-node$/ },
  // Routed per node from IPAM ranges of their own, and enforcing policies: as knet's calico mode.
  { mode: 'calico', why: 'canal runs (flannel\'s network, Calico\'s policies): modelled as calico', names: /^canal$/ },
  { mode: 'calico', why: 'cilium runs: its IPAM hands out ranges of its own, modelled as calico', names: /^cilium$/ },
  { mode: 'calico', why: 'weave-net runs: its IPAM hands out addresses of its own, modelled as calico', names: /^weave-net$/ },
  { mode: 'flannel', why: 'kube-flannel runs: pods take addresses from their node\'s podCIDR', names: /^(kube-flannel|kube-flannel-ds|flannel)$/ },
];

function inferCni(inv: Inventory, podIPs: readonly IP[], nodeIPs: readonly IP[]): { mode: CniMode; why: string } | null {
  const names = new Set<string>();
  for (const p of inv.pods) {
    names.add(p.meta.labels['k8s-app'] ?? '');
    names.add(p.meta.labels['app'] ?? '');
    names.add(p.meta.name.replace(/-[a-z0-9]{5}$/, ''));
  }
  for (const w of inv.workloads) {
    names.add(w.meta.name);
    names.add(w.template.labels['k8s-app'] ?? '');
  }
  for (const m of MARKERS) if ([...names].some((n) => m.names.test(n))) return { mode: m.mode, why: m.why };
  if (inv.others.some((o) => o.kind === 'IPPool' && /projectcalico\.org/.test(o.apiVersion))) {
    return { mode: 'calico', why: 'a Calico IPPool: Calico IPAM hands out blocks of it' };
  }
  if (podIPs.length === 0) return null;
  // Pods on the nodes' own network: a VNet/VPC CNI (their addresses are the cloud's).
  const nodeNet = covering(nodeIPs.filter((ip) => familyOf(ip) === familyOf(podIPs[0]!)), familyOf(podIPs[0]!), 24, []);
  if (nodeNet && podIPs.some((ip) => cidrContains(nodeNet, ip))) return { mode: 'azure', why: 'pods take addresses on the nodes\' network, as a VNet/VPC CNI hands them out' };
  const ranges = inv.nodes.flatMap((n) => n.podCIDRs);
  if (ranges.length > 0 && podIPs.some((ip) => !ranges.some((c) => cidrContains(c, ip)))) {
    return { mode: 'calico', why: 'pod addresses outside the nodes\' podCIDRs: the CNI\'s IPAM is not host-local' };
  }
  return null;
}

/** The Calico IPPool holding the most pod addresses, if the input has one. */
function calicoPool(inv: Inventory, podIPs: readonly IP[]): Cidr | null {
  let best: { cidr: Cidr; n: number } | null = null;
  for (const o of inv.others) {
    if (o.kind !== 'IPPool' || !o.raw) continue;
    const spec = o.raw.value['spec'] as Record<string, unknown> | undefined;
    const text = typeof spec?.['cidr'] === 'string' ? spec['cidr'] : '';
    const cidr = parseCidr(text.trim());
    if (!cidr) continue;
    const n = podIPs.filter((ip) => cidrContains(cidr, ip)).length;
    if (!best || n > best.n) best = { cidr, n };
  }
  return best && best.n > 0 ? best.cidr : null;
}

/**
 * The smallest block holding every address, then widened up to /widenTo (a range a control
 * plane would be configured with) as long as it takes in none of `avoid`.
 */
export function covering(ips: readonly IP[], family: Family, widenTo: number, avoid: readonly IP[]): Cidr | null {
  const own = ips.filter((ip) => familyOf(ip) === family);
  if (own.length === 0) return null;
  const bits = family === 4 ? 32 : 128;
  const values = own.map(ipToBigInt);
  const lo = values.reduce((a, b) => (b < a ? b : a));
  const hi = values.reduce((a, b) => (b > a ? b : a));
  let prefix = bits;
  while (prefix > 0 && cidrOf(lo, prefix, family).last < hi) prefix--;
  let c = cidrOf(lo, prefix, family);
  const others = avoid.filter((ip) => familyOf(ip) === family);
  while (c.prefix > widenTo) {
    const wider = cidrOf(lo, c.prefix - 1, family);
    if (others.some((ip) => cidrContains(wider, ip))) break;
    c = wider;
  }
  return c;
}

/**
 * One service subnet per family the ClusterIPs show. default/kubernetes holds the first
 * address of the primary range (kube-apiserver's rule), so the range starts just below it;
 * it is as wide as kubeadm's (/12, /108) unless that would take in pod or node addresses.
 * A stated ClusterIP outside it stays as the API server allocated it.
 */
function inferServiceSubnets(inv: Inventory, given: ClusterConfig, avoid: readonly IP[]): Cidr[] {
  // Only allocated addresses say what the range is; a manifest's wish may be refused.
  const held = inv.services.filter((svc) => isStored(svc.raw));
  const api = held.find((s) => s.meta.namespace === 'default' && s.meta.name === 'kubernetes');
  const all = held.flatMap((s) => s.clusterIPs);
  if (all.length === 0) return [...given.serviceSubnets];
  const primary: Family = api?.clusterIPs[0] ? familyOf(api.clusterIPs[0]) : familyOf(all[0]!);
  const families: Family[] = [primary, ...([4, 6] as Family[]).filter((f) => f !== primary && all.some((ip) => familyOf(ip) === f))];
  return families.map((f) => {
    const own = all.filter((ip) => familyOf(ip) === f);
    const dflt = given.serviceSubnets.find((c) => c.family === f);
    if (dflt && own.every((ip) => cidrContains(dflt, ip))) return dflt;
    const anchor = api?.clusterIPs.find((ip) => familyOf(ip) === f);
    const base = anchor ? ipToBigInt(anchor) - 1n : own.map(ipToBigInt).reduce((a, b) => (b < a ? b : a));
    const widest = f === 4 ? 12 : 108;
    const narrowest = f === 4 ? 24 : 120;
    const others = avoid.filter((ip) => familyOf(ip) === f);
    for (let p = widest; p < narrowest; p++) {
      const c = cidrOf(base, p, f);
      if (!others.some((ip) => cidrContains(c, ip))) return c;
    }
    return cidrOf(base, narrowest, f);
  });
}

/** The zone of the Corefile's kubernetes plugin, else the search path a pod states for itself. */
function inferClusterDomain(inv: Inventory): { name: string; why: string } | null {
  const cm = inv.configMaps.find((c) => c.meta.namespace === 'kube-system' && c.meta.name === 'coredns');
  const line = cm?.data['Corefile']?.split('\n').find((l) => /^\s*kubernetes\s/.test(l));
  const zone = line?.trim().split(/\s+/).slice(1).find((z) => !/arpa\.?$/.test(z) && !z.startsWith('{'));
  if (zone) return { name: zone.replace(/\.$/, '').toLowerCase(), why: 'the Corefile\'s kubernetes zone' };
  for (const p of inv.pods) {
    const prefix = `${p.meta.namespace}.svc.`;
    const search = p.spec.dnsConfig?.searches.find((s) => s.startsWith(prefix) && s.length > prefix.length);
    if (search) return { name: search.slice(prefix.length).replace(/\.$/, '').toLowerCase(), why: `the search path of pod ${p.meta.namespace}/${p.meta.name}` };
  }
  return null;
}
