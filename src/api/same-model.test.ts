import { describe, expect, it } from 'vitest';
import { sameModel } from './same-model.js';

class Cidr {
  constructor(readonly text: string, readonly base: bigint) {}
}
class Other {
  constructor(readonly text: string, readonly base: bigint) {}
}

describe('sameModel: the same by value, as the wire form would be', () => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['equal plain objects, keys in another order -> same', { a: 1, b: [1, 'x'] }, { b: [1, 'x'], a: 1 }, true],
    ['a nested value differs -> not', { a: { b: [1, 2] } }, { a: { b: [1, 3] } }, false],
    ['a key missing on one side -> not', { a: 1 }, { a: 1, b: undefined }, false],
    ['undefined against a missing key of the same count -> not', { a: undefined }, { b: undefined }, false],
    ['arrays of another length -> not', [1, 2], [1, 2, 3], false],
    ['bigints (CIDRs hold them) compare by value', { n: 10n }, { n: 10n }, true],
    ['class instances compare their fields', new Cidr('10.0.0.0/8', 1n), new Cidr('10.0.0.0/8', 1n), true],
    ['another class with the same fields -> not', new Cidr('10.0.0.0/8', 1n), new Other('10.0.0.0/8', 1n), false],
    ['Maps by entries', new Map([['a', { x: 1 }]]), new Map([['a', { x: 1 }]]), true],
    ['Maps with another value -> not', new Map([['a', 1]]), new Map([['a', 2]]), false],
    ['Sets by members', new Set(['a', 'b']), new Set(['b', 'a']), true],
    ['Dates by time', new Date(5), new Date(5), true],
    ['a source\'s locate functions are not compared', { raw: { value: 1, locate: () => 1 } }, { raw: { value: 1, locate: () => 2 } }, true],
    ['a function against data -> not', { f: () => 1 }, { f: 1 }, false],
    ['null against an object -> not', null, {}, false],
  ];
  for (const [name, a, b, want] of cases) it(name, () => expect(sameModel(a, b)).toBe(want));

  it('a pair found the same is remembered for the round: a shared owner is compared once', () => {
    const owner = { spec: { template: { containers: [{ name: 'c' }] } } };
    const again = structuredClone(owner);
    const seen = new WeakMap<object, object>();
    expect(sameModel({ owner }, { owner: again }, seen)).toBe(true);
    again.spec.template.containers[0]!.name = 'changed';
    // The pair is remembered as the same; a new round (a new map) sees the change.
    expect(sameModel({ owner }, { owner: again }, seen)).toBe(true);
    expect(sameModel({ owner }, { owner: again })).toBe(false);
  });
});
