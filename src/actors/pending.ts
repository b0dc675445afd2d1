// A NodeActor's requests in flight, oldest first: a circular buffer of parallel columns, so
// queueing a request allocates nothing (an object per request was a steady source of garbage).
import type { Hop } from '../telemetry/backend.js';

/** Each request's peer (whoever gets its reply) is of the owner's choosing. */
export class PendingQueue<Peer> {
  private peers: (Peer | undefined)[] = [];
  private slots = new Float64Array(0);
  private parts = new Int32Array(0);
  private queuedAt = new Float64Array(0);
  private hops: (Hop | undefined)[] = [];
  /** What each request answers instead of a node-down error (eject.onDown miss), if anything. */
  private misses: (Uint8Array | undefined)[] = [];
  private mask = -1;
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(peer: Peer, slot: number, part: number, at: number, hop: Hop | undefined, miss?: Uint8Array): void {
    if (this.count === this.slots.length) this.grow();
    const i = (this.head + this.count) & this.mask;
    this.misses[i] = miss;
    this.peers[i] = peer;
    this.slots[i] = slot;
    this.parts[i] = part;
    this.queuedAt[i] = at;
    this.hops[i] = hop;
    this.count++;
  }

  /** Queue time (ms) of the oldest request, or -1 when empty. */
  oldestAt(): number {
    return this.count === 0 ? -1 : this.queuedAt[this.head];
  }

  // The oldest request's columns, read before shift().
  get peer(): Peer {
    return this.peers[this.head]!;
  }
  get slot(): number {
    return this.slots[this.head];
  }
  get part(): number {
    return this.parts[this.head];
  }
  get hop(): Hop | undefined {
    return this.hops[this.head];
  }

  // The columns of the k-th oldest request (k < length), for requests answered before their turn.
  peerAt(k: number): Peer {
    return this.peers[(this.head + k) & this.mask]!;
  }
  slotAt(k: number): number {
    return this.slots[(this.head + k) & this.mask];
  }
  partAt(k: number): number {
    return this.parts[(this.head + k) & this.mask];
  }
  queuedAtOf(k: number): number {
    return this.queuedAt[(this.head + k) & this.mask];
  }
  /** The k-th oldest request's miss answer, if it has one. */
  missAt(k: number): Uint8Array | undefined {
    return this.misses[(this.head + k) & this.mask];
  }

  /** The k-th oldest request's hop, taken out (its spans are ended by whoever takes it). */
  takeHopAt(k: number): Hop | undefined {
    const i = (this.head + k) & this.mask;
    const hop = this.hops[i];
    this.hops[i] = undefined;
    return hop;
  }

  shift(): void {
    this.peers[this.head] = undefined;
    this.hops[this.head] = undefined;
    this.misses[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
  }

  private grow(): void {
    const size = Math.max(64, this.slots.length * 2);
    const peers = new Array<Peer | undefined>(size);
    const slots = new Float64Array(size);
    const parts = new Int32Array(size);
    const queuedAt = new Float64Array(size);
    const hops = new Array<Hop | undefined>(size);
    const misses = new Array<Uint8Array | undefined>(size);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask;
      peers[k] = this.peers[i];
      slots[k] = this.slots[i];
      parts[k] = this.parts[i];
      queuedAt[k] = this.queuedAt[i];
      hops[k] = this.hops[i];
      misses[k] = this.misses[i];
    }
    this.peers = peers;
    this.slots = slots;
    this.parts = parts;
    this.queuedAt = queuedAt;
    this.hops = hops;
    this.misses = misses;
    this.mask = size - 1;
    this.head = 0;
  }
}
