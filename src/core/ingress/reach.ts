// Who answers a request for a host, before ingress-nginx's route matters: the controller
// knet models (it runs and serves an Ingress claiming the host, or answers with its default
// backend), a controller knet does not model (the host's Ingress has another class: istio,
// traefik, ...: unknown), or nobody (no controller pod runs in the input).
import type { Ingress, Ref } from '../../model/types.js';
import { describeOtherClass, type OtherClass } from './class.js';
import { hostMatches, normalizeHost } from './host-path.js';
import type { RouteTable } from './route-table.js';

export type Reach =
  | { readonly kind: 'controller' } // matchRoute's answer is the answer
  | { readonly kind: 'unmodelled'; readonly ingress: Ref; readonly otherClass: OtherClass; readonly reason: string; readonly why: string }
  | { readonly kind: 'no-controller'; readonly ingresses: readonly Ref[]; readonly reason: string; readonly why: string }
  | { readonly kind: 'not-served'; readonly ingress: Ref; readonly reason: string; readonly why: string };

const refOf = (i: Ingress) => `${i.meta.namespace}/${i.meta.name}` as Ref;

/**
 * The Ingresses that claim a host: those with a rule for it; when none has, those whose
 * rules have no host or that have no rules (a defaultBackend), which take every host.
 */
export function ingressesClaiming(ingresses: readonly Ingress[], host: string): Ingress[] {
  const h = normalizeHost(host);
  const named = ingresses.filter((i) => i.rules.some((r) => r.host && hostMatches(r.host, h)));
  if (named.length > 0) return named;
  return ingresses.filter((i) => i.rules.length === 0 ? i.defaultBackend !== null : i.rules.some((r) => !r.host));
}

export function reachHost(table: RouteTable, ingresses: readonly Ingress[], host: string): Reach {
  const h = normalizeHost(host) || '(no host)';
  const admission = new Map(table.admissions.map((a) => [a.ingress as string, a]));
  const claims = ingressesClaiming(ingresses, h).map((i) => admission.get(refOf(i))).filter((a) => a !== undefined);
  if (table.running && claims.some((a) => a.served)) return { kind: 'controller' };
  const other = claims.find((a) => a.otherClass !== null);
  if (other) {
    const k = other.otherClass!;
    return {
      kind: 'unmodelled', ingress: other.ingress, otherClass: k,
      reason: `no ingress controller serves class ${k.name}: knet models ingress-nginx; the answer is unknown`,
      why: `Ingress ${other.ingress} claims ${h}; its ${describeOtherClass(k)} belongs to a controller knet does not model${table.running ? ` (ingress-nginx leaves it out: ${other.why})` : ''}`,
    };
  }
  if (!table.running) {
    return {
      kind: 'no-controller', ingresses: claims.map((a) => a.ingress),
      reason: `no ingress controller runs in the input: nothing serves ${h}`,
      why: claims.length > 0
        ? `Ingress ${claims.map((a) => a.ingress).join(', ')} ${claims.length === 1 ? 'claims' : 'claim'} ${h}, but no ingress-nginx controller pod is in the input`
        : `no Ingress claims ${h}, and no ingress-nginx controller pod is in the input`,
    };
  }
  const unserved = claims.find((a) => !a.served);
  if (unserved) {
    return {
      kind: 'not-served', ingress: unserved.ingress,
      reason: `no ingress controller publishes ${h}: Ingress ${unserved.ingress} has a rule for it, but ingress-nginx does not serve it`,
      why: unserved.why,
    };
  }
  return { kind: 'controller' };
}
