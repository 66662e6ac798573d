// A canary as nginx variables, in the order ingress-nginx's balancer.lua decides (and the
// core's decideCanary): the header (a value, a pattern, or always/never), then the cookie
// (always/never), then the weight. Each step is a `map` whose default is the next step;
// the weight is a `split_clients` on the request id (a random share per request).
// `$knet_canary_<i>` ends as "1" (the canary) or "0" (the primary).
import type { Canary } from '../../core/ingress/route-table.js';
import { cookieVariable, headerVariable, quote, regexLiteral } from './nginx-syntax.js';

export interface CanaryVariables {
  readonly variable: string; // "1": the canary serves this request
  readonly blocks: readonly string[]; // http-level map / split_clients blocks
  readonly notes: readonly string[];
}

function map(source: string, target: string, entries: readonly [string, string][], fallback: string): string {
  return [`map ${source} ${target} {`, ...entries.map(([k, v]) => `    ${quote(k)} ${v};`), `    default ${fallback};`, '}'].join('\n');
}

/** Whether JavaScript accepts the pattern: the core skips a header pattern it cannot compile. */
function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export function canaryVariables(c: Canary, index: number): CanaryVariables {
  const cfg = c.config;
  const v = `$knet_canary_${index}`;
  const blocks: string[] = [];
  const notes: string[] = [];

  const total = cfg.weightTotal > 100 ? cfg.weightTotal : 100;
  let next: string;
  if (cfg.weight >= total) next = '1';
  else if (cfg.weight <= 0) next = '0';
  else {
    next = `${v}_weight`;
    const share = Math.floor((10000 * cfg.weight) / total) / 100;
    blocks.push([`split_clients "$request_id" ${next} {`, `    ${share}% 1;`, '    * 0;', '}'].join('\n'));
  }

  if (cfg.cookie) {
    const cv = cookieVariable(cfg.cookie);
    if (cv) {
      blocks.push(map(cv, `${v}_cookie`, [['~^always$', '1'], ['~^never$', '0']], next));
      next = `${v}_cookie`;
    } else notes.push(`canary-by-cookie ${cfg.cookie}: nginx has no variable for a cookie with that name; the cookie is not looked at`);
  }

  if (cfg.header) {
    const hv = headerVariable(cfg.header);
    const entries: [string, string][] = cfg.headerValue
      ? [[`~^${regexLiteral(cfg.headerValue)}$`, '1']]
      : cfg.headerPattern
        ? compiles(cfg.headerPattern) ? [[`~${cfg.headerPattern}`, '1']] : []
        : [['~^always$', '1'], ['~^never$', '0']];
    if (!hv) notes.push(`canary-by-header ${cfg.header}: not a header name nginx can read; the header is not looked at`);
    else if (entries.length > 0) {
      blocks.push(map(hv, `${v}_header`, entries, next));
      next = `${v}_header`;
    }
  }
  // The final variable: a map even when constant, so locations always read `${v}`.
  blocks.push(`map "" ${v} {\n    default ${next};\n}`);
  return { variable: v, blocks, notes };
}
