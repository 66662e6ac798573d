// Which addresses of a service subnet the API server's ClusterIP allocator hands out or
// accepts (pkg/registry/core/service/ipallocator): never the network address, and for
// IPv4 never the broadcast address; anything else is "not in the valid range".
import { cidrContains, ipToBigInt, type Cidr, type IP } from '../model/ip.js';

export function inServiceRange(cidr: Cidr, ip: IP): boolean {
  if (!cidrContains(cidr, ip)) return false;
  const n = ipToBigInt(ip);
  return n !== cidr.first && (cidr.family === 6 || n !== cidr.last);
}
