// Runs knet's CLI in-process, as the tests of the commands do: argv in, exit code and the
// text written to stdout and stderr out.
import { main } from '../main.js';
import type { Io } from '../output.js';

export function runCli(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: Io = { out: (t) => { out += line(t); }, err: (t) => { err += line(t); }, color: false };
  const code = main(argv, io);
  return { code, out, err };
}
