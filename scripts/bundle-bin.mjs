// Bundles the knet executable (src/cli/bin.ts) and the Predict commands it loads into a few
// files in dist/cli, after tsc has built the whole tree: Node 20 loads one file much faster than
// the hundred small ES modules a command needs, and start-up is most of a small command's time.
// The rest of dist/ stays as tsc wrote it: main.js (help and the run face) and every entry
// point spawned as a process of its own (daemon, runtime, solver) load from there.
import { chmodSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const OUT = 'dist/cli';
// The chunks a bundle of an earlier build left: their names change with their content.
for (const f of readdirSync(OUT)) if (/^(bin|chunk)-[A-Z0-9]{8}\.js(\.map)?$/.test(f)) rmSync(join(OUT, f));

const result = await build({
  entryPoints: ['src/cli/bin.ts'],
  outdir: OUT,
  bundle: true,
  splitting: true, // each Predict command is a chunk of its own, loaded only when asked for
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The whole command line is loaded from tsc's tree, not bundled: its run face spawns and
  // finds files relative to where tsc put its modules.
  external: ['./main.js'],
  // Bundled CommonJS packages (commander) call require() for Node's built-ins.
  banner: { js: "import { createRequire as knetCreateRequire } from 'node:module'; const require = knetCreateRequire(import.meta.url);" },
  sourcemap: true, // used for stack traces under KNET_DEBUG (bin.ts)
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
});

// A bundled module runs from dist/cli, wherever its source sits: a path it works out from
// import.meta.url would point elsewhere, and a native library has no business in Predict.
const problems = [];
for (const input of Object.keys(result.metafile.inputs)) {
  if (!input.startsWith('src/')) continue;
  const text = readFileSync(input, 'utf8');
  const urls = text.replace(/createRequire\(import\.meta\.url\)/g, '').includes('import.meta.url');
  if (urls && !input.startsWith('src/cli/')) problems.push(`${input} resolves a path from import.meta.url, which is wrong once bundled into ${OUT}`);
  if (/['"]koffi['"]/.test(text)) problems.push(`${input} loads koffi (native calls), which no Predict command needs`);
}
if (problems.length > 0) {
  process.stderr.write(`bundle-bin: a Predict command's imports reach modules that cannot be bundled:\n${problems.map((p) => `  ${p}`).join('\n')}\n` +
    '  hint: import them lazily (await import) from a module that only the run face loads, or load that command through main.js\n');
  process.exit(1);
}
chmodSync(join(OUT, 'bin.js'), 0o755);
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const kib = outputs.reduce((sum, [, o]) => sum + o.bytes, 0) / 1024;
process.stdout.write(`bundle-bin: bin.js and ${outputs.length - 1} chunks in ${OUT}, ${kib.toFixed(0)} KiB\n`);
