// What a DNS answer is in knet: the response code, the answer records in zone-file
// presentation form, and the reasons that led to them; or UNKNOWN where the answer is an
// upstream's that knet does not model (a public name, a nameserver outside the model).
import type { RRType } from './names.js';

/** The response codes knet's servers send. */
export type WireRcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
/** UNKNOWN: an upstream knet does not model answers; never from a closed-world index (the running cluster). */
export type Rcode = WireRcode | 'UNKNOWN';

/** One resource record; `data` in zone-file presentation form (`0 50 9092 kafka-0.x.`). */
export interface RR {
  readonly name: string; // absolute, with the trailing dot
  readonly type: RRType;
  readonly ttl: number;
  readonly data: string;
}

export interface DnsAnswer {
  readonly rcode: Rcode;
  readonly answers: readonly RR[];
  readonly additional: readonly RR[];
  /** The authority section: the zone's SOA in the kubernetes plugin's NXDOMAIN and NODATA answers. */
  readonly authority?: readonly RR[];
  /** Who answered: the cluster's DNS (kubernetes plugin), the upstream it forwards to, or nobody. */
  readonly source: 'kubernetes' | 'upstream' | 'none';
  readonly reasons: readonly string[];
  /** No server answered at all (a stub resolver times out and gives up, it does not search on). */
  readonly timedOut?: boolean;
}

/** `name. 30 IN A 10.96.0.1`: one record as a zone file (and dig) prints it. */
export function zoneLine(rr: RR): string {
  return `${rr.name} ${rr.ttl} IN ${rr.type} ${rr.data}`;
}

/** TXT data in presentation form: each string quoted, quotes and backslashes escaped. */
export function txtData(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The answer's rcode for the wire; a closed-world index never answers UNKNOWN (a programming error). */
export function wireRcode(a: DnsAnswer): WireRcode {
  if (a.rcode === 'UNKNOWN') throw new Error(`an open-world answer reached the wire: ${a.reasons.join('; ')}`);
  return a.rcode;
}

/** An answer with data is NOERROR; NOERROR without data is NODATA (the name exists, the type does not). */
export function isNoData(a: DnsAnswer): boolean {
  return a.rcode === 'NOERROR' && a.answers.length === 0;
}
