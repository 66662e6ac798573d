// The command-line program's frame, shared by the full CLI (main.ts) and the fast entry
// (bin.ts): kubectl-like options, output through Io, and one way of turning errors into
// exit codes (a clear line for the user, a stack trace only with KNET_DEBUG).
import { Command, CommanderError } from 'commander';
import { CliError, type Io } from './output.js';
import { VERSION } from './version.js';

export function newProgram(io: Io): Command {
  return new Command('knet')
    .description('Kubernetes networking, implemented: predict what a cluster does, or run it for real')
    .version(VERSION, '--version')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
}

export function runProgram(program: Command, argv: readonly string[], io: Io): number {
  try {
    program.parse(argv as string[], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      if (err.message) io.err(err.message);
      return err.exitCode;
    }
    io.err(`knet: internal error: ${(err as Error).message ?? String(err)}`);
    io.err('  hint: this is a bug in knet; run with KNET_DEBUG=1 for the stack trace and report it');
    if (process.env['KNET_DEBUG']) io.err(String((err as Error).stack));
    return 70;
  }
}

/** Runs one command of knet's (the Predict bundles register only the one asked for); the exit code. */
export function runOneCommand(register: (program: Command, io: Io) => void, argv: readonly string[], io: Io): number {
  const program = newProgram(io);
  register(program, io);
  return runProgram(program, argv, io);
}

/** `knet get ... | head` closes the pipe early: stop quietly, as kubectl does. */
export function quietOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
