// The client address nginx sees, which whitelist-source-range, denylist-source-range and
// limit-rps act on: from outside, through the controller's LoadBalancer or NodePort Service,
// kube-proxy masquerades under externalTrafficPolicy: Cluster, so nginx sees a node's
// address (any node's: the one the load balancer picked), never the client's; under Local
// the client's own address reaches the pod.
import type { Node, Pod, Service } from '../../model/types.js';
import { isControllerContainer } from './controller.js';

export interface SeenClient {
  readonly addresses: readonly string[]; // empty: unknown
  readonly why: string;
}

export function clientAsSeen(c: { readonly services: readonly Service[]; readonly pods: readonly Pod[]; readonly nodes: readonly Node[] }, client: string | null): SeenClient {
  const controllers = c.pods.filter((p) => p.spec.containers.some(isControllerContainer));
  const svc = c.services.find((s) => (s.type === 'LoadBalancer' || s.type === 'NodePort') && controllers.some((p) =>
    p.meta.namespace === s.meta.namespace && s.selector !== null && Object.keys(s.selector).length > 0 && Object.entries(s.selector).every(([k, v]) => p.meta.labels[k] === v)));
  if (!svc) {
    return client ? { addresses: [client], why: `the client ${client} (no LoadBalancer or NodePort Service in front of the controller)` } : { addresses: [], why: 'the client address is not given (--client-ip)' };
  }
  const ref = `${svc.meta.namespace}/${svc.meta.name}`;
  if (svc.externalTrafficPolicy === 'Local') {
    return client ? { addresses: [client], why: `the client ${client} itself: Service ${ref} has externalTrafficPolicy: Local` } : { addresses: [], why: `Service ${ref} has externalTrafficPolicy: Local, so nginx sees the client's own address, which is not given (--client-ip)` };
  }
  const nodes = c.nodes.flatMap((n) => n.internalIPs.slice(0, 1)).map(String);
  return { addresses: nodes, why: `nginx sees a node's address (${nodes.join(', ')}), not the client${client ? ` ${client}` : ''}'s: Service ${ref} has externalTrafficPolicy: Cluster, so kube-proxy masquerades it (externalTrafficPolicy: Local keeps the client's address)` };
}
