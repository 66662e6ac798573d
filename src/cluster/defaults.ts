// The objects every kubeadm-style cluster has before the user applies anything:
// default/kubernetes, kube-system/kube-dns with its CoreDNS Deployment and the coredns
// ConfigMap (kubeadm's default Corefile), and the four system namespaces. Written as
// manifests and decoded like user input, so they print exactly as a cluster shows them.
import type { Issue } from '../model/issue.js';
import { nthAddress } from '../model/ip.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import type { ClusterConfig, Inventory } from '../model/types.js';

export const DEFAULTS_FILE = '<knet defaults>';
export const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

export function kubeadmCorefile(clusterDomain: string): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
}

/** What the input lacks of the defaults, as an Inventory to merge. */
export function defaultObjects(inv: Inventory, apiServerIP: string): Inventory {
  const c = inv.config;
  const docs: string[] = [];
  const hasNs = new Set(inv.namespaces.map((n) => n.meta.name));
  for (const ns of SYSTEM_NAMESPACES) {
    if (!hasNs.has(ns)) docs.push(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
  }
  const hasService = (ns: string, name: string) => inv.services.some((s) => s.meta.namespace === ns && s.meta.name === name);
  if (!hasService('default', 'kubernetes')) docs.push(kubernetesService(c), kubernetesEndpointSlice(apiServerIP));
  else if (!hasApiServerEndpoints(inv)) {
    // The API server writes its own endpoints for the selectorless default/kubernetes:
    // a dump that leaves them out still has them.
    const svc = inv.services.find((s) => s.meta.namespace === 'default' && s.meta.name === 'kubernetes')!;
    docs.push(kubernetesEndpointSlice(apiServerIP, svc.ports.find((p) => p.name === 'https')?.targetPort));
  }
  if (!hasService('kube-system', 'kube-dns')) docs.push(kubeDnsService(c));
  const hasCoreDnsPods =
    inv.pods.some((p) => p.meta.namespace === 'kube-system' && p.meta.labels['k8s-app'] === 'kube-dns') ||
    inv.workloads.some((w) => w.meta.namespace === 'kube-system' && w.template.labels['k8s-app'] === 'kube-dns');
  if (!hasCoreDnsPods) docs.push(coreDnsDeployment());
  if (!inv.configMaps.some((m) => m.meta.namespace === 'kube-system' && m.meta.name === 'coredns')) {
    docs.push(`apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
data:
  Corefile: |
${kubeadmCorefile(c.clusterDomain).replace(/^/gm, '    ').trimEnd()}
`);
  }
  const parsed = parseText(DEFAULTS_FILE, docs.join('---\n'));
  const decoded = decodeObjects(parsed.objects);
  const problems: Issue[] = [...parsed.issues, ...decoded.issues].filter((i) => i.severity === 'error');
  if (problems.length > 0) throw new Error(`knet's default objects do not decode: ${problems[0]!.message}`);
  return decoded.inventory;
}

function hasApiServerEndpoints(inv: Inventory): boolean {
  return inv.endpointSlices.some((s) => s.meta.namespace === 'default' && s.serviceName === 'kubernetes') ||
    inv.endpoints.some((e) => e.meta.namespace === 'default' && e.meta.name === 'kubernetes');
}

function kubernetesService(c: ClusterConfig): string {
  const first = c.serviceSubnets[0]!;
  // The first address of the service subnet is always the API server's (10.96.0.1).
  const ip = nthAddress(first, 1n)!;
  return `apiVersion: v1
kind: Service
metadata:
  name: kubernetes
  namespace: default
  labels: {component: apiserver, provider: kubernetes}
spec:
  type: ClusterIP
  clusterIP: ${ip}
  clusterIPs: [${ip}]
  ipFamilies: [IPv${first.family}]
  ipFamilyPolicy: SingleStack
  internalTrafficPolicy: Cluster
  sessionAffinity: None
  ports:
  - {name: https, port: 443, protocol: TCP, targetPort: 6443}
`;
}

/** The API server's own endpoint: its advertise address, port 6443 (kubeadm's --secure-port). */
function kubernetesEndpointSlice(apiServerIP: string, targetPort: number | string = 6443): string {
  const port = typeof targetPort === 'number' && targetPort > 0 ? targetPort : 6443;
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels: {kubernetes.io/service-name: kubernetes}
addressType: IPv${apiServerIP.includes(':') ? 6 : 4}
endpoints:
- addresses: [${apiServerIP}]
  conditions: {ready: true}
ports:
- {name: https, port: ${port}, protocol: TCP}
`;
}

function kubeDnsService(c: ClusterConfig): string {
  const ip = c.clusterDNS[0]!;
  return `apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/cluster-service: "true", kubernetes.io/name: CoreDNS}
  annotations: {prometheus.io/port: "9153", prometheus.io/scrape: "true"}
spec:
  type: ClusterIP
  clusterIP: ${ip}
  clusterIPs: [${ip}]
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
  - {name: metrics, port: 9153, protocol: TCP, targetPort: 9153}
`;
}

function coreDnsDeployment(): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 2
  selector:
    matchLabels: {k8s-app: kube-dns}
  template:
    metadata:
      labels: {k8s-app: kube-dns}
    spec:
      dnsPolicy: Default
      priorityClassName: system-cluster-critical
      tolerations:
      - {key: CriticalAddonsOnly, operator: Exists}
      - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
      containers:
      - name: coredns
        image: registry.k8s.io/coredns/coredns:v1.11.3
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - {containerPort: 53, name: dns, protocol: UDP}
        - {containerPort: 53, name: dns-tcp, protocol: TCP}
        - {containerPort: 9153, name: metrics, protocol: TCP}
        livenessProbe:
          httpGet: {path: /health, port: 8080, scheme: HTTP}
          initialDelaySeconds: 60
          timeoutSeconds: 5
          successThreshold: 1
          failureThreshold: 5
        readinessProbe:
          httpGet: {path: /ready, port: 8181, scheme: HTTP}
          periodSeconds: 10
          timeoutSeconds: 1
          successThreshold: 1
          failureThreshold: 3
`;
}
