// Go's time.Duration text as cert-manager's spec.duration and spec.renewBefore use it
// ("2160h", "720h0m0s", "1h30m"), and the renewal time cert-manager derives from them.

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };

/** Milliseconds, or null when the text is not a Go duration. */
export function parseGoDuration(text: string): number | null {
  const t = text.trim();
  if (t === '' ) return null;
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = re.lastIndex;
  }
  return at === t.length && at > 0 ? total : null;
}

export const DEFAULT_DURATION_MS = 90 * 24 * 3_600_000;

/**
 * When cert-manager renews: notAfter - renewBefore, where renewBefore defaults to a third of
 * the certificate's actual lifetime (renewal at two thirds), and a renewBefore as long as
 * the lifetime or longer falls back to that default.
 */
export function renewalTime(notBefore: Date, notAfter: Date, renewBefore: string): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const asked = parseGoDuration(renewBefore);
  const before = asked !== null && asked > 0 && asked < lifetime ? asked : lifetime / 3;
  return new Date(notAfter.getTime() - Math.round(before));
}
