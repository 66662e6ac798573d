// `knet diagnose`, cert-manager's objects on the running cluster (or a dump): an ACME
// Challenge that is stuck says why in its reason; this layer adds where the request for
// http://<host>/.well-known/acme-challenge/... stops on its way from the internet to port
// 80 (the same trace as `knet trace`), and how to fix it.
import type { Issue } from '../model/issue.js';
import { decodeCertManagerObject, type ChallengeObject } from '../model/decode-cert-manager.js';
import { issueAt } from '../cluster/issues.js';
import { FAKE_CERTIFICATE, type AcmeProbe } from './trace-tls.js';
import type { TraceContext } from './trace-context.js';

export function challengeFindings(ctx: TraceContext, probe: AcmeProbe): Issue[] {
  const out: Issue[] = [];
  for (const o of ctx.cluster.others) {
    if (o.kind !== 'Challenge' || !o.raw) continue;
    const ch = decodeCertManagerObject(o.raw);
    if (!ch || ch.kind !== 'Challenge' || (ch.state !== 'pending' && ch.state !== 'invalid') || ch.type !== 'HTTP-01') continue;
    const ref = `Challenge ${ch.namespace}/${ch.name}`;
    const said = ch.reason || `no reason yet (state ${ch.state})`;
    const t = probe(ch.dnsName);
    const where = t.verdict === 'failed'
      ? `port 80 of ${ch.dnsName} from the internet stops at the ${t.failedAt ?? 'unknown'} layer: ${t.reason}`
      : t.verdict === 'unknown'
        ? `where port 80 of ${ch.dnsName} leads from the internet is unknown to knet (${t.reason})`
        : `the prediction delivers port 80 of ${ch.dnsName} from the internet (${t.reason}), so look at what answers there`;
    const hint = t.verdict === 'failed' && t.hint
      ? `${t.hint}; then the self check passes within seconds (knet get challenges -n ${ch.namespace} -o wide)`
      : hintFor(ch);
    out.push({
      ...issueAt(o, ['status', 'reason'], 'acme-challenge-stuck', 'error', `${ref} for ${ch.dnsName} is ${ch.state}: ${said}; ${where}; until its Certificate is Ready, ingress-nginx serves its ${FAKE_CERTIFICATE} for ${ch.dnsName}`, hint),
      layer: 'tls',
    });
  }
  return out;
}

function hintFor(ch: ChallengeObject): string {
  if (/wrong status code '404'/.test(ch.reason)) {
    return `the solver Ingress for ${ch.dnsName} is not served: give it a class the ingress controller serves (the issuer's solvers[].http01.ingress.ingressClassName${ch.solver.ingressClassName ? `, now ${ch.solver.ingressClassName}` : ''})`;
  }
  return `knet trace --from internet http://${ch.dnsName}/.well-known/acme-challenge/${ch.token}`;
}
