// Part of `npm run bench -- api`: many watches of every pod, opened from one list's
// resourceVersion, while a Deployment scales up and down; then a final list, and a marker pod
// made after it so each watch knows it has every event up to that list. No event is lost when
// each watch's events, replayed over the first list, give the final list exactly (names and
// resourceVersions).
import { patchJson, type ApiTarget } from '../api-target.js';
import type { BenchResult } from '../suite.js';

const CYCLES = 3;
const OPEN_AT_ONCE = 50;
const WAIT_MS = 120_000;

interface Listed {
  readonly resourceVersion: number;
  readonly pods: ReadonlyMap<string, string>; // ns/name -> resourceVersion
}

interface Watch {
  /** Every event of a pod but the marker, in the order it came. */
  readonly received: PodEvent[];
  lastRv: number;
  outOfOrder: number;
  markerAt: number;
  close(): void;
}

interface PodEvent {
  type: string;
  object: { metadata: { namespace: string; name: string; resourceVersion: string } };
}

async function listPods(t: ApiTarget, query = ''): Promise<Listed> {
  const a = await t.request('GET', `/api/v1/pods${query}`);
  if (a.code !== 200) throw new Error(`GET /api/v1/pods: ${a.code}`);
  const list = JSON.parse(a.body) as { metadata: { resourceVersion: string }; items: PodEvent['object'][] };
  return {
    resourceVersion: Number(list.metadata.resourceVersion),
    pods: new Map(list.items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.metadata.resourceVersion])),
  };
}

async function waitFor(what: string, ok: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  while (!(await ok())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One line's event, parsed once for every watch that receives the same line. */
const parsed = new Map<string, PodEvent>();
function parseLine(line: string): PodEvent {
  let e = parsed.get(line);
  if (!e) {
    if (parsed.size > 20_000) parsed.clear();
    e = JSON.parse(line) as PodEvent;
    parsed.set(line, e);
  }
  return e;
}

export async function churnWatches(t: ApiTarget, count: number, churn: number, log: (line: string) => void): Promise<BenchResult> {
  const first = await listPods(t);
  const watches: Watch[] = [];
  try {
    for (let i = 0; i < count; i += OPEN_AT_ONCE) {
      const batch = Array.from({ length: Math.min(OPEN_AT_ONCE, count - i) }, async () => {
        const w: Watch = { received: [], lastRv: first.resourceVersion, outOfOrder: 0, markerAt: 0, close: () => {} };
        const s = await t.stream(`/api/v1/pods?watch=1&resourceVersion=${first.resourceVersion}`, (line) => {
          const e = parseLine(line);
          const m = e.object.metadata;
          const rv = Number(m.resourceVersion);
          if (rv <= w.lastRv) w.outOfOrder++;
          w.lastRv = rv;
          if (m.namespace === 'bench' && m.name === 'marker') w.markerAt = rv;
          else w.received.push(e);
        });
        w.close = () => s.close();
        return w;
      });
      watches.push(...(await Promise.all(batch)));
    }
    log(`${watches.length} watches open from resourceVersion ${first.resourceVersion}; ${CYCLES} times bench/churn 0 -> ${churn} -> 0`);
    const t0 = performance.now();
    const churnPods = async (): Promise<number> => (await listPods(t, '?labelSelector=app%3Dchurn')).pods.size;
    for (let c = 0; c < CYCLES; c++) {
      await patchJson(t, '/apis/apps/v1/namespaces/bench/deployments/churn', { spec: { replicas: churn } });
      await waitFor(`bench/churn at ${churn} pods`, async () => (await churnPods()) === churn);
      await patchJson(t, '/apis/apps/v1/namespaces/bench/deployments/churn', { spec: { replicas: 0 } });
      await waitFor('bench/churn at 0 pods', async () => (await churnPods()) === 0);
    }
    const churnMs = performance.now() - t0;
    const last = await listPods(t);
    const marker = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'marker', namespace: 'bench' }, spec: { containers: [{ name: 'c', image: 'agnhost' }] } };
    const made = await t.request('POST', '/api/v1/namespaces/bench/pods', JSON.stringify(marker));
    if (made.code !== 201) throw new Error(`POST bench/marker: ${made.code} ${made.body.slice(0, 300)}`);
    await waitFor('the marker pod on every watch', () => watches.every((w) => w.markerAt > 0));
    let lost = 0;
    let events = 0;
    let disordered = 0;
    for (const w of watches) {
      events += w.received.length;
      disordered += w.outOfOrder;
      const replayed = new Map(first.pods);
      for (const e of w.received) {
        const m = e.object.metadata;
        if (Number(m.resourceVersion) > last.resourceVersion) break; // after the final list
        if (e.type === 'DELETED') replayed.delete(`${m.namespace}/${m.name}`);
        else replayed.set(`${m.namespace}/${m.name}`, m.resourceVersion);
      }
      if (!sameMap(replayed, last.pods)) lost++;
    }
    log(`${events} events delivered in all; ${disordered} out of order`);
    return {
      figure: `${count} watches of every pod while ${churn} pods churn (${CYCLES} x up and down): watches whose events do not replay to the final list`,
      value: lost, unit: 'watches', target: '= 0', ok: lost === 0 && disordered === 0,
      note: `${events} events, ${disordered} out of order, churn took ${(churnMs / 1000).toFixed(1)} s; ${t.where}`,
    };
  } finally {
    for (const w of watches) w.close();
  }
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
