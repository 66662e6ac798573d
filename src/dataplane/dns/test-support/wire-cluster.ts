// A small cluster for the DNS server's tests (a ClusterIP Service, a 40-pod headless Service
// whose A answer does not fit 512 bytes, an ExternalName, external records); queries made
// and replies read with dns-packet, replies shown as zone lines the way `knet dns` and dig
// print them.
import dnsPacket from 'dns-packet';

/** A record as dns-packet decodes it (OPT records have no ttl or data). */
export interface DecodedRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  readonly data?: unknown;
}

export interface DecodedReply {
  readonly id: number;
  readonly rcode: string;
  readonly flag_qr: boolean;
  readonly flag_aa: boolean;
  readonly flag_tc: boolean;
  readonly flag_rd: boolean;
  readonly flag_ra: boolean;
  readonly answers: readonly DecodedRecord[];
  readonly authorities: readonly DecodedRecord[];
  readonly additionals: readonly DecodedRecord[];
}

export function decode(b: Buffer): DecodedReply {
  const d = dnsPacket.decode(b) as unknown as DecodedReply;
  return { ...d, answers: d.answers ?? [], authorities: d.authorities ?? [], additionals: d.additionals ?? [] };
}

/** A query as a stub resolver sends it (RD set); `edns`: an OPT with that UDP size. */
export function query(name: string, type = 'A', opts: { edns?: number; do?: boolean; id?: number } = {}): Buffer {
  const opt = { type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: opts.do ? dnsPacket.DNSSEC_OK : 0, options: [] };
  return dnsPacket.encode({
    type: 'query', id: opts.id ?? 36112, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: type as dnsPacket.RecordType, name, class: 'IN' }],
    additionals: (opts.edns ? [opt] : []) as unknown as dnsPacket.Answer[],
  });
}

/** Manifests: kubeadm's defaults are filled in around them. */
export const WIRE_CLUSTER = `
apiVersion: knet.dev/v1alpha1
kind: Cluster
metadata: {name: wire}
nodes: [{name: node-1}, {name: node-2}]
external:
  records:
  - {name: api.external.com, a: [203.0.113.80]}
  - {name: www.example.com, cname: web.example.net}
  - {name: web.example.net, a: [203.0.113.81]}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: agnhost, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: prod}
spec:
  replicas: 40
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec: {containers: [{name: c, image: agnhost, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: big, namespace: prod}
spec:
  clusterIP: None
  selector: {app: big}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: prod}
spec: {type: ExternalName, externalName: api.external.com}
`;

/** The answer section as zone lines, the way `knet dns` and dig print them. */
export function zoneLines(reply: Buffer): string[] {
  return decode(reply).answers.map((a) => {
    const d = a.data as unknown;
    let data: string;
    switch (a.type) {
      case 'SRV': {
        const s = d as dnsPacket.SrvAnswer['data'];
        data = `${s.priority ?? 0} ${s.weight ?? 0} ${s.port} ${s.target}.`;
        break;
      }
      case 'TXT': data = (d as Buffer[]).map((b) => `"${b.toString()}"`).join(' '); break;
      case 'CNAME': case 'PTR': case 'NS': data = `${d as string}.`; break;
      default: data = String(d);
    }
    return `${a.name}. ${a.ttl} IN ${a.type} ${data}`;
  });
}

