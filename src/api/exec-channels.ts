// What `kubectl exec` and `kubectl attach` ask for and the channel protocol they speak over
// the WebSocket: the request's options (kube-apiserver's PodExecOptions from the query), the
// subprotocols served (v5.channel.k8s.io: channels 0 stdin, 1 stdout, 2 stderr, 3 status,
// 4 resize, 255 close; v4 the same without close), the final Status a command's exit code
// becomes (client-go turns NonZeroExitCode into kubectl's own exit code), and resize messages.
import type { ApiError } from './api-error.js';

const badRequest = (message: string): ApiError => ({ code: 400, reason: 'BadRequest', message });

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

/** Ours, most preferred first. kubectl 1.30+ offers v5 alone over WebSocket (and falls back to SPDY). */
export const EXEC_SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export interface ExecRequest {
  readonly command: readonly string[];
  readonly container: string;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** Go's strconv.ParseBool, as the query parameter codec reads booleans. */
function queryBool(v: string | null): boolean {
  return v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
}

/** PodExecOptions / PodAttachOptions from the query, validated as kube-apiserver does. */
export function execRequest(subresource: 'exec' | 'attach', q: URLSearchParams): ExecRequest | ApiError {
  const req: ExecRequest = {
    command: q.getAll('command'),
    container: q.get('container') ?? '',
    stdin: queryBool(q.get('stdin')),
    stdout: queryBool(q.get('stdout')),
    stderr: queryBool(q.get('stderr')),
    tty: queryBool(q.get('tty')),
  };
  if (subresource === 'exec' && req.command.length === 0) return badRequest('you must specify at least 1 command');
  if (!req.stdin && !req.stdout && !req.stderr) return badRequest('you must specify at least one of stdin, stdout, stderr');
  return req;
}

/**
 * The container a request names (any of the pod's, init containers too), or the pod's only
 * app container when it names none; kube-apiserver's words otherwise.
 */
export function podContainer(pod: string, containers: { readonly app: readonly string[]; readonly init: readonly string[] }, asked: string): string | ApiError {
  if (!asked) {
    if (containers.app.length === 1) return containers.app[0]!;
    return badRequest(`a container name must be specified for pod ${pod}, choose one of: [${containers.app.join(' ')}]`);
  }
  if (!containers.app.includes(asked) && !containers.init.includes(asked)) return badRequest(`container ${asked} is not valid for pod ${pod}`);
  return asked;
}

/** One message on a channel: the channel's byte, then the data. */
export function channelMessage(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = channel;
  body.copy(out, 1);
  return out;
}

export type ClientMessage =
  | { readonly kind: 'stdin'; readonly data: Buffer }
  | { readonly kind: 'stdin-closed' }
  | { readonly kind: 'resize'; readonly size: TerminalSize }
  | { readonly kind: 'ignored'; readonly why: string };

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/** What a message from the client means under the negotiated protocol. */
export function readClientMessage(protocol: string, msg: Buffer): ClientMessage {
  if (msg.length === 0) return { kind: 'ignored', why: 'empty message' };
  const channel = msg[0]!;
  const data = msg.subarray(1);
  if (channel === CHANNEL.stdin) return { kind: 'stdin', data };
  if (channel === CHANNEL.resize) {
    const size = parseResize(data);
    return size ? { kind: 'resize', size } : { kind: 'ignored', why: `bad resize message ${JSON.stringify(data.toString())}` };
  }
  // v5 adds CLOSE: [255, channel] half-closes that channel (kubectl sends it when its stdin ends).
  if (channel === CHANNEL.close && protocol === 'v5.channel.k8s.io') {
    return data[0] === CHANNEL.stdin ? { kind: 'stdin-closed' } : { kind: 'ignored', why: `close of channel ${data[0] ?? '?'}` };
  }
  return { kind: 'ignored', why: `channel ${channel}` };
}

/** remotecommand.TerminalSize as JSON, `{"Width":80,"Height":24}`: both positive 16-bit numbers. */
export function parseResize(data: Buffer): TerminalSize | null {
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { Width: width, Height: height } = v as { Width?: unknown; Height?: unknown };
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff;
  return ok(width) && ok(height) ? { width, height } : null;
}

/** How the command ended. */
export type ExecOutcome =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'failed'; readonly message: string };

/**
 * The Status on channel 3 that ends the stream: Success for exit 0; a non-zero exit is
 * Failure/NonZeroExitCode with the code as an ExitCode cause (kubectl exits with it);
 * anything else is an InternalError kubectl prints.
 */
export function exitStatus(outcome: ExecOutcome, command: readonly string[]): Record<string, unknown> {
  if (outcome.kind === 'exited' && outcome.code === 0) return { metadata: {}, status: 'Success' };
  if (outcome.kind === 'exited') {
    return {
      metadata: {}, status: 'Failure',
      message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${outcome.code}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(outcome.code) }] },
    };
  }
  return { metadata: {}, status: 'Failure', message: outcome.message, reason: 'InternalError', code: 500 };
}

/**
 * The program a container runtime would run: a path as given, else the first executable of
 * that name on PATH; null is runc's "executable file not found in $PATH".
 */
export function findProgram(name: string, path: string, isExecutable: (file: string) => boolean): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  for (const dir of path.split(':')) {
    const file = `${dir || '.'}/${name}`;
    if (isExecutable(file)) return file;
  }
  return null;
}

/** What containerd's runc prints (and kubectl shows, exit 126) when the program cannot be started. */
export function notFoundMessage(name: string, tty: boolean): string {
  const why = name.includes('/') ? `stat ${name}: no such file or directory` : `exec: "${name}": executable file not found in $PATH`;
  return `OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown${tty ? '\r\n' : '\n'}`;
}

/** A pod's container names, app and init. */
export function containersOf(pod: { readonly spec: { readonly containers: readonly { readonly name: string }[]; readonly initContainers: readonly { readonly name: string }[] } }): { app: string[]; init: string[] } {
  return { app: pod.spec.containers.map((c) => c.name), init: pod.spec.initContainers.map((c) => c.name) };
}
