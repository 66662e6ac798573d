import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Io } from './output.js';

function run(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), color: false };
  const code = main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function json(...argv: string[]): Record<string, unknown> {
  const r = run(...argv, '-o', 'json');
  return JSON.parse(r.out) as Record<string, unknown>;
}

/** The seed's section 8, one directory each: the trace that shows it and the cause diagnose names. */
const BROKEN: { dir: string; from: string; target: string; failedAt: string; reason: RegExp; fix: RegExp; cause: string }[] = [
  {
    dir: 'pod-cannot-reach-pod', from: 'shop/web', target: '10.244.9.10:8080', failedAt: 'pod-network',
    reason: /10\.244\.9\.10 \(shop\/cart\) is outside the podCIDR 10\.244\.1\.0\/24 of its node node-2/,
    fix: /fix its IPAM range to 10\.244\.1\.0\/24/, cause: 'pod-ip-outside-node-cidr',
  },
  {
    dir: 'service-not-reachable-by-name', from: 'production/deploy/frontend', target: 'http://api-service:8080/', failedAt: 'service',
    reason: /its selector app=api-server matches no pod in namespace production; pods there have app=api \(2 pods\)/,
    fix: /make spec\.selector of production\/api-service match the pods' labels \(e\.g\. app: api\)/, cause: 'service-selector-no-pods',
  },
  {
    dir: 'ingress-503', from: 'external', target: 'http://shop.example.com/', failedAt: 'ingress',
    reason: /^503 Service Unavailable: .* none of the 2 pods it selects is ready/, fix: /readiness probe/, cause: 'ingress-backend-no-endpoints',
  },
  {
    dir: 'dns-fails-after-networkpolicy', from: 'production/deploy/frontend', target: 'http://api-service:8080/', failedAt: 'dns',
    reason: /time out: its queries to kube-dns 10\.96\.0\.10:53\/UDP \(2 CoreDNS pods\) are dropped at its egress: isolated by .*production\/default-deny-all/,
    fix: /egress: \[\{ports: \[\{protocol: UDP, port: 53\}, \{protocol: TCP, port: 53\}\]\}\]/, cause: 'dns-egress-blocked',
  },
  {
    dir: 'tls-certificate-not-provisioning', from: 'external', target: 'https://shop.example.com/', failedAt: 'tls',
    reason: /port 80 of shop\.example\.com is not reachable from the internet/, fix: /^add port 80 to Service ingress-nginx\/ingress-nginx-controller/, cause: 'acme-http01-unreachable',
  },
];

describe('examples/broken: trace fails at the right layer, diagnose names the cause', () => {
  it('every directory of examples/broken is in the table', () => {
    const dirs = readdirSync('examples/broken', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(dirs).toEqual(BROKEN.map((b) => b.dir).sort());
  });
  for (const b of BROKEN) {
    describe(b.dir, () => {
      const path = `examples/broken/${b.dir}`;
      it(`knet trace --from ${b.from} ${b.target} fails at ${b.failedAt}, with the fix`, () => {
        const t = json('trace', '-f', path, '--from', b.from, b.target);
        expect([t['verdict'], t['failedAt']]).toEqual(['failed', b.failedAt]);
        expect(t['reason']).toMatch(b.reason);
        expect(t['hint']).toMatch(b.fix);
        expect(run('trace', '-f', path, '--from', b.from, b.target).code).toBe(1);
      });
      it(`knet diagnose names ${b.cause} and exits 1`, () => {
        const r = run('diagnose', '-f', path);
        expect(r.code).toBe(1);
        const issues = (json('diagnose', '-f', path)['issues'] as { code: string; severity: string; hint: string | null }[]);
        const cause = issues.find((i) => i.code === b.cause);
        expect(cause?.severity).toBe('error');
        expect(cause?.hint).toBeTruthy();
      });
    });
  }
});

describe('knet trace on examples/opscart (healthy)', () => {
  it('frontend -> http://api-service:8080/ is delivered (exit 0)', () => {
    const r = run('trace', '-f', 'examples/opscart', '--from', 'production/deploy/frontend', 'http://api-service:8080/');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\ndelivered to production\/api-5b8ddb4fd9-\w+ 10\.244\.\d+\.\d+:8080 on node-\d$/);
  });

  it('external -> https://api.opscart.com/ is delivered through the load balancer and the controller', () => {
    const t = json('trace', '-f', 'examples/opscart', '--from', 'external', 'https://api.opscart.com/');
    expect([t['verdict'], t['failedAt']]).toEqual(['delivered', null]);
    const steps = t['steps'] as { layer: string; via?: string; verdict?: string; service?: string; endpoints?: string[]; masquerade?: boolean }[];
    expect(steps.map((s) => s.layer)).toEqual(['dns', 'service', 'pod-network', 'policy', 'container', 'tls', 'ingress', 'service', 'policy', 'pod-network', 'policy', 'container']);
    expect(steps[1]).toMatchObject({ service: 'ingress-nginx/ingress-nginx-controller', verdict: 'dnat', via: 'LoadBalancer', masquerade: true });
    expect(steps[1]!.endpoints).toHaveLength(2);
  });

  it('the service step carries the documented fields', () => {
    const t = json('trace', '-f', 'examples/opscart', '--from', 'production/deploy/frontend', 'api-service:8080');
    const svc = (t['steps'] as Record<string, unknown>[]).find((s) => s['layer'] === 'service')!;
    expect(svc).toMatchObject({ service: 'production/api-service', verdict: 'dnat', masquerade: false });
    expect([...(svc['endpoints'] as string[])].sort()).toEqual(['10.244.0.3:8080', '10.244.1.3:8080', '10.244.2.2:8080']);
  });

  it('--via picks the node an outside packet reaches', () => {
    const t = json('trace', '-f', 'examples/opscart', '--from', 'external', 'https://api.opscart.com/', '--via', 'node/node-3');
    expect((t['steps'] as Record<string, unknown>[])[1]).toMatchObject({ node: 'node-3' });
  });
});

describe('knet trace to a name outside the cluster', () => {
  it('opscart frontend -> https://api.github.com/: DNS resolves upstream, the default-deny egress stops it at policy', () => {
    const t = json('trace', '-f', 'examples/opscart', '--from', 'production/deploy/frontend', 'https://api.github.com/');
    expect([t['verdict'], t['failedAt']]).toEqual(['failed', 'policy']);
    const dns = (t['steps'] as { layer: string; ok: boolean; summary: string }[])[0]!;
    expect([dns.layer, dns.ok, dns.summary]).toEqual(['dns', true, 'api.github.com: resolved upstream (forward . /etc/resolv.conf), address unknown to knet']);
    expect(t['reason']).toMatch(/no egress rule of theirs allows an address outside the cluster on 443\/TCP/);
  });

  it('--to names the target as well as the argument does', () => {
    const t = json('trace', '-f', 'examples/opscart', '--from', 'node/node-1', '--to', 'https://api.github.com/');
    expect([t['verdict'], t['target']]).toEqual(['delivered', 'https://api.github.com/']);
    expect(run('trace', '-f', 'examples/opscart', '--from', 'node/node-1').err).toMatch(/error: no target/);
  });

  it('from a node: nothing polices it, it leaves the cluster (exit 0)', () => {
    const r = run('trace', '-f', 'examples/opscart', '--from', 'node/node-1', 'https://api.github.com/');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\nleaves the cluster from node node-1 for api\.github\.com:443\/TCP \(resolved upstream, address unknown to knet\)/);
  });
});

describe('knet trace arguments', () => {
  const cases: [string[], RegExp][] = [
    [['--from', 'production/nope', 'api-service:8080'], /error: --from: no pod or workload nope in namespace production; pods there: api-/],
    [['--from', 'frontend', 'api-service:8080'], /error: --from: no pod or workload frontend in namespace default; namespace default has no pods\n {2}hint: frontend is in namespace production: --from production\/frontend/],
    [['--from', 'production/deploy/nope', 'api-service:8080'], /error: --from: no Deployment nope in namespace production; Deployments there: api, frontend/],
    [['--from', 'production/deploy/frontend', 'api-service'], /error: "api-service" has no port\n {2}hint: write name:port/],
    [['--from', 'external', 'ftp://x/'], /knet traces http and https URLs, not ftp/],
    [['--from', 'external', 'node/node-9:30080'], /node "node-9" not found/],
    [['--from', 'external', 'http://x/', '--protocol', 'UDP'], /a URL is http over TCP, not UDP/],
    [['--from', 'external', 'x:1', '--via', 'node/zz'], /--via: node "zz" not found/],
  ];
  for (const [args, want] of cases) {
    it(`${args.join(' ')} -> a one-line error and a hint`, () => {
      const r = run('trace', '-f', 'examples/opscart', ...args);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(want);
    });
  }

  it('--from ns/NAME of a Deployment (no pod of that name): its first running pod sends', () => {
    const r = run('trace', '-f', 'examples/opscart', '--from', 'production/frontend', 'http://api-service:8080/');
    expect(r.out).toMatch(/^trace production\/frontend-\S+ /);
  });

  it('text output on a terminal is coloured; elsewhere it is plain', () => {
    const out: string[] = [];
    main(['trace', '-f', 'examples/opscart', '--from', 'external', 'http://app.opscart.com/'], { out: (t) => out.push(t), err: () => {}, color: true });
    expect(out.join('')).toContain('\x1b[32mok');
    expect(run('trace', '-f', 'examples/opscart', '--from', 'external', 'http://app.opscart.com/').out).not.toContain('\x1b[');
  });
});

describe('examples/broken/README.md shows the real output', () => {
  // Each fenced block starting with `$ knet ...` is run, and its output compared (as CoreDNS tests its READMEs).
  const readme = readFileSync('examples/broken/README.md', 'utf8');
  const blocks = [...readme.matchAll(/```\n\$ knet ([^\n]+)\n([\s\S]*?)```/g)];
  it('has an example for every directory and for opscart', () => {
    expect(blocks.length).toBe(13);
  });
  for (const [, command, output] of blocks) {
    it(`knet ${command}`, () => {
      const r = run(...command!.split(' '));
      expect(r.out.split('\n').map((l) => l.trimEnd()).join('\n')).toBe(output!.trimEnd());
    });
  }
});
