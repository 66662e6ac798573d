// DNS over UDP and TCP on a socket made inside a pod's namespace (runtime/netns.ts): each
// datagram, or each length-prefixed TCP frame (RFC 1035 4.2.2, several per connection,
// answered as they complete, RFC 7766), goes to a DnsHandler; its reply goes back the same way.
import dgram from 'node:dgram';
import net from 'node:net';
import type { NetnsSwitch, Protocol } from '../runtime/netns.js';
import { remoteText } from './query-log.js';
import type { Client, DnsHandler } from './responder.js';

/** A TCP connection with nothing to read for this long is closed (CoreDNS: 10 s idle). */
const TCP_IDLE_MS = 10_000;
/** Receive buffer asked for the UDP socket (the kernel caps it at net.core.rmem_max). */
const UDP_RECV_BUFFER = 4 << 20;

export interface DnsListener {
  readonly protocol: Protocol;
  readonly port: number;
  close(): Promise<void>;
}

/** The client as the logs and the truncation rules see it: IPv4-mapped IPv6 is IPv4. */
function clientOf(address: string, port: number): Client {
  if (!address.includes(':')) return { address, port, family: 4 };
  if (address.startsWith('::ffff:') && address.includes('.')) return { address: address.slice(7), port, family: 4 };
  return { address, port, family: 6 };
}

/** UDP clients seen lately, by address and port: one object (and log text) each, not one per datagram. */
class ClientCache {
  private readonly byAddress = new Map<string, Map<number, Client>>();
  private size = 0;

  get(address: string, port: number): Client {
    let ports = this.byAddress.get(address);
    const hit = ports?.get(port);
    if (hit) return hit;
    if (this.size >= CLIENT_CACHE) {
      this.byAddress.clear();
      this.size = 0;
      ports = undefined;
    }
    if (!ports) this.byAddress.set(address, (ports = new Map()));
    const c = clientOf(address, port);
    const client: Client = { ...c, remote: Buffer.from(remoteText(c.address, c.port, c.family), 'latin1') };
    ports.set(port, client);
    this.size++;
    return client;
  }
}
const CLIENT_CACHE = 4096;

/** Replies go to the address a datagram came from: no name lookup (dgram's default defers each send a tick). */
function literal(address: string, family: unknown, callback: (e: Error | null, address: string, family: number) => void): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

function complain(label: string, e: unknown): void {
  process.stderr.write(`knet dns: ${label}: ${(e as Error)?.stack ?? String(e)}\n`);
}

/** Serves `handler` on `port` inside `netns`; rejects with a SyscallError when it cannot bind. */
export async function listenDns(sockets: NetnsSwitch, netns: string, protocol: Protocol, port: number, handler: DnsHandler, label: string): Promise<DnsListener> {
  const { fd, family } = sockets.serverSocket(netns, protocol, port);
  return protocol === 'UDP' ? listenUdp(fd, family, port, handler, label) : listenTcp(fd, port, handler, label);
}

async function listenUdp(fd: number, family: 4 | 6, port: number, handler: DnsHandler, label: string): Promise<DnsListener> {
  const sock = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: literal as unknown as dgram.SocketOptions['lookup'] });
  const send = (b: Buffer | null, port: number, address: string): void => {
    if (b) sock.send(b, port, address);
  };
  const clients = new ClientCache();
  sock.on('message', (msg, rinfo) => {
    try {
      const r = handler.handle(msg, clients.get(rinfo.address, rinfo.port), 'udp');
      if (r instanceof Promise) r.then((b) => send(b, rinfo.port, rinfo.address), (e: unknown) => complain(label, e));
      else send(r, rinfo.port, rinfo.address);
    } catch (e) {
      complain(label, e);
    }
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ fd }, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  try {
    sock.setRecvBufferSize(UDP_RECV_BUFFER);
  } catch {
    // the kernel's limit stays
  }
  sock.on('error', (e) => process.stderr.write(`knet dns: ${label} UDP ${port}: ${e.message}\n`));
  return { protocol: 'UDP', port, close: () => new Promise<void>((resolve) => sock.close(() => resolve())) };
}

async function listenTcp(fd: number, port: number, handler: DnsHandler, label: string): Promise<DnsListener> {
  const conns = new Set<net.Socket>();
  const server = net.createServer((conn) => {
    conns.add(conn);
    conn.setNoDelay(true);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('error', () => undefined);
    conn.on('close', () => conns.delete(conn));
    const client = clientOf(conn.remoteAddress ?? '', conn.remotePort ?? 0);
    let buf: Buffer = Buffer.alloc(0);
    let open = 0;
    let ended = false;
    const reply = (b: Buffer | null): void => {
      open--;
      if (b && !conn.destroyed) {
        const frame = Buffer.allocUnsafe(2 + b.length);
        frame.writeUInt16BE(b.length, 0);
        b.copy(frame, 2);
        conn.write(frame);
      }
      if (ended && open === 0) conn.end();
    };
    conn.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        open++;
        try {
          const r = handler.handle(msg, client, 'tcp');
          if (r instanceof Promise) {
            r.then(reply, (e: unknown) => {
              complain(label, e);
              reply(null);
            });
          } else reply(r);
        } catch (e) {
          complain(label, e);
          reply(null);
        }
      }
    });
    conn.on('end', () => {
      ended = true;
      if (open === 0) conn.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => process.stderr.write(`knet dns: ${label} TCP ${port}: ${e.message}\n`));
  return {
    protocol: 'TCP',
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const c of conns) c.destroy();
    }),
  };
}
