// The ingress-nginx annotations of an Ingress, parsed as the controller parses them (Go's
// strconv.ParseBool for booleans; an invalid value falls back to the default): the routing
// ones here (rewrite-target, use-regex, ssl-redirect, force-ssl-redirect,
// preserve-trailing-slash, app-root, the canary family), the traffic and server ones in
// traffic-annotations.ts; every other key of the prefix is reported (annotation-table.ts).
import type { Labels } from '../../model/labels.js';
import { annotationVerdict, NGINX_PREFIX } from './annotation-table.js';
import { parseServerAnnotations, parseTraffic, type AnnotationProblem, type ServerAnnotations, type TrafficConfig } from './traffic-annotations.js';

export { NGINX_PREFIX };

/** Per-location settings; the defaults come from the controller's ConfigMap. */
export interface LocationConfig {
  readonly rewriteTarget: string; // '' = none
  readonly useRegex: boolean;
  readonly sslRedirect: boolean;
  readonly forceSslRedirect: boolean;
  readonly preserveTrailingSlash: boolean;
  readonly appRoot: string; // '' = none; a path, never an absolute URL
  readonly traffic: TrafficConfig;
}

export interface CanaryConfig {
  readonly weight: number;
  readonly weightTotal: number;
  readonly header: string;
  readonly headerValue: string;
  readonly headerPattern: string;
  readonly cookie: string;
}

export interface IngressAnnotations {
  readonly location: LocationConfig;
  readonly canary: CanaryConfig | null; // null: not a canary Ingress
  readonly server: ServerAnnotations;
  /** Values the controller would reject (with what it does instead), snippets, annotations knet does not implement. */
  readonly problems: readonly AnnotationProblem[];
}

export interface AnnotationDefaults {
  readonly sslRedirect: boolean;
  readonly forceSslRedirect: boolean;
  readonly preserveTrailingSlash: boolean;
  readonly proxyBodySize: string;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

export function parseAnnotations(annotations: Labels, defaults: AnnotationDefaults, namespace = ''): IngressAnnotations {
  const problems: AnnotationProblem[] = [];
  const problem = (name: string, message: string) => problems.push({ annotation: NGINX_PREFIX + name, message: `${NGINX_PREFIX}${name}: ${message}` });
  for (const key of Object.keys(annotations).sort()) {
    const v = annotationVerdict(key);
    if (v && v.kind !== 'implemented') problems.push({ annotation: key, message: v.message, unsupported: true });
  }
  const get = (name: string): string | undefined => annotations[NGINX_PREFIX + name];
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const v = parseGoBool(raw);
    if (v === undefined) problem(name, `"${raw}" is not a boolean; the controller uses ${fallback}`);
    return v ?? fallback;
  };
  const int = (name: string, fallback: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw.trim())) {
      problem(name, `"${raw}" is not an integer; the controller uses ${fallback}`);
      return fallback;
    }
    return Number(raw);
  };

  let appRoot = get('app-root') ?? '';
  if (appRoot && (!appRoot.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(appRoot))) {
    problem('app-root', `"${appRoot}" must be a path starting with /; the controller ignores it`);
    appRoot = '';
  }
  const location: LocationConfig = {
    rewriteTarget: get('rewrite-target') ?? '',
    useRegex: bool('use-regex', false),
    sslRedirect: bool('ssl-redirect', defaults.sslRedirect),
    forceSslRedirect: bool('force-ssl-redirect', defaults.forceSslRedirect),
    preserveTrailingSlash: bool('preserve-trailing-slash', defaults.preserveTrailingSlash),
    appRoot,
    traffic: parseTraffic(get, bool, int, defaults.proxyBodySize, problems),
  };

  const enabled = bool('canary', false);
  const canary: CanaryConfig = {
    weight: int('canary-weight', 0),
    weightTotal: int('canary-weight-total', 100),
    header: get('canary-by-header') ?? '',
    headerValue: get('canary-by-header-value') ?? '',
    headerPattern: get('canary-by-header-pattern') ?? '',
    cookie: get('canary-by-cookie') ?? '',
  };
  const configured = canary.weight > 0 || canary.header || canary.headerValue || canary.headerPattern || canary.cookie;
  if (!enabled && configured) problem('canary', `canary-* annotations are set but ${NGINX_PREFIX}canary is not "true"; the controller ignores them`);
  const server = parseServerAnnotations(namespace, get, bool, problems);
  return { location, canary: enabled ? canary : null, server, problems };
}
