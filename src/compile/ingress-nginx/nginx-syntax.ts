// nginx configuration syntax: quoting strings so nginx reads back exactly what was meant,
// and the names knet gives upstreams and variables (ingress-nginx's `<ns>-<svc>-<port>`).
import type { BackendRef } from '../../core/ingress/backend.js';

/**
 * A double-quoted nginx string. nginx's parser turns `\"`, `\'` and `\\` into the character
 * and `\t`, `\n`, `\r` into control characters inside quotes, so every backslash is doubled:
 * a regex such as `/v[0-9]+\.json` reaches PCRE unchanged.
 */
export function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A PCRE-safe literal: regex metacharacters escaped (for host names in server_name regexes). */
export function regexLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** ingress-nginx names an upstream `<namespace>-<service>-<port>`, the port as the Ingress writes it. */
export function upstreamName(ref: BackendRef): string {
  return `${ref.namespace}-${ref.service}-${ref.port}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** The name ingress-nginx logs for requests its own default backend answers. */
export const DEFAULT_UPSTREAM = 'upstream-default-backend';

/** `$http_<name>`: nginx's variable for a request header (lower case, `-` as `_`). */
export function headerVariable(header: string): string | null {
  const v = header.toLowerCase().replace(/-/g, '_');
  return /^[a-z0-9_]+$/.test(v) ? `$http_${v}` : null;
}

/** `$cookie_<name>`; null when the name cannot be an nginx variable (e.g. contains `-` or `.`). */
export function cookieVariable(cookie: string): string | null {
  return /^[A-Za-z0-9_]+$/.test(cookie) ? `$cookie_${cookie}` : null;
}
