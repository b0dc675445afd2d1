import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring } from '../../../src/ring/ring.js';

const three = [
  { id: 'a:1', weight: 1 },
  { id: 'b:1', weight: 1 },
  { id: 'c:1', weight: 1 },
];

// What the routing ring of a handoff must answer for a hash, said the slow way from the two rings.
function expected(previous: Ring, next: Ring, pairs: readonly { from: string; to: string }[], drained: Set<string>, hash: number): number {
  const from = previous.members[previous.ownerIndex(hash)].id;
  const to = next.ownerIndex(hash);
  if (from === next.members[to].id || drained.has(from)) return to;
  return next.members.length + pairs.findIndex((p) => p.from === from && p.to === next.members[to].id);
}

for (const [name, before, after] of [
  ['adding a node', three, [...three, { id: 'd:1', weight: 1 }]],
  ['removing a node', three, three.slice(0, 2)],
  ['changing a weight', three, [three[0], three[1], { id: 'c:1', weight: 2.5 }]],
] as const) {
  test(`the routing ring of ${name} sends exactly the moving hashes to their pair`, () => {
    const previous = Ring.build(before, 1);
    const next = Ring.build(after, 2);
    for (const drained of [new Set<string>(), new Set(['a:1'])]) {
      const { ring, pairs } = next.transitionFrom(previous, drained);
      assert.equal(ring.epoch, 2);
      assert.deepEqual(ring.members, next.members);
      assert.ok(pairs.length > 0);
      let moving = 0;
      for (let k = 0; k < 200_000; k++) {
        const hash = (Math.random() * 0x100000000) >>> 0;
        const want = expected(previous, next, pairs, drained, hash);
        if (want >= next.members.length) moving++;
        assert.equal(ring.ownerIndex(hash), want, `hash ${hash}`);
      }
      for (const hash of [0, 1, 0xffffffff, 0xfffffffe]) assert.equal(ring.ownerIndex(hash), expected(previous, next, pairs, drained, hash));
      assert.ok(moving > 0, 'some hashes move');
    }
  });
}

test('pairs keep their indices as old owners drain, and an unchanged ring has none', () => {
  const previous = Ring.build(three, 1);
  const next = Ring.build([...three, { id: 'd:1', weight: 1 }], 2);
  assert.deepEqual(next.transitionFrom(previous).pairs, next.transitionFrom(previous, new Set(['a:1', 'b:1'])).pairs);
  assert.deepEqual(Ring.build(three, 2).transitionFrom(previous).pairs, []);
});
