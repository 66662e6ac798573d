import { describe, expect, it } from 'vitest';
import { APPS_PRINTERS } from './table-apps.js';
import type { Json } from './table-cells.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const meta = { name: 'web', namespace: 'production', creationTimestamp: '2026-01-01T11:00:00Z' };
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }], nodeSelector: { 'kubernetes.io/os': 'linux' } } };
const cells = (key: string, o: Json) => APPS_PRINTERS[key]!.cells({ metadata: meta, ...o }, NOW);
const headers = (key: string) => APPS_PRINTERS[key]!.columns.map((c) => `${c.name}${c.priority ? '*' : ''}`);

describe('workloads, from their own status', () => {
  it('a Deployment: READY ready/desired, UP-TO-DATE, AVAILABLE; the selector unbracketed with -o wide', () => {
    expect(headers('apps/Deployment')).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
    expect(cells('apps/Deployment', {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
      status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    })).toEqual(['web', '2/3', 3, 2, '60m', 'app,log', 'nginx:1.27,busybox', 'app=web']);
  });

  it('a Deployment without replicas wants one (the API server\'s default), without status has none', () => {
    expect(cells('apps/Deployment', { spec: { template } }).slice(1, 4)).toEqual(['0/1', 0, 0]);
  });

  it('a ReplicaSet: DESIRED CURRENT READY', () => {
    expect(headers('apps/ReplicaSet')).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
    expect(cells('apps/ReplicaSet', {
      spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5b8d' } }, template },
      status: { replicas: 2, readyReplicas: 1 },
    })).toEqual(['web', 2, 2, 1, '60m', 'app,log', 'nginx:1.27,busybox', 'app=web,pod-template-hash=5b8d']);
  });

  it('a StatefulSet: READY only, no selector column', () => {
    expect(headers('apps/StatefulSet')).toEqual(['Name', 'Ready', 'Age', 'Containers*', 'Images*']);
    expect(cells('apps/StatefulSet', { spec: { replicas: 3, template }, status: { readyReplicas: 3 } })).toEqual(['web', '3/3', '60m', 'app,log', 'nginx:1.27,busybox']);
  });

  it('a DaemonSet: its scheduling counts and the template\'s node selector', () => {
    expect(headers('apps/DaemonSet')).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*']);
    expect(cells('apps/DaemonSet', {
      spec: { selector: { matchLabels: { app: 'web' } }, template },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    })).toEqual(['web', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '60m', 'app,log', 'nginx:1.27,busybox', 'app=web']);
  });
});

describe('jobs: STATUS COMPLETIONS DURATION', () => {
  const job = (spec: Json, status: Json, extra: Json = {}) => cells('batch/Job', { spec: { template, ...spec }, status, ...extra });
  it.each([
    ['running, one completion by default', {}, { startTime: '2026-01-01T11:58:00Z' }, ['Running', '0/1', '2m']],
    ['complete: the duration from start to completion', { completions: 3 }, {
      succeeded: 3, startTime: '2026-01-01T11:00:00Z', completionTime: '2026-01-01T11:05:30Z', conditions: [{ type: 'Complete', status: 'True' }],
    }, ['Complete', '3/3', '5m30s']],
    ['failed', {}, { conditions: [{ type: 'Failed', status: 'True' }] }, ['Failed', '0/1', '']],
    ['suspended', {}, { conditions: [{ type: 'Suspended', status: 'True' }] }, ['Suspended', '0/1', '']],
    ['a parallel work queue: "of N"', { parallelism: 4 }, { succeeded: 1 }, ['Running', '1/1 of 4', '']],
    ['a condition that is False does not count', {}, { conditions: [{ type: 'Complete', status: 'False' }] }, ['Running', '0/1', '']],
  ])('%s', (_rule, spec, status, want) => {
    expect(job(spec, status).slice(1, 4)).toEqual(want);
  });
  it('being deleted: Terminating', () => {
    expect(cells('batch/Job', { metadata: { ...meta, deletionTimestamp: '2026-01-01T11:59:00Z' }, spec: { template }, status: {} })[1]).toBe('Terminating');
  });
});
