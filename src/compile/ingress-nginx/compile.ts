// The core's route table as an nginx configuration the way ingress-nginx writes one: one
// server per host (exact names, wildcards as one-label regexes), the catch-all default
// server with the controller's default certificate answering 404, locations from the core's
// own location choice, upstreams to ready endpoint pod IPs, 503 where a backend has none,
// the https redirect, rewrite-target, app-root and canaries as the core decides them, the
// proxy headers ingress-nginx sets and its access log format. Pure: the PEM files it names
// are part of the output; `dataplane/ingress` writes them and runs nginx.
import { httpsRedirectOf, matchRoute, type RouteRequest } from '../../core/ingress/match-route.js';
import { CATCH_ALL, needsRewrite, type Location, type RouteTable, type Server } from '../../core/ingress/route-table.js';
import type { Backend } from '../../core/ingress/backend.js';
import type { Secret } from '../../model/types.js';
import { canaryVariables } from './canary.js';
import { pemFile, secretPem, type PemFile } from './certificates.js';
import { nginxLocations, type NginxLocation } from './locations.js';
import { DEFAULT_UPSTREAM, quote, regexLiteral, upstreamName } from './nginx-syntax.js';
import { renderHttpPreamble, renderMain } from './render.js';
import { PASSTHROUGH_INTERNAL_PORT, passthroughStream } from './passthrough.js';
import { errorHeaders, renderTraffic, type TrafficRender } from './traffic.js';
import { LITERAL_DOLLAR, locationVariables } from './variables.js';
import { compareText } from '../../model/order.js';

export interface NginxInput {
  readonly table: RouteTable;
  /** Every Secret of the cluster: the TLS Secrets the table names are read from here. */
  readonly secrets: readonly Secret[];
  /** The self-signed "Kubernetes Ingress Controller Fake Certificate" (cert + key PEM), used unless --default-ssl-certificate names a usable Secret. */
  readonly fakeCertificate: string;
  /** Where nginx resolves ExternalName backends at request time (the pod's cluster DNS). */
  readonly resolvers: readonly string[];
  readonly workerProcesses?: number;
}

export interface NginxBundle {
  /** nginx.conf; every path in it is relative to nginx's prefix (`-p`). */
  readonly conf: string;
  readonly certificates: readonly PemFile[];
  /** Where nginx cannot do what the table says, and what it does instead. */
  readonly notes: readonly string[];
}

/** The port nginx answers /healthz on: ingress-nginx's controller port, which its readinessProbe names. */
export const HEALTHZ_PORT = 10254;

export function compileIngressNginx(input: NginxInput): NginxBundle {
  const { table } = input;
  const notes: string[] = [];
  const files = new Map<string, PemFile>();
  const addFile = (f: PemFile): string => {
    files.set(f.path, f);
    return f.path;
  };

  // The default certificate: --default-ssl-certificate's Secret when usable, else the fake.
  let defaultCert = addFile(pemFile('default-fake-certificate', input.fakeCertificate));
  if (table.controller.defaultCertificate) {
    const d = secretPem(table.controller.defaultCertificate, input.secrets);
    if (d.kind === 'pem') defaultCert = addFile(d.file);
    else notes.push(`--default-ssl-certificate: ${d.why}; the self-signed fake certificate is the default`);
  }

  const certificateOf = (server: Server): string => {
    if (server.host === CATCH_ALL) return defaultCert;
    // The core's TLS decision for SNI naming this server (exact, then one-label wildcard).
    const tls = matchRoute(table, probe('https', server.host, '/')).tls;
    if (!tls || tls.kind === 'default') return defaultCert;
    const pem = secretPem(tls.secret, input.secrets);
    if (pem.kind === 'pem') return addFile(pem.file);
    notes.push(`host ${server.host}: ${pem.why}; nginx serves the default certificate until it does${tls.issuedBy ? ` (cert-manager Certificate ${tls.issuedBy} writes it)` : ''}`);
    return defaultCert;
  };

  const maps: string[] = [];
  const upstreams = new Map<string, string[]>();
  let canaries = 0;
  const servers: string[] = [];
  // One rendering of a Location's annotations, shared by the nginx blocks that serve it (one rate-limit zone, one auth location).
  const traffic = new Map<Location, TrafficRender>();
  let serverExtras: string[] = [];
  const trafficOf = (l: Location): TrafficRender => {
    let r = traffic.get(l);
    if (!r) {
      r = renderTraffic(l, traffic.size, { controller: table.controller, upstreamFor: (b) => { const t = backendTarget(b); return t.ready && !t.external ? t.name : null; } });
      traffic.set(l, r);
      for (const h of r.http) if (!maps.includes(h)) maps.push(h);
      serverExtras.push(...r.server);
    }
    return r;
  };
  const passthrough = table.controller.enableSslPassthrough && table.servers.some((s) => s.passthrough);
  const ordered = [...table.servers].sort((a, b) => (a.host === CATCH_ALL ? -1 : b.host === CATCH_ALL ? 1 : compareText(a.host, b.host)));
  for (const server of ordered) {
    const locs = nginxLocations(server);
    const body: string[] = [];
    serverExtras = [];
    for (const nl of locs) {
      body.push(...renderLocation(nl, server));
    }
    for (const extra of serverExtras) body.push(...extra.split('\n'));
    const cert = certificateOf(server);
    servers.push(renderServer(server, cert, mutualTls(server), body));
  }

  function backendTarget(b: Backend): { name: string; ready: true; external: boolean } | { name: string; ready: false; external: false } {
    const name = upstreamName(b.ref);
    if (b.upstream.kind !== 'ready') return { name, ready: false, external: false };
    const eps = b.upstream.endpoints;
    // An ExternalName Service's endpoint is a DNS name: resolved per request (ingress-nginx does it in Lua).
    const external = eps.some((e) => !/^(\d+\.){3}\d+:\d+$|^\[[0-9a-f:.]+\]:\d+$/i.test(e));
    if (!external) upstreams.set(name, [...eps]);
    return { name: external ? eps[0]! : name, ready: true, external };
  }

  function renderLocation(nl: NginxLocation, server: Server): string[] {
    const l: Location = nl.location;
    const m = nl.match;
    const head = m.kind === 'exact' ? `location = ${quote(m.uri)} {` : m.kind === 'prefix' ? `location ${quote(m.prefix)} {` : `location ~* ${quote(m.pattern)} {`;
    const lines: string[] = [];
    let primary = l.backend ? backendTarget(l.backend) : null;
    const tr = trafficOf(l);
    lines.push(`set $proxy_upstream_name ${quote(l.backend ? upstreamName(l.backend.ref) : DEFAULT_UPSTREAM)};`);
    lines.push(...tr.head);
    for (const r of tr.rewrite) lines.push(...r.split('\n'));
    // ssl-redirect / force-ssl-redirect: the core's decision for this location (plain http only).
    const redirect = httpsRedirectOf(table, l, server.host);
    if (redirect.kind === 'redirect') {
      lines.push(`if ($scheme = http) {`, `    return ${redirect.status} https://$knet_redirect_host${redirect.preserveTrailingSlash ? '$request_uri' : '$knet_redirect_uri'};`, '}');
    }
    for (const a of tr.access) lines.push(...a.split('\n'));
    // nginx's own answers come after the access checks, as ingress-nginx's balancer gives them (content phase).
    const answer = (code: number) => (tr.accessPhase ? `try_files /.knet-no-such-file =${code};` : `return ${code};`);
    if (!l.backend) {
      lines.push(answer(404));
      return [head, ...lines.map((x) => `    ${x}`), '}'];
    }
    // default-backend: the Service answers while the rule's Service has no endpoint (with X-Code 503).
    if (!primary!.ready && l.errorBackend && l.errorBackend.upstream.kind === 'ready' && !l.canary) {
      primary = backendTarget(l.errorBackend);
      lines.push(`set $proxy_upstream_name ${quote(upstreamName(l.errorBackend.ref))};`, ...errorHeaders(l, '503'));
    }
    const scheme = l.config.traffic.backendProtocol;
    const pass = (target: string) => (scheme === 'GRPC' ? `grpc_pass grpc://${target};` : scheme === 'GRPCS' ? `grpc_pass grpcs://${target};` : `proxy_pass ${scheme === 'HTTPS' ? 'https' : 'http'}://${target};`);
    let proxy: string | null = null;
    // An upstream block by name; an ExternalName through a variable, so nginx resolves it per request.
    const target = (t: { name: string; external: boolean }): string => {
      if (!t.external) return t.name;
      lines.push(`set $knet_external_upstream ${quote(t.name)};`);
      return '$knet_external_upstream';
    };
    const canary = l.canary ? backendTarget(l.canary.backend) : null;
    if (l.canary && canary) {
      const i = canaries++;
      const vars = canaryVariables(l.canary, i);
      maps.push(...vars.blocks);
      notes.push(...vars.notes.map((n) => `canary Ingress ${l.canary!.ingress}: ${n}`));
      lines.push(`set $proxy_alternative_upstream_name ${quote(upstreamName(l.canary.backend.ref))};`);
      if (!canary.ready) lines.push(`if (${vars.variable} = 1) {`, `    ${answer(503)}`, '}');
      if (!primary!.ready) lines.push(`if (${vars.variable} != 1) {`, `    ${answer(503)}`, '}');
      if (canary.ready && primary!.ready) {
        const chooser = `$knet_canary_${i}_upstream`;
        maps.push(`map ${vars.variable} ${chooser} {\n    "1" ${quote(canary.name)};\n    default ${quote(primary!.name)};\n}`);
        proxy = chooser;
      } else if (canary.ready) proxy = target(canary);
      else if (primary!.ready) proxy = target(primary!);
      else lines.push(answer(503));
    } else if (!primary!.ready) {
      lines.push(answer(503));
    } else {
      proxy = target(primary!);
    }
    if (proxy !== null) lines.push(pass(proxy));
    // ingress-nginx's per-location variables, then the rewrite that may name them (rewrite
    // directives run in the order written; proxy_pass is the content handler wherever it is).
    // Written even after a `return 503` (never reached there), so nginx -t checks the
    // annotation whether or not the backend has endpoints, as ingress-nginx's template does.
    lines.push(...locationVariables(l));
    if (needsRewrite(l)) lines.push(`rewrite ${quote(`(?i)${l.path}`)} ${quote(l.config.rewriteTarget)} break;`);
    return [head, ...lines.map((x) => `    ${x}`), '}'];
  }

  /** auth-tls: the CA file and ssl_verify_client; a CA the controller cannot use: 403 for the whole host (ingress-nginx's AuthTLSError). */
  function mutualTls(server: Server): string[] {
    const m = server.authTls;
    if (!m) return [];
    if (m.problem) return [`# auth-tls-secret of Ingress ${m.ingress}: ${m.problem}`, 'return 403;'];
    const [ns, name] = m.secret.split('/') as [string, string];
    const ca = Buffer.from(input.secrets.find((x) => x.meta.namespace === ns && x.meta.name === name)!.data['ca.crt']!, 'base64').toString('utf8');
    if (!/-----BEGIN CERTIFICATE-----/.test(ca)) {
      notes.push(`host ${server.host}: ca.crt of Secret ${m.secret} is not a PEM certificate; ingress-nginx answers every request with 403`);
      return [`# ca.crt of Secret ${m.secret} is not a PEM certificate`, 'return 403;'];
    }
    const file = addFile(pemFile(`ca_${ns}_${name}`, `${ca.trim()}\n`));
    return [`ssl_client_certificate ${file};`, `ssl_verify_client ${m.verify};`, 'ssl_verify_depth 1;'];
  }

  function renderServer(server: Server, cert: string, mtls: readonly string[], locations: string[]): string {
    const catchAll = server.host === CATCH_ALL;
    const name = catchAll ? '_' : server.host.startsWith('*.')
      ? quote(`~^(?<subdomain>[\\w-]+)${regexLiteral(server.host.slice(1))}$`)
      : server.host;
    // No reuseport (ingress-nginx's reuse-port): with a listening socket per worker, a reload
    // resets the connections queued on the old workers' sockets; one shared socket hands them on.
    const lines = [
      `## start server ${catchAll ? '_' : server.host}${server.ingresses.length ? ` (Ingresses ${server.ingresses.join(', ')})` : ''}`,
      'server {',
      `    server_name ${name};`,
      catchAll ? '    listen 80 default_server backlog=4096;' : '    listen 80;',
      // With ssl-passthrough nginx's stream server owns 443 and hands TLS it does not pass through to 442.
      `    listen ${passthrough ? `127.0.0.1:${PASSTHROUGH_INTERNAL_PORT}` : '443'} ssl http2${catchAll ? ' default_server backlog=4096' : ''};`,
      `    ssl_certificate ${cert};`,
      `    ssl_certificate_key ${cert};`,
      `    set $proxy_upstream_name "-";`,
      `    set $proxy_alternative_upstream_name "";`,
      ...mtls.map((l) => `    ${l}`),
    ];
    // app-root: a server-level `if ($uri = /)`, before any location, as the core decides it.
    if (server.appRoot) lines.push('    if ($uri = /) {', `        return 302 $scheme://$http_host${server.appRoot.replace(/[\s;{}"'\\]/g, encodeURIComponent)};`, '    }');
    for (const l of locations) lines.push(`    ${l}`);
    lines.push('}', `## end server ${catchAll ? '_' : server.host}`);
    return lines.join('\n');
  }

  const upstreamBlocks = [...upstreams].sort(([a], [b]) => compareText(a, b)).map(([name, eps]) =>
    [`upstream ${name} {`, ...eps.map((e) => `    server ${e} max_fails=0;`), '    keepalive 320;', '    keepalive_requests 10000;', '}'].join('\n'));

  const http = [
    renderHttpPreamble({ servers: table.servers.length, resolvers: input.resolvers, bodySize: table.controller.proxyBodySize }),
    LITERAL_DOLLAR,
    ...maps,
    ...upstreamBlocks,
    healthzServer(),
    ...servers,
  ];
  for (const n of table.notes) notes.push(`Ingress ${n.ingress}: ${n.message}`);
  const stream = passthrough ? passthroughStream(table) : null;
  return {
    conf: renderMain({ workerProcesses: input.workerProcesses ?? 1, http, stream }),
    certificates: [...files.values()].sort((a, b) => compareText(a.path, b.path)),
    notes,
  };
}

function healthzServer(): string {
  return [
    '## the controller\'s health endpoint (its readinessProbe: GET /healthz on 10254)',
    'server {',
    `    listen ${HEALTHZ_PORT} default_server;`,
    '    server_name _;',
    '    set $proxy_upstream_name "-";',
    '    set $proxy_alternative_upstream_name "";',
    '    location = /healthz {',
    '        access_log off;',
    '        return 200;',
    '    }',
    '    location / {',
    '        return 404;',
    '    }',
    '}',
  ].join('\n');
}

function probe(scheme: 'http' | 'https', host: string, path: string): RouteRequest {
  return { scheme, host, sni: scheme === 'https' ? host : null, path, query: '', method: 'GET', headers: {} };
}

