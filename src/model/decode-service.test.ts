import { describe, it, expect } from 'vitest';
import { decodeEndpointSlice, decodeService } from './decode-service.js';
import type { Issue } from './issue.js';
import { block, decode } from './test-support/decode.js';

const serviceYaml = (spec: string, name = 'web'): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n${block(spec)}\n`;

const sliceYaml = (body: string): string =>
  'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: web-abc12\n  namespace: shop\n' +
  `  labels:\n    kubernetes.io/service-name: web\n${block(body, '')}\n`;

/** Issues as `severity: message`; expectations match by substring, in the order reported. */
function rendered(issues: readonly Issue[]): string[] {
  return issues.map((i) => `${i.severity}: ${i.message}`);
}

interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly want: readonly string[];
}

const RANGE = 'must be between 1 and 65535, inclusive';
const SPECIAL_IP = 'may not be unspecified, loopback, link-local or multicast';

describe('decodeService: validation as the API server does it', () => {
  const cases: Case[] = [
    {
      name: 'ClusterIP with two named ports -> no issue',
      yaml: serviceYaml(`
        selector: {app: web}
        ports:
        - {name: http, port: 80, targetPort: http}
        - {name: metrics, port: 9090, targetPort: 9090}`),
      want: [],
    },
    {
      name: 'same port number on TCP and UDP -> no issue (the key is port and protocol)',
      yaml: serviceYaml(`
        ports:
        - {name: dns, port: 53, protocol: UDP}
        - {name: dns-tcp, port: 53, protocol: TCP}`),
      want: [],
    },
    {
      name: 'port 0 -> invalid value, port range',
      yaml: serviceYaml(`
        ports:
        - port: 0`),
      want: [`error: spec.ports[0].port: Invalid value: 0: ${RANGE}`],
    },
    {
      name: 'port 65536 -> invalid value, port range',
      yaml: serviceYaml(`
        ports:
        - port: 65536`),
      want: [`error: spec.ports[0].port: Invalid value: 65536: ${RANGE}`],
    },
    {
      name: 'negative port -> invalid value, port range',
      yaml: serviceYaml(`
        ports:
        - port: -80`),
      want: [`error: spec.ports[0].port: Invalid value: -80: ${RANGE}`],
    },
    {
      name: 'port as a quoted number -> must be an integer',
      yaml: serviceYaml(`
        ports:
        - port: "80"`),
      want: ['error: spec.ports[0].port: Invalid value: "80": must be an integer, not a string'],
    },
    {
      name: 'port missing -> required value',
      yaml: serviceYaml(`
        ports:
        - targetPort: 8080`),
      want: ['error: spec.ports[0].port: Required value'],
    },
    {
      name: 'no ports on a ClusterIP Service -> required value',
      yaml: serviceYaml(`
        selector: {app: web}`),
      want: ['error: spec.ports: Required value'],
    },
    {
      name: 'multiple ports, one unnamed -> required name',
      yaml: serviceYaml(`
        ports:
        - {name: http, port: 80}
        - port: 443`),
      want: ['error: spec.ports[1].name: Required value'],
    },
    {
      name: 'multiple ports, none named -> required name on each',
      yaml: serviceYaml(`
        ports:
        - port: 80
        - port: 443`),
      want: ['error: spec.ports[0].name: Required value', 'error: spec.ports[1].name: Required value'],
    },
    {
      name: 'a single port needs no name',
      yaml: serviceYaml(`
        ports:
        - port: 80`),
      want: [],
    },
    {
      name: 'duplicate port names -> duplicate value',
      yaml: serviceYaml(`
        ports:
        - {name: http, port: 80}
        - {name: http, port: 8080}`),
      want: ['error: spec.ports[1].name: Duplicate value: "http"'],
    },
    {
      name: 'duplicate port and protocol -> duplicate value on the port entry',
      yaml: serviceYaml(`
        ports:
        - {name: http, port: 80}
        - {name: web, port: 80, protocol: TCP}`),
      want: ['error: spec.ports[1]: Duplicate value: "80/TCP"'],
    },
    {
      name: 'port name not a DNS-1123 label -> invalid value',
      yaml: serviceYaml(`
        ports:
        - {name: HTTP, port: 80}`),
      want: ['error: spec.ports[0].name: Invalid value: "HTTP": a lowercase RFC 1123 label must consist of'],
    },
    {
      name: 'protocol in lower case -> unsupported value',
      yaml: serviceYaml(`
        ports:
        - {port: 53, protocol: udp}`),
      want: ['error: spec.ports[0].protocol: Unsupported value: "udp": supported values: "TCP", "UDP", "SCTP"'],
    },
    {
      name: 'numeric targetPort out of range -> invalid value',
      yaml: serviceYaml(`
        ports:
        - {port: 80, targetPort: 70000}`),
      want: [`error: spec.ports[0].targetPort: Invalid value: 70000: ${RANGE}`],
    },
    {
      name: 'targetPort 0 is defaulted to port -> no issue',
      yaml: serviceYaml(`
        ports:
        - {port: 80, targetPort: 0}`),
      want: [],
    },
    {
      name: 'targetPort "" is defaulted to port -> no issue',
      yaml: serviceYaml(`
        ports:
        - {port: 80, targetPort: ""}`),
      want: [],
    },
    {
      name: 'named targetPort with an underscore -> IANA_SVC_NAME characters',
      yaml: serviceYaml(`
        ports:
        - {port: 80, targetPort: http_web}`),
      want: ['error: spec.ports[0].targetPort: Invalid value: "http_web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'],
    },
    {
      name: 'named targetPort longer than 15 -> IANA_SVC_NAME length',
      yaml: serviceYaml(`
        ports:
        - {port: 80, targetPort: metrics-endpoint}`),
      want: ['error: spec.ports[0].targetPort: Invalid value: "metrics-endpoint": must be no more than 15 characters'],
    },
    {
      name: 'named targetPort with "--" -> IANA_SVC_NAME consecutive hyphens',
      yaml: serviceYaml(`
        ports:
        - {port: 80, targetPort: web--http}`),
      want: ['error: spec.ports[0].targetPort: Invalid value: "web--http": must not contain consecutive hyphens'],
    },
    {
      name: 'named targetPort ending in "-" -> IANA_SVC_NAME hyphen at the end',
      yaml: serviceYaml(`
        ports:
        - {port: 80, targetPort: http-}`),
      want: ['error: spec.ports[0].targetPort: Invalid value: "http-": must not begin or end with a hyphen'],
    },
    {
      name: 'targetPort as a quoted number -> a port name without a letter',
      yaml: serviceYaml(`
        ports:
        - {port: 80, targetPort: "8080"}`),
      want: ['error: spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)'],
    },
    {
      name: 'targetPort a float -> must be an integer or a string',
      yaml: serviceYaml(`
        ports:
        - {port: 80, targetPort: 80.5}`),
      want: ['error: spec.ports[0].targetPort: Invalid value: 80.5: must be an integer or a string, not a number'],
    },
    {
      name: 'nodePort on a ClusterIP Service -> forbidden',
      yaml: serviceYaml(`
        ports:
        - {port: 80, nodePort: 30080}`),
      want: ["error: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    },
    {
      name: 'nodePort on a NodePort Service -> no issue',
      yaml: serviceYaml(`
        type: NodePort
        ports:
        - {port: 80, nodePort: 30080}`),
      want: [],
    },
    {
      name: 'unknown type -> unsupported value',
      yaml: serviceYaml(`
        type: Nodeport
        ports:
        - port: 80`),
      want: ['error: spec.type: Unsupported value: "Nodeport": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"'],
    },
    {
      name: 'headless ClusterIP without ports -> no issue',
      yaml: serviceYaml(`
        clusterIP: None
        selector: {app: db}`),
      want: [],
    },
    {
      name: "clusterIP None with NodePort -> may not be set to 'None'",
      yaml: serviceYaml(`
        type: NodePort
        clusterIP: None
        ports:
        - port: 80`),
      want: [`error: spec.clusterIP: Invalid value: "None": may not be set to 'None' for NodePort services`],
    },
    {
      name: "clusterIP None with LoadBalancer -> may not be set to 'None'",
      yaml: serviceYaml(`
        type: LoadBalancer
        clusterIP: None
        ports:
        - port: 80`),
      want: [`error: spec.clusterIP: Invalid value: "None": may not be set to 'None' for LoadBalancer services`],
    },
    {
      name: 'clusterIP not an IP -> invalid value',
      yaml: serviceYaml(`
        clusterIP: 10.96.0.300
        ports:
        - port: 80`),
      want: ['error: spec.clusterIP: Invalid value: "10.96.0.300": must be a valid IP address'],
    },
    {
      name: 'clusterIPs[0] differs from clusterIP -> invalid value',
      yaml: serviceYaml(`
        clusterIP: 10.96.0.10
        clusterIPs: [10.96.0.11]
        ports:
        - port: 80`),
      want: ['error: spec.clusterIPs: Invalid value: ["10.96.0.11"]: must be consistent with spec.clusterIP'],
    },
    {
      name: 'two clusterIPs of one family -> one IP per family',
      yaml: serviceYaml(`
        clusterIPs: [10.96.0.10, 10.96.0.11]
        ports:
        - port: 80`),
      want: ['error: spec.clusterIPs: Invalid value: ["10.96.0.10","10.96.0.11"]: may specify no more than one IP for each IP family'],
    },
    {
      name: 'ExternalName without externalName -> required value',
      yaml: serviceYaml(`
        type: ExternalName`),
      want: ['error: spec.externalName: Required value'],
    },
    {
      name: 'ExternalName with a URL -> invalid DNS subdomain',
      yaml: serviceYaml(`
        type: ExternalName
        externalName: https://db.example.com`),
      want: ['error: spec.externalName: Invalid value: "https://db.example.com": a lowercase RFC 1123 subdomain must consist of'],
    },
    {
      name: 'ExternalName with a trailing dot -> no issue (a fully qualified name)',
      yaml: serviceYaml(`
        type: ExternalName
        externalName: db.example.com.`),
      want: [],
    },
    {
      name: 'ExternalName with a clusterIP -> forbidden',
      yaml: serviceYaml(`
        type: ExternalName
        externalName: db.example.com
        clusterIP: 10.96.0.10`),
      want: ['error: spec.clusterIP: Forbidden: may not be set for ExternalName services'],
    },
    {
      name: 'externalTrafficPolicy on a ClusterIP Service -> only for external services',
      yaml: serviceYaml(`
        externalTrafficPolicy: Local
        ports:
        - port: 80`),
      want: ['error: spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
    },
    {
      name: 'externalTrafficPolicy on a ClusterIP Service with externalIPs -> no issue',
      yaml: serviceYaml(`
        externalTrafficPolicy: Local
        externalIPs: [203.0.113.10]
        ports:
        - port: 80`),
      want: ['warning: spec.externalIPs is deprecated and may no longer be implemented in some clusters'],
    },
    {
      name: 'externalTrafficPolicy Local on a LoadBalancer -> no issue',
      yaml: serviceYaml(`
        type: LoadBalancer
        externalTrafficPolicy: Local
        ports:
        - port: 80`),
      want: [],
    },
    {
      name: 'externalTrafficPolicy in lower case -> unsupported value',
      yaml: serviceYaml(`
        type: NodePort
        externalTrafficPolicy: local
        ports:
        - port: 80`),
      want: ['error: spec.externalTrafficPolicy: Unsupported value: "local": supported values: "Cluster", "Local"'],
    },
    {
      name: 'internalTrafficPolicy unknown -> unsupported value',
      yaml: serviceYaml(`
        internalTrafficPolicy: Node
        ports:
        - port: 80`),
      want: ['error: spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"'],
    },
    {
      name: 'sessionAffinity timeout 0 -> out of range',
      yaml: serviceYaml(`
        sessionAffinity: ClientIP
        sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}
        ports:
        - port: 80`),
      want: ['error: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400'],
    },
    {
      name: 'sessionAffinity timeout 86401 -> out of range',
      yaml: serviceYaml(`
        sessionAffinity: ClientIP
        sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}
        ports:
        - port: 80`),
      want: ['error: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400'],
    },
    {
      name: 'sessionAffinity timeout 86400 -> no issue (the bound is inclusive)',
      yaml: serviceYaml(`
        sessionAffinity: ClientIP
        sessionAffinityConfig: {clientIP: {timeoutSeconds: 86400}}
        ports:
        - port: 80`),
      want: [],
    },
    {
      name: 'sessionAffinity in the wrong case -> unsupported value',
      yaml: serviceYaml(`
        sessionAffinity: clientIP
        ports:
        - port: 80`),
      want: ['error: spec.sessionAffinity: Unsupported value: "clientIP": supported values: "ClientIP", "None"'],
    },
    {
      name: 'externalIPs loopback -> not a special address',
      yaml: serviceYaml(`
        externalIPs: [127.0.0.1]
        ports:
        - port: 80`),
      want: [`error: spec.externalIPs[0]: Invalid value: "127.0.0.1": ${SPECIAL_IP}`, 'warning: spec.externalIPs is deprecated and may no longer be implemented in some clusters'],
    },
    {
      name: 'externalIPs unspecified, link-local and multicast -> not special addresses',
      yaml: serviceYaml(`
        externalIPs: [0.0.0.0, 169.254.1.1, 224.0.0.1, "::1"]
        ports:
        - port: 80`),
      want: [
        `error: spec.externalIPs[0]: Invalid value: "0.0.0.0": ${SPECIAL_IP}`,
        `error: spec.externalIPs[1]: Invalid value: "169.254.1.1": ${SPECIAL_IP}`,
        `error: spec.externalIPs[2]: Invalid value: "224.0.0.1": ${SPECIAL_IP}`,
        `error: spec.externalIPs[3]: Invalid value: "::1": ${SPECIAL_IP}`,
        'warning: spec.externalIPs is deprecated and may no longer be implemented in some clusters',
      ],
    },
    {
      name: 'externalIPs "1..2.3" and "300.1.1.1" -> not IP addresses',
      yaml: serviceYaml(`
        externalIPs: [1..2.3, 300.1.1.1]
        ports:
        - port: 80`),
      want: [
        'error: spec.externalIPs[0]: Invalid value: "1..2.3": must be a valid IP address',
        'error: spec.externalIPs[1]: Invalid value: "300.1.1.1": must be a valid IP address',
        'warning: spec.externalIPs is deprecated and may no longer be implemented in some clusters',
      ],
    },
    {
      name: 'loadBalancerSourceRanges without a prefix -> invalid CIDR',
      yaml: serviceYaml(`
        type: LoadBalancer
        loadBalancerSourceRanges: [203.0.113.0]
        ports:
        - port: 80`),
      want: ['error: spec.loadBalancerSourceRanges[0]: Invalid value: "203.0.113.0": must be a valid CIDR value'],
    },
    {
      name: 'Service name starting with a digit -> DNS-1035 label',
      yaml: serviceYaml(`
        ports:
        - port: 80`, '1web'),
      want: ['error: metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters'],
    },
    {
      name: 'Service name with upper case -> DNS-1035 label',
      yaml: serviceYaml(`
        ports:
        - port: 80`, 'Web'),
      want: ['error: metadata.name: Invalid value: "Web": a DNS-1035 label'],
    },
    {
      name: 'Service name with a dot -> DNS-1035 label (a subdomain is not enough)',
      yaml: serviceYaml(`
        ports:
        - port: 80`, 'web.shop'),
      want: ['error: metadata.name: Invalid value: "web.shop": a DNS-1035 label'],
    },
    {
      name: 'Service name of 64 characters -> too long',
      yaml: serviceYaml(`
        ports:
        - port: 80`, 'a'.repeat(64)),
      want: [`error: metadata.name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`],
    },
    {
      name: 'selector value a number -> must be a string',
      yaml: serviceYaml(`
        selector: {version: 2}
        ports:
        - port: 80`),
      want: ['error: spec.selector.version: Invalid value: 2: must be a string'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { issues } = decode(c.yaml, decodeService, 'Service shop/web');
      expect(rendered(issues)).toEqual(c.want.map((w) => expect.stringContaining(w)));
    });
  }

  it('issues carry code, field and position', () => {
    const { issues } = decode(serviceYaml(`
      ports:
      - name: http
        port: 80
        nodePort: 30080
      - name: http
        port: 443
        targetPort: "8443"`), decodeService, 'Service shop/web');
    expect(issues).toHaveLength(3);
    expect(issues[0]).toMatchObject({
      code: 'forbidden', severity: 'error', file: 'test.yaml', line: 10, col: 15,
      field: 'spec.ports[0].nodePort', object: 'Service shop/web',
    });
    expect(issues[1]).toMatchObject({ code: 'duplicate-value', line: 11, col: 11, field: 'spec.ports[1].name' });
    expect(issues[2]).toMatchObject({ code: 'invalid-value', line: 13, col: 17, field: 'spec.ports[1].targetPort' });
    expect(issues[2]?.hint).toBe('a quoted number is read as a port name; write targetPort: 8443 without quotes');
  });

  it('a bad Service name points at metadata.name and suggests a fix', () => {
    const { issues } = decode(serviceYaml('ports: [{port: 80}]', 'Web_API'), decodeService, 'Service shop/Web_API');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: 'metadata.name', line: 4, col: 9 });
    expect(issues[0]?.hint).toBe('try "web-api"');
  });
});

describe('decodeService: defaults and domain values', () => {
  it('targetPort defaults to port; protocol to TCP; type to ClusterIP', () => {
    const { value, issues } = decode(serviceYaml(`
      selector: {app: web}
      ports:
      - {name: http, port: 80}
      - {name: https, port: 443, targetPort: 0}
      - {name: admin, port: 8080, targetPort: admin}
      - {name: dns, port: 53, protocol: UDP, targetPort: 5353}`), decodeService, 'Service shop/web');
    expect(issues).toEqual([]);
    expect(value.type).toBe('ClusterIP');
    expect(value.selector).toEqual({ app: 'web' });
    expect(value.ports.map((p) => [p.name, p.protocol, p.port, p.targetPort])).toEqual([
      ['http', 'TCP', 80, 80],
      ['https', 'TCP', 443, 443],
      ['admin', 'TCP', 8080, 'admin'],
      ['dns', 'UDP', 53, 5353],
    ]);
    expect(value.sessionAffinity).toBe('None');
    expect(value.sessionAffinityTimeout).toBe(10800);
    expect(value.externalTrafficPolicy).toBe('Cluster');
    expect(value.internalTrafficPolicy).toBe('Cluster');
  });

  it('no selector -> null (selectorless: endpoints come from the user)', () => {
    const { value } = decode(serviceYaml('ports: [{port: 80}]'), decodeService, 'Service shop/web');
    expect(value.selector).toBeNull();
  });

  it('clusterIP None -> headless, no cluster IPs', () => {
    const { value } = decode(serviceYaml('clusterIP: None\nselector: {app: db}'), decodeService, 'Service shop/web');
    expect(value.headless).toBe(true);
    expect(value.clusterIPs).toEqual([]);
  });

  it('dual-stack clusterIPs are kept in canonical form, policy RequireDualStack by default', () => {
    const { value, issues } = decode(serviceYaml(`
      clusterIPs: [10.96.0.10, "2001:DB8::0:a"]
      ipFamilies: [IPv4, IPv6]
      ports: [{port: 80}]`), decodeService, 'Service shop/web');
    // The API server keeps the text and warns (GetWarningsForIP).
    expect(rendered(issues)).toEqual(['warning: spec.clusterIPs[1]: IPv6 address "2001:DB8::0:a" should be in RFC 5952 canonical format ("2001:db8::a")']);
    expect(value.clusterIPs).toEqual(['10.96.0.10', '2001:db8::a']);
    expect(value.ipFamilies).toEqual([4, 6]);
    expect(value.ipFamilyPolicy).toBe('RequireDualStack');
  });

  it('invalid externalIPs are left out, valid ones kept', () => {
    const { value } = decode(serviceYaml(`
      externalIPs: [203.0.113.10, 1..2.3]
      ports: [{port: 80}]`), decodeService, 'Service shop/web');
    expect(value.externalIPs).toEqual(['203.0.113.10']);
  });
});

describe('decodeEndpointSlice: validation as the API server does it', () => {
  const cases: Case[] = [
    {
      name: 'IPv4 slice with ports and conditions -> no issue',
      yaml: sliceYaml(`
        addressType: IPv4
        endpoints:
        - addresses: [10.244.1.5]
          conditions: {ready: true}
          nodeName: worker-1
        ports:
        - {name: http, port: 8080, protocol: TCP}`),
      want: [],
    },
    {
      name: 'addressType missing -> required value',
      yaml: sliceYaml(`
        endpoints:
        - addresses: [10.244.1.5]`),
      want: ['error: addressType: Required value'],
    },
    {
      name: 'addressType in lower case -> unsupported value',
      yaml: sliceYaml(`
        addressType: ipv4
        endpoints: []`),
      want: ['error: addressType: Unsupported value: "ipv4": supported values: "IPv4", "IPv6", "FQDN"'],
    },
    {
      name: 'IPv6 address in an IPv4 slice -> address family mismatch',
      yaml: sliceYaml(`
        addressType: IPv4
        endpoints:
        - addresses: ["fd00::5"]`),
      want: ['error: endpoints[0].addresses[0]: Invalid value: "fd00::5": must be a valid IPv4 address'],
    },
    {
      name: 'IPv4 address in an IPv6 slice -> address family mismatch',
      yaml: sliceYaml(`
        addressType: IPv6
        endpoints:
        - addresses: [10.244.1.5]`),
      want: ['error: endpoints[0].addresses[0]: Invalid value: "10.244.1.5": must be a valid IPv6 address'],
    },
    {
      name: 'malformed address "1..2.3" -> invalid value',
      yaml: sliceYaml(`
        addressType: IPv4
        endpoints:
        - addresses: [1..2.3]`),
      want: ['error: endpoints[0].addresses[0]: Invalid value: "1..2.3": must be a valid IPv4 address'],
    },
    {
      name: 'loopback endpoint address -> not a special address',
      yaml: sliceYaml(`
        addressType: IPv4
        endpoints:
        - addresses: [127.0.0.1]`),
      want: [`error: endpoints[0].addresses[0]: Invalid value: "127.0.0.1": ${SPECIAL_IP}`],
    },
    {
      name: 'endpoint without addresses -> required value',
      yaml: sliceYaml(`
        addressType: IPv4
        endpoints:
        - nodeName: worker-1`),
      want: ['error: endpoints[0].addresses: Required value'],
    },
    {
      name: 'FQDN slice -> addresses not parsed as IPs',
      yaml: sliceYaml(`
        addressType: FQDN
        endpoints:
        - addresses: [db.example.com]`),
      want: [],
    },
    {
      name: 'condition as a string -> must be a boolean',
      yaml: sliceYaml(`
        addressType: IPv4
        endpoints:
        - addresses: [10.244.1.5]
          conditions: {ready: "true"}`),
      want: ['error: endpoints[0].conditions.ready: Invalid value: "true": must be a boolean (true or false), not a string'],
    },
    {
      name: 'duplicate port names -> duplicate value',
      yaml: sliceYaml(`
        addressType: IPv4
        endpoints: []
        ports:
        - {name: http, port: 80}
        - {name: http, port: 8080}`),
      want: ['error: ports[1].name: Duplicate value: "http"'],
    },
    {
      name: 'port out of range -> invalid value',
      yaml: sliceYaml(`
        addressType: IPv4
        endpoints: []
        ports:
        - {name: http, port: 65536}`),
      want: [`error: ports[0].port: Invalid value: 65536: ${RANGE}`],
    },
    {
      name: 'hostname not a DNS-1123 label -> invalid value',
      yaml: sliceYaml(`
        addressType: IPv4
        endpoints:
        - addresses: [10.244.1.5]
          hostname: Web_0`),
      want: ['error: endpoints[0].hostname: Invalid value: "Web_0": a lowercase RFC 1123 label'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { issues } = decode(c.yaml, decodeEndpointSlice, 'EndpointSlice shop/web-abc12');
      expect(rendered(issues)).toEqual(c.want.map((w) => expect.stringContaining(w)));
    });
  }

  it('a family mismatch points at the address, line:col', () => {
    const { issues } = decode(sliceYaml(`
      addressType: IPv4
      endpoints:
      - addresses:
        - 10.244.1.5
        - "fd00::5"`), decodeEndpointSlice, 'EndpointSlice shop/web-abc12');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: 'invalid-value', file: 'test.yaml', line: 12, col: 5, field: 'endpoints[0].addresses[1]',
    });
  });
});

describe('decodeEndpointSlice: conditions defaults (nil ready/serving -> true, nil terminating -> false)', () => {
  const cases: { name: string; conditions: string; want: { ready: boolean; serving: boolean; terminating: boolean } }[] = [
    { name: 'no conditions -> ready, serving, not terminating', conditions: '', want: { ready: true, serving: true, terminating: false } },
    { name: 'empty conditions -> ready, serving, not terminating', conditions: 'conditions: {}', want: { ready: true, serving: true, terminating: false } },
    {
      name: 'ready false only -> serving still nil, read as true',
      conditions: 'conditions: {ready: false}', want: { ready: false, serving: true, terminating: false },
    },
    {
      name: 'terminating and serving -> not ready, serving, terminating',
      conditions: 'conditions: {ready: false, serving: true, terminating: true}', want: { ready: false, serving: true, terminating: true },
    },
    {
      name: 'serving false only -> ready nil, read as true',
      conditions: 'conditions: {serving: false}', want: { ready: true, serving: false, terminating: false },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { value, issues } = decode(sliceYaml(`
        addressType: IPv4
        endpoints:
        - addresses: [10.244.1.5]
          ${c.conditions}`), decodeEndpointSlice, 'EndpointSlice shop/web-abc12');
      expect(issues).toEqual([]);
      expect(value.endpoints[0]?.conditions).toEqual(c.want);
    });
  }

  it('reads the service name, addresses, ports and targetRef (namespace defaulted to the slice)', () => {
    const { value } = decode(sliceYaml(`
      addressType: IPv6
      endpoints:
      - addresses: ["FD00::0:5"]
        nodeName: worker-1
        zone: z1
        targetRef: {kind: Pod, name: web-0}
      ports:
      - {name: http, port: 8080}`), decodeEndpointSlice, 'EndpointSlice shop/web-abc12');
    expect(value.serviceName).toBe('web');
    expect(value.addressType).toBe('IPv6');
    expect(value.endpoints[0]).toMatchObject({
      addresses: ['fd00::5'], nodeName: 'worker-1', zone: 'z1', targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-0' },
    });
    expect(value.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080, appProtocol: '' }]);
  });
});
