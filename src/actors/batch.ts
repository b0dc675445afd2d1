// The hot-path message payloads: a connection's requests for one node, and a node's replies for
// one connection, each gathered over one turn so that one message (and one dispatch) carries many.
// Parallel arrays instead of an object per request.
import type { RequestTrace } from '../telemetry/request-trace.js';

export interface RequestBatch {
  readonly slots: number[];
  /** Part of a split request, or -1 for a whole one. */
  readonly parts: number[];
  readonly bytes: Uint8Array[];
  /**
   * The trace of each sampled request, at its index; undefined while nothing in the batch is
   * sampled, so untraced requests carry no trace data at all.
   */
  traces: (RequestTrace | undefined)[] | undefined;
}

export interface ReplyBatch {
  readonly slots: number[];
  readonly parts: number[];
  readonly bytes: Uint8Array[];
}

// `traces` is always present (undefined) so every batch has the same shape for the engine.
export const newBatch = (): RequestBatch & ReplyBatch => ({ slots: [], parts: [], bytes: [], traces: undefined });
