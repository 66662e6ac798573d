// How the CLI speaks: issues one per line with their hint, kubectl-style errors, YAML and
// JSON with keys sorted as kubectl prints them, colour only on a terminal.
import { yamlLib } from '../model/yaml-lazy.js';
import { stdoutIsTerminal, writeFd } from './write-fd.js';
import { formatIssue, hasErrors, type Issue } from '../model/issue.js';

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
}

/** The process's standard output and error; colour only on a terminal, never with NO_COLOR. */
export const processIo: Io = {
  out: (t) => writeFd(1, t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => writeFd(2, t.endsWith('\n') ? t : `${t}\n`),
  get color() {
    return !process.env['NO_COLOR'] && stdoutIsTerminal();
  },
};

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

export function paint(io: Io, code: string, text: string): string {
  return io.color ? `${code}${text}${RESET}` : text;
}

/**
 * Prints the input's problems to stderr. Errors stop the command (nothing is half-applied);
 * warnings and notes are printed and the command goes on.
 */
export function reportIssues(io: Io, issues: readonly Issue[], { quietInfo = false } = {}): void {
  printIssues(io, issues, { quietInfo });
  if (hasErrors(issues)) {
    const n = issues.filter((i) => i.severity === 'error').length;
    throw new CliError(`${n} error${n === 1 ? '' : 's'} in the input; nothing was done`);
  }
}

/** Prints issues to stderr, one per line with its hint, coloured by severity on a terminal. */
export function printIssues(io: Io, issues: readonly Issue[], { quietInfo = false } = {}): void {
  const shown = quietInfo ? issues.filter((i) => i.severity !== 'info') : issues;
  for (const i of shown) {
    const color = i.severity === 'error' ? RED : i.severity === 'warning' ? YELLOW : DIM;
    const [head, ...rest] = formatIssue(i).split('\n');
    io.err([paint(io, color, head!), ...rest].join('\n'));
  }
}

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function toYaml(v: unknown): string {
  return yamlLib().stringify(sortKeys(v), { indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });
}

export function toJson(v: unknown): string {
  return JSON.stringify(sortKeys(v), null, 4);
}
