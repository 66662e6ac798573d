// A command-line tool (kubectl, helm) run for a test, asynchronously: the API server under test
// runs in the test's own process, so a blocking spawn would starve it.
import { spawn } from 'node:child_process';

export interface ToolRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export function runTool(path: string, args: readonly string[], env: NodeJS.ProcessEnv, stdin = '', timeout = 30_000): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn(path, args, { env, timeout });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    child.stdin.end(stdin);
  });
}
