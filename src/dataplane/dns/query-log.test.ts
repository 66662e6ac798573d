// CoreDNS's query log line, field by field (the log plugin's common format).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goSeconds, LogFile, logParts, queryLogLine } from './query-log.js';
import { parseQuery, type Query } from './wire.js';
import { query } from './test-support/wire-cluster.js';

function q(name: string, type = 'A', opts: { edns?: number; do?: boolean } = {}): Query {
  const p = parseQuery(query(name, type, opts));
  if (!p.ok) throw new Error('bad query');
  return p.query;
}

describe('query log', () => {
  it("the CoreDNS README's example line", () => {
    expect(queryLogLine({
      client: { address: '10.244.1.3', port: 46453 }, q: q('api.external.com.production.svc.cluster.local'), proto: 'udp',
      rcode: 3, flags: 0x8000 | 0x0400 | 0x0100, size: 156, seconds: 0.0001,
    })).toBe('[INFO] 10.244.1.3:46453 - 36112 "A IN api.external.com.production.svc.cluster.local. udp 63 false 512" NXDOMAIN qr,aa,rd 156 0.0001s\n');
  });

  it('name lower-cased, EDNS size and DO, TCP as 65535, IPv6 in brackets, IPv4-mapped as IPv4', () => {
    const line = (address: string, proto: 'udp' | 'tcp') => queryLogLine({
      client: { address, port: 53000 }, q: q('Web.Prod.svc.cluster.local', 'SRV', { edns: 1232, do: true }), proto,
      rcode: 0, flags: 0x8000 | 0x0400 | 0x0200 | 0x0100, size: 500, seconds: 0.000123456,
    });
    expect(line('::ffff:10.0.0.1', 'udp')).toMatch(/^\[INFO\] 10\.0\.0\.1:53000 - 36112 "SRV IN web\.prod\.svc\.cluster\.local\. udp \d+ true 1232" NOERROR qr,aa,tc,rd 500 0\.000123456s\n$/);
    expect(line('fd00::5', 'tcp')).toMatch(/^\[INFO\] \[fd00::5\]:53000 - .* tcp \d+ true 65535" /);
  });

  it("durations as Go's FormatFloat(s, 'f', -1, 64)", () => {
    expect(goSeconds(0.0001)).toBe('0.0001s');
    expect(goSeconds(1.5)).toBe('1.5s');
    expect(goSeconds(0)).toBe('0s');
    expect(goSeconds(0.000012345)).toBe('0.000012345s');
  });

  it('a stored reply\'s line, written piece by piece, is the line queryLogLine writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'knet-querylog-'));
    try {
      const log = new LogFile(join(dir, 'q.log'));
      const cases = [
        { q: q('api.external.com.production.svc.cluster.local'), port: 46453, rcode: 3, flags: 0x8000 | 0x0400 | 0x0100, size: 156, seconds: 0.0001 },
        { q: q('Web.Prod.svc.cluster.local', 'SRV', { edns: 1232, do: true }), port: 7, rcode: 0, flags: 0x8000 | 0x0400 | 0x0200 | 0x0100, size: 500, seconds: 0.000123456 },
        { q: q('x.svc.cluster.local'), port: 65535, rcode: 0, flags: 0x8000, size: 9, seconds: 2 },
      ];
      const want = cases.map((c) => queryLogLine({ client: { address: '10.244.1.3', port: c.port }, q: c.q, proto: 'udp', rcode: c.rcode, flags: c.flags, size: c.size, seconds: c.seconds }));
      for (const c of cases) {
        const { head, tail } = logParts(c.q, 'udp', c.rcode, c.flags, c.size);
        log.writeQuery(Buffer.from(`10.244.1.3:${c.port}`), c.q.id, Buffer.from(head, 'latin1'), c.q.size, Buffer.from(tail, 'latin1'), c.seconds);
      }
      await log.close();
      expect(readFileSync(join(dir, 'q.log'), 'latin1')).toBe(want.join(''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
