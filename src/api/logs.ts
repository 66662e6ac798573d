// `kubectl logs`: what kube-apiserver's PodLogOptions ask for (container, follow, previous,
// sinceSeconds/sinceTime, timestamps, tailLines, limitBytes), checked in its words, and which
// bytes of a container's log answer them. Pure: the file's text, its last-modified time and
// "now" come in. knet's container logs are the programs' own output without the kubelet's
// per-line times: a line's time is the one it carries (nginx's access log, RFC 3339 stamps),
// else that of the next line that carries one, else the file's last write.
import type { ApiError } from './api-error.js';

export interface LogOptions {
  readonly container: string;
  readonly follow: boolean;
  readonly previous: boolean;
  readonly sinceTime: Date | null;
  readonly timestamps: boolean;
  readonly tailLines: number | null;
  readonly limitBytes: number | null;
}

const bool = (v: string | null): boolean => v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);

/** PodLogOptions from the query; a bad value is kube-apiserver's 422 for PodLogOptions. */
export function logOptions(pod: string, q: URLSearchParams, now: Date): LogOptions | ApiError {
  const invalid = (field: string, value: string, why: string): ApiError => ({
    code: 422, reason: 'Invalid', message: `PodLogOptions "${pod}" is invalid: ${field}: Invalid value: ${value}: ${why}`,
    details: { name: pod, kind: 'PodLogOptions', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${why}`, field }] },
  });
  const int = (name: string): number | null | ApiError => {
    const v = q.get(name);
    if (v === null || v === '') return null;
    if (!/^-?\d+$/.test(v)) return { code: 400, reason: 'BadRequest', message: `strconv.ParseInt: parsing "${v}": invalid syntax` };
    return Number(v);
  };
  const tailLines = int('tailLines');
  const limitBytes = int('limitBytes');
  const sinceSeconds = int('sinceSeconds');
  for (const v of [tailLines, limitBytes, sinceSeconds]) if (v !== null && typeof v === 'object') return v;
  if (typeof tailLines === 'number' && tailLines < 0) return invalid('tailLines', String(tailLines), 'must be greater than or equal to 0');
  if (typeof limitBytes === 'number' && limitBytes < 1) return invalid('limitBytes', String(limitBytes), 'must be greater than 0');
  if (typeof sinceSeconds === 'number' && sinceSeconds < 1) return invalid('sinceSeconds', String(sinceSeconds), 'must be greater than 0');
  const sinceText = q.get('sinceTime');
  if (sinceText && sinceSeconds !== null) return invalid('sinceSeconds', String(sinceSeconds), 'at most one of `sinceTime` or `sinceSeconds` may be specified');
  let sinceTime: Date | null = null;
  if (sinceText) {
    sinceTime = new Date(sinceText);
    if (!/^\d{4}-\d\d-\d\dT/.test(sinceText) || Number.isNaN(sinceTime.getTime())) {
      return { code: 400, reason: 'BadRequest', message: `parsing time "${sinceText}" as "2006-01-02T15:04:05Z07:00": cannot parse "${sinceText}" as "2006"` };
    }
  } else if (typeof sinceSeconds === 'number') {
    sinceTime = new Date(now.getTime() - sinceSeconds * 1000);
  }
  return {
    container: q.get('container') ?? '',
    follow: bool(q.get('follow')),
    previous: bool(q.get('previous')),
    sinceTime,
    timestamps: bool(q.get('timestamps')),
    tailLines: tailLines as number | null,
    limitBytes: limitBytes as number | null,
  };
}

/** `--previous` of a container that never restarted: the kubelet's words. */
export function previousMissing(pod: string, container: string): ApiError {
  return { code: 400, reason: 'BadRequest', message: `previous terminated container "${container}" in pod "${pod}" not found` };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The time a line carries: nginx's `[08/Dec/2026:02:50:15 +0000]`, or a leading RFC 3339 stamp. */
export function lineTime(line: string): Date | null {
  const n = /\[(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]/.exec(line);
  if (n) {
    const month = MONTHS.indexOf(n[2]!);
    if (month < 0) return null;
    const offset = (n[7] === '-' ? -1 : 1) * (Number(n[8]) * 60 + Number(n[9])) * 60_000;
    return new Date(Date.UTC(Number(n[3]), month, Number(n[1]), Number(n[4]), Number(n[5]), Number(n[6])) - offset);
  }
  const iso = /^\[?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))/.exec(line);
  if (iso) {
    const d = new Date(iso[1]!.replace(' ', 'T'));
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** Go's time.RFC3339Nano in UTC, as the kubelet stamps log lines: `2026-12-08T02:50:15.123Z`. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.?0*Z$/, 'Z');
}

/** Lines of a log with the time each was written (as near as knet knows it). */
export function stampLines(text: string, lastWrite: Date): { line: string; time: Date }[] {
  const lines = text.split(/(?<=\n)/).filter((l) => l !== '');
  const out: { line: string; time: Date }[] = new Array(lines.length);
  let next = lastWrite;
  for (let i = lines.length - 1; i >= 0; i--) {
    const own = lineTime(lines[i]!);
    if (own) next = own;
    out[i] = { line: lines[i]!, time: own ?? next };
  }
  return out;
}

/** What kubectl gets from the log as it is: since, then the last tailLines, stamped, cut at limitBytes. */
export function selectLog(text: string, lastWrite: Date, o: Pick<LogOptions, 'sinceTime' | 'tailLines' | 'timestamps' | 'limitBytes'>): string {
  if (o.tailLines === 0) return '';
  let lines = stampLines(text, lastWrite);
  if (o.sinceTime) lines = lines.filter((l) => l.time.getTime() >= o.sinceTime!.getTime());
  if (o.tailLines !== null) lines = lines.slice(-o.tailLines);
  const out = lines.map((l) => (o.timestamps ? `${rfc3339Nano(l.time)} ${l.line}` : l.line)).join('');
  return o.limitBytes === null ? out : limitBytes(out, o.limitBytes);
}

/** The first `n` bytes of `text` (a split character is cut, as the kubelet cuts bytes). */
export function limitBytes(text: string, n: number): string {
  const b = Buffer.from(text);
  return b.length <= n ? text : b.subarray(0, n).toString();
}

/** Stamps complete lines of followed output with the time they arrived; a partial line waits for its end. */
export class LineStamper {
  private partial = '';

  push(chunk: string, now: Date): string {
    const text = this.partial + chunk;
    const end = text.lastIndexOf('\n') + 1;
    this.partial = text.slice(end);
    if (end === 0) return '';
    return text.slice(0, end).split(/(?<=\n)/).map((l) => `${rfc3339Nano(now)} ${l}`).join('');
  }
}
