#!/usr/bin/env node
// The knet executable. Start-up is most of a small command's time, so this file loads as
// little as it can: `--version` loads nothing, a Predict command loads its Predict bundle
// (predict-get.ts for get, predict.ts for the others, each bundled with its code cache by
// scripts/bundle-bin.mjs), and everything else (help, the run face) loads the whole
// command line (main.ts). The build bundles this file
// as CommonJS (dist/cli/bin.cjs, the package's bin): Node starts a CommonJS file without its
// ES module loader, which costs a bare `node` about 10 ms (bench suite startup).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { bundleOf, isPredictName, type PredictName } from './predict-names.js';
import type { runPredict } from './predict.js';
import { VERSION } from './version.js';
import { writeFd } from './write-fd.js';

const argv = process.argv.slice(2);
const name = argv[0];
if (argv.length === 1 && name === '--version') {
  writeFd(1, `${VERSION}\n`);
} else if (isPredictName(name) && !argv.includes('--help') && !argv.includes('-h')) {
  void predictFace(name).then((run) => {
    process.exitCode = run(name, argv);
  });
} else {
  void Promise.all([import('./main.js'), import('./program.js')]).then(([{ main }, { quietOnClosedPipe }]) => {
    quietOnClosedPipe();
    process.exitCode = main(argv);
  });
}

async function predictFace(name: PredictName): Promise<typeof runPredict> {
  const bundle = fileURLToPath(new URL(`./${bundleOf(name)}`, import.meta.url));
  // Only tsc has run (no bundle): the same module from tsc's tree.
  if (!existsSync(bundle)) return (await import('./predict.js')).runPredict;
  type Face = { runPredict: typeof runPredict };
  if (process.env['KNET_DEBUG']) {
    // A stack is wanted: Node's own loader, which reads the bundle's source map; no code cache.
    process.setSourceMapsEnabled(true);
    return (createRequire(import.meta.url)(bundle) as Face).runPredict;
  }
  // Bundled into bin.cjs, and loaded only here: --version and the whole command line do without node:vm.
  const { loadBundle } = await import('./bundle-loader.js');
  return (loadBundle(bundle).exports as Face).runPredict;
}
