// A client's replies in request order: each request opens a slot, replies fill slots in any
// order, and only the filled prefix may be written. A split request's slot collects one reply
// per part and becomes the merged reply once all parts are in.
import type { Merge } from '../routing/dispatch.js';
import { internalError } from '../protocol/errors.js';

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

/** A slot whose reply is not the client's (jupiter asked for it): filled with nothing to write. */
const SILENT = new Uint8Array(0);
const DROPPED = new Uint8Array(0);

type Entry = Uint8Array | Fragment | null;

/** A merge that fails on replies it did not expect answers with an error, never with nothing. */
function merged(fragment: Fragment): Uint8Array {
  try {
    return fragment.merge(fragment.replies);
  } catch {
    return internalError;
  }
}

/**
 * A circular buffer of slots. Its array goes back to a shared pool whenever the queue empties and
 * is taken again by the next request: a busy connection allocates nothing here, and an idle one
 * holds no array at all.
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

  /** A slot whose reply is dropped when it comes, keeping its place so later replies wait for it. */
  openSilent(): number {
    return this.add(SILENT);
  }

  openFragment(parts: number, merge: Merge): number {
    return this.add(new Fragment(parts, merge));
  }

  /**
   * Fills a slot (part < 0) or one part of a fragment; merges when the last part arrives. The first
   * answer counts: a slot or part answered already (with an error, say) keeps that answer.
   */
  fill(seq: number, part: number, bytes: Uint8Array): void {
    const offset = seq - this.headSeq;
    if (offset < 0 || offset >= this.count) return;
    const index = (this.head + offset) & this.mask;
    if (part < 0) {
      const entry = this.entries[index];
      if (entry === null) this.entries[index] = bytes;
      else if (entry === SILENT) this.entries[index] = DROPPED;
      return;
    }
    const fragment = this.entries[index];
    if (!(fragment instanceof Fragment) || fragment.replies[part] !== undefined) return;
    fragment.replies[part] = bytes;
    if (--fragment.remaining === 0) this.entries[index] = merged(fragment);
  }

  /** Moves the filled prefix into out[0..n) and returns n. */
  takeReady(out: Uint8Array[]): number {
    const { entries, mask } = this;
    let n = 0;
    while (this.count > 0) {
      const e = entries[this.head];
      if (e === null || e === SILENT || e instanceof Fragment) break;
      out[n++] = e;
      entries[this.head] = null;
      this.head = (this.head + 1) & mask;
      this.count--;
      this.headSeq++;
    }
    if (this.count === 0 && entries !== NO_ENTRIES) this.release();
    return n;
  }

  private add(entry: Entry): number {
    if (this.entries === NO_ENTRIES) this.adopt(pool.pop() ?? new Array<Entry>(INITIAL).fill(null));
    else if (this.count === this.entries.length) this.grow();
    this.entries[(this.head + this.count) & this.mask] = entry;
    this.count++;
    return this.headSeq + this.count - 1;
  }

  private grow(): void {
    const old = this.entries;
    const next = new Array<Entry>(old.length * 2).fill(null);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.adopt(next);
  }

  private adopt(entries: Entry[]): void {
    this.entries = entries;
    this.mask = entries.length - 1;
    this.head = 0;
  }

  /** Every entry is null again (takeReady clears what it takes), so the array can be reused as is. */
  private release(): void {
    // A burst may have grown the array; a large one is left to the collector.
    if (this.entries.length <= MAX_POOLED_LENGTH && pool.length < MAX_POOLED) pool.push(this.entries);
    this.adopt(NO_ENTRIES);
  }
}

const INITIAL = 16;
// At most 1024 arrays of at most 256 slots (2 KiB) wait in the pool.
const MAX_POOLED_LENGTH = 256;
const MAX_POOLED = 1024;
const NO_ENTRIES: Entry[] = [];
const pool: Entry[][] = [];
