// Containers in their sandbox, as real processes (root): what a pod's command can and cannot
// touch, real servers (nginx on a ConfigMap's configuration, Python's http.server, sh loops
// with ConfigMap files and env) answering through their ports, exec probes inside the
// container, and no orphan or duplicate after `kill -9` of the runtime.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../run.js';
import { ETC_NETNS, runDir } from '../run-state.js';
import { listNetns, teardownCluster } from '../teardown.js';
import { hierarchies } from './cgroup.js';
import { spawnSandbox } from './containers.js';
import { containerPlan, preparePodDir, removePodDir } from './pod-sandbox.js';
import { controlRequest } from './control.js';
import type { RuntimeStatus } from './runtime.js';
import { SANDBOX_ROOT, uidBaseFor } from './sandbox.js';
import { parseSpec } from './spec.js';
import { buildRuntime, curl, hex, startRuntime, stopProcess, until, type RuntimeProc } from './test-support.js';

function skipReason(): string {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const tool of ['ip', 'nsenter', 'curl', 'bwrap', 'setpriv', 'nginx', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  }
  return '';
}
const reason = skipReason();

const b64 = (t: string): string => Buffer.from(t).toString('base64');

/** Host pids whose command line holds `marker` (the sandbox's bwrap lines included). */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

const NGINX_CONF = `user www-data;
worker_processes 2;
events {}
http {
  server {
    listen 80;
    location / { return 200 "nginx-from-configmap\\n"; }
  }
}
`;

// One container tries what a hostile command would; each line says what happened.
const ESCAPES = (cluster: string, hostMarker: string): string => [
  `touch /usr/knet-escape 2>/dev/null && echo "usr writable" || echo "usr refused"`,
  `touch /etc/knet-escape 2>/dev/null && echo "etc writable" || echo "etc refused"`,
  `echo x > /tmp/${hostMarker} && echo "tmp private-write"`,
  `ls /run/knet-${cluster} >/dev/null 2>&1 && echo "run-knet visible" || echo "run-knet hidden"`,
  `ls /run/netns >/dev/null 2>&1 && echo "netns visible" || echo "netns hidden"`,
  `ls /etc/netns 2>/dev/null | grep -q knet && echo "etc-netns visible" || echo "etc-netns hidden"`,
  `cat /etc/shadow 2>/dev/null | grep -q root && echo "shadow visible" || echo "shadow hidden"`,
  `ls /root/.bashrc /var/lib/knet >/dev/null 2>&1 && echo "root visible" || echo "root hidden"`,
  `echo "processes $(ls /proc | grep -c '^[0-9]')"`,
  `kill -0 1 2>/dev/null; echo "uid $(id -u)"`,
  `ip link add knetx type dummy 2>/dev/null && echo "netadmin yes" || echo "netadmin refused"`,
  `python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)' 2>/dev/null && echo "raw yes" || echo "raw refused"`,
  `mount -t tmpfs none /mnt 2>/dev/null && echo "mount yes" || echo "mount refused"`,
  `echo "hostname $(hostname)"`,
  `echo "path $PATH"`,
  `echo "greeting $GREETING token $TOKEN cfg_mode $MODE"`,
  'echo done; exec sleep 600',
].join('\n');

describe.skipIf(reason !== '')(`sandboxed containers${reason ? ` (skipped: ${reason})` : ''}`, () => {
  beforeAll(buildRuntime, 120_000);
  const clusters: string[] = [];
  afterAll(async () => {
    const left = (await listNetns()).filter((n) => clusters.some((c) => n.startsWith(`knet-${c}-`)));
    expect(left).toEqual([]);
  });

  it('a hostile command touches nothing of the host; nginx, http.server and sh loops serve; kill -9 of the runtime leaves no orphan and no duplicate', async () => {
    const cluster = `sb${hex(3)}`;
    clusters.push(cluster);
    const A = `knet-${cluster}-pod-${hex(4)}`;
    const B = `knet-${cluster}-pod-${hex(4)}`;
    const dir = runDir(cluster);
    const logDir = `${dir}/logs`;
    const specPath = `${dir}/spec.json`;
    const hostMarker = `knet-sandbox-${hex(4)}`;
    const marker = `knet-marker-${hex(4)}`;
    let rt: RuntimeProc | undefined;
    try {
      await run('ip', ['-b', '-'], { input: `netns add ${A}\nnetns add ${B}\n` });
      await run('sh', ['-ec', [
        `ip -n ${A} link add eth0 type veth peer name eth0 netns ${B}`,
        `ip -n ${A} addr add 10.251.0.1/24 dev eth0`,
        `ip -n ${B} addr add 10.251.0.2/24 dev eth0`,
        ...[A, B].flatMap((n) => [`ip -n ${n} link set lo up`, `ip -n ${n} link set eth0 up`]),
      ].join('\n')]);
      mkdirSync(`${ETC_NETNS}/${B}`, { recursive: true });
      writeFileSync(`${ETC_NETNS}/${B}/hosts`, '127.0.0.1\tlocalhost\n10.251.0.2\tweb\n\n# Entries added by HostAliases.\n10.9.9.9\tfoo.local\n');
      writeFileSync(`${ETC_NETNS}/${B}/resolv.conf`, 'nameserver 10.96.0.10\nsearch default.svc.cluster.local\noptions ndots:5\n');
      mkdirSync(logDir, { recursive: true });

      const pod = {
        ref: 'default/web', netns: B, hostname: 'web', probeFrom: A,
        limits: { memoryBytes: 256 * 2 ** 20, cpuMilli: 1500 },
        volumes: [
          { name: 'nginx-conf', kind: 'files', files: [{ path: 'nginx.conf', data: b64(NGINX_CONF), mode: 0o644 }] },
          { name: 'site', kind: 'files', files: [{ path: 'hello.txt', data: b64('hello from a configmap\n'), mode: 0o644 }, { path: 'secret.txt', data: b64('s3cret'), mode: 0o400 }] },
          { name: 'shared', kind: 'emptyDir' },
        ],
        commands: [
          { container: 'nginx', argv: ['nginx', '-g', 'daemon off;'], mounts: [{ volume: 'nginx-conf', path: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true }] },
          {
            container: 'py', argv: ['python3', '-m', 'http.server', '8000', '--bind', '0.0.0.0'], workingDir: '/srv', user: { uid: 1000, gid: 1000 },
            mounts: [{ volume: 'shared', path: '/srv' }],
          },
          {
            container: 'loop', env: { GREETING: 'hi-from-env', MARK: marker },
            argv: ['sh', '-c', `while true; do { echo "$GREETING"; cat /config/hello.txt; } > /shared/index.html; touch /tmp/ready; sleep 1; done # ${marker}`],
            mounts: [{ volume: 'site', path: '/config', readOnly: true }, { volume: 'shared', path: '/shared' }],
          },
          {
            container: 'escape', env: { GREETING: 'hello', TOKEN: 'from-secret', MODE: '0400' },
            argv: ['sh', '-c', ESCAPES(cluster, hostMarker)], capabilities: { drop: ['ALL'] },
          },
          { container: 'nonroot', argv: ['sh', '-c', 'chown 0 /tmp && echo "chown yes" || echo "chown refused"; cat /config/secret.txt || echo "secret unreadable"; sleep 600'], user: { uid: 1000, gid: 1000 }, mounts: [{ volume: 'site', path: '/config' }] },
          { container: 'refused', argv: ['sleep', '600'], runAsNonRoot: true },
        ],
        probes: [
          // Inside the loop container: its private /tmp, not the host's.
          { container: 'loop', probe: 'readiness', check: { kind: 'exec', argv: ['test', '-e', '/tmp/ready'] }, periodMs: 200, timeoutMs: 3000, successThreshold: 1, failureThreshold: 2, initialDelayMs: 0 },
        ],
      };
      writeFileSync(specPath, JSON.stringify({ node: 'node-1', cluster, logDir, stopGraceMs: 1000, backoff: { initialMs: 300, maxMs: 600 }, pods: [pod] }));
      rt = startRuntime(specPath);
      expect(await rt.waitLine((l) => 'ready' in l)).toEqual({ ready: true, generation: 1 });
      const sock = `${dir}/runtime-node-1.sock`;
      const log = (c: string): string => {
        try {
          return readFileSync(`${logDir}/default_web_${c}.log`, 'utf8');
        } catch {
          return '';
        }
      };

      // What the hostile command saw.
      const esc = await until('the escape attempts', () => (log('escape').includes('done') ? log('escape') : undefined));
      for (const line of ['usr refused', 'etc refused', 'tmp private-write', 'run-knet hidden', 'netns hidden', 'etc-netns hidden', 'root hidden',
        'shadow hidden', 'netadmin refused', 'raw refused', 'mount refused', 'hostname web', 'uid 0', 'greeting hello token from-secret cfg_mode 0400',
        'path /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']) {
        expect(esc, line).toContain(line);
      }
      expect(existsSync(`/tmp/${hostMarker}`)).toBe(false);
      expect(existsSync('/usr/knet-escape')).toBe(false);
      const procs = Number(/processes (\d+)/.exec(esc)?.[1]);
      expect(procs).toBeLessThan(10); // its own PID namespace: bwrap's init, sh, ls
      // Root inside is the pod's unprivileged host uid outside.
      const status = (await controlRequest(sock, { op: 'status' })).status as RuntimeStatus;
      const escPid = status.pods['default/web']!.containers.find((c) => c.name === 'escape')!.pid!;
      const hostUids = processesWith(hostMarker).map((p) => /Uid:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]);
      expect(hostUids.length).toBeGreaterThan(0);
      for (const u of hostUids) expect(Number(u)).toBeGreaterThanOrEqual(uidBaseFor(cluster, 'default/web'));
      expect(escPid).toBeGreaterThan(0);

      // A non-root user: no capability, a 0400 file of root's unreadable.
      const nr = await until('the non-root container', () => (log('nonroot').includes('unreadable') || log('nonroot').includes('s3cret') ? log('nonroot') : undefined));
      expect(nr).toContain('chown refused');
      expect(nr).toContain('secret unreadable');
      // runAsNonRoot with uid 0: not started, and the status says why.
      const refused = status.pods['default/web']!.containers.find((c) => c.name === 'refused')!;
      expect(refused.state).toBe('waiting');
      expect(refused.reason).toMatch(/runAsNonRoot/);

      // Servers answer through their ports, from the other namespace.
      expect(await until('nginx', async () => {
        const r = await curl(A, 'http://10.251.0.2:80/');
        return r.code === 200 ? r : undefined;
      })).toEqual({ code: 200, body: 'nginx-from-configmap\n' });
      const page = await until('http.server', async () => {
        const r = await curl(A, 'http://10.251.0.2:8000/index.html');
        return r.code === 200 && r.body.includes('configmap') ? r.body : undefined;
      });
      expect(page).toBe('hi-from-env\nhello from a configmap\n');
      // nginx's workers run as www-data (uid 33 in the pod: the pod maps 65536 ids).
      const base = uidBaseFor(cluster, 'default/web');
      const workers = processesWith('nginx: worker process').map((p) => Number(/Uid:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]));
      expect(workers).toContain(base + 33);
      // The exec probe ran inside the loop container (its /tmp/ready): the pod is Ready, except the refused container.
      const ready = await until('the exec probe', async () => {
        const st = ((await controlRequest(sock, { op: 'status' })).status as RuntimeStatus).pods['default/web']!;
        return st.probes[0]?.ready ? st : undefined;
      });
      expect(ready.probes[0]).toMatchObject({ name: 'loop', ready: true });

      // The pod's cgroup holds its processes and its limits.
      const hs = hierarchies();
      const v1mem = hs.find((h) => h.kind === 'memory');
      if (v1mem) expect(readFileSync(`${v1mem.root}/knet-${cluster}/default_web/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(256 * 2 ** 20));
      const anyH = hs[0]!;
      const inCgroup = readFileSync(`${anyH.root}/knet-${cluster}/default_web/cgroup.procs`, 'utf8').trim().split('\n').map(Number);
      expect(inCgroup.length).toBeGreaterThan(8);
      const loopBefore = processesWith(marker);
      expect(loopBefore.length).toBeGreaterThan(0);

      // kill -9 of the runtime: every process of the pod goes with it.
      rt.child.kill('SIGKILL');
      await until('no orphan', () => (processesWith(marker).length === 0 && readFileSync(`${anyH.root}/knet-${cluster}/default_web/cgroup.procs`, 'utf8').trim() === '' ? true : undefined), 5000);
      // A new runtime starts them once: no duplicate, no "Address already in use".
      rt = startRuntime(specPath);
      expect(await rt.waitLine((l) => 'ready' in l)).toEqual({ ready: true, generation: 1 });
      await until('nginx again', async () => ((await curl(A, 'http://10.251.0.2:80/')).code === 200 ? true : undefined));
      await new Promise((r) => setTimeout(r, 1500)); // a crash loop would show by now
      const st2 = ((await controlRequest(sock, { op: 'status' })).status as RuntimeStatus).pods['default/web']!;
      for (const c of st2.containers.filter((x) => x.name !== 'refused')) expect([c.name, c.state, c.restarts]).toEqual([c.name, 'running', 0]);
      expect(log('nginx')).not.toContain('Address already in use');
      expect(processesWith(`done # ${marker}`).length).toBe(loopBefore.length);

      // SIGTERM: the runtime stops the pod and removes its cgroup and files.
      await stopProcess(rt.child);
      expect(processesWith(marker)).toEqual([]);
      expect(existsSync(`${anyH.root}/knet-${cluster}/default_web`)).toBe(false);
      expect(existsSync(`${SANDBOX_ROOT}/${B}`)).toBe(false);
    } finally {
      await stopProcess(rt?.child);
      await teardownCluster(cluster, { graceMs: 500 });
      for (const n of [A, B]) rmSync(`${ETC_NETNS}/${n}`, { recursive: true, force: true });
      rmSync(`/tmp/${hostMarker}`, { force: true });
    }
    // Teardown leaves no cgroup of the cluster.
    for (const h of hierarchies()) expect(existsSync(`${h.root}/knet-${cluster}`)).toBe(false);
  });

  it('what a sandbox costs: /bin/true from spawn to exit, and to its user namespace being mapped (median of 7)', async () => {
    const cluster = `sb${hex(3)}`;
    clusters.push(cluster);
    const ns = `knet-${cluster}-pod-${hex(4)}`;
    const pod = parseSpec(JSON.stringify({ node: 'n', logDir: `${runDir(cluster)}/logs`, pods: [{ ref: 'default/t', netns: ns, commands: [{ container: 'c', argv: ['true'] }] }] })).pods[0]!;
    const uidBase = uidBaseFor(cluster, 'default/t');
    try {
      await run('ip', ['netns', 'add', ns]);
      preparePodDir(pod, uidBase);
      const mapped: number[] = [];
      const total: number[] = [];
      for (let i = 0; i < 7; i++) {
        const decided = containerPlan({ pod, uidBase, cgroupProcs: [] }, pod.commands[0]!);
        if (decided.kind !== 'ok') throw new Error(decided.reason);
        const t0 = performance.now();
        const { child, ready } = spawnSandbox(decided.plan, ['/bin/true'], 'ignore', () => undefined);
        const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
        expect(await ready).toBeGreaterThan(0);
        mapped.push(performance.now() - t0);
        expect(await exited).toBe(0);
        total.push(performance.now() - t0);
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      console.log(`sandbox: /bin/true ${median(total).toFixed(0)} ms from spawn to exit (user namespace mapped after ${median(mapped).toFixed(0)} ms), median of 7`);
    } finally {
      removePodDir(ns);
      await teardownCluster(cluster, { graceMs: 200 });
    }
  });
});
