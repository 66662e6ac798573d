// What the port-forward test and benchmark share on a running cluster: a bulk HTTP server in a
// pod's network namespace (a host `node` under `ip netns exec`, bounded: it serves a fixed
// body and is killed by its owner), and stock `kubectl port-forward` started in the
// background with the local port read from its "Forwarding from 127.0.0.1:N" line.
import { spawn, type ChildProcess } from 'node:child_process';

// The server: GET any path answers `bytes` bytes; one stdout line per connection opened and
// closed, so a test can see the pod side of a forwarded connection end.
const BULK_SERVER = `
const http = require('http');
const [port, size] = process.argv.slice(1).map(Number);
const chunk = Buffer.alloc(256 * 1024, 120);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Length': size });
  let left = size;
  const more = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return res.once('drain', more);
    }
    res.end();
  };
  more();
});
server.on('connection', (s) => { console.log('open'); s.on('close', () => console.log('close')); });
server.listen(port, () => console.log('listening'));
`;

export interface BulkServer {
  readonly lines: string[];
  stop(): void;
}

/** Starts the bulk server on `port` inside `netns`; resolves once it listens. */
export function startBulkServer(netns: string, port: number, bytes: number): Promise<BulkServer> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', BULK_SERVER, String(port), String(bytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => { err += String(c); });
    child.stdout.on('data', (c: Buffer) => {
      lines.push(...String(c).split('\n').filter(Boolean));
      if (lines.includes('listening')) resolve({ lines, stop: () => child.kill('SIGKILL') });
    });
    child.once('exit', (code) => reject(new Error(`bulk server in ${netns} exited ${code}: ${err.trim()}`)));
  });
}

export interface PortForward {
  readonly child: ChildProcess;
  readonly localPort: number;
  /** kubectl's stdout and stderr so far. */
  readonly out: () => string;
  readonly err: () => string;
  /** Resolves with kubectl's exit code. */
  readonly exited: Promise<number>;
  stop(): void;
}

/** `kubectl port-forward ARGS` until it prints where it listens. */
export function startPortForward(kubectl: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<PortForward> {
  const child = spawn(kubectl, ['port-forward', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kubectl port-forward ${args.join(' ')} did not start: ${err}`));
    }, 20_000);
    child.stderr.on('data', (c: Buffer) => { err += String(c); });
    child.stdout.on('data', (c: Buffer) => {
      out += String(c);
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, localPort: Number(m[1]), out: () => out, err: () => err, exited, stop: () => child.kill('SIGTERM') });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

/** `curl` the URL to /dev/null from the host or inside `netns`; resolves bytes per second. */
export function curlSpeed(url: string, netns?: string): Promise<number> {
  const argv = ['curl', '-sS', '--fail', '-o', '/dev/null', '-w', '%{speed_download} %{size_download}', url];
  const [cmd, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += String(c); });
    child.stderr.on('data', (c: Buffer) => { err += String(c); });
    child.once('exit', (code) => (code === 0 ? resolve(Number(out.split(' ')[0])) : reject(new Error(`curl ${url} exited ${code}: ${err}`))));
  });
}
