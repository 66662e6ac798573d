// The sandbox as data (no root): capabilities as a container runtime computes them, bwrap's
// options, the exec argv, the env file, the pod's uid range, cgroup limits and hierarchies.
import { describe, expect, it } from 'vitest';
import { hierarchies, limitWrites } from './cgroup.js';
import { bwrapArgs, commandArgv, effectiveCapabilities, envFileText, execArgv, launchArgv, uidBaseFor, IDS_PER_POD, type SandboxPlan } from './sandbox.js';

const plan = (over: Partial<SandboxPlan> = {}): SandboxPlan => ({
  netns: 'knet-c-pod-0a1b2c3d', hostname: 'web', uidBase: 2 ** 30, uid: 0, gid: 0, groups: [],
  capabilities: effectiveCapabilities([], []), workingDir: '/', env: { PATH: '/usr/bin', A: 'x' },
  system: [{ name: 'bin', kind: 'symlink', target: 'usr/bin' }, { name: 'lib', kind: 'bind' }],
  etc: [{ name: 'passwd', kind: 'bind' }, { name: 'mtab', kind: 'symlink', target: '../proc/self/mounts' }],
  etcHidden: [{ name: 'netns', dir: true }, { name: 'shadow', dir: false }, { name: 'hosts', dir: false }, { name: 'hostname', dir: false }, { name: 'resolv.conf', dir: false }],
  varDirs: ['log', 'log/nginx'], hosts: '/etc/netns/knet-c-pod-0a1b2c3d/hosts', resolv: null, hostnameFile: '/run/knet-sandbox.d/x/hostname',
  mounts: [], cgroupProcs: ['/sys/fs/cgroup/unified/knet-c/default_web/cgroup.procs'],
  ...over,
});

/** The value following each occurrence of `flag`. */
const after = (args: readonly string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

describe('effectiveCapabilities', () => {
  const cases: { name: string; add: string[]; drop: string[]; want: { all: boolean; caps: string[] } }[] = [
    { name: 'nothing asked -> the runtime default set', add: [], drop: [], want: { all: false, caps: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID'] } },
    { name: 'drop ALL -> none', add: [], drop: ['ALL'], want: { all: false, caps: [] } },
    { name: 'drop ALL, add NET_BIND_SERVICE -> only that (names with or without CAP_, any case)', add: ['net_bind_service'], drop: ['all'], want: { all: false, caps: ['CAP_NET_BIND_SERVICE'] } },
    { name: 'drop one default', add: [], drop: ['CAP_CHOWN', 'KILL', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETPCAP'], want: { all: false, caps: ['CAP_NET_BIND_SERVICE', 'CAP_SETGID', 'CAP_SETUID'] } },
    { name: 'add ALL -> every capability', add: ['ALL'], drop: [], want: { all: true, caps: [] } },
  ];
  for (const c of cases) it(c.name, () => expect(effectiveCapabilities(c.add, c.drop)).toEqual(c.want));
});

describe('bwrapArgs', () => {
  it('own user, PID, IPC, UTS namespaces; dies with the runtime; the pod hostname', () => {
    const a = bwrapArgs(plan());
    for (const f of ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--clearenv']) expect(a).toContain(f);
    expect(after(a, '--hostname')).toEqual(['web']);
    expect(a).not.toContain('--unshare-net'); // the pod's network namespace, entered by nsenter
  });

  it('no mount under /etc: the host\'s /etc read-only, hidden directories under a tmpfs, hidden files under /dev/null, the pod\'s files over the host\'s', () => {
    const a = bwrapArgs(plan());
    expect(a.join(' ')).toContain('--ro-bind /etc /etc --tmpfs /etc/netns --ro-bind /dev/null /etc/shadow --ro-bind /etc/netns/knet-c-pod-0a1b2c3d/hosts /etc/hosts --ro-bind /dev/null /etc/resolv.conf --ro-bind /run/knet-sandbox.d/x/hostname /etc/hostname');
    expect(after(a, '--remount-ro')).toEqual([]);
  });

  it('a mount under /etc: /etc a tmpfs of read-only entries (hidden ones never bound), never the host root, /run, /var/lib/knet', () => {
    const a = bwrapArgs(plan({ mounts: [{ source: '/s/app', target: '/etc/app', readOnly: true }] }));
    expect(after(a, '--ro-bind')).toEqual(['/usr', '/lib', '/etc/passwd', '/etc/netns/knet-c-pod-0a1b2c3d/hosts', '/run/knet-sandbox.d/x/hostname', '/s/app']);
    expect(after(a, '--bind')).toEqual([]);
    expect(after(a, '--tmpfs')).toEqual(['/etc', '/tmp', '/run']);
    expect(after(a, '--remount-ro')).toEqual(['/etc']);
    const sources = [...after(a, '--ro-bind'), ...after(a, '--bind')];
    expect(sources.filter((x) => x === '/' || x === '/root' || x === '/etc' || /^\/(run\/knet-[a-z0-9-]+(\/|$)|run\/netns|var\/lib\/knet|etc\/netns\/?$)/.test(x))).toEqual([]);
  });

  it('mounts: read-only honoured, shallower targets first', () => {
    const a = bwrapArgs(plan({ mounts: [
      { source: '/s/conf', target: '/etc/nginx/conf.d', readOnly: true },
      { source: '/s/data', target: '/data', readOnly: false },
    ] }));
    expect(a.join(' ')).toContain('--bind /s/data /data --ro-bind /s/conf /etc/nginx/conf.d');
  });

  it('env only from the plan; the working directory made and entered', () => {
    const a = bwrapArgs(plan({ workingDir: '/app', env: { PATH: '/p', K: 'v w' } }));
    expect(a.join(' ')).toContain('--setenv PATH /p --setenv K v w');
    expect(after(a, '--dir')).toContain('/app');
    expect(after(a, '--chdir')).toEqual(['/app']);
  });

  it('capabilities: drop ALL, add the set; a non-root user keeps SETUID/SETGID only until setpriv switches', () => {
    expect(after(bwrapArgs(plan({ capabilities: effectiveCapabilities(['NET_ADMIN'], ['ALL']) })), '--cap-add')).toEqual(['CAP_NET_ADMIN']);
    const nonRoot = plan({ uid: 1000, gid: 1000, capabilities: effectiveCapabilities([], ['ALL']) });
    expect(after(bwrapArgs(nonRoot), '--cap-add')).toEqual(['CAP_SETGID', 'CAP_SETUID']);
    expect(commandArgv(nonRoot, ['id'])).toEqual(['/usr/bin/setpriv', '--reuid=1000', '--regid=1000', '--clear-groups', '--', 'id']);
    expect(commandArgv(plan(), ['id'])).toEqual(['id']);
  });
});

describe('launchArgv', () => {
  it('joins the cgroup, enters the netns, drops to the pod uid, runs bwrap with options on fd 5; the env never on a command line', () => {
    const a = launchArgv(plan({ env: { SECRET: 'hunter2' } }), ['sh', '-c', 'x']);
    expect(a.slice(0, 3)).toEqual(['/bin/sh', '-c', expect.stringContaining('echo $$ > "$1"')]);
    expect(a).toContain('--net=/run/netns/knet-c-pod-0a1b2c3d');
    expect(a).toContain(`--reuid=${2 ** 30}`);
    expect(a.slice(-6)).toEqual(['--args', '5', '--', 'sh', '-c', 'x']);
    expect(a.join(' ')).not.toContain('hunter2');
  });
});

describe('execArgv', () => {
  it('enters every namespace of the container, sources its env, takes its user and bounding set, no new privileges', () => {
    const a = execArgv(4242, { uid: 1000, gid: 1000, groups: [2000], capabilities: effectiveCapabilities(['NET_ADMIN'], ['ALL']) }, ['cat', '/tmp/x']);
    expect(a.slice(0, 3)).toEqual(['/usr/bin/nsenter', '-t', '4242']);
    for (const f of ['--user', '--mount', '--uts', '--ipc', '--net', '--pid', '--root', '--wd', '--no-new-privs', '--reuid=1000', '--groups=2000', '--bounding-set=-all,+net_admin']) expect(a).toContain(f);
    expect(a.slice(-2)).toEqual(['cat', '/tmp/x']);
  });
});

describe('envFileText', () => {
  it('single quotes survive; names a shell cannot export are left out', () => {
    expect(envFileText({ A: "it's", B: '$(x) `y`', 'my.var': 'z' })).toBe(`export A='it'\\''s'\nexport B='$(x) \`y\`'\n`);
  });
});

describe('uidBaseFor', () => {
  it('a 65536-aligned slot above 2^30, the same for the same pod, not host ids', () => {
    const b = uidBaseFor('demo', 'default/web');
    expect(b % IDS_PER_POD).toBe(0);
    expect(b).toBeGreaterThanOrEqual(2 ** 30);
    expect(b + IDS_PER_POD).toBeLessThanOrEqual(2 ** 31);
    expect(uidBaseFor('demo', 'default/web')).toBe(b);
    expect(uidBaseFor('demo', 'default/api')).not.toBe(b);
  });
});

describe('cgroups', () => {
  it('hierarchies of a hybrid host (v1 controllers and the unified tree) and of a pure v2 host', () => {
    const hybrid = [
      'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0',
      'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,relatime,cpu,cpuacct 0 0',
      'cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0',
      'cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0',
      'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
    ].join('\n');
    expect(hierarchies(hybrid)).toEqual([
      { root: '/sys/fs/cgroup/memory', kind: 'memory' }, { root: '/sys/fs/cgroup/cpu,cpuacct', kind: 'cpu' },
      { root: '/sys/fs/cgroup/pids', kind: 'pids' }, { root: '/sys/fs/cgroup/unified', kind: 'v2' },
    ]);
    expect(hierarchies('cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n')).toEqual([{ root: '/sys/fs/cgroup', kind: 'v2' }]);
  });

  const limits = { memoryBytes: 128 * 2 ** 20, cpuMilli: 500 };
  const cases: { name: string; kind: 'v2' | 'memory' | 'cpu'; controllers: string[]; l: typeof limits | { memoryBytes: null; cpuMilli: null }; want: [string, string][] }[] = [
    { name: 'v2 with memory and cpu delegated', kind: 'v2', controllers: ['memory', 'cpu'], l: limits, want: [['memory.max', '134217728'], ['memory.swap.max', '0'], ['cpu.max', '50000 100000']] },
    { name: 'v2 unified tree of a hybrid host: no controller, no limit', kind: 'v2', controllers: [], l: limits, want: [] },
    { name: 'v2 without limits: max', kind: 'v2', controllers: ['memory', 'cpu'], l: { memoryBytes: null, cpuMilli: null }, want: [['memory.max', 'max'], ['cpu.max', 'max 100000']] },
    { name: 'v1 memory', kind: 'memory', controllers: [], l: limits, want: [['memory.limit_in_bytes', '134217728']] },
    { name: 'v1 cpu: CFS quota per 100 ms period', kind: 'cpu', controllers: [], l: limits, want: [['cpu.cfs_period_us', '100000'], ['cpu.cfs_quota_us', '50000']] },
  ];
  for (const c of cases) it(`limits: ${c.name}`, () => expect(limitWrites({ root: '/x', kind: c.kind }, c.l, new Set(c.controllers))).toEqual(c.want));
});
