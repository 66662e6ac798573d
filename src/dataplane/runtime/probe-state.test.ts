import { describe, expect, it } from 'vitest';
import { initialTrack, initialTracks, isReady, isStarted, observe, shouldProbe, httpProbePasses, type ProbeKind, type ProbeTrack } from './probe-state.js';

function fold(kind: ProbeKind, outcomes: readonly boolean[], t = { successThreshold: 1, failureThreshold: 3 }): { track: ProbeTrack; changes: number; restarts: number } {
  let track = initialTrack(kind);
  let changes = 0;
  let restarts = 0;
  for (const ok of outcomes) {
    const o = observe(kind, track, ok, t);
    track = o.track;
    if (o.changed) changes++;
    if (o.restart) restarts++;
  }
  return { track, changes, restarts };
}

describe('probe results as the kubelet keeps them', () => {
  it('starts readiness at failure, liveness at success, startup unknown', () => {
    expect(initialTrack('readiness').result).toBe('failure');
    expect(initialTrack('liveness').result).toBe('success');
    expect(initialTrack('startup').result).toBe('unknown');
  });

  it('readiness: one success makes ready; failures count only in a row up to the threshold', () => {
    expect(fold('readiness', [true]).track.result).toBe('success');
    expect(fold('readiness', [true, false, false]).track.result).toBe('success');
    expect(fold('readiness', [true, false, false, false]).track.result).toBe('failure');
    // a success in between starts the count again
    expect(fold('readiness', [true, false, false, true, false, false]).track.result).toBe('success');
    expect(fold('readiness', [true, false, false, false]).restarts).toBe(0);
  });

  it('readiness with successThreshold 3 needs three successes in a row', () => {
    const t = { successThreshold: 3, failureThreshold: 1 };
    expect(fold('readiness', [true, true], t).track.result).toBe('failure');
    expect(fold('readiness', [true, true, true], t).track.result).toBe('success');
    expect(fold('readiness', [true, true, false, true, true], t).track.result).toBe('failure');
  });

  it('liveness: the failure threshold asks for a restart and starts counting over', () => {
    const r = fold('liveness', [false, false, false]);
    expect(r.restarts).toBe(1);
    expect(r.track).toEqual(initialTrack('liveness'));
    expect(fold('liveness', [false, false, true, false, false]).restarts).toBe(0);
  });

  it('startup gates the other probes until it succeeds; its failure threshold restarts', () => {
    let t = initialTracks({ startup: true, readiness: true, liveness: true });
    expect(isStarted(t)).toBe(false);
    expect(shouldProbe('readiness', t)).toBe(false);
    expect(shouldProbe('liveness', t)).toBe(false);
    expect(shouldProbe('startup', t)).toBe(true);
    t = { ...t, startup: observe('startup', t.startup!, true, { successThreshold: 1, failureThreshold: 30 }).track };
    expect(isStarted(t)).toBe(true);
    expect(shouldProbe('startup', t)).toBe(false);
    expect(isReady(t, true)).toBe(false); // readiness has not passed yet
    t = { ...t, readiness: observe('readiness', t.readiness!, true, { successThreshold: 1, failureThreshold: 3 }).track };
    expect(isReady(t, true)).toBe(true);
    expect(isReady(t, false)).toBe(false); // not running: not ready
    expect(fold('startup', [false, false], { successThreshold: 1, failureThreshold: 2 }).restarts).toBe(1);
  });

  it('a container without probes is ready when it runs', () => {
    expect(isReady(initialTracks({ startup: false, readiness: false, liveness: false }), true)).toBe(true);
  });

  it('HTTP probes pass on 200-399', () => {
    expect([199, 200, 302, 399, 400, 503].map(httpProbePasses)).toEqual([false, true, true, true, false, false]);
  });
});
