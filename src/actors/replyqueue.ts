// A client's replies in request order: each request opens a slot, replies fill slots in any
// order, and only the filled prefix may be written. A split request's slot collects one reply
// per part and becomes the merged reply once all parts are in. A slot waiting for its reply holds
// the id of the command it answers, so an error reply counts for that command.
import type { Merge } from '../routing/dispatch.js';
import { internalError } from '../protocol/errors.js';
import { isErrorReply } from '../protocol/replies.js';

/** An entry still waiting for more than one answer: a split request, or a reply sent in pieces. */
abstract class Pending {}

class Fragment extends Pending {
  readonly replies: Uint8Array[];
  remaining: number;
  constructor(
    parts: number,
    readonly merge: Merge,
    readonly command: number,
  ) {
    super();
    this.replies = new Array<Uint8Array>(parts);
    this.remaining = parts;
  }
}

/**
 * A reply that arrives in pieces (a large blob): at the head of the queue its pieces are written
 * as they come, and later replies wait for its end. `producer` sends the pieces, and is asked for
 * more once those it sent are written.
 */
export class Stream extends Pending {
  pieces: Uint8Array[] = [];
  ended = false;
  /** Cut short after some bytes were written: the client must not take the rest for a whole reply. */
  aborted = false;
  constructor(readonly producer: number) {
    super();
  }
}

/** A slot whose reply is not the client's (jupiter asked for it): filled with nothing to write. */
const SILENT = new Uint8Array(0);
const DROPPED = new Uint8Array(0);

/** A reply, a slot waiting for more than one answer, the id of the command a slot waits to answer, or nothing. */
type Entry = Uint8Array | Pending | number | null;

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
  /** The command the next slots answer (Dispatch.command). */
  command = 0;

  /** `errors`: error replies by command id, counted as slots are filled. */
  constructor(private readonly errors: Float64Array = new Float64Array(0)) {}

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
    return this.add(this.command);
  }

  /** A slot whose reply is dropped when it comes, keeping its place so later replies wait for it. */
  openSilent(): number {
    return this.add(SILENT);
  }

  openFragment(parts: number, merge: Merge): number {
    return this.add(new Fragment(parts, merge, this.command));
  }

  openStream(producer: number): number {
    return this.add(new Stream(producer));
  }

  /** Adds a piece to a stream slot; `end` completes it, `aborted` cuts it short. */
  append(seq: number, bytes: Uint8Array, end: boolean, aborted = false): void {
    const offset = seq - this.headSeq;
    if (offset < 0 || offset >= this.count) return;
    const stream = this.entries[(this.head + offset) & this.mask];
    if (!(stream instanceof Stream) || stream.ended) return;
    if (bytes.length > 0) stream.pieces.push(bytes);
    stream.ended = end || aborted;
    stream.aborted = aborted;
  }

  /** The oldest slot, when it is a stream (nothing before it is left to write). */
  headStream(): Stream | null {
    const e = this.count > 0 ? this.entries[this.head] : null;
    return e instanceof Stream ? e : null;
  }

  /** Takes the head stream's pieces so far; once it has ended, its slot is done. */
  takeStream(stream: Stream): Uint8Array[] {
    const pieces = stream.pieces;
    stream.pieces = [];
    if (stream.ended) this.advance();
    return pieces;
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
      if (typeof entry === 'number') {
        if (isErrorReply(bytes)) this.errors[entry]++;
        this.entries[index] = bytes;
      } else if (entry === SILENT) this.entries[index] = DROPPED;
      // A whole answer to a stream slot (an error from the actor that was to stream it) ends it.
      else if (entry instanceof Stream && !entry.ended) this.append(seq, bytes, true);
      return;
    }
    const fragment = this.entries[index];
    if (!(fragment instanceof Fragment) || fragment.replies[part] !== undefined) return;
    fragment.replies[part] = bytes;
    if (--fragment.remaining > 0) return;
    const reply = merged(fragment);
    if (isErrorReply(reply)) this.errors[fragment.command]++;
    this.entries[index] = reply;
  }

  /** Moves the filled prefix into out[0..n) and returns n. */
  takeReady(out: Uint8Array[]): number {
    const { entries, mask } = this;
    let n = 0;
    while (this.count > 0) {
      const e = entries[this.head];
      if (typeof e === 'number' || e === null || e === SILENT || e instanceof Pending) break;
      out[n++] = e;
      entries[this.head] = null;
      this.head = (this.head + 1) & mask;
      this.count--;
      this.headSeq++;
    }
    if (this.count === 0 && entries !== NO_ENTRIES) this.release();
    return n;
  }

  private advance(): void {
    this.entries[this.head] = null;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    this.headSeq++;
    if (this.count === 0) this.release();
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
