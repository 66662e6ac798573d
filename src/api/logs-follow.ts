// Follows a growing file (a container's log) from an offset: each new chunk as it is written,
// woken by fs.watch and by a short poll (a file that does not exist yet, or is replaced). A
// file that shrinks (truncated) is followed again from its start, as `tail -F` does.
import { closeSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';

const POLL_MS = 200;

/** Calls `onData` with what is appended to `path` from `offset` on; returns the stop function. */
export function followFile(path: string, offset: number, onData: (chunk: Buffer) => void): () => void {
  let at = offset;
  let stopped = false;
  let watcher: FSWatcher | null = null;
  const buf = Buffer.allocUnsafe(64 * 1024);
  const check = (): void => {
    if (stopped) return;
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return; // not written yet
    }
    if (size < at) at = 0;
    if (size === at) return;
    watcher ??= watchQuietly(path, check);
    const fd = openSync(path, 'r');
    try {
      while (!stopped && at < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - at), at);
        if (n <= 0) break;
        at += n;
        onData(Buffer.from(buf.subarray(0, n)));
      }
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(check, POLL_MS);
  timer.unref();
  queueMicrotask(check);
  return () => {
    stopped = true;
    clearInterval(timer);
    watcher?.close();
  };
}

function watchQuietly(path: string, onChange: () => void): FSWatcher | null {
  try {
    const w = watch(path, { persistent: false }, onChange);
    w.on('error', () => w.close()); // the file went away: the poll keeps looking for it
    return w;
  } catch {
    return null;
  }
}
