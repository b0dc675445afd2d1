import { hashString, murmur3 } from './hash.js';

export interface Member {
  readonly id: string; // "host:port"
  readonly weight: number;
}

// A uint32 hash range [start, end], both inclusive, that changes owner between two rings.
export interface MovedRange {
  readonly start: number;
  readonly end: number;
  readonly from: string;
  readonly to: string;
}

/** An old owner and a new one between two rings: the keys of their moved ranges go through a handoff pair. */
export interface Pair {
  readonly from: string;
  readonly to: string;
}

/** The ring requests route by during a handoff, and the pairs its extra owner indices stand for. */
export interface Transition {
  /**
   * Members are those of the new ring; ownerIndex() answers members.length + p for a hash that
   * moves from pairs[p].from to pairs[p].to while that old owner is not drained yet.
   */
  readonly ring: Ring;
  readonly pairs: readonly Pair[];
}

// Points per unit of weight: enough that each node's share of keys stays
// within a few percent of its fair share, while build stays cheap.
const VNODES = 1000;
const MAX_HASH = 0xffffffff;
// Lookups first jump to the points sharing the hash's top bits, then binary-search only those:
// about 6x faster than searching all points. About one bucket per point, at most 2^16 of them: the
// table of 3 members (3,000 points) is 16 KiB and stays in cache, where 2^16 buckets (256 KiB) cost
// a cache miss per lookup under load.
const MAX_BUCKET_BITS = 16;

// An immutable snapshot of the membership, shared between actors, so nothing can change after build.
export class Ring {
  readonly epoch: number;
  readonly members: readonly Member[];
  // Sorted, distinct point hashes; a key belongs to the first point at or after its hash.
  readonly #points: Uint32Array;
  // #owners[i] is the index in members of the member owning #points[i].
  readonly #owners: Uint32Array;
  // #bucketStart[b] is the index of the first point whose top bits (hash >>> #bucketShift) are >= b.
  readonly #bucketStart: Uint32Array;
  readonly #bucketShift: number;

  private constructor(members: readonly Member[], epoch: number, points: Uint32Array, owners: Uint32Array) {
    this.members = members;
    this.epoch = epoch;
    this.#points = points;
    this.#owners = owners;
    // At least 1 bit: a shift of 32 would be a shift of 0 in JavaScript.
    const bits = Math.min(MAX_BUCKET_BITS, Math.max(1, Math.ceil(Math.log2(points.length))));
    const buckets = 2 ** bits;
    const shift = 32 - bits;
    this.#bucketShift = shift;
    this.#bucketStart = new Uint32Array(buckets + 1);
    for (let b = 0, i = 0; b <= buckets; b++) {
      while (i < points.length && points[i] >>> shift < b) i++;
      this.#bucketStart[b] = i;
    }
    Object.freeze(this);
  }

  static build(members: readonly Member[], epoch: number): Ring {
    const sorted = validated(members);
    const raw: { hash: number; owner: number }[] = [];
    sorted.forEach((m, owner) => {
      // Every member owns at least one point, however small its weight.
      const count = Math.max(1, Math.round(m.weight * VNODES));
      for (let i = 0; i < count; i++) raw.push({ hash: hashString(`${m.id}-${i}`), owner });
    });
    // Members are sorted by id, so on equal hashes the lower id wins, whatever the input order.
    raw.sort((a, b) => a.hash - b.hash || a.owner - b.owner);

    const points = new Uint32Array(raw.length);
    const owners = new Uint32Array(raw.length);
    let n = 0;
    for (const p of raw) {
      if (n > 0 && points[n - 1] === p.hash) continue;
      points[n] = p.hash;
      owners[n] = p.owner;
      n++;
    }
    return new Ring(sorted, epoch, points.slice(0, n), owners.slice(0, n));
  }

  ownerIndex(hash: number): number {
    const points = this.#points;
    const bucket = hash >>> this.#bucketShift;
    // The first point at or after hash lies in its bucket or is the next bucket's first point.
    let lo = this.#bucketStart[bucket];
    let hi = this.#bucketStart[bucket + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid] < hash) lo = mid + 1;
      else hi = mid;
    }
    // Past the last point the ring wraps to the first.
    return this.#owners[lo === points.length ? 0 : lo];
  }

  ownerOf(bytes: Uint8Array, start: number, end: number): number {
    return this.ownerIndex(murmur3(bytes, start, end));
  }

  ownerOfString(key: string): number {
    return this.ownerIndex(hashString(key));
  }

  /** Each member's share of the hash space (of keys, for random keys), by member index; they sum to 1. */
  keyShares(): number[] {
    const points = this.#points;
    const owners = this.#owners;
    const shares = new Array<number>(this.members.length).fill(0);
    // Point i owns the hashes after point i-1 up to itself; the first also owns the wrap past the last.
    for (let i = 0; i < points.length; i++) {
      const from = i === 0 ? points[points.length - 1] - (MAX_HASH + 1) : points[i - 1];
      shares[owners[i]] += (points[i] - from) / (MAX_HASH + 1);
    }
    return shares;
  }

  /**
   * The routing ring from `previous` to this one: the same lookup as any ring (so routing costs
   * nothing more during a handoff), over the points of both, where a hash whose owner changes
   * answers the index of its pair instead, unless its old owner is in `drained`. Pairs do not
   * depend on `drained`, so their indices stay the same as old owners drain.
   */
  transitionFrom(previous: Ring, drained: ReadonlySet<string> = new Set()): Transition {
    const moved = previous.movedRanges(this);
    const keys = [...new Set(moved.map((r) => `${r.from}\n${r.to}`))].sort();
    const pairs = keys.map((k) => {
      const [from, to] = k.split('\n');
      return Object.freeze({ from, to });
    });
    const pairIndex = new Map(keys.map((k, i) => [k, this.members.length + i]));
    const index = new Map(this.members.map((m, i) => [m.id, i]));
    // Each moved range ends at a point of one ring or the other; owners between are constant.
    const points: number[] = [];
    const owners: number[] = [];
    let r = 0;
    const a = previous.#points;
    const b = this.#points;
    let i = 0;
    let j = 0;
    for (let start = 0; start <= MAX_HASH; ) {
      const end = Math.min(i < a.length ? a[i] : MAX_HASH, j < b.length ? b[j] : MAX_HASH);
      const to = this.#owners[j < b.length ? j : 0];
      while (r < moved.length && moved[r].end < start) r++;
      const range = r < moved.length && moved[r].start <= start ? moved[r] : undefined;
      const owner = range === undefined || drained.has(range.from) ? to : pairIndex.get(`${range.from}\n${range.to}`)!;
      // Adjacent intervals with one owner share a point: the table stays the size of both rings.
      if (owners.length > 0 && owners[owners.length - 1] === owner) points[points.length - 1] = end;
      else {
        points.push(end);
        owners.push(owner);
      }
      if (i < a.length && a[i] === end) i++;
      if (j < b.length && b[j] === end) j++;
      start = end + 1;
    }
    // The wrap past the last point belongs to the first one: the last interval must end at MAX_HASH
    // and the first point owns hashes up to it, which the loop above already gave the right owner.
    return { ring: new Ring(this.members, this.epoch, Uint32Array.from(points), Uint32Array.from(owners)), pairs };
  }

  movedRanges(next: Ring): MovedRange[] {
    const a = this.#points;
    const b = next.#points;
    const ranges: { start: number; end: number; from: string; to: string }[] = [];
    // Walk the union of both rings' points: between two consecutive ones, both owners are constant.
    let i = 0;
    let j = 0;
    for (let start = 0; start <= MAX_HASH; ) {
      const end = Math.min(i < a.length ? a[i] : MAX_HASH, j < b.length ? b[j] : MAX_HASH);
      const from = this.members[this.#owners[i < a.length ? i : 0]].id;
      const to = next.members[next.#owners[j < b.length ? j : 0]].id;
      if (from !== to) {
        const last = ranges[ranges.length - 1];
        if (last !== undefined && last.end + 1 === start && last.from === from && last.to === to) last.end = end;
        else ranges.push({ start, end, from, to });
      }
      if (i < a.length && a[i] === end) i++;
      if (j < b.length && b[j] === end) j++;
      start = end + 1;
    }
    return ranges;
  }
}

function validated(members: readonly Member[]): readonly Member[] {
  if (members.length === 0) throw new Error('Ring.build: the member list is empty');
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.id)) throw new Error(`Ring.build: duplicate member id "${m.id}"`);
    seen.add(m.id);
    if (!Number.isFinite(m.weight) || m.weight <= 0) {
      throw new Error(`Ring.build: member "${m.id}" has weight ${m.weight}; it must be a finite number above 0`);
    }
  }
  // Plain code-unit order, not locale order, so every process sorts identically.
  const sorted = [...members].sort((x, y) => (x.id < y.id ? -1 : 1));
  return Object.freeze(sorted.map((m) => Object.freeze({ id: m.id, weight: m.weight })));
}
