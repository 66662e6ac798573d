// After tsc has built dist/, bundles what the Predict commands need into two files with V8 code
// caches, and the knet executable into another: Node 20 loads one file much faster than the
// hundred small ES modules a command needs, and compiles nothing that the cache holds.
// Start-up is most of a small command's time (bench suite startup).
//   dist/cli/predict-get.cjs    src/cli/predict-get.ts (`knet get`) and all it imports, as CommonJS
//   dist/cli/predict.cjs        src/cli/predict.ts (the other Predict commands) and all it imports
//   dist/cli/*.cjs.cache        V8's code after running the bundle's commands on examples/opscart
//   dist/cli/bin.cjs            src/cli/bin.ts as CommonJS (the package's bin), loading one of them or main.js
// Everything else in dist/ stays as tsc wrote it: main.js (help and the run face) and every
// entry point spawned as a process of its own (daemon, runtime, solver) load from there.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const OUT = 'dist/cli';
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, sourcesContent: false, metafile: true, logLevel: 'warning' };

// Node's modules that most Predict commands never use, yet that a bundled module requires at
// load (commander's child_process, for subcommands run as programs; the daemon client's; the
// TLS trace's crypto): loading them, and the net, stream and dgram modules child_process
// loads, costs milliseconds of every command's start-up (bench suite startup). In the bundle
// each `require("node:X")` of these becomes `lazyReq("node:X")`, an object that requires the
// module when a property of it is first read, which is all a module does with them (calls
// such as `(0, import_node_crypto.createHash)(...)`, `childProcess.spawn(...)`).
const LAZY_BUILTINS = ['node:child_process', 'node:crypto'];
// As long as `require`, so that the source map's columns stay right.
const LAZY_REQUIRE = 'function lazyReq(id) { let m; return new Proxy({}, { get: (_, key) => (m ??= require(id))[key], has: (_, key) => key in (m ??= require(id)) }); }';

function requireOnFirstUse(file, ids) {
  let text = readFileSync(file, 'utf8');
  for (const id of ids) text = text.replaceAll(`require(${JSON.stringify(id)})`, `lazyReq(${JSON.stringify(id)})`);
  writeFileSync(file, text);
}

const EXAMPLE = 'examples/opscart';
// Each bundle, and what the build runs before it saves the code cache: what users run most.
// `get` has its own, smaller bundle: less code for V8 to read from the cache at start-up.
const BUNDLES = [
  {
    entry: 'src/cli/predict-get.ts',
    out: `${OUT}/predict-get.cjs`,
    // The one users run most, last: V8 may drop the bytecode of functions unused for a while.
    runs: [
      ['get', 'pods', '-A', '-o', 'yaml', '-f', EXAMPLE],
      ['get', 'all', '-A', '-o', 'wide', '-f', EXAMPLE],
      ['get', 'pods', '-A', '-f', EXAMPLE],
    ],
  },
  {
    entry: 'src/cli/predict.ts',
    out: `${OUT}/predict.cjs`,
    runs: [
      ['dns', 'kafka-0.kafka-headless.messaging.svc.cluster.local', '-f', EXAMPLE],
      ['resolv-conf', 'kafka-0', '-n', 'messaging', '-f', EXAMPLE],
      ['route', 'https://api.opscart.com/v1', '-f', EXAMPLE],
      ['trace', '--from', 'external', 'http://app.opscart.com/', '-f', EXAMPLE],
      ['diagnose', '-f', EXAMPLE],
    ],
  },
];

// A bundled module runs from dist/cli, wherever its source sits: a path it works out from
// import.meta.url would point elsewhere, and a native library has no business in Predict.
const problems = new Set();
for (const bundle of BUNDLES) {
  rmSync(`${bundle.out}.cache`, { force: true });
  const { metafile } = await build({
    ...common,
    entryPoints: [bundle.entry],
    outfile: bundle.out,
    format: 'cjs',
    // The bundle's own URL, where its modules ask for theirs (createRequire(import.meta.url)).
    define: { 'import.meta.url': 'knetBundleUrl' },
    banner: { js: `var knetBundleUrl = require("node:url").pathToFileURL(__filename).href;${LAZY_REQUIRE}` },
  });
  requireOnFirstUse(bundle.out, LAZY_BUILTINS);
  for (const input of Object.keys(metafile.inputs)) {
    if (!input.startsWith('src/')) continue;
    const text = readFileSync(input, 'utf8');
    const urls = text.replace(/createRequire\(import\.meta\.url\)/g, '').includes('import.meta.url');
    if (urls && !input.startsWith('src/cli/')) problems.add(`${input} resolves a path from import.meta.url, which is wrong once bundled into ${OUT}`);
    if (/['"]koffi['"]/.test(text)) problems.add(`${input} loads koffi (native calls), which no Predict command needs`);
  }
}
if (problems.size > 0) {
  process.stderr.write(`bundle-bin: a Predict command's imports reach modules that cannot be bundled:\n${[...problems].map((p) => `  ${p}`).join('\n')}\n` +
    '  hint: import them lazily (await import) from a module only the run face loads, or run that command through main.js (src/cli/predict-names.ts)\n');
  process.exit(1);
}

// The executable as CommonJS: Node starts it without its ES module loader. Its bundle-loader
// is inlined (loaded lazily, for Predict commands only).
const BIN = `${OUT}/bin.cjs`;
await build({
  ...common,
  entryPoints: ['src/cli/bin.ts'],
  outfile: BIN,
  format: 'cjs',
  define: { 'import.meta.url': 'knetBinUrl' },
  banner: { js: 'var knetBinUrl = require("node:url").pathToFileURL(__filename).href;' },
  // Loaded from tsc's tree when asked for, as ES modules: the whole command line, and Predict
  // without a bundle.
  external: ['./main.js', './program.js', './predict.js'],
});
chmodSync(BIN, 0o755);

// The code cache holds what V8 compiled while running the bundle's commands.
const { loadBundle } = await import(pathToFileURL(resolve(OUT, 'bundle-loader.js')).href);
const quiet = { out: () => {}, err: () => {}, color: false };
const kib = (file) => `${(readFileSync(file).length / 1024).toFixed(0)} KiB`;
const made = [];
for (const bundle of BUNDLES) {
  const face = loadBundle(resolve(bundle.out));
  if (existsSync(EXAMPLE)) for (const argv of bundle.runs) face.exports.runPredict(argv[0], argv, quiet);
  face.saveCodeCache();
  made.push(`${bundle.out} ${kib(bundle.out)} (code cache ${kib(`${bundle.out}.cache`)})`);
}
process.stdout.write(`bundle-bin: ${made.join(', ')}, ${BIN} ${kib(BIN)}\n`);
