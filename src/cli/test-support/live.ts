// Helpers of the live-source tests: knet's CLI run in-process until its live read settles (the
// API server under test runs in this process too), and kubeconfigs written for a test's server.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../main.js';
import type { Io } from '../output.js';
import { settled } from '../source.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** `knet ARGV` in-process; its exit code once the live read and the answer are done. */
export async function knetLive(argv: readonly string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: Io = { out: (t) => { out += line(t); }, err: (t) => { err += line(t); }, color: false };
  process.exitCode = undefined;
  const code = main([...argv], io);
  await settled();
  const final = code !== 0 ? code : Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code: final, out, err };
}

/** A kubeconfig with one context `name` for `server`, the user's fields as given. */
export function writeKubeconfig(dir: string, file: string, o: { name: string; server: string; cluster?: Record<string, unknown>; user?: Record<string, unknown>; namespace?: string }): string {
  const path = join(dir, file);
  const config = {
    apiVersion: 'v1', kind: 'Config', 'current-context': o.name,
    clusters: [{ name: o.name, cluster: { server: o.server, ...o.cluster } }],
    users: [{ name: o.name, user: { ...o.user } }],
    contexts: [{ name: o.name, context: { cluster: o.name, user: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } }],
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}
