// What `kubectl exec` asks and how its answer is framed: the query's options checked in
// kube-apiserver's words, the container chosen, client messages read by protocol (v5's
// close), resize messages, and the Status that carries the exit code kubectl exits with.
import { describe, expect, it } from 'vitest';
import { channelMessage, execRequest, exitStatus, findProgram, notFoundMessage, parseResize, podContainer, readClientMessage } from './exec-channels.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

describe('execRequest', () => {
  it("kubectl's query: repeated command, stdin/stdout/stderr/tty as Go booleans", () => {
    expect(execRequest('exec', q('command=sh&command=-c&command=exit+7&container=c&stdin=true&stdout=1&stderr=True&tty=false'))).toEqual({
      command: ['sh', '-c', 'exit 7'], container: 'c', stdin: true, stdout: true, stderr: true, tty: false,
    });
  });

  it.each([
    ['exec without a command', 'exec', 'stdout=true', 'you must specify at least 1 command'],
    ['no stream at all', 'exec', 'command=true', 'you must specify at least one of stdin, stdout, stderr'],
    ['attach without a stream', 'attach', 'tty=true', 'you must specify at least one of stdin, stdout, stderr'],
  ] as const)('%s -> 400 %s', (_rule, sub, query, message) => {
    expect(execRequest(sub, q(query))).toEqual({ code: 400, reason: 'BadRequest', message });
  });

  it('attach needs no command', () => {
    expect(execRequest('attach', q('stdout=true'))).toMatchObject({ command: [], stdout: true });
  });
});

describe('podContainer', () => {
  const pod = { app: ['a', 'b'], init: ['setup'] };
  it.each([
    ['the only app container when none is named', { app: ['c'], init: ['i'] }, '', 'c'],
    ['a named app container', pod, 'b', 'b'],
    ['a named init container', pod, 'setup', 'setup'],
  ])('%s', (_rule, containers, asked, chosen) => {
    expect(podContainer('x', containers, asked)).toBe(chosen);
  });
  it("kube-apiserver's words when it cannot choose or the name is wrong", () => {
    expect(podContainer('x', pod, '')).toMatchObject({ code: 400, message: 'a container name must be specified for pod x, choose one of: [a b]' });
    expect(podContainer('x', pod, 'zz')).toMatchObject({ code: 400, message: 'container zz is not valid for pod x' });
  });
});

describe('client messages', () => {
  const v5 = 'v5.channel.k8s.io';
  it.each([
    ['stdin data', v5, [0, 104, 105], { kind: 'stdin', data: Buffer.from('hi') }],
    ["v5's CLOSE of stdin half-closes it", v5, [255, 0], { kind: 'stdin-closed' }],
    ['v4 has no CLOSE channel', 'v4.channel.k8s.io', [255, 0], { kind: 'ignored', why: 'channel 255' }],
    ['a resize', v5, [4, ...Buffer.from('{"Width":100,"Height":40}')], { kind: 'resize', size: { width: 100, height: 40 } }],
    ['an empty message (a keep-alive)', v5, [], { kind: 'ignored', why: 'empty message' }],
  ])('%s', (_rule, protocol, bytes, meaning) => {
    expect(readClientMessage(protocol, Buffer.from(bytes))).toEqual(meaning);
  });

  it.each([
    ['{"Width":80,"Height":24}', { width: 80, height: 24 }],
    ['{"Width":80}', null],
    ['{"Width":-1,"Height":24}', null],
    ['{"Width":70000,"Height":24}', null],
    ['not json', null],
  ])('resize %s', (text, size) => {
    expect(parseResize(Buffer.from(text))).toEqual(size);
  });

  it('a channel message is its byte then the data', () => {
    expect([...channelMessage(1, 'ok')]).toEqual([1, 111, 107]);
  });
});

describe('exitStatus', () => {
  it('exit 0 is Success', () => {
    expect(exitStatus({ kind: 'exited', code: 0 }, ['true'])).toEqual({ metadata: {}, status: 'Success' });
  });
  it("exit 7 is NonZeroExitCode with an ExitCode cause: client-go's CodeExitError, kubectl exits 7", () => {
    expect(exitStatus({ kind: 'exited', code: 7 }, ['sh', '-c', 'exit 7'])).toEqual({
      metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });
  it('a command that could not run at all is an InternalError kubectl prints', () => {
    expect(exitStatus({ kind: 'failed', message: 'spawn ip ENOENT' }, ['x'])).toMatchObject({ status: 'Failure', reason: 'InternalError', message: 'spawn ip ENOENT' });
  });
});

describe('findProgram', () => {
  const files = new Set(['/usr/bin/sh', '/bin/true', '/opt/tool']);
  const has = (f: string): boolean => files.has(f);
  it.each([
    ['a name found on PATH, first directory first', 'sh', '/usr/bin/sh'],
    ['a later PATH directory', 'true', '/bin/true'],
    ['a path as given', '/opt/tool', '/opt/tool'],
    ['a name on no PATH directory', 'nope', null],
    ['a path that does not exist', '/opt/nope', null],
  ])('%s', (_rule, name, found) => {
    expect(findProgram(name, '/usr/bin:/bin', has)).toBe(found);
  });
  it("runc's message, as kubectl prints it before 'command terminated with exit code 126'", () => {
    expect(notFoundMessage('nope', false)).toBe('OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown\n');
    expect(notFoundMessage('/opt/nope', true)).toBe('OCI runtime exec failed: exec failed: unable to start container process: stat /opt/nope: no such file or directory: unknown\r\n');
  });
});
