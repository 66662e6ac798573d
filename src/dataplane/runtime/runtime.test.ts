// The per-node pod runtime against real namespaces: two fresh namespaces joined by a veth
// (a 10.250.0.1, b 10.250.0.2), the runtime serving pod b, clients in a. Also: where sockets
// land when the main thread switches namespaces (the reason for FFI socket(2)), and the
// cost of one runtime serving 300 pods. Needs root, iproute2, curl. Everything is named
// knet-rt<random>-..., removed in `finally` (teardownCluster plus explicit deletes).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureInNetns, spawnInNetns } from '../exec.js';
import { run } from '../run.js';
import { ETC_NETNS, processStartTime, recordPid } from '../run-state.js';
import { listNetns, teardownCluster } from '../teardown.js';
import { controlRequest } from './control.js';
import { buildRuntime, curl, hex, mainJs, startRuntime, stopProcess, until, type RuntimeProc } from './test-support.js';
import { NetnsSwitch } from './netns.js';
import type { RuntimeStatus } from './runtime.js';

function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (the runtime enters network namespaces)';
  for (const tool of ['ip', 'nsenter', 'curl', 'ss']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  }
  return '';
}
const reason = skipReason();

const UDP_CLIENT = `const d = require('dgram'); const [ip, port, msg] = process.argv.slice(1);
const s = d.createSocket('udp4'); const t = setTimeout(() => { console.log('TIMEOUT'); process.exit(1); }, 3000);
s.on('message', (m) => { process.stdout.write(m.toString()); clearTimeout(t); s.close(); });
s.send(msg, +port, ip);`;

async function udp(netns: string, ip: string, port: number, msg: string): Promise<string> {
  return (await captureInNetns(netns, [process.execPath, '-e', UDP_CLIENT, ip, String(port), msg])).stdout;
}

/** Servers in namespace a for pod b to /dial: HTTP 9090, UDP 9091, and DNS on 53 knowing web.svc.test. */
const A_SERVERS = `const http = require('http'), dgram = require('dgram');
let n = 0; const up = () => { if (++n === 3) console.log('ready'); };
http.createServer((q, r) => r.end('from-a')).listen(9090, '10.250.0.1', up);
const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send('udp-from-a ' + m, r.port, r.address)); u.bind(9091, '10.250.0.1', up);
const dns = dgram.createSocket('udp4');
dns.on('message', (m, r) => {
  let o = 12; const labels = [];
  while (m[o]) { labels.push(m.subarray(o + 1, o + 1 + m[o]).toString()); o += m[o] + 1; }
  o++;
  const hit = labels.join('.') === 'web.svc.test' && m.readUInt16BE(o) === 1;
  const h = Buffer.from(m.subarray(0, 12)); h[2] = 0x81; h[3] = hit ? 0x80 : 0x83;
  h.writeUInt16BE(hit ? 1 : 0, 6); h.writeUInt16BE(0, 8); h.writeUInt16BE(0, 10);
  const ans = hit ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 250, 0, 1]) : Buffer.alloc(0);
  dns.send(Buffer.concat([h, m.subarray(12, o + 4), ans]), r.port, r.address);
});
dns.bind(53, '10.250.0.1', up);
setTimeout(() => process.exit(0), 120000);`;

function waitForOutput(child: ChildProcess, text: string, ms = 10_000): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`no "${text}" in ${ms} ms: ${out} ${err}`)), ms);
    child.stderr?.on('data', (d) => { err += d; });
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes(text)) {
        clearTimeout(t);
        resolvePromise();
      }
    });
  });
}


function netnsInode(netns: string): string {
  return `net:[${statSync(`/run/netns/${netns}`).ino}]`;
}

async function deleteNetns(names: readonly string[]): Promise<void> {
  const present = new Set(await listNetns());
  const mine = names.filter((n) => present.has(n) && n.startsWith('knet-rt'));
  if (mine.length > 0) await run('ip', ['-force', '-b', '-'], { input: mine.map((n) => `netns del ${n}\n`).join(''), allowFailure: true });
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The clusters this suite made: afterAll checks none of their namespaces is left. */
const ourClusters: string[] = [];
function newCluster(): string {
  const c = `rt${hex(3)}`;
  ourClusters.push(c);
  return c;
}

/** Our cluster's pod namespaces (names teardownCluster recognises). */
function podNs(cluster: string): string {
  return `knet-${cluster}-pod-${hex(4)}`;
}

describe.skipIf(reason !== '')(`pod runtime${reason ? ` (skipped: ${reason})` : ''}`, () => {
  beforeAll(buildRuntime, 120_000);

  it('switching the main thread: Node listen() makes its TCP socket at once, dgram bind() a tick later', async () => {
    const cluster = newCluster();
    const ns = podNs(cluster);
    const sw = new NetnsSwitch();
    const servers: { close(): void }[] = [];
    try {
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      const inNs = async (proto: 'tcp' | 'udp', port: number): Promise<boolean> => {
        const r = await run('nsenter', [`--net=/run/netns/${ns}`, 'ss', '-Hln', proto === 'tcp' ? '-t' : '-u', `sport = :${port}`]);
        return r.stdout.trim() !== '';
      };
      // TCP: listen(port) without a host binds synchronously, inside the namespace.
      const tcp = sw.within(ns, () => net.createServer().listen(0));
      servers.push(tcp);
      await new Promise((r) => tcp.once('listening', r));
      expect(await inNs('tcp', (tcp.address() as net.AddressInfo).port)).toBe(true);
      // UDP: bind() looks the address up first, so its socket is made after we switched
      // back, in the test's own namespace (port 0: an ephemeral port, closed at once).
      const u = sw.within(ns, () => dgram.createSocket('udp4').bind(0, '127.0.0.1'));
      servers.push(u);
      await new Promise((r) => u.once('listening', r));
      expect(await inNs('udp', u.address().port)).toBe(false);
      // FFI socket(2)+bind(2) while switched, adopted by Node: inside, as it should be.
      const { fd } = sw.serverSocket(ns, 'UDP', 0);
      const v = dgram.createSocket('udp6');
      servers.push(v);
      await new Promise<void>((r) => v.bind({ fd }, () => r()));
      expect(await inNs('udp', v.address().port)).toBe(true);
      // And the thread is home again.
      expect(readlinkSync('/proc/thread-self/ns/net')).toBe(readlinkSync('/proc/self/ns/net'));
    } finally {
      for (const s of servers) s.close();
      await deleteNetns([ns]);
    }
  });

  it('serves pod b: netexec HTTP and UDP, /dial from inside the pod, health, containers, reload', async () => {
    const cluster = newCluster();
    const A = podNs(cluster);
    const B = podNs(cluster);
    const dir = `/run/knet-${cluster}`;
    const logDir = `${dir}/logs`;
    const specPath = `${dir}/spec.json`;
    const outFile = `${dir}/container-out.txt`;
    let rt: RuntimeProc | undefined;
    let aServers: ChildProcess | undefined;
    try {
      await run('ip', ['-b', '-'], { input: `netns add ${A}\nnetns add ${B}\n` });
      const setup = [
        `ip -n ${A} link add eth0 type veth peer name eth0 netns ${B}`,
        `ip -n ${A} addr add 10.250.0.1/24 dev eth0`,
        `ip -n ${B} addr add 10.250.0.2/24 dev eth0`,
        ...[A, B].flatMap((n) => [`ip -n ${n} link set lo up`, `ip -n ${n} link set eth0 up`]),
      ];
      await run('sh', ['-ec', setup.join('\n')]);
      // Pod b's /etc files: a hosts entry, and resolv.conf pointing at the DNS server in a.
      mkdirSync(`${ETC_NETNS}/${B}`, { recursive: true });
      writeFileSync(`${ETC_NETNS}/${B}/hosts`, '127.0.0.1 localhost\n10.250.0.1 server-a\n');
      writeFileSync(`${ETC_NETNS}/${B}/resolv.conf`, 'nameserver 10.250.0.1\nsearch ns.svc.test svc.test\noptions ndots:5\n');
      mkdirSync(logDir, { recursive: true });

      aServers = spawnInNetns(A, [process.execPath, '-e', A_SERVERS]);
      recordPid(cluster, aServers.pid!, A);
      await waitForOutput(aServers, 'ready');

      // The container writes into its emptyDir volume (the host's paths are not its to write).
      const probeCmd = {
        container: 'probe', mounts: [{ volume: 'out', path: '/out' }],
        argv: ['sh', '-c', `ip -4 -o addr show eth0 > /out/container-out.txt; hostname >> /out/container-out.txt; echo host > ${outFile} || echo refused; echo started; exec sleep 600`],
      };
      const volumeOut = `/run/knet-sandbox.d/${B}/volumes/out/container-out.txt`;
      const crashCmd = { container: 'crash', argv: ['sh', '-c', 'echo crashing; exit 3'] };
      const pod = (extra: { servers?: unknown[]; commands?: unknown[] } = {}): Record<string, unknown> => ({
        ref: 'default/b',
        netns: B,
        hostname: 'pod-b',
        servers: extra.servers ?? [{ protocol: 'TCP', port: 8080 }, { protocol: 'UDP', port: 8081 }],
        commands: extra.commands ?? [probeCmd, crashCmd],
        volumes: [{ name: 'out', kind: 'emptyDir' }],
      });
      const spec = (pods: unknown[]): string =>
        JSON.stringify({ node: 'node-1', logDir, backoff: { initialMs: 200, maxMs: 400 }, stopGraceMs: 1000, dialTimeoutMs: 2000, pods });
      writeFileSync(specPath, spec([pod()]));

      const t0 = Date.now();
      rt = startRuntime(specPath);
      expect(await rt.waitLine((l) => 'ready' in l)).toEqual({ ready: true, generation: 1 });
      const readyMs = Date.now() - t0;

      // The runtime stays in its own namespace; its sockets are in b's, none in ours.
      expect(readlinkSync(`/proc/${rt.pid}/ns/net`)).toBe(readlinkSync('/proc/self/ns/net'));
      expect((await run('ss', ['-Htulnp'])).stdout).not.toContain(`pid=${rt.pid},`);
      expect((await run('nsenter', [`--net=/run/netns/${B}`, 'ss', '-Htulnp'])).stdout).toContain(`pid=${rt.pid},`);

      // HTTP, from a.
      expect(await curl(A, 'http://10.250.0.2:8080/hostname')).toEqual({ code: 200, body: 'pod-b' });
      expect((await curl(A, 'http://10.250.0.2:8080/clientip')).body).toMatch(/^10\.250\.0\.1:\d+$/);
      expect(await curl(A, 'http://10.250.0.2:8080/echo?msg=hi')).toEqual({ code: 200, body: 'hi' });
      expect((await curl(A, 'http://10.250.0.2:8080/')).body).toMatch(/^NOW: \d{4}-/);
      expect((await curl(A, 'http://10.250.0.2:8080/healthz')).code).toBe(200);

      // Health flag through the control socket (mode 0600).
      const sock = `${dir}/runtime-node-1.sock`;
      expect(statSync(sock).mode & 0o777).toBe(0o600);
      expect(await controlRequest(sock, { op: 'set-healthy', pod: 'default/b', healthy: false })).toEqual({ ok: true });
      expect((await curl(A, 'http://10.250.0.2:8080/healthz')).code).toBe(503);
      expect((await controlRequest(sock, { op: 'set-healthy', pod: 'default/x', healthy: false })).ok).toBe(false);

      // UDP, from a: commands are lower-cased, like agnhost.
      expect(await udp(A, '10.250.0.2', 8081, 'hostname')).toBe('pod-b');
      expect(await udp(A, '10.250.0.2', 8081, 'echo Hi There')).toBe('hi there');
      expect(await udp(A, '10.250.0.2', 8081, 'clientip')).toMatch(/^10\.250\.0\.1:\d+$/);

      // /dial: the connections start in pod b (a sees 10.250.0.2) and reach a's servers.
      const dial = async (q: string): Promise<unknown> => JSON.parse((await curl(A, `http://10.250.0.2:8080/dial?${q}`)).body);
      expect(await dial('host=10.250.0.1&port=9090&request=hostname&tries=2')).toEqual({ responses: ['from-a', 'from-a'] });
      expect(await dial('host=10.250.0.1&port=9091&request=hi&protocol=udp')).toEqual({ responses: ['udp-from-a hi'] });
      const refused = (await dial('host=10.250.0.1&port=8080&request=hostname')) as { errors: string[] };
      expect(refused.errors[0]).toBe('Get "http://10.250.0.1:8080/hostname": dial tcp 10.250.0.1:8080: connect: connection refused');
      expect(await dial('host=server-a&port=9090&request=x')).toEqual({ responses: ['from-a'] }); // pod's hosts file
      expect(await dial('host=web&port=9090&request=x')).toEqual({ responses: ['from-a'] }); // search list + DNS in a
      expect((await curl(A, 'http://10.250.0.2:8080/dial?host=nope&port=9090&request=x')).code).toBe(400);
      // pod b dialing itself on its own address (hairpin inside the pod's namespace).
      const self = (await dial('host=10.250.0.2&port=8080&request=clientip')) as { responses: string[] };
      expect(self.responses[0]).toMatch(/^10\.250\.0\.2:\d+$/);

      // Containers: the command ran inside b, with b's hostname; its log exists.
      const probeOut = await until('container output', () => {
        const t = existsSync(volumeOut) ? readFileSync(volumeOut, 'utf8') : '';
        return t.includes('pod-b') ? t : undefined;
      });
      expect(probeOut).toContain('inet 10.250.0.2/24');
      const log = `${logDir}/default_b_probe.log`;
      expect(await until('probe log', () => (existsSync(log) && readFileSync(log, 'utf8').includes('started') ? true : undefined))).toBe(true);
      // ... and could not write the host's file system.
      expect(readFileSync(log, 'utf8')).toContain('refused');
      expect(existsSync(outFile)).toBe(false);
      const status1 = (await controlRequest(sock, { op: 'status' })).status as RuntimeStatus;
      const probe = status1.pods['default/b']!.containers.find((c) => c.name === 'probe')!;
      expect(probe.state).toBe('running');
      expect(readlinkSync(`/proc/${probe.pid}/ns/net`)).toBe(netnsInode(B));
      expect(readFileSync(`${dir}/pids`, 'utf8')).toContain(`${probe.pid} `);

      // The crashing container is restarted with a doubling back-off.
      const crash = await until('two restarts', async () => {
        const c = ((await controlRequest(sock, { op: 'status' })).status as RuntimeStatus).pods['default/b']!.containers.find((x) => x.name === 'crash')!;
        return c.restarts >= 2 ? c : undefined;
      });
      expect(crash.lastExitCode).toBe(3);
      expect(readFileSync(`${logDir}/default_b_crash.log`, 'utf8').split('crashing').length - 1).toBeGreaterThanOrEqual(2);

      // The status file.
      const file = JSON.parse(readFileSync(`${dir}/runtime-node-1.json`, 'utf8')) as RuntimeStatus;
      expect(file.pods['default/b']!.servers).toEqual([
        { protocol: 'TCP', port: 8080, state: 'listening' },
        { protocol: 'UDP', port: 8081, state: 'listening' },
      ]);

      // SIGHUP: a new port opens, a removed one closes, a port taken by another pod and a
      // missing namespace are errors; the running container is left alone.
      writeFileSync(
        specPath,
        spec([
          pod({ servers: [{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 8082 }], commands: [probeCmd] }),
          { ref: 'default/clash', netns: B, hostname: 'clash', servers: [{ protocol: 'TCP', port: 8080 }] },
          { ref: 'default/gone', netns: `knet-${cluster}-pod-ffffffff`, servers: [{ protocol: 'UDP', port: 53 }] },
        ]),
      );
      process.kill(rt.pid, 'SIGHUP');
      const line2 = await rt.waitLine((l) => l.generation === 2);
      expect(line2).toEqual({
        ready: false,
        generation: 2,
        failed: [
          { pod: 'default/clash', protocol: 'TCP', port: 8080, error: 'EADDRINUSE' },
          { pod: 'default/gone', protocol: 'UDP', port: 53, error: `ENOENT: no namespace knet-${cluster}-pod-ffffffff` },
        ],
      });
      expect(await curl(A, 'http://10.250.0.2:8082/hostname')).toEqual({ code: 200, body: 'pod-b' });
      expect(await curl(A, 'http://10.250.0.2:8080/hostname')).toEqual({ code: 200, body: 'pod-b' });
      expect(await udp(A, '10.250.0.2', 8081, 'hostname')).toBe('TIMEOUT\n');
      const status2 = (await controlRequest(sock, { op: 'status' })).status as RuntimeStatus;
      expect(status2.pods['default/b']!.containers.map((c) => [c.name, c.pid])).toEqual([['probe', probe.pid]]);
      expect(status2.pods['default/b']!.healthy).toBe(false); // the SPEC's healthy did not change
      expect(status2.pods['default/clash']!.servers[0]).toEqual({ protocol: 'TCP', port: 8080, state: 'error', error: 'EADDRINUSE' });

      // SIGTERM: the runtime stops its containers and leaves.
      await stopProcess(rt.child);
      expect(rt.child.exitCode).toBe(0);
      await until('the container gone', () => (processStartTime(probe.pid!) === null || isZombie(probe.pid!) ? true : undefined), 5000);
      expect(existsSync(sock)).toBe(false);
      console.log(`runtime: ready ${readyMs} ms after spawn (1 pod, 2 ports, 2 containers)`);
    } finally {
      await stopProcess(rt?.child);
      await stopProcess(aServers);
      await teardownCluster(cluster, { graceMs: 500 });
      await deleteNetns([A, B]);
      rmSync(dir, { recursive: true, force: true });
      for (const n of [A, B]) rmSync(`${ETC_NETNS}/${n}`, { recursive: true, force: true });
    }
    expect((await listNetns()).filter((n) => n.startsWith(`knet-${cluster}-`))).toEqual([]);
  });

  it('probes as the kubelet runs them: readiness follows /healthz, liveness restarts the responder, startup gates, exec and tcp', async () => {
    const cluster = newCluster();
    const A = podNs(cluster);
    const B = podNs(cluster);
    const dir = `/run/knet-${cluster}`;
    const logDir = `${dir}/logs`;
    const specPath = `${dir}/spec.json`;
    let rt: RuntimeProc | undefined;
    let watch: net.Socket | undefined;
    try {
      await run('ip', ['-b', '-'], { input: `netns add ${A}\nnetns add ${B}\n` });
      await run('sh', ['-ec', [
        `ip -n ${A} link add eth0 type veth peer name eth0 netns ${B}`,
        `ip -n ${A} addr add 10.250.0.1/24 dev eth0`,
        `ip -n ${B} addr add 10.250.0.2/24 dev eth0`,
        ...[A, B].flatMap((n) => [`ip -n ${n} link set lo up`, `ip -n ${n} link set eth0 up`]),
      ].join('\n')]);
      mkdirSync(logDir, { recursive: true });
      const timing = { periodMs: 100, timeoutMs: 500, failureThreshold: 2, successThreshold: 1 };
      const web = {
        ref: 'default/web', netns: B, hostname: 'web', probeFrom: A,
        servers: [{ protocol: 'TCP', port: 8080, container: 'web' }],
        probes: [
          { container: 'web', probe: 'readiness', check: { kind: 'http', host: '10.250.0.2', port: 8080, path: '/healthz' }, ...timing },
          { container: 'web', probe: 'liveness', check: { kind: 'tcp', host: '10.250.0.2', port: 8080 }, ...timing, failureThreshold: 3 },
        ],
      };
      // An exec readiness probe (curl of the pod's own /healthz, run in a sandbox of the pod's)
      // behind a startup probe on a closed port 9999 -> never started.
      const gated = {
        ref: 'default/gated', netns: B, hostname: 'gated', probeFrom: A,
        servers: [{ protocol: 'TCP', port: 8081, container: 'app' }],
        probes: [
          { container: 'app', probe: 'readiness', check: { kind: 'exec', argv: ['curl', '-sf', '-o', '/dev/null', 'http://127.0.0.1:8081/healthz'] }, ...timing, timeoutMs: 2000 },
          { container: 'app', probe: 'startup', check: { kind: 'tcp', host: '10.250.0.2', port: 9999 }, ...timing, failureThreshold: 1000 },
        ],
      };
      const spec = (pods: unknown[]): string => JSON.stringify({ node: 'node-1', logDir, stopGraceMs: 500, pods });
      writeFileSync(specPath, spec([web, gated]));
      rt = startRuntime(specPath);
      await rt.waitLine((l) => 'ready' in l);
      const sock = `${dir}/runtime-node-1.sock`;

      // The watch stream: the readiness now, then a line per change.
      const seen: { at: number; readiness: Record<string, { ready: boolean; restarts: number }> }[] = [];
      watch = net.connect(sock);
      let buf = '';
      watch.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          seen.push({ at: Date.now(), ...(JSON.parse(buf.slice(0, nl)) as { readiness: Record<string, { ready: boolean; restarts: number }> }) });
          buf = buf.slice(nl + 1);
        }
      });
      watch.write('{"op":"watch"}\n');
      const readyOf = (ref: string): boolean | undefined => seen.at(-1)?.readiness[ref]?.ready;
      await until('web ready', () => (readyOf('default/web') === true ? true : undefined), 5000);
      expect(readyOf('default/gated')).toBe(false);

      // Made unhealthy: /healthz answers 503, two failed checks in a row make it unready.
      const t0 = Date.now();
      expect((await controlRequest(sock, { op: 'set-healthy', pod: 'default/web', healthy: false })).ok).toBe(true);
      await until('web unready', () => (readyOf('default/web') === false ? true : undefined), 5000);
      const unreadyMs = Date.now() - t0;
      const st = ((await controlRequest(sock, { op: 'status' })).status as RuntimeStatus).pods['default/web']!;
      expect(st.ready).toBe(false);
      expect(st.probes[0]!.probes.find((p) => p.probe === 'readiness')).toMatchObject({ probe: 'readiness', result: 'failure', message: 'HTTP probe failed with statuscode: 503', lastFailure: 'HTTP probe failed with statuscode: 503' });
      expect(st.events.some((e) => e.includes('Readiness probe failed: HTTP probe failed with statuscode: 503'))).toBe(true);
      expect(st.restarts).toBe(0); // liveness (tcp) still passes
      // Healthy again: one success makes it ready.
      await controlRequest(sock, { op: 'set-healthy', pod: 'default/web', healthy: true });
      await until('web ready again', () => (readyOf('default/web') === true ? true : undefined), 5000);

      // Liveness: a hung process, played by pointing the tcp liveness probe at a closed port;
      // three failures in a row restart the responder.
      const hung = { ...web, probes: [web.probes[0], { ...web.probes[1], check: { kind: 'tcp', host: '10.250.0.2', port: 9998 } }] };
      writeFileSync(specPath, spec([hung, gated]));
      process.kill(rt.pid, 'SIGHUP');
      await until('a liveness restart', () => ((seen.at(-1)?.readiness['default/web']?.restarts ?? 0) >= 1 ? true : undefined), 5000);
      const st2 = ((await controlRequest(sock, { op: 'status' })).status as RuntimeStatus).pods['default/web']!;
      expect(st2.events.some((e) => e.includes('Liveness probe failed: dial tcp 10.250.0.2:9998: connect: connection refused'))).toBe(true);
      expect(st2.events.some((e) => e.includes('Container web failed liveness probe, will be restarted'))).toBe(true);
      // A restarted responder is healthy and serves again.
      expect((await curl(A, 'http://10.250.0.2:8080/healthz')).code).toBe(200);

      // Startup gates readiness: the exec readiness probe would pass, but startup never succeeded.
      await new Promise((r) => setTimeout(r, 400));
      expect(readyOf('default/gated')).toBe(false);
      const g = ((await controlRequest(sock, { op: 'status' })).status as RuntimeStatus).pods['default/gated']!;
      expect(g.probes[0]).toMatchObject({ name: 'app', started: false, ready: false });
      // Startup now passes (port 8081 is the pod's own): the exec probe decides, /healthz 200 -> ready.
      const opened = { ...gated, probes: [gated.probes[0], { ...gated.probes[1], check: { kind: 'tcp', host: '10.250.0.2', port: 8081 } }] };
      writeFileSync(specPath, spec([hung, opened]));
      process.kill(rt.pid, 'SIGHUP');
      await until('gated ready', () => (readyOf('default/gated') === true ? true : undefined), 5000);
      expect((await controlRequest(sock, { op: 'set-healthy', pod: 'default/gated', healthy: false })).ok).toBe(true);
      await until('gated unready when curl fails', () => (readyOf('default/gated') === false ? true : undefined), 5000);
      console.log(`probes: unready ${unreadyMs} ms after /healthz turned 503 (period 100 ms, failureThreshold 2)`);
    } finally {
      watch?.destroy();
      await stopProcess(rt?.child);
      await teardownCluster(cluster, { graceMs: 500 });
      await deleteNetns([A, B]);
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await listNetns()).filter((n) => n.startsWith(`knet-${cluster}-`))).toEqual([]);
  });

  const PODS = Number(process.env.KNET_RUNTIME_PODS ?? 300);
  it(`one runtime serving ${PODS} pods x 1 port: time to ready, memory`, async () => {
    const cluster = newCluster();
    const dir = `/run/knet-${cluster}`;
    const names = Array.from({ length: PODS }, (_, i) => `knet-${cluster}-pod-${i.toString(16).padStart(8, '0')}`);
    const addr = (i: number): string => `10.251.${Math.floor(i / 250)}.${(i % 250) + 1}`; // i < 62500
    let rt: RuntimeProc | undefined;
    try {
      const t0 = Date.now();
      await run('ip', ['-b', '-'], { input: names.map((n) => `netns add ${n}\n`).join('') });
      await run('sh', ['-e'], { input: names.map((n, i) => `ip -n ${n} link set lo up\nip -n ${n} addr add ${addr(i)}/32 dev lo\n`).join('') });
      const setupMs = Date.now() - t0;
      mkdirSync(`${dir}/logs`, { recursive: true });
      const spec = {
        node: 'node-1',
        logDir: `${dir}/logs`,
        pods: names.map((n, i) => ({ ref: `load/p${i}`, netns: n, hostname: `p${i}`, servers: [{ protocol: 'TCP', port: 8080 }] })),
      };
      writeFileSync(`${dir}/spec.json`, JSON.stringify(spec));

      // Baseline: the same runtime with no pod.
      writeFileSync(`${dir}/empty.json`, JSON.stringify({ ...spec, node: 'node-0', pods: [] }));
      const empty = startRuntime(`${dir}/empty.json`);
      await empty.waitLine((l) => 'ready' in l);
      const rssEmpty = rssKb(empty.pid);
      await stopProcess(empty.child);

      const t1 = Date.now();
      rt = startRuntime(`${dir}/spec.json`);
      expect(await rt.waitLine((l) => 'ready' in l, 60_000)).toEqual({ ready: true, generation: 1 });
      const readyMs = Date.now() - t1;
      await new Promise((r) => setTimeout(r, 500));
      const rss = rssKb(rt.pid);
      for (const i of [0, Math.floor(PODS / 2), PODS - 1]) {
        expect(await curl(names[i]!, `http://${addr(i)}:8080/hostname`)).toEqual({ code: 200, body: `p${i}` });
      }
      const t2 = Date.now();
      await stopProcess(rt.child);
      const stopMs = Date.now() - t2;
      console.log(
        `runtime with ${PODS} pods x 1 TCP port: ready ${readyMs} ms after spawn; RSS ${(rss / 1024).toFixed(1)} MiB ` +
          `(no pods: ${(rssEmpty / 1024).toFixed(1)} MiB, so ~${(((rss - rssEmpty) / PODS)).toFixed(0)} KiB per pod); ` +
          `stopped in ${stopMs} ms; ${PODS} namespaces set up in ${setupMs} ms`,
      );
      expect(rss).toBeLessThan(400 * 1024);
    } finally {
      await stopProcess(rt?.child);
      const t3 = Date.now();
      await deleteNetns(names);
      console.log(`deleted ${PODS} namespaces in ${Date.now() - t3} ms`);
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await listNetns()).filter((n) => n.startsWith(`knet-${cluster}-`))).toEqual([]);
  }, 180_000);

  afterAll(async () => {
    // Nothing of ours may outlive the suite.
    const left = (await listNetns()).filter((n) => ourClusters.some((c) => n.startsWith(`knet-${c}-`)));
    if (left.length > 0) {
      console.warn(`left behind, removing: ${left.join(' ')}`);
      await deleteNetns(left);
    }
    expect(left).toEqual([]);
  });
});

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}
