import { describe, expect, it } from 'vitest';
import { jobTimes } from './object-meta.js';
import { ObjectStore } from './object-store.js';

const AT = '2026-12-08T03:19:04Z';
const COMPLETE = { type: 'Complete', status: 'True' };

describe('jobTimes: a Job\'s start, as the job controller records it', () => {
  it.each([
    ['a running Job without a startTime: started when it was made', {}, { active: 1 }, { startTime: AT, active: 1 }],
    ['a complete Job: completionTime too', {}, { succeeded: 1, conditions: [COMPLETE] }, { startTime: AT, succeeded: 1, conditions: [COMPLETE], completionTime: AT }],
    ['a startTime the controller knew is kept', {}, { startTime: '2026-01-01T00:00:00Z' }, { startTime: '2026-01-01T00:00:00Z' }],
    ['a suspended Job has not started', { suspend: true }, { active: 0 }, { active: 0 }],
  ])('%s', (_name, spec, status, want) => {
    expect(jobTimes(spec, status, AT)).toEqual(want);
  });

  it('the store serves a Job written without times with its creationTimestamp as startTime (kstatus: not "Job not started")', () => {
    const store = new ObjectStore(undefined, { now: () => Date.parse(AT) });
    store.sync([{ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'hook', namespace: 'default' }, spec: { template: {} }, status: { active: 1 } }]);
    expect(store.get('batch', 'Job', 'default', 'hook')?.['status']).toEqual({ startTime: AT, active: 1 });
  });
});
