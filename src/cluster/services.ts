// Service addresses as the API server allocates them: ClusterIPs from the service subnet
// (static lower band, dynamic upper band, KEP-3070), NodePorts from 30000-32767 (bands per
// KEP-3668; TCP and UDP of one Service may share a number), healthCheckNodePorts for
// LoadBalancer + externalTrafficPolicy Local, and LoadBalancer IPs from the pool.
// Dynamic choices start at a hash of the Service's name, so they are stable.
import type { Issue } from '../model/issue.js';
import { cidrContains, cidrSize, familyOf, nthAddress, type Cidr, type IP } from '../model/ip.js';
import type { ClusterConfig, Service, ServicePort } from '../model/types.js';
import { fnv32a } from './naming.js';
import { statesField } from './infer-config.js';
import { isStored } from '../model/stored.js';
import { issueAt } from './issues.js';
import { inServiceRange } from './service-ip-range.js';
import { compareText } from '../model/order.js';

/** KEP-3070: min(max(16, cidrSize/16), 256) of the whole CIDR's size; 0 (no bands) for 16 addresses or fewer. */
export function clusterIPBandOffset(cidr: Cidr): bigint {
  const size = cidrSize(cidr);
  if (size <= 16n) return 0n;
  const sixteenth = size / 16n;
  return sixteenth < 16n ? 16n : sixteenth > 256n ? 256n : sixteenth;
}

/** KEP-3668: min(max(16, rangeSize/32), 128); 0 (no bands) for 16 ports or fewer. */
export function nodePortBandOffset(min: number, max: number): number {
  const size = max - min + 1;
  if (size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(size / 32)), 128);
}

class IPAllocator {
  private readonly used = new Map<string, string>(); // ip -> owner ns/name
  constructor(readonly cidr: Cidr) {}
  reserve(ip: IP, owner: string): string | null {
    const prev = this.used.get(ip);
    if (prev !== undefined) return prev;
    this.used.set(ip, owner);
    return null;
  }
  allocate(owner: string): IP | undefined {
    const usable = cidrSize(this.cidr) - 2n;
    const offset = clusterIPBandOffset(this.cidr);
    const dynamicSize = usable - offset;
    // Upper band first, then the lower (static) band.
    const bands: [bigint, bigint][] = [[offset + 1n, dynamicSize], [1n, offset]];
    for (const [start, size] of bands) {
      if (size <= 0n) continue;
      const first = BigInt(fnv32a(owner)) % size;
      for (let k = 0n; k < size && k < 1_000_000n; k++) {
        const ip = nthAddress(this.cidr, start + ((first + k) % size))!;
        if (!this.used.has(ip)) {
          this.used.set(ip, owner);
          return ip;
        }
      }
    }
    return undefined;
  }
}

class PortAllocator {
  private readonly used = new Map<number, string>(); // port -> owner
  constructor(readonly min: number, readonly max: number) {}
  owner(port: number): string | undefined {
    return this.used.get(port);
  }
  reserve(port: number, owner: string): void {
    this.used.set(port, owner);
  }
  allocate(owner: string): number | undefined {
    const offset = nodePortBandOffset(this.min, this.max);
    const bands: [number, number][] = [[this.min + offset, this.max - this.min + 1 - offset], [this.min, offset]];
    for (const [start, size] of bands) {
      if (size <= 0) continue;
      const first = fnv32a(owner) % size;
      for (let k = 0; k < size; k++) {
        const port = start + ((first + k) % size);
        if (!this.used.has(port)) {
          this.used.set(port, owner);
          return port;
        }
      }
    }
    return undefined;
  }
}

export function allocateServices(config: ClusterConfig, services: readonly Service[], issues: Issue[]): Service[] {
  const ipAllocators = new Map<4 | 6, IPAllocator>();
  for (const c of config.serviceSubnets) if (!ipAllocators.has(c.family)) ipAllocators.set(c.family, new IPAllocator(c));
  const ranges = config.serviceSubnets.map((c) => c.text).join(',');
  // Without a Cluster object saying the range, the input's ClusterIPs are the truth about it.
  const rangeStated = statesField(config, 'networking', 'serviceSubnet');
  const ports = new PortAllocator(config.nodePortRange.min, config.nodePortRange.max);
  const rangeText = `${config.nodePortRange.min}-${config.nodePortRange.max}`;
  const lbUsed = new Set<string>();
  const order = services.map((s, i) => ({ s, i })).sort((a, b) => compareText(key(a.s), key(b.s)));
  const out: Service[] = [...services];
  const ok = new Array<boolean>(services.length).fill(true);

  // Pass 1: reserve every address and port the input states, reporting conflicts as the API
  // server would: in input order, the order kubectl applies them, so the later create is refused.
  for (const [i, s] of services.entries()) {
    s.clusterIPs.forEach((ip, k) => {
      const path = s.raw && Array.isArray((s.raw.value['spec'] as Record<string, unknown> | undefined)?.['clusterIPs']) ? ['spec', 'clusterIPs', k] : ['spec', 'clusterIP'];
      const alloc = ipAllocators.get(familyOf(ip));
      if ((!alloc || !cidrContains(alloc.cidr, ip)) && isStored(s.raw)) {
        // The API server already allocated it: never "not in the valid range". Without a
        // Cluster object saying the range, the dump's own addresses are the truth about it.
        if (rangeStated) issues.push(issueAt(s, path, 'cluster-ip-outside-stated-range', 'info',
          `ClusterIP ${ip} is outside the Cluster object's serviceSubnet ${ranges}; the API server already allocated it, so knet keeps it`,
          'set networking.serviceSubnet in the Cluster object to the range the cluster really uses'));
        return;
      }
      if (!alloc || !inServiceRange(alloc.cidr, ip)) {
        issues.push(issueAt(s, path, 'cluster-ip-out-of-range', 'error',
          `spec.clusterIPs: Invalid value: ${JSON.stringify(s.clusterIPs)}: failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${ranges}`,
          `remove clusterIP to get one assigned, or pick an address inside ${ranges}`));
        ok[i] = false;
        return;
      }
      const prev = alloc.reserve(ip, key(s));
      if (prev) {
        issues.push(issueAt(s, path, 'cluster-ip-allocated', 'error',
          `spec.clusterIPs: Invalid value: ${JSON.stringify(s.clusterIPs)}: failed to allocate IP ${ip}: provided IP is already allocated (to Service ${prev})`,
          'remove clusterIP to get a free one, or pick another address'));
        ok[i] = false;
      }
    });
    const ownNodePorts = new Set<string>(); // `protocol/nodePort` within this Service
    s.ports.forEach((p, k) => {
      if (!p.nodePort || s.type === 'ClusterIP' || s.type === 'ExternalName') return;
      const path = ['spec', 'ports', k, 'nodePort'];
      // One Service may use one number for TCP and UDP, never twice for one protocol.
      if (ownNodePorts.has(`${p.protocol}/${p.nodePort}`)) {
        issues.push(issueAt(s, path, 'duplicate-node-port', 'error',
          `spec.ports[${k}].nodePort: Duplicate value: ${p.nodePort}`,
          'give each port of the Service its own nodePort (the same number is allowed only for different protocols)'));
        return;
      }
      ownNodePorts.add(`${p.protocol}/${p.nodePort}`);
      if (p.nodePort < config.nodePortRange.min || p.nodePort > config.nodePortRange.max) {
        issues.push(issueAt(s, path, 'node-port-out-of-range', 'error',
          `spec.ports[${k}].nodePort: Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${rangeText}`,
          `pick a port in ${rangeText}, or leave nodePort out to get one assigned`));
        return;
      }
      const prev = ports.owner(p.nodePort);
      // One Service may use the same number for TCP and UDP.
      if (prev !== undefined && prev !== key(s)) {
        issues.push(issueAt(s, path, 'node-port-allocated', 'error',
          `spec.ports[${k}].nodePort: Invalid value: ${p.nodePort}: provided port is already allocated (to Service ${prev})`,
          'leave nodePort out to get a free one, or pick another port'));
        return;
      }
      ports.reserve(p.nodePort, key(s));
    });
    if (s.healthCheckNodePort) ports.reserve(s.healthCheckNodePort, key(s));
    for (const ip of s.loadBalancerIngress) lbUsed.add(ip);
    if (s.loadBalancerIP) lbUsed.add(s.loadBalancerIP);
  }

  // Pass 2: fill in what is missing.
  let lbNext = 2n; // .1 is the fabric's router for the pool
  for (const { s, i } of order) {
    if (s.type === 'ExternalName') continue;
    let clusterIPs = s.clusterIPs;
    if (!s.headless && clusterIPs.length === 0 && ok[i]) {
      const families = wantedFamilies(s, config);
      if (families.error) {
        issues.push(issueAt(s, ['spec', 'ipFamilyPolicy'], 'ip-family', 'error', families.error,
          'set ipFamilyPolicy: PreferDualStack, or give the cluster an IPv6 service subnet (networking.serviceSubnet: "10.96.0.0/12,fd00:10:96::/112")'));
      }
      const ips: IP[] = [];
      for (const f of families.list) {
        const ip = ipAllocators.get(f)?.allocate(key(s));
        if (ip) ips.push(ip);
        else issues.push(issueAt(s, ['spec', 'clusterIP'], 'cluster-ip-exhausted', 'error', `no free ClusterIP left in ${ipAllocators.get(f)?.cidr.text ?? `an IPv${f} service subnet`}`, 'use a larger networking.serviceSubnet'));
      }
      clusterIPs = ips;
    }
    const nodePorts = s.type === 'NodePort' || s.type === 'LoadBalancer';
    // Ports with the same number (TCP and UDP of one port) share one NodePort, given or
    // allocated, as kube-apiserver's initNodePorts does.
    const byPort = new Map<number, number>();
    const servicePorts: ServicePort[] = s.ports.map((p) => {
      if (!nodePorts || p.nodePort) return p;
      const np = byPort.get(p.port)
        ?? s.ports.find((q) => q !== p && q.port === p.port && q.nodePort)?.nodePort
        ?? ports.allocate(`${key(s)}:${p.name || p.port}`);
      if (np === undefined) {
        issues.push(issueAt(s, ['spec', 'ports'], 'node-port-exhausted', 'error', `no free NodePort left in ${rangeText}`, 'delete unused NodePort Services or widen networking.nodePortRange'));
        return p;
      }
      byPort.set(p.port, np);
      return { ...p, nodePort: np };
    });
    let healthCheckNodePort = s.healthCheckNodePort;
    if (s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local' && !healthCheckNodePort) {
      healthCheckNodePort = ports.allocate(`${key(s)}#health`) ?? 0;
    }
    let loadBalancerIngress = s.loadBalancerIngress;
    if (s.type === 'LoadBalancer' && loadBalancerIngress.length === 0) {
      if (s.loadBalancerIP) loadBalancerIngress = [s.loadBalancerIP];
      else {
        let ip: IP | undefined;
        while ((ip = nthAddress(config.loadBalancerPool, lbNext)) && lbUsed.has(ip)) lbNext++;
        if (ip && lbNext < cidrSize(config.loadBalancerPool) - 1n) {
          lbUsed.add(ip);
          lbNext++;
          loadBalancerIngress = [ip];
        } else {
          issues.push(issueAt(s, ['spec', 'type'], 'lb-pool-exhausted', 'warning',
            `no free LoadBalancer address left in ${config.loadBalancerPool.text}: EXTERNAL-IP stays <pending>`,
            'use a larger networking.loadBalancerPool'));
        }
      }
    }
    const ipFamilies = clusterIPs.length > 0 ? clusterIPs.map(familyOf) : s.ipFamilies;
    out[i] = { ...s, clusterIPs, ipFamilies, ports: servicePorts, healthCheckNodePort, loadBalancerIngress };
  }
  return out;
}

function key(s: Service): string {
  return `${s.meta.namespace}/${s.meta.name}`;
}

function wantedFamilies(s: Service, config: ClusterConfig): { list: (4 | 6)[]; error?: string } {
  const available = config.serviceSubnets.map((c) => c.family);
  const primary = s.ipFamilies[0] ?? available[0] ?? 4;
  if (s.ipFamilyPolicy === 'SingleStack') {
    if (!available.includes(primary)) return { list: [], error: `spec.ipFamilies[0]: Invalid value: "IPv${primary}": not configured on this cluster` };
    return { list: [primary] };
  }
  const other: 4 | 6 = primary === 4 ? 6 : 4;
  const list: (4 | 6)[] = available.includes(primary) ? [primary] : [];
  if (available.includes(other)) list.push(other);
  if (s.ipFamilyPolicy === 'RequireDualStack' && list.length < 2) {
    return { list, error: 'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services' };
  }
  return { list };
}
