// A pod's side of the sandbox on the host: its directory under /run/knet-sandbox.d/<netns>/
// (volumes as real files, its /etc/hostname), owned so that only the pod's own ids reach it,
// and each container's SandboxPlan (sandbox.ts) from the SPEC. The volume files are rewritten
// on every reconcile, so a changed ConfigMap reaches a mounted directory (not a subPath file,
// as in Kubernetes).
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ETC_NETNS } from '../run-state.js';
import {
  CONTAINER_PATH, HIDDEN_ETC, SANDBOX_ROOT, SYSTEM_ENTRIES, effectiveCapabilities,
  type EtcEntry, type SandboxMount, type SandboxPlan,
} from './sandbox.js';
import type { CommandSpec, PodSpec, VolumeSpec } from './spec.js';

export interface HostLayout {
  readonly system: readonly EtcEntry[];
  readonly etc: readonly EtcEntry[];
  readonly etcHidden: readonly { readonly name: string; readonly dir: boolean }[];
  readonly varDirs: readonly string[];
}

let layout: HostLayout | null = null;

function entry(dir: string, name: string): EtcEntry | null {
  try {
    const st = lstatSync(join(dir, name));
    if (st.isSymbolicLink()) return { name, kind: 'symlink', target: readlinkSync(join(dir, name)) };
    return { name, kind: 'bind' };
  } catch {
    return null;
  }
}

/** What of the host a container sees read-only: program and library directories, /etc (less HIDDEN_ETC), /var's layout. */
export function hostLayout(): HostLayout {
  if (layout) return layout;
  const system = SYSTEM_ENTRIES.map((n) => entry('/', n)).filter((e): e is EtcEntry => e !== null);
  const etc = safeList('/etc').filter((n) => !HIDDEN_ETC.has(n) && !n.startsWith('knet')).map((n) => entry('/etc', n)).filter((e): e is EtcEntry => e !== null);
  // Empty directories named as the host's (nginx wants /var/log/nginx and /var/lib/nginx); never their content.
  const varDirs: string[] = [];
  for (const top of ['log', 'lib', 'cache', 'spool']) {
    varDirs.push(top);
    for (const n of safeList(`/var/${top}`)) {
      if (n.startsWith('knet') || !/^[A-Za-z0-9._-]+$/.test(n)) continue;
      try {
        if (lstatSync(`/var/${top}/${n}`).isDirectory()) varDirs.push(`${top}/${n}`);
      } catch {
        // gone
      }
    }
  }
  const etcHidden = [...HIDDEN_ETC, ...safeList('/etc').filter((n) => n.startsWith('knet'))].flatMap((name) => {
    try {
      const st = lstatSync(`/etc/${name}`);
      return [{ name, dir: st.isDirectory(), link: st.isSymbolicLink() }];
    } catch {
      return [];
    }
  });
  layout = { system, etc, etcHidden, varDirs };
  return layout;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export function podDir(netns: string): string {
  return `${SANDBOX_ROOT}/${netns}`;
}

function volumeDir(netns: string, volume: string): string {
  return `${podDir(netns)}/volumes/${volume}`;
}

/**
 * Makes the pod's directory and volumes. The directory is root:<uidBase> 0750: bwrap, running
 * as the pod's host uid, reaches it; nobody else but root does. Volume files belong to the
 * container's root (group: fsGroup's host id when set), with the mode the SPEC gives.
 */
export function preparePodDir(pod: PodSpec, uidBase: number): void {
  // The pod's directory first: once it is in, another cluster's teardown (which removes the
  // shared root only when empty) cannot take the root away before the chmod.
  const dir = podDir(pod.netns);
  mkdirSync(`${dir}/volumes`, { recursive: true, mode: 0o711 });
  chmodSync(SANDBOX_ROOT, 0o711);
  chownSync(dir, 0, uidBase);
  chmodSync(dir, 0o750);
  chownSync(`${dir}/volumes`, 0, uidBase);
  chmodSync(`${dir}/volumes`, 0o750);
  writeAtomic(`${dir}/hostname`, `${pod.hostname}\n`, 0o644, uidBase, uidBase);
  const gid = uidBase + (pod.fsGroup ?? 0);
  for (const v of pod.volumes) writeVolume(pod.netns, v, uidBase, gid);
}

function writeVolume(netns: string, v: VolumeSpec, uid: number, gid: number): void {
  const dir = volumeDir(netns, v.name);
  switch (v.kind) {
    case 'host':
      // knet's own directories under the sandbox root: bwrap (the pod's uid) must get through.
      if (v.path.startsWith(`${SANDBOX_ROOT}/`)) {
        for (let d = dirname(v.path); d.startsWith(SANDBOX_ROOT); d = dirname(d)) if (existsSync(d)) chmodSync(d, 0o711);
      }
      return;
    case 'emptyDir':
      // Kubernetes makes an emptyDir 0777: any user of the pod writes it.
      if (!existsSync(dir)) mkdirSync(dir);
      chmodSync(dir, 0o777);
      return;
    case 'files': {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, uid, gid);
      chmodSync(dir, 0o755);
      const want = new Set(v.files.map((f) => f.path));
      // Files no longer in the volume go (the directory stays: it is mounted).
      for (const name of safeList(dir)) {
        if (![...want].some((p) => p === name || p.startsWith(`${name}/`))) rmSync(join(dir, name), { recursive: true, force: true });
      }
      for (const f of v.files) {
        const path = join(dir, f.path);
        let parent = dirname(path);
        const made: string[] = [];
        while (parent !== dir && !existsSync(parent)) {
          made.push(parent);
          parent = dirname(parent);
        }
        for (const d of made.reverse()) {
          mkdirSync(d);
          chownSync(d, uid, gid);
          chmodSync(d, 0o755);
        }
        writeAtomic(path, Buffer.from(f.data, 'base64'), f.mode, uid, gid);
      }
    }
  }
}

function writeAtomic(path: string, data: string | Buffer, mode: number, uid: number, gid: number): void {
  const tmp = `${path}.knet-tmp`;
  writeFileSync(tmp, data, { mode });
  chownSync(tmp, uid, gid);
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function removePodDir(netns: string): void {
  rmSync(podDir(netns), { recursive: true, force: true });
}

/** A mount's host source: the volume's directory (or the host path), and the subPath in it. */
function mountSource(pod: PodSpec, volume: string, subPath: string | undefined, uid: number, gid: number): string {
  const v = pod.volumes.find((x) => x.name === volume);
  if (!v) throw new Error(`no volume ${volume}`);
  const base = v.kind === 'host' ? v.path : volumeDir(pod.netns, v.name);
  if (!subPath) return base;
  const source = join(base, subPath);
  // The kubelet makes a missing subPath as a directory.
  if (!existsSync(source) && v.kind === 'emptyDir') {
    mkdirSync(source, { recursive: true, mode: 0o777 });
    chownSync(source, uid, gid);
    chmodSync(source, 0o777);
  }
  return source;
}

export interface PlanContext {
  readonly pod: PodSpec;
  readonly uidBase: number;
  readonly cgroupProcs: readonly string[];
}

/** The container's sandbox, or why it cannot start (runAsNonRoot with uid 0). */
export function containerPlan(ctx: PlanContext, cmd: CommandSpec): { kind: 'ok'; plan: SandboxPlan } | { kind: 'refused'; reason: string } {
  const { pod, uidBase } = ctx;
  const uid = cmd.user?.uid ?? 0;
  const gid = cmd.user?.gid ?? 0;
  if (cmd.runAsNonRoot && uid === 0) {
    return { kind: 'refused', reason: 'container has runAsNonRoot and image will run as root: set securityContext.runAsUser to a non-zero uid' };
  }
  const groups = [...new Set([...(cmd.user?.groups ?? []), ...(pod.fsGroup !== null ? [pod.fsGroup] : [])])].filter((g) => g !== gid || uid !== 0);
  const mounts: SandboxMount[] = (cmd.mounts ?? []).map((m) => ({
    source: mountSource(pod, m.volume, m.subPath, uidBase + uid, uidBase + (pod.fsGroup ?? gid)),
    target: m.path,
    readOnly: m.readOnly ?? false,
  }));
  const host = hostLayout();
  const etcNetns = `${ETC_NETNS}/${pod.netns}`;
  return {
    kind: 'ok',
    plan: {
      netns: pod.netns, hostname: pod.hostname, uidBase, uid, gid, groups,
      capabilities: effectiveCapabilities(cmd.capabilities?.add ?? [], cmd.capabilities?.drop ?? []),
      workingDir: cmd.workingDir ?? '/',
      env: { PATH: CONTAINER_PATH, HOSTNAME: pod.hostname, HOME: uid === 0 ? '/root' : '/', ...cmd.env },
      system: host.system, etc: host.etc, etcHidden: host.etcHidden, varDirs: host.varDirs,
      hosts: existsSync(`${etcNetns}/hosts`) ? `${etcNetns}/hosts` : null,
      resolv: existsSync(`${etcNetns}/resolv.conf`) ? `${etcNetns}/resolv.conf` : null,
      hostnameFile: `${podDir(pod.netns)}/hostname`,
      mounts,
      cgroupProcs: ctx.cgroupProcs,
    },
  };
}
