// `knet dns` and `knet resolv-conf` on examples/opscart, through the real command
// functions and their option parsing, answering as the real cluster would.
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../cluster/fill-in.js';
import { registerDns } from './dns.js';
import { CliError, type Io } from './output.js';
import { registerResolvConf } from './resolv-conf.js';

const OPSCART = 'examples/opscart';

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => { out += t.endsWith('\n') ? t : `${t}\n`; }, err: (t) => { err += t.endsWith('\n') ? t : `${t}\n`; }, color: false };
  const program = new Command('knet').exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerDns(program, io);
  registerResolvConf(program, io);
  try {
    program.parse([...argv, '-f', OPSCART], { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof CliError) return { code: e.exitCode, out, err: err + e.message };
    if (e instanceof CommanderError) return { code: e.exitCode, out, err };
    throw e;
  }
}

const { cluster } = loadCluster([OPSCART]);
const podOf = (ns: string, prefix: string) => {
  const p = cluster.pods.find((x) => x.meta.namespace === ns && x.meta.name.startsWith(prefix));
  if (!p) throw new Error(`no ${prefix} pod in ${ns}`);
  return `${ns}/${p.meta.name}`;
};
const API = podOf('production', 'api-');
const ipOf = (ns: string, name: string) => cluster.pods.find((p) => p.meta.namespace === ns && p.meta.name === name)!.status.podIPs[0]!;
const answers = (out: string) => JSON.parse(out).answers.map((a: { name: string; ttl: number; type: string; data: string }) => `${a.name} ${a.ttl} IN ${a.type} ${a.data}`);

describe('knet dns on examples/opscart', () => {
  it('nslookup kubernetes.default from a pod: the search list finds it at the second name', () => {
    const r = run(['dns', 'kubernetes.default', '--from', API, '-o', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.rcode).toBe('NOERROR');
    expect(j.queries.map((q: { name: string; type: string; rcode: string }) => `${q.name} ${q.type} ${q.rcode}`)).toEqual([
      'kubernetes.default.production.svc.cluster.local. A NXDOMAIN', 'kubernetes.default.production.svc.cluster.local. AAAA NXDOMAIN',
      'kubernetes.default.svc.cluster.local. A NOERROR', 'kubernetes.default.svc.cluster.local. AAAA NOERROR',
    ]);
    expect(j.packets).toBe(4);
    expect(j.resolved).toEqual({ name: 'kubernetes.default.svc.cluster.local.', addresses: ['10.96.0.1'] });
    expect(answers(r.out)).toEqual(['kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1']);
  });

  it('the headless Kafka name of a broker answers its pod', () => {
    const r = run(['dns', 'kafka-0.kafka-headless.messaging.svc.cluster.local', '-o', 'json']);
    expect(answers(r.out)).toEqual([`kafka-0.kafka-headless.messaging.svc.cluster.local. 30 IN A ${ipOf('messaging', 'kafka-0')}`]);
  });

  it('SRV of the headless Service: one record per broker, in the JSON contract', () => {
    const r = run(['dns', '_broker._tcp.kafka-headless.messaging.svc.cluster.local', '--type', 'SRV', '-o', 'json']);
    const j = JSON.parse(r.out);
    expect(j.rcode).toBe('NOERROR');
    expect(j.answers[0]).toEqual({
      name: '_broker._tcp.kafka-headless.messaging.svc.cluster.local.', type: 'SRV', ttl: 30,
      data: '0 33 9092 kafka-0.kafka-headless.messaging.svc.cluster.local.',
    });
    expect(j.answers).toHaveLength(3);
  });

  it('the ExternalName orders-db.production: CNAME db.external.com, then its A', () => {
    const r = run(['dns', 'orders-db.production.svc.cluster.local']);
    expect(r.out).toContain(';; status: NOERROR');
    expect(r.out).toMatch(/orders-db\.production\.svc\.cluster\.local\. 30 IN CNAME db\.external\.com\.\ndb\.external\.com\.\s+30 IN A\s+203\.0\.113\.90/);
  });

  it('api.external.com from production: four names, eight packets, and the fixes', () => {
    const j = JSON.parse(run(['dns', 'api.external.com', '--from', API, '-o', 'json']).out);
    expect(j.queries).toHaveLength(8);
    expect(j.packets).toBe(8);
    expect(j.queries.slice(0, 6).every((q: { rcode: string }) => q.rcode === 'NXDOMAIN')).toBe(true);
    expect(j.resolved).toEqual({ name: 'api.external.com.', addresses: ['203.0.113.80'] });
    expect(j.warning.message).toBe('api.external.com has 2 dots, fewer than ndots:5, so the resolver tries 3 search domains before the name itself: 4 names, 8 packets for one lookup');
    expect(j.warning.fixes[0]).toContain('trailing dot (api.external.com.)');
    expect(j.warning.fixes[1]).toContain('ndots');
  });

  it('text output of --from lists the queries in order, the cost, the answer and the warning', () => {
    const r = run(['dns', 'api.external.com', '--from', API]);
    expect(r.out).toMatch(/;;\s+1\. api\.external\.com\.production\.svc\.cluster\.local\.\s+A\s+NXDOMAIN/);
    expect(r.out).toMatch(/;;\s+4\. api\.external\.com\.\s+A\s+NOERROR/);
    expect(r.out).toContain(';; 4 names, 8 packets; resolved as api.external.com.');
    expect(r.out).toContain('api.external.com. 30 IN A 203.0.113.80');
    expect(r.out).toContain('warning: api.external.com has 2 dots');
  });

  it('a trailing dot costs one name', () => {
    const j = JSON.parse(run(['dns', 'api.external.com.', '--from', API, '-o', 'json']).out);
    expect([j.packets, j.warning]).toEqual([2, undefined]);
  });

  it('an address looks up its PTR, as dig -x does', () => {
    const r = run(['dns', '10.96.0.10', '-o', 'json']);
    expect(answers(r.out)).toEqual(['10.0.96.10.in-addr.arpa. 30 IN PTR kube-dns.kube-system.svc.cluster.local.']);
  });

  it('a relative name asked as written goes upstream: UNKNOWN (exit 0, as dig), with a hint', () => {
    const r = run(['dns', 'kubernetes.default']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(';; status: UNKNOWN');
    expect(r.out).toContain(';; hint: kubernetes.default is not fully qualified');
  });

  it('a relative headless pod name: the hint\'s full name includes the pod\'s namespace (<hostname>.<subdomain>.<ns>.svc)', () => {
    const r = run(['dns', 'kafka-0.kafka-headless']);
    expect(r.out).toContain('write the full name kafka-0.kafka-headless.messaging.svc.cluster.local.');
    expect(run(['dns', 'kafka-0.kafka-headless.messaging.svc.cluster.local', '-o', 'json']).out).toMatch(/"rcode": "NOERROR"/);
  });

  it('a missing name in the cluster domain is NXDOMAIN, with the zone\'s SOA in the authority section', () => {
    const r = run(['dns', 'nope.production.svc.cluster.local']);
    expect(r.out).toContain(';; status: NXDOMAIN');
    expect(r.out).toMatch(/;; AUTHORITY SECTION:\ncluster\.local\. 30 IN SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30/);
  });

  it('a public name the Cluster object does not list, --from a pod: resolved upstream, the address UNKNOWN (not NXDOMAIN)', () => {
    const r = run(['dns', 'api.github.com', '--from', API, '-o', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect([j.rcode, j.verdict, j.reason, j.resolved]).toEqual(['UNKNOWN', 'unknown', 'resolved upstream (forward . /etc/resolv.conf), address unknown to knet', null]);
    expect(j.queries.at(-1)).toEqual({ name: 'api.github.com.', type: 'AAAA', rcode: 'UNKNOWN' });
    expect(run(['dns', 'api.github.com', '--from', API]).out).toContain(';; 4 names, 8 packets; unknown: resolved upstream (forward . /etc/resolv.conf), address unknown to knet');
  });

  it("a pod's own hostname --from that pod comes from its /etc/hosts, before any query", () => {
    const name = API.split('/')[1]!;
    const j = JSON.parse(run(['dns', name, '--from', API, '-o', 'json']).out);
    expect([j.packets, j.hosts.source, j.resolved.addresses]).toEqual([0, 'pod', [ipOf('production', name)]]);
    expect(run(['dns', name, '--from', API]).out).toContain(`;; ${name} from /etc/hosts (the pod's own hostname): read before DNS, no query sent`);
  });

  it('SOA and NS of the cluster zone, with --type', () => {
    const soa = JSON.parse(run(['dns', 'cluster.local', '--type', 'SOA', '-o', 'json']).out);
    expect(soa.answers[0].data).toMatch(/^ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$/);
    const ns = JSON.parse(run(['dns', 'cluster.local', '--type', 'NS', '-o', 'json']).out);
    expect(answers(JSON.stringify(ns))).toEqual(['cluster.local. 30 IN NS kube-dns.kube-system.svc.cluster.local.']);
    expect(ns.additional).toEqual([{ name: 'kube-dns.kube-system.svc.cluster.local.', type: 'A', ttl: 30, data: '10.96.0.10' }]);
  });

  it('AAAA of an IPv4 Service is NODATA', () => {
    expect(JSON.parse(run(['dns', 'api-service.production.svc.cluster.local', '-t', 'AAAA', '-o', 'json']).out)).toEqual({ rcode: 'NOERROR', answers: [] });
  });

  const errors: readonly [string, string[], string][] = [
    ['an unknown type', ['dns', 'web', '--type', 'MX'], 'error: unknown record type "MX": knet answers A, AAAA, CNAME, SRV, PTR, TXT, SOA, NS, ANY\n  hint: '],
    ['an empty label', ['dns', 'a..b.cluster.local'], 'error: "a..b.cluster.local" has an empty label (two dots in a row, or a leading dot)\n  hint: remove the extra dot'],
    ['a label too long', ['dns', `${'x'.repeat(64)}.example.com`], 'is 64 characters long; DNS allows at most 63\n  hint: '],
    ['characters no name can carry', ['dns', 'web/api'], 'error: label "web/api" has characters a DNS name cannot carry\n  hint: '],
    ['an address with another type', ['dns', '10.96.0.1', '-t', 'A'], 'error: "10.96.0.1" is an address, not a name: it has no A record\n  hint: leave out --type'],
    ['an unknown pod', ['dns', 'web', '--from', 'production/nope'], 'error: no pod or workload nope in namespace production; pods there: api-'],
    ['a workload in another namespace', ['dns', 'web', '--from', 'default/frontend'], 'error: no pod or workload frontend in namespace default; namespace default has no pods\n  hint: frontend is in namespace production: --from production/frontend'],
    ['a bad output format', ['dns', 'web', '-o', 'yaml'], 'error: unknown output format "yaml"\n  hint: '],
  ];
  it.each(errors)('%s is one line of error and one of hint', (_what, argv, expected) => {
    const r = run(argv);
    expect(r.code).toBe(1);
    expect(r.err).toContain(expected);
    expect(r.err.trim().split('\n')).toHaveLength(2);
  });
});

describe('knet resolv-conf on examples/opscart', () => {
  it('prints the file the kubelet writes for a ClusterFirst pod', () => {
    const r = run(['resolv-conf', API]);
    expect(r.out).toBe('search production.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
  });

  it('-o json gives nameservers, searches and options', () => {
    expect(JSON.parse(run(['resolv-conf', API, '-o', 'json']).out)).toEqual({
      nameservers: ['10.96.0.10'], searches: ['production.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'],
    });
  });

  it('CoreDNS itself (dnsPolicy Default) gets its node\'s file', () => {
    expect(run(['resolv-conf', podOf('kube-system', 'coredns-')]).out).toBe('nameserver 203.0.113.53\n');
  });

  it('a pod given with -n', () => {
    expect(run(['resolv-conf', 'kafka-0', '-n', 'messaging']).out).toContain('search messaging.svc.cluster.local ');
  });
});
