import { describe, expect, it } from 'vitest';
import { POD_PRINTER, podSummary } from './table-pod.js';
import type { Json } from './table-cells.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function pod(status: Json, spec: Json = {}, meta: Json = {}): Json {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2026-01-01T11:55:00Z', ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  };
}

const running = (extra: Json = {}): Json => ({ name: 'app', ready: true, restartCount: 0, started: true, state: { running: { startedAt: '2026-01-01T11:55:10Z' } }, ...extra });

describe('a pod\'s READY, STATUS and RESTARTS, as kube-apiserver prints them', () => {
  it.each([
    ['running and ready', pod({ phase: 'Running', containerStatuses: [running()] }), { ready: '1/1', status: 'Running', restarts: '0' }],
    ['running, not ready', pod({ phase: 'Running', containerStatuses: [running({ ready: false })] }), { ready: '0/1', status: 'Running', restarts: '0' }],
    ['pending, unscheduled: the phase', pod({ phase: 'Pending' }), { ready: '0/1', status: 'Pending', restarts: '0' }],
    ['waiting to be created: the waiting reason', pod({ phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }),
      { ready: '0/1', status: 'ContainerCreating', restarts: '0' }],
    ['crash looping: the reason, and restarts with when the last one ended', pod({
      phase: 'Running',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T11:59:00Z' } } }],
    }), { ready: '0/1', status: 'CrashLoopBackOff', restarts: '4 (60s ago)' }],
    ['completed: the terminated reason', pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      { ready: '0/1', status: 'Completed', restarts: '0' }],
    ['terminated without a reason: the signal', pod({ phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] }),
      { ready: '0/1', status: 'Signal:9', restarts: '0' }],
    ['terminated without a reason or signal: the exit code', pod({ phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] }),
      { ready: '0/1', status: 'ExitCode:2', restarts: '0' }],
    ['being deleted: Terminating', pod({ phase: 'Running', containerStatuses: [running()] }, {}, { deletionTimestamp: '2026-01-01T11:59:30Z' }),
      { ready: '1/1', status: 'Terminating', restarts: '0' }],
    ['being deleted on a lost node: Unknown', pod({ phase: 'Running', reason: 'NodeLost', containerStatuses: [running()] }, {}, { deletionTimestamp: '2026-01-01T11:59:30Z' }),
      { ready: '1/1', status: 'Unknown', restarts: '0' }],
    ['the pod\'s own reason (Evicted)', pod({ phase: 'Failed', reason: 'Evicted' }), { ready: '0/1', status: 'Evicted', restarts: '0' }],
    ['scheduling gated', pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
      { ready: '0/1', status: 'SchedulingGated', restarts: '0' }],
    ['an init container still running: Init:0/1', pod(
      { phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { running: {} } }], containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] },
      { initContainers: [{ name: 'init', image: 'busybox' }] },
    ), { ready: '0/1', status: 'Init:0/1', restarts: '0' }],
    ['an init container crash looping: Init:CrashLoopBackOff, its restarts counted', pod(
      { phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
      { initContainers: [{ name: 'init', image: 'busybox' }] },
    ), { ready: '0/1', status: 'Init:CrashLoopBackOff', restarts: '3' }],
    ['an init container failed: Init:Error', pod(
      { phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] },
      { initContainers: [{ name: 'init', image: 'busybox' }] },
    ), { ready: '0/1', status: 'Init:Error', restarts: '0' }],
    ['a started sidecar counts as a container and as ready', pod(
      { phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }], initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: { running: {} } }], containerStatuses: [running()] },
      { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] },
    ), { ready: '2/2', status: 'Running', restarts: '1' }],
    ['one container completed while another runs and the pod is Ready: Running', pod(
      { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [running(), { name: 'job', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
      { containers: [{ name: 'app', image: 'nginx' }, { name: 'job', image: 'busybox' }] },
    ), { ready: '1/2', status: 'Running', restarts: '0' }],
    ['the same, the pod not Ready: NotReady', pod(
      { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [running(), { name: 'job', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
      { containers: [{ name: 'app', image: 'nginx' }, { name: 'job', image: 'busybox' }] },
    ), { ready: '1/2', status: 'NotReady', restarts: '0' }],
  ])('%s', (_rule, p, want) => {
    expect(podSummary(p, NOW)).toEqual(want);
  });
});

describe('the pod printer', () => {
  it('prints every column, the wide ones last: IP, NODE, NOMINATED NODE, READINESS GATES', () => {
    expect(POD_PRINTER.columns.map((c) => `${c.name}${c.priority ? '*' : ''}`)).toEqual(
      ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP*', 'Node*', 'Nominated Node*', 'Readiness Gates*']);
    const p = pod({ phase: 'Running', podIPs: [{ ip: '10.244.1.5' }], containerStatuses: [running()], conditions: [{ type: 'www.example.com/feature-1', status: 'True' }] },
      { nodeName: 'node-2', readinessGates: [{ conditionType: 'www.example.com/feature-1' }, { conditionType: 'www.example.com/feature-2' }] });
    expect(POD_PRINTER.cells(p, NOW)).toEqual(['web-1', '1/1', 'Running', '0', '5m', '10.244.1.5', 'node-2', '<none>', '1/2']);
  });

  it('an unscheduled pod: <none> for IP, node and readiness gates', () => {
    expect(POD_PRINTER.cells(pod({ phase: 'Pending' }), NOW).slice(5)).toEqual(['<none>', '<none>', '<none>', '<none>']);
  });

  it('a finished pod\'s row carries a Completed condition', () => {
    expect(POD_PRINTER.conditions!(pod({ phase: 'Succeeded' }))).toEqual([expect.objectContaining({ type: 'Completed', status: 'True', reason: 'Succeeded' })]);
    expect(POD_PRINTER.conditions!(pod({ phase: 'Running' }))).toBeUndefined();
  });
});
