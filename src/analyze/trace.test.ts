import { describe, expect, it } from 'vitest';
import { loadCluster } from '../cluster/fill-in.js';
import {
  build, clusterIssuer, clusterYaml, ingress, ingressNginx, namespace, outline, pod, policy, service, traceIn,
} from './trace-fixtures.js';
import { buildTraceContext } from './trace-context.js';
import { renderTrace } from './trace-render.js';

const DENY_ALL = '{podSelector: {}, policyTypes: [Ingress, Egress]}';
const ALLOW_DNS = '{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}]}';

/** shop: web on node-1 calls api (2 pods, node-1 and node-2) through Service api. */
function shop(cni = 'calico', ...more: string[]) {
  return build(
    clusterYaml(cni), namespace('shop'),
    pod('shop', 'web-1', 'app: web', { ports: '[{name: http, containerPort: 3000}]' }),
    pod('shop', 'api-1', 'app: api', { node: 'node-1' }),
    pod('shop', 'api-2', 'app: api', { node: 'node-2' }),
    service('shop', 'api', 'app: api'),
    ...more,
  );
}

describe('trace: a pod to a Service by name', () => {
  it('the search list finds the Service, kube-proxy DNATs, the packet is delivered to an endpoint', () => {
    const t = traceIn(shop().ctx, 'shop/web-1', 'http://api:8080/');
    expect(t.verdict).toBe('delivered');
    expect(outline(t)).toEqual(['dns ok', 'service ok', 'egress policy ok', 'pod-network ok', 'ingress policy ok', 'container ok']);
    const dns = t.steps[0]!;
    expect(dns.layer === 'dns' && dns.queries[0]).toEqual({ name: 'api.shop.svc.cluster.local.', type: 'A', rcode: 'NOERROR' });
    const svc = t.steps[1]!;
    expect(svc.layer === 'service' && [svc.service, svc.verdict, svc.endpoints.length, svc.masquerade]).toEqual(['shop/api', 'dnat', 2, false]);
    expect(t.delivered?.port).toBe(8080);
  });

  it('a name with no Service in the namespace fails at dns, naming the namespace that has one', () => {
    const { ctx } = build(clusterYaml(), namespace('shop'), namespace('other'), pod('shop', 'web-1', 'app: web'), pod('other', 'db-1', 'app: db'), service('other', 'db', 'app: db'));
    const t = traceIn(ctx, 'shop/web-1', 'db:8080');
    expect([t.verdict, t.failedAt]).toEqual(['failed', 'dns']);
    expect(t.reason).toMatch(/db does not resolve: NXDOMAIN after 4 names/);
    expect(t.hint).toMatch(/there is one in other: write db\.other/);
  });

  it('a selector matching no pod: reject at service, naming the labels the pods do have', () => {
    const { ctx } = build(clusterYaml(), namespace('shop'), pod('shop', 'web-1', 'app: web'), pod('shop', 'api-1', 'app: api'), service('shop', 'api', 'app: api-server'));
    const t = traceIn(ctx, 'shop/web-1', 'api:8080');
    expect(outline(t)).toEqual(['dns ok', 'service FAIL']);
    expect(t.failedAt).toBe('service');
    expect(t.reason).toMatch(/^reject \(connection refused\): shop\/api has no endpoints: its selector app=api-server matches no pod in namespace shop; pods there have app=web \(1 pod\), app=api \(1 pod\)/);
    expect(t.hint).toMatch(/e\.g\. app: web|e\.g\. app: api/);
  });

  it('a named targetPort no pod declares: the Service has no endpoints, reject at service', () => {
    const { ctx } = build(clusterYaml(), namespace('shop'), pod('shop', 'web-1', 'app: web'), pod('shop', 'api-1', 'app: api'),
      service('shop', 'api', 'app: api', '[{port: 8080, targetPort: web}]'));
    const t = traceIn(ctx, 'shop/web-1', 'api:8080');
    expect(t.failedAt).toBe('service');
    expect(t.reason).toMatch(/targetPort "web" \(port 8080\) names no TCP container port of the 1 selected pod \(they declare 8080\/TCP \(http\)\)/);
  });

  it('Predict: a numeric targetPort the container does not declare is delivered; whether a process listens is unknown (no "declare containerPort")', () => {
    const { ctx } = build(clusterYaml(), namespace('shop'), pod('shop', 'web-1', 'app: web'), pod('shop', 'api-1', 'app: api'),
      service('shop', 'api', 'app: api', '[{port: 80, targetPort: 9090}]'));
    const t = traceIn(ctx, 'shop/web-1', 'api:80');
    expect(t.verdict).toBe('delivered');
    expect(outline(t)).toEqual(['dns ok', 'service ok', 'egress policy ok', 'pod-network ok', 'ingress policy ok', 'container warn']);
    expect(t.hint).toMatch(/whether a process of shop\/api-1 listens on 9090\/TCP is unknown: containerPort is informational/);
    expect(JSON.stringify(t)).not.toMatch(/declare containerPort/);
  });

  it('knet\'s running cluster: a numeric targetPort the container does not declare is refused at container', () => {
    const { cluster } = build(clusterYaml(), namespace('shop'), pod('shop', 'web-1', 'app: web'), pod('shop', 'api-1', 'app: api'),
      service('shop', 'api', 'app: api', '[{port: 80, targetPort: 9090}]'));
    const t = traceIn(buildTraceContext(cluster, { running: true }), 'shop/web-1', 'api:80');
    expect(outline(t)).toEqual(['dns ok', 'service ok', 'egress policy ok', 'pod-network ok', 'ingress policy ok', 'container FAIL']);
    expect(t.reason).toMatch(/nothing in shop\/api-1 listens on 9090\/TCP \(declared: api 8080\/TCP \(http\)\): connection refused/);
  });

  it('a ClusterIP on a port the Service does not define: reject, listing its ports', () => {
    const { ctx, cluster } = shop();
    const ip = cluster.services.find((s) => s.meta.name === 'api')!.clusterIPs[0]!;
    const t = traceIn(ctx, 'shop/web-1', `${ip}:9999`);
    expect([t.failedAt, t.steps[0]!.layer]).toEqual(['service', 'service']);
    expect(t.hint).toBe('use a port shop/api defines: 8080/TCP (http)');
  });

  it('an unallocated address of the service subnet: kube-proxy drops it', () => {
    const t = traceIn(shop().ctx, 'shop/web-1', '10.96.200.200:80');
    expect(t.failedAt).toBe('service');
    expect(t.steps[0]!.layer === 'service' && t.steps[0]!.verdict).toBe('drop');
  });
});

describe('trace: NetworkPolicies', () => {
  it('default-deny egress without DNS: fails at dns, the query to kube-dns is dropped at the pod\'s egress', () => {
    const { ctx } = shop('calico', policy('shop', 'default-deny-all', DENY_ALL));
    const t = traceIn(ctx, 'shop/web-1', 'http://api:8080/');
    expect([t.verdict, t.failedAt]).toEqual(['failed', 'dns']);
    expect(t.reason).toMatch(/name lookups from shop\/web-1 time out: its queries to kube-dns 10\.96\.0\.10:53\/UDP \(2 CoreDNS pods\) are dropped at its egress: isolated by shop\/default-deny-all/);
    expect(t.hint).toMatch(/a NetworkPolicy in shop with podSelector: \{\}, policyTypes: \[Egress\], egress: \[\{ports: \[\{protocol: UDP, port: 53\}/);
  });

  it('an app-scoped egress policy without DNS: the fix is scoped like that policy (its podSelector), not the whole namespace', () => {
    const { ctx } = shop('calico', policy('shop', 'web-egress', '{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: api}}}], ports: [{protocol: TCP, port: 8080}]}]}'));
    const t = traceIn(ctx, 'shop/web-1', 'http://api:8080/');
    expect(t.failedAt).toBe('dns');
    expect(t.hint).toBe('allow DNS for the pods NetworkPolicy shop/web-egress selects: a NetworkPolicy in shop with podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}]');
  });

  it('with the DNS egress rule, DNS works and the deny-all stops the connection at the source\'s egress', () => {
    const { ctx } = shop('calico', policy('shop', 'default-deny-all', DENY_ALL), policy('shop', 'allow-dns', ALLOW_DNS));
    const t = traceIn(ctx, 'shop/web-1', 'http://api:8080/');
    expect(outline(t)).toEqual(['dns ok', 'service ok', 'egress policy FAIL']);
    expect(t.hint).toMatch(/^allow it in a NetworkPolicy of namespace shop selecting \{app: web\}: egress: \[\{to: \[\{podSelector: \{matchLabels: \{app: api\}\}\}\], ports: \[\{protocol: TCP, port: 8080\}\]\}\]/);
  });

  it('an ingress rule admitting another pod only: fails at the destination\'s ingress policy', () => {
    const { ctx } = shop('calico', policy('shop', 'api-from-admin', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: admin}}}]}]}'));
    const t = traceIn(ctx, 'shop/web-1', 'http://api:8080/');
    expect(outline(t)).toEqual(['dns ok', 'service ok', 'egress policy ok', 'pod-network ok', 'ingress policy FAIL']);
    const step = t.steps[4]!;
    expect(step.layer === 'policy' && step.isolatedBy).toEqual(['shop/api-from-admin']);
  });

  it('flannel enforces nothing: the same policies let the packet through, and the steps say so', () => {
    const { ctx } = shop('flannel', policy('shop', 'default-deny-all', DENY_ALL));
    const t = traceIn(ctx, 'shop/web-1', 'http://api:8080/');
    expect(t.verdict).toBe('delivered');
    expect(outline(t)).toEqual(['dns ok', 'service ok', 'egress policy warn', 'pod-network ok', 'ingress policy warn', 'container ok']);
    expect(t.steps[2]!.summary).toBe('egress not enforced: flannel implements no NetworkPolicy');
  });

  it('traffic from a pod\'s own node is always allowed, whatever the policies', () => {
    const { ctx } = shop('calico', policy('shop', 'default-deny-all', DENY_ALL));
    const t = traceIn(ctx, 'node/node-1', '10.244.0.3:8080');
    const ing = t.steps.find((s) => s.layer === 'policy');
    expect(ing?.layer === 'policy' && ing.verdict).toBe('exempt');
  });

  it('some endpoints allowed, some denied: delivered, with a warning that some connections fail', () => {
    const { ctx } = shop('calico', policy('shop', 'api-2-closed', '{podSelector: {matchLabels: {app: api, closed: "yes"}}, policyTypes: [Ingress]}'),
      pod('shop', 'api-3', 'app: api, closed: "yes"', { node: 'node-2' }));
    const t = traceIn(ctx, 'shop/web-1', 'api:8080');
    expect(t.verdict).toBe('delivered');
    expect(t.hint).toMatch(/^1 of 3 endpoints would fail \(shop\/api-3 10\.244\.1\.\d+:8080 at policy\): each connection goes to one at random, so 1 in 3 fail; knet trace --from shop\/web-1 10\.244\.1\.\d+:8080 shows why$/);
  });
});

describe('trace: the pod network', () => {
  const nodes = (a: string, b: string) => [
    `apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\nspec: {podCIDR: ${a}}\nstatus: {addresses: [{type: InternalIP, address: 172.18.0.2}]}\n`,
    `apiVersion: v1\nkind: Node\nmetadata: {name: node-2}\nspec: {podCIDR: ${b}}\nstatus: {addresses: [{type: InternalIP, address: 172.18.0.3}]}\n`,
  ];
  it('across nodes, routed (calico): the node\'s podCIDR via its address, no NAT', () => {
    const t = traceIn(shop().ctx, 'shop/web-1', '10.244.1.2:8080');
    const net = t.steps.find((s) => s.layer === 'pod-network')!;
    expect(net.summary).toBe('node-1 -> node-2, routed: 10.244.1.0/24 via 172.18.0.3 (calico, as BGP installs it), no NAT');
  });

  it('across nodes, flannel: the VXLAN overlay', () => {
    const t = traceIn(shop('flannel').ctx, 'shop/web-1', '10.244.1.2:8080');
    expect(t.steps.find((s) => s.layer === 'pod-network')!.summary).toMatch(/over the VXLAN overlay \(flannel\.1 to 172\.18\.0\.3\)/);
  });

  it('flannel routes by podCIDR: a pod IP outside its node\'s podCIDR is unreachable from another node, fails at pod-network', () => {
    const { ctx } = build(clusterYaml('flannel'), ...nodes('10.244.0.0/24', '10.244.1.0/24'), namespace('shop'),
      pod('shop', 'web-1', 'app: web', { ip: '10.244.0.10' }), pod('shop', 'cart-1', 'app: cart', { node: 'node-2', ip: '10.244.9.10' }),
      pod('shop', 'peer-1', 'app: peer', { node: 'node-2', ip: '10.244.1.10' }));
    const t = traceIn(ctx, 'shop/web-1', '10.244.9.10:8080');
    expect([t.failedAt, t.reason]).toEqual(['pod-network', '10.244.9.10 (shop/cart-1) is outside the podCIDR 10.244.1.0/24 of its node node-2 and of every other node: node-1 has no route for it, the packet is lost']);
    const local = traceIn(ctx, 'shop/peer-1', '10.244.9.10:8080');
    expect(local.verdict).toBe('delivered');
    expect(local.steps.find((s) => s.layer === 'pod-network')!.warning).toMatch(/pods on other nodes cannot reach it/);
  });

  it('Calico routes its blocks and borrowed addresses: a pod IP outside its node\'s podCIDR is delivered, via the node that holds it', () => {
    const { ctx } = build(clusterYaml(), ...nodes('10.244.0.0/24', '10.244.1.0/24'), namespace('shop'),
      pod('shop', 'web-1', 'app: web', { ip: '192.168.5.10' }), pod('shop', 'web-2', 'app: web', { ip: '192.168.5.11' }),
      pod('shop', 'cart-1', 'app: cart', { node: 'node-2', ip: '192.168.5.12' }), pod('shop', 'api-1', 'app: api', { node: 'node-2', ip: '192.168.5.70' }));
    const borrowed = traceIn(ctx, 'shop/web-1', '192.168.5.12:8080');
    expect(borrowed.verdict).toBe('delivered');
    expect(borrowed.steps.find((s) => s.layer === 'pod-network')!.summary).toBe('node-1 -> node-2, routed: 192.168.5.12/32 (borrowed from block 192.168.5.0/26) via 172.18.0.3 (calico, as BGP installs it), no NAT');
    const block = traceIn(ctx, 'shop/web-1', '192.168.5.70:8080');
    expect(block.steps.find((s) => s.layer === 'pod-network')!.summary).toMatch(/^node-1 -> node-2, routed: 192\.168\.5\.64\/26 \(a block of its IP pool\) via 172\.18\.0\.3/);
  });

  it('overlapping podCIDRs: the source node takes the address for its own, fails at pod-network', () => {
    const { ctx } = build(clusterYaml(), ...nodes('10.244.0.0/24', '10.244.0.0/24'), namespace('shop'),
      pod('shop', 'web-1', 'app: web', { ip: '10.244.0.10' }), pod('shop', 'cart-1', 'app: cart', { node: 'node-2', ip: '10.244.0.20' }));
    const t = traceIn(ctx, 'shop/web-1', '10.244.0.20:8080');
    expect(t.failedAt).toBe('pod-network');
    expect(t.reason).toMatch(/overlap and all contain 10\.244\.0\.20: node-1 takes 10\.244\.0\.20 for one of its own pods/);
  });

  it('one address on two pods: fails at pod-network', () => {
    const { ctx } = build(clusterYaml(), ...nodes('10.244.0.0/24', '10.244.1.0/24'), namespace('shop'),
      pod('shop', 'web-1', 'app: web', { ip: '10.244.0.10' }), pod('shop', 'a-1', 'app: a', { node: 'node-2', ip: '10.244.1.7' }), pod('shop', 'b-1', 'app: b', { node: 'node-2', ip: '10.244.1.7' }));
    expect(traceIn(ctx, 'shop/web-1', '10.244.1.7:8080').reason).toMatch(/^10\.244\.1\.7 is the address of 2 pods/);
  });

  it('pod addresses are not routed from the internet', () => {
    const t = traceIn(shop().ctx, 'external', '10.244.1.2:8080');
    expect([t.failedAt, t.hint]).toEqual(['pod-network', 'expose the pod through a Service of type LoadBalancer or NodePort, or an Ingress']);
  });

  it('a pod to an outside address leaves the cluster with the node\'s address', () => {
    const t = traceIn(shop().ctx, 'shop/web-1', '203.0.113.90:5432');
    expect(t.verdict).toBe('delivered');
    expect(t.steps.find((s) => s.layer === 'pod-network')).toMatchObject({ path: 'leaves-cluster', nat: true });
  });
});

describe('trace: NodePort and LoadBalancer from outside', () => {
  const np = (policy: string) => shop('calico', service('shop', 'api-np', 'app: api', '[{port: 8080, targetPort: 8080, nodePort: 30080}]', `type: NodePort, externalTrafficPolicy: ${policy}`));
  it('node/NAME:nodePort: the node\'s kube-proxy DNATs, masqueraded (externalTrafficPolicy Cluster)', () => {
    const t = traceIn(np('Cluster').ctx, 'external', 'node/node-2:30080');
    expect(t.verdict).toBe('delivered');
    expect(t.steps[0]).toMatchObject({ layer: 'service', verdict: 'dnat', via: 'NodePort', node: 'node-2', masquerade: true });
  });

  it('externalTrafficPolicy Local on a node without an endpoint: dropped', () => {
    const { ctx } = build(clusterYaml('calico', 3), namespace('shop'), pod('shop', 'api-1', 'app: api'),
      service('shop', 'api-np', 'app: api', '[{port: 8080, targetPort: 8080, nodePort: 30080}]', 'type: NodePort, externalTrafficPolicy: Local'));
    const t = traceIn(ctx, 'external', 'node/node-3:30080');
    expect(t.failedAt).toBe('service');
    expect(t.steps[0]).toMatchObject({ verdict: 'drop' });
  });

  it('a node port no Service has: nothing takes it, the NodePorts are listed', () => {
    const t = traceIn(np('Cluster').ctx, 'external', 'node/node-1:31000');
    expect([t.failedAt, t.hint]).toEqual(['service', 'the cluster\'s NodePorts are 30080 (knet get svc -A)']);
  });
});

describe('trace: Ingress, TLS and cert-manager', () => {
  const web = [namespace('shop'), pod('shop', 'web-1', 'app: web'), service('shop', 'web', 'app: web', '[{name: http, port: 80, targetPort: http}]')];

  it('https to an Ingress host: load balancer, controller, TLS from a Certificate, route, backend endpoint', () => {
    const { ctx } = build(clusterYaml(), ingressNginx(), ...web, clusterIssuer('le'),
      ingress('shop', 'shop', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: le' }));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect(t.verdict).toBe('delivered');
    expect(outline(t)).toEqual(['dns ok', 'service ok', 'pod-network ok', 'ingress policy ok', 'container ok', 'tls ok', 'ingress ok', 'service ok', 'egress policy ok', 'pod-network ok', 'ingress policy ok', 'container ok']);
    expect(t.steps[1]).toMatchObject({ via: 'LoadBalancer', service: 'ingress-nginx/ingress-nginx-controller', masquerade: true });
    expect(t.steps[5]).toMatchObject({ layer: 'tls', secret: 'shop/shop-tls', certificate: 'shop/shop-tls' });
    expect(t.steps[5]!.summary).toMatch(/; until Certificate shop\/shop-tls is Ready, ingress-nginx serves its self-signed "Kubernetes Ingress Controller Fake Certificate", which clients reject$/);
    expect(t.delivered).toMatchObject({ pod: 'shop/web-1', port: 8080 });
  });

  it('http to a host with TLS: the controller answers 308', () => {
    const { ctx } = build(clusterYaml(), ingressNginx(), ...web, clusterIssuer('le'),
      ingress('shop', 'shop', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: le' }));
    const t = traceIn(ctx, 'external', 'http://shop.example.com/cart');
    expect(t.reason).toMatch(/^delivered to ingress-nginx\/controller-1 .*: 308 redirect to https:\/\/shop\.example\.com\/cart$/);
  });

  it('a backend whose pods are not ready: 503 at ingress, with the readiness explanation', () => {
    const { ctx } = build(clusterYaml(), ingressNginx(), namespace('shop'), pod('shop', 'web-1', 'app: web', { ready: false }),
      service('shop', 'web', 'app: web', '[{port: 80, targetPort: 8080}]'), ingress('shop', 'shop', 'shop.example.com', 'web', 80));
    const t = traceIn(ctx, 'external', 'http://shop.example.com/');
    expect(t.failedAt).toBe('ingress');
    expect(t.reason).toMatch(/^503 Service Unavailable: Ingress shop\/shop .* none of the 1 pod it selects is ready/);
  });

  it('no controller pod in the input: fails at ingress, nothing publishes the host (not a DNS hint to add it to an Ingress)', () => {
    const { ctx } = build(clusterYaml(), ...web, ingress('shop', 'shop', 'shop.example.com', 'web', 80));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect([t.verdict, t.failedAt]).toEqual(['failed', 'ingress']);
    expect(outline(t)).toEqual(['ingress FAIL']);
    expect(t.reason).toMatch(/^no ingress controller publishes shop\.example\.com/);
    expect(t.hint).toMatch(/install an ingress controller/);
  });

  it('the host\'s Ingress has another controller\'s class (istio): unknown, not failed', () => {
    const { ctx } = build(clusterYaml(), ...web, ingress('shop', 'shop', 'shop.example.com', 'web', 80, { annotations: 'kubernetes.io/ingress.class: istio' }));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect([t.verdict, t.failedAt, t.reason]).toEqual(['unknown', null, 'no ingress controller serves class istio: knet models ingress-nginx; the answer is unknown']);
    expect(renderTrace(t)).toMatch(/^UNKNOWN at ingress: no ingress controller serves class istio/m);
  });

  it('ingress-nginx runs but another controller\'s IngressClass claims the host: unknown', () => {
    const traefik = 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: traefik}\nspec: {controller: traefik.io/ingress-controller}\n';
    const { ctx } = build(clusterYaml(), ingressNginx(), traefik, ...web, ingress('shop', 'shop', 'shop.example.com', 'web', 80, { className: 'traefik' }));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect(t.verdict).toBe('unknown');
    expect(t.steps[0]).toMatchObject({ layer: 'ingress', ingress: 'shop/shop' });
  });

  it('ingress-nginx runs but leaves the host\'s Ingress out: fails at ingress with the class fix', () => {
    // nginx's IngressClass is not the default, and the Ingress names no class: left out.
    const notDefault = ingressNginx().replace('annotations: {ingressclass.kubernetes.io/is-default-class: "true"}', 'annotations: {}');
    const { ctx } = build(clusterYaml(), notDefault, ...web, ingress('shop', 'shop', 'shop.example.com', 'web', 80));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect([t.verdict, t.failedAt]).toEqual(['failed', 'ingress']);
    expect(t.reason).toMatch(/^no ingress controller publishes shop\.example\.com: Ingress shop\/shop has a rule for it, but ingress-nginx does not serve it/);
    expect(t.hint).toMatch(/set spec.ingressClassName of Ingress shop\/shop to nginx/);
  });

  it('a served host whose controller publishes no address: the DNS hint says so, not "add it to an Ingress"', () => {
    const lb = ingressNginx().split('---\n');
    const clusterIpOnly = lb.map((d) => d.replace('type: LoadBalancer', 'type: ClusterIP'));
    const { ctx } = build(clusterYaml(), ...clusterIpOnly, ...web, ingress('shop', 'shop', 'shop.example.com', 'web', 80));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect(t.failedAt).toBe('dns');
    expect(t.hint).toMatch(/Ingress shop\/shop serves it, but the controller publishes no address/);
  });

  it('a host no Ingress has: 404 from the default backend, listing the hosts served', () => {
    const { ctx } = build(clusterYaml(), ingressNginx(), ...web, ingress('shop', 'shop', 'shop.example.com', 'web', 80));
    const t = traceIn(ctx, 'external', 'http://198.51.100.2/');
    expect([t.failedAt, t.hint]).toEqual(['ingress', 'add a rule for 198.51.100.2 and this path to an Ingress; the hosts served are shop.example.com']);
  });

  it('HTTP-01 with port 80 closed on the load balancer: fails at tls, the fix is port 80', () => {
    const { ctx } = build(clusterYaml(), ingressNginx('[{name: https, port: 443, targetPort: https}]'), ...web, clusterIssuer('le'),
      ingress('shop', 'shop', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: le' }));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect(t.failedAt).toBe('tls');
    expect(t.reason).toMatch(/cannot issue it: the HTTP-01 challenge cannot reach it: port 80 of shop\.example\.com is not reachable from the internet/);
    expect(t.hint).toMatch(/^add port 80 to Service ingress-nginx\/ingress-nginx-controller/);
  });

  it('the ClusterIssuer named by the Ingress does not exist: fails at tls', () => {
    const { ctx } = build(clusterYaml(), ingressNginx(), ...web,
      ingress('shop', 'shop', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: letsencrypt' }));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect(t.failedAt).toBe('tls');
    expect(t.reason).toMatch(/its ClusterIssuer letsencrypt does not exist/);
  });

  it('the HTTP-01 solver\'s class is another controller\'s: fails at tls', () => {
    const { ctx } = build(clusterYaml(), ingressNginx(), ...web, clusterIssuer('le', 'traefik'),
      ingress('shop', 'shop', 'shop.example.com', 'web', 80, { tls: 'shop-tls', annotations: 'cert-manager.io/cluster-issuer: le' }));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect(t.failedAt).toBe('tls');
    expect(t.hint).toBe('set spec.acme.solvers[].http01.ingress.ingressClassName of ClusterIssuer le to nginx');
  });

  it('a tls Secret not in manifests that hold no TLS Secret of its namespace (made out of band): unknown at tls, delivered if it exists', () => {
    const { ctx } = build(clusterYaml(), ingressNginx(), ...web, ingress('shop', 'shop', 'shop.example.com', 'web', 80, { tls: 'shop-tls' }));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect([t.verdict, t.unknownAt, t.failedAt]).toEqual(['unknown', 'tls', null]);
    expect(t.delivered?.pod).toMatch(/^shop\/web/);
    expect(t.reason).toMatch(/but the certificate for shop.example.com is unknown: Secret shop\/shop-tls is not in the input; if the cluster lacks it, ingress-nginx serves its fake certificate/);
    expect(renderTrace(t)).toMatch(/^  tls +\? +the certificate for shop.example.com is unknown/m);
  });

  it('a tls Secret missing where the input lists the namespace\'s TLS Secrets, without cert-manager: the default certificate, fails at tls', () => {
    const other = 'apiVersion: v1\nkind: Secret\nmetadata: {name: other-tls, namespace: shop}\ntype: kubernetes.io/tls\ndata: {tls.crt: eA==, tls.key: eA==}\n';
    const { ctx } = build(clusterYaml(), ingressNginx(), ...web, other, ingress('shop', 'shop', 'shop.example.com', 'web', 80, { tls: 'shop-tls' }));
    const t = traceIn(ctx, 'external', 'https://shop.example.com/');
    expect(t.failedAt).toBe('tls');
    expect(t.reason).toMatch(/self-signed "Kubernetes Ingress Controller Fake Certificate": .*Secret shop\/shop-tls not found; clients reject it/);
  });
});

describe('trace: a TLS Secret\'s own certificate', () => {
  // A self-signed certificate for shop.example.com and www.shop.example.com (openssl req -x509, EC P-256).
  const CRT = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ3akNDQVdpZ0F3SUJBZ0lVWm9NanBlTmYzWDcvRFR6TGlSUGJlaEZaczBrd0NnWUlLb1pJemowRUF3SXcKR3pFWk1CY0dBMVVFQXd3UWMyaHZjQzVsZUdGdGNHeGxMbU52YlRBZ0Z3MHlOakV4TWpZeE1qQTJNalphR0E4eQpNVEkyTVRFd01qRXlNRFl5Tmxvd0d6RVpNQmNHQTFVRUF3d1FjMmh2Y0M1bGVHRnRjR3hsTG1OdmJUQlpNQk1HCkJ5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEEwSUFCRGVEc1lVMDdESGoya3VWLzI1Sm5KWlJ5QVNRQk1QbmFSWGMKNmJXSDFscG5wdlpMU3VxNVRkSEtzQ3dEY3FPa0pua0w1SmlBTFZwVzgvc3QzcGRhbmhDamdZY3dnWVF3SFFZRApWUjBPQkJZRUZGR1lMa2F4S0pRdzBDM1AvSWo5Um05Z3ErWEFNQjhHQTFVZEl3UVlNQmFBRkZHWUxrYXhLSlF3CjBDM1AvSWo5Um05Z3ErWEFNQThHQTFVZEV3RUIvd1FGTUFNQkFmOHdNUVlEVlIwUkJDb3dLSUlRYzJodmNDNWwKZUdGdGNHeGxMbU52YllJVWQzZDNMbk5vYjNBdVpYaGhiWEJzWlM1amIyMHdDZ1lJS29aSXpqMEVBd0lEU0FBdwpSUUlnQ2xqQW9LblVmVVBYbTQ3WGpnRzk0dXFMVWEwbEhPdGJoeDlLYms5OUppb0NJUURLZnJ3Nkd5L3pxNU5PCk14d3Z3emRGTnJHTGx6Mk9qS3FTZ3dPQmhYbXlSZz09Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K';
  const KEY = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEJHMHdhd0lCQVFRZ0tiUnV1VDlSNFZzL2lXNE8KTnlPOHZqcVZqRnlqRElBTjQ2bElaQ0pGOE9XaFJBTkNBQVEzZzdHRk5Pd3g0OXBMbGY5dVNaeVdVY2dFa0FURAo1MmtWM09tMWg5WmFaNmIyUzBycXVVM1J5ckFzQTNLanBDWjVDK1NZZ0MxYVZ2UDdMZDZYV3A0UQotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg==';
  const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: shop-tls, namespace: shop}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${CRT}, tls.key: ${KEY}}\n`;
  const web = [namespace('shop'), pod('shop', 'web-1', 'app: web'), service('shop', 'web', 'app: web', '[{name: http, port: 80, targetPort: http}]'), secret];
  const cases: [string, string, string | null][] = [
    ['a certificate listing the host: the handshake succeeds', 'shop.example.com', null],
    ['a certificate for other names: clients reject it, fails at tls', 'api.example.com', 'tls'],
  ];
  for (const [rule, host, failedAt] of cases) {
    it(rule, () => {
      const { ctx } = build(clusterYaml(), ingressNginx(), ...web, ingress('shop', 'shop', host, 'web', 80, { tls: 'shop-tls' }));
      const t = traceIn(ctx, 'external', `https://${host}/`);
      expect(t.failedAt).toBe(failedAt);
      if (failedAt) expect(t.reason).toMatch(/does not cover api\.example\.com \(DNS:shop\.example\.com, DNS:www\.shop\.example\.com\)/);
    });
  }
});

describe('trace on examples/opscart (the guide\'s healthy cluster)', () => {
  const { cluster } = loadCluster(['examples/opscart']);
  const ctx = buildTraceContext(cluster);
  const frontend = cluster.pods.find((p) => p.meta.name === 'frontend-8d5c58d68-gl8hk')!;

  it('frontend -> http://api-service:8080/ is delivered, and reads like the README', () => {
    const t = traceIn(ctx, `production/${frontend.meta.name}`, 'http://api-service:8080/');
    expect(t.verdict).toBe('delivered');
    expect(renderTrace(t).split('\n').map((l) => l.trimEnd())).toEqual([
      'trace production/frontend-8d5c58d68-gl8hk (10.244.0.4 on node-1) -> http://api-service:8080/ TCP',
      '',
      '  dns             ok    api-service -> 10.111.159.176 (Service production/api-service) as api-service.production.svc.cluster.local.; 2 queries',
      '                        resolv.conf: nameserver 10.96.0.10; search production.svc.cluster.local svc.cluster.local cluster.local; options ndots:5',
      '                        the query is a connection: 10.244.0.4 -> 10.96.0.10:53/UDP -> DNAT to kube-system/coredns-645d777b4c-zbgrv 10.244.0.2:53',
      '                          egress allowed by NetworkPolicy production/allow-dns-egress (spec.egress[0]); ingress open: no NetworkPolicy selects kube-system/coredns-645d777b4c-zbgrv for ingress',
      '                        1. api-service.production.svc.cluster.local.  A NOERROR, AAAA NODATA',
      '  service         ok    10.111.159.176:8080/TCP is the ClusterIP of production/api-service:http: DNAT -> one of 3 endpoints at random',
      '  egress policy   ok    egress allowed by NetworkPolicy production/allow-frontend-egress-to-api (spec.egress[0])',
      '  pod network     ok    node-1 -> node-3, routed: 10.244.2.0/24 via 172.18.0.4 (calico, as BGP installs it), no NAT',
      '  ingress policy  ok    ingress allowed by NetworkPolicy production/allow-frontend-to-api (spec.ingress[0])',
      '  container       ok    container api of production/api-5b8ddb4fd9-r5nss declares 8080/TCP (http)',
      '',
      'delivered to production/api-5b8ddb4fd9-r5nss 10.244.2.2:8080 on node-3',
    ]);
  });

  it('external -> https://api.opscart.com/ is delivered through the controller to an api pod', () => {
    const t = traceIn(ctx, 'external', 'https://api.opscart.com/');
    expect(t.verdict).toBe('delivered');
    expect(t.delivered?.pod).toMatch(/^production\/api-/);
  });

  it('whitelist-source-range: from outside nginx sees a node (kube-proxy masquerades), so the client is refused with 403', () => {
    const annotated = { ...cluster, ingresses: cluster.ingresses.map((i) => ({ ...i, meta: { ...i.meta, annotations: { ...i.meta.annotations, 'nginx.ingress.kubernetes.io/whitelist-source-range': '203.0.113.0/24' } } })) };
    const t = traceIn(buildTraceContext(annotated), 'external', 'https://api.opscart.com/');
    expect(t.verdict).not.toBe('delivered');
    const step = t.steps.find((s) => s.layer === 'ingress' && !s.ok)!;
    expect(step.summary).toMatch(/^403 from nginx: client 172\.18\.0\.\d+ as nginx sees it is not in whitelist-source-range 203\.0\.113\.0\/24: 403$/);
  });

  it('api -> the orders database (db.external.com:5432) is allowed by its ipBlock; frontend -> it is not', () => {
    const api = cluster.pods.find((p) => p.meta.labels['app'] === 'api')!;
    expect(traceIn(ctx, `production/${api.meta.name}`, 'db.external.com:5432').verdict).toBe('delivered');
    const t = traceIn(ctx, `production/${frontend.meta.name}`, 'orders-db:5432');
    expect(outline(t)).toEqual(['dns ok', 'service ok', 'egress policy FAIL']);
  });
});
