// The route table an ingress-nginx controller builds from a cluster, once: one server per
// host (plus the catch-all `_`), the Ingresses of a host merged into it oldest first (the
// oldest wins a conflict), each server with a `/` location for the Ingress's defaultBackend
// or the controller's own (404), canaries attached to the locations they shadow,
// backends resolved to Service ports and ready endpoints, and one certificate per host.
// Pure data: `matchRoute` answers requests with it, and a real proxy can be configured from it.
import type { Ingress, IngressBackend, IngressClass, PathType, Ref } from '../../model/types.js';
import { parseAnnotations, type CanaryConfig, type IngressAnnotations, type LocationConfig } from './annotations.js';
import { defaultTraffic, type VerifyClient } from './traffic-annotations.js';
import { authService } from './traffic.js';
import { resolveBackend, type Backend, type BackendSources } from './backend.js';
import { admitIngress, byAge, type Admission, type OtherClass } from './class.js';
import type { ControllerConfig } from './controller.js';
import { regexLocation } from './host-path.js';
import { serverCertificate, type ServerCertificate, type TlsSources } from './tls.js';
import { compareText } from '../../model/order.js';

export const CATCH_ALL = '_';

export interface Canary {
  readonly ingress: Ref;
  readonly backend: Backend;
  readonly config: CanaryConfig;
}

export interface Location {
  readonly path: string; // '/' when the Ingress leaves it empty
  readonly pathType: PathType; // as written
  readonly ingress: Ref | null; // null: the controller's own catch-all location
  readonly backend: Backend | null; // null: the controller's default backend, which answers 404
  readonly root: boolean; // the `/` location every server gets (defaultBackend or the controller's)
  readonly config: LocationConfig;
  readonly canary: Canary | null;
  /** The default-backend annotation's Service (its first port): it answers when the backend has no endpoint, and the custom-http-errors. */
  readonly errorBackend: Backend | null;
  /** auth-url's host as a Service of the cluster (its endpoints); null: none, or a host outside the cluster. */
  readonly authBackend: Backend | null;
}

/** mTLS of a server: the oldest Ingress of the host with auth-tls-secret decides. */
export interface ServerAuthTls {
  readonly ingress: Ref;
  readonly secret: Ref; // holds ca.crt
  readonly verify: VerifyClient;
  readonly problem: string; // '' = usable; else ingress-nginx's AuthTLSError: every request to the host gets 403
}

/** ssl-passthrough: TLS by SNI straight to the backend of the host's `/` location. */
export interface Passthrough {
  readonly ingress: Ref;
  readonly backend: Backend;
}

export interface Server {
  readonly host: string; // CATCH_ALL for requests no host matches, and for rules without a host
  readonly regex: boolean; // some location uses use-regex or rewrite-target: all are `~* "^<path>"`
  readonly locations: readonly Location[]; // nginx order: longest path first
  readonly appRoot: string;
  readonly certificate: ServerCertificate | null; // null: no Ingress of this host has a tls section
  readonly ingresses: readonly Ref[]; // merged into this server, oldest first
  readonly authTls: ServerAuthTls | null;
  readonly passthrough: Passthrough | null;
}

export interface RouteNote {
  readonly ingress: Ref;
  readonly message: string;
  readonly annotation?: string; // the annotation the note is about
  readonly unsupported?: true; // a snippet, or an annotation knet does not implement
}

export interface RouteTable {
  readonly controller: ControllerConfig;
  /** A controller pod runs in the input (false: the Ingresses are there, nothing serves them). */
  readonly running: boolean;
  /** otherClass: left out because its class is another controller's, which knet does not model. */
  readonly admissions: readonly { readonly ingress: Ref; readonly served: boolean; readonly why: string; readonly otherClass: OtherClass | null }[];
  readonly servers: readonly Server[];
  readonly notes: readonly RouteNote[];
}

export interface RouteInput extends BackendSources, TlsSources {
  readonly ingresses: readonly Ingress[];
  readonly ingressClasses: readonly IngressClass[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MLocation = Mutable<Location>;
interface MServer extends Omit<Mutable<Server>, 'locations' | 'ingresses'> {
  locations: MLocation[];
  ingresses: Ref[];
}

/** ingress-nginx treats ImplementationSpecific as Prefix (k8s.SetDefaultNGINXPathType). */
function nginxType(t: PathType): PathType {
  return t === 'ImplementationSpecific' ? 'Prefix' : t;
}

export function needsRewrite(l: Pick<Location, 'path' | 'config'>): boolean {
  return l.config.rewriteTarget !== '' && l.config.rewriteTarget !== l.path;
}

export function buildRouteTable(input: RouteInput, controller: ControllerConfig, running = true): RouteTable {
  const admissions: Admission[] = input.ingresses.map((i) => admitIngress(i, input.ingressClasses, controller));
  const served = admissions.filter((a) => a.kind === 'served').map((a) => a.ingress).sort(byAge);
  const notes: RouteNote[] = [];
  const refOf = (i: Ingress) => `${i.meta.namespace}/${i.meta.name}` as Ref;
  const anns = new Map<Ingress, IngressAnnotations>();
  for (const i of served) {
    const a = parseAnnotations(i.meta.annotations, controller, i.meta.namespace);
    anns.set(i, a);
    for (const p of a.problems) notes.push({ ingress: refOf(i), message: p.message, annotation: p.annotation, ...(p.unsupported ? { unsupported: true as const } : {}) });
  }
  const primaries = served.filter((i) => anns.get(i)!.canary === null);
  const canaries = served.filter((i) => anns.get(i)!.canary !== null);
  const backendOf = (i: Ingress, b: IngressBackend | null): Backend | null =>
    b?.service ? resolveBackend({ namespace: i.meta.namespace, service: b.service.name, port: b.service.port }, input) : null;

  const noAnnotations: LocationConfig = { rewriteTarget: '', useRegex: false, sslRedirect: false, forceSslRedirect: false, preserveTrailingSlash: false, appRoot: '', traffic: defaultTraffic(controller.proxyBodySize) };
  // default-backend: a Service of the Ingress's namespace, by its first port (as ingress-nginx takes it).
  const errorBackendOf = (i: Ingress | null): Backend | null => {
    const name = i ? anns.get(i)!.location.traffic.defaultBackend : '';
    if (!i || !name) return null;
    const svc = input.services.find((s) => s.meta.namespace === i.meta.namespace && s.meta.name === name);
    return resolveBackend({ namespace: i.meta.namespace, service: name, port: svc?.ports[0]?.port ?? 80 }, input);
  };
  const authBackendOf = (c: LocationConfig): Backend | null => (c.traffic.auth ? authService(c.traffic.auth.url, input) : null);
  const rootLocation = (i: Ingress | null, backend: Backend | null, config: LocationConfig): MLocation =>
    ({ path: '/', pathType: 'Prefix', ingress: i ? refOf(i) : null, backend, root: true, config, canary: null, errorBackend: errorBackendOf(i), authBackend: authBackendOf(config) });
  const servers = new Map<string, MServer>();
  const newServer = (host: string, root: MLocation): MServer =>
    ({ host, regex: false, locations: [root], appRoot: '', certificate: null, ingresses: [], authTls: null, passthrough: null });
  servers.set(CATCH_ALL, newServer(CATCH_ALL, rootLocation(null, null, noAnnotations)));

  // Servers: the oldest Ingress naming a host creates it, with its defaultBackend (if any) at `/`.
  for (const i of primaries) {
    const def = backendOf(i, i.defaultBackend);
    const catchAllRoot = servers.get(CATCH_ALL)!.locations[0]!;
    if (def && i.rules.length === 0 && catchAllRoot.ingress === null) {
      // An Ingress with a defaultBackend and no rules takes over the catch-all server.
      Object.assign(catchAllRoot, { ingress: refOf(i), backend: def, config: anns.get(i)!.location, errorBackend: errorBackendOf(i), authBackend: authBackendOf(anns.get(i)!.location) });
      servers.get(CATCH_ALL)!.ingresses.push(refOf(i));
    }
    for (const r of i.rules) {
      const host = r.host || CATCH_ALL;
      if (!servers.has(host)) servers.set(host, newServer(host, rootLocation(i, def, anns.get(i)!.location)));
      const ingresses = servers.get(host)!.ingresses;
      if (!ingresses.includes(refOf(i))) ingresses.push(refOf(i));
    }
  }

  // Paths, merged per host in age order.
  for (const i of primaries) {
    for (const r of i.rules) {
      const server = servers.get(r.host || CATCH_ALL)!;
      for (const p of r.paths) {
        if (!p.backend.service) {
          notes.push({ ingress: refOf(i), message: `path ${p.path || '/'}: a resource backend is not a Service; ingress-nginx skips it (requests fall to /)` });
          continue;
        }
        const path = p.path || '/';
        const backend = backendOf(i, p.backend)!;
        const same = server.locations.find((l) => l.path === path && nginxType(l.pathType) === nginxType(p.pathType));
        if (!same) {
          server.locations.push({ path, pathType: p.pathType, ingress: refOf(i), backend, root: false, config: anns.get(i)!.location, canary: null, errorBackend: errorBackendOf(i), authBackend: authBackendOf(anns.get(i)!.location) });
        } else if (same.root) {
          Object.assign(same, { pathType: p.pathType, ingress: refOf(i), backend, root: false, config: anns.get(i)!.location, errorBackend: errorBackendOf(i), authBackend: authBackendOf(anns.get(i)!.location) });
        } else {
          notes.push({ ingress: refOf(i), message: `host ${server.host === CATCH_ALL ? '(any)' : server.host} path ${path} (${p.pathType}) is already defined by Ingress ${same.ingress}; the oldest wins, so this backend is not used` });
        }
      }
    }
  }

  // Canaries shadow the location with the same host, path and type.
  for (const i of canaries) {
    for (const r of i.rules) {
      for (const p of r.paths) {
        const backend = backendOf(i, p.backend);
        if (!backend) continue;
        const server = servers.get(r.host || CATCH_ALL);
        const path = p.path || '/';
        const loc = server?.locations.find((l) => l.path === path && nginxType(l.pathType) === nginxType(p.pathType) && l.backend !== null);
        if (!loc || (loc.backend!.ref.service === backend.ref.service && loc.backend!.ref.namespace === backend.ref.namespace)) {
          notes.push({ ingress: refOf(i), message: `canary for host ${r.host || '(any)'} path ${path}: no primary Ingress defines it, so the canary is dropped` });
          continue;
        }
        if (!loc.canary) loc.canary = { ingress: refOf(i), backend, config: anns.get(i)!.canary! };
      }
    }
  }

  // Certificates: the oldest Ingress of a host that has a tls section decides.
  for (const i of primaries) {
    if (i.tls.length === 0) continue;
    for (const r of i.rules) {
      const server = servers.get(r.host || CATCH_ALL)!;
      if (server.host === CATCH_ALL || server.certificate) continue;
      server.certificate = serverCertificate(server.host, i, input);
    }
  }

  serverAnnotations(primaries, servers, anns, input, controller, notes);

  const out: Server[] = [];
  for (const s of [...servers.values()].sort((a, b) => compareText(a.host, b.host))) {
    // nginx order: by path descending, then (stable) by length descending.
    s.locations.sort((a, b) => (a.path < b.path ? 1 : a.path > b.path ? -1 : 0));
    s.locations.sort((a, b) => b.path.length - a.path.length);
    s.regex = s.locations.some((l) => l.config.useRegex || needsRewrite(l));
    s.appRoot = s.locations.find((l) => l.config.appRoot)?.config.appRoot ?? '';
    if (s.regex) {
      for (const l of s.locations) {
        const re = regexLocation(l.path);
        if ('error' in re && l.ingress) notes.push({ ingress: l.ingress, message: `path ${l.path} is not a valid regular expression (${re.error}); knet's prediction skips it (knet diagnose says whether nginx, which reads PCRE2, accepts it)` });
      }
    }
    out.push(s);
  }
  return {
    controller,
    running,
    admissions: admissions.map((a) => ({ ingress: a.ref, served: a.kind === 'served', why: a.why, otherClass: a.kind === 'ignored' ? a.otherClass : null })),
    servers: out,
    notes,
  };
}

/**
 * mTLS and SSL passthrough are the server's, not a location's: the oldest Ingress of the host
 * naming an auth-tls-secret decides mTLS (a Secret without ca.crt: ingress-nginx's
 * AuthTLSError, 403 for the whole host); ssl-passthrough on any Ingress of the host sends
 * TLS by SNI to the backend of its `/` location, only with --enable-ssl-passthrough.
 */
function serverAnnotations(primaries: readonly Ingress[], servers: Map<string, MServer>, anns: Map<Ingress, IngressAnnotations>,
  input: RouteInput, controller: ControllerConfig, notes: RouteNote[]): void {
  for (const i of primaries) {
    const ref = `${i.meta.namespace}/${i.meta.name}` as Ref;
    const a = anns.get(i)!.server;
    for (const r of i.rules) {
      const server = servers.get(r.host || CATCH_ALL)!;
      if (a.authTls && !server.authTls && server.host !== CATCH_ALL) {
        const [ns, name] = a.authTls.secret.split('/') as [string, string];
        const secret = input.secrets.find((s) => s.meta.namespace === ns && s.meta.name === name);
        const problem = !secret ? `Secret ${a.authTls.secret} not found` : secret.data['ca.crt'] === undefined ? `Secret ${a.authTls.secret} has no ca.crt` : '';
        if (problem) notes.push({ ingress: ref, annotation: 'nginx.ingress.kubernetes.io/auth-tls-secret', message: `nginx.ingress.kubernetes.io/auth-tls-secret: ${problem}; ingress-nginx answers every request to ${server.host} with 403` });
        server.authTls = { ingress: ref, secret: a.authTls.secret as Ref, verify: a.authTls.verify, problem };
      }
      if (a.sslPassthrough && !server.passthrough && server.host !== CATCH_ALL) {
        const root = server.locations.find((l) => l.path === '/' && l.backend);
        const why = !controller.enableSslPassthrough ? 'the controller runs without --enable-ssl-passthrough, so it is ignored'
          : !root ? `host ${server.host} has no / path, so there is no backend to pass TLS to; it is ignored` : '';
        if (why) notes.push({ ingress: ref, annotation: 'nginx.ingress.kubernetes.io/ssl-passthrough', message: `nginx.ingress.kubernetes.io/ssl-passthrough: ${why}` });
        else server.passthrough = { ingress: root!.ingress ?? ref, backend: root!.backend! };
      }
    }
  }
}
