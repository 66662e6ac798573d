// The DefaultIngressClass admission plugin: an Ingress created without spec.ingressClassName
// and without the kubernetes.io/ingress.class annotation gets the default IngressClass's
// name (plugin/pkg/admission/network/defaultingressclass). Only on create: an Ingress a
// dump shows as already stored keeps what it has.
import type { Ingress, IngressClass } from '../model/types.js';
import { isStored } from '../model/stored.js';
import { compareText } from '../model/order.js';

const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/**
 * The class the plugin gives: of those annotated `ingressclass.kubernetes.io/is-default-class:
 * "true"`, the newest (creationTimestamp), ties by name ascending. A class the input does not
 * date is created with this input, so it is the newest.
 */
export function defaultIngressClass(classes: readonly IngressClass[]): IngressClass | undefined {
  const created = (k: IngressClass) => k.meta.creationTimestamp || '\uffff';
  return classes
    .filter((k) => k.isDefault)
    .sort((a, b) => (created(a) === created(b) ? compareText(a.meta.name, b.meta.name) : created(a) > created(b) ? -1 : 1))[0];
}

export function withDefaultIngressClass(ingresses: readonly Ingress[], classes: readonly IngressClass[]): Ingress[] {
  const def = defaultIngressClass(classes);
  if (!def) return [...ingresses];
  return ingresses.map((ing) => {
    const spec = ing.raw?.value['spec'];
    // Admit reads the field as a pointer: `ingressClassName: ""` is set and stays "".
    const given = spec !== null && typeof spec === 'object' && (spec as Record<string, unknown>)['ingressClassName'] != null;
    if (given || ing.ingressClassName || ing.meta.annotations[LEGACY_CLASS_ANNOTATION] !== undefined || isStored(ing.raw)) return ing;
    return { ...ing, ingressClassName: def.meta.name };
  });
}
