// The internet side of a running cluster: Pebble (Let's Encrypt's test ACME server) prepared in
// /run/knet-<name>/internet/ and run as a command of the internet runtime, cert-manager's
// controller started after bring-up, and the CA bundle internet clients trust once Pebble gives
// its root. Without Debian's pebble, ACME issuers do not issue; SelfSigned and CA issuers do.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ACME_SERVER_ADDRESS, LETS_ENCRYPT_HOSTS } from '../core/certs/acme-server.js';
import { preparePebble, type PebbleSetup } from '../dataplane/acme/pebble.js';
import { INTERNET_DNS_ADDRESS } from '../dataplane/dns/internet-dns.js';
import { runDir } from '../dataplane/run-state.js';
import { writeFileAtomic } from './atomic-file.js';
import { CertManagerController, type CertManagerHost } from './cert-manager.js';
import { caBundlePath } from './paths.js';
import { internetDnsPod, type RuntimePodSpec } from './runtimes.js';

/** Where Pebble's files and the internet clients' CA bundle live. */
export function internetDir(cluster: string): string {
  return join(runDir(cluster), 'internet');
}

export class InternetSide {
  /** Pebble on the internet side (null when Debian's pebble is not installed, or the side is off). */
  private pebble: PebbleSetup | null = null;
  private certManager: CertManagerController | null = null;
  private stopped = false;

  /** `enabled: false`: only the internet's resolver; no Pebble, no cert-manager (tests without root). */
  constructor(private readonly name: string, private readonly log: (line: string) => void, private readonly enabled = true) {}

  /** Pebble's certificate from knet's internet CA for Let's Encrypt's names; it runs in the internet runtime. */
  async prepare(): Promise<void> {
    if (!this.enabled) return;
    if (spawnSync('sh', ['-c', 'command -v pebble']).status !== 0) {
      this.log('acme: Debian\'s pebble is not installed (apt-get install pebble): ACME issuers will not issue; SelfSigned and CA issuers do');
      return;
    }
    try {
      this.pebble = await preparePebble({ dir: internetDir(this.name), address: ACME_SERVER_ADDRESS, dnsServer: `${INTERNET_DNS_ADDRESS}:53`, names: [...LETS_ENCRYPT_HOSTS] });
    } catch (e) {
      this.log(`acme: cannot prepare Pebble: ${(e as Error).message}`);
    }
  }

  /** The internet runtime's pods: the resolver (203.0.113.53, with the CoreDNS pods' data) and Pebble. */
  pods(netns: string): RuntimePodSpec[] {
    return [internetDnsPod(netns), ...(this.pebble ? [pebblePod(netns, this.pebble)] : [])];
  }

  /**
   * cert-manager: a pass on every change (`kick`) and every few seconds; then the CA bundle
   * internet clients trust (knet's internet CA and Pebble's issuing root) is written for
   * `knet exec internet`. `hostWith` makes its host, given the internet CA's certificate file.
   */
  start(hostWith: (caFile: string) => CertManagerHost): void {
    if (!this.enabled || this.stopped) return;
    const host = hostWith(join(internetDir(this.name), 'internet-ca.pem'));
    this.certManager = new CertManagerController(host);
    this.certManager.start();
    if (!this.pebble) return;
    const internetCaPem = this.pebble.ca.certPem;
    void (async () => {
      for (let i = 0; i < 100 && !this.stopped; i++) {
        const root = await host.acmeRoot();
        if (root) {
          await writeFileAtomic(caBundlePath(this.name), `${internetCaPem.trim()}\n${root.trim()}\n`);
          this.log(`acme: internet clients trust ${caBundlePath(this.name)} (knet's internet CA and Pebble's root)`);
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      this.log('acme: Pebble did not give its root: no CA bundle for internet clients');
    })();
  }

  kick(): void {
    this.certManager?.kick();
  }

  stop(): void {
    this.stopped = true;
    this.certManager?.stop();
  }
}

/**
 * Pebble as a command of the internet runtime (restarted with back-off, logged like a
 * container, in a cgroup). It is knet's own internet, not a cluster pod: it runs on the host
 * in the internet's namespace, outside a sandbox (its files are root's, under /run/knet-<c>).
 */
function pebblePod(netns: string, setup: PebbleSetup): RuntimePodSpec {
  return { ref: 'knet_internet/acme', netns, hostname: 'acme', servers: [], commands: [{ container: 'pebble', argv: [...setup.argv], unsandboxed: true }], healthy: true };
}
