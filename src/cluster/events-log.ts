// The events the API server keeps: each recorded event named `<object>.<hex of the time>`,
// a repeat of the same event (same object, reason, message, reporter) folded into the one
// before with its count raised and lastTimestamp moved, as the client-go recorder's
// aggregation does; only the newest `max` kept (kube-apiserver lets them expire after an hour).
import type { EventWire } from '../model/events.js';
import { stableUid } from '../model/uid.js';
import type { EventDraft } from './events.js';

const keyOf = (d: EventDraft): string =>
  JSON.stringify([d.involved.kind, d.involved.namespace, d.involved.name, d.involved.uid, d.involved.fieldPath ?? '', d.reason, d.message, d.component, d.host ?? '']);

export class EventLog {
  private readonly byKey = new Map<string, EventWire>();
  private sequence = 0;

  constructor(private readonly max = 1000) {}

  /** Records the drafts at `now`; returns the events as they now stand (new or with a higher count). */
  record(drafts: readonly EventDraft[], now: Date): EventWire[] {
    const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const changed: EventWire[] = [];
    for (const d of drafts) {
      const key = keyOf(d);
      const seen = this.byKey.get(key);
      // Deleted and set again: the Map keeps insertion order, so the log stays oldest-last-seen first.
      this.byKey.delete(key);
      const event: EventWire = seen
        ? { ...seen, count: seen.count + 1, lastTimestamp: at }
        : eventOf(d, at, `${d.involved.name}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000)).toString(16)}`);
      this.byKey.set(key, event);
      changed.push(event);
    }
    while (this.byKey.size > this.max) this.byKey.delete(this.byKey.keys().next().value!);
    return changed;
  }

  /** Every event kept, least recently seen first (kubectl's `get events` order). */
  list(): EventWire[] {
    return [...this.byKey.values()];
  }
}

function eventOf(d: EventDraft, at: string, name: string): EventWire {
  const { involved } = d;
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name, namespace: involved.namespace || 'default', creationTimestamp: at, uid: stableUid(`event/${involved.namespace}/${name}`) },
    involvedObject: {
      apiVersion: involved.apiVersion, kind: involved.kind, namespace: involved.namespace, name: involved.name,
      ...(involved.uid ? { uid: involved.uid } : {}), ...(involved.fieldPath ? { fieldPath: involved.fieldPath } : {}),
    },
    type: d.type, reason: d.reason, message: d.message, count: 1, firstTimestamp: at, lastTimestamp: at, eventTime: null,
    source: { component: d.component, ...(d.host ? { host: d.host } : {}) },
    reportingComponent: d.component, reportingInstance: d.host ?? '',
  };
}
