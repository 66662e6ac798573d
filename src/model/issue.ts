// Problems found in the input or in the cluster it describes. They are data, never
// exceptions: every stage collects all of them, sorted by file and line, so a user
// fixes everything in one pass.
import { compareText } from './order.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Position {
  readonly file: string;
  readonly line: number; // 1-based; 0 when unknown (stdin without positions, generated objects)
  readonly col: number; // 1-based
}

export interface Issue {
  readonly code: string; // stable, kebab-case: 'yaml-syntax', 'invalid-value', 'ip-conflict', ...
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly object?: string; // 'Kind ns/name'
  readonly field?: string; // 'spec.ports[0].nodePort'
  readonly message: string;
  readonly hint?: string;
  readonly layer?: string; // set by diagnose: dns | policy | service | pod-network | ingress | tls | input
}

export const NO_POSITION: Position = { file: '', line: 0, col: 0 };

export function compareIssues(a: Issue, b: Issue): number {
  return (
    compareText(a.file, b.file) ||
    a.line - b.line ||
    a.col - b.col ||
    compareText(a.message, b.message)
  );
}

export function sortIssues(issues: readonly Issue[]): Issue[] {
  return [...issues].sort(compareIssues);
}

export function hasErrors(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

/** `file:line:col` as editors and compilers print it; parts that are unknown are left out. */
export function formatPosition(p: { file: string; line: number; col: number }): string {
  if (!p.file) return '<input>';
  if (!p.line) return p.file;
  return `${p.file}:${p.line}:${p.col}`;
}

/**
 * One line says what is wrong and where; the next says how to fix it:
 *   svc.yaml:12:17: error: Service default/web: spec.ports[0].nodePort: Invalid value: ...
 *     hint: pick a port in 30000-32767, or leave nodePort out to get one assigned
 */
export function formatIssue(issue: Issue): string {
  const where = formatPosition(issue);
  const what = issue.object ? `${issue.object}: ` : '';
  const field = issue.field && !issue.message.startsWith(issue.field) ? `${issue.field}: ` : '';
  const head = oneLine(`${where}: ${issue.severity}: ${what}${field}${issue.message}`);
  return issue.hint ? `${head}\n  hint: ${oneLine(issue.hint)}` : head;
}

/** Escapes line breaks and control characters that user values (names, hosts) may carry. */
function oneLine(s: string): string {
  return s.replace(/[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
