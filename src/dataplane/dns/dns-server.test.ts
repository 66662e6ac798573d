// The DNS servers on real packets, served by the per-node runtime from a SPEC: a CoreDNS pod
// (10.250.0.2) and the internet's resolver (10.250.0.53) in two fresh namespaces joined by a
// veth; dig and nslookup run in the resolver's namespace as clients. Checks answers, SRV,
// PTR, forwarding through the pod's resolv.conf, truncation and TCP, the query logs, a data
// reload, and an upstream that does not answer. Needs root, iproute2, dig, nslookup;
// skipped with the reason otherwise. Everything is knet-dw<random>-..., removed in `finally`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fill } from '../../core/dns/test-support/fixture.js';
import { captureInNetns } from '../exec.js';
import { run } from '../run.js';
import { ETC_NETNS } from '../run-state.js';
import { controlRequest } from '../runtime/control.js';
import { listNetns, teardownCluster } from '../teardown.js';
import { dnsSnapshot } from './snapshot.js';
import { WIRE_CLUSTER } from './test-support/wire-cluster.js';

function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (the DNS servers listen inside network namespaces)';
  for (const tool of ['ip', 'nsenter', 'dig', 'nslookup']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing (apt-get install iproute2 dnsutils)`;
  }
  return '';
}
const reason = skipReason();
if (reason) console.log(`src/dataplane/dns/dns-server.test.ts skipped: ${reason}`);

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const buildDir = join(repo, 'node_modules/.cache/knet-dns-test');
const mainJs = join(buildDir, 'dataplane/runtime/main.js');
const hex = (n: number): string => randomBytes(n).toString('hex');

/** Compiles the runtime (main.ts and what it imports) to plain JavaScript. */
async function buildRuntime(): Promise<void> {
  await run(join(repo, 'node_modules/.bin/tsc'), [
    '--outDir', buildDir, '--rootDir', join(repo, 'src'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2022', '--strict', '--skipLibCheck', '--types', 'node', join(repo, 'src/dataplane/runtime/main.ts'),
  ]);
  writeFileSync(join(buildDir, 'package.json'), '{"type":"module"}\n');
}

function startRuntime(specPath: string): { child: ChildProcess; ready: Promise<Record<string, unknown>>; stderr: () => string } {
  const child = spawn(process.execPath, [mainJs, specPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const ready = new Promise<Record<string, unknown>>((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`runtime not ready: ${err}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolvePromise(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`runtime exited ${code}: ${err}`)));
  });
  return { child, ready, stderr: () => err };
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

async function until<T>(what: string, fn: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(reason !== '')(`DNS servers on real packets${reason ? ` (skipped: ${reason})` : ''}`, () => {
  beforeAll(buildRuntime, 120_000);

  it('a CoreDNS pod and the internet resolver: answers, SRV, PTR, forward, TC and TCP, logs, reload, a dead upstream', async () => {
    const cluster = `dw${hex(3)}`;
    const P = `knet-${cluster}-pod-${hex(4)}`; // the CoreDNS pod, 10.250.0.2
    const I = `knet-${cluster}-inet`; // the internet's resolver, 10.250.0.53; also the client
    const dir = `/run/knet-${cluster}`;
    const logDir = `${dir}/logs`;
    const specPath = `${dir}/spec-node-1.json`;
    const dataPath = `${dir}/dns.json`;
    let rt: ReturnType<typeof startRuntime> | undefined;
    try {
      await run('ip', ['-b', '-'], { input: `netns add ${P}\nnetns add ${I}\n` });
      await run('sh', ['-ec', [
        `ip -n ${P} link add eth0 type veth peer name eth0 netns ${I}`,
        `ip -n ${P} addr add 10.250.0.2/24 dev eth0`,
        `ip -n ${I} addr add 10.250.0.53/24 dev eth0`,
        ...[P, I].flatMap((n) => [`ip -n ${n} link set lo up`, `ip -n ${n} link set eth0 up`]),
      ].join('\n')]);
      // dnsPolicy Default: the CoreDNS pod's resolv.conf is its node's, naming the internet's resolver.
      mkdirSync(`${ETC_NETNS}/${P}`, { recursive: true });
      writeFileSync(`${ETC_NETNS}/${P}/resolv.conf`, 'nameserver 10.250.0.53\n');
      mkdirSync(logDir, { recursive: true });

      const filled = fill(WIRE_CLUSTER).cluster;
      const snap = dnsSnapshot(filled);
      writeFileSync(dataPath, snap.text);
      const spec = (version: string): string => `${JSON.stringify({
        node: 'node-1', logDir, dns: { data: dataPath, version },
        pods: [
          { ref: 'kube-system/coredns-abc', netns: P, servers: [
            { protocol: 'UDP', port: 53, kind: 'dns', log: 'coredns' }, { protocol: 'TCP', port: 53, kind: 'dns', log: 'coredns' },
            { protocol: 'TCP', port: 9153 }] },
          { ref: 'knet_internet/dns', netns: I, servers: [
            { protocol: 'UDP', port: 53, kind: 'internet-dns', log: 'dns' }, { protocol: 'TCP', port: 53, kind: 'internet-dns', log: 'dns' }] },
        ],
      })}\n`;
      writeFileSync(specPath, spec(snap.version));
      rt = startRuntime(specPath);
      expect(await rt.ready).toEqual({ ready: true, generation: 1 });

      const dig = async (...args: string[]): Promise<string> => (await captureInNetns(I, ['dig', '@10.250.0.2', '+tries=1', '+time=4', ...args])).stdout;
      const short = async (...args: string[]): Promise<string[]> => (await dig('+short', ...args)).trim().split('\n').filter(Boolean);
      const flags = (out: string): string[] => /;; flags: ([a-z ]+);/.exec(out)?.[1]!.split(' ') ?? [];

      expect(await short('kubernetes.default.svc.cluster.local')).toEqual(['10.96.0.1']);
      const web = filled.services.find((s) => s.meta.name === 'web')!.clusterIPs[0]!;
      expect(await short('web.prod.svc.cluster.local')).toEqual([web]);
      expect(await short('SRV', '_http._tcp.web.prod.svc.cluster.local')).toEqual(['0 100 80 web.prod.svc.cluster.local.']);
      expect(await short('-x', '10.96.0.1')).toEqual(['kubernetes.default.svc.cluster.local.']);
      expect(await short('-x', web)).toEqual(['web.prod.svc.cluster.local.']);
      const full = await dig('kubernetes.default.svc.cluster.local');
      expect(flags(full)).toEqual(['qr', 'aa', 'rd']);
      expect(full).toContain('WARNING: recursion requested but not available'); // as with CoreDNS
      const nx = await dig('nothing.prod.svc.cluster.local');
      expect(nx).toContain('status: NXDOMAIN');
      expect(nx).toMatch(/cluster\.local\.\s+30\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\./);

      // The zones' own records, as CoreDNS's kubernetes plugin answers them.
      expect(await short('SOA', 'cluster.local')).toEqual([expect.stringMatching(/^ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$/)]);
      expect(await short('NS', 'cluster.local')).toEqual(['kube-dns.kube-system.svc.cluster.local.']);
      expect(await dig('NS', 'cluster.local')).toMatch(/;; ADDITIONAL SECTION:\nkube-dns\.kube-system\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+10\.96\.0\.10/);
      expect(await short('NS', 'in-addr.arpa')).toEqual(['kube-dns.kube-system.svc.in-addr.arpa.']);
      expect(await short('ns.dns.cluster.local')).toEqual(['10.96.0.10']);

      // nslookup, as the seed's quick reference runs it.
      const ns = (await captureInNetns(I, ['nslookup', 'kubernetes.default.svc.cluster.local', '10.250.0.2'])).stdout;
      expect(ns).toMatch(/Name:\s+kubernetes\.default\.svc\.cluster\.local\nAddress: 10\.96\.0\.1/);

      // Forward: the pod's resolv.conf names 10.250.0.53; the answer comes back through the pod.
      expect(await short('api.external.com')).toEqual(['203.0.113.80']);
      expect(await short('www.example.com')).toEqual(['web.example.net.', '203.0.113.81']);
      expect(flags(await dig('api.external.com'))).toEqual(['qr', 'rd', 'ra']);
      expect(await short('-x', '203.0.113.80')).toEqual(['api.external.com.']); // in-addr.arpa falls through
      expect(await dig('nothing.example.org')).toContain('status: NXDOMAIN');

      // 40 endpoints: 29 fit 512 bytes (compressed) with TC; EDNS (dig's 1232) or TCP: all 40.
      const small = await dig('+noedns', '+ignore', 'big.prod.svc.cluster.local');
      expect(flags(small)).toContain('tc');
      expect((await dig('+noedns', '+ignore', '+noall', '+answer', 'big.prod.svc.cluster.local')).trim().split('\n')).toHaveLength(29);
      expect(await short('+tcp', 'big.prod.svc.cluster.local')).toHaveLength(40);
      expect(await short('+noedns', 'big.prod.svc.cluster.local')).toHaveLength(40); // dig retries over TCP itself
      expect(flags(await dig('big.prod.svc.cluster.local'))).not.toContain('tc');

      // The query logs: CoreDNS's format, the client's address; the resolver saw the pod forward.
      const coreLog = `${logDir}/kube-system_coredns-abc_coredns.log`;
      const lines = await until('the CoreDNS log', () => {
        const t = existsSync(coreLog) ? readFileSync(coreLog, 'utf8') : '';
        return t.includes('"A IN big.prod.svc.cluster.local. tcp') ? t : undefined;
      });
      expect(lines).toMatch(/^\[INFO\] 10\.250\.0\.53:\d+ - \d+ "A IN kubernetes\.default\.svc\.cluster\.local\. udp \d+ false 1232" NOERROR qr,aa,rd \d+ \d+(\.\d+)?s$/m);
      expect(lines).toMatch(/"A IN big\.prod\.svc\.cluster\.local\. udp \d+ false 512" NOERROR qr,aa,tc,rd 508 /);
      expect(lines).toMatch(/"A IN api\.external\.com\. udp \d+ false 1232" NOERROR qr,rd,ra /);
      const inetLog = await until('the resolver log', () => {
        const t = existsSync(`${logDir}/knet_internet_dns_dns.log`) ? readFileSync(`${logDir}/knet_internet_dns_dns.log`, 'utf8') : '';
        return t.includes('api.external.com') ? t : undefined;
      });
      expect(inetLog).toMatch(/^\[INFO\] 10\.250\.0\.2:\d+ - \d+ "A IN api\.external\.com\. udp/m);

      // A reload: a Service added; the runtime loads the new data when the SPEC names its version.
      const more = fill(`${WIRE_CLUSTER}---\napiVersion: v1\nkind: Service\nmetadata: {name: late, namespace: prod}\nspec: {ports: [{port: 80}]}\n`).cluster;
      const snap2 = dnsSnapshot(more);
      writeFileSync(dataPath, snap2.text);
      writeFileSync(specPath, spec(snap2.version));
      const sock = `${dir}/runtime-node-1.sock`;
      expect(await controlRequest(sock, { op: 'reload' })).toMatchObject({ ok: true, ready: true });
      const late = more.services.find((s) => s.meta.name === 'late')!.clusterIPs[0]!;
      expect(await short('late.prod.svc.cluster.local')).toEqual([late]);

      // An upstream that does not answer: SERVFAIL after forward's 2 s, and the errors plugin's line.
      writeFileSync(`${ETC_NETNS}/${P}/resolv.conf`, 'nameserver 10.250.0.99\n');
      writeFileSync(specPath, spec(`${snap2.version}-b`)); // same data, read again (and the resolv.conf with it)
      await controlRequest(sock, { op: 'reload' });
      const t0 = Date.now();
      expect(await dig('nowhere.example.org')).toContain('status: SERVFAIL');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
      await until('the error line', () => (readFileSync(coreLog, 'utf8').includes(
        '[ERROR] plugin/errors: 2 nowhere.example.org. A: read udp 10.250.0.2:') ? true : undefined));
      expect(readFileSync(coreLog, 'utf8')).toMatch(/->10\.250\.0\.99:53: i\/o timeout\n/);
      expect(rt.stderr()).toBe('');
    } finally {
      await stopProcess(rt?.child);
      await teardownCluster(cluster);
      const left = (await listNetns()).filter((n) => n.startsWith(`knet-${cluster}-`));
      if (left.length) await run('ip', ['-force', '-b', '-'], { input: left.map((n) => `netns del ${n}\n`).join(''), allowFailure: true });
    }
  }, 90_000);
});
