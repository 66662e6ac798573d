// No lost intent, no false answer (issue 13, item 5), on real daemons through the real
// command line: one `knet up` per cluster wins, a change racing `knet down` is refused and
// down leaves nothing, the supervisor serves a new daemon within 1 s of kill -9, `knet up`
// fails when its daemon dies during bring-up, no 5 s client timeout, `--name ''` is an error,
// a dead daemon is named as such, `knet health` and `knet get pods` agree, and 20 rounds of
// up && down leave nothing. Root only; every cluster has a unique name, removed in `finally`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from './client.js';
import { CLI, daemonPid, ensureBuilt, leftovers, netns, processesOf, skipReason, supervisorPid, type Run } from './test-support/running-cluster.js';

const reason = skipReason();
if (reason) console.log(`src/daemon/supervision.test.ts skipped: ${reason}`);

const TINY = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: tiny}
nodes: [{name: node-1}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080}]}]}
`;

const MORE = `apiVersion: apps/v1
kind: Deployment
metadata: {name: more, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: more}}
  template:
    metadata: {labels: {app: more}}
    spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 80}]}]}
`;

/** A pod that never gets Ready: the daemon waits its readiness wait (5 s) before it answers. */
const SLOW = `apiVersion: v1
kind: Pod
metadata: {name: slow, namespace: default}
spec:
  containers:
  - name: c
    image: agnhost
    ports: [{containerPort: 8080}]
    readinessProbe: {exec: {command: ['false']}, periodSeconds: 1}
`;

/** A container that exits every half second: its restarts climb (with the kubelet's back-off). */
const CRASHY = `apiVersion: v1
kind: Pod
metadata: {name: crashy, namespace: default}
spec: {containers: [{name: c, image: busybox, command: [sh, -c, 'sleep 0.5; exit 1']}]}
`;

const name = (): string => `sv${randomBytes(2).toString('hex')}`;

/** `knet ARGS` without blocking the test's event loop. */
const knetAwait = (args: readonly string[]): Promise<Run> => knetAsync(args).done;

/** `knet ARGS` in the background. */
function knetAsync(args: readonly string[]): { pid: number; done: Promise<Run> } {
  const t = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return {
    pid: child.pid!,
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, out, err, ms: Math.round(performance.now() - t) }))),
  };
}

function getJson(sock: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    http.get({ socketPath: sock, path, agent: false }, (res) => {
      let b = '';
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(b) as Record<string, unknown> }));
    }).on('error', reject);
  });
}

async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 10_000, everyMs = 5): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Nothing of the cluster on the host: namespaces, files, its lock, its processes (the spare's exit may take a moment). */
async function expectNothingLeft(cluster: string): Promise<void> {
  expect(leftovers(cluster)).toEqual([]);
  await until(`no process of ${cluster}`, () => processesOf(cluster).length === 0, 3000, 50).catch(() => undefined);
  expect(processesOf(cluster)).toEqual([]);
}

describe.skipIf(reason !== '')('no lost intent, no false answer (root)', () => {
  let dir = '';
  let tiny = '';
  let more = '';

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'knet-supervision-'));
    tiny = join(dir, 'tiny.yaml');
    more = join(dir, 'more.yaml');
    writeFileSync(tiny, TINY);
    writeFileSync(more, MORE);
    writeFileSync(join(dir, 'slow.yaml'), SLOW);
    writeFileSync(join(dir, 'crashy.yaml'), CRASHY);
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('two concurrent knet up of one name: one winner, the other waits and says the cluster is already up', async () => {
    const c = name();
    try {
      const a = knetAsync(['up', '-f', tiny, '--name', c]);
      const b = knetAsync(['up', '-f', more, '--name', c]);
      const [ra, rb] = await Promise.all([a.done, b.done]);
      const [won, lost] = ra.code === 0 ? [ra, rb] : [rb, ra];
      expect(won.code, won.err).toBe(0);
      expect(won.out).toContain(`cluster ${c} is up`);
      expect(lost.code).toBe(1);
      expect(lost.err).toMatch(new RegExp(`waiting: knet up \\(pid \\d+\\) is changing cluster ${c}`));
      expect(lost.err).toMatch(new RegExp(`error: cluster ${c} is already up \\(daemon pid \\d+\\): the other knet up \\(pid \\d+\\) brought it up first; these manifests were not applied`));
      // The winner's manifests are what runs, not a mix.
      const pods = (await knetAwait(['get', 'pods', '--name', c, '-o', 'name'])).out.trim().split('\n');
      expect(pods.some((p) => p === 'pod/web')).toBe(won === ra);
      expect(pods.some((p) => p.startsWith('pod/more-'))).toBe(won === rb);
    } finally {
      await knetAwait(['down', '--name', c]);
    }
    await expectNothingLeft(c);
  }, 120_000);

  it('a change racing knet down is refused (409 on the API, a clear error from the CLI) and down leaves 0 namespaces', async () => {
    const c = name();
    try {
      expect((await knetAwait(['up', '-f', tiny, '--name', c])).code).toBe(0);
      expect((await knetAwait(['apply', '-f', more, '--name', c])).code).toBe(0);
      expect(netns(c).length).toBeGreaterThan(3);
      // On the API: an apply that arrives while the daemon tears down is refused, never queued behind it.
      const down = request<{ ok: boolean }>(c, 'POST', '/apis/knet.dev/v1alpha1/shutdown');
      await new Promise((r) => setTimeout(r, 30));
      const apply = await request<{ message: string }>(c, 'POST', '/apis/knet.dev/v1alpha1/apply', { files: [{ name: 'more.yaml', text: MORE.replace('replicas: 3', 'replicas: 5') }] })
        .catch((e: Error) => ({ status: 0, body: { message: e.message } }));
      expect((await down).status).toBe(200);
      // Teardown takes a few hundred ms: the apply reaches the daemon while it removes the cluster.
      expect(apply.status, apply.body.message).toBe(409);
      expect(apply.body.message).toBe(`cluster ${c} is being removed (knet down): the change was not made`);
      await new Promise((r) => setTimeout(r, 1500)); // what a queued apply would have rebuilt, it would have by now
      expect(netns(c)).toEqual([]);
      expect(existsSync(`/var/lib/knet/${c}`)).toBe(false);

      // From the CLI: an apply that waits behind knet down is refused with the reason.
      expect((await knetAwait(['up', '-f', tiny, '--name', c])).code).toBe(0);
      const cliDown = knetAsync(['down', '--name', c]);
      await until('knet down to hold the lock', () => existsSync(`/run/knet-${c}.lock`) && readFileSync(`/run/knet-${c}.lock`, 'utf8').includes('knet down'), 10_000, 2);
      const cliApply = await knetAwait(['apply', '-f', more, '--name', c]);
      expect((await cliDown.done).code).toBe(0);
      expect(cliApply.code).toBe(1);
      expect(cliApply.err).toMatch(new RegExp(`cluster ${c} was removed by knet down \\(pid \\d+\\) while this command waited: nothing was changed|no cluster ${c} on this machine`));
      await new Promise((r) => setTimeout(r, 1000));
      expect(netns(c)).toEqual([]);
    } finally {
      await knetAwait(['down', '--name', c]);
    }
    await expectNothingLeft(c);
  }, 120_000);

  it('kill -9 of the daemon: its supervisor (knet-supervisor NAME) serves a new daemon within 1 s with every object', async () => {
    const c = name();
    try {
      expect((await knetAwait(['up', '-f', tiny, '--name', c])).code).toBe(0);
      expect((await knetAwait(['apply', '-f', more, '--name', c])).code).toBe(0);
      const sup = supervisorPid(c);
      expect(readFileSync(`/proc/${sup}/cmdline`, 'utf8').split('\0')[0]).toBe(`knet-supervisor ${c}`);
      const sock = `/run/knet-${c}/api.sock`;
      const before = (await getJson(sock, '/api/v1/pods')).body['items'] as { metadata: { name: string } }[];
      const objects = (await knetAwait(['get', 'all', '-A', '-o', 'json', '--name', c])).out;
      await new Promise((r) => setTimeout(r, 3500)); // the spare starts 3 s after bring-up
      const old = daemonPid(c);
      const t = performance.now();
      process.kill(old, 'SIGKILL');
      let served: { status: number; body: Record<string, unknown> } | null = null;
      while (!served && performance.now() - t < 5000) {
        served = await getJson(sock, '/api/v1/pods').catch(() => null);
        if (!served) await new Promise((r) => setTimeout(r, 5));
      }
      const ms = Math.round(performance.now() - t);
      console.log(`kill -9 of the daemon: a new daemon served every object after ${ms} ms`);
      expect(served?.status).toBe(200);
      expect(ms).toBeLessThan(1000);
      expect(daemonPid(c)).not.toBe(old);
      expect(supervisorPid(c)).toBe(sup);
      expect((served!.body['items'] as { metadata: { name: string } }[]).map((p) => p.metadata.name)).toEqual(before.map((p) => p.metadata.name));
      expect((await knetAwait(['get', 'all', '-A', '-o', 'json', '--name', c])).out).toBe(objects);
      // A clean SIGTERM stops it for good: the supervisor goes too, the cluster keeps running.
      process.kill(daemonPid(c), 'SIGTERM');
      await until('the supervisor to exit', () => !existsSync(`/proc/${sup}`) || readFileSync(`/proc/${sup}/stat`, 'utf8').includes(') Z'), 5000, 20);
      const dead = await knetAwait(['get', 'pods', '--name', c]);
      expect(dead.code).toBe(1);
      expect(dead.err).toBe(`error: cluster ${c}'s daemon is not running (the cluster's state is stored)\n  hint: knet up --name ${c} starts it again (its log is /var/lib/knet/${c}/logs/daemon.log); knet down --name ${c} removes the cluster\n`);
      expect(netns(c).length).toBeGreaterThan(3);
    } finally {
      await knetAwait(['down', '--name', c]);
    }
    await expectNothingLeft(c);
  }, 120_000);

  it('kill -9 of the supervisor: knet up --name puts a new one over the running daemon, which it restarts after a crash', async () => {
    const c = name();
    try {
      expect((await knetAwait(['up', '-f', tiny, '--name', c])).code).toBe(0);
      const first = supervisorPid(c);
      process.kill(first, 'SIGKILL');
      const again = await knetAwait(['up', '--name', c]);
      expect(again.code).toBe(0);
      expect(again.out).toMatch(new RegExp(`cluster ${c} is already up \\(daemon pid \\d+\\)\n  its supervisor was gone: a new one \\(pid \\d+\\) starts a new daemon if this one crashes`));
      const sup = await until('the new supervisor', () => {
        const p = existsSync(`/run/knet-${c}/supervisor.pid`) ? supervisorPid(c) : 0;
        return p !== first && p;
      }, 5000, 20);
      const old = daemonPid(c);
      process.kill(old, 'SIGKILL');
      const next = await until('a new daemon', () => {
        const p = daemonPid(c);
        return p > 1 && p !== old && existsSync(`/proc/${p}`) ? p : 0;
      }, 5000, 10);
      expect(next).not.toBe(old);
      expect(supervisorPid(c)).toBe(sup);
      expect((await knetAwait(['get', 'pods', '--name', c])).code).toBe(0);
    } finally {
      await knetAwait(['down', '--name', c]);
    }
    await expectNothingLeft(c);
  }, 120_000);

  it('a crash loop backs off (0 s, 0.5 s, 1 s, ...) and knet down still removes everything', async () => {
    const c = name();
    try {
      expect((await knetAwait(['up', '-f', tiny, '--name', c])).code).toBe(0);
      // A state the daemon cannot load: every new daemon exits at once.
      writeFileSync(`/var/lib/knet/${c}/state.json`, '{"not": "a state"');
      const log = `/var/lib/knet/${c}/logs/daemon.log`;
      process.kill(daemonPid(c), 'SIGKILL');
      await until('three restarts', () => (readFileSync(log, 'utf8').match(/crashes in a row: back-off/g) ?? []).length >= 2, 15_000, 50);
      const lines = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('supervisor: the daemon was'));
      expect(lines[0]).toMatch(/killed by SIGKILL after [\d.]+ s: starting a new daemon \(log/);
      expect(lines[1]).toMatch(/exited with code 1 after [\d.]+ s; 2 crashes in a row: back-off 0\.5 s/);
      expect(lines[2]).toMatch(/exited with code 1 after [\d.]+ s; 3 crashes in a row: back-off 1\.0 s/);
      const down = await knetAwait(['down', '--name', c]);
      expect(down.code, down.err).toBe(0);
    } finally {
      await knetAwait(['down', '--name', c]);
    }
    await expectNothingLeft(c);
  }, 120_000);

  it('knet up fails, with the reason and the log, when its daemon dies during bring-up', async () => {
    const c = name();
    try {
      const up = knetAsync(['up', '-f', tiny, '--name', c]);
      const pid = await until('the daemon', () => {
        const p = existsSync(`/run/knet-${c}/daemon.pid`) ? daemonPid(c) : 0;
        return p > 1 ? p : null;
      }, 20_000, 2);
      process.kill(pid, 'SIGKILL');
      const r = await up.done;
      expect(r.code).toBe(1);
      expect(r.err).toContain(`error: cluster ${c} did not come up: its daemon was killed by SIGKILL during bring-up`);
      expect(r.err).toContain(`hint: the daemon's log is /var/lib/knet/${c}/logs/daemon.log; knet down --name ${c} removes what is left`);
    } finally {
      await knetAwait(['down', '--name', c]);
    }
    await expectNothingLeft(c);
  }, 120_000);

  it('no 5 s client timeout: an apply that takes longer reports its real outcome', async () => {
    const c = name();
    try {
      expect((await knetAwait(['up', '-f', tiny, '--name', c])).code).toBe(0);
      const t = performance.now();
      const res = await request<{ ok: boolean; results: { action: string }[] }>(c, 'POST', '/apis/knet.dev/v1alpha1/apply', { files: [{ name: 'slow.yaml', text: SLOW }] });
      const ms = performance.now() - t;
      expect(ms).toBeGreaterThan(5000);
      expect(res.status).toBe(200);
      expect(res.body.results.map((r) => r.action)).toEqual(['created']);
      // The CLI prints the daemon's steps on request.
      const cli = await knetAwait(['apply', '-f', more, '--name', c, '--progress']);
      expect(cli.code).toBe(0);
      expect(cli.out.trim()).toBe('deployment.apps/more created');
      expect(cli.err).toMatch(/✓ network: 1 node, \d+ pods \(calico\), 3 made, 0 removed/);
    } finally {
      await knetAwait(['down', '--name', c]);
    }
    await expectNothingLeft(c);
  }, 120_000);

  it("--name '' is an error; --name works on every reading command; knet health and knet get pods agree on Ready and restarts", async () => {
    const c = name();
    try {
      for (const cmd of [['down'], ['get', 'pods'], ['apply', '-f', more], ['status'], ['logs', 'web'], ['dns', 'web.default'], ['up', '-f', tiny]]) {
        const r = await knetAwait([...cmd, '--name', '']);
        expect(r.code, cmd.join(' ')).toBe(1);
        expect(r.err, cmd.join(' ')).toBe("error: --name is empty: say which cluster\n  hint: knet status lists the clusters on this machine\n");
      }
      expect((await knetAwait(['up', '-f', tiny, '--name', c])).code).toBe(0);
      expect((await knetAwait(['apply', '-f', join(dir, 'crashy.yaml'), '--name', c])).code).toBe(0);
      for (const cmd of [['get', 'pods'], ['diagnose'], ['health', 'web'], ['logs', 'web'], ['status']]) {
        expect((await knetAwait([...cmd, '--name', c])).code, cmd.join(' ')).toBe(0);
      }
      // The container exits every half second: Ready and restarts move; both commands read one source.
      const fromGet = async (): Promise<{ ready: string; restarts: string }> => {
        const row = (await knetAwait(['get', 'pods', '--name', c])).out.split('\n').find((l) => l.startsWith('crashy '))!.trim().split(/\s+/);
        return { ready: row[1] === '1/1' ? 'True' : 'False', restarts: row[3]! };
      };
      const fromHealth = async (): Promise<{ ready: string; restarts: string }> => {
        const out = (await knetAwait(['health', 'crashy', '--name', c])).out;
        return { ready: /Ready:\s+(\S+)/.exec(out)![1]!, restarts: /Restarts:\s+(\S+)/.exec(out)![1]! };
      };
      for (let i = 0; i < 100 && Number((await fromGet()).restarts) < 1; i++) await new Promise((r) => setTimeout(r, 200));
      expect(Number((await fromGet()).restarts)).toBeGreaterThanOrEqual(1);
      let agreed = 0;
      for (let i = 0; i < 10 && agreed < 3; i++) {
        const a = await fromGet();
        const h = await fromHealth();
        const b = await fromGet();
        if (JSON.stringify(a) !== JSON.stringify(b)) continue; // it moved in between: ask again
        expect(h).toEqual(a);
        agreed++;
      }
      expect(agreed).toBe(3);
    } finally {
      await knetAwait(['down', '--name', c]);
    }
    await expectNothingLeft(c);
  }, 120_000);

  it('knet up && knet down, 20 times in a row, leaves nothing: namespaces, files, the lock, processes, cgroups', async () => {
    const c = name();
    const t = performance.now();
    const cgroups = (): string[] => ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/pids'].flatMap((root) => {
      try {
        return readdirSync(root).filter((e) => e.includes(`knet-${c}`)).map((e) => `${root}/${e}`);
      } catch {
        return [];
      }
    });
    try {
      for (let i = 0; i < 20; i++) {
        const up = await knetAwait(['up', '-f', tiny, '--name', c]);
        expect(up.code, `round ${i + 1}: ${up.err}`).toBe(0);
        const down = await knetAwait(['down', '--name', c]);
        expect(down.code, `round ${i + 1}: ${down.err}`).toBe(0);
        expect(leftovers(c), `round ${i + 1}`).toEqual([]);
      }
    } finally {
      await knetAwait(['down', '--name', c]);
    }
    await expectNothingLeft(c);
    expect(cgroups()).toEqual([]);
    console.log(`20 x (knet up && knet down) of a 1-node cluster: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }, 600_000);
});
