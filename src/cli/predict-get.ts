// `knet get` on its own, for its own bundle (dist/cli/predict-get.cjs): it loads, decodes and
// fills in the input and prints tables, without the trace, route, DNS and diagnose code of
// predict.cjs, so V8 has less to read from the code cache at start-up (bench suite startup).
import { registerGet } from './get.js';
import { processIo, type Io } from './output.js';
import { runOneCommand } from './program.js';

/** Runs `knet get ...` (argv[0] is get); the exit code. The name is predict.ts's, for bin.ts. */
export function runPredict(name: 'get', argv: readonly string[], io: Io = processIo): number {
  return runOneCommand(registerGet, argv, io);
}
