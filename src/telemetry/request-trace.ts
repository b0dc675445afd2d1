// What a sampled request carries from its ConnectionActor to a NodeActor, in the parallel
// `traces` array of a RequestBatch: plain data (the span context too, serialised as its three
// fields), so it clones to a worker thread as it is.
import type { SpanContext } from '@opentelemetry/api';

export interface RequestTrace {
  /** The request's SERVER span: the parent of the spans the NodeActor makes. */
  readonly parent: SpanContext;
  /** When the ConnectionActor sent the Route message (clock.ts). */
  readonly sentAt: number;
  /** The ring epoch the request was routed with. */
  readonly epoch: number;
  /** db.operation.name, such as GET or MGET. */
  readonly operation: string;
  /** db.query.text with keys only; present only when the configuration records keys. */
  readonly query?: string;
}
