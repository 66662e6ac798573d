// knet's acmesolver: what cert-manager's acmesolver pod runs. Serves the key authorization
// at /.well-known/acme-challenge/<token> for the domain (Host header, port ignored), 404
// for anything else. Flags as cert-manager passes them: --listen-port --domain --token --key.
import http from 'node:http';

function flag(name: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : '';
}

const port = Number(flag('listen-port') || 8089);
const domain = flag('domain').toLowerCase();
const token = flag('token');
const key = flag('key');
if (!token || !key) {
  process.stderr.write('acmesolver: --token and --key are required\n');
  process.exit(2);
}

const server = http.createServer((req, res) => {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const path = (req.url ?? '').split('?')[0];
  const ok = path === `/.well-known/acme-challenge/${token}` && (domain === '' || host === domain);
  process.stdout.write(`${new Date().toISOString()} ${req.method} ${host}${req.url} -> ${ok ? 200 : 404}\n`);
  if (!ok) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' }).end(key);
});
server.listen(port, () => process.stdout.write(`acmesolver: listening on :${port} for ${domain || 'any host'}, token ${token}\n`));
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.close(() => process.exit(0)));
