// Rollouts and scale-downs that can drop connections: a Deployment behind a Service whose
// serving containers have no preStop hook. When a pod is deleted the kubelet sends SIGTERM
// while the endpoint controllers and every node's kube-proxy are still taking its endpoint
// out of the rules; a server that stops listening at SIGTERM refuses the connections that
// still reach it in that window. A preStop sleep of a few seconds keeps it serving until the
// endpoint is gone everywhere (the grace period must be longer than the sleep).
import { resolveTargetPort } from '../cluster/endpointslices.js';
import { issueAt } from '../cluster/issues.js';
import type { Issue } from '../model/issue.js';
import { matchesLabelMap } from '../model/labels.js';
import type { Container, Pod, Service, Workload } from '../model/types.js';
import type { TraceContext } from './trace-context.js';

export function terminationFindings(ctx: TraceContext): Issue[] {
  const out: Issue[] = [];
  for (const d of ctx.cluster.workloads) {
    if (d.kind !== 'Deployment' || d.replicas === 0) continue;
    // CoreDNS keeps answering for 5 s after SIGTERM (`health { lameduck 5s }` in kubeadm's
    // Corefile): its own way of waiting for its endpoint to leave the rules.
    if (d.meta.namespace === 'kube-system' && d.template.labels['k8s-app'] === 'kube-dns') continue;
    const services = ctx.cluster.services.filter((s) => s.meta.namespace === d.meta.namespace && s.selector !== null
      && Object.keys(s.selector).length > 0 && s.type !== 'ExternalName' && matchesLabelMap(s.selector, d.template.labels));
    if (services.length === 0) continue;
    const serving = servingContainers(d, services);
    const bare = serving.filter(({ c }) => c.preStop === null);
    if (bare.length === 0) continue;
    const { c, i } = bare[0]!;
    const grace = d.template.spec.terminationGracePeriodSeconds;
    const behind = services.map((s) => `Service ${s.meta.namespace}/${s.meta.name}`).join(', ');
    out.push(issueAt(d, ['spec', 'template', 'spec', 'containers', i, 'name'], 'service-termination-drops', 'info',
      `Deployment ${d.meta.namespace}/${d.meta.name} (behind ${behind}) has no preStop hook on container "${c.name}": a rollout, scale-down or pod delete can refuse connections, as its pods stop listening at SIGTERM while kube-proxy still removes their endpoints`,
      `add lifecycle: {preStop: {sleep: {seconds: 5}}} to container "${c.name}": it serves until its endpoint has left every node's rules${grace <= 5 ? `; raise terminationGracePeriodSeconds (now ${grace}) above the sleep` : ` (terminationGracePeriodSeconds ${grace} covers it)`}`));
  }
  return out;
}

/** The template's containers that serve a port of the Services (all of them when no port resolves). */
function servingContainers(d: Workload, services: readonly Service[]): { c: Container; i: number }[] {
  const probe = { kind: 'Pod', meta: d.meta, spec: d.template.spec } as unknown as Pod;
  const ports = new Set<number>();
  for (const s of services) for (const p of s.ports) {
    const n = resolveTargetPort(probe, p.targetPort, p.protocol);
    if (n !== null) ports.add(n);
  }
  const all = d.template.spec.containers.map((c, i) => ({ c, i }));
  const serving = all.filter(({ c }) => c.ports.some((p) => ports.has(p.containerPort)));
  return serving.length > 0 ? serving : all;
}
