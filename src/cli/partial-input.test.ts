// Partial input on every Predict command, as `kubectl apply -f` takes it: what the API server
// would refuse is left out and named on stderr with file:line:col, the command answers with
// the rest (stdout stays well-formed) and exits 1; --strict refuses the whole input.
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Io } from './output.js';

/** The public manifest sets beside the project (KNET_REALWORLD where they are elsewhere). */
const REALWORLD = process.env['KNET_REALWORLD'] || '../shared/realworld';

function run(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => { out += t.endsWith('\n') ? t : `${t}\n`; }, err: (t) => { err += t.endsWith('\n') ? t : `${t}\n`; }, color: false };
  const code = main(argv, io);
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'knet-partial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const svc = (name: string, port: number): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  selector: {app: ${name}}\n  ports:\n  - port: ${port}\n`;

const MIXED = file('mixed.yaml', `${svc('good-a', 80)}---\n${svc('bad', 0)}---\n${svc('good-b', 81)}`);
const BAD_LINE = `${MIXED}:19:11: error: Service shop/bad: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`;

describe('knet get with partial input', () => {
  it('one bad Service among good ones -> the good ones as valid JSON, the bad one named on stderr with file:line:col, exit 1', () => {
    const r = run('get', 'svc', '-A', '-o', 'json', '-f', MIXED);
    const names = (JSON.parse(r.out) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
    expect(names).toContain('good-a');
    expect(names).toContain('good-b');
    expect(names).not.toContain('bad');
    expect(r.err.split('\n')).toContain(BAD_LINE);
    expect(r.err).toContain('1 error in the input: left out Service shop/bad; answering with the rest (exit 1; --strict refuses the whole input)');
    expect(r.code).toBe(1);
  });

  it('--strict -> the whole input refused: exit 1, nothing on stdout', () => {
    const r = run('get', 'svc', '-A', '-o', 'json', '--strict', '-f', MIXED);
    expect(r.out).toBe('');
    expect(r.err.split('\n')).toContain(BAD_LINE);
    expect(r.err).toContain('1 error in the input; nothing was done');
    expect(r.code).toBe(1);
  });

  it('clean input -> exit 0, with or without --strict', () => {
    const clean = file('clean.yaml', svc('good-a', 80));
    expect(run('get', 'svc', '-n', 'shop', '-f', clean).code).toBe(0);
    expect(run('get', 'svc', '-n', 'shop', '--strict', '-f', clean).code).toBe(0);
  });

  it('the same object twice -> the later wins, a warning names both places, exit 0', () => {
    const dup = file('dup.yaml', `${svc('web', 80)}---\n${svc('web', 8080)}`);
    const r = run('get', 'svc', 'web', '-n', 'shop', '-o', 'json', '-f', dup);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { spec: { ports: { port: number }[] } }).spec.ports[0]!.port).toBe(8080);
    expect(r.err).toContain(`${dup}:14:9: warning: Service shop/web: metadata.name: Service shop/web is defined twice: this one, applied later, replaces the one at ${dup}:1, as kubectl apply leaves it`);
  });

  it('a YAML error stops reading its file; the documents before it and other files are answered, exit 1', () => {
    const broken = file('broken.yaml', `${svc('before', 80)}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: at\n    namespace: shop\n---\n${svc('after', 82)}`);
    const other = file('other.yaml', svc('elsewhere', 83));
    const r = run('get', 'svc', '-n', 'shop', '-o', 'name', '-f', broken, '-f', other);
    expect(r.out).toBe('service/before\nservice/elsewhere\n');
    expect(r.err).toMatch(new RegExp(`${broken}:\\d+:\\d+: error: `));
    expect(r.err).toContain('the 1 document after this one was not read');
    expect(r.code).toBe(1);
  });

  it('a -f path that does not exist -> the whole input refused, as kubectl checks its paths first', () => {
    const r = run('get', 'svc', '-A', '-f', join(dir, 'missing.yaml'), '-f', MIXED);
    expect([r.code, r.out]).toEqual([1, '']);
    expect(r.err).toContain('missing.yaml: error: no such file or directory');
  });

  it('a ClusterIP taken twice -> the second Service is left out (the API server refuses its create), exit 1', () => {
    const taken = file('taken.yaml', `${svc('first', 80)}  clusterIP: 10.96.50.50\n---\n${svc('second', 80)}  clusterIP: 10.96.50.50\n`);
    const r = run('get', 'svc', '-n', 'shop', '-o', 'name', '-f', taken);
    expect(r.out).toBe('service/first\n');
    expect(r.err).toContain('provided IP is already allocated (to Service shop/first)');
    expect(r.err).toContain('left out Service shop/second');
    expect(r.code).toBe(1);
  });
});

describe('the other Predict commands with partial input: the answer, then exit 1 (a failure exit of their own stays)', () => {
  const OPSCART = 'examples/opscart';
  const bad = file('bad-extra.yaml', svc('bad', 0).replace('namespace: shop', 'namespace: production'));

  it('trace delivered -> exit 1 because of the refusal; the trace is printed', () => {
    const r = run('trace', '-f', OPSCART, '-f', bad, '--from', 'production/deploy/frontend', 'http://api-service:8080/', '-o', 'json');
    expect((JSON.parse(r.out) as { verdict: string }).verdict).toBe('delivered');
    expect(r.err).toContain('left out Service production/bad');
    expect(r.code).toBe(1);
  });

  it('trace --strict -> nothing traced', () => {
    const r = run('trace', '--strict', '-f', OPSCART, '-f', bad, '--from', 'production/deploy/frontend', 'http://api-service:8080/');
    expect([r.code, r.out]).toEqual([1, '']);
  });

  it('dns, route, matrix, resolv-conf answer as JSON and exit 1', () => {
    const cases = [
      ['dns', 'api-service.production.svc.cluster.local'],
      ['route', 'https://api.opscart.com/users'],
      ['matrix', '--port', '8080', '-n', 'production'],
    ];
    for (const argv of cases) {
      const r = run(...argv, '-o', 'json', '-f', OPSCART, '-f', bad);
      expect(() => JSON.parse(r.out), argv.join(' ')).not.toThrow();
      expect(r.err, argv.join(' ')).toContain('left out Service production/bad');
      expect(r.code, argv.join(' ')).toBe(1);
      expect(run(...argv, '-o', 'json', '-f', OPSCART).code, `${argv.join(' ')} on clean input`).toBe(0);
    }
  });

  it('diagnose names the refusal among its findings; --strict prints only the refusal', () => {
    const r = run('diagnose', '-o', 'json', '-f', OPSCART, '-f', bad);
    const issues = (JSON.parse(r.out) as { issues: { code: string; object?: string }[] }).issues;
    expect(issues.some((i) => i.code === 'invalid-value' && i.object === 'Service production/bad')).toBe(true);
    expect(r.code).toBe(1);
    const strict = run('diagnose', '--strict', '-f', OPSCART, '-f', bad);
    expect([strict.code, strict.out]).toEqual([1, '']);
    expect(strict.err).toContain('Service production/bad');
  });
});

describe('knet tour --predict with partial input', () => {
  const tourDir = join(dir, 'tour');
  cpSync('examples/opscart', tourDir, { recursive: true });
  writeFileSync(join(tourDir, 'zz-bad.yaml'), svc('bad', 0).replace('namespace: shop', 'namespace: production'));

  it('tours the rest, naming the refusal, and exits 1; --strict tours nothing', () => {
    const r = run('tour', '--predict', '-f', tourDir);
    expect(r.out).toMatch(/NAME\s+READY\s+STATUS/);
    expect(r.out).toContain('api.opscart.com');
    expect(r.err).toContain('left out Service production/bad');
    expect(r.code).toBe(1);
    const strict = run('tour', '--predict', '--strict', '-f', tourDir);
    expect([strict.code, strict.out]).toEqual([1, '']);
  });
});

describe('-n NAMESPACE with -f: namespace-less input goes there, as kubectl apply -n puts it', () => {
  const plain = file('plain.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  containers: [{name: c, image: nginx}]\n---\n'
    + 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n');

  it('get -n NS lists them in NS; -A -n NS lists every namespace (kubectl: -A wins), with them in NS', () => {
    expect(run('get', 'pods', '-n', 'team', '-o', 'name', '-f', plain).out).toBe('pod/web\n');
    const all = run('get', 'pods', '-A', '-n', 'team', '-f', plain).out;
    expect(all).toMatch(/\nteam\s+web\s/);
    expect(all).toMatch(/\nkube-system\s+coredns-/);
  });

  it('without -n they are in default', () => {
    expect(run('get', 'pods', '-o', 'name', '-f', plain).out).toBe('pod/web\n');
  });

  it('dns and resolv-conf: -n is the namespace of the pod and of the input', () => {
    // --type A: a DNS query, not /etc/hosts (where the pod's own hostname web would answer)
    expect(run('dns', 'web', '--type', 'A', '--from', 'web', '-n', 'team', '-f', plain).out).toContain('resolved as web.team.svc.cluster.local.');
    expect(run('resolv-conf', 'web', '-n', 'team', '-f', plain).out).toContain('search team.svc.cluster.local ');
  });

  it('trace, route and diagnose take -n too: the pod by name alone and the input are in NS', () => {
    const t = run('trace', '--from', 'web', '-n', 'team', 'web:80', '-o', 'json', '-f', plain);
    expect(JSON.parse(t.out)).toMatchObject({ from: 'team/web', verdict: 'delivered' });
    expect(run('trace', '--from', 'web', 'web:80', '-f', plain).out).toContain('default/web');
    expect(run('diagnose', '-n', 'team', '-o', 'json', '-f', plain).out).toContain('team/web');
    expect(run('route', 'http://x.example/', '-n', 'team', '-f', plain).code).toBe(0);
  });

  it.skipIf(!existsSync(`${REALWORLD}/15-argocd-ha`))('15-argocd-ha, applied with kubectl apply -n argocd: its pods are in argocd', () => {
    const r = run('get', 'pods', '-n', 'argocd', '-o', 'name', '-f', `${REALWORLD}/15-argocd-ha`);
    expect(r.code).toBe(0);
    const pods = r.out.trim().split('\n');
    expect(pods).toContain('pod/argocd-application-controller-0');
    expect(pods.some((p) => p.startsWith('pod/argocd-server-'))).toBe(true);
  });
});

describe.skipIf(!existsSync(`${REALWORLD}/03-netpol-recipes`))('03-netpol-recipes: the recipes share objects', () => {
  it('diagnose answers with warnings for the objects given twice, never an error about them', () => {
    const r = run('diagnose', '-o', 'json', '-f', `${REALWORLD}/03-netpol-recipes`);
    const issues = (JSON.parse(r.out) as { issues: { code: string; severity: string }[] }).issues;
    const dups = issues.filter((i) => i.code === 'duplicate-object');
    expect(dups.length).toBeGreaterThanOrEqual(35);
    expect(dups.every((i) => i.severity === 'warning')).toBe(true);
    expect(issues.filter((i) => i.severity === 'error' && i.code.startsWith('duplicate'))).toEqual([]);
  });
});
