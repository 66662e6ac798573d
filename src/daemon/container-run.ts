// What the kubelet hands a container, decided for the node runtime's SPEC: the environment
// (envFrom, then env in order with $(VAR) expansion; valueFrom ConfigMap and Secret keys and
// the downward fields), $(VAR) in command and args, the pod's volumes as files (configMap,
// secret, downwardAPI, projected; emptyDir), the mounts, the user and capabilities, and the
// pod's limits. A reference that does not resolve stops the container as the kubelet's
// CreateContainerConfigError does: it is not started, and its status says why.
import type { Cluster } from '../cluster/fill-in.js';
import type { PodPlacement } from '../compile/topology-plan.js';
import type { ConfigMap, Container, DownwardFile, KeyToPath, Pod, Secret, Volume } from '../model/types.js';
import { ABSOLUTE_CLEAN, RELATIVE_CLEAN, type CommandSpec, type MountSpec, type VolumeSpec } from '../dataplane/runtime/spec.js';
import { parseQuantity } from '../model/decode-pod-run.js';

export interface PodRunSpec {
  readonly volumes: readonly VolumeSpec[];
  readonly limits: { readonly memoryBytes: number | null; readonly cpuMilli: number | null };
  readonly fsGroup: number | null;
}

type Lookup = { readonly configMaps: ReadonlyMap<string, ConfigMap>; readonly secrets: ReadonlyMap<string, Secret> };

export function lookupOf(cluster: Pick<Cluster, 'configMaps' | 'secrets'>): Lookup {
  return {
    configMaps: new Map(cluster.configMaps.map((c) => [`${c.meta.namespace}/${c.meta.name}`, c])),
    secrets: new Map(cluster.secrets.map((s) => [`${s.meta.namespace}/${s.meta.name}`, s])),
  };
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** A Secret's value (base64 on the wire) as text. */
function secretText(s: Secret, key: string): string | undefined {
  const v = s.data[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

/** The downward API's fields (pkg/fieldpath): what env fieldRef and downwardAPI files can name. */
export function downwardField(pod: Pod, place: PodPlacement | undefined, fieldPath: string): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? pod.meta.labels : pod.meta.annotations)[m[2]!];
  const mapText = (map: Readonly<Record<string, string>>): string =>
    Object.keys(map).sort().map((k) => `${k}=${JSON.stringify(map[k])}`).join('\n');
  switch (fieldPath) {
    case 'metadata.name': return pod.meta.name;
    case 'metadata.namespace': return pod.meta.namespace;
    case 'metadata.uid': return pod.meta.uid;
    case 'metadata.labels': return mapText(pod.meta.labels);
    case 'metadata.annotations': return mapText(pod.meta.annotations);
    case 'spec.nodeName': return place?.node ?? pod.spec.nodeName;
    case 'spec.serviceAccountName': return pod.spec.run?.serviceAccountName ?? 'default';
    case 'status.podIP': return place?.ips[0] ?? pod.status.podIPs[0] ?? '';
    case 'status.podIPs': return (place?.ips ?? pod.status.podIPs).join(',');
    case 'status.hostIP': return pod.status.hostIP;
    case 'status.hostIPs': return pod.status.hostIP;
    default: return undefined;
  }
}

function resourceValue(pod: Pod, container: string, resource: string, divisor: string): string | undefined {
  const c = pod.spec.containers.find((x) => x.name === container);
  const limits = c?.run?.limits;
  const div = parseQuantity(divisor) || 1;
  if (resource === 'limits.memory' && limits?.memoryBytes != null) return String(Math.ceil(limits.memoryBytes / div));
  if (resource === 'limits.cpu' && limits?.cpuMilli != null) return String(Math.ceil(limits.cpuMilli / 1000 / div));
  return undefined;
}

/** $(VAR) from `env`; $$ is a literal $; an unknown $(VAR) stays as written (kubelet's expansion). */
export function expandVars(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([^)]*)\)/g, (all, name: string | undefined) => {
    if (all === '$$') return '$';
    return name !== undefined && Object.hasOwn(env, name) ? env[name]! : all;
  });
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** The container's environment, or the kubelet's error for a reference that does not resolve. */
export function containerEnv(pod: Pod, c: Container, place: PodPlacement | undefined, lookup: Lookup): { env: Record<string, string>; error?: string } {
  const ns = pod.meta.namespace;
  const env: Record<string, string> = {};
  const run = c.run;
  if (!run) return { env };
  for (const from of run.envFrom) {
    const key = `${ns}/${from.name}`;
    const data = from.kind === 'configMap'
      ? lookup.configMaps.get(key)?.data
      : (() => {
        const s = lookup.secrets.get(key);
        return s ? Object.fromEntries(Object.keys(s.data).map((k) => [k, secretText(s, k) ?? ''])) : undefined;
      })();
    if (!data) {
      if (from.optional) continue;
      return { env, error: `${from.kind === 'configMap' ? 'configmap' : 'secret'} "${from.name}" not found` };
    }
    for (const [k, v] of Object.entries(data)) if (ENV_NAME.test(from.prefix + k)) env[from.prefix + k] = v;
  }
  for (const e of run.env) {
    const f = e.from;
    switch (f.kind) {
      case 'value':
        env[e.name] = expandVars(f.value, env);
        break;
      case 'configMapKey':
      case 'secretKey': {
        const key = `${ns}/${f.name}`;
        const what = f.kind === 'configMapKey' ? 'configmap' : 'secret';
        const v = f.kind === 'configMapKey' ? lookup.configMaps.get(key)?.data[f.key] : (() => {
          const s = lookup.secrets.get(key);
          return s ? secretText(s, f.key) : undefined;
        })();
        const exists = f.kind === 'configMapKey' ? lookup.configMaps.has(key) : lookup.secrets.has(key);
        if (v === undefined) {
          if (f.optional) break;
          return { env, error: exists ? `couldn't find key ${f.key} in ${what === 'configmap' ? 'ConfigMap' : 'Secret'} ${key}` : `${what} "${f.name}" not found` };
        }
        env[e.name] = v;
        break;
      }
      case 'field': {
        const v = downwardField(pod, place, f.fieldPath);
        if (v === undefined) return { env, error: `env ${e.name}: unsupported fieldRef ${JSON.stringify(f.fieldPath)}` };
        env[e.name] = v;
        break;
      }
      case 'resource': {
        const v = resourceValue(pod, f.container || c.name, f.resource, f.divisor);
        if (v !== undefined) env[e.name] = v;
        break;
      }
    }
  }
  return { env };
}

const DEFAULT_MODE = 0o644;

function keyFiles(items: readonly KeyToPath[] | null, data: Readonly<Record<string, string>>, mode: number, optional: boolean, what: string): { files: { path: string; data: string; mode: number }[]; error?: string } {
  if (!items) return { files: Object.entries(data).map(([k, v]) => ({ path: k, data: v, mode: mode & 0o777 })) };
  const files: { path: string; data: string; mode: number }[] = [];
  for (const it of items) {
    const v = data[it.key];
    if (v === undefined) {
      if (optional) continue;
      return { files, error: `configmap references non-existent config key: ${it.key} (${what})` };
    }
    files.push({ path: it.path, data: v, mode: (it.mode ?? mode) & 0o777 });
  }
  return { files };
}

function downwardFiles(pod: Pod, place: PodPlacement | undefined, items: readonly DownwardFile[], mode: number): { files: { path: string; data: string; mode: number }[]; error?: string } {
  const files: { path: string; data: string; mode: number }[] = [];
  for (const it of items) {
    const v = it.resource ? resourceValue(pod, it.resource.container, it.resource.resource, it.resource.divisor) ?? '' : downwardField(pod, place, it.fieldPath);
    if (v === undefined) return { files, error: `downwardAPI ${it.path}: unsupported fieldRef ${JSON.stringify(it.fieldPath)}` };
    files.push({ path: it.path, data: b64(v), mode: (it.mode ?? mode) & 0o777 });
  }
  return { files };
}

/** One pod volume as the runtime makes it; `error` when a referenced object or key is missing. */
function volumeSpec(pod: Pod, place: PodPlacement | undefined, v: Volume, lookup: Lookup): { spec: VolumeSpec; error?: string } {
  const ns = pod.meta.namespace;
  const src = v.source;
  const cmFiles = (name: string, items: readonly KeyToPath[] | null, mode: number, optional: boolean): { files: { path: string; data: string; mode: number }[]; error?: string } => {
    const cm = lookup.configMaps.get(`${ns}/${name}`);
    if (!cm) return optional ? { files: [] } : { files: [], error: `configmap "${name}" not found` };
    const data = Object.fromEntries(Object.entries(cm.data).map(([k, x]) => [k, b64(x)]));
    return keyFiles(items, data, mode, optional, `ConfigMap ${ns}/${name}`);
  };
  const secretFiles = (name: string, items: readonly KeyToPath[] | null, mode: number, optional: boolean): { files: { path: string; data: string; mode: number }[]; error?: string } => {
    const s = lookup.secrets.get(`${ns}/${name}`);
    if (!s) return optional ? { files: [] } : { files: [], error: `secret "${name}" not found` };
    const r = keyFiles(items, s.data, mode, optional, `Secret ${ns}/${name}`);
    return r.error ? { ...r, error: r.error.replace('configmap references', 'secret references') } : r;
  };
  switch (src.kind) {
    case 'emptyDir':
    case 'other':
      return { spec: { name: v.name, kind: 'emptyDir' } };
    case 'configMap':
    case 'secret': {
      const r = (src.kind === 'configMap' ? cmFiles : secretFiles)(src.name, src.items, src.defaultMode ?? DEFAULT_MODE, src.optional);
      return { spec: { name: v.name, kind: 'files', files: r.files }, ...(r.error ? { error: r.error } : {}) };
    }
    case 'downwardAPI': {
      const r = downwardFiles(pod, place, src.items, src.defaultMode ?? DEFAULT_MODE);
      return { spec: { name: v.name, kind: 'files', files: r.files }, ...(r.error ? { error: r.error } : {}) };
    }
    case 'projected': {
      const mode = src.defaultMode ?? DEFAULT_MODE;
      const files: { path: string; data: string; mode: number }[] = [];
      for (const s of src.sources) {
        const r = s.kind === 'configMap' ? cmFiles(s.name, s.items, mode, s.optional)
          : s.kind === 'secret' ? secretFiles(s.name, s.items, mode, s.optional)
            : s.kind === 'downwardAPI' ? downwardFiles(pod, place, s.items, mode)
              : { files: [] };
        if (r.error) return { spec: { name: v.name, kind: 'files', files }, error: r.error };
        files.push(...r.files);
      }
      return { spec: { name: v.name, kind: 'files', files } };
    }
  }
}

/** The pod's volumes, limits and fsGroup; `errors`: per volume, why it cannot be made. */
export function podRunSpec(pod: Pod, place: PodPlacement | undefined, running: readonly Container[], lookup: Lookup): PodRunSpec & { errors: ReadonlyMap<string, string> } {
  const errors = new Map<string, string>();
  const volumes: VolumeSpec[] = [];
  for (const v of pod.spec.run?.volumes ?? []) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v.name) || volumes.some((x) => x.name === v.name)) continue;
    const r = volumeSpec(pod, place, v, lookup);
    if (r.spec.kind === 'files') {
      const bad = r.spec.files.find((f) => !RELATIVE_CLEAN.test(f.path));
      if (bad) {
        volumes.push({ name: v.name, kind: 'files', files: [] });
        errors.set(v.name, `volume ${v.name}: file path ${JSON.stringify(bad.path)} must be relative, without '..'`);
        continue;
      }
    }
    volumes.push(r.spec);
    if (r.error) errors.set(v.name, r.error);
  }
  // A pod's limit is the sum of its containers' when every one of them has one (the kubelet's pod cgroup).
  const sum = (pick: (c: Container) => number | null | undefined): number | null => {
    let total = 0;
    for (const c of running) {
      const x = pick(c);
      if (x == null) return null;
      total += x;
    }
    return running.length > 0 ? total : null;
  };
  return {
    volumes,
    limits: { memoryBytes: sum((c) => c.run?.limits.memoryBytes), cpuMilli: sum((c) => c.run?.limits.cpuMilli) },
    fsGroup: pod.spec.run?.securityContext.fsGroup ?? null,
    errors,
  };
}

/** The SPEC command of a container with a command: argv expanded, env, mounts, user, capabilities. */
export function commandSpec(pod: Pod, c: Container, place: PodPlacement | undefined, lookup: Lookup, volumeErrors: ReadonlyMap<string, string>): CommandSpec {
  const { env, error } = containerEnv(pod, c, place, lookup);
  const run = c.run;
  const psc = pod.spec.run?.securityContext;
  const uid = run?.securityContext.runAsUser ?? psc?.runAsUser ?? null;
  const gid = run?.securityContext.runAsGroup ?? psc?.runAsGroup ?? null;
  const mounts: MountSpec[] = [];
  let mountError: string | undefined;
  const volumes = new Set((pod.spec.run?.volumes ?? []).map((v) => v.name));
  for (const m of run?.volumeMounts ?? []) {
    if (!volumes.has(m.name)) {
      mountError ??= `volumeMounts: no volume named "${m.name}" in the pod`;
      continue;
    }
    if (!ABSOLUTE_CLEAN.test(m.mountPath) || (m.subPath && !RELATIVE_CLEAN.test(m.subPath))) {
      mountError ??= `volumeMounts: mountPath ${JSON.stringify(m.mountPath)} must be absolute and subPath ${JSON.stringify(m.subPath)} relative, without '..'`;
      continue;
    }
    mountError ??= volumeErrors.get(m.name);
    mounts.push({ volume: m.name, path: m.mountPath, readOnly: m.readOnly, ...(m.subPath ? { subPath: m.subPath } : {}) });
  }
  const groups = psc?.supplementalGroups ?? [];
  const runAsNonRoot = run?.securityContext.runAsNonRoot ?? psc?.runAsNonRoot ?? null;
  const idError = [uid, gid, ...groups].some((x) => x !== null && (x < 0 || x > 65_535))
    ? `runAsUser/runAsGroup/supplementalGroups outside 0..65535: knet maps 65536 ids per pod` : undefined;
  const capError = [...(run?.securityContext.capabilitiesAdd ?? []), ...(run?.securityContext.capabilitiesDrop ?? [])].find((x) => !/^[A-Za-z_]+$/.test(x));
  const problem = error ?? mountError ?? idError ?? (capError !== undefined ? `capabilities: ${JSON.stringify(capError)} is not a capability name` : undefined);
  return {
    container: c.name,
    argv: [...c.command, ...c.args].map((a) => expandVars(a, env)),
    env,
    ...(run?.workingDir ? { workingDir: run.workingDir } : {}),
    ...(!idError && (uid !== null || gid !== null || groups.length > 0) ? { user: { uid: uid ?? 0, gid: gid ?? 0, groups: [...groups] } } : {}),
    ...(runAsNonRoot !== null ? { runAsNonRoot } : {}),
    ...(run && capError === undefined && (run.securityContext.capabilitiesAdd.length > 0 || run.securityContext.capabilitiesDrop.length > 0)
      ? { capabilities: { add: [...run.securityContext.capabilitiesAdd], drop: [...run.securityContext.capabilitiesDrop] } } : {}),
    ...(mounts.length > 0 ? { mounts } : {}),
    ...(problem ? { error: problem } : {}),
  };
}
