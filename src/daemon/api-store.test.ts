// The daemon's store across a restart: its metadata saved beside state.json, read back by the
// next daemon, so objects keep their uid and resourceVersion and the counter only grows.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/test-support/fake-backend.js';
import { apiStoreOf } from './api-store.js';
import { apiObjectsPath } from './paths.js';

const NAME = 'knet-store-persist';
const configMap = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: "${value}"}\n`;
type Json = Record<string, unknown>;
const meta = (o: Json | undefined) => (o?.['metadata'] ?? {}) as Json;

let root = '';
const before = process.env['KNET_STATE_ROOT'];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'knet-store-'));
  process.env['KNET_STATE_ROOT'] = root;
  mkdirSync(join(root, NAME));
});
afterAll(() => {
  if (before === undefined) delete process.env['KNET_STATE_ROOT'];
  else process.env['KNET_STATE_ROOT'] = before;
  rmSync(root, { recursive: true, force: true });
});

async function savedWith(text: string): Promise<void> {
  const file = apiObjectsPath(NAME);
  for (let i = 0; i < 200; i++) {
    if (existsSync(file) && readFileSync(file, 'utf8').includes(text)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${file} never held ${text}`);
}

/** A daemon started again on the same state. */
function restarted(from: FakeBackend): FakeBackend {
  const next = new FakeBackend(NAME);
  next.state = from.state;
  next.cluster = from.cluster;
  return next;
}

describe('the daemon\'s store, saved beside state.json', () => {
  it('a restart keeps uids and resourceVersions; the counter only grows; deleted and made again is a new uid', async () => {
    const first = new FakeBackend(NAME);
    await first.apply([{ name: 'a.yaml', text: configMap('1') }]);
    const store = apiStoreOf(first);
    await first.apply([{ name: 'a.yaml', text: configMap('2') }]);
    const cfg = store.get('', 'ConfigMap', 'default', 'cfg');
    const rv = meta(cfg)['resourceVersion'] as string;
    expect(Number(rv)).toBeGreaterThan(1);
    await savedWith(`"resourceVersion":${store.resourceVersion}`);

    const second = restarted(first);
    const again = apiStoreOf(second);
    expect(again.get('', 'ConfigMap', 'default', 'cfg')).toEqual(cfg);
    expect(Number(again.resourceVersion)).toBeGreaterThanOrEqual(Number(store.resourceVersion));

    await second.delete([{ kind: 'ConfigMap', namespace: 'default', name: 'cfg' }]);
    await second.apply([{ name: 'a.yaml', text: configMap('2') }]);
    const remade = again.get('', 'ConfigMap', 'default', 'cfg');
    expect(meta(remade)['uid']).not.toBe(meta(cfg)['uid']);
    expect(Number(meta(remade)['resourceVersion'])).toBeGreaterThan(Number(rv));
    await savedWith(`"resourceVersion":${again.resourceVersion}`);

    const third = apiStoreOf(restarted(second));
    expect(meta(third.get('', 'ConfigMap', 'default', 'cfg'))['uid']).toBe(meta(remade)['uid']);
  });
});
