// A pseudo-terminal for `kubectl exec -it`, from libc through koffi (already knet's FFI for
// setns): posix_openpt/grantpt/unlockpt/ptsname_r make the pair, TIOCSWINSZ sets its size
// (the kernel sends the program SIGWINCH). The program gets the slave as stdin, stdout and
// stderr and as its controlling terminal through util-linux `setsid --ctty`; the daemon
// reads and writes the master. Why not node-pty: it is a native addon built at install
// time (a compiler in CI), and koffi already ships prebuilt for every platform knet runs on.
import { closeSync, openSync, constants as fsc } from 'node:fs';
import { createRequire } from 'node:module';
import tty from 'node:tty';
import type { TerminalSize } from './exec-channels.js';

type CFunction = (...args: unknown[]) => number;
interface PtyLibc {
  readonly posix_openpt: CFunction;
  readonly grantpt: CFunction;
  readonly unlockpt: CFunction;
  readonly ptsname_r: CFunction;
  readonly ioctl: CFunction;
  readonly close: CFunction;
}

const O_NOCTTY = 0o400;
const TIOCSWINSZ = 0x5414;
let libcCache: PtyLibc | null = null;

function libc(): PtyLibc {
  if (libcCache) return libcCache;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  libcCache = {
    posix_openpt: lib.func('int posix_openpt(int flags)') as CFunction,
    grantpt: lib.func('int grantpt(int fd)') as CFunction,
    unlockpt: lib.func('int unlockpt(int fd)') as CFunction,
    ptsname_r: lib.func('int ptsname_r(int fd, _Out_ uint8_t *buf, size_t len)') as CFunction,
    ioctl: lib.func('int ioctl(int fd, unsigned long request, const uint16_t *winsize)') as CFunction,
    close: lib.func('int close(int fd)') as CFunction,
  };
  return libcCache;
}

export interface Pty {
  /** The master, as a stream: what the program writes comes out, what is written goes in. */
  readonly master: tty.ReadStream;
  /** The slave's fd, for the child's stdio; close it in the daemon once the child has it. */
  readonly slave: number;
  resize(size: TerminalSize): void;
}

/** A new pseudo-terminal pair, `size` already set. */
export function openPty(size: TerminalSize | null): Pty {
  const c = libc();
  const fd = c.posix_openpt(fsc.O_RDWR | O_NOCTTY);
  if (fd < 0) throw new Error('posix_openpt failed: no pseudo-terminal available');
  const name = Buffer.alloc(128);
  if (c.grantpt(fd) !== 0 || c.unlockpt(fd) !== 0 || c.ptsname_r(fd, name, name.length) !== 0) {
    c.close(fd);
    throw new Error('cannot prepare the pseudo-terminal (grantpt/unlockpt/ptsname_r)');
  }
  const path = name.subarray(0, name.indexOf(0)).toString();
  const slave = openSync(path, fsc.O_RDWR | O_NOCTTY);
  const resize = (s: TerminalSize): void => {
    c.ioctl(fd, TIOCSWINSZ, new Uint16Array([s.height, s.width, 0, 0]));
  };
  if (size) resize(size);
  return { master: new tty.ReadStream(fd), slave, resize };
}

/** The argv that runs `argv` with its stdin (the slave) as its controlling terminal, in a session of its own. */
export function withControllingTerminal(argv: readonly string[]): string[] {
  return ['setsid', '--ctty', ...argv];
}

export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: closing twice is the same as once here
  }
}
