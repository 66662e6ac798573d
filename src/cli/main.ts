// knet's command line: kubectl's conventions over knet's two faces, predict and run.
// Each command lives in its own module and registers itself here.
import type { Command } from 'commander';
import { registerDns } from './dns.js';
import { registerGet } from './get.js';
import { registerMatrix } from './matrix.js';
import { registerResolvConf } from './resolv-conf.js';
import { registerRoute } from './route.js';
import { registerTour } from './tour.js';
import { registerUp } from './up.js';
import { registerApply } from './apply.js';
import { registerDelete } from './delete.js';
import { registerStatus } from './status.js';
import { registerDown } from './down.js';
import { registerExec } from './exec.js';
import { registerLogs } from './logs.js';
import { registerHealth } from './health.js';
import { registerWait } from './wait.js';
import { registerTrace } from './trace.js';
import { registerDiagnose } from './diagnose.js';
import { registerFlows } from './flows.js';
import { registerKubeconfig } from './kubeconfig.js';
import { processIo, type Io } from './output.js';
import { newProgram, quietOnClosedPipe, runProgram } from './program.js';

export function buildProgram(io: Io): Command {
  const program = newProgram(io);
  registerGet(program, io);
  registerDns(program, io);
  registerResolvConf(program, io);
  registerRoute(program, io);
  registerUp(program, io);
  registerApply(program, io);
  registerDelete(program, io);
  registerStatus(program, io);
  registerDown(program, io);
  registerKubeconfig(program, io);
  registerExec(program, io);
  registerLogs(program, io);
  registerHealth(program, io);
  registerWait(program, io);
  registerMatrix(program, io);
  registerTrace(program, io);
  registerDiagnose(program, io);
  registerFlows(program, io);
  registerTour(program, io, (argv) => main(argv, io));
  return program;
}

export function main(argv: readonly string[], io: Io = processIo): number {
  return runProgram(buildProgram(io), argv, io);
}

// `node dist/cli/main.js ...` runs the whole command line (`knet`, the bin, is bin.cjs, built from bin.ts).
if ((process.argv[1] ?? '').endsWith('cli/main.js')) {
  quietOnClosedPipe();
  process.exitCode = main(process.argv.slice(2));
}
