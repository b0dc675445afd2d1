// The hot-path message payloads: a connection's requests for one node, and a node's replies for
// one connection, each gathered over one turn so that one message (and one dispatch) carries many.
// Parallel arrays with a count instead of an object per request.
//
// Batches are recycled: the actor that consumes one gives it back with releaseBatch(), and the
// next takeBatch() reuses its arrays. Fresh arrays per turn were the largest share of the proxy's
// garbage, and young-generation collections were its p99 latency.
import type { RequestTrace } from '../telemetry/request-trace.js';
import { EMPTY } from '../protocol/bytes.js';

export interface Batch {
  /** Entries in use; the arrays may be longer (their tails are stale). */
  count: number;
  readonly slots: number[];
  /** Part of a split request, or -1 for a whole one. */
  readonly parts: number[];
  readonly bytes: Uint8Array[];
  /**
   * The trace of each sampled request, at its index; undefined while nothing in the batch is
   * sampled, so untraced requests carry no trace data at all. Request batches only.
   */
  traces: (RequestTrace | undefined)[] | undefined;
  /**
   * With eject.onDown miss: the answer each read gets instead of an error when its node is down
   * (nil, 0, an empty array...), at its index; undefined otherwise. Request batches only.
   */
  misses: (Uint8Array | undefined)[] | undefined;
}

export type RequestBatch = Batch;
export type ReplyBatch = Batch;

/**
 * Enough for every connection and node of a busy turn; beyond it, or when a burst grew a batch past
 * MAX_POOLED_LENGTH entries, a released batch is left to the collector (the pool holds 6 MiB at most).
 */
const POOL_LIMIT = 1024;
const MAX_POOLED_LENGTH = 256;
const pool: Batch[] = [];

export function takeBatch(): Batch {
  // `traces` and `misses` are always present (undefined) so every batch has the same shape for the engine.
  return pool.pop() ?? { count: 0, slots: [], parts: [], bytes: [], traces: undefined, misses: undefined };
}

export function addToBatch(batch: Batch, slot: number, part: number, bytes: Uint8Array): void {
  const i = batch.count++;
  batch.slots[i] = slot;
  batch.parts[i] = part;
  batch.bytes[i] = bytes;
}

/** A batch of one whole reply, for the actors that answer one client's request at a time (admin, blobs). */
export function oneReply(slot: number, bytes: Uint8Array): Batch {
  const batch = takeBatch();
  addToBatch(batch, slot, -1, bytes);
  return batch;
}

/** A batch answering every entry of `request` with the same bytes (an error). */
export function answerAll(request: Batch, bytes: Uint8Array): Batch {
  const out = takeBatch();
  for (let i = 0; i < request.count; i++) addToBatch(out, request.slots[i], request.parts[i], bytes);
  return out;
}

/** Gives a consumed batch back; it must not be read afterwards. */
export function releaseBatch(batch: Batch): void {
  const { bytes } = batch;
  // Drop the payload references so a pooled batch keeps no socket data alive.
  for (let i = 0; i < batch.count; i++) bytes[i] = EMPTY;
  batch.count = 0;
  batch.traces = undefined;
  batch.misses = undefined;
  if (pool.length < POOL_LIMIT && bytes.length <= MAX_POOLED_LENGTH) pool.push(batch);
}

/** An exact-length copy that owns nothing pooled: for a message that leaves this thread later. */
export function detachBatch(batch: Batch, copyBytes: (b: Uint8Array) => Uint8Array): Batch {
  const n = batch.count;
  const copy: Batch = {
    count: n,
    slots: batch.slots.slice(0, n),
    parts: batch.parts.slice(0, n),
    bytes: batch.bytes.slice(0, n).map(copyBytes),
    traces: batch.traces?.slice(0, n),
    misses: batch.misses?.slice(0, n).map((m) => (m === undefined ? undefined : copyBytes(m))),
  };
  releaseBatch(batch);
  return copy;
}
