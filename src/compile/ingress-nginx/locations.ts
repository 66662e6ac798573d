// A server's locations as nginx location blocks, each serving the location the core's
// `selectLocation` picks for the URIs that block catches, so nginx and `knet route` agree:
// - regex servers (use-regex or rewrite-target on the host): `~* "^<path>"` in the core's
//   order, first match wins in both;
// - otherwise ingress-nginx's form: Prefix `/foo` is `location /foo/` plus `location = /foo`,
//   Exact is `location = /foo`. nginx takes an exact match first, then the longest prefix,
//   which is the core's longest-path rule element by element. Each `= URI` block serves
//   whatever the core picks for that very URI (so Exact beats Prefix at equal length, and a
//   Prefix `/foo/` also answers `/foo`, as the Ingress spec says), and each `/foo/` block
//   what the core picks for a URI strictly under `/foo/` that no longer path claims.
import { selectLocation } from '../../core/ingress/match-route.js';
import type { Location, Server } from '../../core/ingress/route-table.js';

export type NginxMatch =
  | { readonly kind: 'exact'; readonly uri: string }
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'regex'; readonly pattern: string };

export interface NginxLocation {
  readonly match: NginxMatch;
  readonly location: Location;
}

/** A path element no Ingress path has: the probe for "strictly under this prefix". */
const UNDER = '\u0000';

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

export function nginxLocations(server: Server): NginxLocation[] {
  if (server.regex) {
    // Every path goes to nginx as written, as ingress-nginx writes it: one PCRE2 refuses is
    // refused at admission (dataplane/ingress/admission.ts) or leaves the configuration with
    // its Ingress; JavaScript's RegExp (the core's) is no judge of what PCRE2 accepts.
    return server.locations.map((l) => ({ match: { kind: 'regex', pattern: `^${l.path}` }, location: l }));
  }
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  for (const l of server.locations) {
    if (l.pathType === 'Exact') {
      exact.add(l.path);
      continue;
    }
    const p = trimSlash(l.path);
    if (p !== '/') exact.add(p);
    prefixes.add(p === '/' ? '/' : `${p}/`);
  }
  prefixes.add('/'); // every server has its `/` location; nginx needs a block for it
  const out: NginxLocation[] = [];
  for (const uri of [...exact].sort()) out.push({ match: { kind: 'exact', uri }, location: selectLocation(server, uri) });
  for (const prefix of [...prefixes].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))) {
    out.push({ match: { kind: 'prefix', prefix }, location: selectLocation(server, `${prefix}${UNDER}`) });
  }
  return out;
}
