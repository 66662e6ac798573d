// `kubectl exec` and `kubectl attach`: the WebSocket form (v5.channel.k8s.io). Not served yet:
// the upgrade is refused as kube-apiserver refuses one it cannot serve.
import type { UpgradeHandler } from './upgrade.js';
import { refuseUpgrade } from './upgrade.js';

export const serveExec: UpgradeHandler = (_daemon, target, _req, socket) => {
  refuseUpgrade(socket, 400, 'BadRequest', `${target.subresource} is not served by this knet yet`);
};
