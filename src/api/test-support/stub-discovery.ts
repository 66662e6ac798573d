// Until the registry's discovery is merged (src/api/discovery.ts): the least discovery kubectl
// needs to map kinds to resources (`/api`, `/apis`, each group version's resources with verbs),
// from the daemon's resource list, in front of the daemon's API handler. Tests only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiListener } from '../../daemon/api.js';
import { API_RESOURCES } from '../../daemon/api-resources.js';
import { FakeBackend, type LoopbackApi } from './fake-backend.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const SHORT: Record<string, string[]> = {
  pods: ['po'], services: ['svc'], deployments: ['deploy'], replicasets: ['rs'], statefulsets: ['sts'], daemonsets: ['ds'],
  events: ['ev'], namespaces: ['ns'], nodes: ['no'], configmaps: ['cm'], ingresses: ['ing'], networkpolicies: ['netpol'],
};

function discovery(path: string): unknown {
  const groups = [...new Set(API_RESOURCES.filter((r) => r.group !== '').map((r) => `${r.group}/${r.version}`))];
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (path === '/apis') {
    return {
      kind: 'APIGroupList', apiVersion: 'v1',
      groups: groups.map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: gv.split('/')[1] }], preferredVersion: { groupVersion: gv, version: gv.split('/')[1] } })),
    };
  }
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!m) return null;
  const group = m[2] ?? '';
  const version = m[1] ?? m[3]!;
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version,
    resources: API_RESOURCES.filter((r) => r.group === group && r.version === version)
      .map((r) => ({ name: r.plural, singularName: r.kind.toLowerCase(), kind: r.kind, namespaced: r.namespaced, verbs: VERBS, shortNames: SHORT[r.plural] ?? [] })),
  };
}

/** serveFakeApi with the stub discovery in front. */
export async function serveFakeApiWithDiscovery(backend = new FakeBackend()): Promise<LoopbackApi> {
  const inner = apiListener(backend.asDaemon(), () => {});
  const server = http.createServer((req, res) => {
    const body = req.method === 'GET' ? discovery(new URL(req.url ?? '/', 'http://x').pathname) : null;
    if (body === null) return inner(req, res);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    backend,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
