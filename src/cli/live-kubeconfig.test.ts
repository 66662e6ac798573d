// The kubeconfig resolver: kubectl's merge of $KUBECONFIG's files, the context, its cluster and
// user, relative paths, and errors that name the file, the context, the field and the fix.
import { describe, expect, it } from 'vitest';
import { isKubeconfigProblem, resolveKubeconfig, type KubeconfigText } from './live-kubeconfig.js';
import { parseExecCredential } from './live-exec-credential.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function file(path: string, o: { current?: string; clusters?: object[]; users?: object[]; contexts?: object[] }): KubeconfigText {
  return { path, text: JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': o.current, clusters: o.clusters ?? [], users: o.users ?? [], contexts: o.contexts ?? [] }) };
}

const PROD = file('/home/u/.kube/config', {
  current: 'prod',
  clusters: [{ name: 'prod', cluster: { server: 'https://10.0.0.1:6443/', 'certificate-authority': 'certs/ca.crt', 'tls-server-name': 'api.prod' } }],
  users: [{ name: 'admin', user: { 'client-certificate-data': b64(PEM), 'client-key-data': b64(PEM.replace(/CERTIFICATE/g, 'PRIVATE KEY')) } }],
  contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'admin', namespace: 'shop' } }],
});

const resolve = (files: KubeconfigText[], context?: string) => resolveKubeconfig(files, { context, looked: files.map((f) => f.path) });

describe('resolveKubeconfig', () => {
  it('the current context: server, CA file relative to the kubeconfig, tls-server-name, namespace, client certificate data', () => {
    const t = resolve([PROD]);
    if (isKubeconfigProblem(t)) throw new Error(t.error);
    expect([t.context, t.server, t.namespace, t.tls.ca?.file, t.tls.serverName, t.user.cert?.data]).toEqual(
      ['prod', 'https://10.0.0.1:6443', 'shop', '/home/u/.kube/certs/ca.crt', 'api.prod', PEM]);
  });

  it('$KUBECONFIG merge: the first file to define a name wins, and the first current-context', () => {
    const dev = file('/tmp/dev.yaml', {
      current: 'dev',
      clusters: [{ name: 'dev', cluster: { server: 'https://dev:6443' } }, { name: 'prod', cluster: { server: 'https://shadowed:6443' } }],
      contexts: [{ name: 'dev', context: { cluster: 'dev' } }],
    });
    const first = resolve([dev, PROD]);
    const second = resolve([dev, PROD], 'prod');
    if (isKubeconfigProblem(first) || isKubeconfigProblem(second)) throw new Error('problem');
    expect([first.context, first.server, second.server, second.file]).toEqual(['dev', 'https://dev:6443', 'https://shadowed:6443', '/home/u/.kube/config']);
  });

  it('a bearer token, a tokenFile relative to its file, and basic auth', () => {
    const t = resolve([file('/k/c', { current: 'c', clusters: [{ name: 'c', cluster: { server: 'https://x' } }], users: [{ name: 'u', user: { tokenFile: 'tok' } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }] })]);
    if (isKubeconfigProblem(t)) throw new Error(t.error);
    expect(t.user.tokenFile).toBe('/k/tok');
  });

  it('an exec plugin: a command with a slash is relative to the kubeconfig, a bare name is looked up on PATH', () => {
    const exec = (command: string) => resolve([file('/k/c', {
      current: 'c', clusters: [{ name: 'c', cluster: { server: 'https://x' } }],
      users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command, args: ['get-token'] } } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    })]);
    const rel = exec('./bin/plugin');
    const bare = exec('kubelogin');
    if (isKubeconfigProblem(rel) || isKubeconfigProblem(bare)) throw new Error('problem');
    expect([rel.user.exec?.command, bare.user.exec?.command, bare.user.exec?.interactiveMode]).toEqual(['/k/bin/plugin', 'kubelogin', 'IfAvailable']);
  });

  const problems: [string, KubeconfigText[], string | undefined, RegExp, RegExp][] = [
    ['no file at all', [], undefined, /^no kubeconfig: \/nowhere does not exist$/, /-f DIR/],
    ['no current-context', [file('/k/c', { contexts: [{ name: 'a', context: { cluster: 'a' } }] })], undefined, /\/k\/c: no current-context/, /--context NAME \(a\)/],
    ['a context that does not exist', [PROD], 'staging', /context "staging" does not exist in \/home\/u\/.kube\/config/, /contexts there: prod/],
    ['a cluster that is not defined', [file('/k/c', { current: 'a', contexts: [{ name: 'a', context: { cluster: 'gone' } }] })], undefined, /kubeconfig \/k\/c, context "a": cluster "gone" is not defined/, /add it under clusters:/],
    ['no server', [file('/k/c', { current: 'a', clusters: [{ name: 'a', cluster: {} }], contexts: [{ name: 'a', context: { cluster: 'a' } }] })], undefined, /cluster "a": no server/, /clusters\[\]\.cluster\.server/],
    ['a proxy-url', [file('/k/c', { current: 'a', clusters: [{ name: 'a', cluster: { server: 'https://x', 'proxy-url': 'socks5://p:1080' } }], contexts: [{ name: 'a', context: { cluster: 'a' } }] })], undefined, /proxy-url is set, and knet does not reach API servers through a proxy yet/, /dump it/],
    ['the old gcp auth-provider', [file('/k/c', { current: 'a', clusters: [{ name: 'a', cluster: { server: 'https://x' } }], users: [{ name: 'g', user: { 'auth-provider': { name: 'gcp' } } }], contexts: [{ name: 'a', context: { cluster: 'a', user: 'g' } }] })], undefined, /user "g": auth-provider "gcp" is no longer supported/, /gke-gcloud-auth-plugin/],
    ['the old azure auth-provider', [file('/k/c', { current: 'a', clusters: [{ name: 'a', cluster: { server: 'https://x' } }], users: [{ name: 'z', user: { 'auth-provider': { name: 'azure' } } }], contexts: [{ name: 'a', context: { cluster: 'a', user: 'z' } }] })], undefined, /auth-provider "azure"/, /kubelogin convert-kubeconfig/],
    ['a token and a username', [file('/k/c', { current: 'a', clusters: [{ name: 'a', cluster: { server: 'https://x' } }], users: [{ name: 'u', user: { token: 't', username: 'me' } }], contexts: [{ name: 'a', context: { cluster: 'a', user: 'u' } }] })], undefined, /username\/password or bearer token may be set, but not both/, /keep one/],
    ['a certificate without its key', [file('/k/c', { current: 'a', clusters: [{ name: 'a', cluster: { server: 'https://x' } }], users: [{ name: 'u', user: { 'client-certificate': 'c.crt' } }], contexts: [{ name: 'a', context: { cluster: 'a', user: 'u' } }] })], undefined, /client-certificate without client-key/, /give both/],
    ['exec v1alpha1', [file('/k/c', { current: 'a', clusters: [{ name: 'a', cluster: { server: 'https://x' } }], users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' } } }], contexts: [{ name: 'a', context: { cluster: 'a', user: 'u' } }] })], undefined, /exec.apiVersion "client.authentication.k8s.io\/v1alpha1"/, /removed from kubectl in 1.24/],
    ['CA data that is not base64 of a PEM', [file('/k/c', { current: 'a', clusters: [{ name: 'a', cluster: { server: 'https://x', 'certificate-authority-data': 'bm90IGEgcGVt' } }], contexts: [{ name: 'a', context: { cluster: 'a' } }] })], undefined, /certificate-authority-data is not base64 of a PEM block/, /base64 -w0/],
    ['not YAML', [{ path: '/k/bad', text: 'clusters: [' }], undefined, /error loading config file "\/k\/bad"/, /fix the YAML/],
  ];
  for (const [name, files, context, error, hint] of problems) {
    it(`${name}: an error naming where, and the fix`, () => {
      const t = resolveKubeconfig(files, { context, looked: files.length > 0 ? files.map((f) => f.path) : ['/nowhere'] });
      if (!isKubeconfigProblem(t)) throw new Error('resolved');
      expect(t.error).toMatch(error);
      expect(t.hint).toMatch(hint);
    });
  }
});

describe('parseExecCredential', () => {
  const plugin = { apiVersion: 'client.authentication.k8s.io/v1', command: 'p', args: [], env: [], installHint: '', provideClusterInfo: false, interactiveMode: 'Never' };
  const cases: [string, unknown, unknown][] = [
    ['a token with its expiry', { apiVersion: plugin.apiVersion, kind: 'ExecCredential', status: { token: 't', expirationTimestamp: '2030-01-01T00:00:00Z' } }, { token: 't', expires: Date.parse('2030-01-01T00:00:00Z') }],
    ['a client certificate', { apiVersion: plugin.apiVersion, kind: 'ExecCredential', status: { clientCertificateData: 'C', clientKeyData: 'K' } }, { certPem: 'C', keyPem: 'K', expires: null }],
    ['another apiVersion', { apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 't' } }, { error: 'its output\'s apiVersion "client.authentication.k8s.io/v1beta1" is not the client.authentication.k8s.io/v1 the kubeconfig asks for' }],
    ['no credential', { apiVersion: plugin.apiVersion, kind: 'ExecCredential', status: {} }, { error: 'its ExecCredential has no status.token and no status.clientCertificateData with clientKeyData' }],
  ];
  for (const [name, out, want] of cases) {
    it(name, () => expect(parseExecCredential(JSON.stringify(out), plugin)).toEqual(want));
  }
  it('output that is not JSON', () => expect(parseExecCredential('Please log in', plugin)).toEqual({ error: 'its output is not an ExecCredential in JSON: "Please log in"' }));
});
