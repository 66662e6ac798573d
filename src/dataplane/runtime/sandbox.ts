// How a container is sandboxed, as data: the argv that starts it (bubblewrap inside the pod's
// network namespace, in a user namespace whose root is an unprivileged host uid), the argv
// that runs an exec probe inside it, and the capability set it gets. Pure: containers.ts
// spawns what this decides; sandbox.test.ts checks it without root.
import { createHash } from 'node:crypto';

/** Host-side tools, by absolute path: a container's PATH never chooses them. */
export const TOOLS = { sh: '/bin/sh', nsenter: '/usr/bin/nsenter', setpriv: '/usr/bin/setpriv', bwrap: '/usr/bin/bwrap' } as const;

/** Per-pod directories the sandbox binds from (volumes, the pod's /etc/hostname); traversable, not listable. */
export const SANDBOX_ROOT = '/run/knet-sandbox.d';

/** The PATH a container gets when its spec sets none (what container images set). */
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** How many ids each pod's user namespace maps (as Kubernetes' user namespaces do: 65536). */
export const IDS_PER_POD = 65_536;
const FIRST_BASE = 2 ** 30;
const SLOTS = 2 ** 14;

/**
 * The host uid (and gid) that a pod's container root maps to: a slot of 65536 ids above
 * 2^30, chosen by the pod's name. No account on the host owns these ids.
 */
export function uidBaseFor(cluster: string, ref: string): number {
  const h = createHash('sha256').update(`${cluster}\0${ref}`).digest();
  return FIRST_BASE + (h.readUInt32BE(0) % SLOTS) * IDS_PER_POD;
}

/** Where the daemon keeps an ingress-nginx controller pod's nginx prefix (mounted into its container). */
export function ingressPrefixDir(cluster: string, ref: string): string {
  return `${SANDBOX_ROOT}/knet-${cluster}-ingress/${ref.replace('/', '_')}`;
}

/**
 * The capabilities a container runtime (CRI-O, and containerd without NET_RAW, MKNOD,
 * SYS_CHROOT, AUDIT_WRITE) gives a container that asks for nothing. They act only inside the
 * container's user namespace: none of them reaches the pod's network or the host.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID',
];

/** securityContext.capabilities names (`NET_ADMIN`, `CAP_NET_ADMIN`, `all`) as kernel names. */
export function capName(name: string): string {
  const up = name.toUpperCase();
  return up === 'ALL' ? 'ALL' : up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/** The runtime's rule: defaults, minus `drop` (ALL drops every default), plus `add` (ALL: every capability). */
export function effectiveCapabilities(add: readonly string[], drop: readonly string[]): { readonly all: boolean; readonly caps: readonly string[] } {
  const a = add.map(capName);
  const d = new Set(drop.map(capName));
  if (a.includes('ALL')) return { all: true, caps: [] };
  const base = d.has('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !d.has(c));
  return { all: false, caps: [...new Set([...base, ...a])].sort() };
}

export interface SandboxMount {
  /** Host path (a file or directory). */
  readonly source: string;
  /** Path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

/** An entry of the host's /etc as the container sees it: bound read-only, or the same symlink. */
export type EtcEntry = { readonly name: string; readonly kind: 'bind' } | { readonly name: string; readonly kind: 'symlink'; readonly target: string };

export interface SandboxPlan {
  /** The pod's network namespace (under /run/netns). */
  readonly netns: string;
  readonly hostname: string;
  /** Host uid and gid of the container's root. */
  readonly uidBase: number;
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups (the kubelet's: fsGroup and supplementalGroups). */
  readonly groups: readonly number[];
  readonly capabilities: { readonly all: boolean; readonly caps: readonly string[] };
  readonly workingDir: string;
  readonly env: Readonly<Record<string, string>>;
  /** The host's top-level system entries: bin, lib, ... as directories or symlinks (usr is always bound). */
  readonly system: readonly EtcEntry[];
  readonly etc: readonly EtcEntry[];
  /** HIDDEN_ETC entries the host has (a directory is covered by a tmpfs, a file by /dev/null). */
  readonly etcHidden: readonly { readonly name: string; readonly dir: boolean; readonly link?: boolean }[];
  /** Empty writable directories under /var that the host has (log/nginx, lib/nginx, cache, ...). */
  readonly varDirs: readonly string[];
  /** /etc/hosts, /etc/resolv.conf, /etc/hostname: host files bound read-only (null: none). */
  readonly hosts: string | null;
  readonly resolv: string | null;
  readonly hostnameFile: string | null;
  readonly mounts: readonly SandboxMount[];
  /** cgroup.procs files the launcher writes its pid into before anything else runs. */
  readonly cgroupProcs: readonly string[];
}

/** /etc entries a container never sees: the host's namespaces' files, passwords, sudo. */
export const HIDDEN_ETC = new Set(['netns', 'hosts', 'resolv.conf', 'hostname', 'shadow', 'shadow-', 'gshadow', 'gshadow-', 'sudoers', 'sudoers.d', 'ssh', 'ssl/private']);

/** Top-level host entries that hold programs and libraries, bound read-only when present. */
export const SYSTEM_ENTRIES = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** The fds of the launch: 3 blocks bwrap until the id maps are written, 4 carries its info, 5 its arguments, 6 the env file. */
export const FD = { block: 3, info: 4, args: 5, envFile: 6 } as const;

/** Where the container's environment is kept for exec probes (a shell file, mode 0400, in its private /run). */
export const ENV_FILE = '/run/.knet-env';

/**
 * The launch command: a host shell joins the pod's cgroup, enters the pod's network namespace,
 * lets unprivileged users there bind ports < 1024 (net.ipv4.ip_unprivileged_port_start=0, as
 * container runtimes set it, in the pod's namespace only), drops to the pod's host uid and execs
 * bwrap, whose arguments come on fd 5 (so no env value shows in `ps`).
 */
export function launchArgv(plan: SandboxPlan, argv: readonly string[]): string[] {
  const inNetns = [
    'echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start || exit 125',
    'exec "$@"',
  ].join('\n');
  return hostLaunchArgv(plan.cgroupProcs, [
    TOOLS.nsenter, `--net=/run/netns/${plan.netns}`, '--',
    TOOLS.sh, '-c', inNetns, 'knet-sandbox',
    TOOLS.setpriv, `--reuid=${plan.uidBase}`, `--regid=${plan.uidBase}`, '--clear-groups', '--',
    TOOLS.bwrap, '--args', String(FD.args), '--', ...commandArgv(plan, argv),
  ]);
}

/**
 * knet's own internet programs (Pebble): the pod's cgroup, then `ip netns exec` (the pod's
 * /etc/netns files) with the pod's hostname, as root on the host; never a cluster pod's command.
 */
export function hostLaunchArgv(cgroupProcs: readonly string[], netnsArgv: readonly string[]): string[] {
  const script = ['n=$1; shift', 'while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done', 'exec "$@"'].join('\n');
  return [TOOLS.sh, '-c', script, 'knet-host', String(cgroupProcs.length), ...cgroupProcs, ...netnsArgv];
}

/** What bwrap execs: the container's argv, through setpriv when it runs as another user. */
export function commandArgv(plan: SandboxPlan, argv: readonly string[]): string[] {
  return [...(plan.uid !== 0 || plan.gid !== 0 || plan.groups.length > 0 ? switchUser(plan) : []), ...argv];
}

/** bwrap's options (given on fd 5, NUL-separated: bwrap takes the command from its own argv). */
export function bwrapArgs(plan: SandboxPlan): string[] {
  const a: string[] = [
    '--unshare-user', '--userns-block-fd', String(FD.block), '--info-fd', String(FD.info),
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', plan.hostname,
    '--die-with-parent', '--new-session',
    '--ro-bind', '/usr', '/usr',
  ];
  for (const e of plan.system) a.push(...(e.kind === 'symlink' ? ['--symlink', e.target, `/${e.name}`] : ['--ro-bind', `/${e.name}`, `/${e.name}`]));
  // /etc: when no mount lands under it, the host's /etc read-only with the hidden entries
  // covered (one mount, ~10 ms); else a tmpfs of read-only entries, where a mount can make
  // its own directories (~140 mounts, ~50 ms).
  const own: [string | null, string][] = [[plan.hosts, 'hosts'], [plan.resolv, 'resolv.conf'], [plan.hostnameFile, 'hostname']];
  // The pod's files need a plain file of the host's to cover.
  const coverable = (name: string): boolean => plan.etcHidden.some((h) => h.name === name && !h.dir && !h.link);
  const etcMounts = plan.mounts.some((m) => m.target === '/etc' || m.target.startsWith('/etc/')) || plan.workingDir.startsWith('/etc/')
    || own.some(([src, name]) => src !== null && !coverable(name));
  if (etcMounts) {
    a.push('--perms', '0755', '--tmpfs', '/etc');
    for (const e of plan.etc) a.push(...(e.kind === 'symlink' ? ['--symlink', e.target, `/etc/${e.name}`] : ['--ro-bind', `/etc/${e.name}`, `/etc/${e.name}`]));
    for (const [src, name] of own) if (src) a.push('--ro-bind', src, `/etc/${name}`);
  } else {
    a.push('--ro-bind', '/etc', '/etc');
    const ownNames = new Set(own.map(([, n]) => n));
    for (const h of plan.etcHidden) {
      if (ownNames.has(h.name) || h.link) continue;
      a.push(...(h.dir ? ['--tmpfs', `/etc/${h.name}`] : ['--ro-bind', '/dev/null', `/etc/${h.name}`]));
    }
    // The pod's files over the host's (a mount point must exist in a read-only /etc).
    for (const [src, name] of own) if (coverable(name)) a.push('--ro-bind', src ?? '/dev/null', `/etc/${name}`);
  }
  a.push(
    '--proc', '/proc', '--dev', '/dev',
    '--perms', '01777', '--tmpfs', '/tmp',
    '--perms', '0755', '--tmpfs', '/run',
    '--perms', '0400', '--file', String(FD.envFile), ENV_FILE,
    '--dir', '/var', '--perms', '01777', '--dir', '/var/tmp', '--symlink', '../run', '/var/run', '--symlink', '../run/lock', '/var/lock',
  );
  for (const d of plan.varDirs) a.push('--dir', `/var/${d}`);
  a.push('--perms', '0700', '--dir', '/root', '--dir', '/home');
  // Deeper targets after the ones that contain them.
  const mounts = [...plan.mounts].sort((x, y) => x.target.split('/').length - y.target.split('/').length);
  for (const m of mounts) a.push(m.readOnly ? '--ro-bind' : '--bind', m.source, m.target);
  if (etcMounts) a.push('--remount-ro', '/etc');
  if (plan.workingDir !== '/') a.push('--dir', plan.workingDir);
  a.push('--chdir', plan.workingDir, '--clearenv');
  for (const [k, v] of Object.entries(plan.env)) a.push('--setenv', k, v);
  a.push(...capArgs(plan.capabilities, plan.uid !== 0 || plan.gid !== 0 || plan.groups.length > 0));
  return a;
}

/** bwrap's capability flags; a non-root container also keeps SETUID/SETGID until setpriv switches user. */
function capArgs(c: SandboxPlan['capabilities'], switching: boolean): string[] {
  if (c.all) return ['--cap-add', 'ALL'];
  const caps = new Set(c.caps);
  if (switching) {
    caps.add('CAP_SETUID');
    caps.add('CAP_SETGID');
  }
  return ['--cap-drop', 'ALL', ...[...caps].sort().flatMap((x) => ['--cap-add', x])];
}

/** setpriv to the container's user: after the exec a non-root user holds no capability, as in a pod. */
function switchUser(plan: SandboxPlan): string[] {
  const groups = plan.groups.length > 0 ? [`--groups=${plan.groups.join(',')}`] : ['--clear-groups'];
  return [TOOLS.setpriv, `--reuid=${plan.uid}`, `--regid=${plan.gid}`, ...groups, '--'];
}

/** The env file's text: `export K='v'` lines a POSIX shell sources (names a shell cannot export are left out). */
export function envFileText(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map(([k, v]) => `export ${k}='${v.replaceAll("'", `'\\''`)}'\n`)
    .join('');
}

/**
 * An exec probe (and any later exec) inside a running container, as `runc exec` does it: the
 * container's user, mount, UTS, IPC, network and PID namespaces, its root and working
 * directory, its environment (sourced from its env file), its user and capabilities, no new
 * privileges. `pid`: the host pid of the sandbox's first process (bwrap's child-pid).
 */
export function execArgv(pid: number, plan: Pick<SandboxPlan, 'uid' | 'gid' | 'groups' | 'capabilities'>, argv: readonly string[]): string[] {
  const bounding = plan.capabilities.all ? [] : [`--bounding-set=-all${plan.capabilities.caps.map((c) => `,+${c.slice(4).toLowerCase()}`).join('')}`];
  const user = plan.uid !== 0 || plan.gid !== 0 || plan.groups.length > 0
    ? [`--reuid=${plan.uid}`, `--regid=${plan.gid}`, ...(plan.groups.length > 0 ? [`--groups=${plan.groups.join(',')}`] : ['--clear-groups'])]
    : [];
  return [
    TOOLS.nsenter, '-t', String(pid), '--user', '--mount', '--uts', '--ipc', '--net', '--pid', '--root', '--wd', '--',
    TOOLS.sh, '-c', `[ -r ${ENV_FILE} ] && . ${ENV_FILE}; exec "$@"`, 'knet-exec',
    TOOLS.setpriv, ...user, ...bounding, '--no-new-privs', '--', ...argv,
  ];
}
