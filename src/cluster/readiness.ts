// A running cluster's pods as its kubelets report them: each pod's Ready condition (from its
// readiness and startup probes) and restart count laid over the desired cluster, and the
// EndpointSlices of the Services that select a pod whose readiness moved written again, as
// the EndpointSlice controller does when a pod's Ready condition changes. Pods the
// kubelets have not reported yet are Ready when they have no readiness or startup probe
// (a running container is ready) and not Ready when they have one (readiness starts as
// Failure).
import { matchesLabelMap } from '../model/labels.js';
import type { Pod } from '../model/types.js';
import { CONTROLLER, slicesForService } from './endpointslices.js';
import type { Cluster } from './fill-in.js';
import { PodIndex } from './pod-index.js';
import { withWorkloadStatus } from './workload-status.js';

export interface ReportedPod {
  readonly ready: boolean;
  readonly restarts: number;
}

const refOf = (p: Pod): string => `${p.meta.namespace}/${p.meta.name}`;

/** Whether the kubelet waits for a probe before the pod is Ready. */
export function hasReadinessGate(pod: Pod): boolean {
  return [...pod.spec.containers, ...pod.spec.initContainers.filter((c) => c.restartPolicy === 'Always')]
    .some((c) => c.readinessProbe !== null || c.startupProbe !== null);
}

/** The Ready a running cluster's pod has: reported, or what an unprobed start gives. */
export function runningReady(pod: Pod, reported: ReadonlyMap<string, ReportedPod>): boolean | null {
  if (pod.status.phase !== 'Running' || pod.spec.hostNetwork) return pod.status.ready;
  const r = reported.get(refOf(pod));
  if (r) return r.ready;
  return hasReadinessGate(pod) ? false : pod.status.ready;
}

export function withReadiness(cluster: Cluster, reported: ReadonlyMap<string, ReportedPod>): Cluster {
  const changed: Pod[] = [];
  const pods = cluster.pods.map((p) => {
    const ready = runningReady(p, reported);
    const restarts = reported.get(refOf(p))?.restarts;
    if (ready === p.status.ready && (restarts ?? 0) === (p.status.restarts ?? 0)) return p;
    const next: Pod = { ...p, status: { ...p.status, ready, ...(restarts === undefined ? {} : { restarts }) } };
    if (ready !== p.status.ready) changed.push(next);
    return next;
  });
  if (changed.length === 0 && pods.every((p, i) => p === cluster.pods[i])) return cluster;
  const podIndex = new PodIndex(pods);
  const affected = cluster.services.filter((svc) => svc.selector !== null && svc.type !== 'ExternalName'
    && changed.some((p) => p.meta.namespace === svc.meta.namespace && matchesLabelMap(svc.selector!, p.meta.labels)));
  // The workload controllers count Ready pods again (cluster/workload-status.ts).
  if (affected.length === 0) return withWorkloadStatus({ ...cluster, pods, podIndex });
  const zoneOf = new Map(cluster.nodes.map((n) => [n.meta.name, n.meta.labels['topology.kubernetes.io/zone'] ?? '']));
  const redo = new Set(affected.map((s) => `${s.meta.namespace}/${s.meta.name}`));
  const kept = cluster.endpointSlices.filter((s) => !(s.managedBy === CONTROLLER && redo.has(`${s.meta.namespace}/${s.serviceName}`)));
  const fresh = affected.flatMap((svc) => slicesForService(svc, podIndex.select(svc.meta.namespace, svc.selector!), zoneOf));
  return withWorkloadStatus({ ...cluster, pods, podIndex, endpointSlices: [...kept, ...fresh] });
}
