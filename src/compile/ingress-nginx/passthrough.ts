// ssl-passthrough as nginx's stream module does it (ingress-nginx does it in Lua with the
// same effect): a stream server on 443 reads the SNI of each TLS connection without
// terminating it (ssl_preread); a host with ssl-passthrough goes as it is to the endpoints
// of its `/` backend, every other connection to the http servers, which then listen on
// 127.0.0.1:442. Only when the controller runs with --enable-ssl-passthrough and an Ingress
// asks for it; otherwise 443 stays nginx's http listener. Known difference: behind the
// stream hop the http servers see 127.0.0.1 as the client (ingress-nginx adds the PROXY
// protocol there), so source ranges and limit-rps over https see 127.0.0.1 in this mode.
import type { RouteTable } from '../../core/ingress/route-table.js';
import { quote, upstreamName } from './nginx-syntax.js';

export const PASSTHROUGH_INTERNAL_PORT = 442;

export function passthroughStream(table: RouteTable): string {
  const upstreams: string[] = [];
  const entries: string[] = [];
  for (const s of table.servers) {
    const p = s.passthrough;
    if (!p) continue;
    const name = `passthrough-${upstreamName(p.backend.ref)}`;
    if (p.backend.upstream.kind === 'ready') {
      if (!upstreams.some((u) => u.startsWith(`    upstream ${name} {`))) {
        upstreams.push([`    upstream ${name} {`, ...p.backend.upstream.endpoints.map((e) => `        server ${e};`), '    }'].join('\n'));
      }
      entries.push(`        ${quote(s.host)} ${name};`);
    } else {
      // No endpoint: nothing to pass the connection to; it is closed.
      entries.push(`        ${quote(s.host)} 127.0.0.1:1;`);
    }
  }
  return [
    'stream {',
    '    log_format knet_passthrough \'$remote_addr [$time_local] $protocol $status $bytes_sent $bytes_received $session_time "$ssl_preread_server_name" $upstream_addr\';',
    '    access_log /dev/stdout knet_passthrough;',
    ...upstreams,
    '    map $ssl_preread_server_name $knet_passthrough_upstream {',
    '        hostnames;',
    ...entries,
    `        default 127.0.0.1:${PASSTHROUGH_INTERNAL_PORT};`,
    '    }',
    '    server {',
    '        listen 443 backlog=4096;',
    '        ssl_preread on;',
    '        proxy_pass $knet_passthrough_upstream;',
    '    }',
    '}',
  ].join('\n');
}
