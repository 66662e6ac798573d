// The core/v1 Events a change makes, as the controllers and kubelets of a real cluster record
// them: decided from the cluster before and after (and what the kubelets said about probes),
// never from the process that acted. What `kubectl describe` lists under Events and
// `kubectl get events` prints. The events' names, times and counts come from the log
// that keeps them (events-log.ts).
import type { Certificate, Pod, Workload } from '../model/types.js';
import type { Cluster } from './fill-in.js';
import { RETIRING_ANNOTATION } from './rollout.js';
import { certManagerEvents } from './cert-manager-events.js';

/** The object an event is about, as `involvedObject` names it. */
export interface Involved {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly fieldPath?: string;
}

/** An event before the log names, times and counts it. */
export interface EventDraft {
  readonly involved: Involved;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** source.component and reportingComponent: 'kubelet', 'default-scheduler', 'deployment-controller', ... */
  readonly component: string;
  /** source.host and reportingInstance: the node, for the kubelet's events. */
  readonly host?: string;
}

/** What a kubelet said about a failed probe (its output), when its runtime reports it. */
export interface ProbeFailure {
  readonly pod: string; // ns/name
  readonly container: string;
  readonly probe: 'readiness' | 'liveness' | 'startup';
  readonly output: string;
}

const refOf = (o: { meta: { namespace: string; name: string } }): string => `${o.meta.namespace}/${o.meta.name}`;

const API_VERSION: Record<string, string> = {
  Pod: 'v1', Deployment: 'apps/v1', ReplicaSet: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1', Job: 'batch/v1',
  ReplicationController: 'v1', Certificate: 'cert-manager.io/v1',
};

function involved(o: { kind: string; meta: { namespace: string; name: string; uid: string } }, fieldPath?: string): Involved {
  return { apiVersion: API_VERSION[o.kind] ?? 'v1', kind: o.kind, namespace: o.meta.namespace, name: o.meta.name, uid: o.meta.uid, ...(fieldPath ? { fieldPath } : {}) };
}

const running = (p: Pod | undefined): boolean => p?.status.phase === 'Running';
const terminating = (p: Pod | undefined): boolean => p !== undefined && p.meta.deletionTimestamp !== '';
const containerPath = (name: string) => `spec.containers{${name}}`;
const PROBE_LABEL: Record<ProbeFailure['probe'], string> = { readiness: 'Readiness', liveness: 'Liveness', startup: 'Startup' };

/** Every event the change from `before` to `after` makes, in the order they happen. */
export function clusterEvents(before: Cluster, after: Cluster, probes: readonly ProbeFailure[] = []): EventDraft[] {
  return [...workloadEvents(before, after), ...podEvents(before, after, probes), ...certificateEvents(before, after)];
}

/** The scheduler's and the kubelets' events about pods. */
export function podEvents(before: Cluster, after: Cluster, probes: readonly ProbeFailure[] = []): EventDraft[] {
  const was = new Map(before.pods.map((p) => [refOf(p), p]));
  const out: EventDraft[] = [];
  for (const p of after.pods) {
    const old = was.get(refOf(p));
    const node = p.spec.nodeName;
    const kubelet = (reason: string, message: string, container: string, type: 'Normal' | 'Warning' = 'Normal'): EventDraft =>
      ({ involved: involved(p, containerPath(container)), type, reason, message, component: 'kubelet', host: node });
    if (node && !old?.spec.nodeName) {
      out.push({ involved: involved(p), type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${refOf(p)} to ${node}`, component: 'default-scheduler' });
    }
    const restarts = (p.status.restarts ?? 0) - (old?.status.restarts ?? 0);
    if (running(p) && !running(old) && !p.spec.hostNetwork) {
      for (const c of p.spec.containers) out.push(...containerStart(kubelet, c.name, c.image));
    } else if (running(p) && restarts > 0) {
      // A container restarted: its liveness probe killed it, or it exited and the kubelet backs off.
      const c = p.spec.containers.find((x) => x.livenessProbe !== null) ?? p.spec.containers[0];
      if (c) {
        if (c.livenessProbe) out.push(kubelet('Killing', `Container ${c.name} failed liveness probe, will be restarted`, c.name));
        else out.push(kubelet('BackOff', `Back-off restarting failed container ${c.name} in pod ${p.meta.name}_${p.meta.namespace}(${p.meta.uid})`, c.name, 'Warning'));
        out.push(...containerStart(kubelet, c.name, c.image));
      }
    }
    // The kubelet's words for every failed check: "Readiness probe failed: <the probe's output>".
    const said = probes.filter((f) => f.pod === refOf(p));
    for (const f of said) out.push(kubelet('Unhealthy', `${PROBE_LABEL[f.probe]} probe failed: ${f.output}`.trimEnd(), f.container, 'Warning'));
    if (running(p) && old && old.status.ready === true && p.status.ready === false && !terminating(p) && !said.some((f) => f.probe === 'readiness')) {
      // Not Ready without the runtime's words (an older runtime): the event without the output.
      for (const c of p.spec.containers.filter((x) => x.readinessProbe !== null)) out.push(kubelet('Unhealthy', 'Readiness probe failed:', c.name, 'Warning'));
    }
    if (terminating(p) && old && !terminating(old)) {
      for (const c of p.spec.containers) out.push(kubelet('Killing', `Stopping container ${c.name}`, c.name));
    }
  }
  return out;
}

function containerStart(kubelet: (reason: string, message: string, container: string) => EventDraft, name: string, image: string): EventDraft[] {
  return [
    kubelet('Pulled', `Container image "${image}" already present on machine`, name),
    kubelet('Created', `Created container: ${name}`, name),
    kubelet('Started', `Started container ${name}`, name),
  ];
}

/** The controller that owns a pod (its controller ownerReference), as `Kind|ns/name`. */
function ownerKey(p: Pod): string | null {
  const o = p.meta.ownerReferences.find((r) => r.controller) ?? p.meta.ownerReferences[0];
  return o ? `${o.kind}|${p.meta.namespace}/${o.name}` : null;
}

/** Active pods (not terminating) per owning controller. */
function podsByOwner(c: Cluster): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of c.pods) {
    if (terminating(p)) continue;
    const k = ownerKey(p);
    if (k) out.set(k, [...(out.get(k) ?? []), p]);
  }
  return out;
}

const CONTROLLER: Record<string, string> = {
  ReplicaSet: 'replicaset-controller', StatefulSet: 'statefulset-controller', DaemonSet: 'daemonset-controller',
  Job: 'job-controller', ReplicationController: 'replication-controller',
};

/** A pod's controller as the events name it; a retiring pod's old ReplicaSet may be gone from the workloads. */
interface Controller {
  readonly kind: string;
  readonly meta: { readonly namespace: string; readonly name: string; readonly uid: string };
  /** Its Deployment (`ns/name`), for a ReplicaSet. */
  readonly deployment: string | null;
}

function controllersOf(c: Cluster, into: Map<string, Controller>): void {
  for (const w of c.workloads) {
    const d = w.meta.ownerReferences.find((o) => o.kind === 'Deployment');
    into.set(`${w.kind}|${refOf(w)}`, { kind: w.kind, meta: w.meta, deployment: d ? `${w.meta.namespace}/${d.name}` : null });
  }
  for (const p of c.pods) {
    const o = p.meta.ownerReferences.find((r) => r.controller) ?? p.meta.ownerReferences[0];
    const key = o ? `${o.kind}|${p.meta.namespace}/${o.name}` : '';
    if (!o || into.has(key)) continue;
    const retiring = p.meta.annotations[RETIRING_ANNOTATION];
    into.set(key, { kind: o.kind, meta: { namespace: p.meta.namespace, name: o.name, uid: o.uid }, deployment: retiring ?? null });
  }
}

/** The workload controllers' events: ReplicaSets scaled, pods created and deleted, Jobs completed. */
export function workloadEvents(before: Cluster, after: Cluster): EventDraft[] {
  const was = podsByOwner(before);
  const now = podsByOwner(after);
  const controllers = new Map<string, Controller>();
  controllersOf(before, controllers);
  controllersOf(after, controllers);
  // The Deployments' scaling first, as the deployment controller acts before the ReplicaSets'.
  const out: EventDraft[] = scalingEvents(after, controllers, was, now);
  for (const [key, w] of controllers) {
    const component = CONTROLLER[w.kind];
    if (!component) continue;
    const oldNames = new Set((was.get(key) ?? []).map((p) => p.meta.name));
    const newNames = new Set((now.get(key) ?? []).map((p) => p.meta.name));
    const sts = w.kind === 'StatefulSet';
    for (const name of [...newNames].filter((n) => !oldNames.has(n)).sort()) {
      out.push({ involved: involved(w), type: 'Normal', reason: 'SuccessfulCreate', message: sts ? `create Pod ${name} in StatefulSet ${w.meta.name} successful` : `Created pod: ${name}`, component });
    }
    // A retiring pod that leaves is one its old ReplicaSet deleted.
    for (const name of [...oldNames].filter((n) => !newNames.has(n)).sort()) {
      out.push({ involved: involved(w), type: 'Normal', reason: 'SuccessfulDelete', message: sts ? `delete Pod ${name} in StatefulSet ${w.meta.name} successful` : `Deleted pod: ${name}`, component });
    }
  }
  for (const job of after.workloads.filter((w) => w.kind === 'Job')) {
    const old = before.workloads.find((w) => w.kind === 'Job' && refOf(w) === refOf(job));
    if (complete(job) && !(old && complete(old))) out.push({ involved: involved(job), type: 'Normal', reason: 'Completed', message: 'Job completed', component: 'job-controller' });
  }
  return out;
}

const complete = (job: Workload): boolean =>
  Array.isArray(job.status?.['conditions']) && (job.status['conditions'] as { type: string; status: string }[]).some((c) => c.type === 'Complete' && c.status === 'True');

/**
 * The deployment controller's ScalingReplicaSet: each ReplicaSet of a Deployment whose size
 * (its pods still there) moved, "Scaled up replica set web-5d9c to 3 from 0".
 */
function scalingEvents(after: Cluster, controllers: ReadonlyMap<string, Controller>, was: Map<string, Pod[]>, now: Map<string, Pod[]>): EventDraft[] {
  const out: EventDraft[] = [];
  const deployments = new Map(after.workloads.filter((w) => w.kind === 'Deployment').map((d) => [refOf(d), d]));
  for (const [key, rs] of controllers) {
    const d = rs.kind === 'ReplicaSet' && rs.deployment ? deployments.get(rs.deployment) : undefined;
    if (!d) continue;
    const from = was.get(key)?.length ?? 0;
    const to = now.get(key)?.length ?? 0;
    if (from === to) continue;
    out.push({ involved: involved(d), type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.meta.name} to ${to} from ${from}`, component: 'deployment-controller' });
  }
  return out;
}

/** cert-manager's steps (cert-manager-events.ts). */
export function certificateEvents(before: Cluster, after: Cluster): EventDraft[] {
  return certManagerEvents(before, after);
}
