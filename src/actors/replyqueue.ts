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

export class ReplyQueue {
  private entries: Entry[] = [];
  private head = 0;
  private headSeq = 0;

  /** Open slots (requests whose reply has not been written yet). */
  get size(): number {
    return this.entries.length - this.head;
  }

  /** The slot of the oldest reply not yet written. */
  get firstSlot(): number {
    return this.headSeq;
  }

  /** The slot the next open() will return. */
  get nextSlot(): number {
    return this.headSeq + this.size;
  }

  open(): number {
    this.entries.push(null);
    return this.headSeq + this.size - 1;
  }

  openFragment(parts: number, merge: Merge): number {
    this.entries.push(new Fragment(parts, merge));
    return this.headSeq + this.size - 1;
  }

  /** Fills a slot (part < 0) or one part of a fragment; merges when the last part arrives. */
  fill(seq: number, part: number, bytes: Uint8Array): void {
    const index = this.head + (seq - this.headSeq);
    if (index < this.head || index >= this.entries.length) return;
    if (part < 0) {
      this.entries[index] = bytes;
      return;
    }
    const fragment = this.entries[index];
    if (!(fragment instanceof Fragment) || fragment.replies[part] !== undefined) return;
    fragment.replies[part] = bytes;
    if (--fragment.remaining === 0) this.entries[index] = fragment.merge(fragment.replies);
  }

  /** Moves the filled prefix into out; returns its byte count. */
  takeReady(out: Uint8Array[]): number {
    let bytes = 0;
    const entries = this.entries;
    while (this.head < entries.length) {
      const e = entries[this.head];
      if (e === null || e instanceof Fragment) break;
      out.push(e);
      bytes += e.length;
      entries[this.head++] = null;
      this.headSeq++;
    }
    if (this.head === entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
    return bytes;
  }
}
