// The traffic annotations of one location as nginx directives, placed where nginx's phases
// run them in the same order as the core's decision (core/ingress/traffic.ts): the body
// size (checked once the location is found), the denied location (503), the CORS preflight
// and the redirect annotations (rewrite phase, written before the ssl-redirect), then
// limit_req (preaccess), deny/allow and auth_request (access), and the custom error pages.
// Debian's nginx has no headers-more module: CORS headers are `add_header ... always`
// driven by maps, and every location that adds a header adds the HSTS header again (a
// location's add_header hides the http level's).
import type { Backend } from '../../core/ingress/backend.js';
import type { ControllerConfig } from '../../core/ingress/controller.js';
import type { Location } from '../../core/ingress/route-table.js';
import { corsOriginRegex, type CorsPolicy } from '../../core/ingress/traffic-annotations.js';
import { quote } from './nginx-syntax.js';
import { PROXY_HEADERS } from './render.js';

export interface TrafficContext {
  readonly controller: ControllerConfig;
  /** The upstream name of a backend with ready endpoints (registered for the http block); null when it has none. */
  upstreamFor(b: Backend): string | null;
}

export interface TrafficRender {
  readonly head: readonly string[]; // first in the location: body size, a denied location
  readonly rewrite: readonly string[]; // CORS and the redirect annotations, before the ssl-redirect
  readonly access: readonly string[]; // limit_req, deny/allow, auth_request, custom error pages
  readonly http: readonly string[]; // http-level blocks: maps, limit_req_zone
  readonly server: readonly string[]; // the server's internal locations: auth subrequest, signin, error pages
  /** Checks after the rewrite phase: a backend without endpoints must answer after them, not with a rewrite-phase return. */
  readonly accessPhase: boolean;
}

function corsHeaderLines(c: CorsPolicy, value: (name: string, v: string) => string): string[] {
  const wildcard = c.origins.length === 1 && c.origins[0] === '*';
  return [
    `add_header Access-Control-Allow-Origin ${value('origin', wildcard ? '"*"' : '$http_origin')} always;`,
    ...(c.credentials ? [`add_header Access-Control-Allow-Credentials ${value('credentials', '"true"')} always;`] : []),
    `add_header Access-Control-Allow-Methods ${value('methods', quote(c.methods))} always;`,
    `add_header Access-Control-Allow-Headers ${value('headers', quote(c.headers))} always;`,
    ...(c.exposeHeaders ? [`add_header Access-Control-Expose-Headers ${value('expose', quote(c.exposeHeaders))} always;`] : []),
    `add_header Access-Control-Max-Age ${value('max_age', quote(String(c.maxAge)))} always;`,
    'add_header Strict-Transport-Security $knet_hsts always;',
  ];
}

/** auth-signin's rd: the request URI, not percent-encoded (Debian's nginx has no set_escape_uri). */
const ESCAPED_REQUEST_URI = 'map $request_uri $escaped_request_uri {\n    default $request_uri;\n}';

/** ingress-nginx's auth-signin target: the original URL added as `?rd=` unless the URL already carries the parameter. */
export function signinUrl(signin: string, param: string): string {
  if (new RegExp(`[?&]${param}=`).test(signin)) return signin;
  return `${signin}${signin.includes('?') ? '&' : '?'}${param}=$scheme://$http_host$escaped_request_uri`;
}

export function renderTraffic(loc: Location, i: number, ctx: TrafficContext): TrafficRender {
  const t = loc.config.traffic;
  const head: string[] = [];
  const rewrite: string[] = [];
  const access: string[] = [];
  const http: string[] = [];
  const server: string[] = [];

  if (t.bodySize !== ctx.controller.proxyBodySize) head.push(`client_max_body_size ${t.bodySize};`);
  if (t.denied) head.push(`# ${t.denied.annotation}: ${t.denied.why.replace(/[\r\n]/g, ' ')}`, 'return 503;');

  if (t.cors) {
    const c = t.cors;
    const re = corsOriginRegex(c);
    rewrite.push('set $knet_cors "";');
    rewrite.push(re === null ? 'set $knet_cors "true";' : `if ($http_origin ~* ${quote(re)}) {\n    set $knet_cors "true";\n}`);
    rewrite.push('if ($request_method = OPTIONS) {\n    set $knet_cors "${knet_cors}options";\n}');
    rewrite.push(['if ($knet_cors = "trueoptions") {', ...corsHeaderLines(c, (_, v) => v).map((l) => `    ${l}`), '    return 204;', '}'].join('\n'));
    // Other requests from an allowed origin: the same headers, each empty (so not sent) unless $knet_cors is "true".
    access.push(...corsHeaderLines(c, (name, v) => {
      const variable = `$knet_cors_${i}_${name}`;
      http.push(`map $knet_cors ${variable} {\n    "true" ${v};\n    default "";\n}`);
      return variable;
    }));
  }
  if (t.redirect) rewrite.push(`return ${t.redirect.code} ${quote(t.redirect.url)};`);

  if (t.limit) {
    const zone = `knet_rps_${i}`;
    http.push(`limit_req_zone $binary_remote_addr zone=${zone}:5m rate=${t.limit.rps}r/s;`);
    access.push(`limit_req zone=${zone} burst=${t.limit.burst} nodelay;`, `limit_req_status ${ctx.controller.limitReqStatusCode};`);
  }
  for (const cidr of t.deny) access.push(`deny ${cidr};`);
  if (t.allow.length > 0) access.push(...t.allow.map((cidr) => `allow ${cidr};`), 'deny all;');

  if (t.auth) {
    const a = t.auth;
    const path = `/_knet_external_auth_${i}`;
    const u = new URL(a.url);
    const lines = [
      'internal;',
      'proxy_pass_request_body off;',
      'proxy_set_header Content-Length "";',
      'proxy_set_header X-Forwarded-Proto "";',
      'proxy_set_header X-Request-ID $req_id;',
      `proxy_set_header Host ${quote(u.host)};`,
      'proxy_set_header X-Original-URL $scheme://$http_host$request_uri;',
      'proxy_set_header X-Original-Method $request_method;',
      'proxy_set_header X-Sent-From "nginx-ingress-controller";',
      'proxy_set_header X-Real-IP $remote_addr;',
      'proxy_set_header X-Forwarded-For $remote_addr;',
      'proxy_set_header X-Auth-Request-Redirect $request_uri;',
      ...(a.method ? [`proxy_method ${a.method};`, 'proxy_set_header X-Original-URI $request_uri;'] : []),
    ];
    const upstream = loc.authBackend ? ctx.upstreamFor(loc.authBackend) : null;
    if (loc.authBackend && upstream === null) lines.push('return 503;'); // the Service has no endpoint: the subrequest fails, nginx answers 500
    else if (upstream) lines.push(`proxy_pass ${u.protocol}//${upstream}${quoteUri(`${u.pathname}${u.search}`)};`);
    else lines.push(`set $knet_auth_url_${i} ${quote(a.url)};`, `proxy_pass $knet_auth_url_${i};`); // outside the cluster: resolved per request
    server.push([`location = ${path} {`, ...lines.map((l) => `    ${l}`), '}'].join('\n'));
    access.push(`auth_request ${path};`);
    if (a.signin) {
      const named = `@knet_signin_${i}`;
      server.push([`location ${named} {`, '    internal;', `    return 302 ${quote(signinUrl(a.signin, a.redirectParam))};`, '}'].join('\n'));
      http.push(ESCAPED_REQUEST_URI);
      access.push(`error_page 401 = ${named};`);
    }
  }

  if (t.customHttpErrors.length > 0) {
    access.push('proxy_intercept_errors on;');
    const by = loc.errorBackend ? ctx.upstreamFor(loc.errorBackend) : null;
    for (const code of t.customHttpErrors) {
      const named = `@knet_custom_${i}_${code}`;
      access.push(`error_page ${code} = ${named};`);
      const lines = ['internal;', 'proxy_intercept_errors off;', ...errorHeaders(loc, String(code)), 'rewrite (.*) / break;'];
      // No default-backend annotation: the controller's default backend, which answers 404.
      lines.push(by ? `proxy_pass http://${by};` : loc.errorBackend ? 'return 503;' : 'return 404;');
      server.push([`location ${named} {`, ...lines.map((l) => `    ${l}`), '}'].join('\n'));
    }
  }

  const accessPhase = t.limit !== null || t.allow.length > 0 || t.deny.length > 0 || t.auth !== null;
  return { head, rewrite, access, http, server, accessPhase };
}

/** The headers ingress-nginx's custom error pages receive. */
export function errorHeaders(loc: Location, code: string): string[] {
  const b = loc.backend?.ref;
  return [
    ...PROXY_HEADERS.filter((h) => !/ X-Request-ID /.test(h)),
    `proxy_set_header X-Code ${code};`,
    'proxy_set_header X-Format $http_accept;',
    'proxy_set_header X-Original-URI $request_uri;',
    `proxy_set_header X-Namespace ${quote(b?.namespace ?? '')};`,
    `proxy_set_header X-Ingress-Name ${quote(loc.ingress?.split('/')[1] ?? '')};`,
    `proxy_set_header X-Service-Name ${quote(b?.service ?? '')};`,
    `proxy_set_header X-Service-Port ${quote(String(b?.port ?? ''))};`,
    'proxy_set_header X-Request-ID $req_id;',
  ];
}

/** A URI for proxy_pass, without characters nginx's parser would take as syntax. */
function quoteUri(uri: string): string {
  return uri.replace(/[\s;{}"'\\$]/g, encodeURIComponent);
}
