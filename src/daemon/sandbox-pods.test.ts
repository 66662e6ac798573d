// `knet up` of pods that run real programs (root): nginx on a ConfigMap's nginx.conf, Python's
// http.server as uid 1000 on ConfigMap files, an sh loop with envFrom and a Secret's env
// writing an emptyDir that its sidecar serves (an exec probe inside that sidecar), and a
// command that tries to write the host; each answers through its Service; `knet down`
// leaves no process, cgroup or sandbox directory.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTROLLER_MANIFESTS } from '../dataplane/ingress/ingress-lab.js';
import { hierarchies } from '../dataplane/runtime/cgroup.js';
import { SANDBOX_ROOT } from '../dataplane/runtime/sandbox.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');

function skipReason(): string {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const tool of ['ip', 'nsenter', 'nft', 'bwrap', 'setpriv', 'nginx', 'python3', 'curl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  }
  if (!existsSync(CLI)) return 'dist/ not built (npm run build)';
  return '';
}
const reason = skipReason();

const MANIFEST = (marker: string): string => `apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data:
  nginx.conf: |
    events {}
    http { server { listen 80; location / { return 200 "nginx on $hostname\\n"; } } }
  index.html: "hello from a configmap\\n"
  GREETING: hi
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {token: s3cret}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx}
spec:
  replicas: 1
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        command: [nginx, -g, 'daemon off;']
        ports: [{containerPort: 80}]
        volumeMounts: [{name: conf, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf, readOnly: true}]
      volumes: [{name: conf, configMap: {name: web-config}}]
---
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec: {selector: {app: nginx}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: py, labels: {app: py}}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true}
  containers:
  - name: py
    image: python:3.12
    command: [python3, -m, http.server, "8000"]
    workingDir: /site
    ports: [{containerPort: 8000}]
    volumeMounts: [{name: site, mountPath: /site}]
  volumes: [{name: site, configMap: {name: web-config, items: [{key: index.html, path: index.html}]}}]
---
apiVersion: v1
kind: Service
metadata: {name: py}
spec: {selector: {app: py}, ports: [{port: 80, targetPort: 8000}]}
---
apiVersion: v1
kind: Pod
metadata: {name: loop, labels: {app: loop}}
spec:
  containers:
  - name: writer
    image: busybox
    command: [sh, -c, 'while true; do echo "$GREETING $TOKEN $(POD_NAME)" > /shared/index.html; sleep 1; done # ${marker}']
    envFrom: [{configMapRef: {name: web-config}}]
    env:
    - {name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: server
    image: python:3.12
    command: [python3, -m, http.server, "8080", --directory, /shared]
    securityContext: {runAsUser: 1000}
    ports: [{containerPort: 8080}]
    readinessProbe: {exec: {command: [test, -s, /shared/index.html]}, periodSeconds: 1}
    volumeMounts: [{name: shared, mountPath: /shared}]
  volumes: [{name: shared, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: loop}
spec: {selector: {app: loop}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: evil}
spec:
  containers:
  - name: evil
    image: busybox
    command: [sh, -c, 'echo owned > /tmp/${marker}; touch /usr/${marker}; cat /run/knet-*/pids; exec sleep 600']
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: py, port: {number: 80}}}}]}
---
${CONTROLLER_MANIFESTS.join('---\n')}`;

describe.skipIf(reason !== '')(`pods that run programs, sandboxed${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('nginx, http.server and an sh loop answer through their Services with their ConfigMap files and env; the host is untouched; down leaves nothing', () => {
    const name = `sx${randomBytes(2).toString('hex')}`;
    const marker = `knet-sbx-${randomBytes(3).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'knet-sandbox-'));
    const env = { ...process.env, KNET_CLUSTER: name, NO_COLOR: '1' };
    const knet = (args: string[]): { code: number; out: string; err: string } => {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 180_000 });
      return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
    };
    const curlFrom = (pod: string, url: string): string => knet(['exec', pod, '--', 'curl', '-s', '-m', '5', url]).out;
    try {
      writeFileSync(join(dir, 'pods.yaml'), MANIFEST(marker));
      const up = knet(['up', '-f', join(dir, 'pods.yaml')]);
      expect(up.code, up.err).toBe(0);
      expect(curlFrom('evil', 'http://nginx/')).toMatch(/^nginx on nginx-[a-z0-9]+-[a-z0-9]+\n$/);
      expect(curlFrom('evil', 'http://py/index.html')).toBe('hello from a configmap\n');
      let page = '';
      for (let i = 0; i < 50 && !page.includes('s3cret'); i++) {
        page = curlFrom('evil', 'http://loop/index.html');
        if (!page.includes('s3cret')) spawnSync('sleep', ['0.2']);
      }
      expect(page).toBe('hi s3cret loop\n');
      // The ingress controller's nginx runs sandboxed too, and routes from the internet.
      const lb = JSON.parse(knet(['get', 'svc', 'ingress-nginx-controller', '-n', 'ingress-nginx', '-o', 'json']).out) as { status: { loadBalancer: { ingress: { ip: string }[] } } };
      const vip = lb.status.loadBalancer.ingress[0]!.ip;
      expect(knet(['exec', 'internet', '--', 'curl', '-s', '-m', '5', '-H', 'Host: web.example', `http://${vip}/index.html`]).out).toBe('hello from a configmap\n');
      // The exec probe ran in the server container (which sees the shared file): Ready.
      expect(knet(['get', 'pods']).out).toMatch(/\bloop\s+2\/2\s+Running/);
      // The hostile pod wrote nothing of the host's and read no knet file.
      expect(existsSync(`/tmp/${marker}`)).toBe(false);
      expect(existsSync(`/usr/${marker}`)).toBe(false);
      const evilLog = knet(['logs', 'evil']).out + knet(['logs', 'evil']).err;
      expect(evilLog).toMatch(/Read-only file system/);
      expect(evilLog).not.toMatch(/\d+ \d+ knet-/); // no line of a pids file
    } finally {
      const down = knet(['down', '--name', name]);
      expect(down.code, down.err).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
    for (const h of hierarchies()) expect(existsSync(`${h.root}/knet-${name}`)).toBe(false);
    expect(existsSync(SANDBOX_ROOT) ? readdirSync(SANDBOX_ROOT).filter((e) => e.startsWith(`knet-${name}-`)) : []).toEqual([]);
    const stray = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
    expect(stray).toEqual([]);
  }, 300_000);
});
