// What the kubelet hands a container, as the runtime SPEC says it: env and its sources, the
// $(VAR) expansion, volumes as files, mounts, user, capabilities, limits, and the
// CreateContainerConfigError of a reference that does not resolve. Also: hostAliases in the
// pod's /etc/hosts.
import { describe, expect, it } from 'vitest';
import { fillIn, type Cluster } from '../cluster/fill-in.js';
import { podHostsFile } from '../compile/pod-files.js';
import type { PodPlacement } from '../compile/topology-plan.js';
import { decodeObjects } from '../model/load.js';
import { parseQuantity } from '../model/decode-pod-run.js';
import { parseText } from '../model/source.js';
import type { Pod } from '../model/types.js';
import { commandSpec, expandVars, lookupOf, podRunSpec } from './container-run.js';

const OBJECTS = `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data: {MODE: fast, LEVEL: "3", "bad key": x, nginx.conf: "events {}"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
stringData: {password: hunter2, token: abc}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, uid: u-123, labels: {app: web, tier: front}}
spec:
  hostAliases: [{ip: 10.1.2.3, hostnames: [db.local, db]}]
  securityContext: {runAsUser: 1000, fsGroup: 2000, supplementalGroups: [3000]}
  volumes:
  - {name: conf, configMap: {name: cfg, items: [{key: nginx.conf, path: nginx/nginx.conf, mode: 256}]}}
  - {name: all, configMap: {name: cfg}}
  - {name: sec, secret: {secretName: creds, defaultMode: 288}}
  - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}, {path: name, fieldRef: {fieldPath: metadata.name}}]}}
  - name: proj
    projected:
      sources:
      - configMap: {name: cfg, items: [{key: MODE, path: mode}]}
      - secret: {name: creds, items: [{key: token, path: token}]}
  - {name: scratch, emptyDir: {}}
  - {name: host, hostPath: {path: /etc}}
  containers:
  - name: app
    image: busybox
    command: [sh, -c, 'echo $(GREETING) $$(HOME) $(NOPE)']
    workingDir: /srv
    envFrom: [{configMapRef: {name: cfg}, prefix: CFG_}]
    env:
    - {name: NAME, value: world}
    - {name: GREETING, value: hello-$(NAME)}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: TIER, valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}}
    - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    securityContext: {runAsGroup: 1000, capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}}
    resources: {limits: {memory: 128Mi, cpu: 500m}}
    volumeMounts:
    - {name: conf, mountPath: /etc/nginx/nginx.conf, subPath: nginx/nginx.conf, readOnly: true}
    - {name: scratch, mountPath: /scratch}
  - name: side
    image: busybox
    command: [sleep, "1000"]
    resources: {limits: {memory: 64Mi, cpu: "1"}}
    env:
    - {name: MISSING, valueFrom: {configMapKeyRef: {name: cfg, key: nope}}}
  - name: opt
    image: busybox
    command: [sleep, "1000"]
    envFrom: [{secretRef: {name: absent, optional: true}}]
    env:
    - {name: OPT, valueFrom: {configMapKeyRef: {name: absent, key: x, optional: true}}}
    volumeMounts: [{name: nothere, mountPath: /x}]
`;

function load(): { cluster: Cluster; pod: Pod } {
  const { inventory } = decodeObjects(parseText('shop.yaml', OBJECTS).objects);
  const { cluster } = fillIn(inventory);
  const pod = cluster.pods.find((p) => p.meta.name === 'web')!;
  return { cluster, pod };
}

const place: PodPlacement = { pod: 'shop/web' as PodPlacement['pod'], node: 'node-1', netns: 'knet-c-pod-00000000', ips: ['10.244.1.5'] as unknown as PodPlacement['ips'], hostNetwork: false };
const text = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

describe('container run spec', () => {
  const { cluster, pod } = load();
  const lookup = lookupOf(cluster);
  const run = podRunSpec(pod, place, pod.spec.containers, lookup);
  const [app, side, opt] = pod.spec.containers.map((c) => commandSpec(pod, c, place, lookup, run.errors));

  it('env: envFrom with its prefix (invalid names skipped), then env in order with $(VAR), valueFrom sources', () => {
    expect(app!.env).toEqual({
      CFG_MODE: 'fast', CFG_LEVEL: '3', 'CFG_nginx.conf': 'events {}',
      NAME: 'world', GREETING: 'hello-world', PASSWORD: 'hunter2', POD_NAME: 'web', POD_IP: '10.244.1.5', TIER: 'front', MEM: '128',
    });
    expect(app!.error).toBeUndefined();
  });

  it('command and args: $(VAR) expanded, $$ escapes, an unknown name left as written', () => {
    expect(app!.argv).toEqual(['sh', '-c', 'echo hello-world $(HOME) $(NOPE)']);
    expect(expandVars('$(A)-$$(A)-$(B)', { A: '1' })).toBe('1-$(A)-$(B)');
  });

  it('user from the container over the pod; groups: supplementalGroups (fsGroup goes with the pod); capabilities; workingDir', () => {
    expect(app!.user).toEqual({ uid: 1000, gid: 1000, groups: [3000] });
    expect(app!.capabilities).toEqual({ add: ['NET_BIND_SERVICE'], drop: ['ALL'] });
    expect(app!.workingDir).toBe('/srv');
    expect(run.fsGroup).toBe(2000);
  });

  it('mounts: subPath and readOnly kept', () => {
    expect(app!.mounts).toEqual([
      { volume: 'conf', path: '/etc/nginx/nginx.conf', readOnly: true, subPath: 'nginx/nginx.conf' },
      { volume: 'scratch', path: '/scratch', readOnly: false },
    ]);
  });

  it('volumes as files: items with modes, every key, secret decoded, downward API, projected; emptyDir; hostPath is an empty directory', () => {
    const files = (name: string): [string, string, string][] => {
      const v = run.volumes.find((x) => x.name === name)!;
      return v.kind === 'files' ? v.files.map((f) => [f.path, text(f.data), f.mode.toString(8)]) : [[v.kind, '', '']];
    };
    expect(files('conf')).toEqual([['nginx/nginx.conf', 'events {}', '400']]);
    expect(files('all').map((f) => f[0]).sort()).toEqual(['LEVEL', 'MODE', 'bad key', 'nginx.conf']);
    expect(files('sec')).toEqual([['password', 'hunter2', '440'], ['token', 'abc', '440']]);
    expect(files('info')).toEqual([['labels', 'app="web"\ntier="front"', '644'], ['name', 'web', '644']]);
    expect(files('proj')).toEqual([['mode', 'fast', '644'], ['token', 'abc', '644']]);
    expect(files('scratch')).toEqual([['emptyDir', '', '']]);
    expect(files('host')).toEqual([['emptyDir', '', '']]);
  });

  it('limits: the sum of the containers\' when all have one (the third has none: no pod limit)', () => {
    expect(run.limits).toEqual({ memoryBytes: null, cpuMilli: null });
    const two = podRunSpec(pod, place, pod.spec.containers.slice(0, 2), lookup);
    expect(two.limits).toEqual({ memoryBytes: 192 * 2 ** 20, cpuMilli: 1500 });
  });

  it('a missing key is the kubelet\'s CreateContainerConfigError; optional sources are skipped; a mount of no volume is an error', () => {
    expect(side!.error).toBe("couldn't find key nope in ConfigMap shop/cfg");
    expect(opt!.env).toEqual({});
    expect(opt!.error).toBe('volumeMounts: no volume named "nothere" in the pod');
  });

  it('quantities', () => {
    const cases: [string, number | null][] = [['128Mi', 134217728], ['1Gi', 2 ** 30], ['500m', 0.5], ['2', 2], ['1e3', 1000], ['1k', 1000], ['1.5Gi', 1.5 * 2 ** 30], ['abc', null], ['5 Mi', null]];
    for (const [q, want] of cases) expect([q, parseQuantity(q)]).toEqual([q, want]);
  });

  it('hostAliases: appended to the pod\'s /etc/hosts as the kubelet writes them', () => {
    expect(podHostsFile(pod, 'cluster.local').split('\n').slice(-4)).toEqual(['', '# Entries added by HostAliases.', '10.1.2.3\tdb.local\tdb', '']);
  });
});
