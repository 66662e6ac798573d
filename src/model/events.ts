// Events as the API server keeps them (core/v1 Event: the object involved, type, reason,
// message, count, first and last time): what the running cluster's controllers report about
// an object beyond its spec. The daemon keeps them in memory and serves them with its state;
// the CLI lays them over the cluster as objects of kind Event (`knet get events`), and
// `knet get ingress` and `knet diagnose` read those of an Ingress.
import type { OtherObject } from './types.js';
import type { RawObject } from './source.js';
import { compareText } from './order.js';

export interface EventWire {
  readonly apiVersion: 'v1';
  readonly kind: 'Event';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly creationTimestamp: string; readonly uid?: string };
  readonly involvedObject: {
    readonly apiVersion: string; readonly kind: string; readonly namespace: string; readonly name: string;
    readonly uid?: string; readonly fieldPath?: string;
  };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly eventTime?: null;
  readonly source: { readonly component: string; readonly host?: string };
  readonly reportingComponent?: string;
  readonly reportingInstance?: string;
}

/** Events as objects of the cluster (kind Event, namespaced), for `knet get events` and diagnose. */
export function eventObjects(events: readonly EventWire[]): OtherObject[] {
  return events.map((e) => {
    const raw: RawObject = { file: '', value: e as unknown as Record<string, unknown>, locate: () => ({ file: '', line: 0, col: 0 }) };
    return {
      kind: 'Event', apiVersion: 'v1', raw,
      meta: { name: e.metadata.name, namespace: e.metadata.namespace, labels: {}, annotations: {}, uid: '', creationTimestamp: e.metadata.creationTimestamp, deletionTimestamp: '', ownerReferences: [] },
    };
  });
}

/** The events about one object, oldest first. */
export function eventsAbout(others: readonly OtherObject[], kind: string, namespace: string, name: string): EventWire[] {
  return others
    .filter((o) => o.kind === 'Event' && o.raw)
    .map((o) => o.raw!.value as unknown as EventWire)
    .filter((e) => e.involvedObject?.kind === kind && e.involvedObject.namespace === namespace && e.involvedObject.name === name)
    .sort((a, b) => compareText(a.lastTimestamp, b.lastTimestamp));
}

/** The reason the ingress controllers record on an Ingress they leave out because nginx refuses the configuration with it. */
export const REJECTED_BY_NGINX = 'RejectedByNginx';

/** The Ingresses (`ns/name`) whose latest event says the running controllers left them out. */
export function leftOutByNginx(others: readonly OtherObject[]): Map<string, EventWire> {
  const latest = new Map<string, EventWire>();
  for (const o of others) {
    if (o.kind !== 'Event' || !o.raw) continue;
    const e = o.raw.value as unknown as EventWire;
    if (e.involvedObject?.kind !== 'Ingress') continue;
    const ref = `${e.involvedObject.namespace}/${e.involvedObject.name}`;
    const seen = latest.get(ref);
    if (!seen || seen.lastTimestamp <= e.lastTimestamp) latest.set(ref, e);
  }
  return new Map([...latest].filter(([, e]) => e.type === 'Warning' && e.reason === REJECTED_BY_NGINX));
}
