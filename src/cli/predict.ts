// The Predict face's command line on its own: one command registered, not all of them. The
// build bundles this module and everything it imports into dist/cli/predict.cjs, which bin.ts
// loads with V8's code cache (bundle-loader.ts); main.ts stays the whole command line. `get`,
// the most used, has a smaller bundle of its own (predict-get.ts).
import type { Command } from 'commander';
import { registerDiagnose } from './diagnose.js';
import { registerDns } from './dns.js';
import { registerGet } from './get.js';
import { processIo, type Io } from './output.js';
import type { PredictName } from './predict-names.js';
import { runOneCommand } from './program.js';
import { registerResolvConf } from './resolv-conf.js';
import { registerRoute } from './route.js';
import { registerTrace } from './trace.js';

const REGISTER: Record<PredictName, (program: Command, io: Io) => void> = {
  get: registerGet,
  dns: registerDns,
  'resolv-conf': registerResolvConf,
  route: registerRoute,
  trace: registerTrace,
  diagnose: registerDiagnose,
};

/** Runs `knet NAME ...` (argv[0] is NAME) with only that command registered; the exit code. */
export function runPredict(name: PredictName, argv: readonly string[], io: Io = processIo): number {
  return runOneCommand(REGISTER[name], argv, io);
}
