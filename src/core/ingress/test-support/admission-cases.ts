// One table of Ingress admission cases, run through both sides: the prediction
// (core/ingress/admission.ts, `knet diagnose`) and the daemon's webhook (`nginx -t`,
// dataplane/ingress/admission.test.ts). The Ingresses of a case are applied in order; the last
// one is the request. `refused`: what nginx refuses (the Ingress, the field, nginx's words);
// `flagged`: what the prediction reports as an error (the same unless said).
import { annotations, ing } from './world.js';
import { paths } from './route-cases.js';

export interface AdmissionCase {
  readonly name: string;
  readonly ingresses: readonly string[];
  readonly refused: { readonly ingress: string; readonly field: string; readonly nginx: RegExp } | null;
  readonly flagged?: { readonly ingress: string; readonly field: string };
  /** A warning code the prediction adds (nginx accepts). */
  readonly warning?: string;
}

const APP_ROOT = 'metadata.annotations["nginx.ingress.kubernetes.io/app-root"]';
const REWRITE = 'metadata.annotations["nginx.ingress.kubernetes.io/rewrite-target"]';
const PATH0 = 'spec.rules[0].http.paths[0].path';

const regex = (name: string, path: string, extra: Record<string, string> = {}) =>
  ing(name, paths(`${name}.shop.com`, [path, 'web', 'ImplementationSpecific']), annotations({ 'use-regex': 'true', ...extra }));

export const ADMISSION_CASES: readonly AdmissionCase[] = [
  { name: 'a plain Ingress is admitted', ingresses: [ing('ok', paths('ok.shop.com', ['/', 'web']))], refused: null },
  {
    name: 'app-root naming an undefined variable: unknown variable',
    ingresses: [ing('root', paths('root.shop.com', ['/', 'web']), annotations({ 'app-root': '/$undefined_var' }))],
    refused: { ingress: 'root', field: APP_ROOT, nginx: /unknown "undefined_var" variable/ },
  },
  {
    name: 'rewrite-target naming an undefined variable: unknown variable',
    ingresses: [ing('rw', paths('rw.shop.com', ['/foo', 'web']), annotations({ 'rewrite-target': '/$x' }))],
    refused: { ingress: 'rw', field: REWRITE, nginx: /unknown "x" variable/ },
  },
  {
    name: 'rewrite-target ending in "$": invalid variable name',
    ingresses: [ing('dollar', paths('dollar.shop.com', ['/foo', 'web']), annotations({ 'rewrite-target': '/bar$' }))],
    refused: { ingress: 'dollar', field: REWRITE, nginx: /invalid variable name/ },
  },
  {
    name: 'rewrite-target "${x" without its bracket',
    ingresses: [ing('brace', paths('brace.shop.com', ['/foo', 'web']), annotations({ 'rewrite-target': '/${host' }))],
    refused: { ingress: 'brace', field: REWRITE, nginx: /the closing bracket in "host" variable is missing/ },
  },
  {
    name: 'use-regex path with a back reference to a missing group (JS reads \\1 as octal)',
    ingresses: [regex('backref', '/a\\1')],
    refused: { ingress: 'backref', field: PATH0, nginx: /pcre2_compile\(\) failed: reference to non-existent subpattern/ },
  },
  {
    name: 'use-regex path with a variable-length lookbehind (JS accepts it, PCRE2 10.42 does not)',
    ingresses: [regex('behind', '/(?<=a+)b')],
    refused: { ingress: 'behind', field: PATH0, nginx: /lookbehind assertion is not fixed length/ },
  },
  {
    name: 'use-regex path with a range out of order',
    ingresses: [regex('range', '/v[z-a]')],
    refused: { ingress: 'range', field: PATH0, nginx: /range out of order in character class/ },
  },
  {
    name: 'use-regex path with an escape PCRE2 does not know (JS reads \\i as i)',
    ingresses: [regex('escape', '/\\i')],
    refused: { ingress: 'escape', field: PATH0, nginx: /unrecognized character follows \\/ },
  },
  {
    name: 'use-regex path with a duplicate group name',
    ingresses: [regex('dupname', '/(?<id>a)(?<id>b)')],
    refused: { ingress: 'dupname', field: PATH0, nginx: /two named subpatterns have the same name/ },
  },
  {
    name: 'rewrite-target with the captures of the path is admitted',
    ingresses: [ing('cap', paths('cap.shop.com', ['/api(/|$)(.*)', 'web', 'ImplementationSpecific']), annotations({ 'use-regex': 'true', 'rewrite-target': '/$2' }))],
    refused: null,
  },
  {
    name: 'rewrite-target with a named capture of the path and request variables is admitted',
    ingresses: [ing('named', paths('named.shop.com', ['/items/(?<id>[0-9]+)', 'web', 'ImplementationSpecific']), annotations({ 'use-regex': 'true', 'rewrite-target': '/item?id=$id&v=$http_x_version&h=${host}' }))],
    refused: null,
  },
  {
    name: 'rewrite-target with ingress-nginx\'s per-location variables is admitted',
    ingresses: [ing('svc', paths('svc.shop.com', ['/api/(.*)', 'web', 'ImplementationSpecific']), annotations({ 'use-regex': 'true', 'rewrite-target': '/$namespace/$service_name/$1' }))],
    refused: null,
  },
  {
    name: 'rewrite-target $3 with one group: nginx writes an empty string (a warning, admitted)',
    ingresses: [ing('three', paths('three.shop.com', ['/api/(.*)', 'web', 'ImplementationSpecific']), annotations({ 'use-regex': 'true', 'rewrite-target': '/$3' }))],
    refused: null, warning: 'ingress-nginx-empty-capture',
  },
  {
    name: 'a possessive quantifier is PCRE2 (admitted; the prediction cannot read it)',
    ingresses: [regex('possessive', '/a++b')],
    refused: null, warning: 'ingress-regex-prediction',
  },
  {
    name: 'an Ingress of another class is not this controller\'s to refuse',
    ingresses: [ing('other', `ingressClassName: traefik\n${paths('other.shop.com', ['/', 'web'])}`, annotations({ 'app-root': '/$nope' }))],
    refused: null,
  },
  {
    name: 'two Ingresses that pass alone: use-regex on the host makes the older one\'s path a regex',
    ingresses: [
      ing('plain', paths('both.shop.com', ['/a\\1', 'web'])),
      ing('regexer', paths('both.shop.com', ['/b', 'api']), annotations({ 'use-regex': 'true' })),
    ],
    refused: { ingress: 'regexer', field: 'metadata.annotations["nginx.ingress.kubernetes.io/use-regex"]', nginx: /reference to non-existent subpattern in "\^\/a\\1"/ },
    flagged: { ingress: 'plain', field: PATH0 },
  },
  {
    name: 'a canary header pattern PCRE2 refuses (a map regex)',
    ingresses: [
      ing('primary', paths('canary.shop.com', ['/', 'web'])),
      ing('beta', paths('canary.shop.com', ['/', 'canary']), annotations({ canary: 'true', 'canary-by-header': 'X-Beta', 'canary-by-header-pattern': '(?<=a+)x' })),
    ],
    refused: { ingress: 'beta', field: 'metadata.annotations["nginx.ingress.kubernetes.io/canary-by-header-pattern"]', nginx: /lookbehind assertion is not fixed length/ },
  },
];
