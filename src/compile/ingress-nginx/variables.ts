// The variables ingress-nginx's template sets in every location, so that an annotation
// naming them (`rewrite-target: /$service_name/$1`) means what it means there instead of
// making nginx refuse the configuration: the location's Ingress, Service and port, and its
// path with every `$` written `${literal_dollar}` (nginx has no other literal dollar).
import type { Location } from '../../core/ingress/route-table.js';
import { quote } from './nginx-syntax.js';

/** http-level: `$literal_dollar` is "$" (geo values are not parsed for variables). */
export const LITERAL_DOLLAR = 'geo $literal_dollar {\n    default "$";\n}';

export function locationVariables(l: Location): string[] {
  const [namespace = '', name = ''] = l.ingress ? l.ingress.split('/') : [];
  return [
    `set $namespace ${quote(namespace)};`,
    `set $ingress_name ${quote(name)};`,
    `set $service_name ${quote(l.backend?.ref.service ?? '')};`,
    `set $service_port ${quote(l.backend ? String(l.backend.ref.port) : '')};`,
    `set $location_path ${quote(l.path.replaceAll('$', '${literal_dollar}'))};`,
  ];
}
