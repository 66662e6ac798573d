// `knet matrix --probe [--compare]`: the matrix from real packets on the running cluster.
// Every pod probes every pod's IP from inside its own network namespace (a TCP connect, or
// a UDP `hostname` request the pod's responder answers), all at once with short timeouts;
// the result prints in the prediction's table or JSON. `--compare` prints only the cells
// where prediction and packets disagree, with the core's verdict, and exits 1 if any do.
import type { Protocol } from '../model/types.js';
import { buildMatrix } from '../analyze/matrix.js';
import { matrixJson } from '../analyze/matrix-table.js';
import { compareMatrices, observedMatrix, renderDisagreements, renderObservedTable } from '../analyze/probe-matrix.js';
import { request } from '../daemon/client.js';
import type { ExecTargets } from '../daemon/workloads-view.js';
import { probePairs, sctpSupport, type ProbeEnd } from '../dataplane/netpol-probe.js';
import type { MatrixCliOptions } from './matrix.js';
import { CliError, toJson, type Io } from './output.js';
import { loadFrom, pickCluster, requireRoot } from './source.js';

export async function runMatrixProbe(io: Io, o: MatrixCliOptions & { compare: boolean; filename: string[] }): Promise<number> {
  if (o.filename.length > 0) throw new CliError('error: --probe sends packets on the running cluster; it takes no -f\n  hint: knet matrix -f DIR predicts without a cluster');
  const protocol = o.protocol.toUpperCase() as Protocol;
  if (protocol === 'SCTP') throw new CliError(`error: cannot probe SCTP here: ${sctpSupport().why}\n  hint: knet matrix --protocol SCTP (without --probe) predicts it`);
  requireRoot('matrix --probe');
  const name = pickCluster(undefined);
  const cluster = loadFrom(io, []);
  const m = buildMatrix(cluster, { port: Number(o.port), protocol, namespace: o.namespace || undefined, assumeEnforced: o.assumeEnforced });
  const res = await request<ExecTargets & { message?: string }>(name, 'GET', '/apis/knet.dev/v1alpha1/targets');
  if (res.status !== 200) throw new CliError(`error: cluster ${name}: ${res.body.message ?? `HTTP ${res.status}`}`);
  const at = new Map(res.body.pods.map((p) => [p.pod, p]));
  const ends: ProbeEnd[] = m.refs.flatMap((ref) => {
    const p = at.get(ref);
    return p && p.ips[0] ? [{ ref, netns: p.netns, ip: p.ips[0] }] : [];
  });
  const results = await probePairs(ends, ends, [{ port: Number(o.port), protocol }]);
  const observed = observedMatrix(m, results);
  if (!o.compare) {
    io.out(o.output === 'json' ? toJson(matrixJson(observed)) : renderObservedTable(observed));
    return 0;
  }
  const list = compareMatrices(cluster, m, observed);
  io.out(o.output === 'json'
    ? toJson({ port: m.traffic.port, protocol: m.traffic.protocol, cells: results.length, disagree: list })
    : renderDisagreements(list, results.length));
  return list.length > 0 ? 1 : 0;
}
