// Service problems: a selector that matches no pod, a targetPort no selected pod declares,
// a Service whose endpoints are all not ready, a selectorless Service nothing backs.
import { resolveTargetPort } from '../cluster/endpointslices.js';
import { issueAt } from '../cluster/issues.js';
import type { Issue } from '../model/issue.js';
import type { Service } from '../model/types.js';
import { plural, type TraceContext } from './trace-context.js';
import { declaredPorts, portText } from './trace-network.js';
import { explainNoEndpoints } from './trace-service.js';
import { podsUnknown } from './unmodelled.js';

export function serviceFindings(ctx: TraceContext): Issue[] {
  const out: Issue[] = [];
  for (const svc of ctx.cluster.services) {
    if (svc.type === 'ExternalName') continue;
    const ref = `${svc.meta.namespace}/${svc.meta.name}`;
    if (svc.selector === null) {
      if (readyCount(ctx, svc).total === 0) {
        const why = explainNoEndpoints(ctx, svc);
        out.push(issueAt(svc, ['metadata', 'name'], 'service-no-endpoints', 'warning', `Service ${ref} has no endpoints: ${why.reason}; connections to it are refused`, why.hint));
      }
      continue;
    }
    if (Object.keys(svc.selector).length === 0) continue;
    const pods = ctx.cluster.podIndex.select(svc.meta.namespace, svc.selector);
    if (pods.length === 0) {
      const why = explainNoEndpoints(ctx, svc);
      const unknown = podsUnknown(ctx.cluster, svc.meta.namespace, svc.selector, svc.meta.ownerReferences);
      if (unknown) {
        // Unknown, not wrong: an object knet keeps but does not model (an operator's custom
        // resource) or a workload the manifests leave out may make the pods this selector is for.
        out.push(issueAt(svc, ['spec', 'selector'], 'service-pods-unknown', 'info',
          `Service ${ref}: whether it has endpoints is unknown: ${unknown.reason}`, unknown.hint));
        continue;
      }
      out.push(issueAt(svc, ['spec', 'selector'], 'service-selector-no-pods', 'error',
        `Service ${ref} has no endpoints: ${why.reason}; connections to it are refused`, why.hint));
      continue;
    }
    let portProblem = false;
    svc.ports.forEach((sp, i) => {
      const declared = [...new Set(pods.flatMap((p) => declaredPorts(p).map((d) => portText(d.port))))];
      if (typeof sp.targetPort === 'string') {
        if (pods.some((p) => resolveTargetPort(p, sp.targetPort, sp.protocol) !== null)) return;
        portProblem = true;
        out.push(issueAt(svc, ['spec', 'ports', i, 'targetPort'], 'service-target-port-mismatch', 'error',
          `targetPort "${sp.targetPort}" of Service ${ref} (port ${sp.port}) names no ${sp.protocol} container port of the ${plural(pods.length, 'selected pod')} (they declare ${declared.join(', ') || 'none'}): the Service has no endpoints for it`,
          `set targetPort to a declared port name or number, or name the container port "${sp.targetPort}"`));
        return;
      }
      const listens = pods.some((p) => declaredPorts(p).some((d) => d.port.containerPort === sp.targetPort && d.port.protocol === sp.protocol));
      if (listens || declared.length === 0) return;
      if (!ctx.declaredPortsOnly) {
        // containerPort is informational: Kubernetes sends to the number whether or not it is declared.
        out.push(issueAt(svc, ['spec', 'ports', i, 'targetPort'], 'service-target-port-undeclared', 'info',
          `targetPort ${sp.targetPort}/${sp.protocol} of Service ${ref} (port ${sp.port}) is not a declared container port of the ${plural(pods.length, 'selected pod')} (they declare ${declared.join(', ')}): connections reach the pods on ${sp.targetPort}, answered if a process listens there, which knet cannot know`,
          `nothing to do if the container listens on ${sp.targetPort}; else set targetPort to ${declared.map((d) => d.split('/')[0]).join(' or ')}`));
        return;
      }
      portProblem = true;
      out.push(issueAt(svc, ['spec', 'ports', i, 'targetPort'], 'service-target-port-mismatch', 'error',
        `targetPort ${sp.targetPort}/${sp.protocol} of Service ${ref} (port ${sp.port}) is not a container port of the ${plural(pods.length, 'selected pod')} (they declare ${declared.join(', ')}): connections reach the pods and are refused`,
        `set targetPort to the port the container listens on (${declared.map((d) => d.split('/')[0]).join(' or ')}), or declare and listen on ${sp.targetPort}`));
    });
    if (portProblem) continue;
    const { ready, total } = readyCount(ctx, svc);
    if (ready === 0) {
      const why = explainNoEndpoints(ctx, svc);
      out.push(issueAt(svc, ['spec', 'selector'], 'service-no-ready-endpoints', 'warning',
        `Service ${ref} has ${total === 0 ? 'no endpoints' : `${plural(total, 'endpoint')}, none ready`}: ${why.reason}; connections to it are refused`, why.hint));
    }
  }
  return out;
}

function readyCount(ctx: TraceContext, svc: Service): { ready: number; total: number } {
  let ready = 0;
  let total = 0;
  for (const s of ctx.cluster.endpointSlices) {
    if (s.meta.namespace !== svc.meta.namespace || s.serviceName !== svc.meta.name) continue;
    for (const e of s.endpoints) {
      total++;
      if (e.conditions.ready || (svc.publishNotReadyAddresses && e.conditions.serving)) ready++;
    }
  }
  return { ready, total };
}

