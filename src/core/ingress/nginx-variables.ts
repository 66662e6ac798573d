// nginx's variables as an annotation value meets them. ingress-nginx writes app-root and
// rewrite-target (and the redirect and auth URLs) into directives whose values nginx parses
// as scripts: `$name`, `${name}` and the captures `$1`..`$9`. nginx refuses the whole
// configuration when a name is not a variable that some module or the configuration itself
// defines (`unknown "x" variable`), or when a `$` starts no name (`invalid variable name`):
// there is no way to write a literal `$`.

/**
 * Variables of nginx 1.22 as Debian builds it (the http core and its compiled-in modules:
 * ssl, http2, realip, stub_status, upstream, proxy, fastcgi, gzip, userid, limit_req,
 * limit_conn, referer, browser, secure_link, ssi, slice). Checked against `nginx -t` in
 * admission.test.ts. Names are case-insensitive.
 */
export const NGINX_VARIABLES: ReadonlySet<string> = new Set([
  // http core
  'args', 'binary_remote_addr', 'body_bytes_sent', 'bytes_sent', 'connection', 'connection_requests', 'connection_time',
  'content_length', 'content_type', 'document_root', 'document_uri', 'host', 'hostname', 'http_cookie', 'http_host',
  'http_referer', 'http_user_agent', 'http_via', 'http_x_forwarded_for', 'https', 'is_args', 'limit_rate', 'msec',
  'nginx_version', 'pid', 'pipe', 'proxy_protocol_addr', 'proxy_protocol_port', 'proxy_protocol_server_addr',
  'proxy_protocol_server_port', 'query_string', 'realpath_root', 'remote_addr', 'remote_port', 'remote_user', 'request',
  'request_body', 'request_body_file', 'request_completion', 'request_filename', 'request_id', 'request_length',
  'request_method', 'request_time', 'request_uri', 'scheme', 'server_addr', 'server_name', 'server_port', 'server_protocol',
  'status', 'tcpinfo_rcv_space', 'tcpinfo_rtt', 'tcpinfo_rttvar', 'tcpinfo_snd_cwnd', 'time_iso8601', 'time_local', 'uri',
  // ssl, http2, realip, stub_status
  'ssl_alpn_protocol', 'ssl_cipher', 'ssl_ciphers', 'ssl_client_cert', 'ssl_client_escaped_cert', 'ssl_client_fingerprint',
  'ssl_client_i_dn', 'ssl_client_i_dn_legacy', 'ssl_client_raw_cert', 'ssl_client_s_dn', 'ssl_client_s_dn_legacy',
  'ssl_client_serial', 'ssl_client_v_end', 'ssl_client_v_remain', 'ssl_client_v_start', 'ssl_client_verify', 'ssl_curve',
  'ssl_curves', 'ssl_early_data', 'ssl_protocol', 'ssl_server_name', 'ssl_session_id', 'ssl_session_reused',
  'http2', 'realip_remote_addr', 'realip_remote_port',
  'connections_active', 'connections_reading', 'connections_waiting', 'connections_writing',
  // upstream, proxy, fastcgi
  'upstream_addr', 'upstream_bytes_received', 'upstream_bytes_sent', 'upstream_cache_status', 'upstream_connect_time',
  'upstream_header_time', 'upstream_response_length', 'upstream_response_time', 'upstream_status',
  'proxy_add_x_forwarded_for', 'proxy_host', 'proxy_port', 'fastcgi_path_info', 'fastcgi_script_name',
  // gzip, userid, limit_req, limit_conn, referer, browser, secure_link, ssi, slice
  'gzip_ratio', 'uid_got', 'uid_reset', 'uid_set', 'limit_req_status', 'limit_conn_status', 'invalid_referer',
  'ancient_browser', 'modern_browser', 'msie', 'secure_link', 'secure_link_expires', 'date_gmt', 'date_local', 'slice_range',
]);

/** Families of variables named after a header, cookie or argument: `$http_x_api_key`, `$arg_page`. */
export const NGINX_VARIABLE_PREFIXES: readonly string[] = [
  'http_', 'sent_http_', 'sent_trailer_', 'cookie_', 'arg_', 'upstream_http_', 'upstream_trailer_', 'upstream_cookie_',
];

/**
 * What knet's controller configuration defines for every Ingress: ingress-nginx's (its
 * template defines these too) and knet's own, `map`s and `geo` in the http block and `set`s
 * in every server and location.
 * compile/ingress-nginx's tests check each is defined in the configuration it writes.
 */
export const CONTROLLER_VARIABLES: ReadonlySet<string> = new Set([
  'best_http_host', 'req_id', 'connection_upgrade', 'proxy_upstream_name', 'proxy_alternative_upstream_name',
  // set in every location (compile/ingress-nginx/variables.ts), as ingress-nginx's template does
  'namespace', 'ingress_name', 'service_name', 'service_port', 'location_path', 'literal_dollar',
  // knet's own maps (the HSTS header and the https redirect's host and URI)
  'knet_hsts', 'knet_redirect_host', 'knet_redirect_uri', 'knet_rh', 'knet_ru',
]);

/** One variable reference in a script, or a `$` nginx cannot read. */
export type ScriptPart =
  | { readonly kind: 'variable'; readonly name: string; readonly at: number }
  | { readonly kind: 'capture'; readonly n: number; readonly at: number }
  | { readonly kind: 'invalid'; readonly error: string; readonly at: number };

/** The `$` references in a value nginx reads as a script, as ngx_http_script_compile reads them. */
export function scriptParts(value: string): ScriptPart[] {
  const out: ScriptPart[] = [];
  for (let i = value.indexOf('$'); i >= 0; i = value.indexOf('$', i + 1)) {
    const c = value[i + 1] ?? '';
    if (c >= '1' && c <= '9') {
      out.push({ kind: 'capture', n: Number(c), at: i });
      continue;
    }
    if (c === '{') {
      const word = /^\w*/.exec(value.slice(i + 2))![0];
      if (word === '') out.push({ kind: 'invalid', error: 'invalid variable name', at: i });
      else if (value[i + 2 + word.length] !== '}') out.push({ kind: 'invalid', error: `the closing bracket in "${word}" variable is missing`, at: i });
      else out.push({ kind: 'variable', name: word, at: i });
      continue;
    }
    const name = /^\w*/.exec(value.slice(i + 1))![0];
    out.push(name === '' ? { kind: 'invalid', error: 'invalid variable name', at: i } : { kind: 'variable', name, at: i });
  }
  return out;
}

/** Whether nginx knows `name` given the variables this configuration defines (`set`, `map`, named captures). */
export function isKnownVariable(name: string, defined: ReadonlySet<string>): boolean {
  const n = name.toLowerCase();
  if (NGINX_VARIABLES.has(n) || CONTROLLER_VARIABLES.has(n) || defined.has(n)) return true;
  return NGINX_VARIABLE_PREFIXES.some((p) => n.startsWith(p));
}
