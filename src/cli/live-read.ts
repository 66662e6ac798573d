// Reads a live cluster's objects through its API, as `kubectl get -A -o yaml` lists them: the
// kinds knet models (the resource registry's `modelled`), knet's Cluster object and the Events,
// each listed across all namespaces in pages (limit/continue), a few lists at a time. What the
// server does not serve (no cert-manager CRDs) is skipped with a note; what it forbids (403) is
// noted as unknown; nothing here throws on a cluster's answer, only on an unreachable server.
import { RESOURCE_TYPES, type ResourceType } from '../api/registry.js';
import type { Issue } from '../model/issue.js';
import type { FieldPath, RawObject } from '../model/source.js';
import type { ApiAnswer, ApiReader } from './live-client.js';

/** Objects per page: kubectl's own chunk size for `get` (--chunk-size). */
export const PAGE_SIZE = 500;
/** Lists in flight at once. */
const PARALLEL = 6;

/**
 * What the live source lists: the modelled kinds, knet's Cluster (the config), and Events; the
 * Events only from a knet cluster (one that serves knet.dev), whose controllers record what the
 * running face reads from them (an Ingress nginx refuses). `kubectl get -A -o yaml` of a real
 * cluster's kinds holds none either.
 */
export function kindsToRead(): ResourceType[] {
  const registry = RESOURCE_TYPES.filter((r) => r.modelled || (r.group === 'knet.dev' && r.kind === 'Cluster') || (r.group === '' && r.kind === 'Event'));
  return [...registry, ...READ_ALSO];
}

/**
 * Kinds outside the registry that the fill-in reads when a dump holds them: Calico's IPPools
 * say the pod subnet (cluster/infer-config.ts). Kept as written, as -f keeps them.
 */
export const READ_ALSO: readonly ResourceType[] = [{
  group: 'crd.projectcalico.org', version: 'v1', kind: 'IPPool', plural: 'ippools', singular: 'ippool', shortNames: [],
  namespaced: false, verbs: ['get', 'list'], categories: [], subresources: [], modelled: false, crd: true, list: () => [],
}];

const groupVersion = (r: ResourceType): string => (r.group ? `${r.group}/${r.version}` : r.version);
const discoveryPath = (gv: string): string => (gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`);
export const listPath = (r: ResourceType): string => `${discoveryPath(groupVersion(r))}/${r.plural}`;

export interface LiveRead {
  readonly objects: RawObject[];
  /** Kinds skipped (not served) or unknown (forbidden), as notes to print. */
  readonly issues: Issue[];
}

/** A Status's message, else the HTTP status: the API server's own words first. */
function statusMessage(a: ApiAnswer): string {
  const b = a.body as { message?: unknown } | string;
  if (typeof b === 'object' && b !== null && typeof b.message === 'string') return b.message;
  return `HTTP ${a.status}${typeof b === 'string' && b.trim() ? `: ${b.trim().slice(0, 120)}` : ''}`;
}

/** Which of the kinds a group-version's discovery document serves with `list`. */
export function servedKinds(kinds: readonly ResourceType[], discovery: unknown): { served: ResourceType[]; absent: ResourceType[] } {
  const resources = (discovery as { resources?: unknown } | null)?.resources;
  const listed = new Set(Array.isArray(resources)
    ? resources.filter((r: { name?: unknown; verbs?: unknown }) => typeof r?.name === 'string' && (!Array.isArray(r.verbs) || r.verbs.includes('list'))).map((r: { name: string }) => r.name)
    : []);
  return { served: kinds.filter((k) => listed.has(k.plural)), absent: kinds.filter((k) => !listed.has(k.plural)) };
}

/** A list response's items as the raw objects a dump would hold (a list's items carry no kind or apiVersion). */
export function itemsOf(r: ResourceType, list: unknown, file: string): RawObject[] {
  const items = (list as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return [];
  const apiVersion = groupVersion(r);
  const locate = (_: FieldPath) => ({ file, line: 0, col: 0 });
  return items.filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null)
    .map((value) => ({ file, value: { apiVersion, kind: r.kind, ...value }, locate }));
}

function note(file: string, severity: Issue['severity'], code: string, message: string, hint: string): Issue {
  return { code, severity, file, line: 0, col: 0, message, hint };
}

/** Runs `fn` over `items`, at most `n` at a time, in order of the results. */
async function bounded<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

type ListOutcome = { objects: RawObject[] } | { issue: Issue };

/** Every page of one kind's list, across all namespaces. */
async function listKind(reader: ApiReader, r: ResourceType, label: string): Promise<ListOutcome> {
  const file = `${label}:${r.plural}${r.group ? `.${r.group}` : ''}`;
  const objects: RawObject[] = [];
  let token = '';
  for (let restarted = false; ;) {
    const a = await reader.get(`${listPath(r)}?limit=${PAGE_SIZE}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    if (a.status === 410 && token && !restarted) {
      // The continue token expired (the server compacted): list again from the start, as a fresh snapshot.
      objects.length = 0;
      token = '';
      restarted = true;
      continue;
    }
    if (a.status === 403) return { issue: note(file, 'warning', 'live-forbidden', `cannot list ${r.plural}${r.group ? `.${r.group}` : ''}: ${statusMessage(a)}`, `unknown: knet answers as if there were no ${r.kind} objects, so what depends on them may differ from the cluster; kubectl auth can-i list ${r.plural} -A tells; a role that may list them lifts it`) };
    if (a.status === 404) return { issue: note(file, 'info', 'live-not-served', `${r.plural}${r.group ? `.${r.group}` : ''} is not served by this cluster: skipped`, `no ${r.kind} objects are read`) };
    if (a.status === 401) throw new Error(`${reader.describe}: Unauthorized: the server does not accept these credentials (${statusMessage(a)})\n  hint: kubectl --context ... get ns fails the same way; renew them (az aks get-credentials, aws eks update-kubeconfig, gcloud container clusters get-credentials)`);
    if (a.status !== 200) return { issue: note(file, 'warning', 'live-list-failed', `cannot list ${r.plural}: ${statusMessage(a)}`, `answers that depend on ${r.kind} objects treat them as unknown; try again`) };
    objects.push(...itemsOf(r, a.body, file));
    token = String((a.body as { metadata?: { continue?: unknown } })?.metadata?.continue ?? '');
    if (!token) return { objects };
  }
}

/** Reads the cluster behind `reader`; `label` names it in notes and positions (the context). */
export async function readLive(reader: ApiReader, label: string, kinds: readonly ResourceType[] = kindsToRead()): Promise<LiveRead> {
  const issues: Issue[] = [];
  const versions = [...new Set(kinds.map(groupVersion))];
  const discovered = await bounded(versions, PARALLEL, async (gv) => ({ gv, answer: await reader.get(discoveryPath(gv)) }));
  const toList: ResourceType[] = [];
  for (const { gv, answer } of discovered) {
    const ofGv = kinds.filter((k) => groupVersion(k) === gv);
    // A cluster without Calico has no IPPools to say so about.
    const quiet = ofGv.every((k) => READ_ALSO.includes(k));
    if (answer.status === 401) throw new Error(`${reader.describe}: Unauthorized: the server does not accept these credentials (${statusMessage(answer)})\n  hint: kubectl get ns with the same context fails the same way; renew them (az aks get-credentials, aws eks update-kubeconfig, gcloud container clusters get-credentials)`);
    if (answer.status === 200) {
      const { served, absent } = servedKinds(ofGv, answer.body);
      toList.push(...served);
      if (absent.length > 0) issues.push(note(`${label}:${gv}`, 'info', 'live-not-served', `${gv} does not serve ${absent.map((k) => k.plural).join(', ')}: skipped`, 'those kinds are read as absent'));
      continue;
    }
    const names = ofGv.map((k) => k.plural).join(', ');
    if (quiet && answer.status === 404) continue;
    issues.push(answer.status === 404
      ? note(`${label}:${gv}`, 'info', 'live-not-served', `${gv} is not served by this cluster (${names}): skipped`, gv.includes('cert-manager') ? 'cert-manager is not installed there: no Certificates or Issuers are read' : 'those kinds are read as absent')
      : note(`${label}:${gv}`, 'warning', 'live-forbidden', `cannot discover ${gv} (${names}): ${statusMessage(answer)}`, 'answers that depend on those kinds treat them as unknown'));
  }
  const knet = toList.some((r) => r.group === 'knet.dev');
  const listed = await bounded(toList.filter((r) => knet || r.kind !== 'Event'), PARALLEL, (r) => listKind(reader, r, label));
  const objects: RawObject[] = [];
  for (const o of listed) {
    if ('issue' in o) issues.push(o.issue);
    else objects.push(...o.objects);
  }
  return { objects, issues };
}
