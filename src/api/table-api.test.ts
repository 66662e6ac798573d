// The daemon's API answers Table requests on GET of a list, of one object, and on watches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFakeApi, type LoopbackApi } from './test-support/fake-backend.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
type Json = Record<string, unknown>;

describe('Tables from the daemon\'s API handler', () => {
  let api: LoopbackApi;
  beforeAll(async () => {
    api = await serveFakeApi();
    await api.backend.apply([{ name: 'web.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n' }]);
  });
  afterAll(async () => {
    await api.close();
  });

  it('a list asked for as a Table is one, with the list\'s resourceVersion', async () => {
    const plain = await (await fetch(`${api.url}/api/v1/namespaces/default/services`)).json() as Json;
    const r = await fetch(`${api.url}/api/v1/namespaces/default/services`, { headers: { Accept: TABLE } });
    const t = await r.json() as Json;
    expect(t).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: (plain['metadata'] as Json)['resourceVersion'] } });
    expect((t['rows'] as Json[]).map((row) => (row['cells'] as unknown[])[0])).toEqual(['kubernetes', 'web']);
  });

  it('one object asked for as a Table is a one-row Table; includeObject=Object carries it whole', async () => {
    const r = await fetch(`${api.url}/api/v1/namespaces/default/services/web?includeObject=Object`, { headers: { Accept: TABLE } });
    const t = await r.json() as Json;
    const rows = t['rows'] as Json[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!['object']).toMatchObject({ kind: 'Service', metadata: { name: 'web' } });
  });

  it('a bad includeObject is a 400 in the API server\'s words', async () => {
    const r = await fetch(`${api.url}/api/v1/namespaces/default/services?includeObject=Everything`, { headers: { Accept: TABLE } });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'unrecognized includeObject value: "Everything"' });
  });

  it('plain JSON stays a List', async () => {
    const r = await fetch(`${api.url}/api/v1/namespaces/default/services`, { headers: { Accept: 'application/json' } });
    expect(await r.json()).toMatchObject({ kind: 'ServiceList' });
  });

  it('a watch sends one-row Tables, the columns only with the first', async () => {
    const ctrl = new AbortController();
    const r = await fetch(`${api.url}/api/v1/namespaces/default/services?watch=1`, { headers: { Accept: TABLE }, signal: ctrl.signal });
    const reader = r.body!.getReader();
    let text = '';
    const events = async (n: number): Promise<Json[]> => {
      while (text.split('\n').filter(Boolean).length < n) text += new TextDecoder().decode((await reader.read()).value);
      return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);
    };
    const initial = (await events(2)).length; // the Services there are, as ADDED
    await api.backend.apply([{ name: 'more.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: more, namespace: default}\nspec: {selector: {app: more}, ports: [{port: 81}]}\n' }]);
    const all = await events(initial + 1);
    ctrl.abort();
    const tables = all.map((e) => e['object'] as Json);
    expect(all.map((e) => e['type'])).toEqual(['ADDED', 'ADDED', 'ADDED']);
    expect(tables.map((t) => t['kind'])).toEqual(['Table', 'Table', 'Table']);
    expect(Array.isArray(tables[0]!['columnDefinitions'])).toBe(true);
    expect(tables.slice(1).map((t) => t['columnDefinitions'])).toEqual([null, null]);
    expect(((tables[2]!['rows'] as Json[])[0]!['cells'] as unknown[]).slice(0, 2)).toEqual(['more', 'ClusterIP']);
  });
});
