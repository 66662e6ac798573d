// The DNS data a runtime's servers answer from: the daemon's snapshot file (snapshot.ts),
// loaded when the SPEC names a version other than the loaded one. Every server of the
// runtime reads `current` per query, so a reload takes effect at the next query; a file
// that does not load leaves the previous data in place.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DnsIndex } from '../../core/dns/dns-server.js';
import { indexFromSnapshot } from './snapshot.js';

export interface LoadedDns {
  readonly index: DnsIndex;
  /** Bumped on every load: answers computed from older data are not served again. */
  readonly generation: number;
  readonly version: string;
  /** Unix seconds of the load: the SOA serial (CoreDNS: the last change it saw). */
  readonly serial: number;
  readonly corefile: string;
  /** sha512 of the Corefile, as CoreDNS's reload plugin prints it. */
  readonly corefileSha512: string;
}

export class DnsDataSource {
  current: LoadedDns | null = null;
  private generation = 0;
  private readonly listeners = new Set<(now: LoadedDns, before: LoadedDns | null) => void>();

  constructor(readonly path: string) {}

  /** Loads the file unless `version` is the loaded one. Throws when it cannot be loaded. */
  refresh(version: string): boolean {
    if (this.current && this.current.version === version) return false;
    const text = readFileSync(this.path, 'utf8');
    const serial = Math.floor(Date.now() / 1000);
    const { index, corefile } = indexFromSnapshot(text, this.path, serial);
    const before = this.current;
    this.current = {
      index, corefile, version, serial,
      generation: ++this.generation,
      corefileSha512: createHash('sha512').update(corefile).digest('hex'),
    };
    for (const fn of this.listeners) fn(this.current, before);
    return true;
  }

  onLoad(fn: (now: LoadedDns, before: LoadedDns | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
