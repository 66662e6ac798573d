// `knet delete`: removes objects from the running cluster, by manifests (-f) or by
// TYPE NAME / TYPE/NAME as kubectl takes them; a Namespace takes its objects along. Pods
// of removed workloads stop and their namespaces are deleted before this returns.
import type { Command } from 'commander';
import { request } from '../daemon/client.js';
import { idOf, isClusterScoped, type ObjectId } from '../daemon/state.js';
import type { Issue } from '../model/issue.js';
import { readSources } from '../model/source.js';
import { kindName, reportReconcile } from './apply.js';
import { CliError, reportIssues, type Io } from './output.js';
import { groupResource, resourceByKind, resourceByName, RESOURCE_TYPES } from '../api/registry.js';
import { collect, daemonAction, pickCluster, requireRoot, requireStillRunning, withCluster, withClusterLock } from './source.js';

export function registerDelete(program: Command, io: Io): void {
  withCluster(program
    .command('delete')
    .description('delete objects from the running cluster: -f FILE, or TYPE NAME..., or TYPE/NAME ...')
    .argument('[resources...]', 'TYPE NAME... or TYPE/NAME ... (e.g. deploy web, svc/web)')
    .option('-f, --filename <path>', 'the objects in these manifests; repeatable', collect, [])
    .option('-n, --namespace <ns>', 'the namespace of named objects', ''))
    .action(daemonAction(io, async (args: string[], o: { filename: string[]; namespace: string; name?: string }) => {
      requireRoot('delete');
      const ids = o.filename.length > 0 ? idsFromFiles(io, o.filename) : idsFromArgs(args, o.namespace || 'default');
      if (ids.length === 0) throw new CliError('error: you must specify what to delete: -f FILE, TYPE NAME, or TYPE/NAME');
      const cluster = pickCluster(o.name);
      return withClusterLock(io, cluster, 'knet delete', async (waitedFor) => {
        requireStillRunning(cluster, waitedFor);
        return runDelete(io, cluster, ids);
      });
    }));
}

function idsFromFiles(io: Io, files: readonly string[]): ObjectId[] {
  const read = readSources(files);
  reportIssues(io, read.issues);
  return read.objects.map((r) => idOf(r.value));
}

function idsFromArgs(args: readonly string[], namespace: string): ObjectId[] {
  const kindOf = (type: string): string => {
    const r = resourceByName(type);
    if (!r) throw new CliError(`error: the server doesn't have a resource type "${type}"\nknown types: ${RESOURCE_TYPES.map((x) => x.plural).join(', ')}`);
    return r.kind;
  };
  const id = (kind: string, name: string): ObjectId => ({ kind, namespace: isClusterScoped(kind) ? '' : namespace, name });
  if (args.some((a) => a.includes('/'))) {
    return args.map((a) => {
      const [type, name] = a.split('/', 2);
      if (!type || !name) throw new CliError('error: arguments in resource/name form must have a single resource and name');
      return id(kindOf(type), name);
    });
  }
  if (args.length === 1) throw new CliError(`error: resource(s) were provided, but no name was specified`);
  if (args.length === 0) return [];
  const kinds = args[0]!.split(',').map(kindOf);
  return kinds.flatMap((k) => args.slice(1).map((n) => id(k, n)));
}

interface DeleteBody {
  readonly results: readonly { id: ObjectId; apiVersion: string; action: string }[];
  readonly notFound: readonly ObjectId[];
  readonly owned: readonly (ObjectId & { message: string })[];
  readonly issues: readonly Issue[];
  readonly reconcile: Parameters<typeof reportReconcile>[1];
  readonly message?: string;
}

export async function runDelete(io: Io, cluster: string, ids: readonly ObjectId[]): Promise<number> {
  const res = await request<DeleteBody>(cluster, 'POST', '/apis/knet.dev/v1alpha1/delete', { objects: ids });
  if (res.status !== 200 && res.status !== 422) throw new CliError(`error: cluster ${cluster}: ${res.body.message ?? `HTTP ${res.status}`}`);
  reportIssues(io, res.body.issues);
  for (const r of res.body.results) io.out(`${kindName(r.id.kind, r.apiVersion)} "${r.id.name}" deleted`);
  const owned = new Map(res.body.owned.map((o) => [`${o.kind}|${o.namespace}|${o.name}`, o.message]));
  for (const id of res.body.notFound) {
    const r = resourceByKind(id.kind);
    const what = r ? groupResource(r) : `${id.kind.toLowerCase()}s`;
    const why = owned.get(`${id.kind}|${id.namespace}|${id.name}`);
    io.err(why ? `Error from server (Conflict): ${why}` : `Error from server (NotFound): ${what} "${id.name}" not found`);
  }
  reportReconcile(io, res.body.reconcile);
  return res.body.notFound.length > 0 ? 1 : 0;
}
