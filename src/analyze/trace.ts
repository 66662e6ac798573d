// `knet trace`: one connection followed layer by layer, in the order the packet meets them:
// DNS (itself a connection to kube-dns), kube-proxy's decision, egress policy at the
// source, the pod network, ingress policy at the destination, the container's port; and
// for a URL that lands on the ingress controller, TLS, the route and the backend's
// endpoints, followed again from the controller pod. Ends in delivered, failed, or unknown
// where what decides is not modelled or not in the input (an address only the upstream DNS
// knows, pods an operator makes, another controller's Ingress class).
import { parseIP, type IP } from '../model/ip.js';
import type { Protocol } from '../model/types.js';
import { externalClient, isIngressControllerPod, nodeAddress, peerOfPod, podClient, podRef, type TraceClient, type TraceContext } from './trace-context.js';
import { traceDns } from './trace-dns.js';
import { followEndpoints, hop, type Landing } from './trace-hop.js';
import { traceIngress, unservedHost, type UrlTarget } from './trace-ingress.js';
import { traceToUnknownAddress } from './trace-outside.js';
import type { Delivery, Failure, Trace, TraceStep } from './trace-types.js';
import { headlessPodsUnknown } from './unmodelled.js';

export type TraceTarget =
  | ({ readonly kind: 'url'; readonly text: string } & UrlTarget)
  | { readonly kind: 'address'; readonly text: string; readonly host: string; readonly port: number } // a name or an IP
  | { readonly kind: 'node'; readonly text: string; readonly node: string; readonly port: number };

export interface TraceRequest {
  readonly client: TraceClient;
  readonly target: TraceTarget;
  readonly protocol: Protocol;
  /** The node an outside packet reaches (LoadBalancer, externalIP); null: the load balancer's choice. */
  readonly via: string | null;
  /** Stop once the ingress controller has the request (cert-manager's HTTP-01 self check). */
  readonly stopAtIngressController?: boolean;
}

export const ACME_PATH = '/.well-known/acme-challenge/knet-probe';

export function traceConnection(ctx: TraceContext, req: TraceRequest): Trace {
  const steps: TraceStep[] = [];
  const { client, target, protocol } = req;
  const head = { from: client.label, fromAddress: client.ip as string, fromNode: client.node, target: target.text, protocol };
  const failed = (f: Failure): Trace => f.unknown
    ? { ...head, verdict: 'unknown', failedAt: null, unknownAt: f.layer, reason: f.reason, hint: f.hint || null, delivered: null, steps }
    : { ...head, verdict: 'failed', failedAt: f.layer, unknownAt: null, reason: f.reason, hint: f.hint || null, delivered: null, steps };

  let ip: IP | null;
  if (target.kind === 'node') {
    ip = nodeAddress(ctx, target.node);
  } else {
    const host = target.host.replace(/^\[|\]$/g, '');
    ip = parseIP(host) ?? null;
    if (!ip && target.kind === 'url' && client.kind === 'external') {
      // A host no controller knet models serves has no public address from the cluster: the ingress layer says why.
      const unserved = unservedHost(ctx, host);
      if (unserved) {
        steps.push(unserved.step);
        if (unserved.unknown) return { ...head, verdict: 'unknown', failedAt: null, unknownAt: 'ingress', reason: unserved.step.summary, hint: unserved.step.hint, delivered: null, steps };
        return failed({ layer: 'ingress', reason: unserved.step.summary, hint: unserved.step.hint ?? '' });
      }
    }
    if (!ip) {
      const dns = traceDns(ctx, client, host);
      steps.push(dns.step);
      if (dns.unknown) {
        // DNS is not the failing layer: the name resolves where knet cannot follow; egress decides by port.
        const out = traceToUnknownAddress(ctx, client, host, target.port, protocol, dns.unknown);
        steps.push(...out.steps);
        const delivered: Delivery | null = out.verdict === 'delivered' ? { pod: null, node: null, ip: '', port: target.port } : null;
        return { ...head, verdict: out.verdict, failedAt: out.failedAt, unknownAt: out.unknownAt, reason: out.reason, hint: out.hint, delivered, steps };
      }
      if (!dns.address) {
        // A headless Service's name exists once it has a ready endpoint: unknown when its pods are.
        const headless = headlessPodsUnknown(ctx.cluster, dns.step.queries.map((q) => q.name));
        if (headless) {
          steps[steps.length - 1] = { ...dns.step, unknown: true };
          return failed({ layer: 'dns', reason: `whether ${host} resolves is unknown: headless Service ${headless.service} has no ready endpoint knet knows; ${headless.unknown.reason}`, hint: headless.unknown.hint, unknown: true });
        }
        return failed({ layer: 'dns', reason: dns.step.summary, hint: dns.step.hint ?? '' });
      }
      ip = dns.address;
    }
  }
  if (!ip) return failed({ layer: 'pod-network', reason: `node ${target.kind === 'node' ? target.node : ''} has no address`, hint: 'give the Node an InternalIP' });

  const first = hop(ctx, client, ip, target.port, protocol, req.via);
  steps.push(...first.steps);
  if (first.failure) return failed(first.failure);
  let landing = first.landing!;
  let answer: string | null = null;

  if (target.kind === 'url' && landing.kind === 'pod' && isIngressControllerPod(landing.pod) && protocol === 'TCP') {
    if (req.stopAtIngressController) return delivered(head, steps, landing, 'reaches the ingress controller', null);
    const controller = landing.pod;
    const ing = traceIngress(ctx, controller, target, (host) => acmeProbe(ctx, host), first.seenAs ?? null);
    steps.push(...ing.steps);
    if (ing.failure) return failed(ing.failure);
    answer = ing.answer;
    if (ing.endpoints) {
      const from = podClient(ctx, controller);
      const next = followEndpoints(ctx, from, peerOfPod(ctx, controller), controller.spec.nodeName, ing.endpoints, 'TCP', null);
      if (next.warning) {
        const i = steps.length - 1;
        steps[i] = { ...steps[i]!, warning: next.warning };
      }
      steps.push(...next.steps);
      if (next.failure) return failed(next.failure);
      landing = next.landing!;
    }
  }
  const warnings = steps.map((s) => s.warning).filter((w): w is string => w !== null);
  return delivered(head, steps, landing, answer, warnings[0] ?? null);
}

/** cert-manager's HTTP-01 check as the ACME server makes it: GET http://host/.well-known/... from the internet. */
export function acmeProbe(ctx: TraceContext, host: string): Trace {
  return traceConnection(ctx, {
    client: externalClient(), protocol: 'TCP', via: null, stopAtIngressController: true,
    target: { kind: 'url', text: `http://${host}${ACME_PATH}`, scheme: 'http', host, port: 80, path: ACME_PATH, query: '' },
  });
}

function delivered(head: Pick<Trace, 'from' | 'fromAddress' | 'fromNode' | 'target' | 'protocol'>, steps: TraceStep[], l: Landing, answer: string | null, hint: string | null): Trace {
  const d: Delivery = l.kind === 'pod'
    ? { pod: podRef(l.pod), node: l.pod.spec.nodeName, ip: l.ip, port: l.port }
    : { pod: null, node: l.kind === 'node' ? l.node : null, ip: l.ip, port: l.port };
  const where = l.kind === 'pod'
    ? `${podRef(l.pod)} ${l.ip}:${l.port} on ${l.pod.spec.nodeName}`
    : l.kind === 'node' ? `node ${l.node} ${l.ip}:${l.port}` : `${l.ip}:${l.port}, outside the cluster`;
  const reason = answer ? `delivered to ${where}: ${answer}` : `delivered to ${where}`;
  // A step knet could not decide but went on past (a TLS Secret not in the input): unknown.
  const unsure = steps.find((s) => s.unknown);
  if (unsure) return { ...head, verdict: 'unknown', failedAt: null, unknownAt: unsure.layer, reason: `${reason}, but ${unsure.summary}`, hint: unsure.hint, delivered: d, steps };
  return { ...head, verdict: 'delivered', failedAt: null, unknownAt: null, reason, hint, delivered: d, steps };
}
