// The API server's defaults, refusals and warnings for Services, Ingresses and pod specs
// that knet did not have before: each case is one rule, with the API server's words.
import { describe, expect, it } from 'vitest';
import { decodeService } from './decode-service.js';
import { decodeIngress } from './decode-ingress.js';
import { decodePod, decodeWorkload } from './decode-pod.js';
import { parseLegacyIP } from './api-warnings.js';
import type { Issue } from './issue.js';
import { block, decode } from './test-support/decode.js';

const serviceYaml = (spec: string, meta = ''): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n${meta}spec:\n${block(spec)}\n`;

function rendered(issues: readonly Issue[]): string[] {
  return issues.map((i) => `${i.severity}: ${i.message}`);
}

describe('Service: validation the API server does (ValidateService)', () => {
  const cases: { name: string; yaml: string; want: string[] }[] = [
    {
      name: 'sessionAffinityConfig without sessionAffinity -> forbidden (the default is None)',
      yaml: serviceYaml(`
        sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}
        ports: [{port: 80}]`),
      want: ['error: spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None'],
    },
    {
      name: 'sessionAffinityConfig with ClientIP -> no issue',
      yaml: serviceYaml(`
        sessionAffinity: ClientIP
        sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}
        ports: [{port: 80}]`),
      want: [],
    },
    {
      name: 'healthCheckNodePort on a NodePort Service -> invalid',
      yaml: serviceYaml(`
        type: NodePort
        healthCheckNodePort: 30001
        ports: [{port: 80}]`),
      want: ["error: spec.healthCheckNodePort: Invalid value: 30001: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"],
    },
    {
      name: 'healthCheckNodePort on a LoadBalancer with externalTrafficPolicy Cluster -> invalid',
      yaml: serviceYaml(`
        type: LoadBalancer
        healthCheckNodePort: 30001
        ports: [{port: 80}]`),
      want: ["error: spec.healthCheckNodePort: Invalid value: 30001: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"],
    },
    {
      name: 'healthCheckNodePort on a LoadBalancer with externalTrafficPolicy Local -> kept',
      yaml: serviceYaml(`
        type: LoadBalancer
        externalTrafficPolicy: Local
        healthCheckNodePort: 30001
        ports: [{port: 80}]`),
      want: [],
    },
    {
      name: 'healthCheckNodePort out of the port range -> invalid',
      yaml: serviceYaml(`
        type: LoadBalancer
        externalTrafficPolicy: Local
        healthCheckNodePort: 70000
        ports: [{port: 80}]`),
      want: ['error: spec.healthCheckNodePort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { issues } = decode(c.yaml, decodeService, 'Service shop/web');
      expect(rendered(issues)).toEqual(c.want);
    });
  }

  it('a refused healthCheckNodePort is not kept', () => {
    const { value } = decode(serviceYaml(`
      type: NodePort
      healthCheckNodePort: 30001
      ports: [{port: 80}]`), decodeService, 'Service shop/web');
    expect(value.healthCheckNodePort).toBe(0);
  });
});

describe('Service: defaults the API server sets (initIPFamilyFields)', () => {
  const cases: { name: string; spec: string; policy: string }[] = [
    { name: 'ClusterIP Service -> SingleStack', spec: 'selector: {app: web}\nports: [{port: 80}]', policy: 'SingleStack' },
    { name: 'headless Service with a selector -> SingleStack', spec: 'clusterIP: None\nselector: {app: web}\nports: [{port: 80}]', policy: 'SingleStack' },
    { name: 'headless Service without a selector -> RequireDualStack', spec: 'clusterIP: None\nports: [{port: 80}]', policy: 'RequireDualStack' },
    { name: 'headless selectorless Service that says SingleStack -> SingleStack', spec: 'clusterIP: None\nipFamilyPolicy: SingleStack\nports: [{port: 80}]', policy: 'SingleStack' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { value } = decode(serviceYaml(c.spec), decodeService, 'Service shop/web');
      expect(value.ipFamilyPolicy).toBe(c.policy);
    });
  }
});

describe('Service: the API server\'s warnings (GetWarningsForService)', () => {
  const cases: { name: string; yaml: string; want: string[] }[] = [
    {
      name: 'clusterIP with leading zeros -> accepted, with the non-standard-address warning',
      yaml: serviceYaml(`
        clusterIP: 010.096.000.010
        ports: [{port: 80}]`),
      want: ['warning: spec.clusterIPs[0]: non-standard IP address "010.096.000.010" will be considered invalid in a future Kubernetes release: use "10.96.0.10"'],
    },
    {
      name: 'IPv6 clusterIP not in RFC 5952 form -> warning',
      yaml: serviceYaml(`
        clusterIP: "fd00:10:96:0:0:0:0:a"
        ports: [{port: 80}]`),
      want: ['warning: spec.clusterIPs[0]: IPv6 address "fd00:10:96:0:0:0:0:a" should be in RFC 5952 canonical format ("fd00:10:96::a")'],
    },
    {
      name: 'externalIPs -> deprecated',
      yaml: serviceYaml(`
        externalIPs: [203.0.113.10]
        ports: [{port: 80}]`),
      want: ['warning: spec.externalIPs is deprecated and may no longer be implemented in some clusters'],
    },
    {
      name: 'headless Service with loadBalancerIP, externalIPs and ClientIP affinity -> each is ignored',
      yaml: serviceYaml(`
        clusterIP: None
        selector: {app: web}
        loadBalancerIP: 203.0.113.7
        externalIPs: [203.0.113.10]
        sessionAffinity: ClientIP
        ports: [{port: 80}]`),
      want: [
        'warning: spec.loadBalancerIP is ignored for headless services',
        'warning: spec.externalIPs is ignored for headless services',
        'warning: spec.SessionAffinity is ignored for headless services',
      ],
    },
    {
      name: 'externalName on a ClusterIP Service -> ignored',
      yaml: serviceYaml(`
        externalName: db.example.com
        ports: [{port: 80}]`),
      want: ['warning: spec.externalName is ignored when spec.type is not "ExternalName"'],
    },
    {
      name: 'loadBalancerSourceRanges with host bits -> ambiguous',
      yaml: serviceYaml(`
        type: LoadBalancer
        loadBalancerSourceRanges: [10.1.2.3/8]
        ports: [{port: 80}]`),
      want: ['warning: spec.loadBalancerSourceRanges[0]: CIDR value "10.1.2.3/8" is ambiguous in this context (should be "10.0.0.0/8" or "10.1.2.3/32"?)'],
    },
    {
      name: 'topology-aware-hints annotation -> deprecated',
      yaml: serviceYaml('ports: [{port: 80}]', '  annotations: {service.kubernetes.io/topology-aware-hints: auto}\n'),
      want: ['warning: annotation service.kubernetes.io/topology-aware-hints is deprecated, please use service.kubernetes.io/topology-mode instead'],
    },
    {
      name: 'a dump\'s stored Service (it has a uid) -> no warning: it was created already',
      yaml: serviceYaml(`
        externalIPs: [203.0.113.10]
        ports: [{port: 80}]`, '  uid: 3f1c0a52-8d0e-4f7a-9a63-0c1d2e3f4a5b\n'),
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { issues } = decode(c.yaml, decodeService, 'Service shop/web');
      expect(rendered(issues)).toEqual(c.want);
    });
  }

  it('a warning is positioned at its field and carries the code api-warning', () => {
    const { issues } = decode(serviceYaml(`
      externalName: db.example.com
      ports: [{port: 80}]`), decodeService, 'Service shop/web');
    expect(issues[0]).toMatchObject({ code: 'api-warning', severity: 'warning', file: 'test.yaml', line: 7 });
    expect(issues[0]!.field).toBeUndefined();
  });

  it('the address with leading zeros is read as decimal, as Go\'s ParseIPSloppy reads it', () => {
    const { value } = decode(serviceYaml(`
      clusterIP: 010.096.000.010
      externalIPs: [203.000.113.010]
      ports: [{port: 80}]`), decodeService, 'Service shop/web');
    expect(value.clusterIPs).toEqual(['10.96.0.10']);
    expect(value.externalIPs).toEqual(['203.0.113.10']);
  });
});

describe('parseLegacyIP', () => {
  const cases: [string, ReturnType<typeof parseLegacyIP>][] = [
    ['10.96.0.10', { ip: '10.96.0.10' as never, nonStandard: false }],
    ['010.96.0.10', { ip: '10.96.0.10' as never, nonStandard: true }],
    ['::ffff:10.96.0.10', { ip: '10.96.0.10' as never, nonStandard: true }],
    ['256.1.1.1', undefined],
    ['1..2.3', undefined],
    ['0x1.2.3.4', undefined],
  ];
  for (const [text, want] of cases) it(`${text} -> ${want ? want.ip : 'refused'}`, () => expect(parseLegacyIP(text)).toEqual(want));
});

describe('Ingress: the API server\'s warning for the class annotation', () => {
  it('kubernetes.io/ingress.class -> deprecated, in the API server\'s words', () => {
    const { issues } = decode(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  annotations:\n    kubernetes.io/ingress.class: nginx\nspec:\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n`,
      decodeIngress, 'Ingress default/web');
    expect(rendered(issues)).toEqual(['warning: annotation "kubernetes.io/ingress.class" is deprecated, please use \'spec.ingressClassName\' instead']);
    expect(issues[0]!.line).toBe(6);
  });
});

describe('pod specs: the API server\'s warnings (warningsForPodSpecAndMeta)', () => {
  it('a deprecated node label in a pod\'s nodeSelector -> its replacement', () => {
    const { issues } = decode(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  nodeSelector: {beta.kubernetes.io/os: linux}\n  containers: [{name: c, image: nginx}]\n`,
      decodePod, 'Pod default/p');
    expect(rendered(issues)).toEqual(['warning: spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead']);
  });

  it('in a Deployment\'s template, the path is the template\'s', () => {
    const { issues } = decode(`apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {labels: {app: d}}\n    spec:\n      nodeSelector: {failure-domain.beta.kubernetes.io/zone: a}\n      containers: [{name: c, image: nginx}]\n`,
      (d) => decodeWorkload(d, 'Deployment'), 'Deployment default/d');
    expect(rendered(issues)).toEqual(['warning: spec.template.spec.nodeSelector[failure-domain.beta.kubernetes.io/zone]: deprecated since v1.17; use "topology.kubernetes.io/zone" instead']);
  });

  it('hostIP without hostPort -> the port as the API server prints it', () => {
    const { issues } = decode(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    ports: [{name: http, containerPort: 80, hostIP: 10.0.0.5}]\n`,
      decodePod, 'Pod default/p');
    expect(rendered(issues)).toEqual(['warning: spec.containers[0].ports[0]: hostIP set without hostPort: {Name:http HostPort:0 ContainerPort:80 Protocol:TCP HostIP:10.0.0.5}']);
  });

  it('the same hostAliases ip twice -> duplicate ip', () => {
    const { issues } = decode(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostAliases:\n  - {ip: 10.0.0.5, hostnames: [a]}\n  - {ip: 10.0.0.5, hostnames: [b]}\n  containers: [{name: c, image: nginx}]\n`,
      decodePod, 'Pod default/p');
    expect(rendered(issues)).toEqual(['warning: spec.hostAliases[1].ip: duplicate ip "10.0.0.5"']);
  });
});
