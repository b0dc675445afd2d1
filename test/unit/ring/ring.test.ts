import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashString } from '../../../src/ring/hash.js';
import { Ring, type Member, type MovedRange } from '../../../src/ring/ring.js';

const KEYS = 1_000_000;

// xorshift32 with a fixed seed, so every run samples the same keys.
function xorshift(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

// Hashing a million keys dominates the run time, so it is done once for the whole file.
const hashes = (() => {
  const next = xorshift(0x9e3779b9);
  const out = new Uint32Array(KEYS);
  for (let i = 0; i < KEYS; i++) out[i] = hashString(`key:${i}:${next().toString(36)}`);
  return out;
})();

const node = (i: number, weight = 1): Member => ({ id: `10.0.0.${i}:6379`, weight });
const nodes = (n: number): Member[] => Array.from({ length: n }, (_, i) => node(i + 1));

function keysPerMember(ring: Ring): number[] {
  const counts = new Array<number>(ring.members.length).fill(0);
  for (const h of hashes) counts[ring.ownerIndex(h)]++;
  return counts;
}

const ownerId = (ring: Ring, hash: number) => ring.members[ring.ownerIndex(hash)].id;

// Keys whose owner differs between a and b, as [old owner id, new owner id] per key.
function moves(a: Ring, b: Ring, sample = hashes): [string, string][] {
  const out: [string, string][] = [];
  for (const h of sample) {
    const from = ownerId(a, h);
    const to = ownerId(b, h);
    if (from !== to) out.push([from, to]);
  }
  return out;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = xorshift(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

for (const n of [3, 10]) {
  test(`keys spread over ${n} equal nodes with max/mean at most 1.1`, () => {
    const counts = keysPerMember(Ring.build(nodes(n), 1));
    assert.ok(Math.max(...counts) / (KEYS / n) <= 1.1, `counts ${counts}`);
  });
}

for (const n of [3, 9]) {
  test(`adding a node to ${n} moves at most 1.1x the ideal 1/${n + 1} of keys, all to the new node`, () => {
    const added = node(n + 1);
    const moved = moves(Ring.build(nodes(n), 1), Ring.build([...nodes(n), added], 2));
    assert.ok(moved.length / KEYS <= 1.1 / (n + 1), `moved fraction ${moved.length / KEYS}`);
    assert.ok(moved.every(([, to]) => to === added.id));
  });
}

test('removing a node moves only the keys that node owned', () => {
  const before = Ring.build(nodes(10), 1);
  const gone = node(5).id;
  const after = Ring.build(nodes(10).filter((m) => m.id !== gone), 2);
  const owned = keysPerMember(before)[before.members.findIndex((m) => m.id === gone)];
  const moved = moves(before, after);
  assert.equal(moved.length, owned);
  assert.ok(moved.every(([from]) => from === gone));
});

test('the same members in any order give the same owners and the same movedRanges', () => {
  const members = [...nodes(6), node(7, 0.5), node(8, 2)];
  const a = Ring.build(members, 1);
  const b = Ring.build(shuffled(members, 7), 1);
  assert.deepEqual(b.members, a.members);
  for (const h of hashes) assert.equal(b.ownerIndex(h), a.ownerIndex(h));

  const nextMembers = [...members.slice(1), node(9)];
  const forward = a.movedRanges(Ring.build(nextMembers, 2));
  assert.ok(forward.length > 0);
  assert.deepEqual(b.movedRanges(Ring.build(shuffled(nextMembers, 11), 2)), forward);
});

test('equal point hashes go to the lower member id whatever the input order', () => {
  // Found by search: a point of 10.0.0.2:2190 has the same hash as one of
  // 10.0.0.1:6379, and a point of 10.0.0.0:1222 as another one.
  const cases: [Member, Member, number, string][] = [
    [node(1), { id: '10.0.0.2:2190', weight: 1 }, 0x9835c7b0, node(1).id],
    [node(1), { id: '10.0.0.0:1222', weight: 1 }, 0x34231206, '10.0.0.0:1222'],
  ];
  for (const [x, y, hash, winner] of cases) {
    assert.equal(ownerId(Ring.build([x, y], 1), hash), winner);
    assert.equal(ownerId(Ring.build([y, x], 1), hash), winner);
  }
});

test('a member with weight 2 gets about twice the keys of a weight-1 member (within 10%)', () => {
  const ring = Ring.build([node(1), node(2, 2), node(3)], 1);
  const [one, two, three] = keysPerMember(ring);
  for (const single of [one, three]) assert.ok(Math.abs(two / single - 2) <= 0.2, `${two} vs ${single}`);
});

test('a hash above the last point wraps around to the first point owner', () => {
  const ring = Ring.build(nodes(3), 1);
  assert.equal(ring.ownerIndex(0xffffffff), ring.ownerIndex(0));
});

function rangeAt(ranges: readonly MovedRange[], hash: number): MovedRange | undefined {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid].end < hash) lo = mid + 1;
    else hi = mid;
  }
  const r = ranges[lo];
  return r !== undefined && r.start <= hash ? r : undefined;
}

test('movedRanges covers exactly the hashes whose owner changed, naming old and new owners', () => {
  const a = Ring.build(nodes(5), 1);
  const b = Ring.build([node(1, 1.5), node(2), node(4), node(5), node(6), node(7)], 2);
  const ranges = a.movedRanges(b);

  // Sorted, disjoint, inside uint32, and coalesced.
  ranges.forEach((r, i) => {
    assert.ok(r.start <= r.end && r.start >= 0 && r.end <= 0xffffffff);
    const prev = ranges[i - 1];
    if (prev === undefined) return;
    assert.ok(prev.end < r.start);
    assert.ok(prev.end + 1 < r.start || prev.from !== r.from || prev.to !== r.to, 'adjacent ranges not coalesced');
  });

  // Exact at every boundary: range edges change owner, the hashes just outside do not.
  for (const r of ranges) {
    for (const h of [r.start, r.end]) assert.deepEqual([ownerId(a, h), ownerId(b, h)], [r.from, r.to]);
    for (const h of [r.start - 1, r.end + 1]) {
      if (h < 0 || h > 0xffffffff || rangeAt(ranges, h) !== undefined) continue;
      assert.equal(ownerId(a, h), ownerId(b, h));
    }
  }

  for (const h of hashes.subarray(0, 100_000)) {
    const r = rangeAt(ranges, h);
    const from = ownerId(a, h);
    const to = ownerId(b, h);
    assert.equal(r !== undefined, from !== to, `hash ${h}`);
    if (r !== undefined) assert.deepEqual([r.from, r.to], [from, to]);
  }
  assert.deepEqual(a.movedRanges(Ring.build(nodes(5), 3)), []);
});

test('ownerOf hashes a byte range in place and agrees with ownerOfString', () => {
  const ring = Ring.build(nodes(10), 1);
  const frame = new TextEncoder().encode('*2\r\n$3\r\nGET\r\n$9\r\nuser:1234\r\n');
  const start = frame.indexOf(0x75); // 'u'
  assert.equal(ring.ownerOf(frame, start, start + 9), ring.ownerOfString('user:1234'));
  assert.equal(ring.ownerOfString('user:1234'), ring.ownerIndex(hashString('user:1234')));
});

test('a built ring is frozen and does not follow later changes to the input list', () => {
  const input = nodes(3);
  const ring = Ring.build(input, 42);
  input.push(node(4));
  assert.equal(ring.epoch, 42);
  assert.equal(ring.members.length, 3);
  assert.ok(Object.isFrozen(ring) && Object.isFrozen(ring.members) && Object.isFrozen(ring.members[0]));
  assert.throws(() => {
    (ring as { epoch: number }).epoch = 43;
  }, TypeError);
});

test('build rejects an empty list, duplicate ids and bad weights with a clear error', () => {
  assert.throws(() => Ring.build([], 1), /member list is empty/);
  assert.throws(() => Ring.build([node(1), node(2), node(1)], 1), /duplicate member id "10\.0\.0\.1:6379"/);
  for (const weight of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => Ring.build([node(1), node(2, weight)], 1), /member "10\.0\.0\.2:6379" has weight .*finite number above 0/);
  }
});

test('keyShares gives each member its share of the hash space: they sum to 1 and follow the weights', () => {
  const ring = Ring.build(
    [
      { id: 'a:1', weight: 1 },
      { id: 'b:1', weight: 1 },
      { id: 'c:1', weight: 2 },
    ],
    1,
  );
  const shares = ring.keyShares();
  assert.equal(shares.length, 3);
  assert.ok(Math.abs(shares.reduce((x, y) => x + y, 0) - 1) < 1e-9);
  const [a, b, c] = shares;
  for (const [share, fair] of [[a, 0.25], [b, 0.25], [c, 0.5]]) assert.ok(Math.abs(share - fair) < fair * 0.1, `${share} against ${fair}`);
  // The shares are what 200k random keys see.
  const counts = [0, 0, 0];
  for (let i = 0; i < 200_000; i++) counts[ring.ownerOfString(`share:${i}`)]++;
  counts.forEach((n, i) => assert.ok(Math.abs(n / 200_000 - shares[i]) < 0.01, `member ${i}: ${n / 200_000} against ${shares[i]}`));
});

// The points as build() makes them, each a hash and its member id, sorted: the bucket table must
// only speed up a search of these.
function pointsOf(members: readonly Member[]): { hash: number; id: string }[] {
  return members
    .flatMap((m) => Array.from({ length: Math.max(1, Math.round(m.weight * 1000)) }, (_, i) => ({ hash: hashString(`${m.id}-${i}`), id: m.id })))
    .sort((a, b) => a.hash - b.hash || (a.id < b.id ? -1 : 1));
}

test('lookups agree with a search of every point, for rings of 1, 2, 3,000 and 70,000 points', () => {
  const cases: Member[][] = [[node(1, 0.0001)], [node(1, 0.0001), node(2, 0.0001)], nodes(3), nodes(70)];
  for (const members of cases) {
    const ring = Ring.build(members, 1);
    const points = pointsOf(members);
    const owner = (hash: number): string => (points.find((p) => p.hash >= hash) ?? points[0]).id;
    // Points' own hashes and their neighbours, the ends of the hash space, and sampled keys.
    const step = Math.max(1, Math.floor(points.length / 300));
    const edges = points.filter((_, i) => i % step === 0).flatMap((p) => [p.hash - 1, p.hash, p.hash + 1]);
    const probes = [0, 0xffffffff, ...edges.filter((h) => h >= 0 && h <= 0xffffffff), ...hashes.slice(0, 300)];
    for (const h of probes) assert.equal(ownerId(ring, h), owner(h), `hash ${h} with ${members.length} members`);
  }
});
