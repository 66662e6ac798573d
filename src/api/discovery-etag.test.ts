// Aggregated discovery carries kube-apiserver's ETag: kubectl's HTTP cache revalidates with it
// when its 6-hour discovery cache runs out, and an unchanged document is a 304 with no body.
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatedDiscovery, discoveryETag } from './discovery.js';
import { kubectlAgainst, kubectlSkipReason, serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

describe('discoveryETag', () => {
  it('is the document\'s SHA-512 in upper-case hex, quoted; another document, another tag', () => {
    const tag = discoveryETag(JSON.stringify(aggregatedDiscovery('apis', 'v2')));
    expect(tag).toMatch(/^"[0-9A-F]{128}"$/);
    expect(discoveryETag('{}')).toBe('"27C74670ADB75075FAD058D5CEAF7B20C4E7786C83BAE8A32F626F9782AF34C9A33C2046EF60FD2A7878D378E29FEC851806BBD9A67878F3A9F1CDA4830763FD"');
    expect(discoveryETag(JSON.stringify(aggregatedDiscovery('api', 'v2')))).not.toBe(tag);
  });
});

describe('discovery\'s ETag over HTTP', () => {
  let api: LoopbackApi;
  beforeAll(async () => { api = await serveFakeApi(); });
  afterAll(async () => { await api.close(); });

  it.each(['/api', '/apis'])('GET %s (aggregated): ETag and Cache-Control public; If-None-Match with it -> 304 without a body; another tag -> 200', async (path) => {
    const first = await fetch(`${api.url}${path}`, { headers: { Accept: V2 } });
    const body = await first.text();
    const tag = first.headers.get('etag');
    expect([first.status, tag, first.headers.get('cache-control'), first.headers.get('vary')]).toEqual([200, discoveryETag(body.trimEnd()), 'public', 'Accept']);
    const again = await fetch(`${api.url}${path}`, { headers: { Accept: V2, 'If-None-Match': tag! } });
    expect([again.status, await again.text(), again.headers.get('etag')]).toEqual([304, '', tag]);
    const stale = await fetch(`${api.url}${path}`, { headers: { Accept: V2, 'If-None-Match': '"0"' } });
    expect([stale.status, await stale.text()]).toEqual([200, body]);
  });

  it('the legacy lists (plain JSON) carry none, as kube-apiserver\'s', async () => {
    const r = await fetch(`${api.url}/apis`, { headers: { Accept: 'application/json' } });
    expect([r.status, r.headers.get('etag')]).toEqual([200, null]);
  });
});

describe.skipIf(kubectlSkipReason)('stock kubectl past its discovery cache\'s 6 hours', () => {
  let api: LoopbackApi;
  const cache = mkdtempSync(join(tmpdir(), 'knet-discovery-etag-'));
  beforeAll(async () => { api = await serveFakeApi(); });
  afterAll(async () => {
    await api.close();
    rmSync(cache, { recursive: true, force: true });
  });

  /** Every file of the cache 7 hours old: kubectl reads discovery from the server again. */
  function age(dir: string): void {
    const then = new Date(Date.now() - 7 * 3600 * 1000);
    for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const p = join(dir, f);
      if (statSync(p).isFile()) utimesSync(p, then, then);
    }
  }

  it('revalidates /api and /apis with their ETags and takes the 304s from its HTTP cache', async () => {
    const k = kubectlAgainst(api.url);
    try {
      // The last --cache-dir wins: this one, which the test can age.
      const cold = await k.run(['--cache-dir', cache, 'get', 'namespaces']);
      expect(cold.code).toBe(0);
      age(cache);
      const warm = await k.run(['--cache-dir', cache, 'get', 'namespaces', '-v=8']);
      expect(warm.code).toBe(0);
      const discovery = warm.err.split(/\n(?=I\d{4} )/).filter((l) => / GET \S+\/apis?\?timeout=/.test(l) || /X-From-Cache|Etag:/.test(l));
      expect(discovery.filter((l) => / GET /.test(l))).toHaveLength(2);
      expect(discovery.filter((l) => /X-From-Cache: 1/.test(l))).toHaveLength(2);
    } finally {
      k.close();
    }
  });
});
