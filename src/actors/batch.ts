// The hot-path message payloads: a connection's requests for one node, and a node's replies for
// one connection, each gathered over one turn so that one message (and one dispatch) carries many.
// Parallel arrays instead of an object per request.
export interface RequestBatch {
  readonly slots: number[];
  /** Part of a split request, or -1 for a whole one. */
  readonly parts: number[];
  readonly bytes: Uint8Array[];
}

export interface ReplyBatch {
  readonly slots: number[];
  readonly parts: number[];
  readonly bytes: Uint8Array[];
}

export const newBatch = (): RequestBatch & ReplyBatch => ({ slots: [], parts: [], bytes: [] });
