// `kubectl exec` and `kubectl attach` over WebSocket (v5.channel.k8s.io, v4): the pod and
// container are checked as kube-apiserver checks them (answers before the upgrade, as
// Statuses), then the command runs as `knet exec` runs it: `ip netns exec` in the pod's
// network namespace (its resolv.conf, hosts and hostname), with pipes, or a pseudo-terminal
// for `-t`. Its exit code ends the stream as a Status on channel 3. attach follows the
// container's output (its log) until the client leaves.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsc, statSync } from 'node:fs';
import { constants as osc } from 'node:os';
import { isApiError } from './api-error.js';
import {
  CHANNEL, EXEC_SUBPROTOCOLS, channelMessage, execRequest, podContainer, containersOf, exitStatus, findProgram, notFoundMessage,
  readClientMessage, type ExecOutcome, type ExecRequest,
} from './exec-channels.js';
import { refuseUpgrade, type UpgradeHandler } from './upgrade.js';
import { acceptWebSocket, notWebSocket, pickSubprotocol, sendPaced } from './ws-upgrade.js';
import type { WebSocket } from 'ws';
import { netnsExecArgv } from '../dataplane/exec.js';
import { podHostname } from '../daemon/workloads-view.js';
import { logPath } from '../dataplane/runtime/spec.js';
import { podLogDir } from '../daemon/paths.js';
import { followFile } from './logs-follow.js';

/** A container's programs see the host's filesystem: PATH as a shell on the node has it. */
const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const serveExec: UpgradeHandler = (daemon, target, req, socket, head) => {
  const subresource = target.subresource === 'attach' ? 'attach' : 'exec';
  const refuse = (e: { code: number; reason: string; message: string }): void => refuseUpgrade(socket, e.code, e.reason, e.message);
  const asked = execRequest(subresource, target.url.searchParams);
  if (isApiError(asked)) return refuse(asked);
  const pod = daemon.cluster.pods.find((p) => p.meta.namespace === target.namespace && p.meta.name === target.pod);
  if (!pod) return refuse({ code: 404, reason: 'NotFound', message: `pods "${target.pod}" not found` });
  const container = podContainer(target.pod, containersOf(pod), asked.container);
  if (isApiError(container)) return refuse(container);
  const ref = `${target.namespace}/${target.pod}`;
  const placed = daemon.plan.pods.find((p) => p.pod === ref);
  // As `knet exec` (workloads-view execTargets): a host-network pod has its node's name.
  const place = placed && { netns: placed.netns, hostname: placed.hostNetwork ? placed.node : podHostname(pod) };
  // A pod without a sandbox yet (Pending, or one knet cannot place): the kubelet has no container to enter.
  if (!place) return refuse({ code: 400, reason: 'BadRequest', message: `unable to upgrade connection: container not found ("${container}")` });
  const protocol = pickSubprotocol(req.headers['sec-websocket-protocol'], EXEC_SUBPROTOCOLS);
  const notWs = notWebSocket(req.headers);
  if (notWs) return refuse({ code: 400, reason: 'BadRequest', message: notWs });
  if (!protocol) return refuse({ code: 400, reason: 'BadRequest', message: `unable to upgrade connection: none of the offered subprotocols is served (${EXEC_SUBPROTOCOLS.join(', ')})` });
  const options = { protocol, request: { ...asked, container }, netns: place.netns, hostname: place.hostname };
  acceptWebSocket(req, socket, head, protocol, (ws) => {
    if (subresource === 'attach') attach(ws, logPath(podLogDir(daemon.name), ref, container), options);
    else runCommand(ws, options);
  });
};

interface Session {
  readonly protocol: string;
  readonly request: ExecRequest;
  readonly netns: string;
  readonly hostname: string;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsc.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function runCommand(ws: WebSocket, s: Session): void {
  const { request } = s;
  let child: ChildProcess | null = null;
  let ended = false;
  let pty: import('./exec-pty.js').Pty | null = null;
  let pendingSize: { width: number; height: number } | null = null;
  ws.on('message', (data: Buffer) => {
    const m = readClientMessage(s.protocol, data);
    if (m.kind === 'stdin') {
      if (pty) pty.master.write(m.data);
      else child?.stdin?.write(m.data);
    } else if (m.kind === 'stdin-closed') {
      if (!pty) child?.stdin?.end();
    } else if (m.kind === 'resize') {
      if (pty) pty.resize(m.size);
      else pendingSize = m.size;
    }
  });
  // The client went away (or the connection broke): the command and what it started are hung
  // up on, as a closed terminal would; what ignores SIGHUP is killed two seconds later.
  ws.on('close', () => {
    if (ended || !child) return;
    hangUp(child, 'SIGHUP');
    setTimeout(() => hangUp(child!, 'SIGKILL'), 2000).unref();
  });
  ws.on('error', () => { /* a broken connection: 'close' follows */ });
  const out = request.tty ? CHANNEL.stdout : CHANNEL.stderr;
  const finish = (outcome: ExecOutcome): void => {
    if (ended) return;
    ended = true;
    sendPaced(ws, channelMessage(CHANNEL.status, JSON.stringify(exitStatus(outcome, request.command))));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  const program = findProgram(request.command[0]!, CONTAINER_PATH, isExecutable);
  if (!program) {
    sendPaced(ws, channelMessage(out, notFoundMessage(request.command[0]!, request.tty)));
    return finish({ kind: 'exited', code: 126 });
  }
  const env: NodeJS.ProcessEnv = { PATH: CONTAINER_PATH, HOME: '/root', HOSTNAME: s.hostname, ...(request.tty ? { TERM: 'xterm' } : {}) };
  const argv = netnsExecArgv(s.netns, request.command, s.hostname ? { hostname: s.hostname } : {});
  const onExit = (code: number | null, signal: NodeJS.Signals | null): ExecOutcome =>
    ({ kind: 'exited', code: code ?? 128 + (signal ? osc.signals[signal] : 0) });
  const pump = (stream: NodeJS.ReadableStream & { pause(): void; resume(): void; isPaused(): boolean }, channel: number): void => {
    stream.on('data', (chunk: Buffer) => sendPaced(ws, channelMessage(channel, chunk), stream));
  };
  if (request.tty) {
    void import('./exec-pty.js').then(({ openPty, withControllingTerminal, closeFd }) => {
      if (ws.readyState !== ws.OPEN) return;
      try {
        pty = openPty(pendingSize ?? { width: 80, height: 24 });
      } catch (e) {
        return finish({ kind: 'failed', message: (e as Error).message });
      }
      const [cmd, ...args] = withControllingTerminal(argv);
      const slave = pty.slave;
      child = spawn(cmd!, args, { stdio: [slave, slave, slave], env });
      closeFd(slave);
      const master = pty.master;
      pump(master, CHANNEL.stdout);
      // Reading the master fails with EIO once every holder of the slave is gone: the output is all read.
      let exit: ExecOutcome | null = null;
      let drained = false;
      const done = (): void => { if (exit && drained) { master.destroy(); finish(exit); } };
      master.on('error', () => { drained = true; done(); });
      master.on('end', () => { drained = true; done(); });
      child.on('error', (e) => finish({ kind: 'failed', message: e.message }));
      child.on('exit', (code, signal) => {
        exit = onExit(code, signal);
        // A background job may keep the terminal open: its output is not waited for long.
        setTimeout(() => { drained = true; done(); }, 250).unref();
        done();
      });
    });
    return;
  }
  // A process group of its own (detached), so a hang-up reaches what the command started too.
  child = spawn(argv[0]!, argv.slice(1), {
    stdio: [request.stdin ? 'pipe' : 'ignore', request.stdout ? 'pipe' : 'ignore', request.stderr ? 'pipe' : 'ignore'],
    env, detached: true,
  });
  child.stdin?.on('error', () => { /* the command stopped reading: what kubectl still sends has nowhere to go */ });
  if (child.stdout) pump(child.stdout, CHANNEL.stdout);
  if (child.stderr) pump(child.stderr, CHANNEL.stderr);
  child.on('error', (e) => finish({ kind: 'failed', message: e.message }));
  child.on('close', (code, signal) => finish(onExit(code, signal)));
}

/** Signals the command's process group (its session, with a terminal); the command alone if it has none yet. */
function hangUp(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal); // setsid has not made its group yet
  }
}

/**
 * attach: knet's containers are its built-in responders and supervised programs, whose
 * output goes to the container's log; attaching streams what they print from now on.
 * Their stdin is not connected (as with a container without `stdin: true`).
 */
function attach(ws: WebSocket, file: string, s: Session): void {
  let stop: (() => void) | null = null;
  // stdin and resizes are ignored: the container reads no stdin.
  ws.on('close', () => stop?.());
  ws.on('error', () => { /* a broken connection: 'close' follows */ });
  const channel = s.request.stdout ? CHANNEL.stdout : CHANNEL.stderr;
  let start = 0;
  try {
    start = statSync(file).size;
  } catch {
    // no output yet: follow from the start once it appears
  }
  stop = followFile(file, start, (chunk) => sendPaced(ws, channelMessage(channel, chunk)));
}
