import { describe, expect, it } from 'vitest';
import { clusterEvents } from './events.js';
import { EventLog } from './events-log.js';
import { fillIn } from './fill-in.js';
import { decodeObjects } from '../model/load.js';
import { parseText } from '../model/source.js';
import { newProbeFailures, ProbeFailureCounts } from './probe-failures.js';

const pod = `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  containers:
  - name: api
    image: api
    ports: [{containerPort: 8080}]
    readinessProbe: {httpGet: {path: /ready, port: 8080}}
    livenessProbe: {httpGet: {path: /healthz, port: 8080}}
    startupProbe: {tcpSocket: {port: 8080}}
`;

describe('the kubelet\'s Unhealthy events from the runtimes\' probe failure counts', () => {
  it('only the checks not counted before; a lower count (a new runtime) is all new', () => {
    const first = newProbeFailures(new Map(), { 'shop/api': { failed: { 'api/readiness': { count: 2, output: 'HTTP probe failed with statuscode: 503' } } } });
    expect(first.failures).toEqual([
      { pod: 'shop/api', container: 'api', probe: 'readiness', output: 'HTTP probe failed with statuscode: 503' },
      { pod: 'shop/api', container: 'api', probe: 'readiness', output: 'HTTP probe failed with statuscode: 503' },
    ]);
    const again = newProbeFailures(first.seen, { 'shop/api': { failed: { 'api/readiness': { count: 3, output: 'HTTP probe failed with statuscode: 503' } } } });
    expect(again.failures).toHaveLength(1);
    expect(newProbeFailures(again.seen, { 'shop/api': { failed: { 'api/readiness': { count: 3, output: 'x' } } } }).failures).toEqual([]);
    expect(newProbeFailures(again.seen, { 'shop/api': { failed: { 'api/readiness': { count: 1, output: 'x' } } } }).failures).toHaveLength(1);
    expect(newProbeFailures(new Map(), { 'shop/api': { failed: { 'api/readiness': { count: 500, output: 'x' } } } }).failures).toHaveLength(10);
  });

  it('one report per node: each node counts its own pods', () => {
    const counts = new ProbeFailureCounts();
    const r = { 'shop/api': { failed: { 'api/liveness': { count: 1, output: 'x' } } } };
    expect(counts.record('node-1', r)).toHaveLength(1);
    expect(counts.record('node-1', r)).toHaveLength(0);
    expect(counts.record('node-2', r)).toHaveLength(1);
  });

  it('the events read as the kubelet writes them, repeats folded into the count (x3)', () => {
    const c = fillIn(decodeObjects(parseText('api.yaml', pod).objects).inventory).cluster;
    const counts = new ProbeFailureCounts();
    const log = new EventLog();
    const dial = 'Get "http://10.244.1.2:8080/healthz": dial tcp 10.244.1.2:8080: connect: connection refused';
    const reports = [1, 2, 3].map((n) => ({ 'shop/api': { failed: {
      'api/readiness': { count: n, output: 'HTTP probe failed with statuscode: 503' },
      'api/liveness': { count: n === 3 ? 1 : 0, output: dial },
      'api/startup': { count: 1, output: 'dial tcp 10.244.1.2:8080: connect: connection refused' },
    } } }));
    reports.forEach((r, i) => log.record(clusterEvents(c, c, counts.record('node-1', r)), new Date(Date.UTC(2026, 0, 1, 0, 0, i * 5))));
    expect(log.list().map((e) => `${e.type} ${e.reason} ${e.involvedObject.fieldPath} x${e.count} ${e.firstTimestamp}..${e.lastTimestamp} ${e.message}`)).toEqual([
      'Warning Unhealthy spec.containers{api} x1 2026-01-01T00:00:00Z..2026-01-01T00:00:00Z Startup probe failed: dial tcp 10.244.1.2:8080: connect: connection refused',
      'Warning Unhealthy spec.containers{api} x3 2026-01-01T00:00:00Z..2026-01-01T00:00:10Z Readiness probe failed: HTTP probe failed with statuscode: 503',
      `Warning Unhealthy spec.containers{api} x1 2026-01-01T00:00:10Z..2026-01-01T00:00:10Z Liveness probe failed: ${dial}`,
    ]);
  });
});
