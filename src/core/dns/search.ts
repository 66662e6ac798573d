// How a pod's resolver turns a name into queries, as glibc's res_nsearch does for
// getaddrinfo: a trailing dot means one absolute query; a name with at least ndots dots
// is tried as-is first; otherwise each search domain is appended in turn and the name
// itself comes last. Each candidate is asked for A and AAAA; the first candidate with
// an answer wins; NXDOMAIN, NODATA and SERVFAIL go on to the next; a timeout or a refusal stops.
// UNKNOWN (an upstream knet does not model) goes on too, and is what the lookup ends with
// when the name as written was unknown and no other candidate resolved.
import type { DnsAnswer, Rcode, RR } from './message.js';
import { fqdn, type RRType } from './names.js';
import { ndotsOf, type ResolvConf } from './resolv-conf.js';

export interface SentQuery {
  readonly name: string; // absolute, with the trailing dot
  readonly type: RRType;
  readonly rcode: Rcode;
  readonly answers: number;
  readonly timedOut: boolean;
}

export interface SearchAdvice {
  readonly message: string;
  readonly fixes: readonly string[];
}

export interface SearchResult {
  readonly server: string; // the first nameserver, which glibc asks
  readonly ndots: number;
  readonly candidates: readonly string[]; // the names tried, in order
  readonly queries: readonly SentQuery[];
  readonly packets: number; // queries on the wire (one packet each, no retries)
  readonly rcode: Rcode; // NOERROR when resolved; else what getaddrinfo reports
  readonly resolved: { readonly name: string; readonly answers: readonly RR[] } | null;
  readonly advice: SearchAdvice | null;
  readonly reasons: readonly string[];
}

/** Asks one nameserver one question. */
export type Ask = (server: string, name: string, type: RRType) => DnsAnswer;

/**
 * The candidates glibc tries for `name` (res_nsearch), before any is asked: absolute
 * names alone; `dots >= ndots` as-is first, then the search list; otherwise the search
 * list, then as-is (single labels too, unless `no-tld-query`).
 */
export function searchCandidates(conf: ResolvConf, name: string): string[] {
  if (name.endsWith('.')) return [name];
  const dots = (name.match(/\./g) ?? []).length;
  const ndots = ndotsOf(conf);
  const searched = conf.searches.map((s) => `${name}.${s}.`);
  if (dots >= ndots) return [`${name}.`, ...searched];
  const noTld = conf.options.includes('no-tld-query') && dots === 0;
  return noTld ? searched : [...searched, `${name}.`];
}

/**
 * Resolves `name` from a pod: `types` is [A, AAAA] for getaddrinfo (both per candidate,
 * a candidate succeeds when either has records) or one type for res_search.
 */
export function searchName(conf: ResolvConf, name: string, types: readonly RRType[], ask: Ask): SearchResult {
  const server = conf.nameservers[0] ?? '';
  const ndots = ndotsOf(conf);
  const candidates = searchCandidates(conf, name);
  const queries: SentQuery[] = [];
  const reasons: string[] = [];
  const tried: string[] = [];
  let gotNoData = false;
  let gotServfail = false;
  let firstAsIs: Rcode | null = null;
  let asIs: Rcode | null = null;
  const unknown: string[] = [];
  let stopped: Rcode | null = null;
  let resolved: SearchResult['resolved'] = null;

  if (!server) {
    return {
      server, ndots, candidates, queries, packets: 0, rcode: 'SERVFAIL', resolved: null, advice: null,
      reasons: ['the pod\'s resolv.conf has no nameserver: nothing is asked'],
    };
  }
  for (const candidate of candidates) {
    tried.push(candidate);
    const answers = types.map((t) => ask(server, candidate, t));
    answers.forEach((a, i) => queries.push({
      name: candidate, type: types[i]!, rcode: a.rcode, answers: a.answers.length, timedOut: a.timedOut === true,
    }));
    const positive = answers.filter((a) => a.rcode === 'NOERROR' && a.answers.length > 0);
    if (positive.length > 0) {
      const seen = new Set<string>();
      const all = positive.flatMap((a) => a.answers).filter((rr) => {
        const key = `${rr.name} ${rr.type} ${rr.data}`;
        return seen.has(key) ? false : (seen.add(key), true);
      });
      resolved = { name: candidate, answers: all };
      reasons.push(...positive[0]!.reasons);
      break;
    }
    // glibc combines the pair: A's rcode unless it is NOERROR, then AAAA's.
    const first = answers[0]!;
    const combined = first.rcode !== 'NOERROR' ? first : answers[answers.length - 1]!;
    if (candidate === `${name}.` && candidates[0] === candidate) firstAsIs = combined.rcode;
    if (candidate === `${name}.` || candidate === name) asIs = combined.rcode;
    if (combined.rcode === 'UNKNOWN') {
      unknown.push(candidate);
      reasons.push(...combined.reasons);
      continue;
    }
    if (combined.timedOut) {
      stopped = 'SERVFAIL';
      reasons.push(...combined.reasons, 'the resolver gives up after the timeout (5 s x attempts): it does not try the other candidates');
      break;
    }
    if (combined.rcode === 'REFUSED') {
      stopped = 'REFUSED';
      reasons.push(...combined.reasons, 'a refusal ends the search');
      break;
    }
    if (combined.rcode === 'NOERROR') gotNoData = true;
    if (combined.rcode === 'SERVFAIL') gotServfail = true;
  }

  const allUnknown = unknown.length > 0 && unknown.length === tried.length;
  const rcode: Rcode = resolved ? 'NOERROR'
    : stopped ?? (asIs === 'UNKNOWN' || allUnknown ? 'UNKNOWN' : null) ?? firstAsIs ?? (gotNoData ? 'NOERROR' : gotServfail ? 'SERVFAIL' : 'NXDOMAIN');
  if (resolved && unknown.length > 0) {
    reasons.push(`knet does not know what the upstream answers for ${unknown.join(', ')}, asked before ${resolved.name}: if it has records there, they win`);
  } else if (!resolved && !stopped && rcode !== 'UNKNOWN') {
    if (unknown.length > 0) reasons.push(`knet takes the upstream to have no ${unknown.join(', ')} (it does not know)`);
    reasons.push(`none of the ${tried.length} names has ${types.join(' or ')} records`);
  }
  return {
    server, ndots, candidates: tried, queries, packets: queries.length, rcode, resolved, reasons,
    // A name the upstream answers (UNKNOWN as written) costs its search list all the same.
    advice: adviceFor(name, conf, ndots, tried, resolved ?? (asIs === 'UNKNOWN' ? { name: fqdn(name), answers: [] } : null), types.length),
  };
}

/** The ndots:5 problem: a name that costs more than two candidates says so, with the fixes. */
function adviceFor(
  name: string, conf: ResolvConf, ndots: number, tried: readonly string[], resolved: SearchResult['resolved'], perName: number,
): SearchAdvice | null {
  if (tried.length <= 2) return null;
  const dots = (name.match(/\./g) ?? []).length;
  const packets = tried.length * perName;
  const cost = `${tried.length} names, ${packets} packets for one lookup`;
  if (resolved && resolved.name === `${name}.` && dots > 0) {
    const before = tried.length - 1;
    return {
      message: `${name} has ${dots} dot${dots > 1 ? 's' : ''}, fewer than ndots:${ndots}, so the resolver tries ${before} search domain${before > 1 ? 's' : ''} before the name itself: ${cost}`,
      fixes: [
        `write the name with a trailing dot (${name}.): it is then absolute, 1 name, ${perName} packet${perName > 1 ? 's' : ''}`,
        `or set dnsConfig.options [{name: ndots, value: "${dots}"}] on the pod: names with ${dots} dot${dots > 1 ? 's' : ''} are then tried as-is first (cluster names with fewer dots still use the search list)`,
      ],
    };
  }
  if (resolved) {
    return {
      message: `${name} resolved only as ${resolved.name}, the ${ordinal(tried.length)} name tried: ${cost}`,
      fixes: [`write the full name with a trailing dot (${resolved.name}): 1 name, ${perName} packet${perName > 1 ? 's' : ''}`],
    };
  }
  return {
    message: `${name} does not resolve, after ${cost}`,
    fixes: conf.searches.length
      ? ['check the spelling and the namespace; a Service in another namespace is <service>.<namespace>']
      : ['the pod has no search list: write the full name'],
  };
}

function ordinal(n: number): string {
  return n === 1 ? '1st' : n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`;
}
