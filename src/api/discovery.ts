// Discovery as kube-apiserver answers it: `/version`, `/api` and `/apis` (aggregated discovery,
// apidiscovery.k8s.io/v2 or v2beta1, when the client's Accept asks for it; else the legacy
// APIVersions and APIGroupList), `/apis/GROUP` (APIGroup) and `/api/v1`, `/apis/GROUP/VERSION`
// (APIResourceList). Pure: the registry in, JSON out.
import { createHash } from 'node:crypto';
import { RESOURCE_TYPES, type ResourceType } from './registry.js';

type Json = Record<string, unknown>;

/** The Kubernetes release knet's API behaves as (kubectl's skew policy, deprecation warnings, ...). */
export const KUBE_VERSION = { major: '1', minor: '32', patch: '0' } as const;

const GO_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** `GET /version`: a version.Info, as `kubectl version` prints it. */
export function versionInfo(platform: string = process.platform, arch: string = process.arch): Json {
  return {
    major: KUBE_VERSION.major, minor: KUBE_VERSION.minor,
    gitVersion: `v${KUBE_VERSION.major}.${KUBE_VERSION.minor}.${KUBE_VERSION.patch}-knet`,
    gitCommit: '', gitTreeState: 'clean', buildDate: '1970-01-01T00:00:00Z',
    goVersion: 'node', compiler: 'knet', platform: `${platform}/${GO_ARCH[arch] ?? arch}`,
  };
}

/** How to answer `/api` and `/apis`: aggregated discovery (v2, v2beta1), the legacy lists, or 406. */
export type DiscoveryFormat = 'v2' | 'v2beta1' | 'legacy' | 'not-acceptable';

const AGGREGATED_GROUP = 'apidiscovery.k8s.io';
const AGGREGATED_KIND = 'APIGroupDiscoveryList';

interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
  readonly q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    const q = params['q'] === undefined ? 1 : Number(params['q']);
    return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
  });
  // The first of the highest quality wins (Array.sort is stable).
  return ranges.filter((r) => r.type && r.q > 0).sort((a, b) => b.q - a.q);
}

/**
 * The format kube-apiserver chooses for `/api` and `/apis` from the Accept header: the first
 * acceptable media type, aggregated when it names `g=apidiscovery.k8s.io;v=v2|v2beta1;as=APIGroupDiscoveryList`,
 * legacy for plain JSON (or no Accept at all), 406 when nothing offered is JSON.
 */
export function negotiateDiscovery(accept: string | undefined): DiscoveryFormat {
  if (!accept || !accept.trim()) return 'legacy';
  for (const r of parseAccept(accept)) {
    if (r.type !== 'application/json' && r.type !== 'application/*' && r.type !== '*/*') continue;
    const { g, v, as } = r.params;
    if (as === undefined && g === undefined && v === undefined) return 'legacy';
    if (g === AGGREGATED_GROUP && as === AGGREGATED_KIND && (v === 'v2' || v === 'v2beta1')) return v;
  }
  return 'not-acceptable';
}

/** The Content-Type of an answer in a format (what kubectl reads to tell aggregated from legacy). */
export function discoveryContentType(format: 'v2' | 'v2beta1' | 'legacy'): string {
  return format === 'legacy' ? 'application/json' : `application/json;g=${AGGREGATED_GROUP};v=${format};as=${AGGREGATED_KIND}`;
}

/** The groups in discovery's order (the registry's), with their versions. */
function groupVersions(resources: readonly ResourceType[]): { group: string; versions: string[] }[] {
  const out: { group: string; versions: string[] }[] = [];
  for (const r of resources) {
    const g = out.find((x) => x.group === r.group) ?? (out.push({ group: r.group, versions: [] }), out[out.length - 1]!);
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return out;
}

const gv = (group: string, version: string) => (group ? `${group}/${version}` : version);

/** A subresource's kind and verbs, as kube-apiserver serves it. */
function subresourceOf(r: ResourceType, sub: string): { kind: { group: string; version: string; kind: string }; verbs: string[] } {
  const own = { group: r.group, version: r.version, kind: r.kind };
  const core = (kind: string) => ({ group: '', version: 'v1', kind });
  switch (sub) {
    case 'status': return { kind: own, verbs: ['get', 'patch', 'update'] };
    case 'scale': return { kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] };
    case 'log': return { kind: core('Pod'), verbs: ['get'] };
    case 'ephemeralcontainers': return { kind: core('Pod'), verbs: ['get', 'patch', 'update'] };
    case 'exec': return { kind: core('PodExecOptions'), verbs: ['create', 'get'] };
    case 'attach': return { kind: core('PodAttachOptions'), verbs: ['create', 'get'] };
    case 'portforward': return { kind: core('PodPortForwardOptions'), verbs: ['create', 'get'] };
    case 'proxy': return { kind: core(`${r.kind}ProxyOptions`), verbs: ['create', 'delete', 'get', 'patch', 'update'] };
    case 'binding': return { kind: core('Binding'), verbs: ['create'] };
    case 'eviction': return { kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] };
    case 'finalize': return { kind: own, verbs: ['update'] };
    case 'token': return { kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] };
    default: throw new Error(`registry: no discovery entry for subresource ${r.plural}/${sub}`);
  }
}

/** An APIResourceDiscovery (aggregated discovery's entry for one resource). */
function resourceDiscovery(r: ResourceType): Json {
  const d: Json = {
    resource: r.plural, responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster', singularResource: r.singular, verbs: [...r.verbs],
  };
  if (r.shortNames.length) d['shortNames'] = [...r.shortNames];
  if (r.categories.length) d['categories'] = [...r.categories];
  if (r.subresources.length) {
    d['subresources'] = r.subresources.map((s) => {
      const { kind, verbs } = subresourceOf(r, s);
      return { subresource: s, responseKind: kind, verbs };
    });
  }
  return d;
}

/**
 * `GET /api` (scope `api`: the core group) or `GET /apis` (every other group) as an
 * APIGroupDiscoveryList: every resource in one document, groups and versions in preference order.
 */
export function aggregatedDiscovery(scope: 'api' | 'apis', version: 'v2' | 'v2beta1', resources: readonly ResourceType[] = RESOURCE_TYPES): Json {
  const inScope = resources.filter((r) => (scope === 'api') === (r.group === ''));
  return {
    kind: AGGREGATED_KIND, apiVersion: `${AGGREGATED_GROUP}/${version}`, metadata: {},
    items: groupVersions(inScope).map(({ group, versions }) => ({
      metadata: { name: group },
      versions: versions.map((v) => ({
        version: v,
        resources: inScope.filter((r) => r.group === group && r.version === v).map(resourceDiscovery),
        freshness: 'Current',
      })),
    })),
  };
}

/**
 * The ETag kube-apiserver gives an aggregated discovery document: its SHA-512 in upper-case hex,
 * quoted. kubectl's HTTP cache sends it back as If-None-Match when its discovery cache (6 h) runs
 * out, and an unchanged document is a 304 with no body.
 */
export function discoveryETag(text: string): string {
  return `"${createHash('sha512').update(text).digest('hex').toUpperCase()}"`;
}

/** `GET /api`, legacy: the core group's versions. */
export function apiVersions(serverAddress?: string): Json {
  return {
    kind: 'APIVersions', versions: ['v1'],
    serverAddressByClientCIDRs: serverAddress ? [{ clientCIDR: '0.0.0.0/0', serverAddress }] : [],
  };
}

function apiGroupOf(group: string, versions: readonly string[]): Json {
  const listed = versions.map((v) => ({ groupVersion: gv(group, v), version: v }));
  return { name: group, versions: listed, preferredVersion: listed[0] };
}

/** `GET /apis`, legacy: every named group with its versions. */
export function apiGroupList(resources: readonly ResourceType[] = RESOURCE_TYPES): Json {
  return {
    kind: 'APIGroupList', apiVersion: 'v1',
    groups: groupVersions(resources.filter((r) => r.group !== '')).map(({ group, versions }) => apiGroupOf(group, versions)),
  };
}

/** `GET /apis/GROUP`: the group with its versions, or undefined when knet serves no such group. */
export function apiGroup(group: string, resources: readonly ResourceType[] = RESOURCE_TYPES): Json | undefined {
  const found = groupVersions(resources.filter((r) => r.group === group && group !== ''))[0];
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupOf(group, found.versions) } : undefined;
}

/**
 * `GET /api/v1` or `/apis/GROUP/VERSION`: an APIResourceList, each resource followed by its
 * subresources (`pods/log`), or undefined when knet serves no such group/version.
 */
export function apiResourceList(group: string, version: string, resources: readonly ResourceType[] = RESOURCE_TYPES): Json | undefined {
  const inGv = resources.filter((r) => r.group === group && r.version === version);
  if (inGv.length === 0) return undefined;
  const entries = inGv.flatMap((r) => {
    const main: Json = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs] };
    if (r.shortNames.length) main['shortNames'] = [...r.shortNames];
    if (r.categories.length) main['categories'] = [...r.categories];
    const subs = r.subresources.map((s) => {
      const { kind, verbs } = subresourceOf(r, s);
      const e: Json = { name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, kind: kind.kind, verbs };
      if (kind.group !== r.group || kind.version !== r.version) Object.assign(e, { group: kind.group, version: kind.version });
      return e;
    });
    return [main, ...subs];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv(group, version), resources: entries };
}
