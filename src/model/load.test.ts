import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { formatIssue, type Issue } from './issue.js';
import { loadInventory, type Decoded, type LoadOptions } from './load.js';

/** Loads `text` as standard input (file name `<stdin>`). */
function loadText(text: string, options: LoadOptions = {}): Decoded {
  return loadInventory(['-'], () => text, options);
}

const ALL_OR_NOTHING: LoadOptions = { mode: 'all-or-nothing' };

/** Writes the files (relative path -> text) into a fresh temp dir, runs fn, removes the dir. */
function withFiles<T>(files: Record<string, string>, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'knet-test-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      const full = join(dir, name);
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, text);
    }
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Issues as `line:col severity code field`, for compact expectations. */
function brief(issues: readonly Issue[]): string[] {
  return issues.map((i) => `${i.line}:${i.col} ${i.severity} ${i.code}${i.field ? ` ${i.field}` : ''}`);
}

const names = (objs: readonly { meta: { namespace: string; name: string } }[]): string[] =>
  objs.map((o) => (o.meta.namespace ? `${o.meta.namespace}/${o.meta.name}` : o.meta.name));

const NS = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
const CM = (name: string, ns = 'shop'): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n`;

describe('loadInventory: reading what users have', () => {
  it('kind: List (kubectl get -o yaml) -> every item, positions inside the list', () => {
    const { inventory, issues } = loadText(`apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: shop}
- apiVersion: v1
  kind: Service
  metadata: {name: 1web, namespace: shop}
  spec:
    ports: [{port: 80}]
`);
    expect(names(inventory.namespaces)).toEqual(['shop']);
    expect(names(inventory.services)).toEqual([]); // refused, as the API server would: left out
    expect(brief(issues)).toEqual(['9:20 error invalid-value metadata.name']);
  });

  it('typed list (PodList from the raw API) -> its items', () => {
    const { inventory, issues } = loadText(`apiVersion: v1
kind: PodList
metadata: {resourceVersion: "12"}
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a, namespace: shop}
  spec: {containers: [{name: c}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: b, namespace: shop}
  spec: {containers: [{name: c}]}
`);
    expect(issues).toEqual([]);
    expect(names(inventory.pods)).toEqual(['shop/a', 'shop/b']);
  });

  it('nested List inside a List -> flattened', () => {
    const { inventory, issues } = loadText(`kind: List
apiVersion: v1
items:
- kind: List
  apiVersion: v1
  items:
  - ${JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'inner' } })}
`);
    expect(issues).toEqual([]);
    expect(names(inventory.namespaces)).toEqual(['inner']);
  });

  it('a List item that is not an object -> not-an-object at the item', () => {
    const { inventory, issues } = loadText(`apiVersion: v1
kind: List
items:
- ${JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } })}
- just a string
- 42
`);
    expect(names(inventory.namespaces)).toEqual(['shop']);
    expect(brief(issues)).toEqual(['5:3 error not-an-object items[1]', '6:3 error not-an-object items[2]']);
  });

  it('multi-document with empty documents and helm "# Source:" comments -> every object, no issue', () => {
    const { inventory, issues } = loadText(`---
# Source: shop/templates/namespace.yaml
${NS('shop')}---
# Source: shop/templates/empty.yaml
---
---
# Source: shop/templates/configmap.yaml
${CM('settings')}
---
`);
    expect(issues).toEqual([]);
    expect(names(inventory.namespaces)).toEqual(['shop']);
    expect(names(inventory.configMaps)).toEqual(['shop/settings']);
  });

  it('a document of only a comment or "null" -> skipped', () => {
    const { inventory, issues } = loadText(`# nothing here\n---\nnull\n---\n~\n---\n${NS('shop')}`);
    expect(issues).toEqual([]);
    expect(names(inventory.namespaces)).toEqual(['shop']);
  });

  it('JSON file (kubectl get -o json) -> read as YAML flow, positions kept', () => {
    const json = JSON.stringify({
      apiVersion: 'v1', kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port: 70000 }] } },
      ],
    }, null, 2);
    withFiles({ 'dump.json': json }, (dir) => {
      const { inventory, issues } = loadInventory([join(dir, 'dump.json')]);
      expect(names(inventory.namespaces)).toEqual(['shop']);
      expect(names(inventory.services)).toEqual([]); // refused: left out
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ file: join(dir, 'dump.json'), line: 22, col: 21, field: 'spec.ports[0].port' });
    });
  });

  it('a directory -> every .yaml/.yml/.json file, recursively, in name order; others and dot files skipped', () => {
    withFiles({
      'b.yaml': NS('b'),
      'a.yml': NS('a'),
      'sub/deeper/c.json': JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c' } }),
      'sub/d.YAML': NS('d'),
      'README.md': 'not yaml: [',
      'notes.txt': 'kind: Namespace',
      '.hidden.yaml': NS('hidden'),
      '.git/config.yaml': NS('git'),
    }, (dir) => {
      const { inventory, issues } = loadInventory([dir]);
      expect(issues).toEqual([]);
      expect(names(inventory.namespaces)).toEqual(['a', 'b', 'd', 'c']); // sub/d.YAML sorts before sub/deeper/
    });
  });

  it('standard input via "-" -> file name <stdin>', () => {
    const { inventory, issues, refused } = loadText(`${NS('Shop')}`);
    expect(names(inventory.namespaces)).toEqual([]);
    expect(refused).toEqual(['Namespace Shop']);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: '<stdin>', line: 4, col: 9, field: 'metadata.name' });
    expect(formatIssue(issues[0]!).split('\n')[0]).toBe(
      `<stdin>:4:9: error: Namespace Shop: metadata.name: Invalid value: "Shop": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    );
  });

  it('files and stdin together -> both read', () => {
    withFiles({ 'ns.yaml': NS('shop') }, (dir) => {
      const { inventory, issues } = loadInventory([join(dir, 'ns.yaml'), '-'], () => CM('settings'));
      expect(issues).toEqual([]);
      expect(names(inventory.namespaces)).toEqual(['shop']);
      expect(names(inventory.configMaps)).toEqual(['shop/settings']);
    });
  });
});

describe('loadInventory: problems in the input', () => {
  it('all-or-nothing (knet apply, up): duplicate object -> error at the second, naming the first position; the first is kept', () => {
    const { inventory, issues } = loadText(`${CM('settings')}---\n${CM('settings')}data: {a: b}\n`, ALL_OR_NOTHING);
    expect(inventory.configMaps).toHaveLength(1);
    expect(inventory.configMaps[0]!.data).toEqual({});
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'duplicate-object', severity: 'error', file: '<stdin>', line: 10, col: 9 });
    expect(issues[0]!.message).toBe('metadata.name: ConfigMap shop/settings is defined twice; the first is at <stdin>:1');
  });

  it('same name in another namespace or of another kind -> not a duplicate', () => {
    const { inventory, issues } = loadText(`${CM('x')}---\n${CM('x', 'prod')}---\napiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: shop}\n`);
    expect(issues).toEqual([]);
    expect(inventory.configMaps).toHaveLength(2);
    expect(inventory.secrets).toHaveLength(1);
  });

  it('no namespace and namespace "default" -> the same object, a duplicate', () => {
    const { issues } = loadText('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\n');
    expect(brief(issues)).toEqual(['7:18 warning duplicate-object metadata.name']);
    expect(issues[0]!.message).toContain('replaces the one at <stdin>:1');
  });

  it('a duplicate across files -> names the first file', () => {
    withFiles({ 'a.yaml': NS('shop'), 'b.yaml': `# again\n${NS('shop')}` }, (dir) => {
      const { issues } = loadInventory([dir]);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ file: join(dir, 'b.yaml'), line: 5, col: 9, severity: 'warning' });
      expect(issues[0]!.message).toBe(`metadata.name: Namespace shop is defined twice: this one, applied later, replaces the one at ${join(dir, 'a.yaml')}:1, as kubectl apply leaves it`);
    });
  });

  it('unknown kinds -> kept in others, ONE info note counting each kind, most first, at the first object', () => {
    const role = (name: string): string => `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: ${name}, namespace: shop}\n`;
    const { inventory, issues } = loadText(`${role('a')}---\n${role('b')}---\n${role('c')}---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: shop}
`);
    expect(inventory.others.map((o) => `${o.kind} ${o.meta.namespace}/${o.meta.name}`)).toEqual([
      'Role shop/a', 'Role shop/b', 'Role shop/c', 'ServiceMonitor shop/web',
    ]);
    expect(issues.map((i) => `${i.line}:${i.col} ${i.severity} ${i.message}`)).toEqual([
      '2:7 info kept, not modelled: 3 Role, 1 ServiceMonitor',
    ]);
  });

  it('unknown kinds of one name in two groups -> told apart by their apiVersion', () => {
    const { issues } = loadText('apiVersion: a.example.com/v1\nkind: Widget\nmetadata: {name: x}\n---\napiVersion: b.example.com/v1\nkind: Widget\nmetadata: {name: y}\n');
    expect(issues.map((i) => i.message)).toEqual(['kept, not modelled: 1 Widget (a.example.com/v1), 1 Widget (b.example.com/v1)']);
  });

  it('a known kind in an unknown group -> kept as unknown, not decoded', () => {
    const { inventory, issues } = loadText('apiVersion: example.com/v1\nkind: Service\nmetadata: {name: x}\n');
    expect(inventory.services).toEqual([]);
    expect(inventory.others).toHaveLength(1);
    expect(brief(issues)).toEqual(['2:7 info unknown-kind']);
  });

  it('missing apiVersion and kind -> required, at the object', () => {
    const { inventory, issues } = loadText('metadata:\n  name: web\n---\nkind: Service\nmetadata: {name: api}\n---\napiVersion: v1\nmetadata: {name: db}\n');
    expect(inventory.services).toEqual([]);
    expect(inventory.others).toEqual([]);
    expect(issues.map((i) => `${i.line}:${i.col} ${i.object}: ${i.message}`)).toEqual([
      '1:1 object default/web: apiVersion: Required value',
      '1:1 object default/web: kind: Required value',
      '4:1 Service default/api: apiVersion: Required value',
      '7:1 object default/db: kind: Required value',
    ]);
  });

  it('a document that is a scalar or a list -> not-an-object', () => {
    const { issues } = loadText(`just text\n---\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n---\n42\n`);
    expect(brief(issues)).toEqual(['1:1 error not-an-object', '3:1 error not-an-object', '7:1 error not-an-object']);
    expect(issues[1]!.hint).toContain('wrap several objects in a List');
  });

  it('YAML syntax error -> yaml-syntax with line:col and a hint; the documents before it still read', () => {
    const { inventory, issues } = loadText(`${NS('shop')}---
apiVersion: v1
kind: ConfigMap
metadata:
  name: bad
    namespace: shop
`);
    expect(names(inventory.namespaces)).toEqual(['shop']);
    expect(inventory.configMaps).toEqual([]);
    expect(issues.length).toBeGreaterThanOrEqual(1);
    expect(issues[0]).toMatchObject({ code: 'yaml-syntax', severity: 'error', file: '<stdin>', line: 9, col: 9 });
    expect(issues[0]!.message).toBe('Implicit keys need to be on a single line');
    expect(issues[0]!.hint).toBeTruthy();
    expect(issues[0]!.message).not.toContain('\n');
  });

  it('a tab used for indentation -> yaml-syntax with line:col', () => {
    const { issues } = loadText('apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: shop\n');
    expect(issues.length).toBeGreaterThanOrEqual(1);
    expect(issues[0]).toMatchObject({ code: 'yaml-syntax', line: 4, col: 1 });
  });

  it('an unclosed flow mapping -> yaml-syntax, never an exception', () => {
    const { issues } = loadText('apiVersion: v1\nkind: Namespace\nmetadata: {name: shop\n');
    expect(issues.length).toBeGreaterThanOrEqual(1);
    expect(issues.every((i) => i.code === 'yaml-syntax' && i.line >= 1)).toBe(true);
  });

  it('duplicate keys -> yaml-syntax at the second key, with the duplicate-key hint', () => {
    const { inventory, issues } = loadText('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n');
    expect(inventory.namespaces).toEqual([]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'yaml-syntax', line: 5, col: 3 });
    expect(issues[0]!.message).toContain('Map keys must be unique');
    expect(issues[0]!.hint).toBe('a key appears twice in one mapping; remove or rename one of them');
  });

  it('file not found -> file-not-found, line 0, with a hint; other paths still read', () => {
    withFiles({ 'ns.yaml': NS('shop') }, (dir) => {
      const missing = join(dir, 'nope.yaml');
      const { inventory, issues } = loadInventory([missing, join(dir, 'ns.yaml')]);
      expect(names(inventory.namespaces)).toEqual(['shop']);
      expect(issues).toEqual([expect.objectContaining({
        code: 'file-not-found', severity: 'error', file: missing, line: 0, message: 'no such file or directory',
      })]);
      expect(formatIssue(issues[0]!)).toBe(`${missing}: error: no such file or directory\n  hint: check the path given to -f; use -f - to read from standard input`);
    });
  });

  it('issues are sorted by file, then line', () => {
    withFiles({
      'b.yaml': `${NS('B')}---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 0}]}\n`,
      'a.yaml': `${CM('ok')}---\nkind: ConfigMap\n---\n${NS('A')}`,
    }, (dir) => {
      const { issues } = loadInventory([join(dir, 'b.yaml'), join(dir, 'a.yaml')]);
      expect(issues.map((i) => `${i.file.slice(dir.length + 1)}:${i.line}`)).toEqual([
        'a.yaml:7', 'a.yaml:12', 'b.yaml:4', 'b.yaml:9',
      ]);
    });
  });
});

const SVC = (name: string, port: number | string, ns = 'shop'): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  ports:\n  - port: ${port}\n`;

describe('loadInventory: partial input, as kubectl apply -f takes it', () => {
  it('one object the API server would refuse among good ones -> left out and named, the rest kept', () => {
    const { inventory, issues, refused } = loadText(`${SVC('a', 80)}---\n${SVC('bad', 0)}---\n${SVC('b', 81)}`);
    expect(names(inventory.services)).toEqual(['shop/a', 'shop/b']);
    expect(refused).toEqual(['Service shop/bad']);
    expect(brief(issues)).toEqual(['17:11 error invalid-value spec.ports[0].port']);
  });

  it('all-or-nothing (knet apply, up) -> the object is kept with its error; the caller refuses the batch', () => {
    const { inventory, issues, refused } = loadText(`${SVC('a', 80)}---\n${SVC('bad', 0)}`, ALL_OR_NOTHING);
    expect(names(inventory.services)).toEqual(['shop/a', 'shop/bad']);
    expect(refused).toEqual([]);
    expect(brief(issues)).toEqual(['17:11 error invalid-value spec.ports[0].port']);
  });

  it('the same object twice -> the later wins where the first was created, a warning names both places', () => {
    const { inventory, issues } = loadText(`${SVC('a', 80)}---\n${SVC('b', 81)}---\n${SVC('a', 8080)}`);
    expect(names(inventory.services)).toEqual(['shop/a', 'shop/b']);
    expect(inventory.services[0]!.ports[0]!.port).toBe(8080);
    expect(brief(issues)).toEqual(['22:9 warning duplicate-object metadata.name']);
    expect(formatIssue(issues[0]!).split('\n')[0]).toBe('<stdin>:22:9: warning: Service shop/a: metadata.name: Service shop/a is defined twice: this one, applied later, replaces the one at <stdin>:1, as kubectl apply leaves it');
  });

  it('a later copy the API server would refuse -> the update is refused, the first copy stays', () => {
    const { inventory, issues, refused } = loadText(`${SVC('a', 80)}---\n${SVC('a', 0)}`);
    expect(inventory.services.map((s) => s.ports[0]!.port)).toEqual([80]);
    expect(refused).toEqual(['Service shop/a']);
    expect(brief(issues)).toEqual(['17:11 error invalid-value spec.ports[0].port']);
  });

  it('a refused first copy, a good second -> the second is created, no duplicate warning', () => {
    const { inventory, issues } = loadText(`${SVC('a', 0)}---\n${SVC('a', 80)}`);
    expect(inventory.services.map((s) => s.ports[0]!.port)).toEqual([80]);
    expect(brief(issues)).toEqual(['8:11 error invalid-value spec.ports[0].port']);
  });

  it('a YAML error stops reading its file (kubectl does): documents before it kept, after it unread (a note); other files read', () => {
    withFiles({ 'a.yaml': `${NS('one')}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n    bad: indent\n---\n${NS('three')}`, 'b.yaml': NS('other') }, (dir) => {
      const { inventory, issues } = loadInventory([dir]);
      expect(names(inventory.namespaces)).toEqual(['one', 'other']);
      expect(brief(issues).filter((i) => !i.includes('error'))).toEqual(['9:9 info yaml-rest-unread']);
      expect(issues.find((i) => i.code === 'yaml-rest-unread')!.message).toBe('the 1 document after this one was not read: kubectl stops reading a file at its first YAML error');
    });
  });
});

describe('loadInventory: -n NAMESPACE, as kubectl apply -n puts input', () => {
  const argocd: LoadOptions = { namespace: 'argocd' };

  it('a namespaced object without metadata.namespace -> in NAMESPACE, printed with it', () => {
    const { inventory, issues } = loadText('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n', argocd);
    expect(issues).toEqual([]);
    expect(names(inventory.configMaps)).toEqual(['argocd/settings']);
    expect((inventory.configMaps[0]!.raw!.value['metadata'] as Record<string, unknown>)['namespace']).toBe('argocd');
  });

  it('an object that states its namespace -> stays there', () => {
    expect(names(loadText(CM('settings', 'shop'), argocd).inventory.configMaps)).toEqual(['shop/settings']);
  });

  it('cluster-scoped kinds -> no namespace', () => {
    const { inventory } = loadText(`${NS('shop')}---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: k8s.io/ingress-nginx}\n`, argocd);
    expect(names(inventory.namespaces)).toEqual(['shop']);
    expect(names(inventory.ingressClasses)).toEqual(['nginx']);
  });

  it('without -n -> default', () => {
    expect(names(loadText('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n').inventory.configMaps)).toEqual(['default/settings']);
  });

  it('kinds knet keeps but does not model -> in NAMESPACE too', () => {
    const { inventory } = loadText('apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app}\n', argocd);
    expect(inventory.others.map((o) => `${o.meta.namespace}/${o.meta.name}`)).toEqual(['argocd/app']);
  });

  it('the same name without a namespace and in NAMESPACE -> the same object', () => {
    const { issues } = loadText(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n${CM('x', 'argocd')}`, argocd);
    expect(brief(issues)).toEqual(['8:9 warning duplicate-object metadata.name']);
  });
});
