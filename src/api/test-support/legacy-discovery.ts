// STAND-IN until the registry's discovery (src/api/discovery.ts) is merged: the legacy discovery
// documents kubectl falls back to (`/apis` APIGroupList, `/api/v1` and `/apis/G/V` APIResourceList
// with short names and verbs), built from the daemon's resources, in front of the daemon's API
// handler; so stock kubectl can map `po`, `svc`, `deploy`... in tests of other parts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiListener } from '../../daemon/api.js';
import { API_RESOURCES } from '../../daemon/api-resources.js';
import { FakeBackend, type LoopbackApi } from './fake-backend.js';

const SHORT_NAMES: Readonly<Record<string, readonly string[]>> = {
  pods: ['po'], services: ['svc'], endpoints: ['ep'], nodes: ['no'], namespaces: ['ns'], configmaps: ['cm'],
  events: ['ev'], deployments: ['deploy'], replicasets: ['rs'], statefulsets: ['sts'], daemonsets: ['ds'],
  ingresses: ['ing'], networkpolicies: ['netpol'], certificates: ['cert', 'certs'], replicationcontrollers: ['rc'],
};
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function json(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function resourceList(groupVersion: string): unknown {
  const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') : ['', groupVersion];
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion,
    resources: API_RESOURCES.filter((r) => r.group === group && r.version === version).map((r) => ({
      name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: VERBS,
      ...(SHORT_NAMES[r.plural] ? { shortNames: SHORT_NAMES[r.plural] } : {}),
    })),
  };
}

export function withLegacyDiscovery(inner: http.RequestListener): http.RequestListener {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://knet').pathname.replace(/\/$/, '');
    const groups = [...new Set(API_RESOURCES.filter((r) => r.group).map((r) => `${r.group}/${r.version}`))];
    if (req.method === 'GET' && path === '/apis') {
      return json(res, {
        kind: 'APIGroupList', apiVersion: 'v1',
        groups: groups.map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: gv.split('/')[1] }], preferredVersion: { groupVersion: gv, version: gv.split('/')[1] } })),
      });
    }
    if (req.method === 'GET' && path === '/api/v1') return json(res, resourceList('v1'));
    const m = /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
    if (req.method === 'GET' && m && groups.includes(m[1]!)) return json(res, resourceList(m[1]!));
    return inner(req, res);
  };
}

/** serveFakeApi with the legacy discovery in front. */
export async function serveFakeApiWithDiscovery(backend = new FakeBackend()): Promise<LoopbackApi> {
  const server = http.createServer(withLegacyDiscovery(apiListener(backend.asDaemon(), () => {})));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    backend, url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
