// The live source of the Predict commands: a cluster read through its API (a kubeconfig's
// context, or a knet daemon's socket), decoded and filled in exactly as a dump of it is
// (`kubectl get -A -o yaml` given with -f): the cluster is the truth. Loaded lazily by
// source.ts, so `knet get -f` never loads it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { kubeconfigPaths } from '../api/kubeconfig-paths.js';
import { fillInPartial, type LoadedCluster } from '../cluster/fill-in.js';
import { decodeObjects } from '../model/load.js';
import { eventObjects, type EventWire } from '../model/events.js';
import { sortIssues } from '../model/issue.js';
import { kubeconfigReader, socketReader, type ApiReader } from './live-client.js';
import { isKubeconfigProblem, resolveKubeconfig, type KubeconfigText, type LiveTarget } from './live-kubeconfig.js';
import { readLive } from './live-read.js';
import { CliError } from './output.js';

export interface KubeconfigChoice {
  /** --kubeconfig: that file alone, as kubectl takes it. */
  readonly kubeconfig?: string | undefined;
  /** --context: else the files' current-context. */
  readonly context?: string | undefined;
}

/** The files kubectl would read for `choice`, with the text of those that exist. */
export function kubeconfigFiles(choice: KubeconfigChoice, env: NodeJS.ProcessEnv = process.env): { looked: string[]; files: KubeconfigText[] } {
  if (choice.kubeconfig !== undefined) {
    const path = choice.kubeconfig;
    if (!path) throw new CliError('error: --kubeconfig is empty: name a kubeconfig file');
    if (!existsSync(path) || !statSync(path).isFile()) throw new CliError(`error: --kubeconfig ${path}: no such file\n  hint: kubectl writes one at ~/.kube/config; az aks get-credentials, aws eks update-kubeconfig and gcloud container clusters get-credentials add to it`);
    return { looked: [path], files: [{ path, text: readFileSync(path, 'utf8') }] };
  }
  const looked = kubeconfigPaths({ KUBECONFIG: env['KUBECONFIG'], HOME: env['HOME'] }, homedir());
  const files = looked.filter((p) => existsSync(p) && statSync(p).isFile()).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  return { looked, files };
}

/** The kubeconfig's target, or a CliError in kubectl's manner with the fix. */
export function kubeconfigTarget(choice: KubeconfigChoice, env: NodeJS.ProcessEnv = process.env): LiveTarget {
  const { looked, files } = kubeconfigFiles(choice, env);
  const t = resolveKubeconfig(files, { context: choice.context, looked });
  if (isKubeconfigProblem(t)) throw new CliError(`error: ${t.error}\n  hint: ${t.hint}`);
  return t;
}

/** True when a kubeconfig with a context to read exists (the fallback when no knet cluster runs). */
export function hasKubeconfigContext(env: NodeJS.ProcessEnv = process.env): boolean {
  const { looked, files } = kubeconfigFiles({}, env);
  return !isKubeconfigProblem(resolveKubeconfig(files, { looked }));
}

/** Reads, decodes and fills in the cluster behind `reader`, as a dump of it would be. */
export async function loadLive(reader: ApiReader, label: string): Promise<LoadedCluster> {
  try {
    const read = await readLive(reader, label);
    // Events are kept as they are, beside the cluster (as the daemon's own list of them was).
    const events = read.objects.filter((o) => o.value['kind'] === 'Event').map((o) => o.value as unknown as EventWire);
    const decoded = decodeObjects(read.objects.filter((o) => o.value['kind'] !== 'Event'), { mode: 'partial' });
    const filled = fillInPartial(decoded.inventory);
    const cluster = { ...filled.cluster, others: [...filled.cluster.others, ...eventObjects(events)] };
    return { cluster, issues: sortIssues([...read.issues, ...decoded.issues, ...filled.issues]), refused: [...decoded.refused, ...filled.refused] };
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`error: ${(e as Error).message}`);
  } finally {
    reader.close();
  }
}

/** The cluster a kubeconfig's context names, and the context's namespace ('' when it names none). */
export async function loadKubeconfigCluster(choice: KubeconfigChoice): Promise<LoadedCluster & { readonly namespace: string }> {
  const target = kubeconfigTarget(choice);
  let reader: ApiReader;
  try {
    reader = kubeconfigReader(target);
  } catch (e) {
    throw new CliError(`error: ${(e as Error).message}`);
  }
  return { ...await loadLive(reader, target.context), namespace: target.namespace };
}

/** A running knet cluster through its daemon's socket (root), the object API kubectl reads too. */
export function loadKnetCluster(cluster: string, socketPath: string): Promise<LoadedCluster> {
  return loadLive(socketReader(socketPath, cluster), `knet-${cluster}`);
}
