// Names outside the cluster on public manifests (../shared/realworld): the Kubernetes docs'
// custom-DNS pod (dnsPolicy None, nameserver 192.0.2.1) and hostAliases pod.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../cluster/fill-in.js';
import { podHostsFile } from '../compile/pod-files.js';
import { main } from './main.js';
import type { Io } from './output.js';

const SNIPPETS = '../shared/realworld/13-website-networking-snippets/manifests';

function json(...argv: string[]): Record<string, unknown> {
  let out = '';
  const io: Io = { out: (t) => { out += t; }, err: () => {}, color: false };
  main([...argv, '-f', SNIPPETS, '-o', 'json'], io);
  return JSON.parse(out) as Record<string, unknown>;
}

describe.skipIf(!existsSync(SNIPPETS))('the docs\' DNS snippets', () => {
  it('dnsPolicy None with nameserver 192.0.2.1: a cluster name is unknown (knet does not know that server), not NXDOMAIN', () => {
    const j = json('dns', 'kubernetes.default.svc.cluster.local', '--from', 'default/dns-example');
    expect([j['rcode'], j['verdict']]).toEqual(['UNKNOWN', 'unknown']);
    expect(j['reason']).toMatch(/^the nameserver 192\.0\.2\.1 is outside the model/);
    const t = json('trace', '--from', 'default/dns-example', 'https://api.github.com/');
    expect([t['verdict'], t['failedAt']]).toEqual(['unknown', null]);
  });

  it('hostAliases: foo.remote from /etc/hosts, no query; the file as the docs show it', () => {
    const j = json('dns', 'foo.remote', '--from', 'default/hostaliases-pod');
    expect([j['packets'], j['hosts']]).toEqual([0, { source: 'hostAliases', addresses: ['10.1.2.3'] }]);
    const { cluster } = loadCluster([SNIPPETS]);
    const pod = cluster.pods.find((p) => p.meta.name === 'hostaliases-pod')!;
    expect(podHostsFile(pod, 'cluster.local').split('\n').slice(-6)).toEqual([
      `${pod.status.podIPs[0]}\thostaliases-pod`, '', '# Entries added by HostAliases.', '127.0.0.1\tfoo.local\tbar.local', '10.1.2.3\tfoo.remote\tbar.remote', '',
    ]);
  });
});
