// A sealed two-namespace lab with a real Pebble, for tests and the certs benchmark:
// knet-acme-lab-<id>-srv (192.0.2.1: Pebble's ACME on :443 as acme-v02.api.letsencrypt.org,
// pebble-challtestsrv as the DNS server the VA asks, every name -> the web side) and
// knet-acme-lab-<id>-web (192.0.2.2: where the HTTP-01 answer and the client live).
// Nothing is linked to the host; teardown kills the lab's processes by pid and removes it.
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnInNetns } from '../exec.js';
import { run } from '../run.js';
import { ETC_NETNS } from '../run-state.js';
import { NetnsSwitch } from '../runtime/netns.js';
import { preparePebble, pebbleDirectoryUrl, PEBBLE_MANAGEMENT, type InternetCa } from './pebble.js';
import { netnsTransport, type Transport } from './transport.js';

export const LAB_SERVER_IP = '192.0.2.1';
export const LAB_WEB_IP = '192.0.2.2';

export function acmeLabSkipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['ip', 'pebble', 'pebble-challtestsrv', 'openssl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing (apt-get install pebble openssl)`;
  }
  return '';
}

export class AcmeLab {
  readonly sw = new NetnsSwitch();
  readonly directoryUrl = pebbleDirectoryUrl('https://acme-v02.api.letsencrypt.org/directory');
  private readonly children: ChildProcess[] = [];
  private readonly logs: string[] = [];
  ca: InternetCa | null = null;

  private constructor(readonly id: string, readonly srv: string, readonly web: string, readonly dir: string) {}

  static async start(id: string, options: { nonceReject?: number } = {}): Promise<AcmeLab> {
    const lab = new AcmeLab(id, `knet-acme-lab-${id}-srv`, `knet-acme-lab-${id}-web`, join(tmpdir(), `knet-acme-lab-${id}`));
    try {
      await lab.network();
      await lab.servers(options.nonceReject);
      return lab;
    } catch (e) {
      await lab.stop();
      throw new Error(`${(e as Error).message}\n${lab.logs.join('')}`);
    }
  }

  private async network(): Promise<void> {
    const ip = (...args: string[]) => run('ip', args);
    await ip('netns', 'add', this.srv);
    await ip('netns', 'add', this.web);
    await ip('-n', this.srv, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.web);
    for (const [ns, addr] of [[this.srv, LAB_SERVER_IP], [this.web, LAB_WEB_IP]] as const) {
      await ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // The web side resolves the ACME server through its hosts file and everything else
    // through challtestsrv, as a pod would through its resolv.conf.
    mkdirSync(join(ETC_NETNS, this.web), { recursive: true });
    writeFileSync(join(ETC_NETNS, this.web, 'resolv.conf'), `nameserver ${LAB_SERVER_IP}\n`);
    writeFileSync(join(ETC_NETNS, this.web, 'hosts'), `127.0.0.1 localhost\n${LAB_SERVER_IP} acme-v02.api.letsencrypt.org acme-staging-v02.api.letsencrypt.org\n`);
  }

  private spawn(ns: string, argv: readonly string[]): void {
    const child = spawnInNetns(ns, argv);
    child.stdout?.on('data', (d: Buffer) => this.logs.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.logs.push(d.toString()));
    this.children.push(child);
  }

  private async servers(nonceReject: number | undefined): Promise<void> {
    this.spawn(this.srv, ['pebble-challtestsrv', '-dns01', `${LAB_SERVER_IP}:53`, '-http01', '', '-https01', '', '-tlsalpn01', '',
      '-management', '127.0.0.1:8055', '-defaultIPv4', LAB_WEB_IP, '-defaultIPv6', '']);
    const setup = await preparePebble({
      dir: this.dir, address: LAB_SERVER_IP, dnsServer: `${LAB_SERVER_IP}:53`,
      names: ['acme-v02.api.letsencrypt.org', 'acme-staging-v02.api.letsencrypt.org'], ...(nonceReject !== undefined ? { nonceReject } : {}),
    });
    this.ca = setup.ca;
    this.spawn(this.srv, setup.argv);
    const web = this.webTransport();
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const res = await web({ method: 'GET', url: this.directoryUrl });
        if (res.status === 200) return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`Pebble did not answer at ${this.directoryUrl} within 10 s: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  webTransport(timeoutMs = 5000): Transport {
    return netnsTransport(this.sw, this.web, { ca: this.ca!.certPem, timeoutMs });
  }

  /** Pebble's issuing root, from its management interface (new on every Pebble start). */
  async pebbleRoot(): Promise<string> {
    const t = netnsTransport(this.sw, this.srv, { ca: this.ca!.certPem });
    const res = await t({ method: 'GET', url: `https://${PEBBLE_MANAGEMENT}/roots/0` });
    return res.body.toString('utf8');
  }

  /** An HTTP server on the web side's port 80 (Pebble's VA connects there for HTTP-01). */
  serveHttp(handler: http.RequestListener): Promise<http.Server> {
    const { fd } = this.sw.serverSocket(this.web, 'TCP', 80);
    const server = http.createServer(handler);
    return new Promise((resolve) => server.listen({ fd }, () => resolve(server)));
  }

  async stop(): Promise<void> {
    for (const c of this.children) {
      if (c.pid && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    for (const ns of [this.srv, this.web]) await run('ip', ['netns', 'del', ns], { allowFailure: true });
    rmSync(join(ETC_NETNS, this.web), { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
