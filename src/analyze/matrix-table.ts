// The matrix as people and scripts read it: a cyclonus-style truth table (rows from,
// columns to, `.` allowed, `X` blocked, `?` unknown, short column labels keyed to the numbered rows),
// and the documented JSON form.
import type { PodMatrix } from './matrix.js';

export interface MatrixJson {
  readonly port: number;
  readonly protocol: string;
  readonly enforced: boolean;
  readonly pods: readonly string[];
  /** true or false between pods; "unknown" to and from the `unknown` entries' labels. */
  readonly allowed: Readonly<Record<string, Readonly<Record<string, boolean | 'unknown'>>>>;
  /** Present when pods knet cannot list stand in rows and columns: label -> the Service and why. */
  readonly unknown?: Readonly<Record<string, { readonly service: string; readonly reason: string }>>;
}

export function matrixJson(m: PodMatrix): MatrixJson {
  const allowed: Record<string, Record<string, boolean | 'unknown'>> = {};
  const extra = m.unknownPods.map((u) => u.ref);
  m.refs.forEach((from, i) => {
    const row: Record<string, boolean | 'unknown'> = {};
    m.refs.forEach((to, j) => {
      row[to] = m.allowed(i, j);
    });
    for (const to of extra) row[to] = 'unknown';
    allowed[from] = row;
  });
  for (const from of extra) allowed[from] = Object.fromEntries([...m.refs, ...extra].map((to) => [to, 'unknown' as const]));
  const json = { port: m.traffic.port, protocol: m.traffic.protocol, enforced: m.enforcement.kind === 'enforced', pods: m.refs, allowed };
  if (extra.length === 0) return json;
  return { ...json, unknown: Object.fromEntries(m.unknownPods.map((u) => [u.ref, { service: u.service, reason: u.reason }])) };
}

export function matrixNotes(m: PodMatrix): string[] {
  const e = m.enforcement;
  if (e.kind === 'enforced') return [];
  const n = `${m.policyCount} NetworkPolic${m.policyCount === 1 ? 'y' : 'ies'}`;
  return m.policiesApplied
    ? [`assuming enforcement: ${e.cni} would not enforce these ${n} (${e.why})`]
    : [`${e.cni} does not enforce NetworkPolicies: every connection is allowed although the cluster has ${n}`,
      'pass --assume-enforced to see what the policies would do under an enforcing network (calico, azure, kubenet)'];
}

export function renderMatrixTable(m: PodMatrix): string {
  const { traffic } = m;
  const known = m.refs.length;
  const refs = [...m.refs, ...m.unknownPods.map((u) => u.ref)];
  const head = `${traffic.protocol}/${traffic.port} to each pod's IP (rows: from, columns: to; . allowed, X blocked${m.unknownPods.length ? ', ? unknown' : ''})`;
  const notes = matrixNotes(m).map((l) => `note: ${l}`);
  if (refs.length === 0) return [head, ...notes, '', 'no pods with an IP'].join('\n');

  // Short names (x/a) label columns themselves; longer ones are numbered, the rows being the legend.
  const short = refs.every((r) => r.length <= 5);
  const numWidth = String(refs.length).length;
  const cols = short ? refs : refs.map((_, i) => String(i + 1));
  const cw = Math.max(...cols.map((c) => c.length));
  const rowLabels = short ? refs : refs.map((r, i) => `${String(i + 1).padStart(numWidth)} ${r}`);
  const lw = Math.max(...rowLabels.map((l) => l.length));
  const lines = [head, ...notes, ''];
  lines.push(`${' '.repeat(lw)}  ${cols.map((c) => c.padStart(cw)).join(' ')}`.trimEnd());
  let blocked = 0;
  refs.forEach((_, i) => {
    const cells = refs.map((__, j) => {
      if (i >= known || j >= known) return '?'.padStart(cw);
      const ok = m.allowed(i, j);
      if (!ok) blocked++;
      return (ok ? '.' : 'X').padStart(cw);
    });
    lines.push(`${rowLabels[i]!.padEnd(lw)}  ${cells.join(' ')}`);
  });
  const pairs = known * (known - 1);
  lines.push('');
  lines.push(`${known} pod${known === 1 ? '' : 's'} in ${m.classCount} class${m.classCount === 1 ? '' : 'es'}; ${blocked} of ${pairs} connections between different pods blocked`);
  if (m.unknownPods.length > 0) {
    lines.push(`? unknown: ${m.unknownPods.length === 1 ? 'a row and column stand' : 'rows and columns stand'} for pods knet cannot list:`);
    for (const u of m.unknownPods) lines.push(`  ${u.ref}  pods of Service ${u.service}; ${u.reason}`);
  }
  return lines.join('\n');
}
