// What a pod's containers run with, decoded once: env and envFrom, workingDir, volumeMounts,
// securityContext (user, capabilities) and resources.limits per container; volumes, the
// pod's securityContext, hostAliases and serviceAccountName per pod. The running cluster's
// runtime gives exactly this to each sandboxed container (daemon/container-run.ts).
import type { Decoder } from './decoder.js';
import type { FieldPath } from './source.js';
import type {
  ContainerRun, DownwardFile, EnvFromSource, EnvSource, EnvVar, KeyToPath, PodRun, ProjectedSource, Volume, VolumeMount, VolumeSource,
} from './types.js';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A resource.Quantity ("128Mi", "0.5", "500m", "1e3") as a number; null when it is not one. */
export function parseQuantity(text: string): number | null {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  if (m[3] !== undefined) return n * 10 ** Number(m[3]);
  const suffix = m[2] ?? '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

function quantityAt(d: Decoder, path: FieldPath): number | null {
  const v = d.get(path);
  if (v === undefined || v === null) return null;
  const q = typeof v === 'number' ? v : typeof v === 'string' ? parseQuantity(v) : null;
  if (q === null || q < 0) {
    d.invalid(path, v, 'quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'', 'write a quantity such as 128Mi, 1Gi, 500m or 2');
    return null;
  }
  return q;
}

function intOrNull(d: Decoder, path: FieldPath): number | null {
  return d.int(path) ?? null;
}

function boolOrNull(d: Decoder, path: FieldPath): boolean | null {
  return d.bool(path) ?? null;
}

export function decodeContainerRun(d: Decoder, path: FieldPath): ContainerRun {
  const env: EnvVar[] = [];
  for (let i = 0; i < d.len([...path, 'env']); i++) {
    const p = [...path, 'env', i];
    const name = d.str([...p, 'name']);
    if (!name) {
      d.required([...p, 'name'], 'every env entry needs a name');
      continue;
    }
    env.push({ name, from: decodeEnvSource(d, p) });
  }
  const envFrom: EnvFromSource[] = [];
  for (let i = 0; i < d.len([...path, 'envFrom']); i++) {
    const p = [...path, 'envFrom', i];
    const prefix = d.str([...p, 'prefix']);
    for (const kind of ['configMap', 'secret'] as const) {
      const ref = [...p, kind === 'configMap' ? 'configMapRef' : 'secretRef'];
      if (d.obj(ref)) envFrom.push({ kind, name: d.str([...ref, 'name']), prefix, optional: d.bool([...ref, 'optional']) ?? false });
    }
  }
  const volumeMounts: VolumeMount[] = [];
  for (let i = 0; i < d.len([...path, 'volumeMounts']); i++) {
    const p = [...path, 'volumeMounts', i];
    const mountPath = d.str([...p, 'mountPath']);
    if (!mountPath) d.required([...p, 'mountPath'], 'the path inside the container where the volume appears');
    else if (!mountPath.startsWith('/')) d.invalid([...p, 'mountPath'], mountPath, 'must be an absolute path', `write /${mountPath}`);
    const subPath = d.str([...p, 'subPath']);
    if (subPath.startsWith('/') || subPath.split('/').includes('..')) d.invalid([...p, 'subPath'], subPath, 'must be a relative path without \'..\'');
    volumeMounts.push({ name: d.str([...p, 'name']), mountPath, readOnly: d.bool([...p, 'readOnly']) ?? false, subPath });
  }
  const sc = [...path, 'securityContext'];
  const limits = [...path, 'resources', 'limits'];
  const cpu = quantityAt(d, [...limits, 'cpu']);
  return {
    env, envFrom, volumeMounts,
    workingDir: d.str([...path, 'workingDir']),
    securityContext: {
      runAsUser: intOrNull(d, [...sc, 'runAsUser']),
      runAsGroup: intOrNull(d, [...sc, 'runAsGroup']),
      runAsNonRoot: boolOrNull(d, [...sc, 'runAsNonRoot']),
      capabilitiesAdd: d.strList([...sc, 'capabilities', 'add']),
      capabilitiesDrop: d.strList([...sc, 'capabilities', 'drop']),
    },
    limits: { memoryBytes: roundOrNull(quantityAt(d, [...limits, 'memory'])), cpuMilli: cpu === null ? null : Math.ceil(cpu * 1000) },
  };
}

function roundOrNull(n: number | null): number | null {
  return n === null ? null : Math.ceil(n);
}

function decodeEnvSource(d: Decoder, p: FieldPath): EnvSource {
  const from = [...p, 'valueFrom'];
  if (!d.obj(from)) return { kind: 'value', value: d.str([...p, 'value']) };
  for (const [field, kind] of [['configMapKeyRef', 'configMapKey'], ['secretKeyRef', 'secretKey']] as const) {
    const r = [...from, field];
    if (d.obj(r)) return { kind, name: d.str([...r, 'name']), key: d.str([...r, 'key']), optional: d.bool([...r, 'optional']) ?? false };
  }
  if (d.obj([...from, 'fieldRef'])) return { kind: 'field', fieldPath: d.str([...from, 'fieldRef', 'fieldPath']) };
  if (d.obj([...from, 'resourceFieldRef'])) {
    const r = [...from, 'resourceFieldRef'];
    return { kind: 'resource', resource: d.str([...r, 'resource']), divisor: String(d.get([...r, 'divisor']) ?? '1'), container: d.str([...r, 'containerName']) };
  }
  d.report(from, 'unsupported-value', 'valueFrom: one of configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef is required', 'name where the value comes from');
  return { kind: 'value', value: '' };
}

function decodeItems(d: Decoder, path: FieldPath): KeyToPath[] | null {
  if (!d.has(path)) return null;
  const out: KeyToPath[] = [];
  for (let i = 0; i < d.len(path); i++) {
    const p = [...path, i];
    out.push({ key: d.str([...p, 'key']), path: checkedPath(d, [...p, 'path']), mode: intOrNull(d, [...p, 'mode']) });
  }
  return out;
}

/** A file path inside a volume: relative, no '..' (the API server's validateLocalDescendingPath). */
function checkedPath(d: Decoder, path: FieldPath): string {
  const v = d.str(path);
  if (!v) d.required(path);
  else if (v.startsWith('/') || v.split('/').includes('..')) d.invalid(path, v, 'must be a relative path without \'..\'');
  return v;
}

function decodeDownwardItems(d: Decoder, path: FieldPath): DownwardFile[] {
  const out: DownwardFile[] = [];
  for (let i = 0; i < d.len(path); i++) {
    const p = [...path, i];
    const r = [...p, 'resourceFieldRef'];
    out.push({
      path: checkedPath(d, [...p, 'path']),
      fieldPath: d.str([...p, 'fieldRef', 'fieldPath']),
      resource: d.obj(r) ? { resource: d.str([...r, 'resource']), container: d.str([...r, 'containerName']), divisor: String(d.get([...r, 'divisor']) ?? '1') } : null,
      mode: intOrNull(d, [...p, 'mode']),
    });
  }
  return out;
}

function decodeVolumeSource(d: Decoder, p: FieldPath): VolumeSource {
  if (d.has([...p, 'emptyDir'])) return { kind: 'emptyDir' };
  for (const kind of ['configMap', 'secret'] as const) {
    const s = [...p, kind];
    if (d.obj(s)) {
      return {
        kind, name: d.str([...s, kind === 'secret' ? 'secretName' : 'name']), items: decodeItems(d, [...s, 'items']),
        defaultMode: intOrNull(d, [...s, 'defaultMode']), optional: d.bool([...s, 'optional']) ?? false,
      };
    }
  }
  if (d.obj([...p, 'downwardAPI'])) return { kind: 'downwardAPI', items: decodeDownwardItems(d, [...p, 'downwardAPI', 'items']), defaultMode: intOrNull(d, [...p, 'downwardAPI', 'defaultMode']) };
  if (d.obj([...p, 'projected'])) {
    const sources: ProjectedSource[] = [];
    const sp = [...p, 'projected', 'sources'];
    for (let i = 0; i < d.len(sp); i++) {
      const q = [...sp, i];
      if (d.obj([...q, 'configMap'])) sources.push({ kind: 'configMap', name: d.str([...q, 'configMap', 'name']), items: decodeItems(d, [...q, 'configMap', 'items']), optional: d.bool([...q, 'configMap', 'optional']) ?? false });
      else if (d.obj([...q, 'secret'])) sources.push({ kind: 'secret', name: d.str([...q, 'secret', 'name']), items: decodeItems(d, [...q, 'secret', 'items']), optional: d.bool([...q, 'secret', 'optional']) ?? false });
      else if (d.obj([...q, 'downwardAPI'])) sources.push({ kind: 'downwardAPI', items: decodeDownwardItems(d, [...q, 'downwardAPI', 'items']) });
      else sources.push({ kind: 'other', type: Object.keys(d.obj(q) ?? {})[0] ?? 'unknown' });
    }
    return { kind: 'projected', sources, defaultMode: intOrNull(d, [...p, 'projected', 'defaultMode']) };
  }
  const o = d.obj(p) ?? {};
  return { kind: 'other', type: Object.keys(o).find((k) => k !== 'name') ?? 'emptyDir' };
}

export function decodePodRun(d: Decoder, path: FieldPath): PodRun {
  const volumes: Volume[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < d.len([...path, 'volumes']); i++) {
    const p = [...path, 'volumes', i];
    const name = d.str([...p, 'name']);
    if (!name) d.required([...p, 'name'], 'every volume needs a name');
    else if (seen.has(name)) d.duplicate([...p, 'name'], name, 'volume names must be unique within a pod');
    seen.add(name);
    volumes.push({ name, source: decodeVolumeSource(d, p) });
  }
  const sc = [...path, 'securityContext'];
  const hostAliases: { ip: string; hostnames: string[] }[] = [];
  for (let i = 0; i < d.len([...path, 'hostAliases']); i++) {
    const p = [...path, 'hostAliases', i];
    hostAliases.push({ ip: d.str([...p, 'ip']), hostnames: d.strList([...p, 'hostnames']) });
  }
  const groups: number[] = [];
  for (let i = 0; i < d.len([...sc, 'supplementalGroups']); i++) {
    const g = d.int([...sc, 'supplementalGroups', i]);
    if (g !== undefined) groups.push(g);
  }
  return {
    volumes,
    securityContext: {
      runAsUser: intOrNull(d, [...sc, 'runAsUser']), runAsGroup: intOrNull(d, [...sc, 'runAsGroup']),
      runAsNonRoot: boolOrNull(d, [...sc, 'runAsNonRoot']), fsGroup: intOrNull(d, [...sc, 'fsGroup']), supplementalGroups: groups,
    },
    hostAliases,
    serviceAccountName: d.str([...path, 'serviceAccountName']) || d.str([...path, 'serviceAccount']) || 'default',
  };
}
