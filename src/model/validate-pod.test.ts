// What the API server refuses and knet used to miss: selector keys and values, duplicate
// container names, env var names, dnsConfig, hostAliases, StatefulSet and Service names.
// Each case is a manifest and the issues it must give, as `line:col severity: message`.
import { describe, expect, it } from 'vitest';
import { formatIssue, type Issue } from './issue.js';
import { decodeObjects } from './load.js';
import { parseText } from './source.js';
import { envVarNameErrors } from './validate-pod.js';

function load(yaml: string): Issue[] {
  const read = parseText('v.yaml', yaml);
  expect(read.issues).toEqual([]);
  return decodeObjects(read.objects).issues;
}

const shown = (issues: readonly Issue[]) => issues.map((i) => `${i.line}:${i.col} ${i.severity}: ${i.message}`);

const pod = (spec: string) => `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
${spec}`;

const deployment = (selector: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector:
${selector}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}`;

interface Case {
  readonly name: string;
  readonly yaml: string;
  /** Substrings of each issue, in order; [] means no issue at all. */
  readonly want: readonly string[];
}

const cases: Case[] = [
  // Label selectors (ValidateLabelSelector, ValidateLabels).
  {
    name: 'Deployment matchLabels key "bad key!!" -> invalid qualified name',
    yaml: deployment('    matchLabels: {"bad key!!": web}'),
    want: ['6:32 error: spec.selector.matchLabels["bad key!!"]: Invalid value: "bad key!!": name part must consist of', 'spec.template.metadata.labels'],
  },
  {
    name: 'Deployment matchExpressions key "bad key!!" -> invalid qualified name',
    yaml: deployment('    matchExpressions: [{key: "bad key!!", operator: Exists}]'),
    want: ['6:30 error: spec.selector.matchExpressions[0].key: Invalid value: "bad key!!": name part must consist of', 'spec.template.metadata.labels'],
  },
  {
    name: 'Deployment matchExpressions value "a b" -> invalid label value',
    yaml: deployment('    matchExpressions: [{key: app, operator: In, values: [web, "a b"]}]'),
    want: ['6:63 error: spec.selector.matchExpressions[0].values[1]: Invalid value: "a b": a valid label must be an empty string or consist of'],
  },
  {
    name: 'Deployment matchExpressions value of 64 characters -> too long',
    yaml: deployment(`    matchExpressions: [{key: app, operator: NotIn, values: [${'v'.repeat(64)}]}]`),
    want: ['error: spec.selector.matchExpressions[0].values[0]: Invalid value: "vvvv', 'must be no more than 63 characters'],
  },
  {
    name: 'Service selector key "bad key!!" -> invalid qualified name',
    yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {"bad key!!": web}\n  ports: [{port: 80}]',
    want: ['5:27 error: spec.selector["bad key!!"]: Invalid value: "bad key!!": name part must consist of'],
  },
  {
    name: 'Service selector value "w e b" -> invalid label value',
    yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: w e b}\n  ports: [{port: 80}]',
    want: ['5:19 error: spec.selector.app: Invalid value: "w e b": a valid label must be'],
  },
  {
    name: 'NetworkPolicy podSelector and namespaceSelector keys -> invalid, each at its place',
    yaml: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector: {matchExpressions: [{key: "bad key!!", operator: Exists}]}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {"a/b/c": x}}
    - podSelector: {matchLabels: {app: "no way"}}`,
    want: [
      '5:42 error: spec.podSelector.matchExpressions[0].key: Invalid value: "bad key!!"',
      '8:50 error: spec.ingress[0].from[0].namespaceSelector.matchLabels["a/b/c"]: Invalid value: "a/b/c": a qualified name must consist of',
      '9:40 error: spec.ingress[0].from[1].podSelector.matchLabels.app: Invalid value: "no way"',
    ],
  },
  // Container names.
  {
    name: 'two containers named web -> duplicate value at the second',
    yaml: pod('  containers: [{name: web, image: a}, {name: web, image: b}]'),
    want: ['5:46 error: spec.containers[1].name: Duplicate value: "web"'],
  },
  {
    name: 'an init container named like a container -> duplicate value at the init container',
    yaml: pod('  containers: [{name: web, image: a}]\n  initContainers: [{name: web, image: b}]'),
    want: ['6:27 error: spec.initContainers[0].name: Duplicate value: "web"'],
  },
  {
    name: 'distinct names across containers and initContainers -> no issue',
    yaml: pod('  containers: [{name: web, image: a}]\n  initContainers: [{name: init, image: b}]'),
    want: [],
  },
  // Env var names (1.34's rule; the old one as a warning).
  {
    name: 'env names with "=" and a line break -> invalid; "my var" -> a warning only',
    yaml: pod('  containers:\n  - name: web\n    env:\n    - {name: "A=B", value: x}\n    - {name: "A\\nB", value: x}\n    - {name: "my var", value: x}\n    - {name: GOOD_1, value: x}'),
    want: [
      '8:14 error: spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
      '9:14 error: spec.containers[0].env[1].name: Invalid value: "A\\nB"',
      '10:14 warning: spec.containers[0].env[2].name: "my var": API servers before 1.32 refuse this name',
    ],
  },
  {
    name: 'env entry without a name -> required value',
    yaml: pod('  containers:\n  - name: web\n    env:\n    - {value: x}'),
    want: ['8:7 error: spec.containers[0].env[0].name: Required value'],
  },
  {
    name: 'env name given twice -> warning, the later wins',
    yaml: pod('  containers:\n  - name: web\n    env: [{name: A, value: "1"}, {name: A, value: "2"}]'),
    want: ['7:41 warning: spec.containers[0].env[1].name: "A" is defined twice'],
  },
  {
    name: 'envFrom prefix with "=" -> invalid',
    yaml: pod('  containers:\n  - name: web\n    envFrom: [{prefix: "X=", configMapRef: {name: c}}]'),
    want: ['7:24 error: spec.containers[0].envFrom[0].prefix: Invalid value: "X="'],
  },
  // dnsConfig (validatePodDNSConfig), and what would be written into resolv.conf.
  {
    name: 'a search domain with a line break (resolv.conf injection) -> invalid, hint says why',
    yaml: pod('  containers: [{name: web}]\n  dnsConfig:\n    searches: ["a.com\\nnameserver 6.6.6.6"]'),
    want: ['7:16 error: spec.dnsConfig.searches[0]: Invalid value: "a.com\\nnameserver 6.6.6.6": a lowercase RFC 1123 subdomain'],
  },
  {
    name: 'an option value with a line break -> invalid (knet\'s own refusal, said so)',
    yaml: pod('  containers: [{name: web}]\n  dnsConfig:\n    options: [{name: ndots, value: "2\\nnameserver 7.7.7.7"}]'),
    want: ['7:36 error: spec.dnsConfig.options[0].value: Invalid value: "2\\nnameserver 7.7.7.7": must not contain whitespace or control characters'],
  },
  {
    name: 'searches with a trailing dot, "_" and a lone "." -> valid (RelaxedDNSSearchValidation)',
    yaml: pod('  containers: [{name: web}]\n  dnsConfig:\n    searches: [svc.cluster.local., _srv.example.com, "."]'),
    want: [],
  },
  {
    name: '33 search domains -> must not have more than 32',
    yaml: pod(`  containers: [{name: web}]\n  dnsConfig:\n    searches: [${Array.from({ length: 33 }, (_, i) => `d${i}.com`).join(', ')}]`),
    want: ['7:5 error: spec.dnsConfig.searches: Invalid value: ["d0.com"', 'must not have more than 32 search paths'],
  },
  {
    name: 'a search list over 2048 characters -> must not have more than 2048',
    yaml: pod(`  containers: [{name: web}]\n  dnsConfig:\n    searches: [${Array.from({ length: 12 }, (_, i) => `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.d${i}.com`).join(', ')}]`),
    want: ['7:5 error: spec.dnsConfig.searches: Invalid value', 'must not have more than 2048 characters (including spaces) in the search list'],
  },
  {
    name: '4 nameservers -> must not have more than 3',
    yaml: pod('  containers: [{name: web}]\n  dnsConfig:\n    nameservers: [1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4]'),
    want: ['7:5 error: spec.dnsConfig.nameservers: Invalid value: ["1.1.1.1","1.0.0.1","8.8.8.8","8.8.4.4"]: must not have more than 3 nameservers'],
  },
  // hostAliases (validateHostAliases).
  {
    name: 'hostAliases with a bad IP and a hostname with a line break -> both invalid',
    yaml: pod('  containers: [{name: web}]\n  hostAliases:\n  - ip: 10.0.0.300\n    hostnames: [db.local, "x\\n6.6.6.6 evil"]'),
    want: [
      '7:9 error: spec.hostAliases[0].ip: Invalid value: "10.0.0.300": must be a valid IP address',
      '8:27 error: spec.hostAliases[0].hostnames[1]: Invalid value: "x\\n6.6.6.6 evil": a lowercase RFC 1123 subdomain',
    ],
  },
  {
    name: 'hostAliases without an ip -> required value',
    yaml: pod('  containers: [{name: web}]\n  hostAliases:\n  - hostnames: [db.local]'),
    want: ['7:5 error: spec.hostAliases[0].ip: Required value'],
  },
  // Names that become DNS labels.
  {
    name: 'StatefulSet name of 64 characters -> a DNS label (ValidateStatefulSetName)',
    yaml: `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: ${'s'.repeat(64)}}\nspec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: c}]}`,
    want: ['3:18 error: metadata.name: Invalid value', 'must be no more than 63 characters'],
  },
  {
    name: 'StatefulSet name with a dot -> a DNS label, no dots',
    yaml: `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db.v1}\nspec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: c}]}`,
    want: ['3:18 error: metadata.name: Invalid value: "db.v1": a lowercase RFC 1123 label'],
  },
  {
    name: 'StatefulSet of 61 characters with 10 replicas -> pod web-...-9 is 63: fine',
    yaml: `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: ${'s'.repeat(61)}}\nspec:\n  replicas: 10\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: c}]}`,
    want: [],
  },
  {
    name: 'StatefulSet of 61 characters with 11 replicas -> pod ...-10 has a hostname of 64: refused',
    yaml: `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: ${'s'.repeat(61)}}\nspec:\n  replicas: 11\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: c}]}`,
    want: ['3:18 error: metadata.name: the pod names ', '-10 are 64 characters'],
  },
  {
    name: 'ExternalName with a label of 64 characters -> a warning: the API server takes it, DNS cannot carry it',
    yaml: `apiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec: {type: ExternalName, externalName: ${'l'.repeat(64)}.example.com}`,
    want: ['4:42 warning: spec.externalName: label "llllllllllllllllllll..." is 64 characters: the API server accepts it'],
  },
  {
    name: 'pod hostname and subdomain of 64 characters -> each a DNS label of at most 63',
    yaml: pod(`  containers: [{name: web}]\n  hostname: ${'h'.repeat(64)}\n  subdomain: ${'s'.repeat(64)}`),
    want: ['6:13 error: spec.hostname: Invalid value', 'must be no more than 63 characters', '7:14 error: spec.subdomain: Invalid value'],
  },
  {
    name: 'Service name of 64 characters -> a DNS-1035 label',
    yaml: `apiVersion: v1\nkind: Service\nmetadata: {name: ${'a'.repeat(64)}}\nspec: {ports: [{port: 80}]}`,
    want: ['3:18 error: metadata.name: Invalid value', 'must be no more than 63 characters'],
  },
];

describe('validation the API server does', () => {
  it.each(cases)('$name', ({ yaml, want }) => {
    const issues = load(yaml);
    const got = shown(issues);
    if (want.length === 0) {
      expect(got).toEqual([]);
      return;
    }
    const all = got.join('\n');
    for (const w of want) expect(all).toContain(w);
    // Every refusal prints as file:line:col, one line, then a hint.
    for (const i of issues.filter((x) => x.severity === 'error')) {
      expect(formatIssue(i)).toMatch(/^v\.yaml:\d+:\d+: error: [^\n]+(\n {2}hint: [^\n]+)?$/);
    }
  });

  it('every new refusal has a hint', () => {
    const issues = cases.flatMap((c) => load(c.yaml)).filter((i) => /Duplicate|environment|dnsConfig|hostAliases|selector/.test(i.message));
    expect(issues.length).toBeGreaterThan(10);
    for (const i of issues) expect(i.hint, formatIssue(i)).toBeTruthy();
  });
});

describe('env var names (KEP-4369, GA in 1.34)', () => {
  it.each([
    ['MY_VAR', true], ['my.env-name', true], ['1ABC', true], ['a b', true], ['$HOME', true], ['ü', false],
    ['A=B', false], ['', false], ['A\tB', false], ['A\nB', false], ['\u007f', false],
  ])('%j valid: %s', (name, ok) => {
    expect(envVarNameErrors(name).length === 0).toBe(ok);
  });
});
