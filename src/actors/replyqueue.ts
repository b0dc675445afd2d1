// A client's replies in request order: each request opens a slot, replies fill slots in any
// order, and only the filled prefix may be written. A split request's slot collects one reply
// per part and becomes the merged reply once all parts are in.
import type { Merge } from '../routing/dispatch.js';

class Fragment {
  readonly replies: Uint8Array[];
  remaining: number;
  constructor(
    parts: number,
    readonly merge: Merge,
  ) {
    this.replies = new Array<Uint8Array>(parts);
    this.remaining = parts;
  }
}

type Entry = Uint8Array | Fragment | null;

/**
 * A circular buffer of slots: the array is reused from turn to turn rather than rebuilt each time
 * the queue empties, so a busy connection allocates nothing here.
 */
export class ReplyQueue {
  private entries: Entry[] = NO_ENTRIES;
  private mask = -1;
  private head = 0;
  private count = 0;
  private headSeq = 0;

  /** Open slots (requests whose reply has not been written yet). */
  get size(): number {
    return this.count;
  }

  /** The slot of the oldest reply not yet written. */
  get firstSlot(): number {
    return this.headSeq;
  }

  /** The slot the next open() will return. */
  get nextSlot(): number {
    return this.headSeq + this.count;
  }

  open(): number {
    return this.add(null);
  }

  openFragment(parts: number, merge: Merge): number {
    return this.add(new Fragment(parts, merge));
  }

  /** Fills a slot (part < 0) or one part of a fragment; merges when the last part arrives. */
  fill(seq: number, part: number, bytes: Uint8Array): void {
    const offset = seq - this.headSeq;
    if (offset < 0 || offset >= this.count) return;
    const index = (this.head + offset) & this.mask;
    if (part < 0) {
      this.entries[index] = bytes;
      return;
    }
    const fragment = this.entries[index];
    if (!(fragment instanceof Fragment) || fragment.replies[part] !== undefined) return;
    fragment.replies[part] = bytes;
    if (--fragment.remaining === 0) this.entries[index] = fragment.merge(fragment.replies);
  }

  /** Moves the filled prefix into out[0..n) and returns n. */
  takeReady(out: Uint8Array[]): number {
    const { entries, mask } = this;
    let n = 0;
    while (this.count > 0) {
      const e = entries[this.head];
      if (e === null || e instanceof Fragment) break;
      out[n++] = e;
      entries[this.head] = null;
      this.head = (this.head + 1) & mask;
      this.count--;
      this.headSeq++;
    }
    // A burst may have grown the buffer; an emptied large one is dropped so idle clients stay small.
    if (this.count === 0 && entries.length > MAX_KEPT) this.reset();
    return n;
  }

  private add(entry: Entry): number {
    if (this.count === this.entries.length) this.grow();
    this.entries[(this.head + this.count) & this.mask] = entry;
    this.count++;
    return this.headSeq + this.count - 1;
  }

  private grow(): void {
    const old = this.entries;
    const next = new Array<Entry>(Math.max(INITIAL, old.length * 2)).fill(null);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.entries = next;
    this.mask = next.length - 1;
    this.head = 0;
  }

  private reset(): void {
    this.entries = NO_ENTRIES;
    this.mask = -1;
    this.head = 0;
  }
}

const INITIAL = 16;
const MAX_KEPT = 1024;
const NO_ENTRIES: Entry[] = [];
