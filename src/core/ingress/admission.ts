// What ingress-nginx's validating webhook would refuse, decided without nginx: the
// annotation values nginx reads as scripts (app-root, rewrite-target, the redirect and auth
// URLs) must name only variables nginx or the controller's configuration defines, and every
// path nginx compiles as a regex (a host with use-regex or rewrite-target) must be valid
// PCRE2, as must a canary's header pattern. The daemon refuses with `nginx -t`'s own verdict
// (dataplane/ingress/admission.ts); this is the same judgement for `knet diagnose`, and
// admission.test.ts runs one table of cases through both.
import type { FieldPath } from '../../model/source.js';
import { refOf, type Ingress, type Ref } from '../../model/types.js';
import { NGINX_PREFIX } from './annotations.js';
import { isKnownVariable, scriptParts } from './nginx-variables.js';
import { checkPcre } from './pcre.js';
import { CATCH_ALL, needsRewrite, type RouteTable, type Server } from './route-table.js';

export type AdmissionCode =
  | 'ingress-nginx-unknown-variable' // nginx -t: unknown "x" variable
  | 'ingress-nginx-invalid-variable' // nginx -t: invalid variable name, a missing closing bracket
  | 'ingress-nginx-invalid-regex' // nginx -t: pcre2_compile() failed
  | 'ingress-nginx-empty-capture' // accepted: $3 where the path has fewer groups is empty
  | 'ingress-regex-prediction'; // accepted by nginx; knet's prediction (JavaScript RegExp) reads it differently

export interface AdmissionProblem {
  readonly ingress: Ref;
  readonly field: FieldPath;
  readonly code: AdmissionCode;
  /** error: nginx -t refuses the configuration, so the webhook refuses the Ingress. */
  readonly severity: 'error' | 'warning';
  /** nginx's own words for what it refuses. */
  readonly message: string;
  readonly hint: string;
}

/**
 * Annotations ingress-nginx writes into nginx as scripts. app-root: `return 302
 * $scheme://$http_host<value>`; rewrite-target: `rewrite <path> <value> break`; the redirects:
 * `return <code> <value>`; auth-url and auth-signin: `proxy_pass` / `return 302`.
 */
export const SCRIPT_ANNOTATIONS: readonly string[] = ['app-root', 'rewrite-target', 'permanent-redirect', 'temporal-redirect', 'auth-url', 'auth-signin'];

const VARIABLE_HINT = 'nginx reads every "$" in this value as a variable and has no way to write a literal "$": use a variable nginx defines ($host, $uri, $request_uri, $args, $http_<header>, $arg_<name>, $cookie_<name>, ingress-nginx\'s $best_http_host), or a capture $1..$9 of the path';

export function pathField(rule: number, path: number): FieldPath {
  return ['spec', 'rules', rule, 'http', 'paths', path, 'path'];
}

export function annotationField(name: string): FieldPath {
  return ['metadata', 'annotations', NGINX_PREFIX + name];
}

/** Every problem of the served Ingresses, in the order of the Ingresses and their fields. */
export function admissionProblems(table: RouteTable, ingresses: readonly Ingress[]): AdmissionProblem[] {
  const served = new Set(table.admissions.filter((a) => a.served).map((a) => a.ingress));
  const servers = new Map(table.servers.map((s) => [s.host, s]));
  const defined = definedVariables(table);
  const out: AdmissionProblem[] = [];
  for (const ing of ingresses) {
    const ref = refOf(ing.meta.namespace, ing.meta.name);
    if (!served.has(ref)) continue;
    const mine = table.servers.flatMap((s) => s.locations.filter((l) => l.ingress === ref).map((l) => ({ server: s, location: l })));
    const captures = Math.max(0, ...mine.filter((m) => m.server.regex).map((m) => {
      const r = checkPcre(`^${m.location.path}`);
      return r.kind === 'valid' ? r.captures : 0;
    }));

    for (const name of SCRIPT_ANNOTATIONS) {
      const value = ing.meta.annotations[NGINX_PREFIX + name];
      if (value === undefined || !rendered(name, value, ref, mine, table.servers)) continue;
      out.push(...scriptProblems(ref, name, value, defined, name === 'rewrite-target' ? captures : 0));
    }

    ing.rules.forEach((rule, ri) => rule.paths.forEach((p, pi) => {
      const path = p.path || '/';
      const server = servers.get(rule.host || CATCH_ALL);
      if (!server?.regex || !server.locations.some((l) => l.ingress === ref && l.path === path)) return;
      out.push(...regexProblems(ref, pathField(ri, pi), `^${path}`, regexWhy(server, ref)));
    }));

    for (const { location } of table.servers.flatMap((s) => s.locations.map((l) => ({ location: l })))) {
      const c = location.canary;
      if (!c || c.ingress !== ref || c.config.headerValue || !c.config.headerPattern) continue;
      if (!compilesInJs(c.config.headerPattern)) {
        out.push({ ingress: ref, field: annotationField('canary-by-header-pattern'), code: 'ingress-regex-prediction', severity: 'warning',
          message: `canary-by-header-pattern "${c.config.headerPattern}" is not a JavaScript regular expression: knet does not look at the header`,
          hint: 'write the pattern in the common subset of PCRE2 and JavaScript (no possessive quantifiers, atomic groups or inline options)' });
        continue;
      }
      out.push(...regexProblems(ref, annotationField('canary-by-header-pattern'), c.config.headerPattern, 'nginx compiles the canary header pattern as a map regex'));
      break;
    }
  }
  return dedupe(out);
}

/** Whether knet's configuration contains the annotation's value, so nginx parses it. */
function rendered(name: string, value: string, ref: Ref, mine: readonly { server: Server; location: RouteTable['servers'][number]['locations'][number] }[], servers: readonly Server[]): boolean {
  if (name === 'app-root') return servers.some((s) => s.appRoot === value && s.ingresses.includes(ref));
  if (name === 'rewrite-target') return mine.some((m) => needsRewrite(m.location));
  return value !== '';
}

function scriptProblems(ref: Ref, name: string, value: string, defined: ReadonlySet<string>, captures: number): AdmissionProblem[] {
  const field = annotationField(name);
  const out: AdmissionProblem[] = [];
  for (const part of scriptParts(value)) {
    if (part.kind === 'invalid') {
      out.push({ ingress: ref, field, code: 'ingress-nginx-invalid-variable', severity: 'error',
        message: `${part.error} in ${NGINX_PREFIX}${name} "${value}" (at "${value.slice(part.at)}")`, hint: VARIABLE_HINT });
    } else if (part.kind === 'variable' && !isKnownVariable(part.name, defined)) {
      out.push({ ingress: ref, field, code: 'ingress-nginx-unknown-variable', severity: 'error',
        message: `unknown "${part.name}" variable in ${NGINX_PREFIX}${name} "${value}"`, hint: VARIABLE_HINT });
    } else if (part.kind === 'capture' && part.n > captures) {
      out.push({ ingress: ref, field, code: 'ingress-nginx-empty-capture', severity: 'warning',
        message: name === 'rewrite-target'
          ? `$${part.n} in ${NGINX_PREFIX}${name} "${value}" refers to capture group ${part.n}, but the path${captures ? ` has only ${captures}` : 's have none'}: nginx writes an empty string`
          : `$${part.n} in ${NGINX_PREFIX}${name} "${value}": no regex of this Ingress captures here, nginx writes an empty string`,
        hint: name === 'rewrite-target' ? 'put the part to keep in ( ) in the path, e.g. path /api(/|$)(.*) with rewrite-target /$2' : `remove $${part.n}` });
    }
  }
  return out;
}

function regexProblems(ref: Ref, field: FieldPath, pattern: string, why: string): AdmissionProblem[] {
  const r = checkPcre(pattern);
  if (r.kind === 'invalid') {
    return [{ ingress: ref, field, code: 'ingress-nginx-invalid-regex', severity: 'error',
      message: `pcre2_compile() failed: ${r.error} in "${pattern}" at "${pattern.slice(r.offset)}"`,
      hint: `${why}: fix the expression (PCRE2, not JavaScript: \\1 needs a ( ) group before it, a lookbehind has a fixed length), or escape the character with \\` }];
  }
  if (!compilesInJs(pattern)) {
    return [{ ingress: ref, field, code: 'ingress-regex-prediction', severity: 'warning',
      message: `nginx accepts "${pattern}", but knet's prediction cannot read it (JavaScript's RegExp has no ${r.jsDiffers ?? 'equivalent'}): knet route and trace skip it, while nginx serves it`,
      hint: 'write the path in the common subset of PCRE2 and JavaScript if the prediction should follow it' }];
  }
  if (r.jsDiffers) {
    return [{ ingress: ref, field, code: 'ingress-regex-prediction', severity: 'warning',
      message: `"${pattern}" uses ${r.jsDiffers}, which PCRE2 (nginx) and JavaScript (knet's prediction) read differently: knet route may disagree with nginx`,
      hint: 'write the path in the common subset of PCRE2 and JavaScript' }];
  }
  return [];
}

function regexWhy(server: Server, ref: Ref): string {
  const by = server.locations.find((l) => l.ingress !== null && (l.config.useRegex || needsRewrite(l)));
  const host = server.host === CATCH_ALL ? 'the catch-all host' : `host ${server.host}`;
  if (!by || by.ingress === ref) return `with use-regex or rewrite-target, nginx compiles every path of ${host} as a PCRE2 regex`;
  return `Ingress ${by.ingress} sets ${by.config.useRegex ? 'use-regex' : 'rewrite-target'} on ${host}, so nginx compiles this path as a PCRE2 regex too`;
}

/** Variables the configuration defines beyond nginx's: named captures of its regexes (nginx makes each a variable). */
function definedVariables(table: RouteTable): Set<string> {
  const out = new Set<string>();
  for (const s of table.servers) {
    if (s.host.startsWith('*.')) out.add('subdomain'); // the wildcard server_name's capture
    for (const l of s.locations) {
      const patterns = [...(s.regex ? [`^${l.path}`] : []), ...(l.canary?.config.headerPattern ? [l.canary.config.headerPattern] : [])];
      for (const p of patterns) {
        const r = checkPcre(p);
        if (r.kind === 'valid') for (const n of r.names) out.add(n.toLowerCase());
      }
    }
  }
  return out;
}

function compilesInJs(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

function dedupe(list: readonly AdmissionProblem[]): AdmissionProblem[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const k = `${p.ingress}|${p.field.join('.')}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
