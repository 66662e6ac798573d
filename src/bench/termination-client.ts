// A bounded load client for the termination bench and test: opens a new TCP connection at a
// steady rate (one HTTP/1.1 GET with `Connection: close` each) for a bounded time, and prints
// one JSON line: how many were sent, answered 2xx, and lost by kind (refused, reset, timeout,
// other errors, non-2xx), with when each loss happened and which pods answered. Run inside
// a namespace of the cluster: `ip netns exec knet-<c>-node-1 node dist/bench/termination-client.js
// http://10.96.0.20/hostname 350 8`.
import net from 'node:net';

export interface LoadReport {
  readonly sent: number;
  readonly ok: number;
  readonly lost: { readonly refused: number; readonly reset: number; readonly timeout: number; readonly error: number; readonly non2xx: number };
  /** ms from the start at which each lost request was sent. */
  readonly lostAt: readonly number[];
  /** Answers per body (the pod's hostname for `/hostname`). */
  readonly answers: Readonly<Record<string, number>>;
  readonly ms: number;
}

const TIMEOUT_MS = 2_000;
const MAX_IN_FLIGHT = 2_000;

function one(host: string, port: number, path: string): Promise<{ kind: 'ok'; body: string } | { kind: keyof LoadReport['lost'] }> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let data = '';
    let settled = false;
    const done = (r: { kind: 'ok'; body: string } | { kind: keyof LoadReport['lost'] }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ kind: 'timeout' }), TIMEOUT_MS);
    sock.setEncoding('latin1');
    sock.on('connect', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    sock.on('data', (d: string) => {
      data += d;
    });
    sock.on('end', () => {
      const m = /^HTTP\/1\.\d (\d{3})/.exec(data);
      if (!m) return done({ kind: data === '' ? 'reset' : 'error' });
      const status = Number(m[1]);
      done(status >= 200 && status < 300 ? { kind: 'ok', body: bodyOf(data) } : { kind: 'non2xx' });
    });
    sock.on('error', (e: NodeJS.ErrnoException) => done({ kind: e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : e.code === 'ETIMEDOUT' ? 'timeout' : 'error' }));
  });
}

/** The body of an HTTP/1.1 answer, chunked or not. */
function bodyOf(answer: string): string {
  const at = answer.indexOf('\r\n\r\n');
  let body = answer.slice(at + 4);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(answer.slice(0, at))) {
    let out = '';
    for (;;) {
      const eol = body.indexOf('\r\n');
      const size = parseInt(body.slice(0, eol), 16);
      if (!(size > 0)) break;
      out += body.slice(eol + 2, eol + 2 + size);
      body = body.slice(eol + 2 + size + 2);
    }
    return out.trim();
  }
  return body.trim();
}

export async function runLoad(url: string, rate: number, seconds: number): Promise<LoadReport> {
  const u = new URL(url);
  const host = u.hostname;
  const port = Number(u.port || 80);
  const path = `${u.pathname}${u.search}`;
  const total = Math.round(rate * seconds);
  const lost = { refused: 0, reset: 0, timeout: 0, error: 0, non2xx: 0 };
  const lostAt: number[] = [];
  const answers: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let inFlight = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      while (sent < due && inFlight < MAX_IN_FLIGHT) {
        const at = performance.now() - start;
        sent++;
        inFlight++;
        pending.push(one(host, port, path).then((r) => {
          inFlight--;
          if (r.kind === 'ok') {
            ok++;
            answers[r.body] = (answers[r.body] ?? 0) + 1;
          } else {
            lost[r.kind]++;
            lostAt.push(Math.round(at));
          }
        }));
      }
      if (sent >= total || performance.now() - start > seconds * 1000 + 1000) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await Promise.all(pending);
  return { sent, ok, lost, lostAt: lostAt.sort((a, b) => a - b), answers, ms: Math.round(performance.now() - start) };
}

const [url, rate, seconds] = process.argv.slice(2);
if (process.argv[1]?.endsWith('termination-client.js')) {
  if (!url || !(Number(rate) > 0 && Number(rate) <= 2000) || !(Number(seconds) > 0 && Number(seconds) <= 120)) {
    process.stderr.write('usage: node dist/bench/termination-client.js URL RATE(1..2000/s) SECONDS(1..120)\n');
    process.exitCode = 2;
  } else {
    void runLoad(url, Number(rate), Number(seconds)).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
  }
}
