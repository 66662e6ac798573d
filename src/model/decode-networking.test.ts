import { describe, it, expect } from 'vitest';
import { decodeIngress, decodeIngressClass } from './decode-ingress.js';
import { decodeNetworkPolicy } from './decode-network-policy.js';
import type { Issue } from './issue.js';
import { block, decode } from './test-support/decode.js';

const ingressYaml = (spec: string, apiVersion = 'networking.k8s.io/v1'): string =>
  `apiVersion: ${apiVersion}\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\nspec:\n${block(spec)}\n`;

const policyYaml = (spec: string, apiVersion = 'networking.k8s.io/v1'): string =>
  `apiVersion: ${apiVersion}\nkind: NetworkPolicy\nmetadata:\n  name: db\n  namespace: shop\nspec:\n${block(spec)}\n`;

/** Issues as `severity: message`; expectations match by substring, in the order reported. */
function rendered(issues: readonly Issue[]): string[] {
  return issues.map((i) => `${i.severity}: ${i.message}`);
}

const paths = (body: string): string => `
  rules:
  - host: shop.example.com
    http:
      paths:
${block(body, '      ')}`;

interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly want: readonly string[];
}

describe('decodeIngress: validation as the API server does it', () => {
  const cases: Case[] = [
    {
      name: 'wildcard host, "/" Prefix path and matching tls host -> no issue',
      yaml: ingressYaml(`
        ingressClassName: nginx
        tls:
        - hosts: ["*.example.com"]
          secretName: wildcard-tls
        rules:
        - host: "*.example.com"
          http:
            paths:
            - path: /
              pathType: Prefix
              backend:
                service: {name: web, port: {number: 80}}`),
      want: [],
    },
    {
      name: 'ImplementationSpecific with an empty path -> no issue',
      yaml: ingressYaml(paths(`
        - pathType: ImplementationSpecific
          backend: {service: {name: web, port: {name: http}}}`)),
      want: [],
    },
    {
      name: 'pathType missing -> required value',
      yaml: ingressYaml(paths(`
        - path: /
          backend: {service: {name: web, port: {number: 80}}}`)),
      want: ['error: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified'],
    },
    {
      name: 'pathType in the wrong case -> unsupported value',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: prefix
          backend: {service: {name: web, port: {number: 80}}}`)),
      want: ['error: spec.rules[0].http.paths[0].pathType: Unsupported value: "prefix": supported values: "Exact", "ImplementationSpecific", "Prefix"'],
    },
    {
      name: 'Prefix path must be absolute -> invalid value',
      yaml: ingressYaml(paths(`
        - path: api
          pathType: Prefix
          backend: {service: {name: web, port: {number: 80}}}`)),
      want: ['error: spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path'],
    },
    {
      name: 'ImplementationSpecific non-empty path must be absolute -> invalid value',
      yaml: ingressYaml(paths(`
        - path: api
          pathType: ImplementationSpecific
          backend: {service: {name: web, port: {number: 80}}}`)),
      want: ['error: spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path'],
    },
    {
      name: 'Exact path with "//" -> invalid value',
      yaml: ingressYaml(paths(`
        - path: /api//v1
          pathType: Exact
          backend: {service: {name: web, port: {number: 80}}}`)),
      want: [`error: spec.rules[0].http.paths[0].path: Invalid value: "/api//v1": must not contain '//'`],
    },
    {
      name: 'Prefix path with an encoded slash -> invalid value',
      yaml: ingressYaml(paths(`
        - path: /api%2Fv1
          pathType: Prefix
          backend: {service: {name: web, port: {number: 80}}}`)),
      want: [`error: spec.rules[0].http.paths[0].path: Invalid value: "/api%2Fv1": must not contain '%2F'`],
    },
    {
      name: 'Prefix path ending in "/.." -> invalid value',
      yaml: ingressYaml(paths(`
        - path: /api/..
          pathType: Prefix
          backend: {service: {name: web, port: {number: 80}}}`)),
      want: [`error: spec.rules[0].http.paths[0].path: Invalid value: "/api/..": cannot end with '/..'`],
    },
    {
      name: 'host is an IP address -> invalid value',
      yaml: ingressYaml(`
        rules:
        - host: 10.0.0.7
          http:
            paths:
            - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`),
      want: ['error: spec.rules[0].host: Invalid value: "10.0.0.7": must be a DNS name, not an IP address'],
    },
    {
      name: 'host is an IPv6 address -> invalid value',
      yaml: ingressYaml(`
        rules:
        - host: "fd00::7"
          http:
            paths:
            - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`),
      want: ['error: spec.rules[0].host: Invalid value: "fd00::7": must be a DNS name, not an IP address'],
    },
    {
      name: 'host with a port -> invalid value',
      yaml: ingressYaml(`
        rules:
        - host: shop.example.com:8080
          http:
            paths:
            - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`),
      want: ['error: spec.rules[0].host: Invalid value: "shop.example.com:8080": a lowercase RFC 1123 subdomain must consist of'],
    },
    {
      name: 'host "*" alone -> invalid wildcard',
      yaml: ingressYaml(`
        rules:
        - host: "*"
          http:
            paths:
            - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`),
      want: [`error: spec.rules[0].host: Invalid value: "*": a wildcard DNS-1123 subdomain must start with '*.'`],
    },
    {
      name: 'wildcard not in the first label -> invalid wildcard',
      yaml: ingressYaml(`
        rules:
        - host: shop.*.example.com
          http:
            paths:
            - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`),
      want: [`error: spec.rules[0].host: Invalid value: "shop.*.example.com": a wildcard DNS-1123 subdomain`],
    },
    {
      name: 'backend with both service and resource -> invalid value',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: Prefix
          backend:
            service: {name: web, port: {number: 80}}
            resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: assets}`)),
      want: ['error: spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both resource and service backends'],
    },
    {
      name: 'backend with neither service nor resource -> invalid value',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: Prefix
          backend: {}`)),
      want: ['error: spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is required'],
    },
    {
      name: 'service port with both name and number -> invalid value',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: Prefix
          backend: {service: {name: web, port: {name: http, number: 80}}}`)),
      want: ['error: spec.rules[0].http.paths[0].backend.service.port: Invalid value: "": cannot set both port name & port number'],
    },
    {
      name: 'service port without name or number -> required value',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: Prefix
          backend: {service: {name: web}}`)),
      want: ['error: spec.rules[0].http.paths[0].backend.service.port: Required value: port name or number is required'],
    },
    {
      name: 'service port number out of range -> invalid value',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: Prefix
          backend: {service: {name: web, port: {number: 70000}}}`)),
      want: ['error: spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    },
    {
      name: 'service port name not an IANA_SVC_NAME -> invalid value',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: Prefix
          backend: {service: {name: web, port: {name: HTTP}}}`)),
      want: [
        'error: spec.rules[0].http.paths[0].backend.service.port.name: Invalid value: "HTTP": must contain only alpha-numeric characters',
        'error: spec.rules[0].http.paths[0].backend.service.port.name: Invalid value: "HTTP": must contain at least one letter (a-z)',
      ],
    },
    {
      name: 'service port written as a bare number -> invalid value',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: Prefix
          backend: {service: {name: web, port: 80}}`)),
      want: ['error: spec.rules[0].http.paths[0].backend.service.port: Invalid value: 80: must be an object with `number` or `name`'],
    },
    {
      name: 'service name missing -> required value',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: Prefix
          backend: {service: {port: {number: 80}}}`)),
      want: ['error: spec.rules[0].http.paths[0].backend.service.name: Required value'],
    },
    {
      name: 'neither rules nor defaultBackend -> invalid value',
      yaml: ingressYaml(`
        ingressClassName: nginx`),
      want: ['error: spec.defaultBackend: Invalid value: null: either `defaultBackend` or `rules` must be specified'],
    },
    {
      name: 'http given with no paths -> required value',
      yaml: ingressYaml(`
        rules:
        - host: shop.example.com
          http:
            paths: []`),
      want: ['error: spec.rules[0].http.paths: Required value'],
    },
    {
      name: 'tls host not a valid hostname -> invalid value (and not in rules)',
      yaml: ingressYaml(`
        tls:
        - hosts: [shop_example.com]
        defaultBackend: {service: {name: web, port: {number: 80}}}`),
      want: [
        'error: spec.tls[0].hosts[0]: Invalid value: "shop_example.com": a lowercase RFC 1123 subdomain',
        'warning: spec.tls[0].hosts[0]: tls host "shop_example.com" is not the host of any rule',
      ],
    },
    {
      name: 'tls host that is no rule host -> warning tls-host-not-in-rules',
      yaml: ingressYaml(`
        tls:
        - hosts: [shop.example.com, www.example.com]
          secretName: shop-tls
        rules:
        - host: shop.example.com
          http:
            paths:
            - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`),
      want: ['warning: spec.tls[0].hosts[1]: tls host "www.example.com" is not the host of any rule'],
    },
    {
      name: 'ingressClassName not a DNS-1123 subdomain -> invalid value',
      yaml: ingressYaml(`
        ingressClassName: Nginx_Public
        defaultBackend: {service: {name: web, port: {number: 80}}}`),
      want: ['error: spec.ingressClassName: Invalid value: "Nginx_Public": a lowercase RFC 1123 subdomain'],
    },
    {
      name: 'class annotation disagreeing with ingressClassName -> invalid value',
      yaml: `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  annotations:\n    kubernetes.io/ingress.class: traefik\nspec:\n${block(`
        ingressClassName: nginx
        defaultBackend: {service: {name: web, port: {number: 80}}}`)}\n`,
      want: [
        'error: metadata.annotations["kubernetes.io/ingress.class"]: Invalid value: "traefik": must match `ingressClassName` when both are specified',
        'warning: annotation "kubernetes.io/ingress.class" is deprecated, please use \'spec.ingressClassName\' instead',
      ],
    },
    {
      name: 'v1 backend in the old serviceName/servicePort shape -> unknown field',
      yaml: ingressYaml(paths(`
        - path: /
          pathType: Prefix
          backend: {serviceName: web, servicePort: 80}`)),
      want: ['error: spec.rules[0].http.paths[0].backend.serviceName: unknown field: networking.k8s.io/v1 has no serviceName/servicePort'],
    },
    {
      name: 'removed extensions/v1beta1 -> deprecated-api warning',
      yaml: ingressYaml(`
        backend: {serviceName: web, servicePort: 80}`, 'extensions/v1beta1'),
      want: ['warning: apiVersion: Ingress extensions/v1beta1 was removed in Kubernetes 1.22'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { issues } = decode(c.yaml, decodeIngress, 'Ingress shop/web');
      expect(rendered(issues)).toEqual(c.want.map((w) => expect.stringContaining(w)));
    });
  }

  it('missing pathType points at the path entry, a bad host at its value', () => {
    const yaml = ingressYaml(`
      rules:
      - host: Shop.example.com
        http:
          paths:
          - path: /
            backend: {service: {name: web, port: {number: 80}}}`);
    const { issues } = decode(yaml, decodeIngress, 'Ingress shop/web');
    const host = issues.find((i) => i.field === 'spec.rules[0].host');
    const pathType = issues.find((i) => i.field === 'spec.rules[0].http.paths[0].pathType');
    expect(host).toMatchObject({ file: 'test.yaml', line: 8, col: 11, code: 'invalid-value', object: 'Ingress shop/web' });
    expect(host?.hint).toContain('"shop.example.com"');
    expect(pathType).toMatchObject({ line: 11, code: 'required' });
  });

  it('decodes rules, tls, default backend and load balancer status', () => {
    const yaml = `${ingressYaml(`
      ingressClassName: nginx
      defaultBackend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: assets}}
      tls:
      - hosts: [shop.example.com]
        secretName: shop-tls
      rules:
      - host: shop.example.com
        http:
          paths:
          - path: /api
            pathType: Exact
            backend: {service: {name: api, port: {number: 8080}}}
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {name: http}}}`)}status:\n  loadBalancer:\n    ingress:\n    - ip: 203.0.113.10\n    - hostname: lb.example.net\n`;
    const { value, issues } = decode(yaml, decodeIngress, 'Ingress shop/web');
    expect(issues).toEqual([]);
    expect(value.meta).toMatchObject({ name: 'web', namespace: 'shop' });
    expect(value.apiVersion).toBe('networking.k8s.io/v1');
    expect(value.ingressClassName).toBe('nginx');
    expect(value.defaultBackend).toEqual({ service: null, resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'assets' } });
    expect(value.rules).toEqual([{
      host: 'shop.example.com',
      paths: [
        { path: '/api', pathType: 'Exact', backend: { service: { name: 'api', port: 8080 }, resource: null } },
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: 'http' }, resource: null } },
      ],
    }]);
    expect(value.tls).toEqual([{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]);
    expect(value.loadBalancerIngress).toEqual(['203.0.113.10', 'lb.example.net']);
  });

  it('unusable paths are left out, the rest kept', () => {
    const { value } = decode(ingressYaml(paths(`
      - path: /a
        backend: {service: {name: a, port: {number: 80}}}
      - path: /b
        pathType: Prefix
        backend: {}
      - path: /c
        pathType: Prefix
        backend: {service: {name: c, port: {number: 80}}}`)), decodeIngress, 'Ingress shop/web');
    expect(value.rules[0]?.paths.map((p) => p.path)).toEqual(['/c']);
  });

  it('extensions/v1beta1 is read in its old shape (pathType defaulted to ImplementationSpecific)', () => {
    const { value } = decode(ingressYaml(`
      backend: {serviceName: fallback, servicePort: 8080}
      rules:
      - host: shop.example.com
        http:
          paths:
          - path: /
            backend: {serviceName: web, servicePort: http}`, 'extensions/v1beta1'), decodeIngress, 'Ingress shop/web');
    expect(value.defaultBackend).toEqual({ service: { name: 'fallback', port: 8080 }, resource: null });
    expect(value.rules[0]?.paths).toEqual([
      { path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'web', port: 'http' }, resource: null } },
    ]);
  });

  it('never throws on a malformed object', () => {
    const { value, issues } = decode('apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec:\n  rules: {host: x}\n  tls: "nope"\n', decodeIngress, 'Ingress default/web');
    expect(value.rules).toEqual([]);
    expect(issues.map((i) => i.field)).toEqual(['spec.rules', 'spec.defaultBackend', 'spec.tls']);
  });
});

describe('decodeIngressClass', () => {
  const classYaml = (annotations: string, spec: string): string =>
    `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\n${annotations}spec:\n${block(spec)}\n`;
  const cases: (Case & { readonly isDefault: boolean })[] = [
    {
      name: 'is-default-class "true" -> default, no issue',
      yaml: classYaml('  annotations:\n    ingressclass.kubernetes.io/is-default-class: "true"\n', 'controller: k8s.io/ingress-nginx'),
      want: [], isDefault: true,
    },
    {
      name: 'no annotation -> not default',
      yaml: classYaml('', 'controller: k8s.io/ingress-nginx'),
      want: [], isDefault: false,
    },
    {
      name: 'is-default-class "True" -> not default, warning',
      yaml: classYaml('  annotations:\n    ingressclass.kubernetes.io/is-default-class: "True"\n', 'controller: k8s.io/ingress-nginx'),
      want: ['warning: metadata.annotations["ingressclass.kubernetes.io/is-default-class"]: annotation value "True" is not "true"'],
      isDefault: false,
    },
    {
      name: 'controller missing -> required value',
      yaml: classYaml('', 'parameters: {kind: Config, name: x}'),
      want: ['error: spec.controller: Required value'], isDefault: false,
    },
    {
      name: 'controller not domain-prefixed -> invalid value',
      yaml: classYaml('', 'controller: nginx'),
      want: ['error: spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")'],
      isDefault: false,
    },
    {
      name: 'namespace-scoped parameters without namespace -> required value',
      yaml: classYaml('', 'controller: k8s.io/ingress-nginx\nparameters: {kind: Config, name: x, scope: Namespace}'),
      want: ["error: spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"],
      isDefault: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { value, issues } = decode(c.yaml, decodeIngressClass, 'IngressClass nginx');
      expect(rendered(issues)).toEqual(c.want.map((w) => expect.stringContaining(w)));
      expect(value.isDefault).toBe(c.isDefault);
      expect(value.meta.namespace).toBe('');
    });
  }

  it('decodes the controller', () => {
    const { value } = decode(classYaml('', 'controller: k8s.io/ingress-nginx'), decodeIngressClass, 'IngressClass nginx');
    expect(value).toMatchObject({ kind: 'IngressClass', controller: 'k8s.io/ingress-nginx', apiVersion: 'networking.k8s.io/v1' });
  });
});

describe('decodeNetworkPolicy: validation as the API server does it', () => {
  const cases: Case[] = [
    {
      name: 'empty podSelector and an allow-all rule -> no issue',
      yaml: policyYaml(`
        podSelector: {}
        ingress:
        - {}`),
      want: [],
    },
    {
      name: 'podSelector missing -> warning that it selects every pod',
      yaml: policyYaml(`
        policyTypes: [Ingress]`),
      want: ['warning: spec.podSelector: podSelector is not set, so this policy selects every pod in the namespace'],
    },
    {
      name: 'policyType in the wrong case -> unsupported value',
      yaml: policyYaml(`
        podSelector: {}
        policyTypes: [ingress]`),
      want: ['error: spec.policyTypes[0]: Unsupported value: "ingress": supported values: "Ingress", "Egress"'],
    },
    {
      name: 'policyType listed twice -> duplicate warning',
      yaml: policyYaml(`
        podSelector: {}
        policyTypes: [Egress, Egress]`),
      want: ['warning: spec.policyTypes[1]: Duplicate value: "Egress"'],
    },
    {
      name: 'more than two policyTypes -> invalid value',
      yaml: policyYaml(`
        podSelector: {}
        policyTypes: [Ingress, Egress, Ingress]`),
      want: [
        'error: spec.policyTypes: Invalid value: ["Ingress","Egress","Ingress"]: may not specify more than two policyTypes',
        'warning: spec.policyTypes[2]: Duplicate value: "Ingress"',
      ],
    },
    {
      name: 'protocol other than TCP/UDP/SCTP -> unsupported value',
      yaml: policyYaml(`
        podSelector: {}
        ingress:
        - ports: [{protocol: ICMP}]`),
      want: ['error: spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'],
    },
    {
      name: 'port 0 -> invalid value',
      yaml: policyYaml(`
        podSelector: {}
        ingress:
        - ports: [{port: 0}]`),
      want: ['error: spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'],
    },
    {
      name: 'quoted numeric port is a port name -> invalid value',
      yaml: policyYaml(`
        podSelector: {}
        ingress:
        - ports: [{port: "5432"}]`),
      want: ['error: spec.ingress[0].ports[0].port: Invalid value: "5432": must contain at least one letter (a-z)'],
    },
    {
      name: 'endPort below port -> invalid value',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - ports: [{port: 32000, endPort: 30000}]`),
      want: ['error: spec.egress[0].ports[0].endPort: Invalid value: 30000: must be greater than or equal to `port`'],
    },
    {
      name: 'endPort without port -> invalid value',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - ports: [{endPort: 30000}]`),
      want: ['error: spec.egress[0].ports[0].endPort: Invalid value: 30000: may not be specified when `port` is not specified'],
    },
    {
      name: 'endPort with a named port -> invalid value',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - ports: [{port: postgres, endPort: 30000}]`),
      want: ['error: spec.egress[0].ports[0].endPort: Invalid value: 30000: may not be specified when `port` is non-numeric'],
    },
    {
      name: 'peer with nothing in it -> required value',
      yaml: policyYaml(`
        podSelector: {}
        ingress:
        - from:
          - {}`),
      want: ['error: spec.ingress[0].from[0]: Required value: must specify a peer'],
    },
    {
      name: 'peer with a null podSelector -> required value',
      yaml: policyYaml(`
        podSelector: {}
        ingress:
        - from:
          - podSelector:`),
      want: ['error: spec.ingress[0].from[0]: Required value: must specify a peer'],
    },
    {
      name: 'ipBlock combined with a selector -> forbidden',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - to:
          - ipBlock: {cidr: 10.0.0.0/8}
            namespaceSelector: {}`),
      want: ['error: spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer'],
    },
    {
      name: 'ipBlock without cidr -> required value',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - to:
          - ipBlock: {except: [10.0.0.0/24]}`),
      want: ['error: spec.egress[0].to[0].ipBlock.cidr: Required value'],
    },
    {
      name: 'ipBlock cidr not a CIDR -> invalid value',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - to:
          - ipBlock: {cidr: 10.0.0.300/8}`),
      want: ['error: spec.egress[0].to[0].ipBlock.cidr: Invalid value: "10.0.0.300/8": must be a valid CIDR value'],
    },
    {
      name: 'except outside cidr -> invalid value, strict subset',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - to:
          - ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}`),
      want: ['error: spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`'],
    },
    {
      name: 'except equal to cidr -> invalid value, strict subset',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - to:
          - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}`),
      want: ['error: spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`'],
    },
    {
      name: 'except of the other IP family -> invalid value, strict subset',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - to:
          - ipBlock: {cidr: 10.0.0.0/8, except: ["2001:db8::/64"]}`),
      want: ['error: spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "2001:db8::/64": must be a strict subset of `cidr`'],
    },
    {
      name: 'cidr with host bits set -> warning cidr-host-bits',
      yaml: policyYaml(`
        podSelector: {}
        egress:
        - to:
          - ipBlock: {cidr: 10.0.0.1/24}`),
      want: ['warning: spec.egress[0].to[0].ipBlock.cidr: CIDR value "10.0.0.1/24" is ambiguous in this context (should be "10.0.0.0/24" or "10.0.0.1/32"?)'],
    },
    {
      name: 'ingress rule written with `to` -> unknown field',
      yaml: policyYaml(`
        podSelector: {}
        ingress:
        - to:
          - podSelector: {matchLabels: {app: web}}`),
      want: ['error: spec.ingress[0].to: unknown field: ingress rules have `from`, not `to`'],
    },
    {
      name: 'egress rules with policyTypes [Ingress] -> warning rules-ignored',
      yaml: policyYaml(`
        podSelector: {}
        policyTypes: [Ingress]
        egress:
        - to: [{podSelector: {}}]`),
      want: ['warning: spec.egress: has rules, but policyTypes does not include Egress, so they have no effect'],
    },
    {
      name: 'removed extensions/v1beta1 -> deprecated-api warning',
      yaml: policyYaml(`
        podSelector: {}`, 'extensions/v1beta1'),
      want: ['warning: apiVersion: NetworkPolicy extensions/v1beta1 was removed in Kubernetes 1.16'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { issues } = decode(c.yaml, decodeNetworkPolicy, 'NetworkPolicy shop/db');
      expect(rendered(issues)).toEqual(c.want.map((w) => expect.stringContaining(w)));
    });
  }

  it('issues carry code, field and position', () => {
    const { issues } = decode(policyYaml(`
      podSelector: {}
      egress:
      - ports:
        - port: 32000
          endPort: 30000`), decodeNetworkPolicy, 'NetworkPolicy shop/db');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: 'invalid-value', severity: 'error', file: 'test.yaml', line: 11, col: 16,
      field: 'spec.egress[0].ports[0].endPort', object: 'NetworkPolicy shop/db',
    });
    expect(issues[0]?.hint).toBe('swap them: port: 30000, endPort: 32000');
  });
});

describe('decodeNetworkPolicy: defaults and domain values', () => {
  const typeCases: { name: string; spec: string; want: readonly string[] }[] = [
    { name: 'no policyTypes, no egress -> [Ingress]', spec: 'podSelector: {}', want: ['Ingress'] },
    {
      name: 'no policyTypes, egress rules -> [Ingress, Egress]',
      spec: 'podSelector: {}\negress:\n- {}', want: ['Ingress', 'Egress'],
    },
    {
      name: 'no policyTypes, egress: [] -> [Ingress] (defaulting tests len(egress) > 0)',
      spec: 'podSelector: {}\negress: []', want: ['Ingress'],
    },
    { name: 'policyTypes: [] is defaulted too', spec: 'podSelector: {}\npolicyTypes: []\negress:\n- {}', want: ['Ingress', 'Egress'] },
    { name: 'explicit [Egress] is kept', spec: 'podSelector: {}\npolicyTypes: [Egress]', want: ['Egress'] },
  ];
  for (const c of typeCases) {
    it(c.name, () => {
      const { value, issues } = decode(policyYaml(c.spec), decodeNetworkPolicy, 'NetworkPolicy shop/db');
      expect(issues).toEqual([]);
      expect(value.policyTypes).toEqual(c.want);
    });
  }

  it('empty podSelector selects all; absent from/ports mean every peer and port', () => {
    const { value } = decode(policyYaml(`
      podSelector: {}
      ingress:
      - {}
      - ports: [{protocol: UDP}]`), decodeNetworkPolicy, 'NetworkPolicy shop/db');
    expect(value.podSelector.requirements).toEqual([]);
    expect(value.ingress).toEqual([
      { peers: [], ports: [] },
      { peers: [], ports: [{ protocol: 'UDP', port: null, endPort: null }] },
    ]);
    expect(value.egress).toEqual([]);
  });

  it('decodes peers, ports (TCP by default), ranges and ipBlock except', () => {
    const { value, issues } = decode(policyYaml(`
      podSelector: {matchLabels: {app: db}}
      policyTypes: [Ingress, Egress]
      ingress:
      - from:
        - namespaceSelector: {matchLabels: {team: shop}}
          podSelector: {matchExpressions: [{key: tier, operator: In, values: [web, api]}]}
        - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}
        ports:
        - port: 5432
        - {protocol: TCP, port: postgres}
      egress:
      - to:
        - ipBlock: {cidr: 10.0.0.1/24}
        ports:
        - {protocol: UDP, port: 30000, endPort: 32767}`), decodeNetworkPolicy, 'NetworkPolicy shop/db');
    expect(issues.map((i) => `${i.severity} ${i.code}`)).toEqual(['warning cidr-host-bits']);
    expect(value.podSelector.key).toBe('app=db');
    const [from0, from1] = value.ingress[0]!.peers;
    expect(from0?.namespaceSelector?.key).toBe('team=shop');
    expect(from0?.podSelector?.key).toBe('tier in (api,web)');
    expect(from0?.ipBlock).toBeNull();
    expect(from1?.podSelector).toBeNull();
    expect(from1?.ipBlock?.cidr.text).toBe('10.0.0.0/8');
    expect(from1?.ipBlock?.except.map((c) => c.text)).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
    expect(value.ingress[0]!.ports).toEqual([
      { protocol: 'TCP', port: 5432, endPort: null },
      { protocol: 'TCP', port: 'postgres', endPort: null },
    ]);
    // Host bits: matched as the network, as the API server does.
    expect(value.egress[0]!.peers[0]?.ipBlock?.cidr.text).toBe('10.0.0.0/24');
    expect(value.egress[0]!.ports).toEqual([{ protocol: 'UDP', port: 30000, endPort: 32767 }]);
  });

  it('a rule whose peers are all invalid is left out, never widened to every peer', () => {
    const { value, issues } = decode(policyYaml(`
      podSelector: {}
      ingress:
      - from:
        - ipBlock: {cidr: not-a-cidr}
      - from:
        - podSelector: {matchLabels: {app: web}}
        - {}
      - to:
        - podSelector: {}`), decodeNetworkPolicy, 'NetworkPolicy shop/db');
    expect(issues.map((i) => i.field)).toEqual([
      'spec.ingress[0].from[0].ipBlock.cidr', 'spec.ingress[1].from[1]', 'spec.ingress[2].to',
    ]);
    expect(value.ingress).toHaveLength(1);
    expect(value.ingress[0]!.peers.map((p) => p.podSelector?.key)).toEqual(['app=web']);
  });

  it('a peer selector that lost a requirement is left out, never widened', () => {
    const { value, issues } = decode(policyYaml(`
      podSelector: {}
      ingress:
      - from:
        - podSelector: {matchExpressions: [{key: app, operator: Is, values: [web]}]}
        - podSelector: {matchLabels: {app: api}}`), decodeNetworkPolicy, 'NetworkPolicy shop/db');
    expect(issues).toHaveLength(1);
    expect(value.ingress[0]!.peers.map((p) => p.podSelector?.key)).toEqual(['app=api']);
  });

  it('ports with an invalid entry keep the valid ones; all invalid drops the rule', () => {
    const { value } = decode(policyYaml(`
      podSelector: {}
      egress:
      - ports: [{port: 53, protocol: UDP}, {port: 0}]
      - ports: [{protocol: ICMP}]`), decodeNetworkPolicy, 'NetworkPolicy shop/db');
    expect(value.egress).toEqual([{ peers: [], ports: [{ protocol: 'UDP', port: 53, endPort: null }] }]);
  });
});
