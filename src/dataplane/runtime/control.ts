// Client side of the runtime's control socket (<logDir>/../runtime-<node>.sock): one JSON
// request per line, one JSON answer per line.
import net from 'node:net';
import type { RuntimeStatus } from './runtime.js';

export type ControlRequest =
  | { readonly op: 'status' }
  | { readonly op: 'set-healthy'; readonly pod: string; readonly healthy: boolean }
  | { readonly op: 'reload' }
  | { readonly op: 'watch' };

export interface ControlAnswer {
  readonly ok: boolean;
  readonly error?: string;
  readonly status?: RuntimeStatus;
  readonly ready?: boolean;
  readonly generation?: number;
  readonly failed?: unknown[];
}

export function controlRequest(socketPath: string, request: ControlRequest, timeoutMs = 10_000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`runtime control ${socketPath}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    conn.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      conn.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as ControlAnswer);
      } catch (e) {
        reject(e);
      }
    });
    conn.write(`${JSON.stringify(request)}\n`);
  });
}
