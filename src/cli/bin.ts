#!/usr/bin/env node
// The knet executable. Start-up is most of a small command's time, so this file loads as
// little as it can: `--version` loads nothing, a Predict command loads only its own module,
// and everything else (help, the run face) loads the whole command line (main.ts).
// The build bundles this file and the Predict commands into a few files (scripts/bundle-bin.mjs).
import type { Command } from 'commander';
import type { Io } from './output.js';
import { VERSION } from './version.js';

type Register = (program: Command, io: Io) => void;

const PREDICT: Record<string, () => Promise<Register>> = {
  get: async () => (await import('./get.js')).registerGet,
  dns: async () => (await import('./dns.js')).registerDns,
  'resolv-conf': async () => (await import('./resolv-conf.js')).registerResolvConf,
  route: async () => (await import('./route.js')).registerRoute,
  trace: async () => (await import('./trace.js')).registerTrace,
  diagnose: async () => (await import('./diagnose.js')).registerDiagnose,
};

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  process.stdout.write(`${VERSION}\n`);
} else {
  // The bundle's source maps cost a parse at every load: read them only when a stack is wanted.
  if (process.env['KNET_DEBUG']) process.setSourceMapsEnabled(true);
  const predict = argv.includes('--help') || argv.includes('-h') ? undefined : PREDICT[argv[0] ?? ''];
  // The frame and the command load together: one round of module loading, not two.
  const [{ processIo }, { newProgram, quietOnClosedPipe, runProgram }, register] = await Promise.all([
    import('./output.js'), import('./program.js'), predict?.(),
  ]);
  quietOnClosedPipe();
  if (register) {
    const program = newProgram(processIo);
    register(program, processIo);
    process.exitCode = runProgram(program, argv, processIo);
  } else {
    const { main } = await import('./main.js');
    process.exitCode = main(argv, processIo);
  }
}
