// Writing to standard output and error without Node's streams where they are not needed.
// On a pipe, a socket or a file (POSIX), text is written straight to the descriptor: making
// process.stdout for a pipe loads Node's net and stream modules, milliseconds of a small
// command's start-up (bench suite startup). A terminal, Windows, and a descriptor that would
// block (O_NONBLOCK, set by whoever shares it) go through Node's stream, which waits.
import { fstatSync, writeSync } from 'node:fs';

/** Per descriptor: written to directly (true), through Node's stream (false), not yet known. */
const direct: Record<1 | 2, boolean | undefined> = { 1: undefined, 2: undefined };

function writesDirectly(fd: 1 | 2): boolean {
  if (direct[fd] === undefined) {
    let plain = false;
    try {
      const st = fstatSync(fd);
      plain = st.isFIFO() || st.isSocket() || st.isFile();
    } catch {
      // closed or odd: the stream decides
    }
    direct[fd] = process.platform !== 'win32' && plain;
  }
  return direct[fd]!;
}

/** Writes all of `text` to standard output (1) or error (2). */
export function writeFd(fd: 1 | 2, text: string): void {
  let bytes = Buffer.from(text);
  if (writesDirectly(fd)) {
    try {
      while (bytes.length > 0) bytes = bytes.subarray(writeSync(fd, bytes));
      return;
    } catch (err) {
      // `knet get ... | head` closed the pipe: stop quietly, as kubectl does (quietOnClosedPipe).
      if (fd === 1 && (err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
      direct[fd] = false; // EAGAIN and the like: the rest, and all after it, through the stream
    }
  }
  (fd === 1 ? stdoutStream() : process.stderr).write(bytes);
}

let stdoutQuiet = false;
/** process.stdout, quiet when the pipe closes early (as program.ts's quietOnClosedPipe). */
function stdoutStream(): NodeJS.WriteStream {
  if (!stdoutQuiet) {
    stdoutQuiet = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  return process.stdout;
}

/** Whether standard output is a terminal (only then does knet colour its output). */
export function stdoutIsTerminal(): boolean {
  return !writesDirectly(1) && Boolean(process.stdout.isTTY);
}
