// How a trace reads: like traceroute for Kubernetes, one line per layer (what was checked,
// what decided it), the evidence indented under the lines that need it, and the verdict
// with the fix at the end. Pure: colour comes from the caller's `style`.
import type { Trace, TraceStep } from './trace-types.js';

export type Tone = 'ok' | 'fail' | 'warn' | 'dim' | 'bold';
export type Style = (tone: Tone, text: string) => string;

export const PLAIN: Style = (_tone, text) => text;

export function stepLabel(s: TraceStep): string {
  switch (s.layer) {
    case 'dns': return 'dns';
    case 'policy': return `${s.direction} policy`;
    case 'service': return s.via === 'ingress-nginx' ? 'backend' : 'service';
    case 'pod-network': return 'pod network';
    case 'container': return 'container';
    case 'ingress': return 'ingress';
    case 'tls': return 'tls';
  }
}

const LABEL_WIDTH = 15;
const STATUS_WIDTH = 5;

export function renderTrace(t: Trace, style: Style = PLAIN, verbose = false): string {
  const from = t.from === 'external' ? `external (${t.fromAddress}, the internet)` : `${t.from} (${t.fromAddress}${t.fromNode && !t.from.startsWith('node/') ? ` on ${t.fromNode}` : ''})`;
  const lines = [style('bold', `trace ${from} -> ${t.target} ${t.protocol}`), ''];
  const indent = ' '.repeat(2 + LABEL_WIDTH + 1 + STATUS_WIDTH + 1);
  for (const s of t.steps) {
    const status = s.unknown ? style('warn', '?'.padEnd(STATUS_WIDTH)) : !s.ok ? style('fail', 'FAIL'.padEnd(STATUS_WIDTH)) : s.warning ? style('warn', 'warn'.padEnd(STATUS_WIDTH)) : style('ok', 'ok'.padEnd(STATUS_WIDTH));
    lines.push(`  ${stepLabel(s).padEnd(LABEL_WIDTH)} ${status} ${s.summary}`);
    const details = verbose || !s.ok || s.layer === 'dns' ? s.details : [];
    for (const d of details) lines.push(style('dim', `${indent}${d}`));
    if (s.warning) lines.push(style('warn', `${indent}! ${s.warning}`));
  }
  lines.push('');
  if (t.verdict === 'unknown') {
    lines.push(style('warn', `UNKNOWN at ${t.unknownAt}: ${t.reason}`));
    if (t.hint) lines.push(`  to know: ${t.hint}`);
  } else if (t.verdict === 'delivered') {
    lines.push(style('ok', t.reason));
    if (t.hint) lines.push(style('warn', `  note: ${t.hint}`));
  } else {
    lines.push(style('fail', `FAILED at ${t.failedAt}: ${t.reason}`));
    if (t.hint) lines.push(`  fix: ${t.hint}`);
  }
  return lines.join('\n');
}

/** The documented JSON form: the verdict, the failing (or unknown) layer, every step as data, the fix. */
export function traceJson(t: Trace): Record<string, unknown> {
  return {
    from: t.from, target: t.target, protocol: t.protocol,
    verdict: t.verdict, failedAt: t.failedAt, ...(t.verdict === 'unknown' ? { unknownAt: t.unknownAt } : {}), reason: t.reason, hint: t.hint,
    delivered: t.delivered,
    steps: t.steps.map((s) => ({ ...s })),
  };
}
