// `kubectl logs`: PodLogOptions checked in kube-apiserver's words, each line's time (its own,
// the next stamped line's, the file's last write), and the bytes answering --since, --tail,
// --timestamps and --limit-bytes; the follower that -f rides on.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { followFile } from './logs-follow.js';
import { LineStamper, lineTime, logOptions, previousMissing, rfc3339Nano, selectLog } from './logs.js';

const NOW = new Date('2026-12-08T03:00:00Z');
const q = (s: string): URLSearchParams => new URLSearchParams(s);
const none = { sinceTime: null, tailLines: null, timestamps: false, limitBytes: null } as const;

describe('logOptions', () => {
  it("kubectl's query: follow, tail, since as seconds before now, timestamps", () => {
    expect(logOptions('x', q('container=c&follow=true&tailLines=10&sinceSeconds=300&timestamps=true&limitBytes=500'), NOW)).toEqual({
      container: 'c', follow: true, previous: false, sinceTime: new Date('2026-12-08T02:55:00Z'), timestamps: true, tailLines: 10, limitBytes: 500,
    });
    expect(logOptions('x', q('sinceTime=2026-12-08T02:00:00Z&previous=true'), NOW)).toMatchObject({ sinceTime: new Date('2026-12-08T02:00:00Z'), previous: true, follow: false });
  });

  it.each([
    ['tailLines below 0', 'tailLines=-2', 'PodLogOptions "x" is invalid: tailLines: Invalid value: -2: must be greater than or equal to 0'],
    ['limitBytes of 0', 'limitBytes=0', 'PodLogOptions "x" is invalid: limitBytes: Invalid value: 0: must be greater than 0'],
    ['both since forms', 'sinceSeconds=5&sinceTime=2026-12-08T02:00:00Z', 'PodLogOptions "x" is invalid: sinceSeconds: Invalid value: 5: at most one of `sinceTime` or `sinceSeconds` may be specified'],
  ])('%s -> 422', (_rule, query, message) => {
    expect(logOptions('x', q(query), NOW)).toMatchObject({ code: 422, reason: 'Invalid', message });
  });

  it('a number that is not one -> 400 in Go words', () => {
    expect(logOptions('x', q('tailLines=ten'), NOW)).toMatchObject({ code: 400, message: 'strconv.ParseInt: parsing "ten": invalid syntax' });
  });

  it("--previous of a container that never restarted: the kubelet's words", () => {
    expect(previousMissing('web', 'c')).toEqual({ code: 400, reason: 'BadRequest', message: 'previous terminated container "c" in pod "web" not found' });
  });
});

describe('line times', () => {
  it.each([
    ["ingress-nginx's access log ($time_local)", '10.244.0.1 - - [08/Dec/2026:02:50:15 +0000] "GET / HTTP/1.1" 200 5', '2026-12-08T02:50:15.000Z'],
    ['a local time offset', '1.2.3.4 - - [08/Dec/2026:04:50:15 +0200] "GET /"', '2026-12-08T02:50:15.000Z'],
    ['a leading RFC 3339 stamp', '2026-12-08T02:50:15.250Z listening', '2026-12-08T02:50:15.250Z'],
    ["CoreDNS's query log has none", '[INFO] 10.244.1.3:46453 - 36112 "A IN a. udp 63 false 512" NOERROR qr,aa,rd 156 0.0001s', null],
  ])('%s', (_rule, line, iso) => {
    expect(lineTime(line)?.toISOString() ?? null).toBe(iso);
  });

  it("RFC3339Nano as the kubelet prints it: trailing zeros dropped", () => {
    expect(rfc3339Nano(new Date('2026-12-08T02:50:15.120Z'))).toBe('2026-12-08T02:50:15.12Z');
    expect(rfc3339Nano(new Date('2026-12-08T02:50:15.000Z'))).toBe('2026-12-08T02:50:15Z');
  });
});

describe('selectLog', () => {
  const LOG = [
    'start\n',
    '1.1.1.1 - - [08/Dec/2026:02:40:00 +0000] "GET /a" 200\n',
    'unstamped after a\n',
    '1.1.1.1 - - [08/Dec/2026:02:58:00 +0000] "GET /b" 200\n',
    'last\n',
  ].join('');
  const WRITTEN = new Date('2026-12-08T02:59:30Z');

  it('everything by default', () => {
    expect(selectLog(LOG, WRITTEN, none)).toBe(LOG);
  });
  it('--tail 2 is the last two lines; --tail 0 nothing', () => {
    expect(selectLog(LOG, WRITTEN, { ...none, tailLines: 2 })).toBe('1.1.1.1 - - [08/Dec/2026:02:58:00 +0000] "GET /b" 200\nlast\n');
    expect(selectLog(LOG, WRITTEN, { ...none, tailLines: 0 })).toBe('');
  });
  it("--since: an unstamped line counts as written when the next stamped one was (an upper bound)", () => {
    expect(selectLog(LOG, WRITTEN, { ...none, sinceTime: new Date('2026-12-08T02:50:00Z') })).toBe('unstamped after a\n1.1.1.1 - - [08/Dec/2026:02:58:00 +0000] "GET /b" 200\nlast\n');
    expect(selectLog(LOG, WRITTEN, { ...none, sinceTime: new Date('2026-12-08T02:59:31Z') })).toBe('');
  });
  it('--timestamps prefixes each line with its time; --limit-bytes cuts the answer', () => {
    expect(selectLog(LOG, WRITTEN, { ...none, tailLines: 1, timestamps: true })).toBe('2026-12-08T02:59:30Z last\n');
    expect(selectLog(LOG, WRITTEN, { ...none, limitBytes: 8 })).toBe('start\n1.');
  });
  it('a last line without its newline yet is sent as it is', () => {
    expect(selectLog('a\nb', WRITTEN, { ...none, tailLines: 1 })).toBe('b');
  });
});

describe('following', () => {
  it('LineStamper stamps whole lines as they arrive and keeps a partial one for later', () => {
    const s = new LineStamper();
    expect(s.push('one\ntw', NOW)).toBe('2026-12-08T03:00:00Z one\n');
    expect(s.push('o\n', NOW)).toBe('2026-12-08T03:00:00Z two\n');
  });

  it('followFile sends what is appended, and starts over when the file is truncated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'knet-follow-'));
    const file = join(dir, 'c.log');
    try {
      writeFileSync(file, 'old\n');
      const got: string[] = [];
      const stop = followFile(file, 4, (b) => got.push(b.toString()));
      appendFileSync(file, 'new 1\n');
      await waitFor(() => got.join('') === 'new 1\n');
      writeFileSync(file, 'x\n');
      await waitFor(() => got.join('') === 'new 1\nx\n');
      stop();
      appendFileSync(file, 'after stop\n');
      await new Promise((r) => setTimeout(r, 400));
      expect(got.join('')).toBe('new 1\nx\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('followFile waits for a file that does not exist yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'knet-follow-'));
    const file = join(dir, 'later.log');
    try {
      const got: string[] = [];
      const stop = followFile(file, 0, (b) => got.push(b.toString()));
      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(file, 'hello\n');
      await waitFor(() => got.join('') === 'hello\n');
      stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function waitFor(ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
