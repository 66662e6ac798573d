// `kubectl port-forward`: SPDY tunnelled in a WebSocket. Not served yet: the upgrade is refused
// as kube-apiserver refuses one it cannot serve.
import type { UpgradeHandler } from './upgrade.js';
import { refuseUpgrade } from './upgrade.js';

export const servePortForward: UpgradeHandler = (_daemon, target, _req, socket) => {
  refuseUpgrade(socket, 400, 'BadRequest', `${target.subresource} is not served by this knet yet`);
};
