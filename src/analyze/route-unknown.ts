// What `knet route` cannot know about one request: a backend whose pods may come from what
// knet does not model or the input leaves out (unknown, not 503), and a TLS Secret the input
// lacks (made out of band: the certificate is unknown, not the fake one).
import type { Cluster } from '../cluster/fill-in.js';
import type { RouteDecision } from '../core/ingress/index.js';
import { podsUnknown, unknownTlsSecret, type Unknown } from './unmodelled.js';

export interface RouteUnknowns {
  readonly backend: Unknown | null;
  readonly tls: { readonly secret: string; readonly unknown: Unknown } | null;
}

export function routeUnknowns(cluster: Cluster, d: RouteDecision, host: string): RouteUnknowns {
  const o = d.outcome;
  let backend: Unknown | null = null;
  if (o.kind === 'unavailable' && o.backend.upstream.kind === 'unavailable' && o.backend.upstream.servicePort !== null) {
    const ref = o.backend.ref;
    const svc = cluster.services.find((s) => s.meta.namespace === ref.namespace && s.meta.name === ref.service);
    if (svc?.selector) backend = podsUnknown(cluster, svc.meta.namespace, svc.selector, svc.meta.ownerReferences);
  }
  const tls = d.tls?.kind === 'default' && d.tls.sni !== null ? unknownTlsSecret(cluster, host) : null;
  return { backend, tls };
}
