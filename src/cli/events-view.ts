// Under a table of Ingresses in `knet get`, the events about them, as `kubectl describe`
// lists them: an Ingress the controllers left out because nginx refused it says so there,
// not only in daemon.log. (`knet get events` lists them all: tables.ts.)
import type { Cluster } from '../cluster/fill-in.js';
import { eventsAbout } from '../model/events.js';
import type { AnyObject } from '../cluster/wire.js';
import { age, renderTable } from './tables.js';

/** `Events:` under the Ingresses listed, when the running cluster has any about them. */
export function ingressEventsBlock(kind: string, objects: readonly AnyObject[], cluster: Cluster, now: number): string | null {
  if (kind !== 'Ingress') return null;
  const events = objects.flatMap((o) => eventsAbout(cluster.others, 'Ingress', o.meta.namespace, o.meta.name));
  if (events.length === 0) return null;
  const table = renderTable({
    headers: ['TYPE', 'REASON', 'OBJECT', 'AGE', 'FROM', 'MESSAGE'],
    rows: events.map((e) => [e.type, e.reason, `ingress/${e.involvedObject.name}`, `${age(e.lastTimestamp, now)}${e.count > 1 ? ` (x${e.count})` : ''}`, e.source.component, e.message]),
  });
  return `\nEvents:\n${table.split('\n').map((l) => `  ${l}`).join('\n')}`;
}
