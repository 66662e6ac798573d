import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { contextName, currentContext, kubeconfigForMerge, kubeconfigPaths, KubeconfigError, mergeAccess, removeAccess, standaloneKubeconfig, type ClusterAccess } from './kubeconfig.js';

// A file as kubectl and kind write it: another cluster, current, and a comment of the user's.
const KIND_FILE = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKY201bGRHVnpNQjRYRFRJek1EY3hNVEE0TXpVMU5Gb1hEVE16TURjd09EQTRNelUxTkZvd0ZURVRNQkVHQTFVRQo=
    server: https://127.0.0.1:40331
  name: kind-kind
# the team's staging cluster
- cluster:
    server: https://staging.example:6443
  name: staging
contexts:
- context:
    cluster: kind-kind
    user: kind-kind
  name: kind-kind
- context:
    cluster: staging
    namespace: shop
    user: alice
  name: staging
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: AAAA
    client-key-data: BBBB
- name: alice
  user:
    token: secret-token
`;

const access = (cluster: string, port = 41234): ClusterAccess => ({
  name: contextName(cluster), server: `https://127.0.0.1:${port}`, caPem: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  clientCertPem: '-----BEGIN CERTIFICATE-----\nADMIN\n-----END CERTIFICATE-----\n', clientKeyPem: '-----BEGIN EC PRIVATE KEY-----\nKEY\n-----END EC PRIVATE KEY-----\n',
});

type Config = { clusters: { name: string }[]; contexts: { name: string; context: Record<string, string> }[]; users: { name: string; user: Record<string, string> }[]; 'current-context': string };

const names = (c: Config): string[][] => [c.clusters.map((x) => x.name), c.contexts.map((x) => x.name), c.users.map((x) => x.name)];

describe('kubeconfig merge and removal', () => {
  it('merge adds cluster, user and context knet-<name>, makes it current, leaves the others as they were', () => {
    const merged = mergeAccess(KIND_FILE, access('dev'));
    const c = parse(merged) as Config;
    expect(names(c)).toEqual([['kind-kind', 'staging', 'knet-dev'], ['kind-kind', 'staging', 'knet-dev'], ['kind-kind', 'alice', 'knet-dev']]);
    expect(c['current-context']).toBe('knet-dev');
    expect(c.contexts[2]!.context).toEqual({ cluster: 'knet-dev', user: 'knet-dev' });
    expect(Buffer.from(c.users[2]!.user['client-key-data']!, 'base64').toString()).toContain('EC PRIVATE KEY');
    // Every other line, comment and long base64 value is still there, unchanged.
    for (const line of KIND_FILE.split('\n').filter((l) => !l.startsWith('current-context'))) expect(merged).toContain(line);
  });

  it('merge then remove gives the file back, current-context emptied as kind does', () => {
    const back = removeAccess(mergeAccess(KIND_FILE, access('dev')), 'knet-dev');
    expect(back).toBe(KIND_FILE.replace('current-context: kind-kind', 'current-context: ""'));
  });

  it('a second merge replaces the entries (a new port, a new certificate), never duplicates them', () => {
    const twice = mergeAccess(mergeAccess(KIND_FILE, access('dev', 1111)), access('dev', 2222));
    const c = parse(twice) as Config;
    expect(names(c)[0]).toEqual(['kind-kind', 'staging', 'knet-dev']);
    expect(twice).toContain('server: https://127.0.0.1:2222');
    expect(twice).not.toContain('1111');
  });

  it('removal keeps current-context when another context is current, and other knet clusters', () => {
    const both = mergeAccess(mergeAccess(KIND_FILE, access('dev')), access('prod'));
    const gone = removeAccess(both, 'knet-dev')!;
    const c = parse(gone) as Config;
    expect(c['current-context']).toBe('knet-prod');
    expect(names(c)).toEqual([['kind-kind', 'staging', 'knet-prod'], ['kind-kind', 'staging', 'knet-prod'], ['kind-kind', 'alice', 'knet-prod']]);
  });

  it('removal from a file without the entries changes nothing (null: not rewritten)', () => {
    expect(removeAccess(KIND_FILE, 'knet-dev')).toBeNull();
    expect(removeAccess('', 'knet-dev')).toBeNull();
  });

  it('no file yet: a kubeconfig of its own, as kubectl writes one', () => {
    for (const before of [null, '', '\n']) {
      const text = mergeAccess(before, access('dev'));
      expect(text).toBe(standaloneKubeconfig(access('dev')));
      expect(text.split('\n').slice(0, 3)).toEqual(['apiVersion: v1', 'clusters:', '- cluster:']);
      expect(currentContext(text)).toBe('knet-dev');
    }
  });

  it('a file kubectl emptied (lists null) takes the entries', () => {
    const emptied = 'apiVersion: v1\nclusters: null\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n';
    const c = parse(mergeAccess(emptied, access('dev'))) as Config;
    expect(names(c)).toEqual([['knet-dev'], ['knet-dev'], ['knet-dev']]);
  });

  it('a file whose lists are indented keeps that indentation', () => {
    const indented = 'apiVersion: v1\nclusters:\n  - cluster:\n      server: https://x\n    name: x\ncontexts: []\nusers: []\n';
    const merged = mergeAccess(indented, access('dev'));
    expect(merged.startsWith('apiVersion: v1\nclusters:\n  - cluster:\n      server: https://x\n    name: x\n')).toBe(true);
  });

  it('a file that is not a kubeconfig is refused in kubectl\'s words, never overwritten', () => {
    expect(() => mergeAccess('clusters: [\n', access('dev'), '/home/a/.kube/config')).toThrow(KubeconfigError);
    expect(() => mergeAccess('clusters: [\n', access('dev'), '/home/a/.kube/config')).toThrow(/^error loading config file "\/home\/a\/.kube\/config": /);
    expect(() => mergeAccess('- a\n- b\n', access('dev'))).toThrow(/not a mapping/);
    expect(() => removeAccess('users: alice\n', 'knet-dev')).toThrow(/users is not a list/);
  });
});

describe('which file kubectl uses', () => {
  it('without $KUBECONFIG: ~/.kube/config', () => {
    expect(kubeconfigPaths({ HOME: '/home/a' }, '/root')).toEqual(['/home/a/.kube/config']);
    expect(kubeconfigPaths({}, '/root')).toEqual(['/root/.kube/config']);
    expect(kubeconfigPaths({ KUBECONFIG: '', HOME: '/home/a' }, '/root')).toEqual(['/home/a/.kube/config']);
  });

  it('$KUBECONFIG with several paths: the list, empty and repeated entries dropped', () => {
    expect(kubeconfigPaths({ KUBECONFIG: '/a::/b:/a' }, '/root')).toEqual(['/a', '/b']);
  });

  it('merge target: the first file that exists, else the last (client-go, kind)', () => {
    expect(kubeconfigForMerge(['/a', '/b', '/c'], (p) => p === '/b' || p === '/c')).toBe('/b');
    expect(kubeconfigForMerge(['/a', '/b', '/c'], () => false)).toBe('/c');
    expect(kubeconfigForMerge(['/only'], () => false)).toBe('/only');
  });
});
