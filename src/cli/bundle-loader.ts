// Loads a CommonJS bundle the build made (dist/cli/predict.cjs) with the V8 code cache the
// build saved beside it (predict.cjs.cache): a small command then starts with its functions
// already compiled. Node 20 has no compile cache of its own (module.enableCompileCache is
// Node 22+). A cache made from other source, or by another V8, is ignored, never trusted.
import { isAscii } from 'node:buffer';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { constants, Script } from 'node:vm';

export interface LoadedBundle {
  readonly exports: Record<string, unknown>;
  /** Whether the code cache was used (false: none, made from other source, or V8 refused it). */
  readonly cached: boolean;
  /** Saves the code cache of everything the bundle has compiled so far (the build calls it). */
  readonly saveCodeCache: () => void;
}

// V8 checks a cache against the source's length only, so the cache file holds the source it
// was made from: [source length, 4 bytes LE][source][V8's data]. Comparing bytes costs well
// under a millisecond; hashing them would load node:crypto (milliseconds, bench suite startup).
const LENGTH_BYTES = 4;

export function codeCachePath(bundle: string): string {
  return `${bundle}.cache`;
}

export function loadBundle(file: string): LoadedBundle {
  const bytes = readFileSync(file);
  const cache = readCodeCache(codeCachePath(file), bytes);
  // CommonJS's own wrapper, on the first line so that line numbers stay the file's.
  const source = `(function (exports, require, module, __filename, __dirname) { ${bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8')}\n})`;
  const script = new Script(source, {
    filename: file,
    ...(cache ? { cachedData: cache } : {}),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    cached: cache !== undefined && !script.cachedDataRejected,
    saveCodeCache: () => {
      const target = codeCachePath(file);
      const length = Buffer.alloc(LENGTH_BYTES);
      length.writeUInt32LE(bytes.length);
      writeFileSync(`${target}.tmp`, Buffer.concat([length, bytes, script.createCachedData()]));
      renameSync(`${target}.tmp`, target);
    },
  };
}

/** V8's data from the cache file, if that file was made from exactly `source`. */
function readCodeCache(path: string, source: Buffer): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined; // no cache (a build without one, or a copy without it): compile from source
  }
  const end = LENGTH_BYTES + source.length;
  if (bytes.length <= end || bytes.readUInt32LE(0) !== source.length) return undefined;
  return bytes.subarray(LENGTH_BYTES, end).equals(source) ? bytes.subarray(end) : undefined;
}
