// The runtime's pure parts: SPEC checking, agnhost's answer formats, the pod resolver's
// resolv.conf/hosts handling and DNS packets. No root, no namespaces.
import { describe, expect, it } from 'vitest';
import { formatAddr, goJson, udpAnswer, type PodContext } from './netexec.js';
import { candidates, decodeAnswer, encodeQuery, lookupHosts, parseResolvConf } from './resolve.js';
import { clusterFromPath, controlPath, logPath, parseSpec, SpecError, statusPath } from './spec.js';

const pod: PodContext = { ref: 'default/web', netns: 'knet-x-pod-00000000', hostname: 'web-0', healthy: true };

describe('agnhost answer formats', () => {
  it.each([
    ['::ffff:10.250.0.1', 4321, '10.250.0.1:4321'], // IPv4 client on a dual-stack socket, as Go prints it
    ['10.0.0.1', 80, '10.0.0.1:80'],
    ['fd00::1', 53, '[fd00::1]:53'],
  ])('clientip of %s:%d is %s', (address, port, want) => {
    expect(formatAddr(address, port)).toBe(want);
  });

  it('UDP commands are trimmed and lower-cased; unknown ones get no answer', () => {
    const client = { address: '::ffff:10.0.0.9', port: 999 };
    expect(udpAnswer(pod, 'hostname\n', client)).toBe('web-0');
    expect(udpAnswer(pod, 'HOSTNAME', client)).toBe('web-0');
    expect(udpAnswer(pod, 'echo Hello World', client)).toBe('hello world');
    expect(udpAnswer(pod, 'clientip', client)).toBe('10.0.0.9:999');
    expect(udpAnswer(pod, 'what', client)).toBeNull();
  });

  it('/dial JSON has Go encoding/json key order and escaping', () => {
    expect(goJson({ responses: ['a'], errors: ['x -> <y> & z'] })).toBe('{"errors":["x -\\u003e \\u003cy\\u003e \\u0026 z"],"responses":["a"]}');
    expect(goJson({})).toBe('{}');
  });
});

describe('SPEC', () => {
  const base = { node: 'node-1', logDir: '/run/knet-demo/logs', pods: [{ ref: 'default/web', netns: 'knet-demo-pod-0a1b2c3d', servers: [{ protocol: 'TCP', port: 8080 }, { protocol: 'tcp', port: 8080 }, { protocol: 'UDP', port: 53 }] }] };

  it('fills in defaults: hostname from the pod name, healthy, no commands, cluster from logDir, kubelet back-off', () => {
    const s = parseSpec(JSON.stringify(base));
    expect(s.cluster).toBe('demo');
    expect(s.pods[0]).toEqual({
      ref: 'default/web',
      netns: 'knet-demo-pod-0a1b2c3d',
      hostname: 'web',
      healthy: true,
      commands: [],
      // duplicates folded; the netexec responder unless a kind says otherwise
      servers: [{ protocol: 'TCP', port: 8080, kind: 'netexec', log: null, container: '' }, { protocol: 'UDP', port: 53, kind: 'netexec', log: null, container: '' }],
      probes: [],
      probeFrom: null,
      // no volumes, no limits; the pod's uid range and fsGroup chosen by the runtime
      volumes: [],
      limits: { memoryBytes: null, cpuMilli: null },
      uidBase: null,
      fsGroup: null,
      // running, no preStop hooks
      preStop: [],
      terminating: null,
    });
    expect(s.dns).toBeNull();
    expect(s.backoff).toEqual({ initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 });
    expect(statusPath(s)).toBe('/run/knet-demo/runtime-node-1.json');
    expect(controlPath(s)).toBe('/run/knet-demo/runtime-node-1.sock');
    expect(logPath(s.logDir, 'default/web', 'app')).toBe('/run/knet-demo/logs/default_web_app.log');
  });

  it.each([
    ['a namespace knet did not make', { pods: [{ ref: 'a/b', netns: 'prod' }] }, /knet-/],
    ['a bad ref', { pods: [{ ref: 'web', netns: 'knet-x' }] }, /namespace\/name/],
    ['a port out of range', { pods: [{ ref: 'a/b', netns: 'knet-x', servers: [{ port: 70000 }] }] }, /port/],
    ['SCTP', { pods: [{ ref: 'a/b', netns: 'knet-x', servers: [{ protocol: 'SCTP', port: 1 }] }] }, /TCP or UDP/],
    ['an empty argv', { pods: [{ ref: 'a/b', netns: 'knet-x', commands: [{ container: 'c', argv: [] }] }] }, /argv is empty/],
    ['a pod twice', { pods: [{ ref: 'a/b', netns: 'knet-x' }, { ref: 'a/b', netns: 'knet-y' }] }, /twice/],
    ['a relative logDir', { logDir: 'logs' }, /absolute/],
    ['an unknown server kind', { pods: [{ ref: 'a/b', netns: 'knet-x', servers: [{ port: 53, kind: 'bind' }] }] }, /netexec, dns, internet-dns/],
    ['a DNS server without DNS data', { pods: [{ ref: 'a/b', netns: 'knet-x', servers: [{ protocol: 'UDP', port: 53, kind: 'dns' }] }] }, /"dns": \{"data"/],
    ['DNS data at a relative path', { dns: { data: 'dns.json', version: 'v1' } }, /absolute/],
    ['an unknown probe', { pods: [{ ref: 'a/b', netns: 'knet-x', probes: [{ container: 'c', probe: 'sideness', check: { kind: 'exec', argv: ['true'] } }] }] }, /startup, readiness, liveness/],
    ['a mount of a volume the pod lacks', { pods: [{ ref: 'a/b', netns: 'knet-x', commands: [{ container: 'c', argv: ['x'], mounts: [{ volume: 'v', path: '/v' }] }] }] }, /no such volume/],
    ['a mount path with ..', { pods: [{ ref: 'a/b', netns: 'knet-x', volumes: [{ name: 'v', kind: 'emptyDir' }], commands: [{ container: 'c', argv: ['x'], mounts: [{ volume: 'v', path: '/a/../etc' }] }] }] }, /without '.' or '..'/],
    ['a subPath leaving the volume', { pods: [{ ref: 'a/b', netns: 'knet-x', volumes: [{ name: 'v', kind: 'emptyDir' }], commands: [{ container: 'c', argv: ['x'], mounts: [{ volume: 'v', path: '/v', subPath: '../../etc' }] }] }] }, /relative, without '\.\.'/],
    ['a volume file outside its volume', { pods: [{ ref: 'a/b', netns: 'knet-x', volumes: [{ name: 'v', kind: 'files', files: [{ path: '../x', data: '' }] }] }] }, /relative, without '\.\.'/],
    ['a uid outside the pod\'s 65536', { pods: [{ ref: 'a/b', netns: 'knet-x', commands: [{ container: 'c', argv: ['x'], user: { uid: 70000 } }] }] }, /user\.uid must be an integer in 0\.\.65535/],
    ['a cluster pod outside a sandbox', { pods: [{ ref: 'a/b', netns: 'knet-x', commands: [{ container: 'c', argv: ['x'], unsandboxed: true }] }] }, /only knet's internet pods/],
    ['a capability that is not a name', { pods: [{ ref: 'a/b', netns: 'knet-x', commands: [{ container: 'c', argv: ['x'], capabilities: { add: ['NET ADMIN; x'] } }] }] }, /capability name/],
    ['an httpGet probe without probeFrom', { pods: [{ ref: 'a/b', netns: 'knet-x', probes: [{ container: 'c', probe: 'readiness', check: { kind: 'http', host: '10.0.0.1', port: 80 } }] }] }, /probeFrom/],
    ['a probe check of no known kind', { pods: [{ ref: 'a/b', netns: 'knet-x', probes: [{ container: 'c', probe: 'liveness', check: { kind: 'grpc' } }] }] }, /http, tcp or exec/],
    ['a preStop hook of no known kind', { pods: [{ ref: 'a/b', netns: 'knet-x', preStop: [{ container: 'c', hook: { kind: 'tcp' } }] }] }, /sleep, exec or http/],
    ['an httpGet preStop hook without probeFrom', { pods: [{ ref: 'a/b', netns: 'knet-x', preStop: [{ container: 'c', hook: { kind: 'http', host: '10.0.0.1', port: 80 } }] }] }, /preStop hooks need "probeFrom"/],
    ['a negative grace period', { pods: [{ ref: 'a/b', netns: 'knet-x', terminating: { gracePeriodMs: -1 } }] }, /gracePeriodMs/],
  ])('refuses %s', (_what, patch, message) => {
    expect(() => parseSpec(JSON.stringify({ ...base, ...patch }))).toThrow(SpecError);
    expect(() => parseSpec(JSON.stringify({ ...base, ...patch }))).toThrow(message);
  });

  it('a CoreDNS pod: DNS servers logging to its container, the DNS data file and version', () => {
    const s = parseSpec(JSON.stringify({
      ...base, dns: { data: '/run/knet-demo/dns.json', version: 'abc' },
      pods: [{ ref: 'kube-system/coredns-1', netns: 'knet-demo-pod-1', servers: [{ protocol: 'UDP', port: 53, kind: 'dns', log: 'coredns' }] }],
    }));
    expect(s.dns).toEqual({ data: '/run/knet-demo/dns.json', version: 'abc' });
    expect(s.pods[0]!.servers).toEqual([{ protocol: 'UDP', port: 53, kind: 'dns', log: 'coredns', container: '' }]);
  });

  it('takes the cluster from /run/knet-<cluster>/ only', () => {
    expect(clusterFromPath('/run/knet-a-b/logs')).toBe('a-b');
    expect(clusterFromPath('/tmp/logs')).toBeNull();
  });
});

describe('name resolution as the pod sees it', () => {
  it('reads nameservers, search and ndots from resolv.conf', () => {
    const c = parseResolvConf('# kubelet\nnameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:2\n');
    expect(c).toEqual({ nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 });
  });

  it('tries the search list first below ndots dots, the name itself first at or above, only the name when absolute', () => {
    const c = { nameservers: [], search: ['ns.svc.cluster.local', 'svc.cluster.local'], ndots: 2 };
    expect(candidates('web', c)).toEqual(['web.ns.svc.cluster.local', 'web.svc.cluster.local', 'web']);
    expect(candidates('a.b.c', c)).toEqual(['a.b.c', 'a.b.c.ns.svc.cluster.local', 'a.b.c.svc.cluster.local']);
    expect(candidates('web.', c)).toEqual(['web']);
  });

  it('finds names in a hosts file, any alias, case-insensitive, IPv4 first', () => {
    const hosts = '127.0.0.1 localhost\n# c\nfd00::5 Web web.ns\n10.244.1.5 web web.ns.pod  # comment\n';
    expect(lookupHosts(hosts, 'WEB')).toEqual(['10.244.1.5', 'fd00::5']);
    expect(lookupHosts(hosts, 'nope')).toEqual([]);
  });

  it('encodes a query and decodes A, AAAA and NXDOMAIN answers, ignoring others\' replies', () => {
    const q = encodeQuery(0x1234, 'web.svc.test', 1);
    expect(q.subarray(0, 4)).toEqual(Buffer.from([0x12, 0x34, 0x01, 0x00]));
    expect(q.subarray(12).toString('latin1')).toBe('\x03web\x03svc\x04test\x00\x00\x01\x00\x01');
    const reply = (rcode: number, answers: Buffer[]): Buffer => {
      const h = Buffer.from(q.subarray(0, 12));
      h[2] = 0x81;
      h[3] = 0x80 | rcode;
      h.writeUInt16BE(answers.length, 6);
      return Buffer.concat([h, q.subarray(12), ...answers]);
    };
    const a = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 96, 0, 10]);
    const cname = Buffer.concat([Buffer.from([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 30, 0, 2]), Buffer.from([0xc0, 12])]);
    expect(decodeAnswer(reply(0, [cname, a]), 0x1234, 1)).toEqual(['10.96.0.10']);
    expect(decodeAnswer(reply(3, []), 0x1234, 1)).toEqual([]);
    expect(decodeAnswer(reply(0, [a]), 0x9999, 1)).toBeNull();
    const aaaa = Buffer.concat([Buffer.from([0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 30, 0, 16]), Buffer.from('fd000000000000000000000000000001', 'hex')]);
    expect(decodeAnswer(reply(0, [aaaa]), 0x1234, 28)).toEqual(['fd00::1']);
  });
});
