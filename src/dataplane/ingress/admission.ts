// Ingress admission as ingress-nginx's validating webhook does it: the configuration that
// would result with the new or changed Ingresses is compiled and checked with `nginx -t`
// (in a temporary prefix and a network namespace of its own: nothing is bound, nothing
// running is touched); an Ingress nginx refuses is refused with nginx's own words, the field
// that carries the offending value and a hint. The same search finds, on a running cluster,
// which object broke a configuration that fails as a whole: Ingresses are added in order and
// each one whose addition makes nginx refuse is left out (a binary search over prefixes,
// log2(n) checks per broken object), so every other Ingress keeps updating.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../../cluster/fill-in.js';
import { issueAt } from '../../cluster/issues.js';
import { compileIngressNginx, type NginxBundle } from '../../compile/ingress-nginx/compile.js';
import { admissionProblems, annotationField, SCRIPT_ANNOTATIONS } from '../../core/ingress/admission.js';
import { NGINX_PREFIX } from '../../core/ingress/annotations.js';
import { byAge } from '../../core/ingress/class.js';
import { isControllerContainer } from '../../core/ingress/controller.js';
import { routeTableOf } from '../../core/ingress/index.js';
import { scriptParts } from '../../core/ingress/nginx-variables.js';
import type { Issue } from '../../model/issue.js';
import type { FieldPath } from '../../model/source.js';
import { refOf, type Ingress, type Ref } from '../../model/types.js';
import { NGINX_CONF, testNginxConf } from './nginx.js';

export type NginxVerdict = { readonly ok: true } | { readonly ok: false; readonly error: string };
export type NginxCheck = (bundle: NginxBundle) => Promise<NginxVerdict>;

/** nginx's refusal as it prints it on a terminal: `nginx: [emerg] ...`, without the time, pid or temporary path. */
export function nginxError(stderr: string, dir: string): string {
  const lines = stderr.split('\n')
    .filter((l) => /\[(emerg|alert|crit|error)\]/.test(l))
    .map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: /, 'nginx: [$1] ').replaceAll(`${dir}/`, ''));
  return lines.join('; ') || stderr.trim() || 'nginx -t failed';
}

/** `nginx -t` of a bundle, written to a temporary prefix (PEM files included) and removed after. */
export async function nginxTest(bundle: NginxBundle): Promise<NginxVerdict> {
  const dir = await mkdtemp(join(tmpdir(), 'knet-admission-'));
  try {
    await mkdir(join(dir, 'certs'), { mode: 0o700 });
    await Promise.all(['client-body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((d) => mkdir(join(dir, 'tmp', d), { recursive: true })));
    await Promise.all(bundle.certificates.map((c) => writeFile(join(dir, c.path), c.pem, { mode: 0o600 })));
    await writeFile(join(dir, NGINX_CONF), bundle.conf, { mode: 0o600 });
    const r = await testNginxConf(dir, NGINX_CONF, null);
    return r.code === 0 ? { ok: true } : { ok: false, error: nginxError(r.stderr, dir) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ConfigInputs {
  readonly fakeCertificate: string;
  readonly resolvers: readonly string[];
}

/** The controller's configuration for the cluster with only `ingresses` as its Ingresses. */
export function bundleWith(cluster: Cluster, ingresses: readonly Ingress[], inputs: ConfigInputs): NginxBundle {
  return compileIngressNginx({
    table: routeTableOf({ ...cluster, ingresses }), secrets: cluster.secrets,
    fakeCertificate: inputs.fakeCertificate, resolvers: inputs.resolvers,
  });
}

export interface Breaker {
  readonly ingress: Ingress;
  /** nginx's refusal of the configuration this Ingress was added to. */
  readonly error: string;
}

export interface Bisection {
  /** The Ingresses the configuration is built with: all but the breakers. */
  readonly kept: readonly Ingress[];
  readonly breakers: readonly Breaker[];
  /** nginx refuses even the configuration without any Ingress (not an Ingress's doing). */
  readonly baseError: string | null;
  readonly checks: number;
}

/**
 * Adds `ordered` one by one (the first ones first: the older, or those already serving) and
 * leaves out each Ingress whose addition makes nginx refuse. One check when all pass; else
 * a binary search for the shortest failing prefix, per broken Ingress.
 */
export async function findBreakers(ordered: readonly Ingress[], build: (ingresses: readonly Ingress[]) => NginxBundle, check: NginxCheck): Promise<Bisection> {
  let checks = 0;
  const test = (ings: readonly Ingress[]): Promise<NginxVerdict> => {
    checks++;
    return check(build(ings));
  };
  let verdict = await test(ordered);
  if (verdict.ok) return { kept: ordered, breakers: [], baseError: null, checks };
  const base = await test([]);
  if (!base.ok) return { kept: ordered, breakers: [], baseError: base.error, checks };
  const kept: Ingress[] = [];
  const breakers: Breaker[] = [];
  let rest = [...ordered];
  while (!verdict.ok) {
    // kept + rest[0, lo) passes, kept + rest[0, hi) fails with `error`.
    let lo = 0;
    let hi = rest.length;
    let error = verdict.error;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const v = await test([...kept, ...rest.slice(0, mid)]);
      if (v.ok) lo = mid;
      else {
        hi = mid;
        error = v.error;
      }
    }
    kept.push(...rest.slice(0, hi - 1));
    breakers.push({ ingress: rest[hi - 1]!, error });
    rest = rest.slice(hi);
    if (rest.length === 0) break;
    verdict = await test([...kept, ...rest]);
    if (verdict.ok) kept.push(...rest);
  }
  return { kept, breakers, baseError: null, checks };
}

/**
 * The field of `ing` that carries what nginx refused: the value naming the unknown variable,
 * the path or pattern PCRE2 could not compile, the value on the line nginx names; else the
 * field the pure check (core/ingress/admission.ts) points at.
 */
export function refusedField(ing: Ingress, error: string, confText: string, predicted: readonly FieldPath[]): FieldPath {
  const values: { field: FieldPath; value: string }[] = [
    ...Object.entries(ing.meta.annotations).filter(([k]) => k.startsWith(NGINX_PREFIX)).map(([k, v]) => ({ field: annotationField(k.slice(NGINX_PREFIX.length)), value: v })),
    ...ing.rules.flatMap((r, ri) => r.paths.map((p, pi) => ({ field: ['spec', 'rules', ri, 'http', 'paths', pi, 'path'] as FieldPath, value: p.path || '/' }))),
  ];
  const unknown = /unknown "([^"]+)" variable/.exec(error);
  if (unknown) {
    const name = unknown[1]!.toLowerCase();
    const hit = values.find((v) => scriptParts(v.value).some((p) => p.kind === 'variable' && p.name.toLowerCase() === name));
    if (hit) return hit.field;
  }
  const pcre = /pcre2?_compile\(\) failed: .*? in "(.*)" at "/.exec(error) ?? /pcre2?_compile\(\) failed: .*? in "(.*)"/.exec(error);
  if (pcre) {
    const pattern = pcre[1]!;
    const hit = values.find((v) => pattern === `^${v.value}` || pattern === `(?i)${v.value}` || pattern === v.value);
    if (hit) return hit.field;
    // Another Ingress's path, made a regex by this one's use-regex or rewrite-target on their host.
    for (const a of ['use-regex', 'rewrite-target']) if (ing.meta.annotations[NGINX_PREFIX + a] !== undefined) return annotationField(a);
  }
  if (/invalid variable name|closing bracket/.test(error)) {
    const hit = values.find((v) => SCRIPT_ANNOTATIONS.some((a) => v.field.at(-1) === NGINX_PREFIX + a) && scriptParts(v.value).some((p) => p.kind === 'invalid'));
    if (hit) return hit.field;
  }
  // A certificate file is named after its Secret (compile/ingress-nginx/certificates.ts): the tls entry naming it.
  const cert = /cannot load certificate(?: key)? "certs\/([^"]+)-[0-9a-f]{12}\.pem"/.exec(error);
  if (cert) {
    const at = ing.tls.findIndex((t) => `${ing.meta.namespace}_${t.secretName}`.replace(/[^A-Za-z0-9_.-]/g, '_') === cert[1]);
    if (at >= 0) return ['spec', 'tls', at, 'secretName'];
  }
  const line = /nginx\.conf:(\d+)/.exec(error);
  if (line) {
    const text = confText.split('\n')[Number(line[1]) - 1] ?? '';
    const hit = values.find((v) => v.value.length > 1 && (text.includes(v.value) || text.includes(JSON.stringify(v.value).slice(1, -1))));
    if (hit) return hit.field;
  }
  return predicted[0] ?? ['metadata', 'name'];
}

/** What to tell the user about the field nginx refused. */
export function refusalHint(field: FieldPath, error: string): string {
  const last = String(field.at(-1) ?? '');
  if (/unknown ".*" variable|invalid variable name|closing bracket/.test(error)) {
    return `${last}: nginx reads every "$" as a variable and has no literal "$": use one nginx defines ($host, $uri, $request_uri, $args, $http_<header>, $arg_<name>) or a capture $1..$9 of the path`;
  }
  if (/pcre2?_compile/.test(error) && (last.endsWith('/use-regex') || last.endsWith('/rewrite-target'))) {
    return `${last} makes nginx compile every path of the host as a PCRE2 regex, including the pattern nginx quotes, which another Ingress of the host has: fix that path, or leave ${last.slice(NGINX_PREFIX.length)} out of this Ingress`;
  }
  if (/pcre2?_compile/.test(error)) return `${last === 'path' ? 'the path' : last} is compiled as a PCRE2 regex (use-regex or rewrite-target on its host): fix the expression, or escape the character with \\`;
  if (/PEM|certificate|key/i.test(error)) return 'the TLS Secret this Ingress names holds no certificate and key nginx can load: store a PEM certificate and its key in tls.crt and tls.key';
  return `remove or fix ${last || 'the Ingress'}; nginx -t on a configuration with it says what it refuses`;
}

export interface AdmissionResult {
  readonly refused: readonly Issue[];
  readonly checks: number;
  readonly ms: number;
}

export function hasController(cluster: Cluster): boolean {
  return cluster.pods.some((p) => p.spec.containers.some(isControllerContainer));
}

/**
 * Tests the Ingresses of `changed` in `candidate` (the cluster the request would make) as the
 * webhook does: with every other served Ingress (but `excluded`, those a running controller
 * left out), one `nginx -t` when all pass. Refuses each changed Ingress nginx refuses.
 */
export async function admitIngresses(candidate: Cluster, changed: ReadonlySet<string>, inputs: ConfigInputs,
  opts: { readonly excluded?: ReadonlySet<string>; readonly check?: NginxCheck } = {}): Promise<AdmissionResult> {
  const start = performance.now();
  const refOfIngress = (i: Ingress): Ref => refOf(i.meta.namespace, i.meta.name);
  const table = routeTableOf(candidate);
  const served = new Set(table.admissions.filter((a) => a.served).map((a) => a.ingress as string));
  const mine = candidate.ingresses.filter((i) => changed.has(refOfIngress(i)) && served.has(refOfIngress(i))).sort(byAge);
  if (mine.length === 0 || !hasController(candidate)) return { refused: [], checks: 0, ms: 0 };
  const others = candidate.ingresses.filter((i) => !changed.has(refOfIngress(i)) && !opts.excluded?.has(refOfIngress(i))).sort(byAge);
  const build = (ings: readonly Ingress[]) => bundleWith(candidate, ings, inputs);
  const result = await findBreakers([...others, ...mine], build, opts.check ?? nginxTest);
  const predicted = admissionProblems(table, candidate.ingresses).filter((p) => p.severity === 'error');
  const refused: Issue[] = [];
  for (const b of result.breakers) {
    const ref = refOfIngress(b.ingress);
    if (!changed.has(ref)) continue; // already in the cluster: the running controller leaves it out and says so
    const conf = build([...result.kept, b.ingress]).conf;
    const field = refusedField(b.ingress, b.error, conf, predicted.filter((p) => p.ingress === ref).map((p) => p.field));
    refused.push(issueAt(b.ingress, field, 'ingress-admission-refused', 'error',
      `admission webhook "validate.nginx.ingress.kubernetes.io" denied the request: ${b.error}`, refusalHint(field, b.error)));
  }
  if (result.baseError) {
    refused.push({ code: 'ingress-admission-refused', severity: 'error', file: '', line: 0, col: 0,
      message: `nginx refuses the controller's configuration even without any Ingress: ${result.baseError}`,
      hint: 'a Secret or the controller\'s ConfigMap of this request is not something nginx can load; knet diagnose says more' });
  }
  return { refused, checks: result.checks, ms: performance.now() - start };
}
