// Names outside the cluster in a trace: a public name the Cluster object does not list is
// resolved upstream with an address knet does not know, so DNS is not the failing layer and
// egress decides by port; an ipBlock that decides makes the verdict unknown; a nameserver
// outside the model makes it unknown; /etc/hosts answers before DNS.
import { describe, expect, it } from 'vitest';
import { build, clusterYaml, namespace, outline, pod, policy, traceIn } from './trace-fixtures.js';

const DNS_OUT = '{ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}';

function shop(...extra: string[]) {
  return build(clusterYaml(), namespace('shop'), pod('shop', 'web-1', 'app: web'), ...extra).ctx;
}

function egressOnly(rules: string): string {
  return policy('shop', 'web-egress', `{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [${DNS_OUT}, ${rules}]}`);
}

describe('a public name the Cluster object does not list', () => {
  it('no egress policy -> DNS resolves upstream (address unknown), the packet leaves the cluster: delivered', () => {
    const t = traceIn(shop(), 'shop/web-1', 'https://api.github.com/');
    expect([t.verdict, t.failedAt]).toEqual(['delivered', null]);
    expect(outline(t)).toEqual(['dns ok', 'egress policy ok', 'pod-network ok']);
    expect(t.steps[0]!.summary).toBe('api.github.com: resolved upstream (forward . /etc/resolv.conf), address unknown to knet');
    expect(t.reason).toMatch(/^leaves the cluster from node node-1 for api\.github\.com:443\/TCP \(resolved upstream, address unknown to knet\)/);
    expect(t.delivered).toEqual({ pod: null, node: null, ip: '', port: 443 });
  });

  it('egress allowed on 443 to anywhere (ports only) -> delivered, by that rule', () => {
    const t = traceIn(shop(egressOnly('{ports: [{protocol: TCP, port: 443}]}')), 'shop/web-1', 'https://api.github.com/');
    expect(t.verdict).toBe('delivered');
    expect(t.steps[1]).toMatchObject({ layer: 'policy', verdict: 'allowed', policy: 'shop/web-egress' });
  });

  it('egress to 0.0.0.0/0 except the private ranges -> every public address: delivered', () => {
    const t = traceIn(shop(egressOnly('{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 192.168.0.0/16]}}], ports: [{protocol: TCP, port: 443}]}')), 'shop/web-1', 'https://api.github.com/');
    expect(t.verdict).toBe('delivered');
    expect(t.steps[1]!.summary).toMatch(/to every public address on 443\/TCP/);
  });

  it('egress on 443 only to 10.0.0.0/8 -> unknown: it depends on the address', () => {
    const t = traceIn(shop(egressOnly('{to: [{ipBlock: {cidr: 10.0.0.0/8}}], ports: [{protocol: TCP, port: 443}]}')), 'shop/web-1', 'https://api.github.com/');
    expect([t.verdict, t.failedAt]).toEqual(['unknown', null]);
    expect(t.reason).toMatch(/^depends on the address api\.github\.com resolves to: .*only to 10\.0\.0\.0\/8 \(shop\/web-egress spec\.egress\[1\]\)/);
    expect(t.hint).toMatch(/external\.records/);
    expect(t.steps[1]).toMatchObject({ layer: 'policy', verdict: 'unknown', ok: true });
  });

  it('egress allowed only to pods (selectors) on 443 -> no outside address can pass: failed at policy', () => {
    const t = traceIn(shop(egressOnly('{to: [{podSelector: {}}], ports: [{protocol: TCP, port: 443}]}')), 'shop/web-1', 'https://api.github.com/');
    expect([t.verdict, t.failedAt]).toEqual(['failed', 'policy']);
    expect(t.hint).toMatch(/ipBlock: \{cidr: 0\.0\.0\.0\/0\}/);
  });

  it('another port than the one allowed -> failed at policy, DNS fine', () => {
    const t = traceIn(shop(egressOnly('{ports: [{protocol: TCP, port: 443}]}')), 'shop/web-1', 'http://api.github.com/');
    expect([t.verdict, t.failedAt, t.steps[0]!.ok]).toEqual(['failed', 'policy', true]);
  });

  it('NXDOMAIN stays where knet knows: a single label, or a name in the cluster domain', () => {
    expect(traceIn(shop(), 'shop/web-1', 'http://nosuchsvc:80/').failedAt).toBe('dns');
    expect(traceIn(shop(), 'shop/web-1', 'http://nosuchsvc.shop.svc.cluster.local:80/').failedAt).toBe('dns');
  });

  it('from the internet: unknown, not a DNS failure', () => {
    const t = traceIn(shop(), 'external', 'https://api.github.com/');
    expect([t.verdict, t.failedAt]).toEqual(['unknown', null]);
  });
});

describe('a nameserver outside the model', () => {
  const foreign = `apiVersion: v1\nkind: Pod\nmetadata: {name: tool-1, namespace: shop, labels: {app: tool}}\n` +
    `spec: {nodeName: node-1, dnsPolicy: None, dnsConfig: {nameservers: [8.8.8.8]}, containers: [{name: c, image: agnhost}]}\n`;
  it('cluster names and public names alike -> unknown, naming the server', () => {
    const ctx = shop(foreign);
    for (const target of ['http://kubernetes.default.svc.cluster.local:443/', 'https://api.github.com/']) {
      const t = traceIn(ctx, 'shop/tool-1', target);
      expect([t.verdict, t.failedAt]).toEqual(['unknown', null]);
      expect(t.reason).toMatch(/^depends on what the nameserver 8\.8\.8\.8 answers for /);
    }
  });
});

describe('/etc/hosts before DNS', () => {
  const aliased = `apiVersion: v1\nkind: Pod\nmetadata: {name: app-1, namespace: shop, labels: {app: app}}\n` +
    `spec: {nodeName: node-1, hostname: app-1, subdomain: apps, hostAliases: [{ip: 10.96.0.1, hostnames: [api.internal, api]}], containers: [{name: c, image: agnhost}]}\n`;
  const denyAll = policy('shop', 'deny-all', '{podSelector: {}, policyTypes: [Egress]}');

  it('a hostAliases name resolves from the hosts file, without a query: a policy that blocks DNS does not matter', () => {
    const t = traceIn(shop(aliased, denyAll), 'shop/app-1', 'https://api.internal/');
    expect(t.steps[0]).toMatchObject({ layer: 'dns', ok: true, queries: [], addresses: ['10.96.0.1'] });
    expect(t.steps[0]!.summary).toBe('api.internal -> 10.96.0.1 (Service default/kubernetes) from /etc/hosts (hostAliases); no DNS query');
    expect(t.steps[1]!.layer).toBe('service'); // on past DNS, to kube-proxy
  });

  it('localhost is the pod itself: on to its own address and port', () => {
    const t = traceIn(shop(), 'shop/web-1', 'http://localhost:8080/');
    expect(t.steps[0]!.summary).toMatch(/^localhost -> 127\.0\.0\.1 from \/etc\/hosts \(localhost\); no DNS query: loopback, the pod itself \(10\.244\.\d+\.\d+\)$/);
    expect([t.verdict, t.delivered?.pod]).toEqual(['delivered', 'shop/web-1']);
  });

  it("the pod's own FQDN and hostname come from its hosts file", () => {
    const ctx = shop(aliased);
    const t = traceIn(ctx, 'shop/app-1', 'http://app-1.apps.shop.svc.cluster.local:8080/');
    expect(t.steps[0]!.summary).toMatch(/from \/etc\/hosts \(the pod's own hostname\); no DNS query$/);
    expect(traceIn(ctx, 'shop/app-1', 'http://app-1:8080/').steps[0]!.summary).toMatch(/from \/etc\/hosts/);
  });
});
