// Ingress admission on a running cluster, through the real command line and daemon: a bad
// Ingress is refused at `knet apply` (and at a fresh `knet up`) with nginx's own words, the
// file:line and field, nothing applied; an Ingress applied afterwards still updates nginx and
// answers through it from the internet side. A Secret nginx cannot load breaks the
// configuration after the fact: the Ingress naming it is left out, `knet get ingress` shows
// the event, `knet diagnose` the error, and every other Ingress keeps updating. Needs root,
// ip, nsenter, nft, nginx and curl; the clusters are removed in `finally`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');

function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (the running cluster needs network namespaces)';
  for (const tool of ['ip', 'nsenter', 'nft', 'nginx', 'curl']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  return '';
}
const reason = skipReason();

const CLUSTER = `apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: adm}
nodes: [{name: node-1}]
---
apiVersion: v1
kind: Namespace
metadata: {name: ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  replicas: 1
  selector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
  template:
    metadata: {labels: {app.kubernetes.io/name: ingress-nginx}}
    spec:
      containers:
      - name: controller
        image: registry.k8s.io/ingress-nginx/controller:v1.11.2
        args: [/nginx-ingress-controller, --ingress-class=nginx]
        ports: [{name: http, containerPort: 80}, {name: https, containerPort: 443}]
---
apiVersion: v1
kind: Service
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  type: LoadBalancer
  selector: {app.kubernetes.io/name: ingress-nginx}
  ports: [{name: http, port: 80, targetPort: http}, {name: https, port: 443, targetPort: https}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

const ingress = (name: string, host: string, extra = '', tls = ''): string => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
${extra}spec:
${tls}  rules:
  - host: ${host}
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
`;

describe.skipIf(reason !== '')(`ingress admission on a running cluster${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('a bad Ingress is refused with nginx\'s words; later Ingresses still update nginx; a broken one is left out and says so', () => {
    const name = `ad${randomBytes(2).toString('hex')}`;
    const fresh = `ad${randomBytes(2).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'knet-admission-'));
    const env = { ...process.env, KNET_CLUSTER: name, NO_COLOR: '1' };
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 120_000 });
    const knet = (args: string[]): string => {
      const r = run(args);
      if (r.status !== 0) throw new Error(`knet ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    const file = (n: string, text: string): string => {
      writeFileSync(join(dir, n), text);
      return join(dir, n);
    };
    try {
      // A fresh `knet up` with a bad Ingress: refused before anything is made.
      const badUp = spawnSync(process.execPath, [CLI, 'up', '--name', fresh, '-f', file('cluster.yaml', CLUSTER), '-f',
        file('bad-up.yaml', ingress('root', 'root.example.com', '  annotations: {nginx.ingress.kubernetes.io/app-root: /$undefined_var}\n'))], { encoding: 'utf8', env: { ...env, KNET_CLUSTER: '' }, timeout: 120_000 });
      expect(badUp.status).toBe(1);
      expect(badUp.stderr).toMatch(/bad-up\.yaml:6:\d+: error: Ingress default\/root: metadata\.annotations\["nginx\.ingress\.kubernetes\.io\/app-root"\]: admission webhook "validate\.nginx\.ingress\.kubernetes\.io" denied the request: nginx: \[emerg\] unknown "undefined_var" variable/);
      expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`knet-${fresh}-`);

      knet(['up', '-f', join(dir, 'cluster.yaml'), '-f', file('a.yaml', ingress('a', 'a.example.com'))]);
      const lb = (JSON.parse(knet(['get', 'svc', 'ingress-nginx-controller', '-n', 'ingress-nginx', '-o', 'json'])) as { status: { loadBalancer: { ingress: { ip: string }[] } } }).status.loadBalancer.ingress[0]!.ip;
      const get = (host: string): string => {
        const r = run(['exec', 'internet', '--', 'curl', '-s', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${host}`, `http://${lb}/hostname`]);
        return r.stdout.trim();
      };
      expect(get('a.example.com')).toBe('200');

      // The webhook: refused with nginx's words, the file:line, the field and a hint; nothing applied.
      const bad = run(['apply', '-f', file('bad.yaml', ingress('bad', 'bad.example.com', '  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$x}\n'))]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/bad\.yaml:6:\d+: error: Ingress default\/bad: metadata\.annotations\["nginx\.ingress\.kubernetes\.io\/rewrite-target"\]: admission webhook "validate\.nginx\.ingress\.kubernetes\.io" denied the request: nginx: \[emerg\] unknown "x" variable/);
      expect(bad.stderr).toContain('hint:');
      expect(run(['get', 'ingress', 'bad']).status).toBe(1);

      // Every other Ingress keeps updating: the next one answers through nginx.
      knet(['apply', '-f', file('b.yaml', ingress('b', 'b.example.com'))]);
      expect(get('b.example.com')).toBe('200');

      // A Secret nginx cannot load, named by an admitted Ingress: the controllers leave that Ingress out.
      knet(['apply', '-f', file('c.yaml', ingress('c', 'c.example.com', '', '  tls: [{hosts: [c.example.com], secretName: junk-tls}]\n'))]);
      expect(get('c.example.com')).toBe('308'); // a tls section: the https redirect
      const pem = (s: string) => Buffer.from(s).toString('base64');
      knet(['apply', '-f', file('junk.yaml', `apiVersion: v1\nkind: Secret\nmetadata: {name: junk-tls, namespace: default}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${pem('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n')}\n  tls.key: ${pem('-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n')}\n`)]);
      expect(get('c.example.com')).toBe('404'); // left out: the catch-all answers
      expect(knet(['route', 'http://c.example.com/'])).toMatch(/\b404\b/); // and the prediction agrees
      const shown = knet(['get', 'ingress', 'c']);
      expect(shown).toMatch(/Events:\n.*TYPE +REASON[\s\S]*Warning +RejectedByNginx +ingress\/c .*nginx: \[emerg\] cannot load certificate/);
      expect(knet(['get', 'events'])).toMatch(/RejectedByNginx +ingress\/c/);
      const diag = run(['diagnose']);
      expect(diag.status).toBe(1);
      expect(diag.stdout).toContain('Ingress default/c is not served: nginx refuses the configuration with this Ingress');
      knet(['apply', '-f', file('d.yaml', ingress('d', 'd.example.com'))]);
      expect(get('d.example.com')).toBe('200');
      expect(get('a.example.com')).toBe('200');
    } finally {
      spawnSync(process.execPath, [CLI, 'down', '--name', name], { env });
      spawnSync(process.execPath, [CLI, 'down', '--name', fresh], { env });
      rmSync(dir, { recursive: true, force: true });
    }
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`knet-${name}-`));
    expect(left).toEqual([]);
  }, 240_000);
});
