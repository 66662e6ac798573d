// Which Ingresses the controller serves, as ingress-nginx decides it: spec.ingressClassName
// names an IngressClass whose spec.controller is this controller's; else the legacy
// `kubernetes.io/ingress.class` annotation equals its --ingress-class; else only with
// --watch-ingress-without-class. An Ingress created with neither got the default
// IngressClass from the DefaultIngressClass admission plugin (refused when two are default).
// An Ingress left out because its class is another controller's (istio, traefik, an
// IngressClass whose spec.controller is not this one) says which class: knet does not
// model that controller, so what happens to it is unknown, not an error.
import { refOf, type Ingress, type IngressClass, type Ref } from '../../model/types.js';
import type { ControllerConfig } from './controller.js';

export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** A class that belongs to a controller knet does not model; `controller` is its IngressClass's spec.controller when the input has it. */
export interface OtherClass {
  readonly name: string;
  readonly controller: string | null;
}

export type Admission =
  | { readonly kind: 'served'; readonly ingress: Ingress; readonly ref: Ref; readonly why: string }
  | { readonly kind: 'ignored'; readonly ingress: Ingress; readonly ref: Ref; readonly why: string; readonly otherClass: OtherClass | null };

/** A class of another controller in a message: `class istio`, `class traefik (IngressClass controller traefik.io/ingress-controller)`. */
export function describeOtherClass(k: OtherClass): string {
  return k.controller ? `class ${k.name} (IngressClass controller ${k.controller})` : `class ${k.name}`;
}

export function admitIngress(ing: Ingress, classes: readonly IngressClass[], c: ControllerConfig): Admission {
  const ref = refOf(ing.meta.namespace, ing.meta.name);
  const served = (why: string): Admission => ({ kind: 'served', ingress: ing, ref, why });
  const ignored = (why: string, otherClass: OtherClass | null = null): Admission => ({ kind: 'ignored', ingress: ing, ref, why, otherClass });
  const annotation = ing.meta.annotations[LEGACY_CLASS_ANNOTATION];

  let className = ing.ingressClassName;
  let defaulted = false;
  if (!className && annotation === undefined) {
    const defaults = classes.filter((k) => k.isDefault);
    if (defaults.length > 1) {
      return ignored(`no class given, and ${defaults.length} IngressClasses are marked default (${defaults.map((k) => k.meta.name).join(', ')}): ingress-nginx leaves an Ingress without class out`);
    }
    if (defaults.length === 1) {
      className = defaults[0]!.meta.name;
      defaulted = true;
    }
  }
  if (className) {
    const how = defaulted ? `no class given: the default IngressClass ${className}` : `ingressClassName ${className}`;
    const k = classes.find((x) => x.meta.name === className);
    // An IngressClass the input lacks may be installed with its controller outside the input;
    // only the controller's own class name is surely this controller's.
    if (!k) return ignored(`${how}: no IngressClass named ${className}`, className === c.ingressClass ? null : { name: className, controller: null });
    if (c.ingressClassByName && className === c.ingressClass) return served(`${how} (--ingress-class-by-name)`);
    if (k.controller !== c.controllerClass) return ignored(`${how}: its controller is ${k.controller}, not ${c.controllerClass}`, { name: className, controller: k.controller });
    return served(`${how}, controller ${k.controller}`);
  }
  if (annotation !== undefined) {
    return annotation === c.ingressClass
      ? served(`annotation ${LEGACY_CLASS_ANNOTATION}: ${annotation}`)
      : ignored(`annotation ${LEGACY_CLASS_ANNOTATION}: ${annotation}, but this controller's --ingress-class is ${c.ingressClass}`, { name: annotation, controller: null });
  }
  return c.watchWithoutClass
    ? served('no class, and the controller runs with --watch-ingress-without-class')
    : ignored('no ingressClassName, no class annotation and no default IngressClass: no controller serves it');
}

/**
 * ingress-nginx's order: oldest first (creationTimestamp); equal timestamps, which
 * manifests applied together have, by `ns/name` descending. The first wins a conflict.
 */
export function byAge(a: Ingress, b: Ingress): number {
  const ta = a.meta.creationTimestamp;
  const tb = b.meta.creationTimestamp;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = `${a.meta.namespace}/${a.meta.name}`;
  const nb = `${b.meta.namespace}/${b.meta.name}`;
  return na > nb ? -1 : na < nb ? 1 : 0;
}
