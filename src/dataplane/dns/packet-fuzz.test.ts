// The DNS server never sends a malformed packet, whatever names and data reach it: replies
// to fuzzed records (labels over 63 octets, names over 255, empty labels, characters
// outside one octet, bad addresses, huge TXT) either carry the records or are SERVFAIL,
// and every one is read by a strict wire checker and by dns-packet, within the size limit.
import { execFile, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { fill } from '../../core/dns/test-support/fixture.js';
import { ClusterDns } from './cluster-dns.js';
import { DnsDataSource } from './data-source.js';
import { dnsSnapshot } from './snapshot.js';
import { query } from './test-support/wire-cluster.js';
import { encodeReply, MAX_MSG_SIZE, nameProblem, parseQuery, RCODE, replyLimit, TYPE, type OutRecord, type Reply } from './wire.js';

/** Reads a name at `off` as RFC 1035 says: labels 1..63, pointers backwards only, 255 octets at most. */
function readName(b: Buffer, off: number): { end: number; wire: number } {
  let wire = 1;
  let end = -1;
  let at = off;
  for (let hops = 0; hops < 128; hops++) {
    if (at >= b.length) throw new Error(`name runs past the message at ${at}`);
    const len = b[at]!;
    if (len === 0) return { end: end < 0 ? at + 1 : end, wire };
    if ((len & 0xc0) === 0xc0) {
      const ptr = ((len & 0x3f) << 8) | b[at + 1]!;
      if (ptr >= at) throw new Error(`pointer forward or to itself at ${at}`);
      if (end < 0) end = at + 2;
      at = ptr;
      continue;
    }
    if (len > 63) throw new Error(`label length ${len} at ${at}`);
    wire += len + 1;
    if (wire > 255) throw new Error(`name over 255 octets at ${off}`);
    at += 1 + len;
  }
  throw new Error('pointer loop');
}

/** Walks the whole message; throws on anything a strict resolver would refuse. */
function checkWire(b: Buffer): { counts: number[]; rcode: number } {
  if (b.length < 12) throw new Error('shorter than a header');
  const counts = [4, 6, 8, 10].map((o) => b.readUInt16BE(o));
  let off = 12;
  for (let i = 0; i < counts[0]!; i++) off = readName(b, off).end + 4;
  for (let i = 0; i < counts[1]! + counts[2]! + counts[3]!; i++) {
    off = readName(b, off).end;
    if (off + 10 > b.length) throw new Error('record header runs past the message');
    const type = b.readUInt16BE(off);
    const rdlen = b.readUInt16BE(off + 8);
    const rd = off + 10;
    if (rd + rdlen > b.length) throw new Error('rdata runs past the message');
    if (type === TYPE.A && rdlen !== 4) throw new Error('A rdata not 4 octets');
    if (type === TYPE.AAAA && rdlen !== 16) throw new Error('AAAA rdata not 16 octets');
    if (type === TYPE.CNAME || type === TYPE.PTR || type === TYPE.NS) {
      if (readName(b, rd).end !== rd + rdlen) throw new Error('name rdata length');
    }
    if (type === TYPE.SRV && readName(b, rd + 6).end !== rd + rdlen) throw new Error('SRV rdata length');
    if (type === TYPE.TXT) {
      let t = rd;
      while (t < rd + rdlen) t += 1 + b[t]!;
      if (t !== rd + rdlen) throw new Error('TXT strings overrun');
    }
    off = rd + rdlen;
  }
  if (off !== b.length) throw new Error(`${b.length - off} octets after the last record`);
  return { counts, rcode: b.readUInt16BE(2) & 0xf };
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LABEL_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_';

function fuzzName(r: () => number): string {
  const pick = r();
  if (pick < 0.05) return '.';
  const n = 1 + Math.floor(r() * (pick < 0.2 ? 12 : 5));
  const labels = Array.from({ length: n }, () => {
    const kind = r();
    const len = kind < 0.05 ? 0 : kind < 0.15 ? 60 + Math.floor(r() * 20) : 1 + Math.floor(r() * 20);
    let s = '';
    for (let i = 0; i < len; i++) s += LABEL_CHARS[Math.floor(r() * LABEL_CHARS.length)];
    if (r() < 0.03) s += r() < 0.5 ? 'é' : '☃';
    return s;
  });
  return `${labels.join('.')}.`;
}

function fuzzRecord(r: () => number, owner: string): OutRecord {
  const types = ['A', 'AAAA', 'CNAME', 'PTR', 'SRV', 'TXT', 'SOA', 'NS'] as const;
  const t = types[Math.floor(r() * types.length)]!;
  const name = r() < 0.5 ? owner : fuzzName(r);
  const data = (() => {
    switch (t) {
      case 'A': return r() < 0.05 ? '10.0.0.300' : `10.${Math.floor(r() * 256)}.0.${Math.floor(r() * 256)}`;
      case 'AAAA': return r() < 0.05 ? 'fd00::g' : `fd00::${Math.floor(r() * 65535).toString(16)}`;
      case 'SRV': return `0 ${Math.floor(r() * 100)} ${r() < 0.03 ? 70000 : 8080} ${fuzzName(r)}`;
      case 'TXT': return r() < 0.02 ? Array(300).fill(`"${'t'.repeat(255)}"`).join(' ') : `"v=${'x'.repeat(Math.floor(r() * 300))}"`;
      case 'SOA': return `${fuzzName(r)} ${fuzzName(r)} 1 7200 1800 86400 30`;
      default: return fuzzName(r);
    }
  })();
  return { name, type: TYPE[t]!, ttl: 30, data };
}

/** Whether the records can go on the wire, worked out apart from the writer. */
function writable(rr: OutRecord): boolean {
  const names = [rr.name];
  if (rr.type === TYPE.CNAME || rr.type === TYPE.PTR || rr.type === TYPE.NS) names.push(rr.data);
  if (rr.type === TYPE.SRV) names.push(rr.data.split(' ')[3]!);
  if (rr.type === TYPE.SOA) names.push(...rr.data.split(' ').slice(0, 2));
  const nameOk = names.every((n) => {
    if (n === '.') return true;
    const labels = n.replace(/\.$/, '').split('.');
    return labels.every((l) => l.length >= 1 && l.length <= 63 && /^[\x00-\xff]*$/.test(l)) && labels.reduce((s, l) => s + l.length + 1, 1) <= 255;
  });
  if (!nameOk) return false;
  if (rr.data === '10.0.0.300' || rr.data === 'fd00::g') return false;
  if (rr.type === TYPE.SRV && Number(rr.data.split(' ')[2]) > 65535) return false;
  return !(rr.type === TYPE.TXT && rr.data.length > MAX_MSG_SIZE);
}

describe('the writer never sends a malformed packet', () => {
  it.each([
    ['a label of 64 octets', `${'a'.repeat(64)}.example.`, 'a label of 64 octets (at most 63)'],
    ['a name of 256 octets', `${Array(4).fill('b'.repeat(63)).join('.')}.`, '257 octets (at most 255)'],
    ['an empty label', 'a..example.', 'an empty label'],
    ['a leading dot', '.example.', 'an empty label'],
    ['a snowman', '☃.example.', 'a character outside one octet'],
    ['63-octet labels, 253 characters', `${Array(3).fill('c'.repeat(63)).join('.')}.${'d'.repeat(61)}.`, null],
  ])('%s -> %s', (_n, name, problem) => {
    expect(nameProblem(name)).toBe(problem);
    const msg = query('q.example', 'CNAME');
    const q = parseQuery(msg);
    if (!q.ok) throw new Error('query');
    const r: Reply = { id: 1, flags: 0x0400, rcode: 0, query: { bytes: msg, q: q.query }, answers: [{ name: 'q.example.', type: TYPE.CNAME!, ttl: 30, data: name }], authority: [], additional: [], opt: null };
    const enc = encodeReply(r, 512);
    const { rcode, counts } = checkWire(enc.bytes);
    expect(rcode).toBe(problem ? RCODE.SERVFAIL : RCODE.NOERROR);
    expect(counts).toEqual(problem ? [1, 0, 0, 0] : [1, 1, 0, 0]);
    expect(() => dnsPacket.decode(enc.bytes)).not.toThrow();
  });

  it('2,000 fuzzed replies: each parses strictly and with dns-packet, fits its limit, and is SERVFAIL only when a record cannot be written', () => {
    const r = rng(0x6b6e6574);
    let servfails = 0;
    let truncated = 0;
    for (let i = 0; i < 2000; i++) {
      const qname = r() < 0.5 ? 'web.shop.svc.cluster.local' : fuzzName(r).replace(/[^\x21-\x7e.]/g, 'x').replace(/\.$/, '').split('.').filter(Boolean).map((l) => l.slice(0, 63)).join('.').slice(0, 200) || 'x';
      const edns = r() < 0.5 ? [512, 1232, 4096, 65535][Math.floor(r() * 4)] : undefined;
      const msg = query(qname, 'A', { edns, id: i });
      const p = parseQuery(msg);
      if (!p.ok) throw new Error(`query ${qname} did not parse`);
      const records = Array.from({ length: Math.floor(r() * 40) }, () => fuzzRecord(r, `${qname}.`));
      const third = Math.ceil(records.length / 3);
      const reply: Reply = {
        id: i, flags: 0x0400, rcode: 0, query: { bytes: msg, q: p.query },
        answers: records.slice(0, third), authority: records.slice(third, 2 * third), additional: records.slice(2 * third),
        opt: p.query.edns ? { udpSize: p.query.edns.udpSize, do: false } : null,
      };
      const proto = r() < 0.7 ? 'udp' : 'tcp';
      const limit = proto === 'tcp' ? MAX_MSG_SIZE : Math.max(512, edns ?? 512);
      const enc = encodeReply(reply, limit, proto === 'udp' ? 4 : null);
      const what = `case ${i}: ${records.map((x) => `${x.name} ${x.type} ${x.data.slice(0, 40)}`).join(' | ')}`;
      let checked;
      try {
        checked = checkWire(enc.bytes);
      } catch (e) {
        throw new Error(`${what}: ${(e as Error).message}`);
      }
      expect(enc.bytes.length, what).toBeLessThanOrEqual(limit);
      expect(() => dnsPacket.decode(enc.bytes), what).not.toThrow();
      // SERVFAIL only when some record cannot be written; not always then: a record left
      // out by truncation is never written (CoreDNS truncates before it packs, too).
      const anyUnwritable = !records.every(writable);
      if (!anyUnwritable) expect(checked.rcode, what).toBe(RCODE.NOERROR);
      else expect([RCODE.NOERROR, RCODE.SERVFAIL], what).toContain(checked.rcode);
      if (checked.rcode === RCODE.SERVFAIL) servfails++;
      if (enc.truncated) truncated++;
    }
    // The fuzz reaches both outcomes and truncation.
    expect(servfails).toBeGreaterThan(100);
    expect(truncated).toBeGreaterThan(50);
  });
});

describe('a CoreDNS pod asked for a name DNS cannot carry', () => {
  it('an ExternalName whose label is 64 characters (the API server takes it): SERVFAIL with the question, well formed', async () => {
    const long = `${'l'.repeat(64)}.example.com`;
    const filled = fill(`apiVersion: v1
kind: Service
metadata: {name: far, namespace: default}
spec: {type: ExternalName, externalName: ${long}}
`);
    expect(filled.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(filled.issues.map((i) => i.code)).toContain('dns-label-too-long');
    const dir = mkdtempSync(join(tmpdir(), 'knet-dns-fuzz-'));
    try {
      const snap = dnsSnapshot(filled.cluster);
      writeFileSync(join(dir, 'dns.json'), snap.text);
      const data = new DnsDataSource(join(dir, 'dns.json'));
      data.refresh(snap.version);
      const server = new ClusterDns({ sockets: {} as never, netns: 'knet-x', data, log: null });
      const stderr: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof process.stderr.write;
      let reply: Buffer;
      try {
        reply = await server.handle(query('far.default.svc.cluster.local', 'A', { id: 7 }), { address: '10.244.0.9', port: 5353, family: 4 }, 'udp') as Buffer;
      } finally {
        process.stderr.write = write;
      }
      const { rcode, counts } = checkWire(reply);
      expect(rcode).toBe(RCODE.SERVFAIL);
      expect(counts).toEqual([1, 0, 0, 0]);
      const decoded = dnsPacket.decode(reply);
      expect(decoded.id).toBe(7);
      expect(decoded.questions?.[0]?.name).toBe('far.default.svc.cluster.local');
      expect(stderr.join('')).toMatch(/far\.default\.svc\.cluster\.local\. A: SERVFAIL, a record cannot be written: .*a label of 64 octets/);
      await server.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const hasDig = spawnSync('sh', ['-c', 'command -v dig']).status === 0;

describe.skipIf(!hasDig)(`dig reads every fuzzed reply${hasDig ? '' : ' (skipped: dig missing)'}`, () => {
  it('300 queries to a loopback server answering fuzzed records: no bad packet, a status each', async () => {
    const server = dgram.createSocket('udp4');
    server.on('message', (msg, rinfo) => {
      const p = parseQuery(msg);
      if (!p.ok) return;
      const r = rng(p.query.id + 1);
      const records = Array.from({ length: Math.floor(r() * 40) }, () => fuzzRecord(r, p.query.qname));
      const third = Math.ceil(records.length / 3);
      const reply: Reply = {
        id: p.query.id, flags: 0x0400, rcode: 0, query: { bytes: msg, q: p.query },
        answers: records.slice(0, third), authority: records.slice(third, 2 * third), additional: records.slice(2 * third),
        opt: p.query.edns ? { udpSize: p.query.edns.udpSize, do: false } : null,
      };
      server.send(encodeReply(reply, replyLimit(p.query, 'udp'), 4).bytes, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', () => resolve()));
    const port = server.address().port;
    const dir = mkdtempSync(join(tmpdir(), 'knet-dig-'));
    try {
      const lines = Array.from({ length: 300 }, (_, i) => `@127.0.0.1 -p ${port} q${i}.fuzz.example. A +tries=1 +time=2 +ignore ${i % 3 === 0 ? '+noedns' : `+bufsize=${[512, 1232, 4096][i % 3]}`}`);
      writeFileSync(join(dir, 'batch'), `${lines.join('\n')}\n`);
      const out = await new Promise<string>((resolve, reject) => {
        execFile('dig', ['-f', join(dir, 'batch')], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => (err && !stdout ? reject(err) : resolve(stdout + stderr)));
      });
      expect(out).not.toMatch(/bad packet|malformed|extra bytes|FORMERR|communications error|timed out/i);
      const statuses = out.match(/status: (NOERROR|SERVFAIL)/g) ?? [];
      expect(statuses).toHaveLength(300);
      expect(statuses.filter((s) => s.endsWith('SERVFAIL')).length).toBeGreaterThan(10);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
