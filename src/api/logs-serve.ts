// GET .../pods/NAME/log: the thin shell over logs.ts. The container's file is the one the
// runtime writes (`<logDir>/<ns>_<pod>_<container>.log`, as the kubelet names them): CoreDNS's
// query log and the ingress controller's access log are their pods' logs like any other.
// With follow, the answer stays open and grows until the client goes away.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type http from 'node:http';
import type { Daemon } from '../daemon/daemon.js';
import { podLogDir } from '../daemon/paths.js';
import { logPath } from '../dataplane/runtime/spec.js';
import { isApiError, type ApiError } from './api-error.js';
import { containersOf, podContainer } from './exec-channels.js';
import { followFile } from './logs-follow.js';
import { LineStamper, limitBytes, logOptions, previousMissing, selectLog } from './logs.js';

/** Answers the request, or returns the error for the caller to send as a Status. */
export function servePodLog(daemon: Daemon, namespace: string, name: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): ApiError | void {
  const pod = daemon.cluster.pods.find((p) => p.meta.namespace === namespace && p.meta.name === name);
  if (!pod) return { code: 404, reason: 'NotFound', message: `pods "${name}" not found` };
  const o = logOptions(name, url.searchParams, new Date());
  if (isApiError(o)) return o;
  const container = podContainer(name, containersOf(pod), o.container);
  if (isApiError(container)) return container;
  // One log per container across restarts: --previous has something only once it restarted.
  if (o.previous && (pod.status.restarts ?? 0) === 0) return previousMissing(name, container);
  const file = logPath(podLogDir(daemon.name), `${namespace}/${name}`, container);
  const exists = existsSync(file);
  const text = exists ? readFileSync(file) : Buffer.alloc(0);
  const lastWrite = exists ? statSync(file).mtime : new Date();
  const first = selectLog(text.toString('utf8'), lastWrite, o);
  res.writeHead(200, { 'Content-Type': 'text/plain', ...(o.follow ? { 'Cache-Control': 'no-cache' } : {}) });
  let budget = o.limitBytes === null ? Infinity : o.limitBytes - Buffer.byteLength(first);
  if (!o.follow || o.previous || budget <= 0) {
    res.end(first);
    return;
  }
  res.write(first);
  res.flushHeaders();
  const stamper = o.timestamps ? new LineStamper() : null;
  // A character split across two reads is kept until its last byte arrives.
  const utf8 = new StringDecoder('utf8');
  const stop = followFile(file, text.length, (chunk) => {
    const piece = utf8.write(chunk);
    let out = stamper ? stamper.push(piece, new Date()) : piece;
    if (out === '') return;
    if (Buffer.byteLength(out) >= budget) {
      out = limitBytes(out, budget);
      budget = 0;
    } else {
      budget -= Buffer.byteLength(out);
    }
    res.write(out);
    if (budget <= 0) {
      stop();
      res.end();
    }
  });
  req.on('close', stop);
  res.on('close', stop);
}
